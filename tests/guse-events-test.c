// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-events-test: input levels injected by a server become edge events
 * for libgpiod users and uAPI v1 consumers, with the right edge, kernel
 * timestamps, no loss below the event FIFO size, software debounce when
 * the server declines debounce, interrupt configuration reported to the
 * server, line-info watches, and a clean end for watchers when the server
 * dies.  kselftest harness, KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpiod-user.h"
#include "guse-kselftest.h"
#include "raw-guse.h"

#define LINES		16
#define CONSUMER	"events-test"
#define TIMEOUT_S	20	/* per test; its own waits are bounded below */
#define ROUNDS_TIMEOUT_S 60	/* 20 dying servers, each waited for up to 2 s */
#define BUF_EVENTS	1024

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void chip_path(char *buf, size_t len, const struct raw_server *srv)
{
	snprintf(buf, len, "/dev/%.*s", (int)sizeof(srv->ready.chip_name),
		 srv->ready.chip_name);
}

/* What the tests look at in an edge event (the buffer is reused). */
struct ev {
	int type;		/* enum gpiod_edge_event_type */
	unsigned int offset;
	unsigned long line_seqno;
	uint64_t ts;
};

/*
 * What a user's event loop does once: waits up to @timeout_ms for events,
 * reads up to @max into @ev.  Returns their number, 0 on timeout or -1.
 */
static int read_events(struct gpiod_line_request *req,
		       struct gpiod_edge_event_buffer *buf, struct ev *ev,
		       int max, int timeout_ms)
{
	int n, i, ret;

	ret = gpiod_line_request_wait_edge_events(req,
						  timeout_ms * 1000000LL);
	if (ret <= 0)
		return ret;
	n = gpiod_line_request_read_edge_events(req, buf, max);
	for (i = 0; i < n; i++) {
		struct gpiod_edge_event *e =
			gpiod_edge_event_buffer_get_event(buf, i);

		ev[i] = (struct ev){
			.type = gpiod_edge_event_get_event_type(e),
			.offset = gpiod_edge_event_get_line_offset(e),
			.line_seqno = gpiod_edge_event_get_line_seqno(e),
			.ts = gpiod_edge_event_get_timestamp_ns(e),
		};
	}
	return n;
}

/* ---- one 16-line chip with a correct server ----------------------------- */

FIXTURE(events) {
	struct raw_server srv;
	bool serving;
	struct gpiod_chip *chip;
	struct gpiod_line_request *req;
	struct gpiod_edge_event_buffer *buf;
	struct ev ev[BUF_EVENTS];
};

FIXTURE_SETUP(events)
{
	int ret;

	ret = raw_server_start(&self->srv, "events", LINES,
			       GUSE_CREATE_F_REQUEST |
			       GUSE_CREATE_F_SET_CONFIG |
			       GUSE_CREATE_F_IRQ_CONFIG);
	ASSERT_EQ(0, ret) TH_LOG("cannot create a chip: %s", strerror(-ret));
	self->serving = true;
	self->chip = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, self->chip) TH_LOG("gpiod_chip_open: %s",
					   strerror(errno));
	self->buf = gpiod_edge_event_buffer_new(BUF_EVENTS);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(events)
{
	if (self->req)
		gpiod_line_request_release(self->req);
	if (self->chip)
		gpiod_chip_close(self->chip);
	gpiod_edge_event_buffer_free(self->buf);
	if (self->serving)
		raw_server_stop(&self->srv, true);
}

/* Requests @r's lines as self->req (released by the teardown). */
#define REQUEST(...) do {						\
	struct user_req _r = { .consumer = CONSUMER, __VA_ARGS__ };	\
	self->req = user_request(self->chip, &_r);			\
	ASSERT_NE(NULL, self->req) TH_LOG("line request: %s",		\
					  strerror(errno));		\
} while (0)

static void release(FIXTURE_DATA(events) *self)
{
	gpiod_line_request_release(self->req);
	self->req = NULL;
}

#define READ(max, timeout_ms) \
	read_events(self->req, self->buf, self->ev, (max), (timeout_ms))

TEST_F_TIMEOUT(events, rising_level_is_one_rising_event, TIMEOUT_S)
{
	REQUEST(.first = 1, .num = 1, .edge = GPIOD_LINE_EDGE_RISING);
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 1, 1));
	ASSERT_EQ(1, READ(4, 1000));
	EXPECT_EQ(GPIOD_EDGE_EVENT_RISING_EDGE, self->ev[0].type);
	EXPECT_EQ(1U, self->ev[0].offset);
}

