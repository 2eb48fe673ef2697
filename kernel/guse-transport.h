/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guse transport: the interface guse.ko offers to a device frontend.
 *
 * guse.ko owns /dev/guse.  Each open file is one connection (struct
 * guse_conn) to one userspace server.  The transport queues requests, gives
 * them unique ids, waits for replies with a timeout and fails every waiter
 * when the server goes away.  It knows nothing of GPIO: the first message of
 * a connection (GUSE_OP_CREATE) and every notification are handed to the
 * registered frontend, which creates and drives the actual device.
 */
#ifndef _GUSE_TRANSPORT_H
#define _GUSE_TRANSPORT_H

#include <linux/types.h>

struct device;
struct guse_conn;
struct guse_msg_header;
struct guse_req;
struct module;
struct pid;

/**
 * struct guse_frontend - a device type served over /dev/guse
 * @owner: module implementing the frontend; pinned while it has devices
 * @create: called for the first message of a connection, which must be
 *	GUSE_OP_CREATE.  @payload and @len are the message without its header,
 *	already copied from userspace (but not validated).  Runs in the
 *	server's write() and may sleep.  Returns 0 or a negative errno, which
 *	write() returns; on error the connection stays fresh and the server may
 *	retry.  Frontend data is attached with guse_conn_set_drvdata().
 * @notify: called for every server message with id 0 after a successful
 *	create.  Runs in the server's write() and may sleep.  Returns 0 or a
 *	negative errno for write() to return.
 * @destroy: called once when the server closes the connection, after every
 *	waiting request has been failed with -ENODEV and while new requests
 *	already fail at once.  The frontend removes its device and must make
 *	sure that no call into the transport for @conn is running or can start
 *	when it returns.
 */
struct guse_frontend {
	struct module *owner;
	int (*create)(struct guse_conn *conn, const void *payload, size_t len);
	int (*notify)(struct guse_conn *conn, u16 opcode, const void *payload,
		      size_t len);
	void (*destroy)(struct guse_conn *conn);
};

/**
 * guse_register_frontend() - make a frontend serve /dev/guse connections
 * @fe: the frontend; must stay valid until guse_unregister_frontend()
 *
 * Only one frontend can be registered at a time.
 *
 * Return: 0, or -EBUSY if another frontend is registered.
 */
int guse_register_frontend(const struct guse_frontend *fe);

/**
 * guse_unregister_frontend() - stop serving new connections
 * @fe: the frontend passed to guse_register_frontend()
 *
 * Connections that already created a device keep the frontend's module
 * pinned, so this only runs when none is left.
 */
void guse_unregister_frontend(const struct guse_frontend *fe);

/**
 * guse_conn_call() - send a request to the server and wait for its reply
 * @conn: the connection
 * @opcode: GUSE_OP_* of the request
 * @in: request payload (without header)
 * @in_len: size of @in
 * @out: buffer for the reply payload, or NULL when @out_len is 0
 * @out_len: exact payload size a successful reply must carry; the
 *	transport rejects any other size (the server's write() fails with
 *	-EINVAL and the request stays pending)
 * @timeout_ms: how long to wait for the reply
 *
 * May sleep.  When the connection already has its maximum of requests in
 * flight, waits for a free slot within the same timeout.  A signal ends the
 * wait early.  A request that timed out before the server read it is taken
 * off the queue; the server never sees it.  After a timeout, requests fail
 * at once with -ETIMEDOUT for one more timeout period, unless the server
 * reads or writes in the meantime, so that one consumer operation (several
 * callbacks) waits for a silent server only once.
 *
 * Return: 0 when the server replied with success (and @out is filled);
 * the negated errno the server replied with (values 1..133 pass, 134 up to
 * MAX_ERRNO become -EIO; the transport rejects larger ones in write());
 * -ETIMEDOUT without a reply in time; -EINTR on a signal; -ENODEV when the
 * server is gone; -ENOMEM.
 */
int guse_conn_call(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len, void *out, size_t out_len,
		   unsigned int timeout_ms);

/**
 * guse_conn_call_seen() - guse_conn_call(), telling whether the server saw it
 * @conn: the connection
 * @opcode: GUSE_OP_* of the request
 * @in: request payload (without header)
 * @in_len: size of @in
 * @out: buffer for the reply payload, or NULL when @out_len is 0
 * @out_len: exact payload size a successful reply must carry
 * @timeout_ms: how long to wait for the reply
 * @seen: set to whether a server read the request (a request that timed
 *	out or was interrupted may have been acted on then), or NULL
 *
 * Return: as guse_conn_call().
 */
int guse_conn_call_seen(struct guse_conn *conn, u16 opcode, const void *in,
			size_t in_len, void *out, size_t out_len,
			unsigned int timeout_ms, bool *seen);

/**
 * guse_conn_prepare() - allocate a request to send later without waiting
 * @opcode: GUSE_OP_* of the request
 * @in: request payload (without header)
 * @in_len: size of @in
 *
 * For a message that must reach the server at a moment when allocating
 * could fail: it is allocated beforehand, then sent with
 * guse_conn_send_prepared() or freed with guse_conn_discard().
 *
 * Return: the request, or an ERR_PTR (-ENOMEM, -EINVAL when too large).
 */
struct guse_req *guse_conn_prepare(u16 opcode, const void *in, size_t in_len);

/**
 * guse_conn_send_prepared() - send a prepared request without waiting
 * @conn: the connection
 * @req: from guse_conn_prepare(); owned by the connection from now on
 *
 * As guse_conn_send(), without allocating.  Never sleeps.
 *
 * Return: 0, or -ENODEV when the server is gone (@req is freed).
 */
