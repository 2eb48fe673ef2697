// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-protocol-test: speaks the raw /dev/guse protocol (no libguse) to
 * check that the kernel validates every message from a server, answers with
 * the documented errno and changes nothing, and that timeouts, late replies
 * and server death behave as documented.  Runs inside the test VM with the
 * modules loaded; prints KTAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <linux/guse.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS 34
#define CONSUMER "proto-test"

/*
 * A consumer in a child process: requests @line of @chip with @flags and
 * reports the ioctl's errno (0 for success) through a pipe, then releases.
 */
struct consumer {
	pid_t pid;
	int result_fd;
};

static int consumer_start(struct consumer *c, const char *chip,
			  unsigned int line, uint64_t flags)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		struct gpio_v2_line_request req;
		char path[64];
		int fd, err = 0;

		/* drop inherited /dev/guse files: the server's death is tested */
		close(p[0]);
		if (p[1] > 3)
			close_range(3, p[1] - 1, 0);
		close_range(p[1] + 1, ~0U, 0);
		snprintf(path, sizeof(path), "/dev/%s", chip);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
		} else {
			memset(&req, 0, sizeof(req));
			req.offsets[0] = line;
			req.num_lines = 1;
			req.config.flags = flags;
			strcpy(req.consumer, CONSUMER);
			if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req))
				err = errno;
			else
				close(req.fd);
			close(fd);
		}
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	c->result_fd = p[0];
	return 0;
}

/* Waits for the consumer's errno; -ETIMEDOUT if it does not come. */
static int consumer_result(struct consumer *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->result_fd, .events = POLLIN };
	int err = -ETIMEDOUT;

	if (poll(&pfd, 1, timeout_ms) == 1 &&
	    read(c->result_fd, &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	return err;
}

static void consumer_end(struct consumer *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->result_fd);
}

/* Serves until the consumer reports; returns its errno. */
static int serve(int fd, struct consumer *c, struct raw_seen *s,
		 int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_msg m;
	int ret;

	while (raw_now_ms() < deadline) {
		ret = consumer_result(c, 0);
		if (ret != -ETIMEDOUT)
			return ret;
		ret = raw_recv(fd, &m, 20);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			return ret;
		raw_answer(fd, &m, s);
	}
	return -ETIMEDOUT;
}

/* Reads messages, answering all but the first @opcode, which it returns. */
static int wait_for(int fd, uint16_t opcode, struct raw_msg *m, int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_seen s = { 0 };
	int ret;

	while (raw_now_ms() < deadline) {
		ret = raw_recv(fd, m, 50);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			return ret;
		if (m->hdr.opcode == opcode)
			return 0;
		raw_answer(fd, m, &s);
	}
	return -ETIMEDOUT;
}

static bool chardev_exists(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s", name);
	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

static void test_before_create(void)
{
	struct guse_msg_header hdr = { 0 }, *big;
	struct guse_bitmap bm = { .num_words = 1 };
	char buf[GUSE_READ_SIZE_MIN];
	int fd = raw_open(), flags;
	ssize_t n;

	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	n = read(fd, buf, sizeof(buf));
	ktap_test(n < 0 && errno == EAGAIN, "read before create would block");
	fcntl(fd, F_SETFL, flags);

	ktap_test(raw_send(fd, &hdr, sizeof(hdr) - 1) == -EINVAL,
		  "write shorter than a header is rejected");
	hdr.len = sizeof(hdr) + 4;
	hdr.opcode = GUSE_OP_SET_INPUTS;
	ktap_test(raw_send(fd, &hdr, sizeof(hdr)) == -EINVAL,
		  "header length not matching the write is rejected");
	big = calloc(1, GUSE_MSG_SIZE_MAX + 8);
	big->len = GUSE_MSG_SIZE_MAX + 8;
	big->opcode = GUSE_OP_SET_INPUTS;
	ktap_test(raw_send(fd, big, GUSE_MSG_SIZE_MAX + 8) == -EINVAL,
		  "write above GUSE_MSG_SIZE_MAX is rejected");
	free(big);
	ktap_test(raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, &bm, sizeof(bm)) ==
		  -EINVAL, "notification before create is rejected");
	ktap_test(raw_send_msg(fd, GUSE_OP_REQUEST, 1, 0, NULL, 0) == -EINVAL,
		  "reply before create is rejected");
	close(fd);
}

