/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of QEMU's qtest protocol: one line per command, one answer line
 * per command in order ("OK [TEXT]", "FAIL TEXT" or "ERR TEXT"), and
 * asynchronous "IRQ raise N" / "IRQ lower N" lines in between.
 */
#ifndef GUSE_QEMU_QTEST_H
#define GUSE_QEMU_QTEST_H

#include <stddef.h>
#include <stdint.h>

/* Longest line accepted from QEMU, newline excluded. */
#define QTEST_LINE_MAX 4096

enum qtest_line_kind {
	QTEST_LINE_OK,		/* a command succeeded; text: what follows "OK " */
	QTEST_LINE_FAIL,	/* FAIL or ERR; text: the reason */
	QTEST_LINE_IRQ,		/* IRQ raise/lower; irq and level set */
	QTEST_LINE_BAD,		/* anything else */
};

struct qtest_line {
	enum qtest_line_kind kind;
	const char *text;	/* points into the parsed line; "" if none */
	unsigned int irq;
	int level;
};

/*
 * Parse one line (without its newline).  Returns the kind, also stored in
 * @out.  An IRQ line needs "raise" or "lower" and a decimal number below
 * 2^31; anything else is BAD.
 */
enum qtest_line_kind qtest_parse_line(const char *line, struct qtest_line *out);

/*
 * The value of a readb/readw/readl/readq answer's text ("0x..." as QEMU
 * prints it).  Returns 0, or -1 if the text is not one hexadecimal number.
 */
int qtest_parse_value(const char *text, uint64_t *value);

struct qtest;

/*
 * Called once per command with its answer: ok is 1 (OK), 0 (FAIL/ERR) or
 * -1 (the connection closed first; text is then the reason).  text is only
 * valid during the call.
 */
typedef void (*qtest_reply_fn)(void *arg, int ok, const char *text);
/* An IRQ line. */
typedef void (*qtest_irq_fn)(void *arg, unsigned int irq, int level);

/* Connect to a qtest unix socket.  NULL with errno on failure. */
struct qtest *qtest_connect(const char *path);
/* As qtest_connect() on a connected stream socket; owns @fd on success. */
struct qtest *qtest_new_fd(int fd);
/* Close; every command still waiting gets its callback with ok = -1. */
void qtest_free(struct qtest *qt);

int qtest_get_fd(struct qtest *qt);
/* Why the connection failed (an errno), or 0 while it works. */
int qtest_failed(struct qtest *qt);
/* Whether queued output waits for the socket to become writable. */
int qtest_wants_write(struct qtest *qt);
void qtest_set_irq_handler(struct qtest *qt, qtest_irq_fn fn, void *arg);

/*
 * Queue a command (printf-style, without the newline; it must not contain
 * a newline).  @fn may be NULL.  Returns 0 once the command is queued:
 * @fn is then called exactly once, with -1 if the connection fails (at
 * once, if writing it fails here).  Returns -1 with errno when it is not
 * queued (EINVAL for a newline in the command, EPIPE once the connection
 * failed, ENOMEM); @fn is not called then.
 */
int qtest_send(struct qtest *qt, qtest_reply_fn fn, void *arg,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Read what is available, deliver answers and IRQ lines, write queued
 * output.  Returns 0, or -1 with errno when the connection is over
 * (ECONNRESET: QEMU closed it; EPROTO: a line QEMU should not send).
 */
int qtest_dispatch(struct qtest *qt);

/*
 * Send a command and wait up to @timeout_ms for its answer, dispatching
 * everything before it.  On OK returns 1 and copies the text to @buf; on
 * FAIL/ERR returns 0 with the reason in @buf; -1 with errno (ETIMEDOUT, or
 * as qtest_dispatch()) otherwise.
 */
int qtest_call(struct qtest *qt, int timeout_ms, char *buf, size_t size,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The number of commands sent and not answered yet. */
unsigned int qtest_pending(struct qtest *qt);

#endif
