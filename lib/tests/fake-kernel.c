// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fake guse kernel for the unit tests; see fake-kernel.h. */

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake-kernel.h"

int test_failures;

/* Armed write failures; fail_lock protects the table. */
static struct {
	int fd;		/* -1: free slot */
	uint64_t id;
	int err;
} fail_tab[FK_FAIL_MAX] = { [0 ... FK_FAIL_MAX - 1] = { .fd = -1 } };
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
/* Armed entries; read without the lock, so that write() takes no lock
 * (signal handlers call guse_chip_exit()) while none is armed. */
static int fail_armed;

void fk_fail_write(struct fk *fk, uint64_t id, int err)
{
	int i;

	pthread_mutex_lock(&fail_lock);
	for (i = 0; i < FK_FAIL_MAX && fail_tab[i].fd >= 0; i++)
		;
	if (i == FK_FAIL_MAX) {
		fprintf(stderr, "# fk_fail_write: table full\n");
		exit(99);
	}
	fail_tab[i].fd = fk->sfd;
	fail_tab[i].id = id;
	fail_tab[i].err = err;
	__atomic_add_fetch(&fail_armed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fail_lock);
}

int fk_fail_pending(struct fk *fk)
{
	int i, n = 0;

	pthread_mutex_lock(&fail_lock);
	for (i = 0; i < FK_FAIL_MAX; i++)
		n += fail_tab[i].fd == fk->sfd;
	pthread_mutex_unlock(&fail_lock);
	return n;
}

/* The first armed failure matching this write, consumed; 0 if none. */
static int take_failure(int fd, const void *buf, size_t len)
{
	const struct guse_msg_header *h = buf;
	uint64_t id = 0;
	int i, err = 0;

	if (!__atomic_load_n(&fail_armed, __ATOMIC_ACQUIRE))
		return 0;
	if (len >= sizeof(*h))
		id = le64toh(h->id);
	pthread_mutex_lock(&fail_lock);
	for (i = 0; i < FK_FAIL_MAX; i++) {
		if (fail_tab[i].fd == fd && fail_tab[i].fd >= 0 &&
		    (!fail_tab[i].id || fail_tab[i].id == id)) {
			err = fail_tab[i].err;
			fail_tab[i].fd = -1;
			__atomic_sub_fetch(&fail_armed, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&fail_lock);
	return err;
}

unsigned int fk_ready_version = GUSE_VERSION;
unsigned long fk_syscalls[FK_NR_MAX];

/* The kernel end of each server end (index), 0 when none: set by
 * fk_open(), read without a lock (signal handlers write WAKEUPs). */
#define FK_FDS 1024
static int peer_of[FK_FDS];

static void count(int fd, int nr)
{
	if (fd >= 0 && fd < FK_FDS && peer_of[fd])
		__atomic_add_fetch(&fk_syscalls[nr], 1, __ATOMIC_RELAXED);
}

/*
 * A WAKEUP the server writes is answered as guse.ko does: a WAKEUP message
 * for the server to read.  Returns true if @buf was one.
 */
static bool wakeup(int fd, const void *buf, size_t len)
{
	const struct guse_msg_header *h = buf;
	struct guse_msg_header w;

	if (fd < 0 || fd >= FK_FDS || !peer_of[fd] || len != sizeof(*h) ||
	    le16toh(h->opcode) != GUSE_OP_WAKEUP || h->id)
		return false;
	memset(&w, 0, sizeof(w));
	w.len = htole32(sizeof(w));
	w.opcode = htole16(GUSE_OP_WAKEUP);
	w.flags = htole16(GUSE_MSG_F_NOREPLY);
	return syscall(SYS_write, peer_of[fd], &w, sizeof(w)) == sizeof(w);
}

/* Interposes on libc's write() for the whole program, libguse included
 * (exported although the tests are built with -fvisibility=hidden). */
__attribute__((visibility("default")))
ssize_t write(int fd, const void *buf, size_t len)
{
	int err = take_failure(fd, buf, len);

	count(fd, FK_NR_WRITE);
	if (err) {
		errno = err;
		return -1;
	}
	if (wakeup(fd, buf, len))
		return (ssize_t)len;
	return syscall(SYS_write, fd, buf, len);
}

/* read() and poll() are counted, on the server ends only. */
__attribute__((visibility("default")))
ssize_t read(int fd, void *buf, size_t len)
{
	count(fd, FK_NR_READ);
	return syscall(SYS_read, fd, buf, len);
}

__attribute__((visibility("default")))
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	nfds_t i;

	for (i = 0; i < n; i++)
		count(fds[i].fd, FK_NR_POLL);
	return (int)syscall(SYS_poll, fds, n, timeout);
}

void fk_open(struct fk *fk)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(99);
	}
	fk->kfd = sv[0];
	fk->sfd = sv[1];
	if (fk->sfd < FK_FDS)
		peer_of[fk->sfd] = fk->kfd;
}

