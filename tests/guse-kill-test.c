// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-kill-test: servers SIGKILLed while every kind of consumer is busy
 * with their chip, with interrupt configuration on (GUSE_CREATE_F_REQUEST
 * and GUSE_CREATE_F_IRQ_CONFIG, chip timeout 5 s).
 *
 * Each cycle forks a server (raw protocol, tests/raw-guse.c; the
 * processes of a cycle are in tests/kill-procs.c) that creates
 * a 16-line chip, answers every request except reads and writes of line 0,
 * and pulses lines 2 and 3 (GUSE_OP_SET_INPUTS) every 2 ms.  Consumer
 * processes (libgpiod) then start:
 *
 *   block  line 0 as output; reads it once: the server never answers
 *   hold   line 1 (output) and lines 4-5 (inputs); writes and reads them
 *          every 2 ms
 *   edge   lines 2-3, both edges; reads their events, reads line 2 when
 *          20 ms pass without one
 *   watch  watches the line info of all 16 lines, reads the info events
 *   churn  6 threads requesting and releasing both-edge lines 6-15 in a
 *          tight loop (request_threaded_irq() and free_irq() all the time)
 *
 * Once all of them are set up, the server is SIGKILLed after a random
 * 2-32 ms.  Then, per consumer (a thread of churn is one consumer):
 *
 *   - its call in progress returns within RETURN_MS of the kill with
 *       block, hold: ENODEV
 *       edge, watch: ENODEV (from read() once poll() reported
 *                    POLLHUP|POLLERR, or from reading the line: 6.1 keeps
 *                    a dead server's chip while lines are held)
 *       churn:       ENODEV; ENXIO or EINVAL when its request races the
 *                    disposal of the chip's interrupt mappings
 *                    (gpiolib-cdev turns a failing gpiod_to_irq() into
 *                    ENXIO, request_irq() refuses a mapping being disposed
 *                    of with EINVAL)
 *     and never before the kill;
 *   - then the last close() of each of its files returns 0 within
 *     CLOSE_MS;
 *   - /dev/gpiochipN and /sys/class/guse/guseN are gone within GONE_MS of
 *     the kill, the server is reaped within REAP_MS, killed by SIGKILL;
 *   - the kernel logs no report (WARNING, BUG, "Trying to free already-free
 *     IRQ", "remove_proc_entry", lockdep, ...: tests/kstate.c).
 *
 * A consumer not back HUNG_MS after the kill is stuck in the kernel: its
 * kernel stacks are printed, the loop stops and the test fails.  Consumers
 * run in their own processes with stdout and stderr on /dev/null, so that
 * one stuck in D state cannot hold the test's output open.
 *
 * After the loop no slab cache of tests/kstate.c may keep growing (read
 * after the first cycle, at every fifth of the loop and at the end, see
 * struct kst_slab_watch), nor a guse chip be left.
 *
 * Three variants (FIXTURE_VARIANT below): servers that answer input reads
 * themselves (GUSE_CREATE_F_GET_INPUTS) or leave them to the kernel, and
 * one without the churn threads.
 *
 * Length: cycles until GUSE_KILL_SECONDS (default 12 per variant) pass and
 * at least MIN_CYCLES ran (a loaded host makes the debug kernel slow), at
 * most GUSE_KILL_CYCLES (default 1000).  "--cycles N" (or GUSE_KILL_CYCLES
 * alone) runs exactly N cycles per variant with no time budget: the long
 * run.  GUSE_KILL_SEED replays the random kill moments of a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guse-kselftest.h"
#include "kill-procs.h"
#include "kstate.h"
#include "raw-guse.h"

#define KILL_MIN_US	2000
#define KILL_MAX_US	32000
#define SETUP_MS	8000
#define RETURN_MS	2000
#define CLOSE_MS	2000
#define GONE_MS		3000
#define REAP_MS		3000
#define HUNG_MS		(2 * CHIP_TIMEOUT_MS)	/* even timeouts are over */
#define MIN_CYCLES	4	/* run even past the budget (a loaded debug kernel) */
#define SLAB_TOL	48	/* see struct kst_slab_watch */
#define SLAB_STEP	4
#define SLAB_SETTLE_MS	10000
#define MAX_NOTES	30	/* problem lines printed */
#define MAX_DUMPS	3	/* cycles whose stuck tasks are printed */


FIXTURE(kill) {
	struct cycle_shm *shm;
};

FIXTURE_VARIANT(kill) {
	uint32_t flags;
	bool churn;
};

FIXTURE_VARIANT_ADD(kill, no_churn) {
	.flags = GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG |
		 GUSE_CREATE_F_GET_INPUTS,
	.churn = false,
};

FIXTURE_VARIANT_ADD(kill, get_inputs) {
	.flags = GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG |
		 GUSE_CREATE_F_GET_INPUTS,
	.churn = true,
};

FIXTURE_VARIANT_ADD(kill, kernel_inputs) {
	.flags = GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG,
	.churn = true,
};

/* ---- the controller ------------------------------------------------------ */

static struct {
	unsigned int cycles;
	unsigned int seconds;	/* 0: no time budget */
	unsigned int seed;
} cfg;

struct kill_stats {
	unsigned int cycles, setup_failures, hung, early, bad_errno;
	unsigned int slow, slow_close, close_failed, not_gone, slow_reap;
	unsigned int not_sigkilled, held_at_kill, kmsg_reports;
	unsigned int endings[NKINDS][4];	/* ENODEV ENXIO EINVAL other */
	unsigned int hup[NKINDS];		/* after POLLHUP|POLLERR */
	int max_ret_ms[NKINDS], max_close_ms, max_gone_ms, max_reap_ms;
	uint64_t events[NKINDS], ops[NKINDS], pulses;
	unsigned int notes, dumps;
};

static void __attribute__((format(printf, 3, 4)))
note(struct kill_stats *st, unsigned int cycle, const char *fmt, ...)
{
	va_list ap;

	if (st->notes++ >= MAX_NOTES)
		return;
	printf("# cycle %u: ", cycle);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static unsigned int ending_class(int err)
{
	switch (err) {
	case ENODEV:
		return 0;
	case ENXIO:
		return 1;
	case EINVAL:
		return 2;
	default:
		return 3;
	}
}

static bool ending_ok(enum kind kind, int err)
{
	unsigned int c = ending_class(err);

	return c == 0 || (kind == K_CHURN && c < 3);
}

static const char *unit_label(unsigned int u, char *buf, size_t size)
{
	if (unit_kind(u) == K_CHURN)
		snprintf(buf, size, "churn%u", u - K_CHURN);
	else
		snprintf(buf, size, "%s", kind_name[u]);
	return buf;
}

static int64_t ms_to_ns(int ms)
{
	return (int64_t)ms * 1000000;
}

/* What a cycle's controller knows about its processes. */
struct cycle_procs {
	pid_t srv, pid[NKINDS];
	bool srv_reaped, reaped[NKINDS];
	int srv_status;
	int64_t t_kill, t_reap, t_gone;
	bool gone, dumped;
};

static bool procs_done(const struct cycle_procs *p)
{
	if (!p->srv_reaped || !p->gone)
		return false;
	for (unsigned int i = 0; i < NKINDS; i++)
		if (p->pid[i] > 0 && !p->reaped[i])
			return false;
	return true;
}

/* Prints the kernel stacks of whatever is not back yet. */
static void dump_late(struct cycle_shm *shm, struct cycle_procs *p,
		      unsigned int cycle)
{
	char why[96], name[16];
	int64_t now = kst_now_ns(), since;
	unsigned int u;
	pid_t last = 0;

	for (u = 0; u < shm->nunits; u++) {
		struct unit *x = &shm->unit[u];
		pid_t pid = atomic_load(&x->pid);

		if (atomic_load(&x->t_closed) || !pid || pid == last)
			continue;
		last = pid;
		since = atomic_load(&x->op_since);
		snprintf(why, sizeof(why), "cycle %u: %s in %s for %d ms", cycle,
			 unit_label(u, name, sizeof(name)),
			 op_name[atomic_load(&x->op)],
			 kst_ms(since, kst_now_ns()));
		kst_dump_task(pid, why);
	}
	if (!p->srv_reaped) {
		snprintf(why, sizeof(why), "cycle %u: server %d ms after SIGKILL",
			 cycle, kst_ms(p->t_kill, now));
		kst_dump_task(p->srv, why);
	}
	kst_dump_irq_threads();
}

/* Polls until everything of the cycle is gone or HUNG_MS passed. */
static void cycle_wait(struct kill_stats *st, struct cycle_shm *shm,
		       struct cycle_procs *p, unsigned int cycle)
{
	int64_t now;

	for (;;) {
		now = kst_now_ns();
		if (!p->gone &&
		    !kst_exists("/dev/%s", shm->ready.chip_name) &&
		    !kst_exists("/sys/class/guse/%s", shm->ready.dev_name)) {
			p->gone = true;
			p->t_gone = now;
		}
		if (!p->srv_reaped &&
		    waitpid(p->srv, &p->srv_status, WNOHANG) == p->srv) {
			p->srv_reaped = true;
			p->t_reap = now;
		}
		for (unsigned int i = 0; i < NKINDS; i++)
			if (p->pid[i] > 0 && !p->reaped[i] &&
			    waitpid(p->pid[i], NULL, WNOHANG) == p->pid[i])
				p->reaped[i] = true;
		if (procs_done(p) || now > p->t_kill + ms_to_ns(HUNG_MS))
			return;
		if (!p->dumped && now > p->t_kill + ms_to_ns(RETURN_MS) &&
		    st->dumps < MAX_DUMPS) {
			p->dumped = true;
			st->dumps++;
			dump_late(shm, p, cycle);
		}
		usleep(2000);
	}
}

/* Checks how one consumer ended; false if it is stuck. */
static bool check_unit(struct kill_stats *st, struct unit *x, unsigned int u,
		       int64_t t_kill, unsigned int cycle)
{
	int64_t t_end = atomic_load(&x->t_end), t_closed;
	enum kind kind = unit_kind(u);
	char name[16];
	int ms;

	unit_label(u, name, sizeof(name));
	if (!atomic_load(&x->t_ready) && t_end) {
		/* a setup failure, counted already: it only has to close */
		if (atomic_load(&x->t_closed))
			return true;
		note(st, cycle, "%s still closing %d ms after the kill", name,
		     kst_ms(t_kill, kst_now_ns()));
		return false;
	}
	if (!t_end) {
		note(st, cycle, "%s still in %s %d ms after the kill", name,
		     op_name[atomic_load(&x->op)],
		     kst_ms(t_kill, kst_now_ns()));
		return false;
	}
	if (t_end < t_kill) {
		st->early++;
		note(st, cycle, "%s ended %d ms before the kill: %s in %s",
		     name, kst_ms(t_end, t_kill), strerror(x->err),
		     op_name[x->end_op]);
	} else {
		ms = kst_ms(t_kill, t_end);
		if (ms > st->max_ret_ms[kind])
			st->max_ret_ms[kind] = ms;
		if (ms > RETURN_MS) {
			st->slow++;
			note(st, cycle, "%s returned from %s only %d ms after the kill",
			     name, op_name[x->end_op], ms);
		}
		st->endings[kind][ending_class(x->err)]++;
		if (x->revents)
			st->hup[kind]++;
		if (!ending_ok(kind, x->err)) {
			st->bad_errno++;
			note(st, cycle, "%s ended with %s (%d) in %s", name,
			     strerror(x->err), x->err, op_name[x->end_op]);
		}
	}
	st->events[kind] += x->events;
	st->ops[kind] += x->ops;
	t_closed = atomic_load(&x->t_closed);
	if (!t_closed) {
		note(st, cycle, "%s still closing %d ms after the kill", name,
		     kst_ms(t_kill, kst_now_ns()));
		return false;
	}
	ms = kst_ms(t_end, t_closed);
	if (ms > st->max_close_ms)
		st->max_close_ms = ms;
	if (ms > CLOSE_MS) {
		st->slow_close++;
		note(st, cycle, "%s: closing took %d ms", name, ms);
	}
	if (x->close_err) {
		st->close_failed++;
		note(st, cycle, "%s: close() failed: %s", name,
		     strerror(x->close_err));
	}
	return true;
}

/* Checks the server's end and the chip's removal. */
static void check_server(struct kill_stats *st, struct cycle_shm *shm,
			 const struct cycle_procs *p, unsigned int cycle)
{
	int ms;

	if (p->gone) {
		ms = kst_ms(p->t_kill, p->t_gone);
		if (ms > st->max_gone_ms)
			st->max_gone_ms = ms;
	}
	if (!p->gone || kst_ms(p->t_kill, p->t_gone) > GONE_MS) {
		st->not_gone++;
		note(st, cycle, "%s (%s) still there %d ms after the kill",
		     shm->ready.chip_name, shm->ready.dev_name,
		     p->gone ? kst_ms(p->t_kill, p->t_gone) : HUNG_MS);
	}
	if (!p->srv_reaped)
		return;
	ms = kst_ms(p->t_kill, p->t_reap);
	if (ms > st->max_reap_ms)
		st->max_reap_ms = ms;
	if (ms > REAP_MS) {
		st->slow_reap++;
		note(st, cycle, "the server took %d ms to die", ms);
	}
	if (!WIFSIGNALED(p->srv_status) || WTERMSIG(p->srv_status) != SIGKILL) {
		st->not_sigkilled++;
		note(st, cycle, "the server exited by itself (status 0x%x)",
		     p->srv_status);
	}
}

/* Waits for every consumer to be set up; false (with notes) if one is not. */
static bool cycle_setup(struct kill_stats *st, struct cycle_shm *shm,
			unsigned int cycle)
{
	int64_t deadline = kst_now_ns() + ms_to_ns(SETUP_MS);
	unsigned int u, ready;
	bool ok = true;
	char name[16];

	do {
		for (u = 0, ready = 0; u < shm->nunits; u++)
			ready += atomic_load(&shm->unit[u].t_ready) ||
				 atomic_load(&shm->unit[u].t_end);
		if (ready == shm->nunits)
			break;
		usleep(1000);
	} while (kst_now_ns() < deadline);
	for (u = 0; u < shm->nunits; u++) {
		struct unit *x = &shm->unit[u];

		if (atomic_load(&x->t_ready))
			continue;
		ok = false;
		note(st, cycle, "%s not set up: %s",
		     unit_label(u, name, sizeof(name)),
		     atomic_load(&x->t_end) ? strerror(x->err) : "timeout");
	}
	return ok;
}

static void kill_cycle(struct kill_stats *st, struct cycle_shm *shm,
		       const FIXTURE_VARIANT(kill) *v, unsigned int cycle,
		       unsigned int *seed, struct kst_kmsg *km)
{
	struct cycle_procs p = { 0 };
	pid_t parent = getpid();
	int64_t deadline;
	bool stuck = false;
	unsigned int u, i;
	char tag[32];

	memset(shm, 0, sizeof(*shm));
	shm->srv_flags = v->flags;
	shm->nunits = v->churn ? NUNITS : K_CHURN;
	p.srv = fork();
	if (p.srv == 0)
		server_main(shm, parent);
	deadline = kst_now_ns() + ms_to_ns(SETUP_MS);
	while (p.srv > 0 && !atomic_load(&shm->srv_ready) &&
	       kst_now_ns() < deadline)
		usleep(1000);
	if (p.srv < 0 || atomic_load(&shm->srv_ready) != 1) {
		st->setup_failures++;
		note(st, cycle, "no chip: %s", p.srv < 0 ? "fork failed" :
		     atomic_load(&shm->srv_ready) ? strerror(shm->srv_err) :
		     "timeout");
		if (p.srv > 0) {
			kill(p.srv, SIGKILL);
			waitpid(p.srv, NULL, 0);
		}
		return;
	}
	for (i = 0; i < NKINDS; i++) {
		if (i == K_CHURN && !v->churn)
			break;
		p.pid[i] = fork();
		if (p.pid[i] == 0)
			consumer_main(shm, i, parent);
	}
	if (!cycle_setup(st, shm, cycle))
		st->setup_failures++;

	usleep(KILL_MIN_US + rand_r(seed) % (KILL_MAX_US - KILL_MIN_US + 1));
	p.t_kill = kst_now_ns();
	kill(p.srv, SIGKILL);
	st->held_at_kill += atomic_load(&shm->held) > 0;
	st->pulses += atomic_load(&shm->pulses);

	cycle_wait(st, shm, &p, cycle);
	for (u = 0; u < shm->nunits; u++)
		if (!check_unit(st, &shm->unit[u], u, p.t_kill, cycle))
			stuck = true;
	check_server(st, shm, &p, cycle);
	if (!p.srv_reaped || !p.gone)
		stuck = true;
	for (i = 0; i < NKINDS; i++)
		if (p.pid[i] > 0 && !p.reaped[i])
			stuck = true;
	if (stuck) {
		/* nothing to clean up: whatever is stuck stays stuck */
		st->hung++;
		dump_late(shm, &p, cycle);
		for (i = 0; i < NKINDS; i++)
			if (p.pid[i] > 0 && !p.reaped[i])
				kill(p.pid[i], SIGKILL);
	}
	snprintf(tag, sizeof(tag), "cycle %u: ", cycle);
	st->kmsg_reports += kst_kmsg_scan(km, tag, 80);
	st->cycles++;
}

/* Is the loop far enough for the next slab reading? */
static bool slab_due(const struct kst_slab_watch *w, unsigned int cycle,
		     int64_t t0)
{
	unsigned int k = w->n, in_loop = KST_SLAB_READINGS - 1;

	if (k == 0)
		return true;
	if (k >= in_loop)
		return false;
	if (cfg.seconds)
		return kst_now_ns() > t0 + ms_to_ns(cfg.seconds * 1000 /
						    in_loop * k);
	return cycle >= cfg.cycles * k / in_loop;
}

static void print_summary(const struct kill_stats *st, int64_t t0)
{
	ksft_print_msg("%u cycles in %d ms (seed %u): %" PRIu64 " pulses, %" PRIu64
		       " edge events, %" PRIu64 " line-info events, %" PRIu64
		       " churn requests, %" PRIu64 " hold writes\n",
		       st->cycles, kst_ms(t0, kst_now_ns()), cfg.seed,
		       st->pulses, st->events[K_EDGE], st->events[K_WATCH],
		       st->ops[K_CHURN], st->ops[K_HOLD]);
	for (unsigned int k = 0; k < NKINDS; k++)
		ksft_print_msg("%-5s ended with ENODEV %u, ENXIO %u, EINVAL %u, other %u; after POLLHUP|POLLERR %u; slowest %d ms after the kill\n",
			       kind_name[k], st->endings[k][0],
			       st->endings[k][1], st->endings[k][2],
			       st->endings[k][3], st->hup[k],
			       st->max_ret_ms[k]);
	ksft_print_msg("slowest close %d ms (bound %d), chip gone after at most %d ms (bound %d), server reaped after at most %d ms (bound %d)\n",
		       st->max_close_ms, CLOSE_MS, st->max_gone_ms, GONE_MS,
		       st->max_reap_ms, REAP_MS);
	ksft_print_msg("block's read was pending in the server at %u of %u kills\n",
		       st->held_at_kill, st->cycles);
	if (st->notes > MAX_NOTES)
		ksft_print_msg("%u more problems not shown\n",
			       st->notes - MAX_NOTES);
}

FIXTURE_SETUP(kill)
{
	self->shm = mmap(NULL, sizeof(*self->shm), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shm);
}

FIXTURE_TEARDOWN(kill)
{
	if (self->shm && self->shm != MAP_FAILED)
		munmap(self->shm, sizeof(*self->shm));
}

TEST_F_TIMEOUT(kill, sigkill_loop, 63)
{
	unsigned int seed = cfg.seed, chips_before, chips_after, c;
	int64_t t0 = kst_now_ns();
	bool slab_ok = true;
	struct kst_slab_watch sw;
	struct kill_stats st;
	struct kst_kmsg km;

	memset(&st, 0, sizeof(st));
	kst_slab_watch_init(&sw, SLAB_TOL, SLAB_STEP);
	signal(SIGPIPE, SIG_IGN);
	chips_before = kst_count_dir("/sys/class/guse");
	ASSERT_TRUE(kst_kmsg_open(&km)) TH_LOG("cannot read /dev/kmsg");
	ksft_print_msg("%u cycles at most%s%u s; bounds after the kill: return %d ms, close %d ms, chip gone %d ms, server reaped %d ms, stuck %d ms\n",
		       cfg.cycles, cfg.seconds ? ", time budget " : ", no time budget",
		       cfg.seconds, RETURN_MS, CLOSE_MS, GONE_MS, REAP_MS,
		       HUNG_MS);
	for (c = 0; c < cfg.cycles && !st.hung; c++) {
		/* the budget ends the loop once MIN_CYCLES have run */
		if (cfg.seconds && c >= MIN_CYCLES &&
		    kst_now_ns() > t0 + ms_to_ns(cfg.seconds * 1000))
			break;
		kill_cycle(&st, self->shm, variant, c, &seed, &km);
		if (st.hung)
			break;
		if (slab_due(&sw, c, t0))
			slab_ok &= kst_slab_take(&sw);
	}
	if (!st.hung) {
		int64_t deadline = kst_now_ns() + ms_to_ns(5000);

		while ((chips_after = kst_count_dir("/sys/class/guse")) >
		       chips_before && kst_now_ns() < deadline)
			usleep(10000);
		slab_ok &= kst_slab_settle(&sw, SLAB_SETTLE_MS);
		if (slab_ok)
			kst_slab_print(&sw);
	} else {
		chips_after = kst_count_dir("/sys/class/guse");
	}
	st.kmsg_reports += kst_kmsg_scan(&km, "after the loop: ", 80);
	kst_kmsg_close(&km);
	print_summary(&st, t0);

	EXPECT_EQ(0U, st.hung)
		TH_LOG("a consumer or the server was stuck %d ms after a kill",
		       HUNG_MS);
	EXPECT_EQ(0U, st.setup_failures);
	EXPECT_GE(st.cycles, cfg.cycles < MIN_CYCLES ? cfg.cycles : MIN_CYCLES);
	EXPECT_EQ(0U, st.early) TH_LOG("consumers failed before the kill");
	EXPECT_EQ(0U, st.bad_errno) TH_LOG("endings other than the documented errnos");
	EXPECT_EQ(0U, st.slow)
		TH_LOG("consumers returned later than %d ms after the kill",
		       RETURN_MS);
	EXPECT_EQ(0U, st.close_failed);
	EXPECT_EQ(0U, st.slow_close) TH_LOG("close() took over %d ms", CLOSE_MS);
	EXPECT_EQ(0U, st.not_gone)
		TH_LOG("the chip's files stayed over %d ms", GONE_MS);
	EXPECT_EQ(0U, st.slow_reap)
		TH_LOG("the server took over %d ms to die", REAP_MS);
	EXPECT_EQ(0U, st.not_sigkilled);
	EXPECT_EQ(0U, st.kmsg_reports) TH_LOG("the kernel logged reports");
	EXPECT_EQ(chips_before, chips_after) TH_LOG("guse chips left behind");
	if (!st.hung) {
		EXPECT_TRUE(slab_ok) TH_LOG("cannot read the slab counts");
		EXPECT_EQ(0U, kst_slab_leaks(&sw))
			TH_LOG("slab caches marked (!) grew at each of %u readings, by over %d objects in all (%d ms to settle)",
			       sw.n, SLAB_TOL, SLAB_SETTLE_MS);
	}
	EXPECT_LT(0U, st.events[K_EDGE]) TH_LOG("no edge event ever arrived");
	EXPECT_LT(0U, st.held_at_kill)
		TH_LOG("block's read never was pending in the server at a kill");
}

/* Takes --cycles N out of the arguments the harness parses. */
static unsigned int take_cycles_arg(int *argc, char **argv)
{
	unsigned int cycles = 0;
	int i, j;

	for (i = 1, j = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--cycles") && i + 1 < *argc)
			cycles = strtoul(argv[++i], NULL, 0);
		else if (!strncmp(argv[i], "--cycles=", 9))
			cycles = strtoul(argv[i] + 9, NULL, 0);
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return cycles;
}

int main(int argc, char **argv)
{
	unsigned int cycles = take_cycles_arg(&argc, argv);

	if (!cycles)
		cycles = guse_env_uint("GUSE_KILL_CYCLES", 0, 0, 1000000);
	cfg.cycles = cycles ? cycles : 1000;
	cfg.seconds = guse_env_uint("GUSE_KILL_SECONDS", cycles ? 0 : 12, 0,
				    100000);
	cfg.seed = guse_env_uint("GUSE_KILL_SEED", (unsigned int)time(NULL),
				 0, ~0U);
	/* the harness kills the test after this many seconds */
	_kill_sigkill_loop_object->timeout = cfg.seconds ?
		(int)cfg.seconds + 45 + 30 * MIN_CYCLES : 60 + 3 * (int)cfg.cycles;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return guse_harness_main(argc, argv, GUSE_NEED_DEVICE());
}