static void test_bad_creates(void)
{
	char names[4 * GUSE_NAME_SIZE];
	struct raw_create a;
	struct guse_ready ready;
	int fd = raw_open();

#define BAD_CREATE(errnum, desc, ...) do {				\
		a = (struct raw_create){ .label = "bad", .num_lines = 4 }; \
		__VA_ARGS__;						\
		ktap_test(raw_send_create(fd, &a) == -(errnum),		\
			  "create with %s fails with " #errnum, desc);	\
	} while (0)

	BAD_CREATE(EPROTONOSUPPORT, "another major version",
		   a.version = (GUSE_VERSION_MAJOR + 1) << 16);
	BAD_CREATE(EINVAL, "zero lines", a.num_lines = 0);
	BAD_CREATE(EINVAL, "more than GUSE_LINES_MAX lines",
		   a.num_lines = GUSE_LINES_MAX + 1);
	BAD_CREATE(EINVAL, "an empty label", a.label = "");
	BAD_CREATE(EINVAL, "an unterminated label",
		   a.label = "0123456789abcdef0123456789abcdef");
	BAD_CREATE(EINVAL, "an unknown feature flag",
		   a.flags = GUSE_CREATE_F_ALL + 1);
	BAD_CREATE(EINVAL, "a nonzero reserved field", a.reserved0 = 1);
	BAD_CREATE(EINVAL, "a timeout above the maximum",
		   a.timeout_ms = GUSE_TIMEOUT_MAX_MS + 1);
	memset(names, 0, sizeof(names));
	BAD_CREATE(EINVAL, "truncated line names",
		   a.flags = GUSE_CREATE_F_LINE_NAMES, a.names = names,
		   a.names_len = 3 * GUSE_NAME_SIZE);
	memset(names, 'x', sizeof(names));
	BAD_CREATE(EINVAL, "an unterminated line name",
		   a.flags = GUSE_CREATE_F_LINE_NAMES, a.names = names,
		   a.names_len = sizeof(names));
#undef BAD_CREATE

	/* after all that, the same file still creates a chip */
	ktap_test(raw_create_chip(fd, "after-bad", 4, 0, 0, &ready) == 0 &&
		  chardev_exists(ready.chip_name),
		  "rejected creates leave the file usable");
	close(fd);
}

