/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/failslab.h: slab allocation failures for the test's own threads
 * (CONFIG_FAILSLAB with CONFIG_FAULT_INJECTION_DEBUG_FS, as on debug
 * kernels).  Two ways: /proc/thread-self/fail-nth fails exactly the n-th
 * fault point of the calling thread's next system calls; make-it-fail with
 * failslab's task-filter fails allocations of the calling thread at random,
 * with failslab's probability, interval and times.  Failures are silent
 * (verbose 0), so the kernel log stays clean unless something is wrong.
 */
#ifndef GUSE_TESTS_FUZZ_FAILSLAB_H
#define GUSE_TESTS_FUZZ_FAILSLAB_H

#include <stdbool.h>
#include <stddef.h>

#define FZ_FAILSLAB_DIR "/sys/kernel/debug/failslab"
#define FZ_FAILSLAB_ATTRS 8

/* failslab's settings before the test, restored after it. */
struct fz_failslab {
	bool saved;
	char value[FZ_FAILSLAB_ATTRS][32];
};

/* False with the reason in @why when the kernel has no failslab. */
bool fz_failslab_available(char *why, size_t len);
/*
 * Task-filtered, silent, GFP_KERNEL allocations included; @probability in
 * percent, every @interval-th eligible call, at most @times (-1: no limit).
 * The first call saves the previous settings.
 */
int fz_failslab_set(struct fz_failslab *fs, unsigned int probability,
		    unsigned int interval, int times);
void fz_failslab_restore(struct fz_failslab *fs);
/*
 * /proc/thread-self/make-it-fail of the calling thread, or -1: opened
 * before failures are on, since opening a file allocates.
 */
int fz_make_it_fail_open(void);
/* Random failures for the calling thread on or off. */
int fz_make_it_fail(int fd, bool on);

/* /proc/thread-self/fail-nth of the calling thread, or -1. */
int fz_fail_nth_open(void);
/* The @n-th fault point from now on fails. */
int fz_fail_nth_arm(int fd, unsigned int n);
/* Disarms; true if the armed failure was injected. */
bool fz_fail_nth_fired(int fd);

#endif /* GUSE_TESTS_FUZZ_FAILSLAB_H */
