// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest client: commands are queued and written as the socket takes them;
 * their answers come back in order and go to the callback given with each
 * command, IRQ lines to the IRQ handler.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qtest.h"
#include "sock.h"

/* A command sent and not answered yet; freed once its callback ran. */
struct qtest_cmd {
	qtest_reply_fn fn;
	void *arg;
	struct qtest_cmd *next;
};

struct qtest {
	int fd;
	int failed;		/* errno of the end of the connection, or 0 */
	char in[QTEST_LINE_MAX + 2];
	size_t in_len;
	struct outbuf out;	/* queued output */
	struct qtest_cmd *head, *tail;
	unsigned int pending;
	qtest_irq_fn irq_fn;
	void *irq_arg;
};

enum qtest_line_kind qtest_parse_line(const char *line, struct qtest_line *out)
{
	const char *p;
	char *end;
	unsigned long n;

	memset(out, 0, sizeof(*out));
	out->text = "";
	if (!strcmp(line, "OK") || !strncmp(line, "OK ", 3)) {
		out->kind = QTEST_LINE_OK;
		out->text = line[2] ? line + 3 : "";
	} else if (!strncmp(line, "FAIL", 4) && (!line[4] || line[4] == ' ')) {
		out->kind = QTEST_LINE_FAIL;
		out->text = line[4] ? line + 5 : "";
	} else if (!strncmp(line, "ERR", 3) && (!line[3] || line[3] == ' ')) {
		out->kind = QTEST_LINE_FAIL;
		out->text = line[3] ? line + 4 : "";
	} else if (!strncmp(line, "IRQ raise ", 10) || !strncmp(line, "IRQ lower ", 10)) {
		p = line + 10;
		if (*p < '0' || *p > '9')
			return out->kind = QTEST_LINE_BAD;
		errno = 0;
		n = strtoul(p, &end, 10);
		if (errno || *end || n > 0x7fffffffUL)
			return out->kind = QTEST_LINE_BAD;
		out->kind = QTEST_LINE_IRQ;
		out->irq = n;
		out->level = line[4] == 'r';
	} else {
		out->kind = QTEST_LINE_BAD;
	}
	return out->kind;
}

int qtest_parse_value(const char *text, uint64_t *value)
{
	unsigned long long v;
	char *end;

	if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || !text[2])
		return -1;
	for (const char *p = text + 2; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return -1;
	if (strlen(text + 2) > 16)
		return -1;
	errno = 0;
	v = strtoull(text + 2, &end, 16);
	if (errno || *end)
		return -1;
	*value = v;
	return 0;
}

struct qtest *qtest_new_fd(int fd)
{
	struct qtest *qt = calloc(1, sizeof(*qt));

	if (!qt)
		return NULL;
	qt->fd = fd;
	return qt;
}

struct qtest *qtest_connect(const char *path)
{
	struct qtest *qt;
	int fd = sock_connect_unix(path);

	if (fd < 0)
		return NULL;
	qt = qtest_new_fd(fd);
	if (!qt) {
		close(fd);
		errno = ENOMEM;
	}
	return qt;
}

/* The connection is over: every waiting command learns it. */
static void qtest_fail(struct qtest *qt, int err)
{
	struct qtest_cmd *c;

	if (!qt->failed)
		qt->failed = err;
	while ((c = qt->head)) {
		qt->head = c->next;
		if (!qt->head)
			qt->tail = NULL;
		qt->pending--;
		if (c->fn)
			c->fn(c->arg, -1, strerror(qt->failed));
		free(c);
	}
}

void qtest_free(struct qtest *qt)
{
	if (!qt)
		return;
	qtest_fail(qt, EPIPE);
	if (qt->fd >= 0)
		close(qt->fd);
	free(qt->out.buf);
	free(qt);
}

int qtest_get_fd(struct qtest *qt)
{
	return qt->fd;
}

int qtest_wants_write(struct qtest *qt)
{
	return outbuf_pending(&qt->out);
}

int qtest_failed(struct qtest *qt)
{
	return qt->failed;
}

unsigned int qtest_pending(struct qtest *qt)
{
	return qt->pending;
}

void qtest_set_irq_handler(struct qtest *qt, qtest_irq_fn fn, void *arg)
{
	qt->irq_fn = fn;
	qt->irq_arg = arg;
}

/* Write as much queued output as the socket takes. */
static int qtest_flush(struct qtest *qt)
{
	return outbuf_flush(&qt->out, qt->fd);
}