TEST_F_TIMEOUT(events, timestamp_is_clock_monotonic_of_injection, TIMEOUT_S)
{
	uint64_t t0, t1;

	REQUEST(.first = 1, .num = 1, .edge = GPIOD_LINE_EDGE_RISING);
	t0 = mono_ns();
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 1, 1));
	ASSERT_EQ(1, READ(4, 1000));
	t1 = mono_ns();
	EXPECT_LE(t0, self->ev[0].ts);
	EXPECT_GE(t1, self->ev[0].ts);
}

TEST_F_TIMEOUT(events, falling_level_on_rising_line_is_no_event, TIMEOUT_S)
{
	REQUEST(.first = 1, .num = 1, .edge = GPIOD_LINE_EDGE_RISING);
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 1, 1));
	ASSERT_EQ(1, READ(4, 1000));
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 1, 0));
	EXPECT_EQ(0, READ(4, 200));
}

TEST_F_TIMEOUT(events, falling_edge_line_reports_only_falling, TIMEOUT_S)
{
	REQUEST(.first = 2, .num = 1, .edge = GPIOD_LINE_EDGE_FALLING);
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 2, 1));
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 2, 0));
	ASSERT_EQ(1, READ(4, 1000));
	EXPECT_EQ(GPIOD_EDGE_EVENT_FALLING_EDGE, self->ev[0].type);
}

enum { TOGGLES = 500 };

/*
 * Injects TOGGLES alternating levels (1, 0, ...) on both-edge line 3 with
 * a 1024-event kernel buffer and reads the events into self->ev; returns
 * how many came.
 */
static int burst(struct __test_metadata *_metadata,
		 FIXTURE_DATA(events) *self)
{
	int i, n, got = 0;

	REQUEST(.first = 3, .num = 1, .edge = GPIOD_LINE_EDGE_BOTH,
		.event_buffer_size = 1024);
	for (i = 0; i < TOGGLES; i++)
		ASSERT_EQ(0, raw_server_set_input(&self->srv, 3, !(i % 2)));
	while (got < TOGGLES) {
		n = read_events(self->req, self->buf, self->ev + got,
				TOGGLES - got, 1000);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

TEST_F_TIMEOUT(events, burst_of_500_levels_is_500_right_events, TIMEOUT_S)
{
	int i, got, wrong = 0, bad_seqno = 0;

	got = burst(_metadata, self);
	for (i = 0; i < got; i++) {
		if (self->ev[i].type != (i % 2 ? GPIOD_EDGE_EVENT_FALLING_EDGE :
					 GPIOD_EDGE_EVENT_RISING_EDGE))
			wrong++;
		if (self->ev[i].line_seqno != (unsigned long)i + 1)
			bad_seqno++;
	}
	EXPECT_EQ(TOGGLES, got);
	EXPECT_EQ(0, wrong) TH_LOG("%d of %d events with the wrong edge",
				   wrong, got);
	EXPECT_EQ(0, bad_seqno);
}

TEST_F_TIMEOUT(events, injected_level_is_read_after_burst, TIMEOUT_S)
{
	burst(_metadata, self);
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 3, 1));
	READ(BUF_EVENTS, 1000);
	EXPECT_EQ(GPIOD_LINE_VALUE_ACTIVE,
		  gpiod_line_request_get_value(self->req, 3));
}

TEST_F_TIMEOUT(events, one_set_inputs_on_8_lines_is_8_events, TIMEOUT_S)
{
	uint64_t mask[1] = { 0xff00 }, values[1] = { 0xff00 };
	unsigned int seen = 0;
	int n, got = 0, i;

	REQUEST(.first = 8, .num = 8, .edge = GPIOD_LINE_EDGE_RISING);
	ASSERT_EQ(0, raw_server_set_inputs(&self->srv, mask, values));
	while (got < 8 && (n = read_events(self->req, self->buf,
					   self->ev + got, 16 - got, 1000)) > 0)
		got += n;
	for (i = 0; i < got; i++)
		seen |= 1U << self->ev[i].offset;
	EXPECT_EQ(8, got);
	EXPECT_EQ(0xff00U, seen);
}