int guse_conn_send_prepared(struct guse_conn *conn, struct guse_req *req);

/**
 * guse_conn_discard() - free a prepared request that will not be sent
 * @req: from guse_conn_prepare()
 */
void guse_conn_discard(struct guse_req *req);

/**
 * guse_conn_send() - send a request without waiting for its reply
 * @conn: the connection
 * @opcode: GUSE_OP_* of the request
 * @in: request payload (without header)
 * @in_len: size of @in
 *
 * For messages the server must always see (a line was released, an
 * interrupt was reconfigured) from places that must not wait for it.  The
 * request is an ordinary one for the server, which answers it; the answer is
 * checked like any other and then dropped.  It does not count towards the
 * in-flight limit, never times out and is dropped only when the server goes
 * away.  May sleep (allocates with GFP_KERNEL), never waits for the server.
 *
 * Return: 0, -ENODEV when the server is gone, or -ENOMEM.
 */
int guse_conn_send(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len);

/**
 * guse_conn_abort() - fail everything queued while a CREATE fails
 * @conn: the connection whose frontend create callback is failing
 *
 * For a create callback that fails after its device became visible:
 * fails every waiting request with -ENODEV and drops every queued message;
 * requests and messages sent until the callback returns fail with -ENODEV.
 * Afterwards the connection is fresh again.
 */
void guse_conn_abort(struct guse_conn *conn);

/**
 * guse_conn_post() - queue a message that the server must not answer
 * @conn: the connection
 * @opcode: GUSE_OP_* of the message
 * @in: payload (without header)
 * @in_len: size of @in
 * @first: queue ahead of everything already queued
 *
 * May sleep (allocates with GFP_KERNEL).
 *
 * Return: 0, -ENODEV when the server is gone, or -ENOMEM.
 */
int guse_conn_post(struct guse_conn *conn, u16 opcode, const void *in,
		   size_t in_len, bool first);

/**
 * guse_conn_wakeup() - queue a GUSE_OP_WAKEUP for the server to read
 * @conn: the connection
 *
 * Queues a GUSE_OP_WAKEUP message without payload or reply ahead of every
 * other message, unless one the server has not read yet is queued (so a
 * server cannot make the queue grow with them).  May sleep.
 *
 * Return: 0, -ENODEV when the server is gone, or -ENOMEM.
 */
int guse_conn_wakeup(struct guse_conn *conn);

/**
 * guse_conn_set_drvdata() - attach frontend data to a connection
 * @conn: the connection
 * @data: frontend data
 */
void guse_conn_set_drvdata(struct guse_conn *conn, void *data);

/**
 * guse_conn_get_drvdata() - frontend data attached to a connection
 * @conn: the connection
 *
 * Return: what guse_conn_set_drvdata() stored, or NULL.
 */
void *guse_conn_get_drvdata(struct guse_conn *conn);

/**
 * guse_conn_server_pid() - the process that opened the connection
 * @conn: the connection
 *
 * Return: the pid of the thread group that opened /dev/guse (no reference
 * taken; valid as long as @conn is).
 */
struct pid *guse_conn_server_pid(struct guse_conn *conn);

/**
 * struct guse_kernel_server - a server inside the kernel
 * @message: called for each message the frontend sends on the connection,
 *	one at a time and in order, from a worker (may sleep).  @msg is the
 *	message as a server's read() returns it (@len bytes, header first),
 *	valid during the call.  Requests are answered with guse_kconn_write(),
 *	in the call or later, from any context that may sleep.
 */
struct guse_kernel_server {
	void (*message)(struct guse_conn *conn,
			const struct guse_msg_header *msg, size_t len,
			void *data);
};

/**
 * guse_kconn_open() - a connection whose server is in the kernel
 * @srv: the server; must stay valid until guse_kconn_close()
 * @data: passed to @srv's callback
 * @parent: the device the frontend's device is to be a child of, or NULL
 *
 * A module that serves devices itself (gpio-sim's configfs interface on
 * kernels without gpio-sim) uses the frontends of /dev/guse through this:
 * it writes CREATE, replies and notifications with guse_kconn_write() and
 * gets every message the frontend sends in @srv's callback instead of a
 * read().  Everything else is as for a /dev/guse file.
 *
 * Return: the connection, or an ERR_PTR (-ENOMEM).
 */
struct guse_conn *guse_kconn_open(const struct guse_kernel_server *srv,
				  void *data, struct device *parent);

/**
 * guse_kconn_write() - what a server's write() does, for a kernel connection
 * @conn: from guse_kconn_open()
 * @msg: one message, header first, in a kernel buffer
 * @len: its size
 *
 * Return: 0 or the negative errno a write() would fail with.
 */
int guse_kconn_write(struct guse_conn *conn, const void *msg, size_t len);

/**
 * guse_kconn_close() - what closing the file does, for a kernel connection
 * @conn: from guse_kconn_open(); freed
 *
 * Fails the requests waiting, waits for @srv's callback to return, removes
 * the device.  Must not be called from that callback.
 */
void guse_kconn_close(struct guse_conn *conn);

/**
 * guse_conn_parent() - where the device of a connection belongs
 * @conn: the connection
 *
 * Return: the parent given to guse_kconn_open(), or NULL (a /dev/guse file:
 * the frontend chooses).
 */
struct device *guse_conn_parent(struct guse_conn *conn);

#endif /* _GUSE_TRANSPORT_H */
