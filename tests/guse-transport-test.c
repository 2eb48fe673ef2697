// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-transport-test: what a consumer sees of a silent or slow server, and
 * what the server always sees of the consumers.
 *
 *  - one consumer operation waits for a silent server once, not once per
 *    callback gpiolib makes (a line request is get_direction, then
 *    direction_input);
 *  - a signal interrupts a consumer waiting for the server (EINTR);
 *  - FREE reaches the server when the REQUEST it undoes timed out after
 *    the server read it, and when every request slot is taken;
 *  - requesting edge detection does not wait for the server to answer
 *    IRQ_CONFIG (interrupt setup must not sleep on the server).
 *
 * Uses the kernel's kselftest harness: each test runs in its own child
 * with a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guse-kselftest.h"
#include "raw-guse.h"

/* A consumer thread making one line request through uAPI v2. */
struct consumer {
	pthread_t thread;
	char path[64];
	unsigned int line;
	uint64_t flags;
	int err;		/* -1 while running, then 0 or errno */
	int ms;
	int req_fd;		/* the line request, closed by the test */
};

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	struct gpio_v2_line_request req;
	int fd, t0 = raw_now_ms(), err = 0;

	c->req_fd = -1;
	fd = open(c->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		memset(&req, 0, sizeof(req));
		req.offsets[0] = c->line;
		req.num_lines = 1;
		req.config.flags = c->flags;
		strcpy(req.consumer, "transport-test");
		if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req))
			err = errno;
		else
			c->req_fd = req.fd;
		close(fd);
	}
	c->ms = raw_now_ms() - t0;
	__atomic_store_n(&c->err, err, __ATOMIC_RELEASE);
	return NULL;
}

static int consumer_start(struct consumer *c, const char *chip,
			  unsigned int line, uint64_t flags)
{
	memset(c, 0, sizeof(*c));
	if (snprintf(c->path, sizeof(c->path), "/dev/%s", chip) >=
	    (int)sizeof(c->path))
		return ENAMETOOLONG;
	c->line = line;
	c->flags = flags;
	c->err = -1;
	return pthread_create(&c->thread, NULL, consumer_main, c);
}

/* Waits up to @ms for the consumer; returns its errno, or -1 if running. */
static int consumer_wait(struct consumer *c, int ms)
{
	int deadline = raw_now_ms() + ms, err;

	while ((err = __atomic_load_n(&c->err, __ATOMIC_ACQUIRE)) == -1 &&
	       raw_now_ms() < deadline)
		usleep(2000);
	if (err != -1)
		pthread_join(c->thread, NULL);
	return err;
}

/* Reads messages until one with @opcode arrives (others are dropped). */
static int recv_op(int fd, uint16_t opcode, struct raw_msg *m, int ms)
{
	int deadline = raw_now_ms() + ms;

	while (raw_now_ms() < deadline)
		if (raw_recv(fd, m, 50) > 0 && le16toh(m->hdr.opcode) == opcode)
			return 0;
	return -ETIMEDOUT;
}

FIXTURE(silent) {
	int fd;
	struct guse_ready ready;
};

