// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-stress-test: many chips, each served by a pool of threads reading
 * the same /dev/guse file and answering out of order (some requests are
 * held and answered later, by whichever thread comes next), against many
 * consumer threads that request their own lines on every chip, set and
 * read back values, release and request again.  A misrouted, lost or
 * mixed-up reply shows as a wrong value or an error.  Then the in-flight
 * limit of guse.ko: consumers beyond max_in_flight on one chip wait for a
 * slot while the server is silent, and all complete once it answers.
 *
 * Environment: GUSE_STRESS_SECONDS (default 10), GUSE_STRESS_CHIPS (8),
 * GUSE_STRESS_CONSUMERS (32), GUSE_STRESS_SERVER_THREADS (3).  KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS	8
#define MAX_CHIPS	32
#define MAX_SRV_THREADS	8
#define MAX_CONSUMERS	64
#define HOLD_MAX	8
#define HOLD_MAX_MS	30

static unsigned int env_uint(const char *name, unsigned int def,
			     unsigned int min, unsigned int max)
{
	const char *s = getenv(name);
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, NULL, 0);
	if (v < min)
		v = min;
	if (v > max)
		v = max;
	return (unsigned int)v;
}

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

static void *consumer_thread(void *arg)
{
	struct consumer *c = arg;
	unsigned int seed = c->idx * 7919 + raw_now_ms();
	int chipfds[MAX_CHIPS];
	unsigned int i;

	for (i = 0; i < c->nchips; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s",
			 c->chips[i].ready.chip_name);
		chipfds[i] = open(path, O_RDWR | O_CLOEXEC);
		if (chipfds[i] < 0)
			consumer_error(c, "open chip", errno);
	}

	while (raw_now_ms() < c->end_ms) {
		unsigned int ci = rnd(&seed, c->nchips), rounds, r;
		struct gpio_v2_line_request req;
		struct gpio_v2_line_values v;
		uint64_t cur;

		if (chipfds[ci] < 0)
			break;
		/* this consumer's lines: idx and idx + nconsumers */
		memset(&req, 0, sizeof(req));
		req.offsets[0] = c->idx;
		req.offsets[1] = c->idx + c->nconsumers;
		req.num_lines = 2;
		req.config.flags = GPIO_V2_LINE_FLAG_OUTPUT;
		cur = rnd(&seed, 4);
		req.config.num_attrs = 1;
		req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
		req.config.attrs[0].attr.values = cur;
		req.config.attrs[0].mask = 3;
		snprintf(req.consumer, sizeof(req.consumer), "stress-%u", c->idx);
		if (ioctl(chipfds[ci], GPIO_V2_GET_LINE_IOCTL, &req)) {
			consumer_error(c, "line request", errno);
			continue;
		}
		c->requests++;

		/* the initial values must be what the request asked for */
		memset(&v, 0, sizeof(v));
		v.mask = 3;
		if (ioctl(req.fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v)) {
			consumer_error(c, "get values", errno);
		} else {
			c->gets++;
			if ((v.bits & 3) != cur)
				c->mismatches++;
		}

		rounds = 1 + rnd(&seed, 8);
		for (r = 0; r < rounds; r++) {
			uint64_t mask = 1 + rnd(&seed, 3), bits = rnd(&seed, 4);

			v.mask = mask;
			v.bits = bits;
			if (ioctl(req.fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v)) {
				consumer_error(c, "set values", errno);
				continue;
			}
			c->sets++;
			cur = (cur & ~mask) | (bits & mask);
			v.mask = 3;
			v.bits = 0;
			if (ioctl(req.fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v)) {
				consumer_error(c, "get values", errno);
				continue;
			}
			c->gets++;
			if ((v.bits & 3) != cur)
				c->mismatches++;
		}
		close(req.fd);
	}
	for (i = 0; i < c->nchips; i++)
		if (chipfds[i] >= 0)
			close(chipfds[i]);
	return NULL;
}

