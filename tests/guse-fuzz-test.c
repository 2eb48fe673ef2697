// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-fuzz-test: a protocol fuzzer for /dev/guse (kselftest harness).
 *
 *  fuzz.fresh   Random, mutated and torn messages on files that have no
 *               chip yet, and right after their CREATE: one thread, no
 *               consumers, so the run is a function of the seed.
 *  fuzz.live    The same on a chip whose correct server thread answers
 *               every real request while libgpiod consumers use the chip:
 *               replies to pending, answered, timed-out and future ids race
 *               the real requests.  Then the chip must still work, every
 *               granted line must have been freed, and closing the server
 *               must remove the chip.
 *  fuzz.failslab_create, fuzz.failslab_requests
 *               Slab allocation failures (debug kernels) in CREATE and in
 *               line requests: ENOMEM or success, no leak, no hang.
 *
 * Every write is judged by the oracle in fuzz/model.c.  The run stops after
 * --messages N (GUSE_FUZZ_MESSAGES, default 100000) messages or --seconds S
 * (GUSE_FUZZ_SECONDS, default 40) seconds, whichever comes first, split 1:4
 * between fresh and live; the failslab tests get a quarter of S each, 2 to
 * 600 s.  --seed N (GUSE_FUZZ_SEED) replays a run; the seed is printed
 * as "# seed N".  The messages of fuzz.fresh replay exactly; in fuzz.live
 * the ids and what consumers do depend on timing, so a replay repeats the
 * same kinds of messages but not always the same race.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fuzz/check.h"
#include "fuzz/consumers.h"
#include "fuzz/driver.h"
#include "fuzz/failslab.h"
#include "fuzz/inject.h"
#include "fuzz/selftest.h"
#include "fuzz/server.h"
#include "guse-kselftest.h"
#include "raw-guse.h"

#define LIVE_TIMEOUT_MS		1000	/* the fuzzed chip's request timeout */
#define LIVE_USERS		3	/* consumers requesting lines */
#define STUCK_MS		20000	/* no consumer call may take longer */
#define CHECK_EVERY		64	/* messages between consumer checks */
#define LIVE_MIN_RATE		2500	/* messages/s, when spread over the budget */

static struct {
	uint64_t seed;
	unsigned long messages;
	unsigned int seconds;
} cfg = { .messages = 100000, .seconds = 40 };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The oracle itself, against documented cases; needs no kernel. */
FIXTURE(oracle) {
};

FIXTURE_SETUP(oracle)
{
}

FIXTURE_TEARDOWN(oracle)
{
}

TEST_F_TIMEOUT(oracle, documented_cases, 10)
{
	char why[256] = "";

	ASSERT_EQ(0, fz_model_selftest(why, sizeof(why))) {
		TH_LOG("%s", why);
	}
}

FIXTURE(fuzz) {
	unsigned int max_lines;
	struct fz_failslab failslab;
};

FIXTURE_SETUP(fuzz)
{
	if (!raw_device_present())
		SKIP(return, "/dev/guse cannot be opened: modules not loaded");
	ksft_print_msg("seed %llu\n", (unsigned long long)cfg.seed);
	ksft_print_msg("replay: %s --seed %llu --messages %lu --seconds %u\n",
		       program_invocation_short_name,
		       (unsigned long long)cfg.seed, cfg.messages, cfg.seconds);
	self->max_lines = raw_read_uint("/sys/module/gpio_guse/parameters/max_lines",
				    GUSE_LINES_MAX);
}

FIXTURE_TEARDOWN(fuzz)
{
	fz_failslab_restore(&self->failslab);
}

static void report_rate(const char *name, const struct fz_fuzzer *f,
			int64_t start, const char *extra)
{
	double secs = (now_ms() - start) / 1000.0;
	char summary[512];

	fz_fuzzer_summary(f, summary, sizeof(summary));
	ksft_print_msg("%s: %lu messages (%lu writes) in %.1f s, %.0f messages/s; %lu accepted%s\n",
		       name, f->steps, f->writes, secs,
		       secs > 0 ? f->steps / secs : 0.0, f->accepted, extra);
	ksft_print_msg("%s: rejected: %s\n", name, summary);
}

