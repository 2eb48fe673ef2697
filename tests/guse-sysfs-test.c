// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-sysfs-test: the legacy sysfs GPIO interface (/sys/class/gpio) on a
 * guse chip.  A raw-protocol server records what it is asked and injects
 * levels: export (global number = READY.base + offset) reaches the server
 * as REQUEST, direction/value writes as DIRECTION_OUTPUT and SET_VALUES,
 * injected levels read back through `value`, edge=both makes poll() on
 * `value` wake on an injected change, unexport frees the line.  Skips when
 * the kernel has no legacy sysfs interface.  kselftest harness, KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guse-kselftest.h"
#include "raw-guse.h"

#define LINES		8
#define LINE		3
#define TIMEOUT_S	30	/* per test; its waits are bounded below */

static int gpio_nr;		/* base + LINE; set by the fixture's setup */

static int sysfs_write(const char *file, const char *val)
{
	char path[128];
	int fd, ret = 0;

	if (strchr(file, '/'))
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/%s",
			 gpio_nr, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Reads a sysfs attribute of the exported line into @buf; "" on error. */
static const char *sysfs_read(const char *file, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/%s", gpio_nr, file);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	close(fd);
	return buf;
}

#define READ_ATTR(file) sysfs_read((file), (char[64]){ 0 }, 64)

static bool exported(void)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d", gpio_nr);
	return stat(path, &st) == 0;
}

static bool bit(const uint64_t *map, unsigned int n)
{
	return map[n / 64] >> (n % 64) & 1;
}

/* Reads the value file from the start: '0', '1' or 0 on error. */
static char read_value_fd(int fd)
{
	char c = 0;

	if (lseek(fd, 0, SEEK_SET) < 0 || read(fd, &c, 1) != 1)
		return 0;
	return c;
}

/* ---- an 8-line chip whose line 3 a sysfs user exports ------------------- */

FIXTURE(sysfs) {
	struct raw_server srv;
	bool serving;
	char num[16];		/* gpio_nr, for export and unexport */
	struct raw_seen s0, s;	/* what the server saw before and after */
	int vfd;		/* the open value file, or -1 */
};

FIXTURE_SETUP(sysfs)
{
	int ret;

	self->vfd = -1;
	ret = raw_server_start(&self->srv, "sysfs-test", LINES,
			       GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG);
	ASSERT_EQ(0, ret) TH_LOG("cannot start a server: %s", strerror(-ret));
	self->serving = true;
	gpio_nr = self->srv.ready.base + LINE;
	snprintf(self->num, sizeof(self->num), "%d", gpio_nr);
	ksft_print_msg("chip %s base %u: line %u is gpio%d\n",
		       self->srv.ready.chip_name, self->srv.ready.base, LINE,
		       gpio_nr);
}

FIXTURE_TEARDOWN(sysfs)
{
	if (self->vfd >= 0)
		close(self->vfd);
	if (exported()) {
		sysfs_write("edge", "none");
		sysfs_write("/sys/class/gpio/unexport", self->num);
	}
	if (self->serving)
		raw_server_stop(&self->srv, true);
}

static void seen(FIXTURE_DATA(sysfs) *self, struct raw_seen *s)
{
	raw_server_seen(&self->srv, s);
}

/* The steps of a sysfs user, each asserted to work (tested on their own). */
#define STEP(file, val) \
	ASSERT_EQ(0, sysfs_write((file), (val))) TH_LOG("%s %s", (file), (val))
#define EXPORT() do {							\
	STEP("/sys/class/gpio/export", self->num);			\
	ASSERT_TRUE(exported());					\
} while (0)

TEST_F_TIMEOUT(sysfs, export_reaches_server_as_request, TIMEOUT_S)
{
	int ret;

	seen(self, &self->s0);
	ret = sysfs_write("/sys/class/gpio/export", self->num);
	seen(self, &self->s);
	EXPECT_EQ(0, ret) TH_LOG("export: %s", strerror(-ret));
	EXPECT_TRUE(exported());
	EXPECT_EQ(self->s0.requests + 1, self->s.requests);
}

