/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the qtest and QMP clients share: a non-blocking connection to a
 * unix socket, and the queue of output written as the socket takes it.
 */
#ifndef GUSE_QEMU_SOCK_H
#define GUSE_QEMU_SOCK_H

#include <stdbool.h>
#include <stddef.h>

/* A connected non-blocking, close-on-exec socket, or -1 with errno. */
int sock_connect_unix(const char *path);

/* Queued output: bytes from off to len wait for the socket. */
struct outbuf {
	char *buf;
	size_t len, off, cap;
};

/* Room for @n more bytes at buf + len; -1 (ENOMEM) if there is none. */
int outbuf_reserve(struct outbuf *o, size_t n);
/* Write what @fd takes now: 0 (all written, or it would block), -1. */
int outbuf_flush(struct outbuf *o, int fd);
static inline bool outbuf_pending(const struct outbuf *o)
{
	return o->off < o->len;
}

#endif
