// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-events-test: input levels injected by a server become edge events
 * for uAPI v2 and v1 consumers, with the right edge, kernel timestamps, no
 * loss below the event FIFO size, software debounce when the server
 * declines debounce, interrupt configuration reported to the server, and
 * a clean end for watchers when the server dies.  KTAP output.
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

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS 24
#define LINES 16

static int chip_open(struct raw_server *srv)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/%s", srv->ready.chip_name);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Requests @n lines from @first with @flags; returns the request fd. */
static int request_lines(int chipfd, unsigned int first, unsigned int n,
			 uint64_t flags, uint32_t debounce_us,
			 uint32_t buffer_size)
{
	struct gpio_v2_line_request req;
	unsigned int i;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < n; i++)
		req.offsets[i] = first + i;
	req.num_lines = n;
	req.config.flags = flags;
	req.event_buffer_size = buffer_size;
	if (debounce_us) {
		req.config.num_attrs = 1;
		req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
		req.config.attrs[0].attr.debounce_period_us = debounce_us;
		req.config.attrs[0].mask = (1ULL << n) - 1;
	}
	strcpy(req.consumer, "events-test");
	if (ioctl(chipfd, GPIO_V2_GET_LINE_IOCTL, &req))
		return -errno;
	return req.fd;
}

/* Reads up to @max events, waiting at most @timeout_ms for the first. */
static int read_events(int fd, struct gpio_v2_line_event *ev, int max,
		       int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return 0;
	n = read(fd, ev, max * sizeof(*ev));
	if (n < 0)
		return -errno;
	return (int)(n / sizeof(*ev));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void test_single_edges(struct raw_server *srv, int chipfd)
{
	struct gpio_v2_line_event ev[4];
	uint64_t t0, t1;
	int fd, n;

	fd = request_lines(chipfd, 1, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING, 0, 0);
	t0 = mono_ns();
	raw_server_set_input(srv, 1, 1);
	n = read_events(fd, ev, 4, 1000);
	t1 = mono_ns();
	ktap_test(fd >= 0 && n == 1 && ev[0].id == GPIO_V2_LINE_EVENT_RISING_EDGE &&
		  ev[0].offset == 1,
		  "a rising level on a rising-edge line is one rising event");
	ktap_test(n == 1 && ev[0].timestamp_ns >= t0 && ev[0].timestamp_ns <= t1,
		  "the event carries a CLOCK_MONOTONIC timestamp of the injection");
	raw_server_set_input(srv, 1, 0);
	n = read_events(fd, ev, 4, 200);
	ktap_test(n == 0, "a falling level on a rising-edge line is no event");
	close(fd);

	fd = request_lines(chipfd, 2, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING, 0, 0);
	raw_server_set_input(srv, 2, 1);
	raw_server_set_input(srv, 2, 0);
	n = read_events(fd, ev, 4, 1000);
	ktap_test(fd >= 0 && n == 1 && ev[0].id == GPIO_V2_LINE_EVENT_FALLING_EDGE,
		  "a falling-edge line reports only the falling edge");
	close(fd);
}

static void test_both_edges_burst(struct raw_server *srv, int chipfd)
{
	enum { TOGGLES = 500 };
	struct gpio_v2_line_event *ev = calloc(TOGGLES, sizeof(*ev));
	struct gpio_v2_line_values vals = { .mask = 1 };
	int fd, i, n, got = 0, wrong = 0, seq_ok = 1;

	fd = request_lines(chipfd, 3, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING, 0, 1024);
	for (i = 0; i < TOGGLES; i++)
		raw_server_set_input(srv, 3, !(i % 2));
	while (got < TOGGLES) {
		n = read_events(fd, ev + got, TOGGLES - got, 1000);
		if (n <= 0)
			break;
		got += n;
	}
	for (i = 0; i < got; i++) {
		if (ev[i].id != (i % 2 ? GPIO_V2_LINE_EVENT_FALLING_EDGE :
				 GPIO_V2_LINE_EVENT_RISING_EDGE))
			wrong++;
		if (ev[i].line_seqno != (unsigned int)i + 1)
			seq_ok = 0;
	}
	ktap_test(fd >= 0 && got == TOGGLES && !wrong && seq_ok,
		  "%d alternating levels on a both-edge line give %d events, each with the right edge, none lost",
		  TOGGLES, TOGGLES);
	if (got != TOGGLES || wrong)
		ktap_diag("got %d events, %d with the wrong edge", got, wrong);

	raw_server_set_input(srv, 3, 1);
	read_events(fd, ev, TOGGLES, 1000);
	ktap_test(!ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &vals) &&
		  vals.bits == 1,
		  "the injected level is what the consumer reads afterwards");
	close(fd);
	free(ev);
}