/*
 * Line 4 watched for both edges with a 20 ms debounce that the server
 * declines: gpiolib debounces in software.
 */
static void debounced_line(struct __test_metadata *_metadata,
			   FIXTURE_DATA(events) *self)
{
	pthread_mutex_lock(&self->srv.lock);
	self->srv.seen.config_errno = EOPNOTSUPP;
	pthread_mutex_unlock(&self->srv.lock);
	REQUEST(.first = 4, .num = 1, .edge = GPIOD_LINE_EDGE_BOTH,
		.debounce_us = 20000);
}

TEST_F_TIMEOUT(events, debounce_reaches_server_with_period, TIMEOUT_S)
{
	struct raw_seen seen;

	debounced_line(_metadata, self);
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ((uint32_t)GUSE_CONFIG_INPUT_DEBOUNCE, seen.last_config_param);
	EXPECT_EQ(20000U, seen.last_config_arg);
}

/* Injects a 1 ms glitch on line 4 and counts the events of 200 ms. */
static int glitch(FIXTURE_DATA(events) *self)
{
	raw_server_set_input(&self->srv, 4, 1);
	usleep(1000);
	raw_server_set_input(&self->srv, 4, 0);
	return READ(4, 200);
}

TEST_F_TIMEOUT(events, debounce_filters_1ms_glitch, TIMEOUT_S)
{
	debounced_line(_metadata, self);
	EXPECT_EQ(0, glitch(self));
}

TEST_F_TIMEOUT(events, debounce_gives_held_level_one_event, TIMEOUT_S)
{
	debounced_line(_metadata, self);
	glitch(self);
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 4, 1));
	ASSERT_EQ(1, READ(4, 1000));
	EXPECT_EQ(GPIOD_EDGE_EVENT_RISING_EDGE, self->ev[0].type);
}

/*
 * Waits up to @ms for the server to have seen an IRQ_CONFIG of line 5
 * with @flags: the kernel sends it without waiting for the answer.
 */
static void wait_irq_config(struct raw_server *srv, struct raw_seen *seen,
			    uint32_t flags, int ms)
{
	int deadline = raw_now_ms() + ms;

	for (;;) {
		raw_server_seen(srv, seen);
		if ((seen->irq_configs && seen->last_irq_line == 5 &&
		     seen->last_irq_flags == flags) || raw_now_ms() >= deadline)
			return;
		usleep(5000);
	}
}

TEST_F_TIMEOUT(events, both_edges_reach_server_as_irq_config, TIMEOUT_S)
{
	struct raw_seen seen;

	REQUEST(.first = 5, .num = 1, .edge = GPIOD_LINE_EDGE_BOTH);
	wait_irq_config(&self->srv, &seen, GUSE_IRQ_F_ENABLED, 5000);
	EXPECT_EQ(5U, seen.last_irq_line);
	EXPECT_EQ((uint32_t)GUSE_IRQ_TYPE_EDGE_BOTH, seen.last_irq_type);
	EXPECT_EQ((uint32_t)GUSE_IRQ_F_ENABLED, seen.last_irq_flags);
}

TEST_F_TIMEOUT(events, release_disables_irq_at_server, TIMEOUT_S)
{
	struct raw_seen seen;

	REQUEST(.first = 5, .num = 1, .edge = GPIOD_LINE_EDGE_BOTH);
	wait_irq_config(&self->srv, &seen, GUSE_IRQ_F_ENABLED, 5000);
	release(self);
	wait_irq_config(&self->srv, &seen, 0, 100);
	EXPECT_EQ(5U, seen.last_irq_line);
	EXPECT_EQ(0U, seen.last_irq_flags);
}

