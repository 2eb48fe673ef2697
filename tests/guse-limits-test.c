// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-limits-test: the read-only module parameters max_chips and max_lines
 * of gpio-guse.ko.  With gpio-guse.ko reloaded with max_chips=2
 * max_lines=8: a third chip fails with ENOSPC (and succeeds once another is
 * gone), a chip of 9 lines fails with EINVAL; reloaded with the defaults,
 * they are back.  Needs root and no guse chip in use.  kselftest harness,
 * KTAP output.
 *
 * usage: guse-limits-test [/path/to/gpio-guse.ko] [harness options]
 *        (else the module is $GUSE_GPIO_KO)
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

#include "guse-kselftest.h"
#include "raw-guse.h"

#define LIM_CHIPS	2
#define LIM_LINES	8
#define DEF_CHIPS	4096
/* a reload waits up to 10 s for removed chips; tests do two */
#define TIMEOUT_S	40

static const char *ko;		/* the gpio-guse.ko to load; set by main() */

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

static int load(const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* Unloads gpio_guse and loads it with @params; 0 or -errno. */
static int reload(const char *params)
{
	int ret = unload();

	if (!ret && module_loaded())
		ret = -EBUSY;
	return ret ? ret : load(params);
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

/* The chips (files) a test holds; closed by the teardowns. */
#define CHIPS_MAX (LIM_CHIPS + 1)

static void close_all(int *fds)
{
	for (int i = 0; i < CHIPS_MAX; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* ---- gpio-guse.ko loaded with max_chips=2 max_lines=8 ------------------- */

FIXTURE(limited) {
	int fds[CHIPS_MAX];
	unsigned int chips, lines;
};

FIXTURE_SETUP(limited)
{
	int ret;

	memset(self->fds, -1, sizeof(self->fds));
	ret = reload("max_chips=2 max_lines=8");
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	ASSERT_EQ(0, read_param("max_chips", &self->chips));
	ASSERT_EQ(0, read_param("max_lines", &self->lines));
}

/* Back to the defaults, for whatever runs next. */
FIXTURE_TEARDOWN(limited)
{
	int ret;

	close_all(self->fds);
	ret = reload("");
	if (ret)
		TH_LOG("reloading with the defaults: %s", strerror(-ret));
}

TEST_F_TIMEOUT(limited, reload_sets_max_chips_and_max_lines, TIMEOUT_S)
{
	ksft_print_msg("module %s\n", ko);
	EXPECT_EQ((unsigned int)LIM_CHIPS, self->chips);
	EXPECT_EQ((unsigned int)LIM_LINES, self->lines);
}

TEST_F_TIMEOUT(limited, max_chips_chips_can_be_created, TIMEOUT_S)
{
	for (int i = 0; i < LIM_CHIPS; i++) {
		self->fds[i] = create("limits", 4);
		EXPECT_LE(0, self->fds[i]) TH_LOG("chip %d: %s", i + 1,
						  strerror(-self->fds[i]));
	}
}

TEST_F_TIMEOUT(limited, chip_beyond_max_chips_fails_with_enospc, TIMEOUT_S)
{
	for (int i = 0; i < LIM_CHIPS; i++)
		ASSERT_LE(0, self->fds[i] = create("limits", 4));
	self->fds[LIM_CHIPS] = create("limits-3", 4);
	EXPECT_EQ(-ENOSPC, self->fds[LIM_CHIPS]);
}

/* the count drops when the chip is torn down in close() */
TEST_F_TIMEOUT(limited, chip_can_be_created_again_once_one_is_gone,
	       TIMEOUT_S)
{
	int i, again = -1;

	for (i = 0; i < LIM_CHIPS; i++)
		ASSERT_LE(0, self->fds[i] = create("limits", 4));
	ASSERT_EQ(-ENOSPC, create("limits-3", 4));
	close(self->fds[0]);
	self->fds[0] = -1;
	for (i = 0; i < 50 && again < 0; i++) {
		again = create("limits-3", 4);
		if (again < 0)
			usleep(50000);
	}
	self->fds[0] = again;
	EXPECT_LE(0, again) TH_LOG("create: %s", strerror(-again));
}

TEST_F_TIMEOUT(limited, chip_of_max_lines_can_be_created, TIMEOUT_S)
{
	self->fds[0] = create("limits-lines", LIM_LINES);
	EXPECT_LE(0, self->fds[0]) TH_LOG("create: %s",
					  strerror(-self->fds[0]));
}

TEST_F_TIMEOUT(limited, chip_beyond_max_lines_fails_with_einval, TIMEOUT_S)
{
	self->fds[0] = create("limits-lines", LIM_LINES + 1);
	EXPECT_EQ(-EINVAL, self->fds[0]);
}

/* ---- gpio-guse.ko reloaded with the defaults ---------------------------- */

FIXTURE(defaults) {
	int fds[CHIPS_MAX];
	int reloaded;
	unsigned int chips, lines;
};

FIXTURE_SETUP(defaults)
{
	memset(self->fds, -1, sizeof(self->fds));
	self->reloaded = reload("");
	if (!self->reloaded)
		self->reloaded = read_param("max_chips", &self->chips) ||
				 read_param("max_lines", &self->lines) ?
				 -ENOENT : 0;
}

FIXTURE_TEARDOWN(defaults)
{
	close_all(self->fds);
}

TEST_F_TIMEOUT(defaults, reload_restores_the_defaults, TIMEOUT_S)
{
	ASSERT_EQ(0, self->reloaded) TH_LOG("reload: %s",
					    strerror(-self->reloaded));
	EXPECT_EQ((unsigned int)DEF_CHIPS, self->chips);
	EXPECT_EQ((unsigned int)GUSE_LINES_MAX, self->lines);
}

TEST_F_TIMEOUT(defaults, more_chips_of_more_lines_are_fine, TIMEOUT_S)
{
	ASSERT_EQ(0, self->reloaded);
	for (int i = 0; i < CHIPS_MAX; i++) {
		self->fds[i] = create("limits-after", LIM_LINES + 1);
		EXPECT_LE(0, self->fds[i]) TH_LOG("chip %d: %s", i + 1,
						  strerror(-self->fds[i]));
	}
}

/* ---- at the end --------------------------------------------------------- */

FIXTURE(end) {
};

FIXTURE_SETUP(end)
{
}

FIXTURE_TEARDOWN(end)
{
}

/* the module must be unloadable again at the end of the suite */
TEST_F_TIMEOUT(end, gpio_guse_is_loaded, TIMEOUT_S)
{
	EXPECT_TRUE(module_loaded());
}

static const char *skip_reason(void)
{
	if (!ko || access(ko, R_OK))
		return "no gpio-guse.ko given (argument or GUSE_GPIO_KO)";
	if (geteuid())
		return "needs root";
	if (!module_loaded())
		return "gpio_guse is not loaded";
	return NULL;
}

int main(int argc, char **argv)
{
	ko = getenv("GUSE_GPIO_KO");
	/* the module path, then the harness's options */
	if (argc > 1 && argv[1][0] != '-') {
		ko = argv[1];
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	return guse_harness_main(argc, argv, skip_reason());
}
