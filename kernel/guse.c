// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse - /dev/guse, the request channel between kernel device frontends and
 * the userspace servers that implement the devices.
 *
 * One open file is one connection.  Kernel requests are queued, read by the
 * server one message per read(), and answered one message per write().  The
 * caller of guse_conn_call() sleeps until the reply, a timeout, a signal or
 * the death of the server; a request sent with guse_conn_send() has no
 * waiter and stays until the server answers it or goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kmod.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/guse.h>

#include "guse-transport.h"

/* Largest errno a server may answer with; anything else becomes -EIO. */
#define GUSE_SERVER_ERRNO_MAX	133
/* Messages up to this size are copied from userspace onto the stack. */
#define GUSE_SMALL_MSG		256

static unsigned int max_in_flight = 64;
module_param(max_in_flight, uint, 0444);
MODULE_PARM_DESC(max_in_flight,
		 "Requests one connection may have waiting for its server (default 64)");

enum guse_conn_state {
	GUSE_CONN_NEW,		/* no device yet: waiting for CREATE */
	GUSE_CONN_LIVE,		/* the frontend created its device */
	GUSE_CONN_DEAD,		/* the server closed the file */
};

/**
 * struct guse_conn - one open /dev/guse file
 *
 * Allocated by open(), freed by the release of the file, after the frontend's
 * destroy callback returned.
 *
 * @lock: protects everything below it except @create_lock's data
 * @queue: messages not read by the server yet
 * @sent: requests read by the server, waiting for their reply
 * @next_id: last request id handed out
 * @in_flight: requests of guse_conn_call() queued or sent
 * @state: enum guse_conn_state
 * @aborting: a failing CREATE is tearing its device down: new requests fail
 * @stalled: a request timed out and the server has not read or written since
 * @stalled_until: while @stalled, new requests fail at once until this time
 *	(jiffies): one timeout per consumer operation, not one per callback
 * @wakeup_queued: a GUSE_OP_WAKEUP is in @queue (guse_conn_wakeup())
 * @readq: the server's readers and pollers
 * @slotq: callers waiting for @in_flight to drop below the limit
 * @create_lock: serializes the CREATE message against itself
 * @fe: the frontend serving the device, set when @state is LIVE
 * @drvdata: frontend data
 * @server: thread group that opened the file; NULL for a kernel connection
 * @kserver: the in-kernel server of a kernel connection, or NULL
 * @kdata: @kserver's data
 * @kparent: parent for the device of a kernel connection, or NULL
 * @kwork: hands queued messages to @kserver, one at a time, in order
 */
struct guse_conn {
	spinlock_t lock;		/* see the kernel-doc above */
	struct list_head queue;
	struct list_head sent;
	u64 next_id;
	unsigned int in_flight;
	enum guse_conn_state state;
	bool aborting;
	bool stalled;
	unsigned long stalled_until;
	bool wakeup_queued;
	wait_queue_head_t readq;
	wait_queue_head_t slotq;
	struct mutex create_lock;	/* see the kernel-doc above */
	const struct guse_frontend *fe;
	void *drvdata;
	struct pid *server;
	const struct guse_kernel_server *kserver;
	void *kdata;
	struct device *kparent;
	struct work_struct kwork;
};

/* runs the in-kernel servers of kernel connections */
static struct workqueue_struct *guse_kwq;

/**
 * struct guse_req - one message from the kernel to the server
 *
 * Allocated by the sender; freed when its last reference goes: the waiter's
 * (guse_conn_call()), or the lists' (guse_conn_post() and guse_conn_send()
 * messages, which have no waiter), and a reader's while it copies it out.
 *
 * @node: entry in guse_conn.queue or guse_conn.sent; empty once answered
 * @ref: see above
 * @done: completed when answered or failed
 * @noreply: posted with guse_conn_post(): owned by the queue, never answered
 * @detached: sent with guse_conn_send(): answered, but nobody waits
 * @read: a server read it (set under guse_conn.lock)
 * @opcode: GUSE_OP_* (host order)
 * @id: request id (host order)
 * @error: result for the waiter
 * @out: buffer for the reply payload
 * @out_len: exact size of the reply payload
 * @len: size of @msg
 * @msg: the message as the server reads it
 */
struct guse_req {
	struct list_head node;
	refcount_t ref;
	struct completion done;
	bool noreply;
	bool detached;
	bool read;
	u16 opcode;
	u64 id;
	int error;
	void *out;
	size_t out_len;
	size_t len;
	struct guse_msg_header msg[];
};

