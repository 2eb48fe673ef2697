// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-stress-test: many chips, each served by a pool of threads reading
 * the same /dev/guse file and answering out of order (some requests are
 * held and answered later, by whichever thread comes next), against many
 * consumer threads (libgpiod users) that request their own lines on every
 * chip, set and read back values, release and request again.  A misrouted, lost or
 * mixed-up reply shows as a wrong value or an error.  Then the in-flight
 * limit of guse.ko: consumers beyond max_in_flight on one chip wait for a
 * slot while the server is silent, and all complete once it answers.
 *
 * Environment: GUSE_STRESS_SECONDS (default 10), GUSE_STRESS_CHIPS (8),
 * GUSE_STRESS_CONSUMERS (32), GUSE_STRESS_SERVER_THREADS (3).  kselftest
 * harness, KTAP output.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpiod-user.h"
#include "guse-kselftest.h"
#include "raw-guse.h"

#define MAX_CHIPS	32
#define MAX_SRV_THREADS	8
#define MAX_CONSUMERS	64
#define HOLD_MAX	8
#define HOLD_MAX_MS	30
#define TIMEOUT_S	60	/* per test, but the stress run's */
/* the stress run: its length, the consumers' last calls, the teardown */
#define RUN_TIMEOUT_S(seconds) ((seconds) + 60)

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return (unsigned int)rand_r(seed) % n;
}

/* ---- out-of-order server ------------------------------------------------ */

struct held {
	struct raw_msg m;
	int since_ms;
};

struct chip {
	int fd;
	unsigned int num_lines;
	struct guse_ready ready;
	pthread_mutex_t lock;		/* seen, held */
	struct raw_seen seen;
	struct held held[HOLD_MAX];
	unsigned int nheld;
	pthread_t threads[MAX_SRV_THREADS];
	unsigned int nthreads;
	atomic_bool stop;
	atomic_uint answered, held_total, late_answers, answer_errors;
};

/* Answers one held request (the oldest if @oldest, else a random one). */
static bool answer_held(struct chip *c, unsigned int *seed, bool oldest)
{
	struct raw_msg m;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&c->lock);
	if (!c->nheld) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	i = oldest ? 0 : rnd(seed, c->nheld);
	m = c->held[i].m;
	memmove(&c->held[i], &c->held[i + 1],
		(c->nheld - i - 1) * sizeof(c->held[0]));
	c->nheld--;
	/* state changes and the reply together: the kernel sees them in order */
	ret = raw_answer(c->fd, &m, &c->seen);
	pthread_mutex_unlock(&c->lock);
	if (ret)
		atomic_fetch_add(&c->answer_errors, 1);
	atomic_fetch_add(&c->late_answers, 1);
	atomic_fetch_add(&c->answered, 1);
	return true;
}