/* After a successful CREATE of fuzz.fresh: READY, a short burst, close. */
static int fresh_created(struct __test_metadata *_metadata,
			 struct fz_fuzzer *f)
{
	struct guse_ready ready;
	struct raw_msg m;
	unsigned int burst;
	int ret;

	ret = raw_recv(f->fd, &m, 5000);
	ASSERT_EQ((int)(sizeof(m.hdr) + sizeof(ready)), ret);
	ASSERT_EQ(GUSE_OP_READY, m.hdr.opcode);
	memcpy(&ready, m.payload, sizeof(ready));
	ASSERT_EQ(f->created_lines, ready.num_lines);
	ASSERT_TRUE(fz_chip_present(&ready));
	for (burst = fz_below(&f->rng, 16); burst; burst--)
		if (!fz_step(f))
			return -1;
	/* the device side's lines are as the oracle believes */
	if (f->created_lines <= 130 &&
	    fz_check_lines(ready.chip_name, f->created_lines, f->conn.invalid,
			   f->conn.claimed, f->is_output, f->conn.host,
			   f->failure, sizeof(f->failure)))
		return -1;
	close(f->fd);
	ASSERT_TRUE(fz_chip_gone(&ready, 5000)) {
		TH_LOG("%s is still there after its server closed the file",
		       ready.chip_name);
	}
	f->fd = raw_open();
	ASSERT_LE(0, f->fd);
	f->conn.live = false;
	f->created_lines = 0;
	return 0;
}

TEST_F_TIMEOUT(fuzz, fresh, 60)
{
	int64_t start = now_ms(), end = start + cfg.seconds * 200;
	unsigned long msgs = cfg.messages / 5, chips = 0;
	struct fz_fuzzer f;
	char extra[128];
	int fd = raw_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fz_fuzzer_init(&f, fd, NULL, self->max_lines, cfg.seed,
				    "fresh"));
	while (f.steps < msgs && now_ms() < end) {
		ASSERT_TRUE(fz_step(&f)) {
			TH_LOG("%s", f.failure);
		}
		if (f.created_lines) {
			ASSERT_EQ(0, fresh_created(_metadata, &f)) {
				TH_LOG("%s", f.failure);
			}
			chips++;
		}
	}
	snprintf(extra, sizeof(extra), ", %lu chips created, %lu LINE_DIRECTION, CLAIM and UNCLAIM taken",
		 chips, f.device_ok);
	report_rate("fresh", &f, start, extra);
	close(f.fd);
	fz_fuzzer_free(&f);
}

/* Consumers may see these from a server that answered with them. */
static const int live_allowed[] = { ETIMEDOUT, EIO, EPROTO };

/*
 * The line state of the live chip, or NULL for a chip without: some lines
 * invalid, some hogs, some outputs and inputs held high, and at least
 * LIVE_USERS * FZ_USER_LINES lines for the consumers.
 */
static const uint32_t *live_line_state(struct fz_rng *r, unsigned int ngpio,
				       uint32_t *flags)
{
	static const uint32_t some[] = {
		GUSE_LINE_INIT_F_INVALID, GUSE_LINE_INIT_F_HOG,
		GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_OUTPUT |
			GUSE_LINE_INIT_F_VALUE,
		GUSE_LINE_INIT_F_OUTPUT, GUSE_LINE_INIT_F_OUTPUT |
			GUSE_LINE_INIT_F_VALUE, GUSE_LINE_INIT_F_VALUE,
	};
	unsigned int i, taken = 0;

	if (fz_chance(r, 300))
		return NULL;
	for (i = 0; i < ngpio; i++) {
		flags[i] = fz_chance(r, 700) ? 0 : some[fz_below(r, 6)];
		/* invalid lines and hogs are no consumer's */
		if (flags[i] & (GUSE_LINE_INIT_F_INVALID | GUSE_LINE_INIT_F_HOG) &&
		    ++taken > ngpio - LIVE_USERS * FZ_USER_LINES)
			flags[i] = 0;
	}
	return flags;
}

