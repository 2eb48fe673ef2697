/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstate: what the kernel tests watch besides their own results, read from
 * /dev/kmsg, /proc and /sys (root only): new kernel log reports, slab
 * object counts, and the kernel stacks of tasks that are stuck.  Output
 * goes to stdout as KTAP diagnostics ("# ...").
 */
#ifndef GUSE_TESTS_KSTATE_H
#define GUSE_TESTS_KSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds; the same clock in every process. */
int64_t kst_now_ns(void);

/* Milliseconds from @from_ns to @to_ns. */
static inline int kst_ms(int64_t from_ns, int64_t to_ns)
{
	return (int)((to_ns - from_ns) / 1000000);
}

/*
 * Kernel log watch: records logged after kst_kmsg_open() that look like
 * the reports tests/vm/run-vm.sh fails a run on (WARNING, BUG, Oops, Call
 * Trace, lockdep, KASAN, UBSAN, hung tasks), plus gpio-guse's known ones
 * ("Trying to free already-free IRQ", "remove_proc_entry").
 */
struct kst_kmsg {
	int fd;			/* /dev/kmsg, non-blocking, or -1 */
	unsigned int found;	/* matching records seen so far */
	unsigned int printed;	/* records printed so far (bounded) */
	int trace_left;		/* records of the current report still shown */
};

/* Starts watching at the end of the log; false when /dev/kmsg is unusable. */
bool kst_kmsg_open(struct kst_kmsg *k);
/*
 * Reads the records logged since the last call, prints matching ones (and
 * the call trace lines following them) prefixed with @tag, at most
 * @max_print records over the life of @k.  Returns the number of matching
 * records in this call.
 */
unsigned int kst_kmsg_scan(struct kst_kmsg *k, const char *tag,
			   unsigned int max_print);
void kst_kmsg_close(struct kst_kmsg *k);

/*
 * Slab object counts of the caches a GPIO chip with interrupts allocates
 * from: kmalloc-*, proc_dir_entry (/proc/irq), kernfs_node_cache (sysfs),
 * task_struct (interrupt threads).
 */
#define KST_SLAB_MAX	32
#define KST_SLAB_NAME	64
struct kst_slab {
	unsigned int n;
	char name[KST_SLAB_MAX][KST_SLAB_NAME];
	long objs[KST_SLAB_MAX];	/* active objects */
};

/*
 * Flushes the per-CPU slabs of those caches (/sys/kernel/slab/<c>/shrink:
 * without it SLUB counts objects free in per-CPU slabs as active) and
 * reads /proc/slabinfo.  Returns false if it cannot.
 */
bool kst_slab_read(struct kst_slab *s);
/*
 * The per-cache minimum of readings over @ms milliseconds (one every
 * 200 ms): a reading that frees still in flight (RCU, deferred work) do
 * not inflate.  @s->n 0 picks the caches.
 */
bool kst_slab_calm(struct kst_slab *s, int ms);
/*
 * Readings of one run, to tell a leak from noise.  SLUB counts the free
 * objects of per-CPU slabs as in use, so one reading is off by up to a few
 * slabs (one slab of kmalloc-8 holds 512 objects).  A cache leaks only if
 * it grew by more than @step objects between every two readings and by
 * more than @tol from the first to the last: a cache that takes one more
 * per-CPU slab, or warms up, jumps once; a leak grows with the work done.
 */
#define KST_SLAB_READINGS	6
struct kst_slab_watch {
	struct kst_slab r[KST_SLAB_READINGS];
	unsigned int n;				/* readings taken */
	long tol, step;
	bool leaking[KST_SLAB_MAX];		/* by kst_slab_leaks() */
};

void kst_slab_watch_init(struct kst_slab_watch *w, long tol, long step);
/*
 * Takes the next reading (the calmest of 400 ms, see kst_slab_calm());
 * false if unreadable.  Keep one of the KST_SLAB_READINGS for
 * kst_slab_settle().
 */
bool kst_slab_take(struct kst_slab_watch *w);
/* Number of caches leaking by the readings taken so far. */
unsigned int kst_slab_leaks(struct kst_slab_watch *w);
/*
 * Takes the last reading, again and again until no cache leaks or
 * @timeout_ms passed (RCU and deferred frees); false if unreadable.
 */
bool kst_slab_settle(struct kst_slab_watch *w, int timeout_ms);
/* Prints, per cache, the change between successive readings; (!) leaks. */
void kst_slab_print(const struct kst_slab_watch *w);

/* Prints state, wait channel and kernel stack of every thread of @pid. */
void kst_dump_task(pid_t pid, const char *why);
/* Prints the interrupt threads ("irq/N-name") that are not idle. */
void kst_dump_irq_threads(void);

/* Number of entries in directory @path (0 if it does not exist). */
/*
 * In a forked test child: dies with its parent (and exits at once if the
 * parent is already gone), output to /dev/null so that a child stuck in the
 * kernel cannot hold the test's output open, no inherited descriptors.
 */
void kst_child_init(pid_t parent);
unsigned int kst_count_dir(const char *path);
bool kst_exists(const char *fmt, const char *name);

#endif /* GUSE_TESTS_KSTATE_H */