static void *chip_server(void *arg)
{
	struct chip *c = arg;
	unsigned int seed = (unsigned int)(uintptr_t)pthread_self() ^ raw_now_ms();
	struct raw_msg m;
	int ret;

	while (!atomic_load(&c->stop)) {
		/* answer held requests that waited long enough, or by chance */
		pthread_mutex_lock(&c->lock);
		bool old = c->nheld &&
			   raw_now_ms() - c->held[0].since_ms > HOLD_MAX_MS;
		pthread_mutex_unlock(&c->lock);
		if (old)
			answer_held(c, &seed, true);
		else if (rnd(&seed, 4) == 0)
			answer_held(c, &seed, false);

		ret = raw_recv(c->fd, &m, 5);
		if (ret == -ETIMEDOUT || ret == -EINTR || ret == -EAGAIN) {
			answer_held(c, &seed, false);
			continue;
		}
		if (ret < 0)
			break;
		if (m.hdr.flags & GUSE_MSG_F_NOREPLY) {
			pthread_mutex_lock(&c->lock);
			raw_answer(c->fd, &m, &c->seen);
			pthread_mutex_unlock(&c->lock);
			continue;
		}
		/* hold one request in three for later, by any thread */
		pthread_mutex_lock(&c->lock);
		if (c->nheld < HOLD_MAX && rnd(&seed, 3) == 0) {
			c->held[c->nheld].m = m;
			c->held[c->nheld].since_ms = raw_now_ms();
			c->nheld++;
			pthread_mutex_unlock(&c->lock);
			atomic_fetch_add(&c->held_total, 1);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		if (rnd(&seed, 4) == 0)
			usleep(rnd(&seed, 300));
		pthread_mutex_lock(&c->lock);
		ret = raw_answer(c->fd, &m, &c->seen);
		pthread_mutex_unlock(&c->lock);
		if (ret)
			atomic_fetch_add(&c->answer_errors, 1);
		atomic_fetch_add(&c->answered, 1);
	}
	/* leave nothing held behind */
	while (answer_held(c, &seed, true))
		;
	return NULL;
}

static int chip_start(struct chip *c, unsigned int idx, unsigned int lines,
		      unsigned int nthreads)
{
	char label[GUSE_NAME_SIZE];
	unsigned int i;
	int ret;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->num_lines = lines;
	c->fd = raw_open();
	if (c->fd < 0)
		return -errno;
	snprintf(label, sizeof(label), "stress-%u", idx);
	ret = raw_create_chip(c->fd, label, lines, 0, GUSE_CREATE_F_REQUEST,
			      &c->ready);
	if (ret) {
		close(c->fd);
		c->fd = -1;
		return ret;
	}
	/* several threads poll the file: a loser of the race must not block */
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < nthreads; i++) {
		ret = -pthread_create(&c->threads[i], NULL, chip_server, c);
		if (ret)
			break;
		c->nthreads++;
	}
	return ret;
}

static void chip_stop(struct chip *c)
{
	unsigned int i;

	atomic_store(&c->stop, true);
	for (i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	c->nthreads = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static bool path_exists(const char *fmt, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), fmt, name);
	return stat(path, &st) == 0;
}

/* ---- consumers ---------------------------------------------------------- */

/* A consumer thread; it opens its own chip handles and closes them. */
struct consumer {
	pthread_t thread;
	unsigned int idx;
	struct chip *chips;
	unsigned int nchips, nconsumers;
	int end_ms;
	/* results */
	unsigned long requests, sets, gets, mismatches, errors, busy;
	int first_errno;
	char first_error[96];
};

static void consumer_error(struct consumer *c, const char *what, int err)
{
	if (err == EBUSY) {
		/* only when max_in_flight is below the number of consumers */
		c->busy++;
		return;
	}
	c->errors++;
	if (!c->first_errno) {
		c->first_errno = err;
		snprintf(c->first_error, sizeof(c->first_error), "%s: %s",
			 what, strerror(err));
	}
}

/* Reads both lines of @req; the two bits, or -1 with errno. */
static int get_bits(struct gpiod_line_request *req)
{
	enum gpiod_line_value v[2];

	if (gpiod_line_request_get_values(req, v))
		return -1;
	return (v[0] == GPIOD_LINE_VALUE_ACTIVE) |
	       (v[1] == GPIOD_LINE_VALUE_ACTIVE) << 1;
}

/*
 * Requests its two lines, idx and idx + nconsumers, of a random chip as
 * outputs with random values, reads them back, sets and reads back a
 * random subset a few times, releases; again and again until end_ms.
 */