/* The chip's lines the consumers use: LIVE_USERS * FZ_USER_LINES of them. */
static void pick_lines(struct fz_rng *r, unsigned int ngpio,
		       const uint32_t *line_flags, unsigned int *lines)
{
	unsigned int all[GUSE_LINES_MAX], i, j, t, n = 0;

	for (i = 0; i < ngpio; i++)
		if (!line_flags || !(line_flags[i] & (GUSE_LINE_INIT_F_INVALID |
						      GUSE_LINE_INIT_F_HOG)))
			all[n++] = i;
	for (i = 0; i < LIVE_USERS * FZ_USER_LINES; i++) {
		j = i + fz_below(r, n - i);
		t = all[i];
		all[i] = all[j];
		all[j] = t;
		lines[i] = all[i];
	}
}

static void report_live(const struct fz_server *s,
			const struct fz_consumers *g)
{
	unsigned long ops = 0, errors = 0, events = 0, errs[3] = { 0 };
	unsigned int i, j;

	for (i = 0; i < g->n; i++) {
		ops += atomic_load(&g->c[i].ops);
		errors += atomic_load(&g->c[i].errors);
		events += atomic_load(&g->c[i].events);
		for (j = 0; j < 3; j++)
			errs[j] += atomic_load(&g->c[i].errs[j]);
	}
	ksft_print_msg("live: server read %lu requests, answered %lu; held %lu to time out (%lu that never do); %lu replies refused (timed out or interrupted), %lu taken after a timeout may have been due; longest queue cycle %lld ms\n",
		       s->nread, s->nanswered, s->nheld, s->nheld_detached,
		       s->nlate, s->nlate_ok, (long long)s->max_cycle_ms);
	ksft_print_msg("live: %lu lines granted, %lu FREEs (%lu of lines not granted); at most %u requests waited for replies\n",
		       s->grants, s->frees, s->frees_unheld, s->most_pending);
	ksft_print_msg("live: consumers: %lu calls, %lu failed (ETIMEDOUT %lu, EIO %lu, EPROTO %lu), %lu events\n",
		       ops, errors, errs[0], errs[1], errs[2], events);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Fuzzes until the budget ends or something fails; "" if nothing did.  The
 * messages are spread over the time budget, so that the consumers and the
 * server get the whole of it to race with them, but not slower than
 * LIVE_MIN_RATE: a long budget is a limit, not a pace.
 */
static void live_loop(struct fz_fuzzer *f, struct fz_server *s,
		      struct fz_consumers *g, char *why, size_t len)
{
	int64_t start = now_ms(), span = cfg.seconds * 800, due, now;
	unsigned long msgs = cfg.messages - cfg.messages / 5;
	double gap_ms = (double)span / msgs;
	const char *err;

	if (gap_ms > 1000.0 / LIVE_MIN_RATE)
		gap_ms = 1000.0 / LIVE_MIN_RATE;

	why[0] = 0;
	while (f->steps < msgs && (now = now_ms()) < start + span) {
		if (!fz_step(f)) {
			snprintf(why, len, "%s", f->failure);
			return;
		}
		if (f->steps % CHECK_EVERY)
			continue;
		due = start + (int64_t)(f->steps * gap_ms);
		if (due > now)
			sleep_ms(due - now);
		err = fz_server_failure(s);
		if (!err)
			err = fz_consumers_failure(g);
		if (err) {
			snprintf(why, len, "%s", err);
			return;
		}
		if (fz_consumers_stuck(g, STUCK_MS, why, len))
			return;
	}
}

TEST_F_TIMEOUT(fuzz, live, 60)
{
	static const unsigned int sizes[] = { 16, 64, 70, 130 };
	unsigned int lines[LIVE_USERS * FZ_USER_LINES], ngpio, i;
	uint32_t line_flags[GUSE_LINES_MAX];
	const uint32_t *init;
	/* on the heap: an ASSERT leaves the threads running until exit */
	struct fz_consumers *g = calloc(1, sizeof(*g));
	struct fz_server *srv = calloc(1, sizeof(*srv));
	struct fz_fuzzer f;
	struct guse_ready ready;
	int64_t start = now_ms();
	char why[1024];
	struct fz_rng r;
	uint32_t flags;

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, srv);
	fz_seed(&r, cfg.seed, "live-setup");
	ngpio = sizes[fz_below(&r, 4)];
	if (ngpio > self->max_lines)
		SKIP(return, "gpio-guse max_lines is %u", self->max_lines);
	flags = GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_SET_CONFIG |
		GUSE_CREATE_F_IRQ_CONFIG;
	if (fz_chance(&r, 500))
		flags |= GUSE_CREATE_F_GET_INPUTS;
	if (fz_chance(&r, 500))
		flags |= GUSE_CREATE_F_LINE_NAMES;
	init = live_line_state(&r, ngpio, line_flags);
	ksft_print_msg("live: %u lines, features %#x%s, timeout %u ms\n", ngpio,
		       flags, init ? " and line state" : "", LIVE_TIMEOUT_MS);
	pick_lines(&r, ngpio, init, lines);

	ASSERT_EQ(0, fz_server_start(srv, "guse-fuzz", ngpio, flags, init,
				     LIVE_TIMEOUT_MS, cfg.seed));
	ready = srv->ready;
	ASSERT_EQ(0, fz_consumers_start(g, ready.chip_name, ngpio, lines,
					LIVE_USERS, cfg.seed, live_allowed, 3));
	ASSERT_EQ(0, fz_fuzzer_init(&f, srv->fd, srv, self->max_lines,
				    cfg.seed, "live"));
	/* the oracle allows EBUSY for what consumers may hold */
	for (i = 0; i < LIVE_USERS * FZ_USER_LINES; i++)
		f.conn.host[lines[i] / 64] |= 1ULL << (lines[i] % 64);
	live_loop(&f, srv, g, why, sizeof(why));
	EXPECT_STREQ("", why);
	if (fz_consumers_stop(g, STUCK_MS + 10000, why, sizeof(why)))
		ASSERT_STREQ("", why);
	report_rate("live", &f, start, "");
	report_live(srv, g);
	ASSERT_FALSE(_metadata->exit_code);
	ASSERT_EQ(NULL, fz_server_failure(srv)) {
		TH_LOG("%s", fz_server_failure(srv));
	}
	ASSERT_EQ(NULL, fz_consumers_failure(g)) {
		TH_LOG("%s", fz_consumers_failure(g));
	}

	ksft_print_msg("live: %lu LINE_DIRECTION, CLAIM and UNCLAIM taken\n",
		       f.device_ok);
	/* the consumers are gone: every line is as the oracle believes */
	ASSERT_EQ(0, fz_check_lines(ready.chip_name, ngpio, f.conn.invalid,
				    f.conn.claimed, f.is_output, f.conn.host,
				    why, sizeof(why))) {
		TH_LOG("after fuzzing: %s", why);
	}
	ASSERT_EQ(0, fz_fuzzer_unclaim_all(&f)) {
		TH_LOG("%s", f.failure);
	}
	fz_server_set_clean(srv);
	ASSERT_EQ(0, fz_check_chip(srv, lines[0], lines[1], why, sizeof(why))) {
		TH_LOG("the chip does not work after fuzzing: %s", why);
	}
	ASSERT_TRUE(fz_server_balanced(srv, why, sizeof(why))) {
		TH_LOG("%s", why);
	}
	ASSERT_EQ(NULL, fz_server_failure(srv)) {
		TH_LOG("%s", fz_server_failure(srv));
	}
	fz_fuzzer_free(&f);
	fz_server_close(srv);
	free(srv);
	ASSERT_TRUE(fz_chip_gone(&ready, 10000)) {
		TH_LOG("%s is still there after its server closed the file",
		       ready.chip_name);
	}
	free(g);
}