static void test_batch(struct raw_server *srv, int chipfd)
{
	uint64_t mask[1] = { 0xff00 }, values[1] = { 0xff00 };
	struct gpio_v2_line_event ev[16];
	unsigned int seen = 0;
	int fd, n, got = 0, i;

	fd = request_lines(chipfd, 8, 8, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING, 0, 0);
	raw_server_set_inputs(srv, mask, values);
	while (got < 8 && (n = read_events(fd, ev + got, 16 - got, 1000)) > 0)
		got += n;
	for (i = 0; i < got; i++)
		seen |= 1U << ev[i].offset;
	ktap_test(fd >= 0 && got == 8 && seen == 0xff00,
		  "one SET_INPUTS message on 8 watched lines gives 8 events");
	close(fd);
}

static void test_debounce(struct raw_server *srv, int chipfd)
{
	struct gpio_v2_line_event ev[4];
	struct raw_seen seen;
	int fd, n;

	/* the server declines debounce: gpiolib debounces in software */
	pthread_mutex_lock(&srv->lock);
	srv->seen.config_errno = EOPNOTSUPP;
	pthread_mutex_unlock(&srv->lock);
	fd = request_lines(chipfd, 4, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING, 20000, 0);
	raw_server_seen(srv, &seen);
	ktap_test(fd >= 0 && seen.last_config_param == GUSE_CONFIG_INPUT_DEBOUNCE &&
		  seen.last_config_arg == 20000,
		  "the debounce request reaches the server with its period");
	raw_server_set_input(srv, 4, 1);
	usleep(1000);
	raw_server_set_input(srv, 4, 0);
	n = read_events(fd, ev, 4, 200);
	ktap_test(n == 0, "a 1 ms glitch on a 20 ms debounced line is filtered");
	raw_server_set_input(srv, 4, 1);
	n = read_events(fd, ev, 4, 1000);
	ktap_test(n == 1 && ev[0].id == GPIO_V2_LINE_EVENT_RISING_EDGE,
		  "a held level on a debounced line gives one event");
	close(fd);
	pthread_mutex_lock(&srv->lock);
	srv->seen.config_errno = 0;
	pthread_mutex_unlock(&srv->lock);
}

static void test_irq_config(struct raw_server *srv, int chipfd)
{
	struct raw_seen seen;
	int fd;

	fd = request_lines(chipfd, 5, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING, 0, 0);
	raw_server_seen(srv, &seen);
	ktap_test(fd >= 0 && seen.last_irq_line == 5 &&
		  seen.last_irq_type == GUSE_IRQ_TYPE_EDGE_BOTH &&
		  seen.last_irq_flags == GUSE_IRQ_F_ENABLED,
		  "watching both edges is reported to the server as IRQ_CONFIG");
	close(fd);
	usleep(100000);
	raw_server_seen(srv, &seen);
	ktap_test(seen.last_irq_line == 5 && !seen.last_irq_flags,
		  "releasing the line disables its interrupt at the server");
}