static void *consumer_thread(void *arg)
{
	struct consumer *c = arg;
	unsigned int seed = c->idx * 7919 + raw_now_ms();
	struct gpiod_chip *chips[MAX_CHIPS];
	unsigned int i, offsets[2] = { c->idx, c->idx + c->nconsumers };
	char label[GUSE_NAME_SIZE];

	snprintf(label, sizeof(label), "stress-%u", c->idx);
	for (i = 0; i < c->nchips; i++) {
		chips[i] = user_chip_open(c->chips[i].ready.chip_name);
		if (!chips[i])
			consumer_error(c, "open chip", errno);
	}

	while (raw_now_ms() < c->end_ms) {
		unsigned int ci = rnd(&seed, c->nchips), rounds, r;
		enum gpiod_line_value init[2];
		struct gpiod_line_request *req;
		struct user_req ur = {
			.num = 2, .offsets = offsets, .values = init,
			.direction = GPIOD_LINE_DIRECTION_OUTPUT,
			.consumer = label,
		};
		int cur, bits;

		if (!chips[ci])
			break;
		cur = rnd(&seed, 4);
		init[0] = cur & 1;
		init[1] = cur >> 1 & 1;
		req = user_request(chips[ci], &ur);
		if (!req) {
			consumer_error(c, "line request", errno);
			continue;
		}
		c->requests++;

		/* the initial values must be what the request asked for */
		bits = get_bits(req);
		if (bits < 0) {
			consumer_error(c, "get values", errno);
		} else {
			c->gets++;
			if (bits != cur)
				c->mismatches++;
		}

		rounds = 1 + rnd(&seed, 8);
		for (r = 0; r < rounds; r++) {
			unsigned int mask = 1 + rnd(&seed, 3), set = rnd(&seed, 4);
			unsigned int sub[2], n = 0;
			enum gpiod_line_value val[2];

			/* one SET_VALUES of the lines in mask */
			for (i = 0; i < 2; i++) {
				if (!(mask >> i & 1))
					continue;
				sub[n] = offsets[i];
				val[n++] = set >> i & 1;
			}
			if (gpiod_line_request_set_values_subset(req, n, sub,
								 val)) {
				consumer_error(c, "set values", errno);
				continue;
			}
			c->sets++;
			cur = (cur & ~mask) | (set & mask);
			bits = get_bits(req);
			if (bits < 0) {
				consumer_error(c, "get values", errno);
				continue;
			}
			c->gets++;
			if (bits != cur)
				c->mismatches++;
		}
		gpiod_line_request_release(req);
	}
	for (i = 0; i < c->nchips; i++)
		if (chips[i])
			gpiod_chip_close(chips[i]);
	return NULL;
}

/* ---- many chips, many consumers ----------------------------------------- */

FIXTURE(stress) {
	unsigned int seconds, nchips, ncons, nthr;
	unsigned int started;
	int start_error;
	struct chip *chips;		/* [MAX_CHIPS], from the setup */
	struct consumer *cons;		/* [MAX_CONSUMERS] */
};

/* Starts the chips and their server threads (tests check how it went). */
FIXTURE_SETUP(stress)
{
	unsigned int i;
	int ret;

	self->seconds = guse_env_uint("GUSE_STRESS_SECONDS", 10, 1, 600);
	self->nchips = guse_env_uint("GUSE_STRESS_CHIPS", 8, 1, MAX_CHIPS);
	self->ncons = guse_env_uint("GUSE_STRESS_CONSUMERS", 32, 1,
				    MAX_CONSUMERS);
	self->nthr = guse_env_uint("GUSE_STRESS_SERVER_THREADS", 3, 1,
				   MAX_SRV_THREADS);
	self->chips = calloc(MAX_CHIPS, sizeof(*self->chips));
	self->cons = calloc(MAX_CONSUMERS, sizeof(*self->cons));
	ASSERT_TRUE(self->chips && self->cons);
	ksft_print_msg("stress: %u chips x %u server threads, %u consumers, %u s\n",
		       self->nchips, self->nthr, self->ncons, self->seconds);
	for (i = 0; i < self->nchips; i++) {
		ret = chip_start(&self->chips[i], i, 2 * self->ncons,
				 self->nthr);
		if (self->chips[i].fd >= 0)
			self->started++;
		if (ret) {
			ksft_print_msg("chip %u: %s\n", i, strerror(-ret));
			self->start_error = ret;
			break;
		}
	}
}

FIXTURE_TEARDOWN(stress)
{
	for (unsigned int i = 0; i < self->started; i++)
		chip_stop(&self->chips[i]);
	free(self->chips);
	free(self->cons);
}

TEST_F_TIMEOUT(stress, chips_with_server_thread_pools_start, TIMEOUT_S)
{
	EXPECT_EQ(0, self->start_error);
	EXPECT_EQ(self->nchips, self->started);
}