static void test_stress(void)
{
	unsigned int seconds = env_uint("GUSE_STRESS_SECONDS", 10, 1, 600);
	unsigned int nchips = env_uint("GUSE_STRESS_CHIPS", 8, 1, MAX_CHIPS);
	unsigned int ncons = env_uint("GUSE_STRESS_CONSUMERS", 32, 1, MAX_CONSUMERS);
	unsigned int nthr = env_uint("GUSE_STRESS_SERVER_THREADS", 3, 1,
				     MAX_SRV_THREADS);
	static struct chip chips[MAX_CHIPS];
	static struct consumer cons[MAX_CONSUMERS];
	unsigned long requests = 0, sets = 0, gets = 0, mismatches = 0;
	unsigned long errors = 0, busy = 0;
	unsigned int i, started = 0, answered = 0, held = 0, late = 0;
	unsigned int answer_errors = 0, gone = 0, running = 0;
	const char *first_error = NULL;
	int ret = 0, end, t0 = raw_now_ms();

	ktap_diag("stress: %u chips x %u server threads, %u consumers, %u s",
		  nchips, nthr, ncons, seconds);
	for (i = 0; i < nchips; i++) {
		ret = chip_start(&chips[i], i, 2 * ncons, nthr);
		if (ret) {
			ktap_diag("chip %u: %s", i, strerror(-ret));
			if (chips[i].fd >= 0)
				started++;
			break;
		}
		started++;
	}
	ktap_test(!ret && started == nchips, "%u chips with %u server threads each start",
		  nchips, nthr);

	end = raw_now_ms() + seconds * 1000;
	for (i = 0; i < ncons && started == nchips && !ret; i++) {
		cons[i].idx = i;
		cons[i].chips = chips;
		cons[i].nchips = nchips;
		cons[i].nconsumers = ncons;
		cons[i].end_ms = end;
		if (pthread_create(&cons[i].thread, NULL, consumer_thread, &cons[i]))
			break;
		running++;
	}
	for (i = 0; i < running; i++) {
		pthread_join(cons[i].thread, NULL);
		requests += cons[i].requests;
		sets += cons[i].sets;
		gets += cons[i].gets;
		mismatches += cons[i].mismatches;
		errors += cons[i].errors;
		busy += cons[i].busy;
		if (!first_error && cons[i].first_errno)
			first_error = cons[i].first_error;
	}
	for (i = 0; i < started; i++) {
		chip_stop(&chips[i]);
		answered += chips[i].answered;
		held += chips[i].held_total;
		late += chips[i].late_answers;
		answer_errors += chips[i].answer_errors;
	}
	ktap_diag("%lu line requests, %lu SET_VALUES, %lu GET_VALUES in %d ms",
		  requests, sets, gets, raw_now_ms() - t0);
	ktap_diag("servers: %u answers, %u requests held, %u answered late, "
		  "%u answer write errors", answered, held, late, answer_errors);
	if (busy)
		ktap_diag("%lu EBUSY (max_in_flight below the consumer count)",
			  busy);

	ktap_test(running == ncons && requests >= ncons && sets && gets,
		  "%u consumers make progress on every chip", ncons);
	ktap_test(errors == 0, "no consumer call fails (%lu errors%s%s)", errors,
		  first_error ? ", first: " : "", first_error ? first_error : "");
	ktap_test(mismatches == 0 && answer_errors == 0,
		  "every value read back is the value set (%lu mismatches)",
		  mismatches);
	ktap_test(held > 0 && late > 0,
		  "requests were answered out of order (%u held)", held);

	/* the chips are gone once their files are closed */
	for (int tries = 0; tries < 50; tries++) {
		gone = 0;
		for (i = 0; i < started; i++)
			if (!path_exists("/dev/%s", chips[i].ready.chip_name) &&
			    !path_exists("/sys/class/guse/%s",
					 chips[i].ready.dev_name))
				gone++;
		if (gone == started)
			break;
		usleep(100000);
	}
	ktap_test(started && gone == started,
		  "all %u chips are removed when their servers close", started);
}

/* ---- in-flight limit ---------------------------------------------------- */

struct blocked {
	pthread_t thread;
	const char *chip_name;
	unsigned int line;
	int err;		/* -1 while running */
	int ms;
};