void fk_close(struct fk *fk)
{
	int i;

	pthread_mutex_lock(&fail_lock);
	for (i = 0; i < FK_FAIL_MAX; i++) {
		if (fail_tab[i].fd == fk->sfd) {
			fail_tab[i].fd = -1;
			__atomic_sub_fetch(&fail_armed, 1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&fail_lock);
	if (fk->sfd >= 0 && fk->sfd < FK_FDS)
		peer_of[fk->sfd] = 0;
	if (fk->kfd >= 0)
		close(fk->kfd);
	fk->kfd = -1;
}

void fk_send_raw(struct fk *fk, uint32_t len, uint16_t op, uint16_t flags,
		 uint64_t id, uint32_t error, const void *payload, size_t plen)
{
	uint8_t buf[GUSE_MSG_SIZE_MAX];
	struct guse_msg_header *h = (void *)buf;
	size_t n = sizeof(*h) + plen;

	memset(buf, 0, sizeof(*h));
	h->len = htole32(len ? len : (uint32_t)n);
	h->opcode = htole16(op);
	h->flags = htole16(flags);
	h->id = htole64(id);
	h->error = htole32(error);
	if (plen)
		memcpy(h + 1, payload, plen);
	if (write(fk->kfd, buf, n) != (ssize_t)n) {
		perror("fake kernel write");
		exit(99);
	}
}

void fk_send(struct fk *fk, uint16_t op, uint64_t id, const void *payload,
	     size_t plen)
{
	fk_send_raw(fk, 0, op, 0, id, 0, payload, plen);
}

void fk_send_ready(struct fk *fk, unsigned int num_lines, const char *chip,
		   const char *dev)
{
	struct guse_ready r;

	memset(&r, 0, sizeof(r));
	r.version = htole32(fk_ready_version);
	r.num_lines = htole32(num_lines);
	r.base = htole32(512);
	r.timeout_ms = htole32(5000);
	strncpy(r.chip_name, chip, sizeof(r.chip_name) - 1);
	strncpy(r.dev_name, dev, sizeof(r.dev_name) - 1);
	fk_send(fk, GUSE_OP_READY, 0, &r, sizeof(r));
}

int fk_recv(struct fk *fk, void *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fk->kfd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	n = recv(fk->kfd, buf, size, MSG_DONTWAIT);
	return n < 0 ? -1 : (int)n;
}

bool fk_nothing(struct fk *fk, int timeout_ms)
{
	uint8_t buf[GUSE_READ_SIZE_MIN];

	return fk_recv(fk, buf, sizeof(buf), timeout_ms) < 0;
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "#   %s (%zu):", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 8 ? "" : " ", p[i]);
	fprintf(stderr, "\n");
}

void fk_expect_at(const char *file, int line, struct fk *fk, uint16_t op,
		  uint64_t id, uint32_t error, const void *payload, size_t plen)
{
	uint8_t want[GUSE_READ_SIZE_MIN], got[GUSE_READ_SIZE_MIN];
	struct guse_msg_header *h = (void *)want;
	size_t n = sizeof(*h) + plen;
	int r;

	memset(want, 0, sizeof(*h));
	h->len = htole32((uint32_t)n);
	h->opcode = htole16(op);
	h->id = htole64(id);
	h->error = htole32(error);
	if (plen)
		memcpy(h + 1, payload, plen);
	r = fk_recv(fk, got, sizeof(got), 2000);
	if (r != (int)n || memcmp(want, got, n)) {
		fprintf(stderr, "# %s:%d: unexpected message (op %u id %llu)\n",
			file, line, op, (unsigned long long)id);
		hexdump("expected", want, n);
		if (r >= 0)
			hexdump("received", got, (size_t)r);
		else
			fprintf(stderr, "#   received nothing\n");
		test_failures++;
	}
}

struct guse_line pl_line(unsigned int line)
{
	struct guse_line l = { .line = htole32(line) };

	return l;
}

struct guse_line_consumer pl_consumer(unsigned int line, const char *name)
{
	struct guse_line_consumer c;

	memset(&c, 0, sizeof(c));
	c.line = htole32(line);
	strncpy(c.consumer, name, sizeof(c.consumer) - 1);
	return c;
}

size_t pl_bitmap(void *buf, unsigned int nw, const uint64_t *a,
		 const uint64_t *b)
{
	struct guse_bitmap *bm = buf;
	unsigned int i;

	bm->num_words = htole32(nw);
	bm->reserved = 0;
	for (i = 0; i < nw; i++) {
		uint64_t w = htole64(a[i]);

		memcpy(&bm->words[i], &w, 8);
		if (b) {
			w = htole64(b[i]);
			memcpy(&bm->words[nw + i], &w, 8);
		}
	}
	return sizeof(*bm) + (b ? 2 : 1) * nw * 8;
}

struct guse_chip *fk_chip(struct fk *fk, const struct guse_chip_config *cfg,
			  unsigned int num_lines,
			  const struct guse_chip_ops *ops, size_t ops_size,
			  void *data, void *create, size_t create_size)
{
	uint8_t buf[GUSE_MSG_SIZE_MAX];
	struct guse_chip *chip;
	int n;

	fk_open(fk);
	fk_send_ready(fk, num_lines, "gpiochip7", "guse3");
	chip = guse_chip_new_fd(fk->sfd, cfg, ops, ops_size, data);
	if (!chip) {
		fprintf(stderr, "# guse_chip_new_fd: %s\n", strerror(errno));
		exit(99);
	}
	n = fk_recv(fk, buf, sizeof(buf), 1000);
	if (n < (int)sizeof(struct guse_msg_header)) {
		fprintf(stderr, "# no CREATE\n");
		exit(99);
	}
	if (create)
		memcpy(create, buf, (size_t)n < create_size ? (size_t)n : create_size);
	return chip;
}

int run_tests(const struct test_case *tests, size_t n)
{
	size_t i;
	int failed = 0;

	signal(SIGPIPE, SIG_IGN);
	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		int before = test_failures;

		tests[i].fn();
		if (test_failures != before) {
			failed++;
			printf("not ok %zu %s\n", i + 1, tests[i].name);
		} else {
			printf("ok %zu %s\n", i + 1, tests[i].name);
		}
		fflush(stdout);
	}
	printf("# %zu tests, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