static int qtest_vsend(struct qtest *qt, qtest_reply_fn fn, void *arg,
		       const char *fmt, va_list ap)
{
	struct qtest_cmd *c;
	va_list aq;
	int len;

	if (qt->failed) {
		errno = EPIPE;
		return -1;
	}
	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		return -1;
	if (outbuf_reserve(&qt->out, len + 2) < 0)
		return -1;
	vsnprintf(qt->out.buf + qt->out.len, len + 1, fmt, ap);
	if (memchr(qt->out.buf + qt->out.len, '\n', len)) {
		errno = EINVAL;
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	qt->out.len += len;
	qt->out.buf[qt->out.len++] = '\n';
	c->fn = fn;
	c->arg = arg;
	if (qt->tail)
		qt->tail->next = c;
	else
		qt->head = c;
	qt->tail = c;
	qt->pending++;
	/*
	 * Queued: from here on the callback is the command's only report (a
	 * failed write answers every queued command, this one included, with
	 * -1 at once); returning -1 as well would make the caller fail it twice.
	 */
	if (qtest_flush(qt) < 0)
		qtest_fail(qt, errno);
	return 0;
}

int qtest_send(struct qtest *qt, qtest_reply_fn fn, void *arg, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = qtest_vsend(qt, fn, arg, fmt, ap);
	va_end(ap);
	return ret;
}

/* One line from QEMU; -1 (EPROTO) for a line it should not send. */
static int qtest_handle_line(struct qtest *qt, char *line)
{
	struct qtest_line l;
	struct qtest_cmd *c;

	switch (qtest_parse_line(line, &l)) {
	case QTEST_LINE_IRQ:
		if (qt->irq_fn)
			qt->irq_fn(qt->irq_arg, l.irq, l.level);
		return 0;
	case QTEST_LINE_OK:
	case QTEST_LINE_FAIL:
		c = qt->head;
		if (!c)
			break;	/* an answer nobody asked for */
		qt->head = c->next;
		if (!qt->head)
			qt->tail = NULL;
		qt->pending--;
		if (c->fn)
			c->fn(c->arg, l.kind == QTEST_LINE_OK, l.text);
		free(c);
		return 0;
	case QTEST_LINE_BAD:
		break;
	}
	errno = EPROTO;
	return -1;
}

int qtest_dispatch(struct qtest *qt)
{
	if (qt->failed) {
		errno = qt->failed;
		return -1;
	}
	if (qtest_flush(qt) < 0)
		goto fail;
	for (;;) {
		size_t start = 0;
		char *nl;
		ssize_t n = recv(qt->fd, qt->in + qt->in_len,
				 sizeof(qt->in) - 1 - qt->in_len, MSG_DONTWAIT);

		if (n == 0) {
			errno = ECONNRESET;
			goto fail;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			goto fail;
		}
		qt->in_len += n;
		qt->in[qt->in_len] = '\0';
		while ((nl = memchr(qt->in + start, '\n', qt->in_len - start))) {
			char *line = qt->in + start;

			*nl = '\0';
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
			start = nl + 1 - qt->in;
			if (qtest_handle_line(qt, line) < 0)
				goto fail;
		}
		memmove(qt->in, qt->in + start, qt->in_len - start);
		qt->in_len -= start;
		if (qt->in_len >= sizeof(qt->in) - 2) {
			errno = EPROTO;	/* a line longer than any answer */
			goto fail;
		}
	}
fail:
	qtest_fail(qt, errno);
	errno = qt->failed;
	return -1;
}

/* The answer of a qtest_call(). */
struct qtest_wait {
	int done;
	int ok;
	char *buf;
	size_t size;
};

static void qtest_wait_reply(void *arg, int ok, const char *text)
{
	struct qtest_wait *w = arg;

	w->done = 1;
	w->ok = ok;
	if (w->size)
		snprintf(w->buf, w->size, "%s", text);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int qtest_call(struct qtest *qt, int timeout_ms, char *buf, size_t size,
	       const char *fmt, ...)
{
	struct qtest_wait w = { .buf = buf, .size = size };
	long long deadline = now_ms() + timeout_ms;
	va_list ap;
	int ret;

	if (size)
		buf[0] = '\0';
	va_start(ap, fmt);
	ret = qtest_vsend(qt, qtest_wait_reply, &w, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	while (!w.done) {
		struct pollfd p = { .fd = qt->fd, .events = POLLIN };
		long long left = deadline - now_ms();

		if (qtest_wants_write(qt))
			p.events |= POLLOUT;
		if (left <= 0) {
			/* its answer would go to the wrong command now */
			qtest_fail(qt, ETIMEDOUT);
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -1;
		if (qtest_dispatch(qt) < 0 && !w.done)
			return -1;
	}
	if (w.ok < 0) {
		errno = qt->failed ? qt->failed : EPIPE;
		return -1;
	}
	return w.ok;
}