static void test_chip(void)
{
	struct guse_bitmap *bm;
	uint8_t buf[sizeof(*bm) + 4 * 8];
	struct guse_ready ready;
	char name[GUSE_NAME_SIZE];
	struct consumer c;
	struct raw_seen s = { 0 };
	struct raw_msg m;
	int fd = raw_open(), ret;

	bm = (void *)buf;
	ret = raw_create_chip(fd, "proto", 70, 0,
			  GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_SET_CONFIG,
			  &ready);
	ktap_test(!ret && !strncmp(ready.chip_name, "gpiochip", 8) &&
		  ready.num_lines == 70 && chardev_exists(ready.chip_name) &&
		  ready.version == GUSE_VERSION &&
		  ready.timeout_ms == GUSE_TIMEOUT_DEFAULT_MS,
		  "create succeeds and READY names the new character device");
	if (ret) {
		ktap_diag("create: %s", strerror(-ret));
		close(fd);
		return;
	}
	ktap_diag("chip %s device %s base %u", ready.chip_name,
		  ready.dev_name, ready.base);
	memcpy(name, ready.chip_name, sizeof(name));

	ktap_test(raw_send_create(fd, &(struct raw_create){ .label = "again",
			      .num_lines = 1 }) == -EEXIST,
		  "a second create on one file fails with EEXIST");
	ktap_test(raw_send_msg(fd, GUSE_OP_REQUEST, 12345, 0, NULL, 0) == -ENOENT,
		  "a reply to an unknown id fails with ENOENT");
	ktap_test(raw_send_msg(fd, 999, 0, 0, NULL, 0) == -EOPNOTSUPP,
		  "an unknown notification fails with EOPNOTSUPP");

	memset(buf, 0, sizeof(buf));
	bm->num_words = 1;
	ktap_test(raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, bm,
			   sizeof(*bm) + 2 * 8) == -EINVAL,
		  "SET_INPUTS with the wrong word count is rejected");
	bm->num_words = 2;
	bm->words[1] = 1ULL << 6;	/* line 70: beyond the last line */
	ktap_test(raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, bm,
			   sizeof(*bm) + 4 * 8) == -EINVAL,
		  "SET_INPUTS with a bit beyond the last line is rejected");
	bm->words[1] = 0;
	ktap_test(raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, bm,
			   sizeof(*bm) + 3 * 8) == -EINVAL &&
		  raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, bm,
			   sizeof(*bm) + 4 * 8) == 0,
		  "SET_INPUTS needs exactly two bitmaps");

	/* a consumer's request reaches the server with its label */
	consumer_start(&c, name, 65, GPIO_V2_LINE_FLAG_OUTPUT);
	ret = serve(fd, &c, &s, 5000);
	consumer_end(&c);
	/* the release happens after the child exits */
	while (!s.frees && raw_recv(fd, &m, 1000) > 0)
		raw_answer(fd, &m, &s);
	ktap_test(!ret && s.requests == 1 && (s.is_output[1] & 2) &&
		  s.frees == 1 && !strcmp(s.consumer, CONSUMER),
		  "request, direction and release reach the server with the consumer label");
	if (ret || !s.requests || strcmp(s.consumer, CONSUMER))
		ktap_diag("ret %d requests %u frees %u consumer '%s'", ret,
			  s.requests, s.frees, s.consumer);

	/* malformed replies change nothing: the request stays pending */
	consumer_start(&c, name, 3, GPIO_V2_LINE_FLAG_INPUT);
	ret = wait_for(fd, GUSE_OP_REQUEST, &m, 3000);
	ktap_test(!ret && raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 0, buf, 8) ==
		  -EINVAL, "a reply with an unexpected payload is rejected");
	ktap_test(raw_send_msg(fd, GUSE_OP_FREE, m.hdr.id, 0, NULL, 0) == -EINVAL,
		  "a reply with another opcode is rejected");
	ktap_test(raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 5000, NULL, 0) ==
		  -EINVAL, "a reply with an errno above MAX_ERRNO is rejected");
	ktap_test(raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, EBUSY, NULL, 0) == 0 &&
		  consumer_result(&c, 3000) == EBUSY,
		  "the server's errno reaches the consumer");
	consumer_end(&c);

	consumer_start(&c, name, 3, GPIO_V2_LINE_FLAG_INPUT);
	ret = wait_for(fd, GUSE_OP_REQUEST, &m, 3000);
	ktap_test(!ret && raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 512, NULL, 0) ==
		  0 && consumer_result(&c, 3000) == EIO,
		  "a kernel-internal errno from the server becomes EIO");
	consumer_end(&c);
	close(fd);
}

static void test_timeout(void)
{
	struct guse_ready ready;
	struct consumer c;
	struct raw_msg m;
	int fd = raw_open(), ret, t0, err, late;

	ret = raw_create_chip(fd, "timeout", 4, 300, GUSE_CREATE_F_REQUEST, &ready);
	consumer_start(&c, ready.chip_name, 1, GPIO_V2_LINE_FLAG_INPUT);
	t0 = raw_now_ms();
	ret = ret ? ret : wait_for(fd, GUSE_OP_REQUEST, &m, 3000);
	err = consumer_result(&c, 5000);
	ktap_test(!ret && err == ETIMEDOUT && raw_now_ms() - t0 < 3000,
		  "an unanswered request fails with ETIMEDOUT after the chip's timeout");
	late = raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 0, NULL, 0);
	ktap_test(late == -ENOENT, "a late reply is dropped with ENOENT");
	consumer_end(&c);
	close(fd);
}

static void test_server_death(void)
{
	struct guse_ready ready;
	struct consumer c;
	struct raw_msg m;
	int fd = raw_open(), ret, t0, err;

	ret = raw_create_chip(fd, "death", 4, 60000, GUSE_CREATE_F_REQUEST, &ready);
	consumer_start(&c, ready.chip_name, 2, GPIO_V2_LINE_FLAG_INPUT);
	ret = ret ? ret : wait_for(fd, GUSE_OP_REQUEST, &m, 3000);
	t0 = raw_now_ms();
	close(fd);
	err = consumer_result(&c, 5000);
	ktap_test(!ret && err == ENODEV && raw_now_ms() - t0 < 1000,
		  "closing the server fails a waiting consumer with ENODEV at once");
	ktap_test(!chardev_exists(ready.chip_name),
		  "closing the server removes the chip");
	consumer_end(&c);
}

int main(void)
{
	ktap_plan(NUM_TESTS);
	if (!raw_device_present())
		ktap_bail(1, "no /dev/guse: the modules are not loaded");
	test_before_create();
	test_bad_creates();
	test_chip();
	test_timeout();
	test_server_death();
	ktap_finish();
}