/* Each failslab test: a quarter of the budget, 2 to 600 s. */
static unsigned int failslab_seconds(void)
{
	unsigned int s = cfg.seconds / 4;

	return s < 2 ? 2 : s > 600 ? 600 : s;
}

static void report_inject(const char *name, const struct fz_inject_stats *st,
			  const char *how)
{
	ksft_print_msg("%s: %s: %lu runs, %lu ENOMEM, %lu ENXIO, %lu survived an injected failure\n",
		       name, how, st->runs, st->enomem, st->enxio, st->survived);
}

TEST_F_TIMEOUT(fuzz, failslab_create, 60)
{
	int64_t start = now_ms(), half = start + failslab_seconds() * 500;
	struct fz_inject_stats nth = { 0 }, rnd = { 0 };
	unsigned int n = 0;
	bool fired = true;
	struct fz_rng r;
	char why[256];
	int fd;

	if (!fz_failslab_available(why, sizeof(why)))
		SKIP(return, "%s", why);
	fz_seed(&r, cfg.seed, "failslab-create");
	fd = fz_fail_nth_open();
	ASSERT_EQ(0, fz_failslab_set(&self->failslab, 0, 1, -1));
	/* fail each fault point of a CREATE in turn, until none is left */
	while (fd >= 0 && fired && now_ms() < half) {
		ASSERT_EQ(0, fz_inject_create(&r, self->max_lines, fd, ++n,
					      &fired, &nth, why, sizeof(why))) {
			TH_LOG("%s", why);
		}
	}
	if (fd < 0)
		ksft_print_msg("failslab_create: no /proc/thread-self/fail-nth\n");
	else
		ksft_print_msg("failslab_create: fault points 1-%u%s\n", n,
			       fired ? " (budget ended before the last)" :
				       ", all of them");
	report_inject("failslab_create", &nth, "one fault point each");
	/* then random failures, 20% of the allocations */
	if (fd >= 0)
		close(fd);
	fd = fz_make_it_fail_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fz_failslab_set(&self->failslab, 20, 1, -1));
	while (now_ms() < half + failslab_seconds() * 500) {
		ASSERT_EQ(0, fz_inject_create(&r, self->max_lines, fd, 0,
					      &fired, &rnd, why, sizeof(why))) {
			TH_LOG("%s", why);
		}
	}
	report_inject("failslab_create", &rnd, "20% of allocations failing");
	fz_failslab_restore(&self->failslab);
	close(fd);
}