/* uAPI v1 (not in libgpiod v2): a line event handle of line 6 */
TEST_F_TIMEOUT(events, uapi_v1_events_rising_then_falling, TIMEOUT_S)
{
	struct gpioevent_request req = {
		.lineoffset = 6,
		.handleflags = GPIOHANDLE_REQUEST_INPUT,
		.eventflags = GPIOEVENT_REQUEST_BOTH_EDGES,
		.consumer_label = "events-test-v1",
	};
	struct gpioline_info info = { .line_offset = 6 };
	int chipfd = gpiod_chip_get_fd(self->chip);
	struct gpioevent_data ev[2];
	struct pollfd pfd;
	ssize_t n;

	/* line info is answered by gpiolib alone: a probe for uAPI v1 */
	if (ioctl(chipfd, GPIO_GET_LINEINFO_IOCTL, &info) && errno == EINVAL)
		SKIP(return, "kernel built without CONFIG_GPIO_CDEV_V1");
	ASSERT_EQ(0, ioctl(chipfd, GPIO_GET_LINEEVENT_IOCTL, &req))
		TH_LOG("uAPI v1 line events: %s", strerror(errno));
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 6, 1));
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 6, 0));
	pfd = (struct pollfd){ .fd = req.fd, .events = POLLIN };
	poll(&pfd, 1, 1000);
	n = read(req.fd, &ev[0], sizeof(ev[0]));
	poll(&pfd, 1, 1000);
	n += read(req.fd, &ev[1], sizeof(ev[1]));
	close(req.fd);
	ASSERT_EQ((ssize_t)sizeof(ev), n);
	EXPECT_EQ((uint32_t)GPIOEVENT_EVENT_RISING_EDGE, ev[0].id);
	EXPECT_EQ((uint32_t)GPIOEVENT_EVENT_FALLING_EDGE, ev[1].id);
}

/* A consumer requests line 7 as input, turns it into an output, releases. */
static void use_line_7(struct __test_metadata *_metadata,
		       FIXTURE_DATA(events) *self)
{
	struct user_req out = { .first = 7, .num = 1,
				.direction = GPIOD_LINE_DIRECTION_OUTPUT };

	REQUEST(.first = 7, .num = 1, .direction = GPIOD_LINE_DIRECTION_INPUT);
	ASSERT_EQ(0, user_reconfigure(self->req, &out))
		TH_LOG("reconfigure: %s", strerror(errno));
	release(self);
}

/* Line-info watches (what gpionotify uses) see every consumer action. */
TEST_F_TIMEOUT(events, line_info_watch_sees_request_config_release, TIMEOUT_S)
{
	int type[3] = { 0 }, dir = 0;	/* the info events', line 7's */
	struct gpiod_chip *watcher;
	struct gpiod_line_info *info;
	struct gpiod_info_event *ie;
	char consumer[32] = "";
	int n;

	watcher = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, watcher);
	info = gpiod_chip_watch_line_info(watcher, 7);
	ASSERT_NE(NULL, info) TH_LOG("line-info watch: %s", strerror(errno));
	gpiod_line_info_free(info);
	use_line_7(_metadata, self);
	for (n = 0; n < 3 && gpiod_chip_wait_info_event(watcher,
							1000000000LL) == 1; n++) {
		ie = gpiod_chip_read_info_event(watcher);
		if (!ie)
			break;
		type[n] = gpiod_info_event_get_event_type(ie);
		info = gpiod_info_event_get_line_info(ie);
		if (n == 0)
			snprintf(consumer, sizeof(consumer), "%s",
				 gpiod_line_info_get_consumer(info) ?: "");
		if (n == 1)
			dir = gpiod_line_info_get_direction(info);
		gpiod_info_event_free(ie);
	}
	gpiod_chip_close(watcher);
	ASSERT_EQ(3, n);
	EXPECT_EQ(GPIOD_INFO_EVENT_LINE_REQUESTED, type[0]);
	EXPECT_STREQ(CONSUMER, consumer);
	EXPECT_EQ(GPIOD_INFO_EVENT_LINE_CONFIG_CHANGED, type[1]);
	EXPECT_EQ(GPIOD_LINE_DIRECTION_OUTPUT, dir);
	EXPECT_EQ(GPIOD_INFO_EVENT_LINE_RELEASED, type[2]);
}

TEST_F_TIMEOUT(events, reconfigure_to_output_reaches_server, TIMEOUT_S)
{
	struct raw_seen seen;

	use_line_7(_metadata, self);
	raw_server_seen(&self->srv, &seen);
	EXPECT_TRUE((seen.is_output[0] & (1ULL << 7)) != 0);
}

