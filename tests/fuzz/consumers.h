/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/consumers.h: threads that use the fuzzed chip the way applications
 * do, through libgpiod: line requests with random settings (outputs, drive
 * modes, bias, inputs with edge detection and debounce), reads, writes,
 * reconfiguration, bounded waits for edge events, releases; and one thread
 * watching line info.  Every call may fail only with an errno of the
 * allowed set, and none may take longer than a bound.
 */
#ifndef GUSE_TESTS_FUZZ_CONSUMERS_H
#define GUSE_TESTS_FUZZ_CONSUMERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

#define FZ_CONSUMERS_MAX	8
#define FZ_USER_LINES		4

struct fz_consumers;

/* One thread; lives from fz_consumers_start() to fz_consumers_stop(). */
struct fz_consumer {
	struct fz_consumers *group;
	unsigned int index;
	bool watcher;		/* watches line info instead of requesting */
	unsigned int lines[FZ_USER_LINES];	/* lines it requests */
	struct fz_rng rng;
	pthread_t thread;
	bool started;
	_Atomic int64_t op_since;	/* start of the call in progress, or 0 */
	const char *_Atomic op;		/* its name */
	atomic_ulong ops, errors, events;
	atomic_ulong errs[3];	/* failures with allowed[0..2] */
};

struct fz_consumers {
	char chip_path[64];
	unsigned int ngpio;
	atomic_bool stop;
	const int *allowed;	/* errnos a call may fail with */
	unsigned int nallowed;
	pthread_mutex_t lock;	/* protects @failure */
	char failure[512];	/* the first unexpected result */
	unsigned int n;
	struct fz_consumer c[FZ_CONSUMERS_MAX];
};

/*
 * Starts @users threads requesting FZ_USER_LINES lines each, taken in turn
 * from @lines, and one line-info watcher, on /dev/@chip_name.
 */
int fz_consumers_start(struct fz_consumers *g, const char *chip_name,
		       unsigned int ngpio, const unsigned int *lines,
		       unsigned int users, uint64_t seed, const int *allowed,
		       unsigned int nallowed);
/* True if a thread has been in one call for more than @bound_ms. */
bool fz_consumers_stuck(struct fz_consumers *g, int64_t bound_ms, char *why,
			size_t len);
/* Stops and joins the threads, waiting at most @bound_ms; 0 or -ETIMEDOUT. */
int fz_consumers_stop(struct fz_consumers *g, int64_t bound_ms, char *why,
		      size_t len);
/* The first unexpected result, or NULL. */
const char *fz_consumers_failure(struct fz_consumers *g);

#endif /* GUSE_TESTS_FUZZ_CONSUMERS_H */
