/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checks of guse-qemu's host tests: CHECK() counts a failed condition
 * and goes on; the test's main() returns check_status().
 */
#ifndef GUSE_QEMU_TESTS_CHECK_H
#define GUSE_QEMU_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

/* Says how many checks failed; the exit status of the test. */
static inline int check_status(const char *test)
{
	if (failures)
		fprintf(stderr, "%s: %d checks failed\n", test, failures);
	return failures ? 1 : 0;
}

#endif