TEST_F_TIMEOUT(sysfs, direction_out_reaches_server_with_value_0, TIMEOUT_S)
{
	EXPORT();
	EXPECT_EQ(0, sysfs_write("direction", "out"));
	seen(self, &self->s);
	EXPECT_TRUE(bit(self->s.is_output, LINE));
	EXPECT_FALSE(bit(self->s.outputs, LINE));
}

TEST_F_TIMEOUT(sysfs, server_learns_consumer_sysfs, TIMEOUT_S)
{
	EXPORT();
	STEP("direction", "out");
	seen(self, &self->s);
	EXPECT_EQ(0, strncmp(self->s.consumer, "sysfs", 5))
		TH_LOG("consumer \"%.31s\"", self->s.consumer);
}

TEST_F_TIMEOUT(sysfs, value_1_reaches_server_as_set_values, TIMEOUT_S)
{
	EXPORT();
	STEP("direction", "out");
	seen(self, &self->s0);
	EXPECT_EQ(0, sysfs_write("value", "1"));
	seen(self, &self->s);
	EXPECT_EQ(self->s0.set_values + 1, self->s.set_values);
	EXPECT_TRUE(bit(self->s.outputs, LINE));
}

TEST_F_TIMEOUT(sysfs, value_reads_back_1_from_server, TIMEOUT_S)
{
	EXPORT();
	STEP("direction", "out");
	STEP("value", "1");
	EXPECT_STREQ("1", READ_ATTR("value"));
}

TEST_F_TIMEOUT(sysfs, direction_in_reaches_server, TIMEOUT_S)
{
	EXPORT();
	STEP("direction", "out");
	STEP("value", "1");
	EXPECT_EQ(0, sysfs_write("direction", "in"));
	seen(self, &self->s);
	EXPECT_FALSE(bit(self->s.is_output, LINE));
	EXPECT_STREQ("in", READ_ATTR("direction"));
}

TEST_F_TIMEOUT(sysfs, value_reads_injected_levels, TIMEOUT_S)
{
	char c1, c2;

	EXPORT();
	STEP("direction", "in");
	ASSERT_EQ(0, raw_server_set_input(&self->srv, LINE, 1));
	c1 = READ_ATTR("value")[0];
	ASSERT_EQ(0, raw_server_set_input(&self->srv, LINE, 0));
	c2 = READ_ATTR("value")[0];
	EXPECT_EQ('1', c1);
	EXPECT_EQ('0', c2);
}

/* Watches both edges of the line (as an input). */
#define EDGE_BOTH() do {						\
	EXPORT();							\
	STEP("direction", "in");					\
	STEP("edge", "both");						\
} while (0)

TEST_F_TIMEOUT(sysfs, edge_both_reaches_server_as_irq_config, TIMEOUT_S)
{
	int deadline;

	EXPORT();
	STEP("direction", "in");
	seen(self, &self->s0);
	EXPECT_EQ(0, sysfs_write("edge", "both"));
	/* IRQ_CONFIG is sent without waiting for the server's answer */
	deadline = raw_now_ms() + 5000;
	do
		seen(self, &self->s);
	while (!(self->s.last_irq_type == GUSE_IRQ_TYPE_EDGE_BOTH &&
		 (self->s.last_irq_flags & GUSE_IRQ_F_ENABLED)) &&
	       raw_now_ms() < deadline && !usleep(5000));
	EXPECT_LT(self->s0.irq_configs, self->s.irq_configs);
	EXPECT_EQ((uint32_t)LINE, self->s.last_irq_line);
	EXPECT_EQ((uint32_t)GUSE_IRQ_TYPE_EDGE_BOTH, self->s.last_irq_type);
	EXPECT_TRUE((self->s.last_irq_flags & GUSE_IRQ_F_ENABLED) != 0);
}

/* Opens the value file of a both-edge line, read once as poll() wants. */
static int open_value(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/value", gpio_nr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		read_value_fd(fd);
	return fd;
}