/* Multi-line get and set are one round trip each. */
TEST_F_TIMEOUT(events, set_and_get_8_lines_one_round_trip_each, TIMEOUT_S)
{
	enum gpiod_line_value set[8], got[8];
	struct raw_seen before, after;
	unsigned int i, bits = 0;

	REQUEST(.first = 8, .num = 8, .direction = GPIOD_LINE_DIRECTION_OUTPUT);
	for (i = 0; i < 8; i++)
		set[i] = 0xa5 >> i & 1 ? GPIOD_LINE_VALUE_ACTIVE :
					 GPIOD_LINE_VALUE_INACTIVE;
	raw_server_seen(&self->srv, &before);
	EXPECT_EQ(0, gpiod_line_request_set_values(self->req, set));
	EXPECT_EQ(0, gpiod_line_request_get_values(self->req, got));
	raw_server_seen(&self->srv, &after);
	for (i = 0; i < 8; i++)
		bits |= (got[i] == GPIOD_LINE_VALUE_ACTIVE) << i;
	EXPECT_EQ(1U, after.set_values - before.set_values);
	EXPECT_EQ(1U, after.get_values - before.get_values);
	EXPECT_EQ(0xa5U, bits);
}

TEST_F_TIMEOUT(events, pull_up_reaches_server_as_set_config, TIMEOUT_S)
{
	struct raw_seen seen;

	REQUEST(.first = 9, .num = 1, .direction = GPIOD_LINE_DIRECTION_INPUT,
		.bias = GPIOD_LINE_BIAS_PULL_UP);
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ((uint32_t)GUSE_CONFIG_BIAS_PULL_UP, seen.last_config_param);
}

TEST_F_TIMEOUT(events, open_drain_reaches_server_as_set_config, TIMEOUT_S)
{
	struct raw_seen seen;

	REQUEST(.first = 10, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_OUTPUT,
		.drive = GPIOD_LINE_DRIVE_OPEN_DRAIN);
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ((uint32_t)GUSE_CONFIG_DRIVE_OPEN_DRAIN,
		  seen.last_config_param);
}

/* ---- a server dying under a rising-edge watcher of its line 0 ----------- */

FIXTURE(dying) {
	struct raw_server srv;
	struct gpiod_chip *chip;
	struct gpiod_line_request *req;
	struct gpiod_edge_event_buffer *buf;
	char path[64];
};

FIXTURE_SETUP(dying)
{
	struct user_req r = { .first = 0, .num = 1, .consumer = CONSUMER,
			      .edge = GPIOD_LINE_EDGE_RISING };
	int ret;

	ret = raw_server_start(&self->srv, "events-death", 4,
			       GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG);
	ASSERT_EQ(0, ret) TH_LOG("cannot create a chip: %s", strerror(-ret));
	chip_path(self->path, sizeof(self->path), &self->srv);
	self->chip = user_chip_open(self->srv.ready.chip_name);
	self->req = self->chip ? user_request(self->chip, &r) : NULL;
	raw_server_stop(&self->srv, true);
	ASSERT_NE(NULL, self->req) TH_LOG("line request: %s", strerror(errno));
	self->buf = gpiod_edge_event_buffer_new(4);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(dying)
{
	if (self->req)
		gpiod_line_request_release(self->req);
	if (self->chip)
		gpiod_chip_close(self->chip);
	gpiod_edge_event_buffer_free(self->buf);
}

#define NEED_REMOVAL_OF_HELD_CHIPS() do {				\
	if (!raw_removes_held_chips())					\
		SKIP(return, "gpiolib before 6.8 keeps a dead server's chip while its lines are held"); \
} while (0)
#define NEED_KEEPING_OF_HELD_CHIPS() do {				\
	if (raw_removes_held_chips())					\
		SKIP(return, "gpiolib from 6.8 removes a dead server's chip at once"); \
} while (0)

/* Waits up to 2 s for the request fd to report the end; returns revents. */
static short request_hangup(FIXTURE_DATA(dying) *self)
{
	struct pollfd pfd = { .fd = gpiod_line_request_get_fd(self->req),
			      .events = POLLIN };

	return poll(&pfd, 1, 2000) == 1 ? pfd.revents : 0;
}

TEST_F_TIMEOUT(dying, request_fd_reports_pollhup, TIMEOUT_S)
{
	NEED_REMOVAL_OF_HELD_CHIPS();
	EXPECT_NE(0, request_hangup(self) & (POLLHUP | POLLERR));
}

