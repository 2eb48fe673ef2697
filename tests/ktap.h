/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal KTAP output for the C test programs, kselftest style: exit 0 when
 * every test passed, 1 when one failed, 4 (KSFT_SKIP) when all were skipped.
 */
#ifndef GUSE_TESTS_KTAP_H
#define GUSE_TESTS_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KTAP_EXIT_SKIP 4

struct ktap {
	int planned;
	int run;
	int passed;
	int failed;
	int skipped;
};

static struct ktap ktap_state;

static inline void ktap_plan(int n)
{
	ktap_state.planned = n;
	printf("KTAP version 1\n1..%d\n", n);
	fflush(stdout);
}

static inline void ktap_vresult(const char *verdict, const char *directive,
				const char *fmt, va_list ap)
{
	ktap_state.run++;
	printf("%s %d ", verdict, ktap_state.run);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	printf("\n");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 2, 3)))
ktap_test(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vresult(ok ? "ok" : "not ok", NULL, fmt, ap);
	va_end(ap);
	if (ok)
		ktap_state.passed++;
	else
		ktap_state.failed++;
}

static inline void __attribute__((format(printf, 2, 3)))
ktap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_state.run++;
	printf("ok %d ", ktap_state.run);
	vprintf(fmt, ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
	va_end(ap);
	ktap_state.skipped++;
}

static inline void __attribute__((format(printf, 1, 2)))
ktap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

/* Prints the totals and exits with the kselftest status. */
static inline void __attribute__((noreturn)) ktap_finish(void);

/*
 * Ends the run early: every planned test not run yet is reported as
 * skipped (@skip true) or failed, with @why, and the program exits.
 */
static inline void __attribute__((noreturn)) ktap_bail(int skip,
						       const char *why)
{
	while (ktap_state.run < ktap_state.planned) {
		if (skip) {
			ktap_skip(why, "test %d", ktap_state.run + 1);
		} else {
			ktap_state.run++;
			ktap_state.failed++;
			printf("not ok %d test %d # %s\n", ktap_state.run,
			       ktap_state.run, why);
		}
	}
	fflush(stdout);
	ktap_finish();
}


static inline void ktap_finish(void)
{
	if (ktap_state.run != ktap_state.planned) {
		ktap_diag("planned %d tests, ran %d", ktap_state.planned,
			  ktap_state.run);
		ktap_state.failed++;
	}
	printf("# Totals: pass:%d fail:%d skip:%d\n", ktap_state.passed,
	       ktap_state.failed, ktap_state.skipped);
	fflush(stdout);
	if (ktap_state.failed)
		exit(1);
	if (ktap_state.skipped && !ktap_state.passed)
		exit(KTAP_EXIT_SKIP);
	exit(0);
}

#endif /* GUSE_TESTS_KTAP_H */