static DEFINE_MUTEX(guse_fe_lock);
static const struct guse_frontend *guse_fe;

int guse_register_frontend(const struct guse_frontend *fe)
{
	int ret = 0;

	mutex_lock(&guse_fe_lock);
	if (guse_fe)
		ret = -EBUSY;
	else
		guse_fe = fe;
	mutex_unlock(&guse_fe_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(guse_register_frontend);

void guse_unregister_frontend(const struct guse_frontend *fe)
{
	mutex_lock(&guse_fe_lock);
	if (guse_fe == fe)
		guse_fe = NULL;
	mutex_unlock(&guse_fe_lock);
}
EXPORT_SYMBOL_GPL(guse_unregister_frontend);

/* Returns the registered frontend with its module pinned, or NULL. */
static const struct guse_frontend *guse_get_frontend(void)
{
	const struct guse_frontend *fe;

	mutex_lock(&guse_fe_lock);
	fe = guse_fe;
	if (fe && !try_module_get(fe->owner))
		fe = NULL;
	mutex_unlock(&guse_fe_lock);
	return fe;
}

void guse_conn_set_drvdata(struct guse_conn *conn, void *data)
{
	conn->drvdata = data;
}
EXPORT_SYMBOL_GPL(guse_conn_set_drvdata);

void *guse_conn_get_drvdata(struct guse_conn *conn)
{
	return conn->drvdata;
}
EXPORT_SYMBOL_GPL(guse_conn_get_drvdata);

struct pid *guse_conn_server_pid(struct guse_conn *conn)
{
	return conn->server;
}
EXPORT_SYMBOL_GPL(guse_conn_server_pid);

static struct guse_req *guse_req_alloc(u16 opcode, const void *in,
				       size_t in_len)
{
	size_t len = sizeof(struct guse_msg_header) + in_len;
	struct guse_req *req;

	if (len > GUSE_MSG_SIZE_MAX)
		return ERR_PTR(-EINVAL);
	req = kmalloc(sizeof(*req) + len, GFP_KERNEL_ACCOUNT);
	if (!req)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&req->node);
	refcount_set(&req->ref, 1);
	init_completion(&req->done);
	req->noreply = false;
	req->detached = false;
	req->read = false;
	req->opcode = opcode;
	req->id = 0;
	req->error = 0;
	req->out = NULL;
	req->out_len = 0;
	req->len = len;
	memset(req->msg, 0, sizeof(*req->msg));
	req->msg->len = cpu_to_le32(len);
	req->msg->opcode = cpu_to_le16(opcode);
	if (in_len)
		memcpy(req->msg + 1, in, in_len);
	return req;
}

static void guse_req_put(struct guse_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		kfree(req);
}

/* Ends a queued or sent request; called with conn->lock held. */
static void guse_req_finish(struct guse_req *req, int error)
{
	list_del_init(&req->node);
	if (req->noreply || req->detached) {
		guse_req_put(req);
		return;
	}
	req->error = error;
	complete(&req->done);
}

/* Whether @conn takes no more messages; conn->lock held. */
static bool guse_conn_closed(const struct guse_conn *conn)
{
	return conn->state == GUSE_CONN_DEAD || conn->aborting;
}

/* Requests fail at once on a dead, aborting or stalled connection. */
static int guse_conn_refuse(struct guse_conn *conn)
{
	if (guse_conn_closed(conn))
		return -ENODEV;
	if (conn->stalled && time_before(jiffies, conn->stalled_until))
		return -ETIMEDOUT;
	return 0;
}

/* The server read or wrote: it is alive.  Called with conn->lock held. */
static void guse_conn_unstall(struct guse_conn *conn)
{
	conn->stalled = false;
}

static bool guse_conn_slot_free(struct guse_conn *conn)
{
	bool ret;

	spin_lock(&conn->lock);
	ret = conn->in_flight < READ_ONCE(max_in_flight) ||
	      guse_conn_refuse(conn);
	spin_unlock(&conn->lock);
	return ret;
}

/* Tells the reader (a server's read() or the in-kernel server) of news. */
static void guse_conn_wake(struct guse_conn *conn)
{
	wake_up_interruptible(&conn->readq);
	if (conn->kserver)
		queue_work(guse_kwq, &conn->kwork);
}

/* Gives @req an id and queues it; called with conn->lock held. */
static void guse_conn_queue(struct guse_conn *conn, struct guse_req *req)
{
	req->id = ++conn->next_id;
	req->msg->id = cpu_to_le64(req->id);
	list_add_tail(&req->node, &conn->queue);
}

int guse_conn_call(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len, void *out, size_t out_len,
		   unsigned int timeout_ms)
{
	return guse_conn_call_seen(conn, opcode, in, in_len, out, out_len,
				   timeout_ms, NULL);
}
EXPORT_SYMBOL_GPL(guse_conn_call);

int guse_conn_call_seen(struct guse_conn *conn, u16 opcode, const void *in,
			size_t in_len, void *out, size_t out_len,
			unsigned int timeout_ms, bool *seen)
{
	unsigned long timeout = msecs_to_jiffies(timeout_ms);
	struct guse_req *req;
	long left;
	int ret;

	req = guse_req_alloc(opcode, in, in_len);
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->out = out;
	req->out_len = out_len;

	/* a full table is waited out, as uinput does, within the timeout */
	for (;;) {
		spin_lock(&conn->lock);
		ret = guse_conn_refuse(conn);
		if (ret)
			goto out_unlock;
		if (conn->in_flight < READ_ONCE(max_in_flight))
			break;
		spin_unlock(&conn->lock);
		left = wait_event_interruptible_timeout(conn->slotq,
							guse_conn_slot_free(conn),
							timeout);
		if (left < 0) {
			ret = -EINTR;
			goto out_put;
		}
		if (!left) {
			ret = -ETIMEDOUT;
			goto out_put;
		}
		timeout = left;
	}
	conn->in_flight++;
	guse_conn_queue(conn, req);
	spin_unlock(&conn->lock);
	guse_conn_wake(conn);

	left = wait_for_completion_interruptible_timeout(&req->done, timeout);

	spin_lock(&conn->lock);
	if (!list_empty(&req->node)) {
		guse_req_finish(req, left < 0 ? -EINTR : -ETIMEDOUT);
		if (!left) {
			conn->stalled = true;
			conn->stalled_until = jiffies +
					      msecs_to_jiffies(timeout_ms);
		}
	}
	conn->in_flight--;
	ret = req->error;
	if (seen)
		*seen = req->read;
	spin_unlock(&conn->lock);
	wake_up(&conn->slotq);
	goto out_put;
out_unlock:
	spin_unlock(&conn->lock);
out_put:
	guse_req_put(req);
	return ret;
}
EXPORT_SYMBOL_GPL(guse_conn_call_seen);

/* A message the server must not answer (GUSE_MSG_F_NOREPLY). */
static struct guse_req *guse_req_alloc_noreply(u16 opcode, const void *in,
					       size_t in_len)
{
	struct guse_req *req = guse_req_alloc(opcode, in, in_len);

	if (!IS_ERR(req)) {
		req->noreply = true;
		req->msg->flags = cpu_to_le16(GUSE_MSG_F_NOREPLY);
	}
	return req;
}

struct guse_req *guse_conn_prepare(u16 opcode, const void *in, size_t in_len)
{
	struct guse_req *req = guse_req_alloc(opcode, in, in_len);

	if (!IS_ERR(req))
		req->detached = true;
	return req;
}
EXPORT_SYMBOL_GPL(guse_conn_prepare);

void guse_conn_discard(struct guse_req *req)
{
	guse_req_put(req);
}
EXPORT_SYMBOL_GPL(guse_conn_discard);

int guse_conn_send_prepared(struct guse_conn *conn, struct guse_req *req)
{
	int ret;

	spin_lock(&conn->lock);
	ret = guse_conn_closed(conn) ? -ENODEV : 0;
	if (!ret)
		guse_conn_queue(conn, req);
	spin_unlock(&conn->lock);
	if (ret) {
		guse_req_put(req);
		return ret;
	}
	guse_conn_wake(conn);
	return 0;
}
EXPORT_SYMBOL_GPL(guse_conn_send_prepared);

int guse_conn_send(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len)
{
	struct guse_req *req = guse_conn_prepare(opcode, in, in_len);

	if (IS_ERR(req))
		return PTR_ERR(req);
	return guse_conn_send_prepared(conn, req);
}
EXPORT_SYMBOL_GPL(guse_conn_send);

/* Fails every queued and sent request; called with conn->lock held. */
static void guse_conn_fail_all(struct guse_conn *conn)
{
	struct guse_req *req, *tmp;

	list_for_each_entry_safe(req, tmp, &conn->queue, node)
		guse_req_finish(req, -ENODEV);
	list_for_each_entry_safe(req, tmp, &conn->sent, node)
		guse_req_finish(req, -ENODEV);
	conn->wakeup_queued = false;
}

void guse_conn_abort(struct guse_conn *conn)
{
	spin_lock(&conn->lock);
	conn->aborting = true;
	guse_conn_fail_all(conn);
	spin_unlock(&conn->lock);
	wake_up_all(&conn->slotq);
}
EXPORT_SYMBOL_GPL(guse_conn_abort);

int guse_conn_post(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len, bool first)
{
	struct guse_req *req;

	req = guse_req_alloc_noreply(opcode, in, in_len);
	if (IS_ERR(req))
		return PTR_ERR(req);

	spin_lock(&conn->lock);
	if (guse_conn_closed(conn)) {
		spin_unlock(&conn->lock);
		guse_req_put(req);
		return -ENODEV;
	}
	if (first)
		list_add(&req->node, &conn->queue);
	else
		list_add_tail(&req->node, &conn->queue);
	spin_unlock(&conn->lock);
	guse_conn_wake(conn);
	return 0;
}
EXPORT_SYMBOL_GPL(guse_conn_post);

int guse_conn_wakeup(struct guse_conn *conn)
{
	struct guse_req *req;
	bool queued;
	int ret;

	spin_lock(&conn->lock);
	queued = conn->wakeup_queued;
	spin_unlock(&conn->lock);
	if (queued)
		return 0;
	req = guse_req_alloc_noreply(GUSE_OP_WAKEUP, NULL, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);

	spin_lock(&conn->lock);
	/* closed, or another thread's came first */
	ret = guse_conn_closed(conn) ? -ENODEV : 0;
	if (ret || conn->wakeup_queued) {
		spin_unlock(&conn->lock);
		guse_req_put(req);
		return ret;
	}
	conn->wakeup_queued = true;
	list_add(&req->node, &conn->queue);
	spin_unlock(&conn->lock);
	guse_conn_wake(conn);
	return 0;
}
EXPORT_SYMBOL_GPL(guse_conn_wakeup);

static void guse_kconn_work(struct work_struct *work);

static struct guse_conn *guse_conn_alloc(void)
{
	struct guse_conn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return NULL;
	spin_lock_init(&conn->lock);
	INIT_LIST_HEAD(&conn->queue);
	INIT_LIST_HEAD(&conn->sent);
	init_waitqueue_head(&conn->readq);
	init_waitqueue_head(&conn->slotq);
	mutex_init(&conn->create_lock);
	INIT_WORK(&conn->kwork, guse_kconn_work);
	conn->state = GUSE_CONN_NEW;
	return conn;
}

static int guse_open(struct inode *inode, struct file *file)
{
	struct guse_conn *conn = guse_conn_alloc();

	if (!conn)
		return -ENOMEM;
	conn->server = get_pid(task_tgid(current));
	file->private_data = conn;
	return stream_open(inode, file);
}

/* The server is gone: fail everything, remove the device, free @conn. */
static void guse_conn_close(struct guse_conn *conn)
{
	bool live;

	spin_lock(&conn->lock);
	live = conn->state == GUSE_CONN_LIVE;
	conn->state = GUSE_CONN_DEAD;
	guse_conn_fail_all(conn);
	spin_unlock(&conn->lock);
	wake_up_interruptible_all(&conn->readq);
	wake_up_all(&conn->slotq);
	/* an in-kernel server is not in the middle of a message any more */
	if (conn->kserver)
		cancel_work_sync(&conn->kwork);

	if (live) {
		conn->fe->destroy(conn);
		module_put(conn->fe->owner);
	}
	/* the destroy may have queued messages; nobody reads them now */
	if (conn->kserver)
		cancel_work_sync(&conn->kwork);
	put_pid(conn->server);
	mutex_destroy(&conn->create_lock);
	kfree(conn);
}

static int guse_release(struct inode *inode, struct file *file)
{
	guse_conn_close(file->private_data);
	return 0;
}

static bool guse_conn_readable(struct guse_conn *conn)
{
	bool ret;

	spin_lock(&conn->lock);
	ret = !list_empty(&conn->queue);
	spin_unlock(&conn->lock);
	return ret;
}

/*
 * A reader takes the first queued message: the reader's reference is the
 * queue's for a message without reply, a new one otherwise (the message
 * then waits in conn->sent for its reply).  Called with conn->lock held.
 */
static void guse_conn_take(struct guse_conn *conn, struct guse_req *req)
{
	guse_conn_unstall(conn);
	if (req->noreply) {
		list_del_init(&req->node);
		if (req->opcode == GUSE_OP_WAKEUP)
			conn->wakeup_queued = false;
	} else {
		list_move_tail(&req->node, &conn->sent);
		req->read = true;
		refcount_inc(&req->ref);
	}
}

static ssize_t guse_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct guse_conn *conn = file->private_data;
	struct guse_req *req;
	ssize_t ret;

	for (;;) {
		spin_lock(&conn->lock);
		if (!list_empty(&conn->queue))
			break;
		spin_unlock(&conn->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(conn->readq,
					       guse_conn_readable(conn));
		if (ret)
			return ret;
	}

	req = list_first_entry(&conn->queue, struct guse_req, node);
	if (count < req->len) {
		spin_unlock(&conn->lock);
		return -EINVAL;
	}
	guse_conn_take(conn, req);
	spin_unlock(&conn->lock);

	ret = req->len;
	if (copy_to_user(buf, req->msg, req->len)) {
		spin_lock(&conn->lock);
		if (!list_empty(&req->node))
			guse_req_finish(req, -EIO);
		spin_unlock(&conn->lock);
		ret = -EFAULT;
	}
	guse_req_put(req);
	return ret;
}

static int guse_server_errno(u32 error)
{
	if (error <= GUSE_SERVER_ERRNO_MAX)
		return -(int)error;
	return -EIO;
}

static int guse_conn_reply(struct guse_conn *conn,
			   const struct guse_msg_header *hdr,
			   const void *payload, size_t len)
{
	u32 error = le32_to_cpu(hdr->error);
	u64 id = le64_to_cpu(hdr->id);
	struct guse_req *req;
	int ret = -ENOENT;

	if (error > MAX_ERRNO || (error && len))
		return -EINVAL;

	spin_lock(&conn->lock);
	/* replies before CREATE are malformed, not late */
	if (conn->state == GUSE_CONN_NEW && list_empty(&conn->sent))
		ret = -EINVAL;
	guse_conn_unstall(conn);
	list_for_each_entry(req, &conn->sent, node) {
		if (req->id != id)
			continue;
		if (req->opcode != le16_to_cpu(hdr->opcode) ||
		    (!error && len != req->out_len)) {
			ret = -EINVAL;
			break;
		}
		if (!error && len)
			memcpy(req->out, payload, len);
		guse_req_finish(req, error ? guse_server_errno(error) : 0);
		ret = 0;
		break;
	}
	spin_unlock(&conn->lock);
	return ret;
}

static int guse_conn_create(struct guse_conn *conn, const void *payload,
			    size_t len)
{
	const struct guse_frontend *fe;
	int ret;

	mutex_lock(&conn->create_lock);
	if (conn->state != GUSE_CONN_NEW) {
		ret = -EEXIST;
		goto out_unlock;
	}
	fe = guse_get_frontend();
	if (!fe) {
		request_module("guse-frontend");
		fe = guse_get_frontend();
	}
	if (!fe) {
		ret = -ENODEV;
		goto out_unlock;
	}
	/* calls made by the frontend while it creates need conn->fe */
	conn->fe = fe;
	ret = fe->create(conn, payload, len);
	if (ret) {
		/* after guse_conn_abort() the connection is fresh again */
		spin_lock(&conn->lock);
		conn->aborting = false;
		spin_unlock(&conn->lock);
		conn->fe = NULL;
		module_put(fe->owner);
		goto out_unlock;
	}
	spin_lock(&conn->lock);
	/* pairs with the acquire in guse_conn_message(): conn->fe is set */
	smp_store_release(&conn->state, GUSE_CONN_LIVE);
	spin_unlock(&conn->lock);
out_unlock:
	mutex_unlock(&conn->create_lock);
	return ret;
}

static int guse_conn_message(struct guse_conn *conn, const void *msg,
			     size_t count)
{
	const struct guse_msg_header *hdr = msg;
	const void *payload = hdr + 1;
	size_t len = count - sizeof(*hdr);
	u16 opcode = le16_to_cpu(hdr->opcode);

	if (le32_to_cpu(hdr->len) != count || hdr->flags || hdr->reserved)
		return -EINVAL;
	/*
	 * Replies need no device: a second server thread may answer what it
	 * read between READY and the end of CREATE.
	 */
	if (hdr->id)
		return guse_conn_reply(conn, hdr, payload, len);
	if (hdr->error)
		return -EINVAL;
	if (opcode == GUSE_OP_CREATE)
		return guse_conn_create(conn, payload, len);
	/* pairs with the release in guse_conn_create(): conn->fe is set */
	if (smp_load_acquire(&conn->state) != GUSE_CONN_LIVE)
		return -EINVAL;
	return conn->fe->notify(conn, opcode, payload, len);
}

static ssize_t guse_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct guse_conn *conn = file->private_data;
	u64 small[GUSE_SMALL_MSG / sizeof(u64)];
	void *msg = small;
	int ret;

	if (count < sizeof(struct guse_msg_header) || count > GUSE_MSG_SIZE_MAX)
		return -EINVAL;
	if (count > sizeof(small)) {
		msg = kvmalloc(count, GFP_KERNEL_ACCOUNT);
		if (!msg)
			return -ENOMEM;
	}
	if (copy_from_user(msg, buf, count))
		ret = -EFAULT;
	else
		ret = guse_conn_message(conn, msg, count);
	if (msg != small)
		kvfree(msg);
	return ret ? ret : count;
}

