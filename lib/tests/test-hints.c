// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit test: guse_error_hint() names the cause and the way out. */

#include <errno.h>
#include <string.h>

#include "fake-kernel.h"

static void expect_hint(int errnum, const char *a, const char *b)
{
	const char *hint = guse_error_hint(errnum);

	CHECK(hint);
	if (!hint) {
		fprintf(stderr, "# no hint for %s\n", strerror(errnum));
		return;
	}
	if (!strstr(hint, a) || (b && !strstr(hint, b))) {
		fprintf(stderr, "# hint for %s lacks \"%s\"%s%s%s: %s\n",
			strerror(errnum), a, b ? " or \"" : "", b ? b : "",
			b ? "\"" : "", hint);
		test_failures++;
	}
}

static void test_hints(void)
{
	expect_hint(ENOENT, "/dev/guse", "modprobe gpio-guse");
	expect_hint(ENODEV, "gpio-guse", "modprobe gpio-guse");
	expect_hint(ENXIO, "gpio-guse", "modprobe gpio-guse");
	expect_hint(EACCES, "kernel/60-guse.rules", "guse group");
	expect_hint(EPERM, "kernel/60-guse.rules", "guse group");
	expect_hint(EEXIST, "once for every chip", NULL);
	expect_hint(EINVAL, "1 to 1024", "max_lines");
	expect_hint(EINVAL, "label 1 to 31 characters", "600000 ms");
	expect_hint(EPROTONOSUPPORT, "version", "matching");
	expect_hint(EPROTO, "do not match", NULL);
	expect_hint(ENOSPC, "max_chips", NULL);
	expect_hint(ETIMEDOUT, "10 seconds", NULL);
	/* nothing to add to strerror() */
	CHECK(!guse_error_hint(0));
	CHECK(!guse_error_hint(ENOMEM));
	CHECK(!guse_error_hint(-1));
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "hints", test_hints },
	};

	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
