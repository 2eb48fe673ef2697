/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/inject.h: CREATE and consumer operations under slab allocation
 * failures (failslab.h), each followed by the checks that nothing leaked:
 * a failed CREATE leaves the file fresh for another CREATE, a failed line
 * operation leaves the lines free for the next consumer.
 */
#ifndef GUSE_TESTS_FUZZ_INJECT_H
#define GUSE_TESTS_FUZZ_INJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "server.h"

enum fz_inject_op {
	FZ_INJ_REQUEST_INPUT,	/* two lines, both edges, debounce */
	FZ_INJ_REQUEST_OUTPUT,
	FZ_INJ_GET,
	FZ_INJ_SET,
	FZ_INJ_RECONFIGURE,	/* outputs become inputs with edges */
	FZ_INJ_RELEASE,
	FZ_INJ_OPS
};

struct fz_inject_stats {
	unsigned long runs;	/* operations under injection */
	unsigned long enomem;	/* failed with ENOMEM */
	unsigned long enxio;	/* edge detection without an interrupt */
	unsigned long survived;	/* a failure was injected, yet success */
};

/*
 * A valid CREATE on a new file with the @n-th fault point failing
 * (@nth_fd from fz_fail_nth_open()), or, with @n 0, under make-it-fail
 * (@nth_fd from fz_make_it_fail_open() then).  @fired: the fault was
 * injected.  0, or -1 with @why.
 */
int fz_inject_create(struct fz_rng *r, unsigned int max_lines, int nth_fd,
		     unsigned int n, bool *fired, struct fz_inject_stats *st,
		     char *why, size_t len);
/* @op on lines @lines[0..1] of @s's chip, injected like fz_inject_create(). */
int fz_inject_op(struct fz_server *s, const unsigned int *lines,
		 enum fz_inject_op op, int nth_fd, unsigned int n, bool *fired,
		 struct fz_inject_stats *st, char *why, size_t len);
const char *fz_inject_op_name(enum fz_inject_op op);

#endif /* GUSE_TESTS_FUZZ_INJECT_H */