/* poll() for the value's change; the poll()'s result and the value read. */
static int poll_value(int fd, int timeout_ms, char *value)
{
	struct pollfd pfd = { .fd = fd, .events = POLLPRI | POLLERR };
	int ret = poll(&pfd, 1, timeout_ms);

	*value = read_value_fd(fd);
	return ret;
}

TEST_F_TIMEOUT(sysfs, poll_on_value_does_not_wake_without_change, TIMEOUT_S)
{
	struct pollfd pfd;

	EDGE_BOTH();
	ASSERT_LE(0, self->vfd = open_value());
	pfd = (struct pollfd){ .fd = self->vfd, .events = POLLPRI | POLLERR };
	EXPECT_EQ(0, poll(&pfd, 1, 200));
}

TEST_F_TIMEOUT(sysfs, poll_on_value_wakes_on_rising_level, TIMEOUT_S)
{
	char c;

	EDGE_BOTH();
	ASSERT_LE(0, self->vfd = open_value());
	ASSERT_EQ(0, raw_server_set_input(&self->srv, LINE, 1));
	EXPECT_EQ(1, poll_value(self->vfd, 2000, &c));
	EXPECT_EQ('1', c);
}

TEST_F_TIMEOUT(sysfs, poll_on_value_wakes_on_falling_level, TIMEOUT_S)
{
	char c;

	EDGE_BOTH();
	ASSERT_LE(0, self->vfd = open_value());
	ASSERT_EQ(0, raw_server_set_input(&self->srv, LINE, 1));
	ASSERT_EQ(1, poll_value(self->vfd, 2000, &c));
	ASSERT_EQ(0, raw_server_set_input(&self->srv, LINE, 0));
	EXPECT_EQ(1, poll_value(self->vfd, 2000, &c));
	EXPECT_EQ('0', c);
}

/*
 * A server claiming "output" for a line used as an interrupt is refused:
 * gpiolib would mark it output and warn at the next unmask.
 */
TEST_F_TIMEOUT(sysfs, interrupt_line_stays_input_when_server_says_output,
	       TIMEOUT_S)
{
	EDGE_BOTH();
	pthread_mutex_lock(&self->srv.lock);
	self->srv.seen.lie_output = true;
	pthread_mutex_unlock(&self->srv.lock);
	EXPECT_STREQ("in", READ_ATTR("direction"));
	pthread_mutex_lock(&self->srv.lock);
	self->srv.seen.lie_output = false;
	pthread_mutex_unlock(&self->srv.lock);
}

/* Unexports the line after edge both, then none; 0 or -errno. */
static int unexport(FIXTURE_DATA(sysfs) *self)
{
	int ret, deadline;

	seen(self, &self->s0);
	ret = sysfs_write("/sys/class/gpio/unexport", self->num);
	/* FREE, too, is sent without waiting for the answer */
	deadline = raw_now_ms() + 5000;
	do
		seen(self, &self->s);
	while (self->s.frees == self->s0.frees && raw_now_ms() < deadline &&
	       !usleep(5000));
	return ret;
}

TEST_F_TIMEOUT(sysfs, unexport_removes_line_and_reaches_server_as_free,
	       TIMEOUT_S)
{
	EDGE_BOTH();
	STEP("edge", "none");
	EXPECT_EQ(0, unexport(self));
	EXPECT_FALSE(exported());
	EXPECT_EQ(self->s0.frees + 1, self->s.frees);
}

TEST_F_TIMEOUT(sysfs, line_gone_after_unexport_and_server_close, TIMEOUT_S)
{
	char path[128];
	struct stat st;

	EDGE_BOTH();
	STEP("edge", "none");
	ASSERT_EQ(0, unexport(self));
	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/value", gpio_nr);
	raw_server_stop(&self->srv, true);
	self->serving = false;
	EXPECT_NE(0, stat(path, &st));
	EXPECT_EQ(0, access("/dev/guse", F_OK));
}

static const char *skip_reason(void)
{
	struct stat st;

	if (stat("/sys/class/gpio/export", &st))
		return "no legacy sysfs GPIO interface (CONFIG_GPIO_SYSFS)";
	return GUSE_NEED_DEVICE();
}

GUSE_HARNESS_MAIN(skip_reason())