TEST_F_TIMEOUT(dying, reading_events_fails_with_enodev, TIMEOUT_S)
{
	NEED_REMOVAL_OF_HELD_CHIPS();
	request_hangup(self);
	EXPECT_EQ(-1, gpiod_line_request_read_edge_events(self->req,
							  self->buf, 4));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F_TIMEOUT(dying, chip_fd_reports_pollhup, TIMEOUT_S)
{
	struct pollfd pfd = { .fd = gpiod_chip_get_fd(self->chip),
			      .events = POLLIN };

	NEED_REMOVAL_OF_HELD_CHIPS();
	request_hangup(self);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_NE(0, pfd.revents & (POLLHUP | POLLERR));
}

TEST_F_TIMEOUT(dying, held_line_fails_with_enodev, TIMEOUT_S)
{
	NEED_KEEPING_OF_HELD_CHIPS();
	EXPECT_EQ(GPIOD_LINE_VALUE_ERROR,
		  gpiod_line_request_get_value(self->req, 0));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F_TIMEOUT(dying, chip_stays_while_a_line_is_held, TIMEOUT_S)
{
	struct stat st;

	NEED_KEEPING_OF_HELD_CHIPS();
	EXPECT_EQ(0, stat(self->path, &st));
}

TEST_F_TIMEOUT(dying, chip_goes_once_its_last_line_is_released, TIMEOUT_S)
{
	struct stat st;
	int i;

	NEED_KEEPING_OF_HELD_CHIPS();
	gpiod_line_request_release(self->req);
	self->req = NULL;
	for (i = 0; i < 200 && !stat(self->path, &st); i++)
		usleep(10000);
	EXPECT_NE(0, stat(self->path, &st));
}

/* ---- regressions around lines released after their server died --------- */

FIXTURE(after_death) {
	struct raw_server srv;
	bool serving;
};

FIXTURE_SETUP(after_death)
{
}

FIXTURE_TEARDOWN(after_death)
{
	if (self->serving)
		raw_server_stop(&self->srv, true);
}

/*
 * Raw uAPI v2 requests here: the regressions are about the close() of a
 * line of a dead chip, whose result libgpiod's release does not return.
 */
static int raw_request(int chipfd, unsigned int line, uint64_t flags)
{
	struct gpio_v2_line_request req;

	memset(&req, 0, sizeof(req));
	req.offsets[0] = line;
	req.num_lines = 1;
	req.config.flags = flags;
	strcpy(req.consumer, CONSUMER);
	if (ioctl(chipfd, GPIO_V2_GET_LINE_IOCTL, &req))
		return -errno;
	return req.fd;
}

/* Waits up to @ms for @path to go. */
static bool gone(const char *path, int ms)
{
	int deadline = raw_now_ms() + ms;
	struct stat st;

	while (!stat(path, &st)) {
		if (raw_now_ms() >= deadline)
			return false;
		usleep(5000);
	}
	return true;
}

/*
 * A line-info watcher (gpionotify) on a line that a consumer releases
 * after the server died.  On 6.1 gpiolib notifies the watcher and
 * dereferences the chip it cleared if the chip was removed already: an
 * oops, until gpio-guse kept such chips until their lines were released.
 */
TEST_F_TIMEOUT(after_death, watched_line_released_leaves_kernel_working,
	       TIMEOUT_S)
{
	struct gpiod_line_info *info;
	struct gpiod_chip *watcher;
	char path[64];
	int chipfd, fd, ret;

	ret = raw_server_start(&self->srv, "watched-death", 4, 0);
	ASSERT_EQ(0, ret) TH_LOG("cannot create a chip: %s", strerror(-ret));
	self->serving = true;
	chip_path(path, sizeof(path), &self->srv);
	watcher = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, watcher);
	info = gpiod_chip_watch_line_info(watcher, 1);
	ASSERT_NE(NULL, info) TH_LOG("line-info watch: %s", strerror(errno));
	gpiod_line_info_free(info);
	chipfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, chipfd);
	fd = raw_request(chipfd, 1, GPIO_V2_LINE_FLAG_INPUT);
	raw_server_stop(&self->srv, true);
	self->serving = false;
	ASSERT_LE(0, fd) TH_LOG("line request: %s", strerror(-fd));
	/* from 6.8 the chip goes at once; 6.1 keeps it while fd is open */
	if (raw_removes_held_chips()) {
		EXPECT_TRUE(gone(path, 2000));
	} else {
		usleep(100000);
	}
	EXPECT_EQ(0, close(fd));
	/* grace time for the watcher's notification (an oops ends the run) */
	usleep(300000);
	close(chipfd);
	gpiod_chip_close(watcher);
	ret = raw_server_start(&self->srv, "after-watched", 2, 0);
	EXPECT_EQ(0, ret) TH_LOG("a new chip: %s", strerror(-ret));
	self->serving = !ret;
}

