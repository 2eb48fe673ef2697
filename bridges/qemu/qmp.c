// SPDX-License-Identifier: GPL-2.0-or-later
/* QMP client on jansson: see qmp.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "sock.h"

/* A command sent and not answered yet. */
struct qmp_cmd {
	long long id;
	qmp_reply_fn fn;
	void *arg;
	struct qmp_cmd *next;
};

struct qmp {
	int fd;
	int failed;		/* errno of the end of the connection, or 0 */
	int version;
	long long next_id;
	struct qmp_lines in;
	struct outbuf out;	/* queued output */
	struct qmp_cmd *cmds;	/* in the order sent */
	qmp_event_fn event_fn;
	void *event_arg;
	int greeted;
};

int qmp_lines_feed(struct qmp_lines *l, const char *data, size_t n)
{
	if (l->len + n > QMP_MESSAGE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (l->len + n + 1 > l->cap) {
		size_t cap = (l->len + n + 1) * 2;
		char *p = realloc(l->buf, cap);

		if (!p)
			return -1;
		l->buf = p;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	return 0;
}

char *qmp_lines_next(struct qmp_lines *l, int *err)
{
	char *nl, *line;
	size_t n;

	*err = 0;
	nl = l->len ? memchr(l->buf, '\n', l->len) : NULL;
	if (!nl)
		return NULL;
	n = nl - l->buf;
	line = malloc(n + 1);
	if (!line) {
		*err = ENOMEM;
		return NULL;
	}
	memcpy(line, l->buf, n);
	line[n] = '\0';
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	memmove(l->buf, nl + 1, l->len - n - 1);
	l->len -= n + 1;
	return line;
}

void qmp_lines_free(struct qmp_lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

int qmp_message_kind(json_t *msg, long long *id)
{
	json_t *v;

	*id = -1;
	if (!json_is_object(msg))
		return 0;
	if (json_object_get(msg, "return") || json_object_get(msg, "error")) {
		v = json_object_get(msg, "id");
		if (json_is_integer(v))
			*id = json_integer_value(v);
		return 1;
	}
	if (json_is_string(json_object_get(msg, "event")))
		return 2;
	if (json_is_object(json_object_get(msg, "QMP")))
		return 3;
	return 0;
}

static void qmp_fail(struct qmp *q, int err)
{
	struct qmp_cmd *c;

	if (!q->failed)
		q->failed = err;
	while ((c = q->cmds)) {
		q->cmds = c->next;
		if (c->fn)
			c->fn(c->arg, NULL, strerror(q->failed));
		free(c);
	}
}

void qmp_free(struct qmp *q)
{
	if (!q)
		return;
	qmp_fail(q, EPIPE);
	if (q->fd >= 0)
		close(q->fd);
	qmp_lines_free(&q->in);
	free(q->out.buf);
	free(q);
}

int qmp_get_fd(struct qmp *q)
{
	return q->fd;
}

int qmp_wants_write(struct qmp *q)
{
	return outbuf_pending(&q->out);
}

int qmp_get_version(struct qmp *q)
{
	return q->version;
}

void qmp_set_event_handler(struct qmp *q, qmp_event_fn fn, void *arg)
{
	q->event_fn = fn;
	q->event_arg = arg;
}

static int qmp_flush(struct qmp *q)
{
	return outbuf_flush(&q->out, q->fd);
}

int qmp_send(struct qmp *q, const char *cmd, json_t *args, qmp_reply_fn fn, void *arg)
{
	struct qmp_cmd *c, **tail;
	json_t *msg;
	char *text;
	size_t n;

	if (q->failed) {
		json_decref(args);
		errno = EPIPE;
		return -1;
	}
	c = calloc(1, sizeof(*c));
	msg = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)q->next_id);
	if (!c || !msg || (args && json_object_set_new(msg, "arguments", args) < 0)) {
		if (!msg)
			json_decref(args);
		json_decref(msg);
		free(c);
		errno = ENOMEM;
		return -1;
	}
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text) {
		free(c);
		errno = ENOMEM;
		return -1;
	}
	n = strlen(text);
	if (outbuf_reserve(&q->out, n + 1) < 0) {
		free(text);
		free(c);
		return -1;
	}
	memcpy(q->out.buf + q->out.len, text, n);
	q->out.len += n;
	q->out.buf[q->out.len++] = '\n';
	free(text);
	c->id = q->next_id++;
	c->fn = fn;
	c->arg = arg;
	for (tail = &q->cmds; *tail; tail = &(*tail)->next)
		;
	*tail = c;
	if (qmp_flush(q) < 0) {
		qmp_fail(q, errno);
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static void qmp_handle_answer(struct qmp *q, json_t *msg, long long id)
{
	struct qmp_cmd *c, **pp;
	json_t *e;
	const char *desc;

	for (pp = &q->cmds; (c = *pp); pp = &c->next)
		if (c->id == id)
			break;
	if (!c)
		return;	/* not ours (or without id): ignored */
	*pp = c->next;
	if (c->fn) {
		e = json_object_get(msg, "error");
		if (e) {
			desc = json_string_value(json_object_get(e, "desc"));
			c->fn(c->arg, NULL, desc ? desc : "error without description");
		} else {
			c->fn(c->arg, json_object_get(msg, "return"), NULL);
		}
	}
	free(c);
}

static void qmp_handle_greeting(struct qmp *q, json_t *msg)
{
	json_t *v = json_object_get(json_object_get(json_object_get(msg, "QMP"),
						    "version"), "qemu");

	q->greeted = 1;
	q->version = json_integer_value(json_object_get(v, "major")) * 10000 +
		     json_integer_value(json_object_get(v, "minor")) * 100 +
		     json_integer_value(json_object_get(v, "micro"));
}

int qmp_dispatch(struct qmp *q)
{
	char buf[65536];

	if (q->failed) {
		errno = q->failed;
		return -1;
	}
	if (qmp_flush(q) < 0)
		goto fail;
	for (;;) {
		ssize_t n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
		char *line;
		int err;

		if (n == 0) {
			errno = ECONNRESET;
			goto fail;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			goto fail;
		}
		if (qmp_lines_feed(&q->in, buf, n) < 0)
			goto fail;
		while ((line = qmp_lines_next(&q->in, &err))) {
			json_t *msg = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
			long long id;

			free(line);
			if (!msg) {
				errno = EPROTO;
				goto fail;
			}
			switch (qmp_message_kind(msg, &id)) {
			case 1:
				qmp_handle_answer(q, msg, id);
				break;
			case 2:
				if (q->event_fn)
					q->event_fn(q->event_arg,
						    json_string_value(json_object_get(msg, "event")),
						    json_object_get(msg, "data"));
				break;
			case 3:
				qmp_handle_greeting(q, msg);
				break;
			default:
				break;
			}
			json_decref(msg);
		}
		if (err) {
			errno = err;
			goto fail;
		}
	}
fail:
	qmp_fail(q, errno);
	errno = q->failed;
	return -1;
}

struct qmp_wait {
	int done;
	json_t *ret;
	char *err;
	size_t size;
};

static void qmp_wait_reply(void *arg, json_t *ret, const char *err)
{
	struct qmp_wait *w = arg;

	w->done = 1;
	if (ret)
		w->ret = json_incref(ret);
	else if (w->size)
		snprintf(w->err, w->size, "%s", err);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Dispatch until *@done or the deadline. */
static int qmp_wait(struct qmp *q, long long deadline, const int *done)
{
	while (!*done) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		long long left = deadline - now_ms();

		if (qmp_wants_write(q))
			p.events |= POLLOUT;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -1;
		if (qmp_dispatch(q) < 0 && !*done)
			return -1;
	}
	return 0;
}

json_t *qmp_call(struct qmp *q, int timeout_ms, char *err, size_t size,
		 const char *cmd, json_t *args)
{
	struct qmp_wait w = { .err = err, .size = size };
	struct qmp_cmd *c, **pp;

	if (size)
		err[0] = '\0';
	if (qmp_send(q, cmd, args, qmp_wait_reply, &w) < 0) {
		snprintf(err, size, "%s: %s", cmd, strerror(errno));
		return NULL;
	}
	if (qmp_wait(q, now_ms() + timeout_ms, &w.done) < 0) {
		int e = errno;

		/* forget the command: w goes out of scope */
		for (pp = &q->cmds; (c = *pp); pp = &c->next)
			if (c->arg == &w) {
				*pp = c->next;
				free(c);
				break;
			}
		if (!w.done || !w.ret)
			snprintf(err, size, "%s: %s", cmd,
				 e == ETIMEDOUT ? "no answer from QEMU" : strerror(e));
		errno = e;
		return NULL;
	}
	if (!w.ret)
		errno = EREMOTEIO;
	return w.ret;
}

struct qmp *qmp_connect_fd(int fd, int timeout_ms, char *err, size_t size)
{
	long long deadline = now_ms() + timeout_ms;
	struct qmp *q = calloc(1, sizeof(*q));
	json_t *r;
	int e;

	if (!q) {
		snprintf(err, size, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	q->fd = fd;
	if (qmp_wait(q, deadline, &q->greeted) < 0) {
		e = errno;
		snprintf(err, size, "no QMP greeting (%s)",
			 e == ETIMEDOUT ? "is another client connected?" : strerror(e));
		q->fd = -1;
		qmp_free(q);
		errno = e;
		return NULL;
	}
	r = qmp_call(q, deadline - now_ms() > 0 ? deadline - now_ms() : 1, err, size,
		     "qmp_capabilities", NULL);
	if (!r) {
		e = errno;
		q->fd = -1;
		qmp_free(q);
		errno = e;
		return NULL;
	}
	json_decref(r);
	return q;
}

struct qmp *qmp_connect(const char *path, int timeout_ms, char *err, size_t size)
{
	struct qmp *q;
	char why[200];
	int fd = sock_connect_unix(path), e;

	if (fd < 0) {
		e = errno;
		if (e == ENAMETOOLONG)
			snprintf(err, size, "%s: path too long", path);
		else
			snprintf(err, size, "cannot connect to %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	q = qmp_connect_fd(fd, timeout_ms, why, sizeof(why));
	if (!q) {
		e = errno;
		close(fd);
		snprintf(err, size, "%s: %s", path, why);
		errno = e;
	}
	return q;
}
