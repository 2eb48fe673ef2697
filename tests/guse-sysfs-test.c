// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-sysfs-test: the legacy sysfs GPIO interface (/sys/class/gpio) on a
 * guse chip.  A raw-protocol server records what it is asked and injects
 * levels: export (global number = READY.base + offset) reaches the server
 * as REQUEST, direction/value writes as DIRECTION_OUTPUT and SET_VALUES,
 * injected levels read back through `value`, edge=both makes poll() on
 * `value` wake on an injected change, unexport frees the line.  Skips when
 * the kernel has no legacy sysfs interface.  KTAP output.
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

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS	14
#define LINES		8
#define LINE		3

static int gpio_nr;

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

/* Reads a sysfs attribute of the exported line; "" on error. */
static const char *sysfs_read(const char *file)
{
	static char buf[64];
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/%s", gpio_nr, file);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	close(fd);
	return buf;
}

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

int main(void)
{
	struct raw_server srv;
	struct raw_seen s0, s;
	struct pollfd pfd;
	char num[16], path[128], c1, c2;
	int ret, vfd, p1, p2, p3, deadline;
	struct stat st;

	ktap_plan(NUM_TESTS);
	if (stat("/sys/class/gpio/export", &st))
		ktap_bail(1, "no legacy sysfs GPIO interface (CONFIG_GPIO_SYSFS)");
	ret = raw_server_start(&srv, "sysfs-test", LINES,
			       GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG);
	if (ret) {
		ktap_diag("cannot start a server: %s", strerror(-ret));
		ktap_bail(0, "no guse chip");
	}
	gpio_nr = srv.ready.base + LINE;
	ktap_diag("chip %s base %u: line %u is gpio%d", srv.ready.chip_name,
		  srv.ready.base, LINE, gpio_nr);

	raw_server_seen(&srv, &s0);
	snprintf(num, sizeof(num), "%d", gpio_nr);
	ret = sysfs_write("/sys/class/gpio/export", num);
	raw_server_seen(&srv, &s);
	ktap_test(!ret && exported() && s.requests == s0.requests + 1,
		  "export of base+%u creates gpio%d and the server sees REQUEST (%s)",
		  LINE, gpio_nr, ret ? strerror(-ret) : "ok");

	ret = sysfs_write("direction", "out");
	raw_server_seen(&srv, &s);
	ktap_test(!ret && bit(s.is_output, LINE) && !bit(s.outputs, LINE),
		  "direction out reaches the server as DIRECTION_OUTPUT with value 0");
	ktap_test(!strncmp(s.consumer, "sysfs", 5),
		  "the server learns the consumer \"sysfs\" (\"%.31s\")", s.consumer);

	s0 = s;
	ret = sysfs_write("value", "1");
	raw_server_seen(&srv, &s);
	ktap_test(!ret && s.set_values == s0.set_values + 1 && bit(s.outputs, LINE),
		  "value 1 reaches the server as SET_VALUES");
	ktap_test(!strcmp(sysfs_read("value"), "1"),
		  "value reads back 1 from the server");

	ret = sysfs_write("direction", "in");
	raw_server_seen(&srv, &s);
	ktap_test(!ret && !bit(s.is_output, LINE) &&
		  !strcmp(sysfs_read("direction"), "in"),
		  "direction in reaches the server as DIRECTION_INPUT");
	raw_server_set_input(&srv, LINE, 1);
	c1 = sysfs_read("value")[0];
	raw_server_set_input(&srv, LINE, 0);
	c2 = sysfs_read("value")[0];
	ktap_test(c1 == '1' && c2 == '0', "value reads the injected levels (%c, %c)",
		  c1 ? c1 : '?', c2 ? c2 : '?');

	s0 = s;
	ret = sysfs_write("edge", "both");
	/* IRQ_CONFIG is sent without waiting for the server's answer */
	deadline = raw_now_ms() + 5000;
	do
		raw_server_seen(&srv, &s);
	while (!(s.last_irq_type == GUSE_IRQ_TYPE_EDGE_BOTH &&
		 (s.last_irq_flags & GUSE_IRQ_F_ENABLED)) &&
	       raw_now_ms() < deadline && !usleep(5000));
	ktap_test(!ret && s.irq_configs > s0.irq_configs &&
		  s.last_irq_line == LINE &&
		  s.last_irq_type == GUSE_IRQ_TYPE_EDGE_BOTH &&
		  (s.last_irq_flags & GUSE_IRQ_F_ENABLED),
		  "edge both reaches the server as IRQ_CONFIG both-edges enabled");

	snprintf(path, sizeof(path), "/sys/class/gpio/gpio%d/value", gpio_nr);
	vfd = open(path, O_RDONLY | O_CLOEXEC);
	read_value_fd(vfd);
	pfd = (struct pollfd){ .fd = vfd, .events = POLLPRI | POLLERR };
	p1 = poll(&pfd, 1, 200);
	raw_server_set_input(&srv, LINE, 1);
	pfd.revents = 0;
	p2 = poll(&pfd, 1, 2000);
	c1 = read_value_fd(vfd);
	raw_server_set_input(&srv, LINE, 0);
	pfd.revents = 0;
	p3 = poll(&pfd, 1, 2000);
	c2 = read_value_fd(vfd);
	ktap_test(vfd >= 0 && p1 == 0, "poll() on value does not wake without a change");
	ktap_test(p2 == 1 && c1 == '1',
		  "poll() on value wakes on an injected rising level and reads 1");
	ktap_test(p3 == 1 && c2 == '0',
		  "poll() on value wakes on an injected falling level and reads 0");
	if (vfd >= 0)
		close(vfd);

	/*
	 * A server claiming "output" for a line used as an interrupt is
	 * refused: gpiolib would mark it output and warn at the next unmask.
	 */
	pthread_mutex_lock(&srv.lock);
	srv.seen.lie_output = true;
	pthread_mutex_unlock(&srv.lock);
	ktap_test(!strcmp(sysfs_read("direction"), "in"),
		  "an interrupt line stays an input when the server says output (\"%s\")",
		  sysfs_read("direction"));
	pthread_mutex_lock(&srv.lock);
	srv.seen.lie_output = false;
	pthread_mutex_unlock(&srv.lock);

	sysfs_write("edge", "none");
	s0 = s;
	ret = sysfs_write("/sys/class/gpio/unexport", num);
	/* so is FREE */
	deadline = raw_now_ms() + 5000;
	do
		raw_server_seen(&srv, &s);
	while (s.frees == s0.frees && raw_now_ms() < deadline && !usleep(5000));
	ktap_test(!ret && !exported() && s.frees == s0.frees + 1,
		  "unexport removes gpio%d and the server sees FREE", gpio_nr);

	raw_server_stop(&srv, true);
	ktap_test(stat(path, &st) && access("/dev/guse", F_OK) == 0,
		  "the chip's sysfs line is gone after the server closes");
	ktap_finish();
}