/* Counts lines of the kernel log containing @what (needs CAP_SYSLOG). */
static int klog_count(const char *what)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *p;
	int n = 0, len;

	if (size <= 0 || !(buf = malloc(size + 1)))
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, what)); p++)
		n++;
	free(buf);
	return n;
}

enum { ROUNDS = 20 };

/*
 * ROUNDS times: a both-edge watcher closes its line only after its
 * server died and (from 6.8) the chip is gone.  Returns the number of
 * closes that succeeded.
 */
static int late_closes(FIXTURE_DATA(after_death) *self)
{
	int r, ok = 0, chipfd, fd;
	char path[64];

	for (r = 0; r < ROUNDS; r++) {
		if (raw_server_start(&self->srv, "late-close", 4, 0))
			break;
		chip_path(path, sizeof(path), &self->srv);
		chipfd = open(path, O_RDWR | O_CLOEXEC);
		fd = raw_request(chipfd, 0, GPIO_V2_LINE_FLAG_INPUT |
				 GPIO_V2_LINE_FLAG_EDGE_RISING |
				 GPIO_V2_LINE_FLAG_EDGE_FALLING);
		close(chipfd);
		raw_server_stop(&self->srv, true);
		if (raw_removes_held_chips())
			gone(path, 1000);
		if (fd >= 0 && close(fd) == 0)
			ok++;
		gone(path, 1000);
	}
	return ok;
}

/*
 * The interrupts such watchers held must have been released and their
 * mappings disposed of by then: before that was done, their free_irq() hit
 * "Trying to free already-free IRQ" on 6.12 and 7.3 and a /proc/irq leak
 * on 6.1, both with a WARNING.
 */
TEST_F_TIMEOUT(after_death, late_closes_leave_no_kernel_warning,
	       ROUNDS_TIMEOUT_S)
{
	int before = klog_count("WARNING"), ok, after;

	ASSERT_LE(0, before) TH_LOG("cannot read the kernel log");
	ok = late_closes(self);
	after = klog_count("WARNING");
	EXPECT_EQ(ROUNDS, ok);
	EXPECT_EQ(before, after) TH_LOG("%d new warnings", after - before);
}

/*
 * On 6.1 each of those lines leaked a reference to its gpio_device, which
 * stayed on gpiolib's list without a chip, and the next chip with line
 * names oopsed in gpiolib's duplicate-name scan.
 */
TEST_F_TIMEOUT(after_death, named_chip_after_late_closes, ROUNDS_TIMEOUT_S)
{
	char names[4][GUSE_NAME_SIZE] = { "after-a", "", "after-c", "after-d" };
	struct raw_create a = {
		.label = "named-after", .num_lines = 4,
		.flags = GUSE_CREATE_F_LINE_NAMES,
		.names = &names[0][0], .names_len = sizeof(names),
	};
	struct gpiod_line_info *info;
	struct gpiod_chip *chip;
	char name[GUSE_NAME_SIZE] = "";
	struct raw_msg m;
	int gfd;

	late_closes(self);
	gfd = raw_open();
	ASSERT_LE(0, gfd);
	ASSERT_EQ(0, raw_send_create(gfd, &a));
	ASSERT_LT(0, raw_recv(gfd, &m, 2000));
	ASSERT_EQ(GUSE_OP_READY, m.hdr.opcode);
	chip = user_chip_open(((struct guse_ready *)m.payload)->chip_name);
	ASSERT_NE(NULL, chip);
	info = gpiod_chip_get_line_info(chip, 2);
	if (info && gpiod_line_info_get_name(info))
		snprintf(name, sizeof(name), "%s",
			 gpiod_line_info_get_name(info));
	EXPECT_NE(NULL, info);
	EXPECT_STREQ("after-c", name);
	gpiod_line_info_free(info);
	gpiod_chip_close(chip);
	close(gfd);
}

GUSE_HARNESS_MAIN(GUSE_NEED_DEVICE())