static void test_v1_events(struct raw_server *srv, int chipfd)
{
	struct gpioevent_request req = {
		.lineoffset = 6,
		.handleflags = GPIOHANDLE_REQUEST_INPUT,
		.eventflags = GPIOEVENT_REQUEST_BOTH_EDGES,
		.consumer_label = "events-test-v1",
	};
	struct gpioline_info info = { .line_offset = 6 };
	struct gpioevent_data ev[2];
	struct pollfd pfd;
	ssize_t n;

	/* line info is answered by gpiolib alone: a probe for uAPI v1 */
	if (ioctl(chipfd, GPIO_GET_LINEINFO_IOCTL, &info) && errno == EINVAL) {
		ktap_skip("kernel built without CONFIG_GPIO_CDEV_V1",
			  "uAPI v1 line events report rising then falling");
		return;
	}
	if (ioctl(chipfd, GPIO_GET_LINEEVENT_IOCTL, &req)) {
		ktap_test(0, "uAPI v1 line events: %s", strerror(errno));
		return;
	}
	raw_server_set_input(srv, 6, 1);
	raw_server_set_input(srv, 6, 0);
	pfd = (struct pollfd){ .fd = req.fd, .events = POLLIN };
	poll(&pfd, 1, 1000);
	n = read(req.fd, &ev[0], sizeof(ev[0]));
	poll(&pfd, 1, 1000);
	n += read(req.fd, &ev[1], sizeof(ev[1]));
	ktap_test(n == sizeof(ev) && ev[0].id == GPIOEVENT_EVENT_RISING_EDGE &&
		  ev[1].id == GPIOEVENT_EVENT_FALLING_EDGE,
		  "uAPI v1 line events report rising then falling");
	close(req.fd);
}

/* Multi-line get and set are one round trip each; bias and drive arrive. */
static void test_multi_line_and_config(struct raw_server *srv, int chipfd)
{
	struct gpio_v2_line_values vals = { .mask = 0xff, .bits = 0xa5 };
	struct raw_seen before, after;
	int fd;

	fd = request_lines(chipfd, 8, 8, GPIO_V2_LINE_FLAG_OUTPUT, 0, 0);
	raw_server_seen(srv, &before);
	ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &vals);
	vals.bits = 0;
	ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &vals);
	raw_server_seen(srv, &after);
	ktap_test(fd >= 0 && after.set_values - before.set_values == 1 &&
		  after.get_values - before.get_values == 1 && vals.bits == 0xa5,
		  "setting and getting 8 lines are one SET_VALUES and one GET_VALUES (read back 0x%llx)",
		  (unsigned long long)vals.bits);
	close(fd);

	fd = request_lines(chipfd, 9, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_BIAS_PULL_UP, 0, 0);
	raw_server_seen(srv, &after);
	ktap_test(fd >= 0 && after.last_config_param == GUSE_CONFIG_BIAS_PULL_UP,
		  "a pull-up bias reaches the server as SET_CONFIG");
	close(fd);
	fd = request_lines(chipfd, 10, 1, GPIO_V2_LINE_FLAG_OUTPUT |
			   GPIO_V2_LINE_FLAG_OPEN_DRAIN, 0, 0);
	raw_server_seen(srv, &after);
	ktap_test(fd >= 0 && after.last_config_param == GUSE_CONFIG_DRIVE_OPEN_DRAIN,
		  "an open-drain drive reaches the server as SET_CONFIG");
	close(fd);
}

/* Line-info watches (what gpionotify uses) see every consumer action. */
static void test_lineinfo_watch(struct raw_server *srv, int chipfd)
{
	struct gpio_v2_line_info info = { .offset = 7 };
	struct gpio_v2_line_info_changed ev[3];
	struct gpio_v2_line_config cfg = { .flags = GPIO_V2_LINE_FLAG_OUTPUT };
	struct raw_seen seen;
	int watchfd, fd, n = 0, r;
	struct pollfd pfd;

	watchfd = chip_open(srv);
	if (ioctl(watchfd, GPIO_V2_GET_LINEINFO_WATCH_IOCTL, &info)) {
		ktap_test(0, "line-info watch: %s", strerror(errno));
		ktap_test(0, "reconfiguring a line reaches the server");
		close(watchfd);
		return;
	}
	fd = request_lines(chipfd, 7, 1, GPIO_V2_LINE_FLAG_INPUT, 0, 0);
	ioctl(fd, GPIO_V2_LINE_SET_CONFIG_IOCTL, &cfg);
	close(fd);
	pfd = (struct pollfd){ .fd = watchfd, .events = POLLIN };
	while (n < 3 && poll(&pfd, 1, 1000) == 1) {
		r = read(watchfd, &ev[n], sizeof(ev[n]));
		if (r != sizeof(ev[n]))
			break;
		n++;
	}
	ktap_test(n == 3 &&
		  ev[0].event_type == GPIO_V2_LINE_CHANGED_REQUESTED &&
		  !strcmp(ev[0].info.consumer, "events-test") &&
		  ev[1].event_type == GPIO_V2_LINE_CHANGED_CONFIG &&
		  (ev[1].info.flags & GPIO_V2_LINE_FLAG_OUTPUT) &&
		  ev[2].event_type == GPIO_V2_LINE_CHANGED_RELEASED,
		  "a line-info watcher sees requested, reconfigured and released");
	raw_server_seen(srv, &seen);
	ktap_test(seen.is_output[0] & (1ULL << 7),
		  "reconfiguring a line to output reaches the server");
	close(watchfd);
}

