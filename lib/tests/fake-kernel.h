/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake guse kernel for host-side unit tests: one end of a SOCK_SEQPACKET
 * socketpair (which keeps message boundaries like /dev/guse), the other end
 * goes to guse_chip_new_fd().
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/guse.h>

#include "guse.h"

extern int test_failures;

/* The version the fake kernel's READY reports (default GUSE_VERSION). */
extern unsigned int fk_ready_version;
/*
 * System calls the program made on the server ends of open fakes, by
 * FK_NR_*: write() (a WAKEUP included, which the fake answers as guse.ko
 * does), read() and, per descriptor, poll().
 */
enum { FK_NR_WRITE, FK_NR_READ, FK_NR_POLL, FK_NR_MAX };
extern unsigned long fk_syscalls[FK_NR_MAX];

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "# %s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			test_failures++;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			fprintf(stderr, "# %s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);	\
			test_failures++;				\
		}							\
	} while (0)

struct fk {
	int kfd;	/* the "kernel" end */
	int sfd;	/* the server end, for guse_chip_new_fd() */
};

/* Open the socketpair. */
void fk_open(struct fk *fk);
/* Close the kernel end (the server end belongs to the chip) and disarm the
 * write failures of the server end. */
void fk_close(struct fk *fk);

/* Send a message with an arbitrary header.  len 0: computed. */
void fk_send_raw(struct fk *fk, uint32_t len, uint16_t op, uint16_t flags,
		 uint64_t id, uint32_t error, const void *payload, size_t plen);
/* Send a request (flags 0, error 0). */
void fk_send(struct fk *fk, uint16_t op, uint64_t id, const void *payload,
	     size_t plen);
/* Queue a READY for @num_lines lines. */
void fk_send_ready(struct fk *fk, unsigned int num_lines, const char *chip,
		   const char *dev);

/*
 * Make the next write() of the server end of @fk that carries request id
 * @id (0: the next message of any id, e.g. SET_INPUTS) fail with @err
 * instead of reaching the fake kernel, as the real kernel fails a reply to a
 * request that timed out with ENOENT.  The write() of the test program
 * interposes on libc's for the library, so only writes to fk->sfd are
 * affected.  At most FK_FAIL_MAX failures are armed at a time.
 */
#define FK_FAIL_MAX 16
void fk_fail_write(struct fk *fk, uint64_t id, int err);
/* Number of failures armed on @fk and not yet used. */
int fk_fail_pending(struct fk *fk);

/* Read one message within @timeout_ms; returns its length, -1 if none. */
int fk_recv(struct fk *fk, void *buf, size_t size, int timeout_ms);
/* True if no message arrives within @timeout_ms. */
bool fk_nothing(struct fk *fk, int timeout_ms);

/* Read one message and compare it byte for byte with the expected one. */
#define fk_expect(fk, op, id, error, payload, plen) \
	fk_expect_at(__FILE__, __LINE__, fk, op, id, error, payload, plen)
void fk_expect_at(const char *file, int line, struct fk *fk, uint16_t op,
		  uint64_t id, uint32_t error, const void *payload,
		  size_t plen);

/* Build payloads. */
struct guse_line pl_line(unsigned int line);
struct guse_line_consumer pl_consumer(unsigned int line, const char *name);
/* A bitmap message payload with @nw words per map and 1 or 2 maps. */
size_t pl_bitmap(void *buf, unsigned int nw, const uint64_t *a,
		 const uint64_t *b);

/* Create a chip on a fresh fake kernel: sends READY, reads and returns the
 * CREATE message into @create (if not NULL). */
struct guse_chip *fk_chip(struct fk *fk, const struct guse_chip_config *cfg,
			  unsigned int num_lines, const struct guse_chip_ops *ops, size_t ops_size,
			  void *data, void *create, size_t create_size);

/* Run the test functions; prints KTAP. */
struct test_case {
	const char *name;
	void (*fn)(void);
};
int run_tests(const struct test_case *tests, size_t n);

#endif