/* Hands each queued message to the in-kernel server, as read() would. */
static void guse_kconn_work(struct work_struct *work)
{
	struct guse_conn *conn = container_of(work, struct guse_conn, kwork);
	struct guse_req *req;

	for (;;) {
		spin_lock(&conn->lock);
		if (conn->state == GUSE_CONN_DEAD || list_empty(&conn->queue)) {
			spin_unlock(&conn->lock);
			return;
		}
		req = list_first_entry(&conn->queue, struct guse_req, node);
		guse_conn_take(conn, req);
		spin_unlock(&conn->lock);
		conn->kserver->message(conn, req->msg, req->len, conn->kdata);
		guse_req_put(req);
	}
}

struct guse_conn *guse_kconn_open(const struct guse_kernel_server *srv,
				  void *data, struct device *parent)
{
	struct guse_conn *conn = guse_conn_alloc();

	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->kserver = srv;
	conn->kdata = data;
	conn->kparent = parent;
	return conn;
}
EXPORT_SYMBOL_GPL(guse_kconn_open);

int guse_kconn_write(struct guse_conn *conn, const void *msg, size_t len)
{
	if (len < sizeof(struct guse_msg_header) || len > GUSE_MSG_SIZE_MAX)
		return -EINVAL;
	return guse_conn_message(conn, msg, len);
}
EXPORT_SYMBOL_GPL(guse_kconn_write);