static void test_server_death(void)
{
	struct raw_server srv;
	struct gpio_v2_line_values vals = { .mask = 1 };
	struct pollfd pfd;
	struct stat st;
	char buf[64], path[64];
	int chipfd, fd, ret;
	ssize_t n;

	ret = raw_server_start(&srv, "events-death", 4,
			       GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG);
	chipfd = ret ? -1 : chip_open(&srv);
	snprintf(path, sizeof(path), "/dev/%s", srv.ready.chip_name);
	fd = request_lines(chipfd, 0, 1, GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING, 0, 0);
	raw_server_stop(&srv, true);
	if (!raw_removes_held_chips()) {
		/* older gpiolib: the chip stays until its lines are released */
		ret = ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &vals);
		ktap_test(fd >= 0 && ret < 0 && errno == ENODEV,
			  "a held line of a dead server fails with ENODEV (6.1: chip kept while held)");
		ktap_test(!stat(path, &st),
			  "the chip stays while a consumer holds a line (6.1)");
		close(fd);
		for (int i = 0; i < 200 && !stat(path, &st); i++)
			usleep(10000);
		ktap_test(stat(path, &st) != 0,
			  "the chip goes once its last line is released (6.1)");
		close(chipfd);
		return;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ret = poll(&pfd, 1, 2000);
	ktap_test(fd >= 0 && ret == 1 && (pfd.revents & (POLLHUP | POLLERR)),
		  "a watcher's request fd reports POLLHUP/POLLERR when the server dies");
	n = read(fd, buf, sizeof(buf));
	ktap_test(n < 0 && errno == ENODEV,
		  "reading events after the server died fails with ENODEV");
	pfd = (struct pollfd){ .fd = chipfd, .events = POLLIN };
	ret = poll(&pfd, 1, 0);
	ktap_test(ret == 1 && (pfd.revents & (POLLHUP | POLLERR)),
		  "the chip fd reports POLLHUP/POLLERR when the server dies");
	close(fd);
	close(chipfd);
}

/*
 * Regression: a line-info watcher (gpionotify) on a line that a consumer
 * releases after the server died.  On 6.1 gpiolib notifies the watcher
 * and dereferences the chip it cleared if the chip was removed already: an
 * oops, until gpio-guse kept such chips until their lines were released.
 */
