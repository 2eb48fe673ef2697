// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /init of guse-qemu's Linux-guest initramfs: a Debian kernel on QEMU's
 * -M virt drives its PL061 through the GPIO character device (uAPI v2,
 * <linux/gpio.h>), the host watches and drives the other end through
 * guse-qemu.  Lines as in the bare-metal firmware: GPIO0 BLINK (output),
 * GPIO2 IN (input), GPIO4 GO and GPIO5 DIRCMD (commands from the host),
 * GPIO6 RECONF; GPIO3 is virt's power key and left alone.
 *
 * The scenario, each step reported on the console as "guse-guest: ...":
 *   1. BLINK an output at 0, GO an input; "blink ready"; on GO's rising
 *      edge, guse_pulses (kernel command line, default 5) pulses of
 *      guse_half_ms (default 20) ms high, as many low; "blink done N";
 *   2. IN an input: "in value=V", then one line per edge with the value
 *      read after it, guse_in_edges (default 2) of them; "in done";
 *   3. RECONF an input, DIRCMD an input: "reconf input"; DIRCMD rising
 *      makes RECONF an output driving 1 ("reconf output"), falling an
 *      input again ("reconf input again");
 *   4. GO an input again: "end ready" (the host checks what it saw while
 *      the guest still runs); on GO's rising edge "done", then power off.
 *      Any failure prints "guse-guest: FAIL ..."
 *      and powers off too; every wait gives up after guse_timeout_s (300).
 * Kernel parameters with '=' that the kernel does not know arrive here as
 * environment variables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { BLINK = 0, IN = 2, GO = 4, DIRCMD = 5, RECONF = 6 };

static int timeout_ms = 300 * 1000;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("guse-guest: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void __attribute__((noreturn)) finish(int failed)
{
	say("%s", failed ? "FAIL" : "done");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) fail(const char *what)
{
	say("FAIL %s: %s", what, strerror(errno));
	finish(1);
}

static int param(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* console and /dev (devtmpfs) for a bare initramfs */
static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY)
		return;
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* the PL061's chip: its label is the device name, "9030000.pl061" */
static int open_pl061(void)
{
	struct gpiochip_info info;
	char path[32];
	int tries, n, fd;

	for (tries = 0; tries < 100; tries++) {
		for (n = 0; n < 32; n++) {
			snprintf(path, sizeof(path), "/dev/gpiochip%d", n);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info) == 0 &&
			    strstr(info.label, "pl061")) {
				say("chip %s [%s] %u lines", info.name, info.label, info.lines);
				return fd;
			}
			close(fd);
		}
		sleep_ms(100);
	}
	errno = ENODEV;
	fail("no PL061 gpiochip");
}

/* one line requested with FLAGS (and, for an output, VALUE) */
static int request(int chip, unsigned int line, const char *consumer, __u64 flags, int value)
{
	struct gpio_v2_line_request req;

	memset(&req, 0, sizeof(req));
	req.offsets[0] = line;
	req.num_lines = 1;
	snprintf(req.consumer, sizeof(req.consumer), "%s", consumer);
	req.config.flags = flags;
	if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
		req.config.num_attrs = 1;
		req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
		req.config.attrs[0].attr.values = value ? 1 : 0;
		req.config.attrs[0].mask = 1;
	}
	if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0)
		fail(consumer);
	return req.fd;
}

static void set_value(int fd, int value)
{
	struct gpio_v2_line_values v = { .bits = value ? 1 : 0, .mask = 1 };

	if (ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0)
		fail("set value");
}

static int get_value(int fd)
{
	struct gpio_v2_line_values v = { .mask = 1 };

	if (ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0)
		fail("get value");
	return v.bits & 1;
}

/* the next edge on a request with edge detection: 1 rising, 0 falling */
static int next_edge(int fd, const char *what)
{
	struct gpio_v2_line_event ev;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r == 0) {
		say("FAIL timeout waiting for %s", what);
		finish(1);
	}
	if (r < 0 || read(fd, &ev, sizeof(ev)) != sizeof(ev))
		fail(what);
	return ev.id == GPIO_V2_LINE_EVENT_RISING_EDGE;
}

static void wait_edge(int fd, int rising, const char *what)
{
	while (next_edge(fd, what) != rising)
		;
}

static void reconfigure(int fd, __u64 flags, int value)
{
	struct gpio_v2_line_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = flags;
	if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
		cfg.num_attrs = 1;
		cfg.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
		cfg.attrs[0].attr.values = value ? 1 : 0;
		cfg.attrs[0].mask = 1;
	}
	if (ioctl(fd, GPIO_V2_LINE_SET_CONFIG_IOCTL, &cfg) < 0)
		fail("reconfigure");
}

static void blink(int chip, int pulses, int half_ms)
{
	const __u64 edges = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING |
			    GPIO_V2_LINE_FLAG_EDGE_FALLING;
	int out = request(chip, BLINK, "guest-blink", GPIO_V2_LINE_FLAG_OUTPUT, 0);
	int go = request(chip, GO, "guest-go", edges, 0);
	int i;

	say("blink ready");
	wait_edge(go, 1, "GO");
	for (i = 0; i < pulses; i++) {
		set_value(out, 1);
		sleep_ms(half_ms);
		set_value(out, 0);
		sleep_ms(half_ms);
	}
	say("blink done %d", pulses);
	close(go);
	close(out);
}

static void input(int chip, int edges)
{
	int in = request(chip, IN, "guest-in", GPIO_V2_LINE_FLAG_INPUT |
			 GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING, 0);
	int i, rising;

	say("in value=%d", get_value(in));
	for (i = 0; i < edges; i++) {
		rising = next_edge(in, "IN");
		say("in %s value=%d", rising ? "rising" : "falling", get_value(in));
	}
	say("in done");
	close(in);
}

static void reconf(int chip)
{
	int line = request(chip, RECONF, "guest-reconf", GPIO_V2_LINE_FLAG_INPUT, 0);
	int cmd = request(chip, DIRCMD, "guest-dircmd", GPIO_V2_LINE_FLAG_INPUT |
			  GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING, 0);

	say("reconf input");
	wait_edge(cmd, 1, "DIRCMD rising");
	reconfigure(line, GPIO_V2_LINE_FLAG_OUTPUT, 1);
	say("reconf output");
	wait_edge(cmd, 0, "DIRCMD falling");
	reconfigure(line, GPIO_V2_LINE_FLAG_INPUT, 0);
	say("reconf input again");
	close(cmd);
	close(line);
}

/* the host says when it is done looking */
static void wait_end(int chip)
{
	int go = request(chip, GO, "guest-go", GPIO_V2_LINE_FLAG_INPUT |
			 GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING, 0);

	say("end ready");
	wait_edge(go, 1, "GO");
	close(go);
}

int main(void)
{
	struct timespec up;
	int chip;

	setup_console();
	clock_gettime(CLOCK_BOOTTIME, &up);
	say("init after %ld.%02ld s", (long)up.tv_sec, up.tv_nsec / 10000000L);
	timeout_ms = param("guse_timeout_s", 300) * 1000;
	chip = open_pl061();
	if (param("guse_boot_only", 0))
		finish(0);
	blink(chip, param("guse_pulses", 5), param("guse_half_ms", 20));
	input(chip, param("guse_in_edges", 2));
	reconf(chip);
	wait_end(chip);
	close(chip);
	clock_gettime(CLOCK_BOOTTIME, &up);
	say("scenario over after %ld.%02ld s", (long)up.tv_sec, up.tv_nsec / 10000000L);
	finish(0);
}