void guse_kconn_close(struct guse_conn *conn)
{
	guse_conn_close(conn);
}
EXPORT_SYMBOL_GPL(guse_kconn_close);

struct device *guse_conn_parent(struct guse_conn *conn)
{
	return conn->kparent;
}
EXPORT_SYMBOL_GPL(guse_conn_parent);

static __poll_t guse_poll(struct file *file, struct poll_table_struct *wait)
{
	struct guse_conn *conn = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &conn->readq, wait);
	if (guse_conn_readable(conn))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations guse_fops = {
	.owner		= THIS_MODULE,
	.open		= guse_open,
	.release	= guse_release,
	.read		= guse_read,
	.write		= guse_write,
	.poll		= guse_poll,
};

static struct miscdevice guse_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "guse",
	.fops		= &guse_fops,
	.mode		= 0600,
};

static int __init guse_init(void)
{
	int ret;

	if (!max_in_flight)
		max_in_flight = 1;
	guse_kwq = alloc_workqueue("guse-kconn", WQ_UNBOUND, 0);
	if (!guse_kwq)
		return -ENOMEM;
	ret = misc_register(&guse_misc);
	if (ret)
		destroy_workqueue(guse_kwq);
	return ret;
}
module_init(guse_init);

static void __exit guse_exit(void)
{
	misc_deregister(&guse_misc);
	destroy_workqueue(guse_kwq);
}
module_exit(guse_exit);

MODULE_DESCRIPTION("guse: request channel for devices implemented in userspace");
MODULE_AUTHOR("The guse developers");
MODULE_LICENSE("GPL");