static void test_watched_release_after_death(void)
{
	struct gpio_v2_line_info info = { .offset = 1 };
	struct raw_server srv, srv2;
	int watchfd, chipfd, fd, ret;

	ret = raw_server_start(&srv, "watched-death", 4, 0);
	watchfd = ret ? -1 : chip_open(&srv);
	chipfd = ret ? -1 : chip_open(&srv);
	ioctl(watchfd, GPIO_V2_GET_LINEINFO_WATCH_IOCTL, &info);
	fd = request_lines(chipfd, 1, 1, GPIO_V2_LINE_FLAG_INPUT, 0, 0);
	if (!ret)
		raw_server_stop(&srv, true);
	usleep(100000);
	ret = fd >= 0 ? close(fd) : -1;
	usleep(300000);
	close(chipfd);
	close(watchfd);
	/* the kernel survived (the log scan fails the run on an oops) */
	ret = ret ? ret : raw_server_start(&srv2, "after-watched", 2, 0);
	if (!ret)
		raw_server_stop(&srv2, true);
	ktap_test(!ret,
		  "releasing a watched line of a dead server leaves the kernel working");
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

/*
 * Regression: watchers that close their request only after the chip of a
 * dead server is gone.  The interrupts they held must have been released
 * and their mappings disposed of by then: before that was done, their
 * free_irq() hit "Trying to free already-free IRQ" on 6.12 and 7.3 and a
 * /proc/irq leak on 6.1, both with a WARNING.
 */
static void test_late_close_after_death(void)
{
	enum { ROUNDS = 20 };
	int before = klog_count("WARNING"), after, r, ok = 0;
	struct raw_server srv;
	struct stat st;
	char path[64];
	int chipfd, fd;

	for (r = 0; r < ROUNDS; r++) {
		if (raw_server_start(&srv, "late-close", 4, 0))
			break;
		snprintf(path, sizeof(path), "/dev/%s", srv.ready.chip_name);
		chipfd = open(path, O_RDWR | O_CLOEXEC);
		fd = request_lines(chipfd, 0, 1, GPIO_V2_LINE_FLAG_INPUT |
				   GPIO_V2_LINE_FLAG_EDGE_RISING |
				   GPIO_V2_LINE_FLAG_EDGE_FALLING, 0, 0);
		close(chipfd);
		raw_server_stop(&srv, true);
		for (int i = 0; raw_removes_held_chips() && i < 200 &&
		     !stat(path, &st); i++)
			usleep(5000);
		if (fd >= 0 && close(fd) == 0)
			ok++;
		for (int i = 0; i < 200 && !stat(path, &st); i++)
			usleep(5000);
	}
	after = klog_count("WARNING");
	ktap_test(ok == ROUNDS && before >= 0 && after == before,
		  "%d edge watchers closing after their server died leave no kernel warning (%d closed, %d new warnings)",
		  ROUNDS, ok, after - before);

	/*
	 * Regression: on 6.1 each of those lines leaked a reference to its
	 * gpio_device, which stayed on gpiolib's list without a chip, and the
	 * next chip with line names oopsed in gpiolib's duplicate-name scan.
	 */
	char names[4][GUSE_NAME_SIZE] = { "after-a", "", "after-c", "after-d" };
	struct raw_create a = {
		.label = "named-after", .num_lines = 4,
		.flags = GUSE_CREATE_F_LINE_NAMES,
		.names = &names[0][0], .names_len = sizeof(names),
	};
	struct gpio_v2_line_info info = { .offset = 2 };
	struct raw_msg m;
	int gfd = raw_open(), ret;

	ret = raw_send_create(gfd, &a);
	if (!ret && raw_recv(gfd, &m, 2000) > 0 &&
	    m.hdr.opcode == GUSE_OP_READY) {
		snprintf(path, sizeof(path), "/dev/%s",
			 ((struct guse_ready *)m.payload)->chip_name);
		chipfd = open(path, O_RDWR | O_CLOEXEC);
		ret = ioctl(chipfd, GPIO_V2_GET_LINEINFO_IOCTL, &info);
		close(chipfd);
	} else {
		ret = -1;
	}
	ktap_test(!ret && !strcmp(info.name, "after-c"),
		  "a chip with line names can be created after that (line 2 is \"%s\")",
		  info.name);
	close(gfd);
}

int main(void)
{
	struct raw_server srv;
	int chipfd, ret;

	ktap_plan(NUM_TESTS);
	ret = raw_server_start(&srv, "events", LINES,
			       GUSE_CREATE_F_REQUEST |
			       GUSE_CREATE_F_SET_CONFIG |
			       GUSE_CREATE_F_IRQ_CONFIG);
	if (!raw_device_present())
		ktap_bail(1, "no /dev/guse: the modules are not loaded");
	if (ret) {
		ktap_diag("cannot create a chip: %s", strerror(-ret));
		ktap_bail(0, "no guse chip");
	}
	chipfd = chip_open(&srv);
	test_single_edges(&srv, chipfd);
	test_both_edges_burst(&srv, chipfd);
	test_batch(&srv, chipfd);
	test_debounce(&srv, chipfd);
	test_irq_config(&srv, chipfd);
	test_v1_events(&srv, chipfd);
	test_lineinfo_watch(&srv, chipfd);
	test_multi_line_and_config(&srv, chipfd);
	close(chipfd);
	raw_server_stop(&srv, true);
	test_server_death();
	test_watched_release_after_death();
	test_late_close_after_death();
	ktap_finish();
}