FIXTURE_SETUP(silent)
{
	self->fd = raw_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(silent)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* get_direction times out; direction_input must not wait again */
TEST_F_TIMEOUT(silent, one_timeout_per_operation, 30)
{
	const int timeout = 1500;
	struct consumer c;
	int err;

	ASSERT_EQ(0, raw_create_chip(self->fd, "one-timeout", 4, timeout, 0,
				     &self->ready));
	ASSERT_EQ(0, consumer_start(&c, self->ready.chip_name, 1,
				    GPIO_V2_LINE_FLAG_INPUT));
	err = consumer_wait(&c, 4 * timeout);
	EXPECT_EQ(ETIMEDOUT, err);
	TH_LOG("line request failed after %d ms (chip timeout %d ms)", c.ms,
	       timeout);
	EXPECT_LT(c.ms, timeout * 3 / 2);
	EXPECT_GE(c.ms, timeout - 50);
	if (err == -1)
		close(self->fd);	/* frees the consumer */
}

static void on_signal(int sig)
{
	(void)sig;
}

TEST_F_TIMEOUT(silent, signal_interrupts_wait, 30)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct raw_msg m;
	struct consumer c;
	int err, t0;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, raw_create_chip(self->fd, "signal", 4, 20000,
				     GUSE_CREATE_F_REQUEST, &self->ready));
	ASSERT_EQ(0, consumer_start(&c, self->ready.chip_name, 2,
				    GPIO_V2_LINE_FLAG_INPUT));
	/* the consumer is waiting once its REQUEST was read */
	ASSERT_EQ(0, recv_op(self->fd, GUSE_OP_REQUEST, &m, 5000));
	t0 = raw_now_ms();
	ASSERT_EQ(0, pthread_kill(c.thread, SIGUSR1));
	err = consumer_wait(&c, 5000);
	TH_LOG("consumer returned %d (%s) %d ms after the signal", err,
	       err > 0 ? strerror(err) : "-", raw_now_ms() - t0);
	EXPECT_EQ(EINTR, err);
	EXPECT_LT(raw_now_ms() - t0, 2000);
	/* the server may have acted on the REQUEST: it is told to undo it */
	EXPECT_EQ(0, recv_op(self->fd, GUSE_OP_FREE, &m, 5000));
	if (err == -1)
		close(self->fd);
}

TEST_F_TIMEOUT(silent, free_after_timed_out_request, 30)
{
	const struct guse_line *l;
	struct raw_msg m;
	struct consumer c;

	ASSERT_EQ(0, raw_create_chip(self->fd, "late-free", 4, 500,
				     GUSE_CREATE_F_REQUEST, &self->ready));
	ASSERT_EQ(0, consumer_start(&c, self->ready.chip_name, 3,
				    GPIO_V2_LINE_FLAG_INPUT));
	ASSERT_EQ(0, recv_op(self->fd, GUSE_OP_REQUEST, &m, 5000));
	EXPECT_EQ(ETIMEDOUT, consumer_wait(&c, 5000));
	ASSERT_EQ(0, recv_op(self->fd, GUSE_OP_FREE, &m, 5000));
	l = (const void *)m.payload;
	EXPECT_EQ(3U, le32toh(l->line));
	/* the FREE is a request like any other: it takes its answer */
	EXPECT_EQ(0, raw_send_msg(self->fd, GUSE_OP_FREE, m.hdr.id, 0, NULL, 0));
}