static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	struct gpio_v2_line_request req;
	char path[64];
	int fd, t0 = raw_now_ms(), err = 0;

	snprintf(path, sizeof(path), "/dev/%s", b->chip_name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		memset(&req, 0, sizeof(req));
		req.offsets[0] = b->line;
		req.num_lines = 1;
		req.config.flags = GPIO_V2_LINE_FLAG_INPUT;
		strcpy(req.consumer, "inflight");
		if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req))
			err = errno;
		else
			close(req.fd);
		close(fd);
	}
	b->ms = raw_now_ms() - t0;
	__atomic_store_n(&b->err, err, __ATOMIC_RELEASE);
	return NULL;
}

static unsigned int read_param(const char *path)
{
	unsigned int v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static void test_in_flight(void)
{
	enum { EXTRA = 8 };
	unsigned int limit = read_param("/sys/module/guse/parameters/max_in_flight");
	unsigned int n = limit + EXTRA, i, done = 0, held = 0, more = 0;
	unsigned int ok = 0, other = 0;
	struct guse_ready ready;
	struct raw_seen seen = { 0 };
	struct raw_msg *hold;
	struct blocked *b;
	struct raw_msg m;
	int fd, ret, deadline;

	if (!limit || n > 1000) {
		ktap_skip("no usable /sys/module/guse/parameters/max_in_flight",
			  "consumers beyond max_in_flight wait for a slot");
		ktap_skip("no usable max_in_flight",
			  "all complete once the server answers");
		return;
	}
	ktap_diag("max_in_flight %u: %u consumers on one silent chip", limit, n);
	fd = raw_open();
	ret = raw_create_chip(fd, "inflight", n, 20000, GUSE_CREATE_F_REQUEST,
			      &ready);
	b = calloc(n, sizeof(*b));
	hold = calloc(n, sizeof(*hold));
	for (i = 0; i < n && !ret; i++) {
		b[i].chip_name = ready.chip_name;
		b[i].line = i;
		b[i].err = -1;
		if (pthread_create(&b[i].thread, NULL, blocked_thread, &b[i]))
			b[i].err = -2;
	}
	/* a silent server: exactly max_in_flight requests reach it */
	deadline = raw_now_ms() + 10000;
	while (!ret && held < limit && raw_now_ms() < deadline)
		if (raw_recv(fd, &hold[held], 100) > 0 &&
		    le16toh(hold[held].hdr.opcode) == GUSE_OP_REQUEST)
			held++;
	/* the others wait for a slot: nothing more arrives, nobody finishes */
	deadline = raw_now_ms() + 300;
	while (!ret && raw_now_ms() < deadline)
		if (raw_recv(fd, &m, 50) > 0)
			more++;
	for (i = 0; i < n && !ret; i++)
		done += __atomic_load_n(&b[i].err, __ATOMIC_ACQUIRE) != -1;
	ktap_test(!ret && held == limit && more == 0 && done == 0,
		  "consumers beyond max_in_flight=%u wait for a slot "
		  "(%u requests reached the server, %u more, %u done)",
		  limit, held, more, done);

	/* answer what was held, then everything, until every consumer is done */
	for (i = 0; i < held; i++)
		raw_answer(fd, &hold[i], &seen);
	deadline = raw_now_ms() + 20000;
	while (!ret && raw_now_ms() < deadline) {
		done = 0;
		for (i = 0; i < n; i++)
			if (__atomic_load_n(&b[i].err, __ATOMIC_ACQUIRE) != -1)
				done++;
		if (done == n)
			break;
		if (raw_recv(fd, &m, 10) > 0)
			raw_answer(fd, &m, &seen);
	}
	for (i = 0; i < n && !ret; i++) {
		if (b[i].err == -1)
			continue;	/* still blocked: closing the server frees it */
		if (b[i].err == 0)
			ok++;
		else
			other++;
	}
	close(fd);
	for (i = 0; i < n && !ret; i++)
		if (b[i].err != -2)
			pthread_join(b[i].thread, NULL);
	ktap_test(!ret && ok == n && other == 0,
		  "all %u complete once the server answers (%u ok, %u errors)",
		  n, ok, other);
	free(hold);
	free(b);
}

int main(void)
{
	ktap_plan(NUM_TESTS);
	if (!raw_device_present())
		ktap_bail(1, "no /dev/guse: the modules are not loaded");
	test_stress();
	test_in_flight();
	ktap_finish();
}