/* The default length; main() sets the one of GUSE_STRESS_SECONDS. */
TEST_F_TIMEOUT(stress, consumers_of_out_of_order_servers,
	       RUN_TIMEOUT_S(10))
{
	unsigned long requests = 0, sets = 0, gets = 0, mismatches = 0;
	unsigned long errors = 0, busy = 0;
	unsigned int i, answered = 0, held = 0, late = 0;
	unsigned int answer_errors = 0, gone = 0, running = 0;
	const char *first_error = NULL;
	int end, t0 = raw_now_ms();

	ASSERT_EQ(0, self->start_error);
	ASSERT_EQ(self->nchips, self->started);
	end = raw_now_ms() + self->seconds * 1000;
	for (i = 0; i < self->ncons; i++) {
		struct consumer *c = &self->cons[i];

		c->idx = i;
		c->chips = self->chips;
		c->nchips = self->nchips;
		c->nconsumers = self->ncons;
		c->end_ms = end;
		if (pthread_create(&c->thread, NULL, consumer_thread, c))
			break;
		running++;
	}
	for (i = 0; i < running; i++) {
		struct consumer *c = &self->cons[i];

		pthread_join(c->thread, NULL);
		requests += c->requests;
		sets += c->sets;
		gets += c->gets;
		mismatches += c->mismatches;
		errors += c->errors;
		busy += c->busy;
		if (!first_error && c->first_errno)
			first_error = c->first_error;
	}
	for (i = 0; i < self->started; i++) {
		struct chip *c = &self->chips[i];

		chip_stop(c);
		answered += c->answered;
		held += c->held_total;
		late += c->late_answers;
		answer_errors += c->answer_errors;
	}
	ksft_print_msg("%lu line requests, %lu SET_VALUES, %lu GET_VALUES in %d ms\n",
		       requests, sets, gets, raw_now_ms() - t0);
	ksft_print_msg("servers: %u answers, %u requests held, %u answered late, %u answer write errors\n",
		       answered, held, late, answer_errors);
	if (busy)
		ksft_print_msg("%lu EBUSY (max_in_flight below the consumer count)\n",
			       busy);

	/* the consumers make progress on every chip */
	EXPECT_EQ(self->ncons, running);
	EXPECT_LE(self->ncons, requests);
	EXPECT_LT(0UL, sets);
	EXPECT_LT(0UL, gets);
	/* no consumer call fails */
	EXPECT_EQ(0UL, errors) TH_LOG("first: %s", first_error ?: "");
	/* every value read back is the value set */
	EXPECT_EQ(0UL, mismatches);
	EXPECT_EQ(0U, answer_errors);
	/* requests were answered out of order */
	EXPECT_LT(0U, held);
	EXPECT_LT(0U, late);

	/* the chips are gone once their files are closed */
	for (int tries = 0; tries < 50; tries++) {
		gone = 0;
		for (i = 0; i < self->started; i++)
			if (!path_exists("/dev/%s",
					 self->chips[i].ready.chip_name) &&
			    !path_exists("/sys/class/guse/%s",
					 self->chips[i].ready.dev_name))
				gone++;
		if (gone == self->started)
			break;
		usleep(100000);
	}
	EXPECT_LT(0U, self->started);
	EXPECT_EQ(self->started, gone);
}

/* ---- in-flight limit ---------------------------------------------------- */

/* A consumer requesting one line; lives until the fixture joins it. */
struct blocked {
	pthread_t thread;
	const char *chip_name;
	unsigned int line;
	int err;		/* -1 while running, -2 if never started */
	int ms;
};

static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	struct user_req r = { .first = b->line, .num = 1,
			      .direction = GPIOD_LINE_DIRECTION_INPUT,
			      .consumer = "inflight" };
	int t0 = raw_now_ms(), err;

	err = user_request_once(b->chip_name, &r);
	b->ms = raw_now_ms() - t0;
	__atomic_store_n(&b->err, err, __ATOMIC_RELEASE);
	return NULL;
}

enum { EXTRA = 8 };

FIXTURE(in_flight) {
	unsigned int limit, n;
	/* while the server is silent */
	unsigned int held, more, done_silent;
	/* once it answers */
	unsigned int ok, other;
};

/*
 * max_in_flight + EXTRA consumers on one chip whose server first stays
 * silent, then answers everything: what happened is for the tests.
 */
