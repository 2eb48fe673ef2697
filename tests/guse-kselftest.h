/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's kselftest harness (kselftest_harness.h, a build dependency
 * found by configure as KSELFTEST_CFLAGS) for the VM test programs, and the
 * little they share on top of it.  Include this instead of the harness.
 *
 * Every test is a TEST_F() or TEST_F_TIMEOUT(): the harness's TEST() has no
 * timeout of its own and trips -Wunused-parameter.  The harness runs each
 * test in its own process group and SIGKILLs it at its timeout, so a
 * hanging test is one failure and takes its servers and consumers with it.
 */
#ifndef GUSE_TESTS_KSELFTEST_H
#define GUSE_TESTS_KSELFTEST_H

/* the harness is written for -Wall; -Wextra finds unused parameters in it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <kselftest_harness.h>
#pragma GCC diagnostic pop
/*
 * ... and, in every TEST_F() it expands, a local that setjmp() might
 * clobber (it is only read on the path that did not longjmp()).
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#include <stdlib.h>
#include <string.h>

/*
 * The harness registers TEST_F()s from constructors that run before the
 * one that finds out in which order constructors run, and so runs a file
 * of TEST_F()s backwards.  This one has their priority and comes before
 * them: it runs first when constructors run forwards, last otherwise, and
 * so gives the registrations the direction they need.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST_F)))
guse_tests_in_file_order(void)
{
	__constructor_order_forward = true;
}

/*
 * Runs the tests, or skips the whole program (KTAP "1..0 # SKIP", exit
 * KSFT_SKIP) when @skip_why is not NULL.  -h and -l work regardless.
 */
static inline int guse_harness_main(int argc, char **argv,
				    const char *skip_why)
{
	bool listing = argc > 1 && (!strcmp(argv[1], "-l") ||
				    !strcmp(argv[1], "-h"));

	if (skip_why && !listing) {
		ksft_print_header();
		ksft_exit_skip("%s\n", skip_why);
	}
	return test_harness_run(argc, argv);
}

/* main() running the tests unless @skip_why (an expression) is not NULL */
#define GUSE_HARNESS_MAIN(skip_why)					\
	int main(int argc, char **argv)					\
	{								\
		return guse_harness_main(argc, argv, (skip_why));	\
	}

/*
 * Sets the timeout of TEST_F_TIMEOUT(@fixture, @test) to @seconds: for a
 * test whose length a tuning variable sets.  Call it in main() before
 * guse_harness_main().
 */
#define GUSE_SET_TIMEOUT(fixture, test, seconds) \
	(_##fixture##_##test##_object->timeout = (seconds))

/* The reason to skip a program that needs /dev/guse, or NULL. */
#define GUSE_NEED_DEVICE() \
	(raw_device_present() ? NULL : "no /dev/guse: the modules are not loaded")

/* An unsigned tuning variable of the environment, clamped to [min, max]. */
static inline unsigned int guse_env_uint(const char *name, unsigned int def,
					 unsigned int min, unsigned int max)
{
	const char *s = getenv(name);
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, NULL, 0);
	return v < min ? min : v > max ? max : (unsigned int)v;
}

#endif /* GUSE_TESTS_KSELFTEST_H */
