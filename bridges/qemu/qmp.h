/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of QEMU's QMP: JSON objects, one per line.  Commands carry an
 * "id" and their answer ("return" or "error") comes back with it; events
 * ("event") come in between.
 */
#ifndef GUSE_QEMU_QMP_H
#define GUSE_QEMU_QMP_H

#include <jansson.h>
#include <stddef.h>

/* Longest message accepted from QEMU (an "info mtree" answer is big). */
#define QMP_MESSAGE_MAX (4 << 20)

struct qmp;

/*
 * The answer of a command: @ret is its "return" value (borrowed) when it
 * succeeded, NULL with @err the error's description when it failed or the
 * connection closed first.
 */
typedef void (*qmp_reply_fn)(void *arg, json_t *ret, const char *err);
/* An event: its name and "data" (borrowed, may be NULL). */
typedef void (*qmp_event_fn)(void *arg, const char *event, json_t *data);

/*
 * Connect to a QMP unix socket, read the greeting and leave the
 * capabilities negotiation mode, waiting at most @timeout_ms.  NULL with
 * errno and a message in @err on failure.
 */
struct qmp *qmp_connect(const char *path, int timeout_ms, char *err, size_t size);
/* As qmp_connect() on a connected stream socket; owns @fd on success only. */
struct qmp *qmp_connect_fd(int fd, int timeout_ms, char *err, size_t size);
/* Close; waiting commands get their callback with an error. */
void qmp_free(struct qmp *q);
int qmp_get_fd(struct qmp *q);
int qmp_wants_write(struct qmp *q);
void qmp_set_event_handler(struct qmp *q, qmp_event_fn fn, void *arg);
/* The "qemu" version of the greeting: major * 10000 + minor * 100 + micro. */
int qmp_get_version(struct qmp *q);

/* Queue a command; @args (may be NULL) is consumed.  0 or -1 with errno. */
int qmp_send(struct qmp *q, const char *cmd, json_t *args, qmp_reply_fn fn, void *arg);
/* Read and handle what is available; -1 with errno when the connection is over. */
int qmp_dispatch(struct qmp *q);

/*
 * Run a command and wait up to @timeout_ms for its answer.  Returns its
 * "return" value (a new reference), or NULL with the error in @err (and
 * errno: EREMOTEIO when QEMU answered with an error).
 */
json_t *qmp_call(struct qmp *q, int timeout_ms, char *err, size_t size,
		 const char *cmd, json_t *args);

/*
 * Split a QMP byte stream into messages: feed it bytes, take complete
 * lines.  Exposed for the unit test.
 */
struct qmp_lines {
	char *buf;
	size_t len, cap;
};
/* Append bytes; -1 (EMSGSIZE) when a message grows beyond QMP_MESSAGE_MAX. */
int qmp_lines_feed(struct qmp_lines *l, const char *data, size_t n);
/*
 * The next complete line as a new string (newline and "\r" removed), or
 * NULL when there is none; *@err set to ENOMEM if allocation failed.
 */
char *qmp_lines_next(struct qmp_lines *l, int *err);
void qmp_lines_free(struct qmp_lines *l);

/*
 * Classify one parsed message: 1 answer (id in *@id, -1 if it has none),
 * 2 event, 3 greeting, 0 anything else.
 */
int qmp_message_kind(json_t *msg, long long *id);

#endif