TEST_F_TIMEOUT(fuzz, failslab_requests, 60)
{
	int64_t start = now_ms(), half = start + failslab_seconds() * 500;
	struct fz_inject_stats nth = { 0 }, rnd = { 0 };
	static const unsigned int lines[2] = { 2, 5 };
	struct fz_server *srv = calloc(1, sizeof(*srv));
	struct guse_ready ready;
	unsigned int n, op;
	bool fired = true;
	struct fz_rng r;
	char why[256];
	int fd;

	if (!fz_failslab_available(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_NE(NULL, srv);
	fz_seed(&r, cfg.seed, "failslab-requests");
	ASSERT_EQ(0, fz_server_start(srv, "guse-fuzz-inject", 8,
				     GUSE_CREATE_F_REQUEST |
				     GUSE_CREATE_F_SET_CONFIG |
				     GUSE_CREATE_F_IRQ_CONFIG, NULL, 5000,
				     cfg.seed));
	ready = srv->ready;
	fz_server_set_clean(srv);
	fd = fz_fail_nth_open();
	ASSERT_EQ(0, fz_failslab_set(&self->failslab, 0, 1, -1));
	for (op = 0; fd >= 0 && op < FZ_INJ_OPS; op++) {
		int64_t op_end = start + (half - start) * (op + 1) / FZ_INJ_OPS;

		for (n = 1, fired = true; fired && now_ms() < op_end; n++) {
			ASSERT_EQ(0, fz_inject_op(srv, lines, op, fd, n, &fired,
						  &nth, why, sizeof(why))) {
				TH_LOG("%s", why);
			}
		}
		ksft_print_msg("failslab_requests: %s: fault points 1-%u%s\n",
			       fz_inject_op_name(op), n - 1,
			       fired ? " (budget ended before the last)" : "");
	}
	report_inject("failslab_requests", &nth, "one fault point each");
	if (fd >= 0)
		close(fd);
	fd = fz_make_it_fail_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fz_failslab_set(&self->failslab, 20, 1, -1));
	while (now_ms() < half + failslab_seconds() * 500) {
		ASSERT_EQ(0, fz_inject_op(srv, lines, fz_below(&r, FZ_INJ_OPS),
					  fd, 0, &fired, &rnd, why, sizeof(why))) {
			TH_LOG("%s", why);
		}
	}
	report_inject("failslab_requests", &rnd, "20% of allocations failing");
	fz_failslab_restore(&self->failslab);
	ASSERT_EQ(0, fz_check_chip(srv, lines[0], lines[1], why, sizeof(why))) {
		TH_LOG("the chip does not work after the failures: %s", why);
	}
	ASSERT_EQ(NULL, fz_server_failure(srv)) {
		TH_LOG("%s", fz_server_failure(srv));
	}
	fz_server_close(srv);
	free(srv);
	ASSERT_TRUE(fz_chip_gone(&ready, 10000));
	close(fd);
}

/* The harness's timeouts follow the budget given on the command line. */
static void set_timeouts(void)
{
	struct __fixture_metadata *fx;
	struct __test_metadata *t;

	for (fx = __fixture_list; fx; fx = fx->next)
		for (t = fx->tests; t; t = t->next) {
			if (!strcmp(t->name, "fresh"))
				t->timeout = cfg.seconds / 5 + 60;
			else if (!strcmp(t->name, "live"))
				t->timeout = cfg.seconds * 4 / 5 + 120;
			else if (!strncmp(t->name, "failslab", 8))
				t->timeout = failslab_seconds() + 120;
		}
}

static bool parse_ulong(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return s[0] && !*end && !errno;
}

/* Takes our options out of argv; the rest goes to the harness. */
static int parse_options(int *argc, char **argv)
{
	static const char *const names[] = { "--seed", "--messages", "--seconds" };
	const char *env[] = {
		getenv("GUSE_FUZZ_SEED"), getenv("GUSE_FUZZ_MESSAGES"),
		getenv("GUSE_FUZZ_SECONDS"),
	};
	unsigned long long v[3] = { 0, cfg.messages, cfg.seconds };
	bool given[3] = { false };
	int i, j, out = 1;

	for (j = 0; j < 3; j++)
		if (env[j] && *env[j]) {
			if (!parse_ulong(env[j], &v[j]))
				return -1;
			given[j] = true;
		}
	for (i = 1; i < *argc; i++) {
		for (j = 0; j < 3 && strcmp(argv[i], names[j]); j++)
			;
		if (j == 3) {
			argv[out++] = argv[i];
			continue;
		}
		if (i + 1 == *argc || !parse_ulong(argv[++i], &v[j]))
			return -1;
		given[j] = true;
	}
	*argc = out;
	argv[out] = NULL;
	if (!given[0] && getrandom(&v[0], sizeof(v[0]), 0) != sizeof(v[0]))
		v[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	cfg.seed = v[0];
	cfg.messages = v[1] ? v[1] : 1;
	cfg.seconds = v[2] ? v[2] : 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (parse_options(&argc, argv)) {
		fprintf(stderr,
			"usage: %s [--seed N] [--messages N] [--seconds S] [harness options]\n",
			argv[0]);
		return KSFT_FAIL;
	}
	set_timeouts();
	/* the fuzz tests skip one by one without /dev/guse, the oracle runs */
	return guse_harness_main(argc, argv, NULL);
}
