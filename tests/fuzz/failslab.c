// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/failslab.c: slab allocation failures (see failslab.h and the
 * kernel's Documentation/fault-injection/fault-injection.rst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failslab.h"

static const char *const attrs[FZ_FAILSLAB_ATTRS] = {
	"probability", "interval", "times", "space", "verbose",
	"task-filter", "ignore-gfp-wait", "cache-filter",
};

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int set_attr(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FZ_FAILSLAB_DIR "/%s", name);
	return write_str(path, val);
}

bool fz_failslab_available(char *why, size_t len)
{
	struct stat st;

	if (stat(FZ_FAILSLAB_DIR, &st)) {
		snprintf(why, len, "no " FZ_FAILSLAB_DIR
			 ": the kernel has no CONFIG_FAILSLAB with debugfs");
		return false;
	}
	if (access("/proc/thread-self/make-it-fail", W_OK)) {
		snprintf(why, len, "no /proc/thread-self/make-it-fail");
		return false;
	}
	return true;
}

int fz_failslab_set(struct fz_failslab *fs, unsigned int probability,
		    unsigned int interval, int times)
{
	char path[128], val[3][24];
	const char *want[FZ_FAILSLAB_ATTRS];
	unsigned int i;
	int ret;

	for (i = 0; !fs->saved && i < FZ_FAILSLAB_ATTRS; i++) {
		snprintf(path, sizeof(path), FZ_FAILSLAB_DIR "/%s", attrs[i]);
		if (read_str(path, fs->value[i], sizeof(fs->value[i])))
			fs->value[i][0] = 0;	/* not on this kernel */
	}
	fs->saved = true;
	snprintf(val[0], sizeof(val[0]), "%u", probability);
	snprintf(val[1], sizeof(val[1]), "%u", interval);
	snprintf(val[2], sizeof(val[2]), "%d", times);
	want[0] = val[0];
	want[1] = val[1];
	want[2] = val[2];
	want[3] = "0";		/* space */
	want[4] = "0";		/* verbose: no log lines, no stack dumps */
	want[5] = "Y";		/* task-filter: make-it-fail tasks only */
	want[6] = "N";		/* ignore-gfp-wait: GFP_KERNEL too */
	want[7] = "N";		/* cache-filter */
	/* probability last, so nothing fails before the filter is on */
	for (i = FZ_FAILSLAB_ATTRS; i-- > 0;) {
		if (!fs->value[i][0])
			continue;
		ret = set_attr(attrs[i], want[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void fz_failslab_restore(struct fz_failslab *fs)
{
	unsigned int i;

	if (!fs->saved)
		return;
	set_attr("probability", "0");
	for (i = FZ_FAILSLAB_ATTRS; i-- > 0;)
		if (fs->value[i][0])
			set_attr(attrs[i], fs->value[i]);
	fs->saved = false;
}

int fz_make_it_fail_open(void)
{
	return open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
}

int fz_make_it_fail(int fd, bool on)
{
	int tries;

	/* turning it off must not fail for an injected allocation failure */
	for (tries = 0; tries < 100; tries++)
		if (pwrite(fd, on ? "1" : "0", 1, 0) == 1)
			return 0;
	return -errno;
}

int fz_fail_nth_open(void)
{
	return open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
}

int fz_fail_nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

bool fz_fail_nth_fired(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	bool disarmed = pwrite(fd, "0", 1, 0) == 1;

	return disarmed && n > 0 && atoi(buf) == 0;
}
