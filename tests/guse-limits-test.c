// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-limits-test: the read-only module parameters max_chips and max_lines
 * of gpio-guse.ko.  Reloads gpio-guse.ko with max_chips=2 max_lines=8:
 * a third chip fails with ENOSPC (and succeeds once another is gone), a
 * chip of 9 lines fails with EINVAL; then reloads it with the defaults and
 * checks they are back.  Needs root and no guse chip in use.
 *
 * usage: guse-limits-test /path/to/gpio-guse.ko        KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS	9
#define LIM_CHIPS	2
#define LIM_LINES	8

static int read_param(const char *name, unsigned int *v)
{
	char path[128];
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/sys/module/gpio_guse/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%u", v) == 1)
		ret = 0;
	fclose(f);
	return ret;
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/gpio_guse/initstate", &st) == 0;
}

/* Unloads gpio_guse, retrying while removed chips are being freed. */
static int unload(void)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!module_loaded())
			return 0;
		if (!syscall(SYS_delete_module, "gpio_guse", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EBUSY)
			return -errno;
		usleep(100000);
	}
	return -EBUSY;
}

static int load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* Creates a chip of @lines on a new file; returns the fd or -errno. */
static int create(const char *label, unsigned int lines)
{
	struct guse_ready ready;
	int fd = raw_open(), ret;

	if (fd < 0)
		return -errno;
	ret = raw_create_chip(fd, label, lines, 0, 0, &ready);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *ko = argc > 1 ? argv[1] : getenv("GUSE_GPIO_KO");
	unsigned int chips = 0, lines = 0;
	int fds[LIM_CHIPS + 1], ret, i, third, retry, fd;
	bool restored;

	ktap_plan(NUM_TESTS);
	if (!ko || access(ko, R_OK) || geteuid() != 0 || !module_loaded()) {
		const char *why = !ko || access(ko, R_OK) ?
			"no gpio-guse.ko given (argument or GUSE_GPIO_KO)" :
			geteuid() ? "needs root" : "gpio_guse is not loaded";

		ktap_bail(1, why);
	}
	ktap_diag("module %s", ko);

	ret = unload();
	if (!ret)
		ret = load(ko, "max_chips=2 max_lines=8");
	if (!ret)
		ret = read_param("max_chips", &chips) || read_param("max_lines", &lines);
	ktap_test(!ret && chips == LIM_CHIPS && lines == LIM_LINES,
		  "gpio-guse.ko reloads with max_chips=%u max_lines=%u (%s)",
		  chips, lines, ret < 0 ? strerror(-ret) : "ok");
	if (ret) {
		/* try to leave the module loaded for the tests after us */
		if (!module_loaded())
			load(ko, "");
		ktap_bail(0, "gpio-guse.ko did not reload");
	}

	for (i = 0; i < LIM_CHIPS; i++)
		fds[i] = create("limits", 4);
	ktap_test(fds[0] >= 0 && fds[1] >= 0, "%u chips can be created", LIM_CHIPS);
	third = create("limits-3", 4);
	ktap_test(third == -ENOSPC,
		  "chip %u beyond max_chips fails with ENOSPC (%s)", LIM_CHIPS + 1,
		  third < 0 ? strerror(-third) : "created");
	if (third >= 0)
		close(third);
	if (fds[0] >= 0)
		close(fds[0]);
	fds[0] = -1;
	/* the count drops when the chip is torn down in close() */
	retry = -1;
	for (i = 0; i < 50 && retry < 0; i++) {
		retry = create("limits-3", 4);
		if (retry < 0)
			usleep(50000);
	}
	ktap_test(retry >= 0, "a chip can be created again once another one is gone");
	if (retry >= 0)
		close(retry);
	if (fds[1] >= 0)
		close(fds[1]);

	fd = create("limits-lines", LIM_LINES);
	ktap_test(fd >= 0, "a chip of max_lines=%u lines can be created", LIM_LINES);
	if (fd >= 0)
		close(fd);
	fd = create("limits-lines", LIM_LINES + 1);
	ktap_test(fd == -EINVAL, "a chip of %u lines fails with EINVAL (%s)",
		  LIM_LINES + 1, fd < 0 ? strerror(-fd) : "created");
	if (fd >= 0)
		close(fd);

	/* restore the default load */
	ret = unload();
	if (!ret || module_loaded())
		ret = module_loaded() ? -EBUSY : load(ko, "");
	chips = lines = 0;
	restored = !ret && !read_param("max_chips", &chips) &&
		   !read_param("max_lines", &lines);
	ktap_test(restored && chips == 4096 && lines == GUSE_LINES_MAX,
		  "gpio-guse.ko is reloaded with the defaults (max_chips=%u max_lines=%u)",
		  chips, lines);
	for (i = 0; i <= LIM_CHIPS; i++)
		fds[i] = create("limits-after", LIM_LINES + 1);
	ktap_test(restored && fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0,
		  "with the defaults %u chips of %u lines are fine", LIM_CHIPS + 1,
		  LIM_LINES + 1);
	for (i = 0; i <= LIM_CHIPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* the module must be unloadable again at the end of the suite */
	ktap_test(module_loaded(), "gpio_guse is loaded at the end");
	ktap_finish();
}