/* every slot is taken by silent requests; a release still gets through */
TEST_F_TIMEOUT(silent, free_with_full_table, 60)
{
	unsigned int limit = 0, i, held = 0;
	struct raw_seen seen = { 0 };
	struct consumer owner, *busy;
	struct raw_msg m;
	FILE *f;
	int frees = 0, deadline;

	f = fopen("/sys/module/guse/parameters/max_in_flight", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%u", &limit));
	fclose(f);
	ASSERT_LT(limit, 900U);
	ASSERT_EQ(0, raw_create_chip(self->fd, "full-table", limit + 1, 20000,
				     GUSE_CREATE_F_REQUEST, &self->ready));
	/* line 0: requested and answered, held by the test */
	ASSERT_EQ(0, consumer_start(&owner, self->ready.chip_name, 0,
				    GPIO_V2_LINE_FLAG_INPUT));
	while (consumer_wait(&owner, 0) == -1)
		if (raw_recv(self->fd, &m, 50) > 0)
			raw_answer(self->fd, &m, &seen);
	ASSERT_EQ(0, owner.err);
	/* lines 1..limit: requests the server reads and never answers */
	busy = calloc(limit, sizeof(*busy));
	ASSERT_NE(NULL, busy);
	for (i = 0; i < limit; i++)
		ASSERT_EQ(0, consumer_start(&busy[i], self->ready.chip_name,
					    i + 1, GPIO_V2_LINE_FLAG_INPUT));
	deadline = raw_now_ms() + 10000;
	while (held < limit && raw_now_ms() < deadline)
		if (raw_recv(self->fd, &m, 50) > 0 &&
		    le16toh(m.hdr.opcode) == GUSE_OP_REQUEST)
			held++;
	ASSERT_EQ(limit, held);
	close(owner.req_fd);
	deadline = raw_now_ms() + 5000;
	while (!frees && raw_now_ms() < deadline)
		if (raw_recv(self->fd, &m, 50) > 0 &&
		    le16toh(m.hdr.opcode) == GUSE_OP_FREE)
			frees++;
	EXPECT_EQ(1, frees);
	close(self->fd);	/* fails the silent requests */
	self->fd = -1;
	for (i = 0; i < limit; i++)
		EXPECT_EQ(ENODEV, consumer_wait(&busy[i], 5000));
	free(busy);
}

/* a silent server must not stall interrupt setup */
TEST_F_TIMEOUT(silent, irq_config_does_not_wait, 30)
{
	const int timeout = 3000;
	struct raw_seen seen = { 0 };
	struct consumer c;
	struct raw_msg m;
	int irq_configs = 0, err;

	ASSERT_EQ(0, raw_create_chip(self->fd, "irq-nowait", 4, timeout,
				     GUSE_CREATE_F_IRQ_CONFIG, &self->ready));
	ASSERT_EQ(0, consumer_start(&c, self->ready.chip_name, 0,
				    GPIO_V2_LINE_FLAG_INPUT |
				    GPIO_V2_LINE_FLAG_EDGE_RISING |
				    GPIO_V2_LINE_FLAG_EDGE_FALLING));
	/* answer everything but IRQ_CONFIG */
	while ((err = consumer_wait(&c, 0)) == -1) {
		if (raw_recv(self->fd, &m, 50) <= 0)
			continue;
		if (le16toh(m.hdr.opcode) == GUSE_OP_IRQ_CONFIG)
			irq_configs++;
		else
			raw_answer(self->fd, &m, &seen);
	}
	/* the IRQ_CONFIG may still be queued when the request returns */
	while (!irq_configs && recv_op(self->fd, GUSE_OP_IRQ_CONFIG, &m, 2000) == 0)
		irq_configs++;
	TH_LOG("edge request took %d ms, %d IRQ_CONFIG unanswered", c.ms,
	       irq_configs);
	EXPECT_EQ(0, err);
	EXPECT_LT(c.ms, timeout / 2);
	EXPECT_LE(1, irq_configs);
	if (c.req_fd >= 0)
		close(c.req_fd);
}

/*
 * The widest chip works on every kernel (6.1 gave it base 0, whose legacy
 * sysfs name collided with the character device gpiochip0).
 */
TEST_F_TIMEOUT(silent, chip_of_1024_lines, 60)
{
	struct gpio_v2_line_request req = { .num_lines = 1 };
	struct gpiochip_info info = { 0 };
	struct raw_server srv;
	char path[96];
	int fd;

	ASSERT_EQ(0, raw_server_start(&srv, "wide", GUSE_LINES_MAX, 0));
	snprintf(path, sizeof(path), "/dev/%s", srv.ready.chip_name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info));
	EXPECT_EQ((unsigned int)GUSE_LINES_MAX, info.lines);
	EXPECT_STREQ("wide", info.label);
	req.offsets[0] = GUSE_LINES_MAX - 1;
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT;
	strcpy(req.consumer, "wide-test");
	EXPECT_EQ(0, ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req));
	if (req.fd > 0)
		close(req.fd);
	close(fd);
	/* the legacy sysfs chip exists too, where the kernel has it */
	if (access("/sys/class/gpio", F_OK) == 0) {
		snprintf(path, sizeof(path), "/sys/class/gpio/gpiochip%u/ngpio",
			 le32toh(srv.ready.base));
		EXPECT_EQ(0, access(path, F_OK));
	}
	raw_server_stop(&srv, true);
}

GUSE_HARNESS_MAIN(raw_device_present() ? NULL :
		  "no /dev/guse: the modules are not loaded")