FIXTURE_SETUP(in_flight)
{
	struct raw_seen seen = { 0 };
	struct guse_ready ready;
	struct raw_msg *hold, m;
	struct blocked *b;
	unsigned int i, n, done;
	int fd, ret, deadline;

	self->limit = raw_read_uint("/sys/module/guse/parameters/max_in_flight", 0);
	n = self->n = self->limit + EXTRA;
	if (!self->limit || n > 1000)
		return;
	ksft_print_msg("max_in_flight %u: %u consumers on one silent chip\n",
		       self->limit, n);
	fd = raw_open();
	ASSERT_LE(0, fd) TH_LOG("open /dev/guse: %s", strerror(errno));
	ret = raw_create_chip(fd, "inflight", n, 20000, GUSE_CREATE_F_REQUEST,
			      &ready);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	b = calloc(n, sizeof(*b));
	hold = calloc(n, sizeof(*hold));
	ASSERT_TRUE(b && hold);
	for (i = 0; i < n; i++) {
		b[i].chip_name = ready.chip_name;
		b[i].line = i;
		b[i].err = -1;
		if (pthread_create(&b[i].thread, NULL, blocked_thread, &b[i]))
			b[i].err = -2;
	}
	/* a silent server: exactly max_in_flight requests reach it */
	deadline = raw_now_ms() + 10000;
	while (self->held < self->limit && raw_now_ms() < deadline)
		if (raw_recv(fd, &hold[self->held], 100) > 0 &&
		    le16toh(hold[self->held].hdr.opcode) == GUSE_OP_REQUEST)
			self->held++;
	/* the others wait for a slot: nothing more arrives, nobody finishes */
	deadline = raw_now_ms() + 300;
	while (raw_now_ms() < deadline)
		if (raw_recv(fd, &m, 50) > 0)
			self->more++;
	for (i = 0; i < n; i++)
		self->done_silent += __atomic_load_n(&b[i].err,
						     __ATOMIC_ACQUIRE) != -1;

	/* answer what was held, then everything, until every consumer is done */
	for (i = 0; i < self->held; i++)
		raw_answer(fd, &hold[i], &seen);
	deadline = raw_now_ms() + 20000;
	while (raw_now_ms() < deadline) {
		done = 0;
		for (i = 0; i < n; i++)
			if (__atomic_load_n(&b[i].err, __ATOMIC_ACQUIRE) != -1)
				done++;
		if (done == n)
			break;
		if (raw_recv(fd, &m, 10) > 0)
			raw_answer(fd, &m, &seen);
	}
	for (i = 0; i < n; i++) {
		int e = __atomic_load_n(&b[i].err, __ATOMIC_ACQUIRE);

		if (e == -1)
			continue;	/* still blocked: closing the server frees it */
		if (e == 0)
			self->ok++;
		else
			self->other++;
	}
	close(fd);
	for (i = 0; i < n; i++)
		if (b[i].err != -2)
			pthread_join(b[i].thread, NULL);
	free(hold);
	free(b);
}

FIXTURE_TEARDOWN(in_flight)
{
}

#define NEED_LIMIT() do {						\
	if (!self->limit || self->n > 1000)				\
		SKIP(return, "no usable /sys/module/guse/parameters/max_in_flight"); \
} while (0)

TEST_F_TIMEOUT(in_flight, consumers_beyond_limit_wait_for_a_slot, TIMEOUT_S)
{
	NEED_LIMIT();
	EXPECT_EQ(self->limit, self->held);
	EXPECT_EQ(0U, self->more);
	EXPECT_EQ(0U, self->done_silent);
}

TEST_F_TIMEOUT(in_flight, all_complete_once_the_server_answers, TIMEOUT_S)
{
	NEED_LIMIT();
	EXPECT_EQ(self->n, self->ok);
	EXPECT_EQ(0U, self->other);
}

int main(int argc, char **argv)
{
	unsigned int seconds = guse_env_uint("GUSE_STRESS_SECONDS", 10, 1, 600);

	GUSE_SET_TIMEOUT(stress, consumers_of_out_of_order_servers,
			 RUN_TIMEOUT_S(seconds));
	return guse_harness_main(argc, argv, GUSE_NEED_DEVICE());
}
