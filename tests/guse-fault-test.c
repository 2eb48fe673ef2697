// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-fault-test: servers that die, lie or dawdle.
 *
 *  - Many rounds of: a forked server creates a chip, answers some requests
 *    and leaves others pending while consumer threads (libgpiod users)
 *    hammer the chip, one consumer watches edges and one holds an output
 *    line; the server is SIGKILLed.  Every consumer must return promptly
 *    (far below the chip timeout) with ENODEV (ENOENT/ENXIO for an open()
 *    racing the removal), the chip's /dev/gpiochipN and
 *    /sys/class/guse/guseN must go.
 *  - A server writing garbage (random bytes, lengths, headers, replies with
 *    wrong opcode or size) gets an error for every such write, the pending
 *    request survives and the chip keeps working.
 *  - A slow server: requests fail with ETIMEDOUT after the chip's short
 *    timeout and the late replies get ENOENT.
 *
 * Environment: GUSE_FAULT_ROUNDS (default 100), GUSE_FAULT_SECONDS (time
 * budget of the kill rounds, default 20).  kselftest harness, KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpiod-user.h"
#include "guse-kselftest.h"
#include "raw-guse.h"

#define LINES		8
#define HAMMERS		6	/* lines 2..7 */
#define LINE_WATCH	0
#define LINE_HOLD	1
#define CHIP_TIMEOUT_MS	30000
#define PROMPT_MS	1500	/* "promptly": far below CHIP_TIMEOUT_MS */
#define TIMEOUT_S	30	/* per test, but the kill rounds' */
/* the kill rounds: their budget, plus the longest round (about 16 s) */
#define KILL_TIMEOUT_S(budget) ((budget) + 40)

static bool path_exists(const char *fmt, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), fmt, name);
	return stat(path, &st) == 0;
}

/* Waits up to @ms for the chip's device files to disappear. */
static bool chip_gone(const struct guse_ready *r, int ms)
{
	int deadline = raw_now_ms() + ms;

	do {
		if (!path_exists("/dev/%s", r->chip_name) &&
		    !path_exists("/sys/class/guse/%s", r->dev_name))
			return true;
		usleep(5000);
	} while (raw_now_ms() < deadline);
	return false;
}

/* ---- the killable server ------------------------------------------------ */

/* Does request @m concern one of the lines a round's special consumers use? */
static bool concerns_special(const struct raw_msg *m)
{
	const struct guse_line *l = (const void *)m->payload;
	const struct guse_bitmap *bm = (const void *)m->payload;

	switch (m->hdr.opcode) {
	case GUSE_OP_GET_VALUES:
	case GUSE_OP_SET_VALUES:
		return bm->words[0] & ((1U << LINE_WATCH) | (1U << LINE_HOLD));
	default:
		return l->line == LINE_WATCH || l->line == LINE_HOLD;
	}
}

/*
 * The server child: creates the chip, reports READY over @wfd, answers
 * every request about the special lines and about half of the others,
 * leaving the rest pending; writes 'h' to @wfd for each one it holds.
 */
static void __attribute__((noreturn)) server_child(int wfd, unsigned int seed)
{
	struct raw_seen seen = { 0 };
	struct guse_ready ready;
	struct raw_msg m;
	int fd, ret, end = raw_now_ms() + 20000;

	if (wfd > 3)
		close_range(3, wfd - 1, 0);
	close_range(wfd + 1, ~0U, 0);
	fd = raw_open();
	if (fd < 0 || raw_create_chip(fd, "fault", LINES, CHIP_TIMEOUT_MS,
				      GUSE_CREATE_F_REQUEST, &ready))
		_exit(2);
	if (write(wfd, &ready, sizeof(ready)) != sizeof(ready))
		_exit(3);
	while (raw_now_ms() < end) {
		ret = raw_recv(fd, &m, 50);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			_exit(4);
		if (!(m.hdr.flags & GUSE_MSG_F_NOREPLY) &&
		    !concerns_special(&m) && rand_r(&seed) % 2) {
			if (write(wfd, "h", 1) != 1)
				_exit(5);
			continue;
		}
		raw_answer(fd, &m, &seen);
	}
	_exit(0);
}

/* ---- consumers of one round --------------------------------------------- */

enum { K_HAMMER, K_WATCH, K_HOLD };

/* A consumer thread of one round; it owns @req (K_WATCH, K_HOLD) until joined. */
struct fconsumer {
	pthread_t thread;
	int kind;
	const char *chip_name;
	unsigned int line;
	struct gpiod_line_request *req;
	atomic_bool *killed;
	/* results */
	int err;		/* errno that ended it */
	int end_ms;
	bool early;		/* ended before the kill */
	unsigned long ops;
};

static void fc_end(struct fconsumer *c, int err)
{
	c->end_ms = raw_now_ms();
	c->early = !atomic_load(c->killed);
	c->err = err;
}

/* An edge watcher's event loop, reading the line when no event comes. */
static void watch(struct fconsumer *c)
{
	struct gpiod_edge_event_buffer *buf = gpiod_edge_event_buffer_new(1);
	int deadline = raw_now_ms() + 10000;

	while (buf && raw_now_ms() < deadline) {
		if (gpiod_line_request_wait_edge_events(c->req,
							100000000LL) == 1) {
			if (gpiod_line_request_read_edge_events(c->req, buf,
								1) < 0) {
				fc_end(c, errno);
				goto out;
			}
			c->ops++;
			continue;
		}
		/*
		 * No event: reading the (input) line needs no server while it
		 * lives; 6.1 keeps a dead server's chip while the line is
		 * held, and then this fails with ENODEV.
		 */
		if (gpiod_line_request_get_value(c->req, c->line) ==
		    GPIOD_LINE_VALUE_ERROR) {
			fc_end(c, errno);
			goto out;
		}
	}
	fc_end(c, buf ? ETIMEDOUT : ENOMEM);
out:
	gpiod_edge_event_buffer_free(buf);
}

static void hold(struct fconsumer *c)
{
	int deadline = raw_now_ms() + 10000;

	while (raw_now_ms() < deadline) {
		/*
		 * Set, then read back: on 6.1 gpio_chip.set returns void, so
		 * only the read can report the dead server.
		 */
		if (gpiod_line_request_set_value(c->req, c->line,
						 c->ops & 1) ||
		    gpiod_line_request_get_value(c->req, c->line) ==
		    GPIOD_LINE_VALUE_ERROR) {
			fc_end(c, errno);
			return;
		}
		c->ops++;
		usleep(3000);
	}
	fc_end(c, ETIMEDOUT);
}

/* Requests its output line, sets and reads it, releases; again and again. */
static void hammer(struct fconsumer *c)
{
	struct user_req r = { .first = c->line, .num = 1,
			      .direction = GPIOD_LINE_DIRECTION_OUTPUT,
			      .consumer = "fault-hammer" };
	struct gpiod_line_request *req;
	struct gpiod_chip *chip;
	int deadline = raw_now_ms() + 10000;

	chip = user_chip_open(c->chip_name);
	if (!chip) {
		fc_end(c, errno);
		return;
	}
	while (raw_now_ms() < deadline) {
		req = user_request(chip, &r);
		if (!req) {
			fc_end(c, errno);
			goto out;
		}
		if (gpiod_line_request_set_value(req, c->line,
						 GPIOD_LINE_VALUE_ACTIVE) ||
		    gpiod_line_request_get_value(req, c->line) ==
		    GPIOD_LINE_VALUE_ERROR) {
			fc_end(c, errno);
			gpiod_line_request_release(req);
			goto out;
		}
		c->ops++;
		gpiod_line_request_release(req);
	}
	fc_end(c, ETIMEDOUT);
out:
	gpiod_chip_close(chip);
}

static void *fconsumer_thread(void *arg)
{
	struct fconsumer *c = arg;

	switch (c->kind) {
	case K_WATCH:
		watch(c);
		break;
	case K_HOLD:
		hold(c);
		break;
	default:
		hammer(c);
		break;
	}
	return NULL;
}

struct round_stats {
	unsigned int rounds, setup_failures, early, unexpected, stuck;
	unsigned int not_removed, no_hold, watch_ok, watch_runs, hold_ok;
	unsigned int hold_runs;
	unsigned int errnos[3];		/* ENODEV, ENOENT, ENXIO */
	int max_latency_ms;
	unsigned long ops;
	char first_problem[128];
};

static void problem(struct round_stats *st, const char *fmt, int a, int b)
{
	if (!st->first_problem[0])
		snprintf(st->first_problem, sizeof(st->first_problem), fmt, a, b);
}

static bool read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	return read(fd, buf, len) == (ssize_t)len;
}

/* Accounts for how consumer @c of a round ended, @t_kill the kill's time. */
static void account(struct round_stats *st, const struct fconsumer *c,
		    int t_kill)
{
	int lat = c->end_ms - t_kill;

	st->ops += c->ops;
	if (c->early) {
		st->early++;
		problem(st, "consumer ended before the kill: errno %d (kind %d)",
			c->err, c->kind);
		return;
	}
	if (lat > st->max_latency_ms)
		st->max_latency_ms = lat;
	if (c->err == ENODEV)
		st->errnos[0]++;
	else if (c->err == ENOENT && c->kind == K_HAMMER)
		st->errnos[1]++;
	else if (c->err == ENXIO && c->kind == K_HAMMER)
		st->errnos[2]++;
	else {
		st->unexpected++;
		problem(st, "consumer ended with errno %d (kind %d)", c->err,
			c->kind);
	}
	if (c->kind == K_WATCH) {
		st->watch_runs++;
		st->watch_ok += c->err == ENODEV;
	}
	if (c->kind == K_HOLD) {
		st->hold_runs++;
		st->hold_ok += c->err == ENODEV;
	}
}

/* One round: returns false when it could not even start. */
static bool kill_round(struct round_stats *st, unsigned int round,
		       unsigned int *seed)
{
	struct fconsumer c[HAMMERS + 2];
	struct gpiod_chip *chip;
	struct guse_ready ready;
	atomic_bool killed = false;
	unsigned int n = 0, i;
	int p[2], t_kill, status;
	struct timespec ts;
	char h;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		close(p[0]);
		server_child(p[1], round * 31 + 7);
	}
	close(p[1]);
	if (!read_full(p[0], &ready, sizeof(ready), 3000)) {
		st->setup_failures++;
		problem(st, "round %d: no READY from the server%.0d", round, 0);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		return false;
	}

	memset(c, 0, sizeof(c));
	/* the special consumers: an edge watcher and an output holder */
	chip = user_chip_open(ready.chip_name);
	if (round % 3 != 2) {
		struct user_req r = { .num = 1, .consumer = "fault-special" };

		c[n].kind = round % 3 == 0 ? K_WATCH : K_HOLD;
		c[n].line = r.first = c[n].kind == K_WATCH ? LINE_WATCH :
							    LINE_HOLD;
		if (c[n].kind == K_WATCH)
			r.edge = GPIOD_LINE_EDGE_BOTH;
		else
			r.direction = GPIOD_LINE_DIRECTION_OUTPUT;
		c[n].req = chip ? user_request(chip, &r) : NULL;
		if (!c[n].req) {
			st->setup_failures++;
			problem(st, "round %d: special request: errno %d", round,
				errno);
		} else {
			n++;
		}
	}
	for (i = 0; i < HAMMERS; i++, n++) {
		c[n].kind = K_HAMMER;
		c[n].line = 2 + i;
	}
	for (i = 0; i < n; i++) {
		c[i].chip_name = ready.chip_name;
		c[i].killed = &killed;
		c[i].err = -1;
		if (pthread_create(&c[i].thread, NULL, fconsumer_thread, &c[i])) {
			n = i;
			break;
		}
	}

	/* kill once the server holds something (bounded), at a random moment */
	if (!read_full(p[0], &h, 1, 2000))
		st->no_hold++;
	usleep(rand_r(seed) % 20000);
	atomic_store(&killed, true);
	t_kill = raw_now_ms();
	kill(pid, SIGKILL);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	for (i = 0; i < n; i++) {
		if (pthread_timedjoin_np(c[i].thread, NULL, &ts)) {
			/* a consumer stuck in the kernel: nothing to clean up */
			ksft_print_msg("round %u: consumer %u (kind %d) still blocked 5 s after the kill\n",
				       round, i, c[i].kind);
			st->stuck++;
			continue;
		}
		account(st, &c[i], t_kill);
	}
	/* on 6.1 the chip goes only once the watcher and holder let go */
	if (raw_removes_held_chips() && !chip_gone(&ready, 3000))
		st->not_removed++;
	for (i = 0; i < n; i++)
		if (c[i].req)
			gpiod_line_request_release(c[i].req);
	if (!raw_removes_held_chips() && !chip_gone(&ready, 3000))
		st->not_removed++;
	if (chip)
		gpiod_chip_close(chip);
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status)) {
		st->setup_failures++;
		problem(st, "round %d: server exited with status %d", round,
			WEXITSTATUS(status));
	}
	close(p[0]);
	st->rounds++;
	return !st->stuck;
}

FIXTURE(kill) {
	unsigned int rounds, budget;
	struct round_stats st;
};

FIXTURE_SETUP(kill)
{
	self->rounds = guse_env_uint("GUSE_FAULT_ROUNDS", 100, 1, 100000);
	self->budget = guse_env_uint("GUSE_FAULT_SECONDS", 20, 1, 3600);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(kill)
{
}

/* The default budget; main() sets the one of GUSE_FAULT_SECONDS. */
TEST_F_TIMEOUT(kill, servers_sigkilled_with_requests_in_flight,
	       KILL_TIMEOUT_S(20))
{
	struct round_stats *st = &self->st;
	unsigned int seed = raw_now_ms(), r;
	int end = raw_now_ms() + self->budget * 1000, t0 = raw_now_ms();

	for (r = 0; r < self->rounds && raw_now_ms() < end; r++)
		if (!kill_round(st, r, &seed) && st->stuck)
			break;
	ksft_print_msg("%u kill rounds in %d ms (%u asked, budget %u s), %lu consumer ops\n",
		       st->rounds, raw_now_ms() - t0, self->rounds,
		       self->budget, st->ops);
	ksft_print_msg("endings: %u ENODEV, %u ENOENT, %u ENXIO, %u unexpected, %u early, %u stuck; slowest %d ms after the kill\n",
		       st->errnos[0], st->errnos[1], st->errnos[2],
		       st->unexpected, st->early, st->stuck,
		       st->max_latency_ms);
	ksft_print_msg("rounds without a held request before the kill: %u\n",
		       st->no_hold);
	if (st->first_problem[0])
		ksft_print_msg("first problem: %s\n", st->first_problem);

	/* the servers with requests in flight were SIGKILLed, round after round */
	EXPECT_LE(self->rounds < 10 ? self->rounds : 10, st->rounds);
	EXPECT_EQ(0U, st->setup_failures);
	/* every consumer returns ENODEV (ENOENT/ENXIO when opening) */
	EXPECT_EQ(0U, st->stuck);
	EXPECT_EQ(0U, st->early);
	EXPECT_EQ(0U, st->unexpected);
	/* ... promptly: far below the chip timeout */
	EXPECT_GT(PROMPT_MS, st->max_latency_ms);
	/* the killed server's /dev/gpiochipN and /sys/class/guse/guseN go */
	EXPECT_EQ(0U, st->not_removed);
	/* an edge watcher and an output holder of a killed server get ENODEV */
	EXPECT_LT(0U, st->watch_runs);
	EXPECT_EQ(st->watch_runs, st->watch_ok);
	EXPECT_LT(0U, st->hold_runs);
	EXPECT_EQ(st->hold_runs, st->hold_ok);
}

/* ---- one consumer thread for the garbage and slow tests ----------------- */

/* A consumer requesting one input line; lives from one_start() to its join. */
struct one {
	pthread_t thread;
	const char *chip_name;
	unsigned int line;
	atomic_int err;		/* -1 while running, -2 if never started */
	int ms;
};

static void *one_thread(void *arg)
{
	struct one *o = arg;
	struct user_req r = { .first = o->line, .num = 1,
			      .direction = GPIOD_LINE_DIRECTION_INPUT,
			      .consumer = "fault-one" };
	int t0 = raw_now_ms(), err;

	err = user_request_once(o->chip_name, &r);
	o->ms = raw_now_ms() - t0;
	atomic_store(&o->err, err);
	return NULL;
}

static void one_start(struct one *o, const char *chip, unsigned int line)
{
	memset(o, 0, sizeof(*o));
	o->chip_name = chip;
	o->line = line;
	atomic_store(&o->err, -1);
	if (pthread_create(&o->thread, NULL, one_thread, o))
		atomic_store(&o->err, -2);
}

static void one_join(struct one *o)
{
	if (atomic_load(&o->err) != -2)
		pthread_join(o->thread, NULL);
	atomic_store(&o->err, -2);
}

/* Answers requests until the consumer is done; returns its errno. */
static int one_serve(int fd, struct one *o, int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_seen s = { 0 };
	struct raw_msg m;

	while (atomic_load(&o->err) == -1 && raw_now_ms() < deadline)
		if (raw_recv(fd, &m, 10) > 0)
			raw_answer(fd, &m, &s);
	return atomic_load(&o->err);
}

/* Reads messages until a request with @opcode; answers the others. */
static int wait_for(int fd, uint16_t opcode, struct raw_msg *m, int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_seen s = { 0 };

	while (raw_now_ms() < deadline) {
		if (raw_recv(fd, m, 20) <= 0)
			continue;
		if (m->hdr.opcode == opcode)
			return 0;
		raw_answer(fd, m, &s);
	}
	return -ETIMEDOUT;
}

/* ---- garbage ------------------------------------------------------------ */

enum { GARBAGE = 2000 };

static uint8_t gbuf[GUSE_MSG_SIZE_MAX + 64];

/*
 * Writes one garbage message; @pending_id is a request the server holds.
 * Returns the write's result (0 or -errno).
 */
static int write_garbage(int fd, unsigned int *seed, uint64_t pending_id,
			 uint16_t pending_op, bool live)
{
	struct guse_msg_header *h = (void *)gbuf;
	unsigned int kind = rand_r(seed) % 8, i;
	size_t len = 1 + rand_r(seed) % 300;

	for (i = 0; i < len + sizeof(*h); i++)
		gbuf[i] = rand_r(seed);
	switch (kind) {
	case 0:	/* random bytes, random length */
		break;
	case 1:	/* too short or too long */
		len = rand_r(seed) % 2 ? (size_t)rand_r(seed) % sizeof(*h) :
			GUSE_MSG_SIZE_MAX + 1 + (size_t)rand_r(seed) % 32;
		if (len > sizeof(*h))
			memset(gbuf, 0xa5, len);
		break;
	case 2:	/* right length, random header otherwise */
		len += sizeof(*h);
		h->len = len;
		break;
	case 3:	/* reply to an unknown id */
		len = sizeof(*h) + (rand_r(seed) % 2) * 8;
		h->len = len;
		h->opcode = GUSE_OP_REQUEST + rand_r(seed) % 10;
		h->flags = 0;
		h->reserved = 0;
		h->error = 0;
		h->id = pending_id + 1000 + rand_r(seed);
		break;
	case 4:	/* reply to the pending id with the wrong opcode */
		len = sizeof(*h);
		h->len = len;
		h->opcode = pending_op + 1 + rand_r(seed) % 5;
		h->flags = 0;
		h->reserved = 0;
		h->error = 0;
		h->id = pending_id;
		break;
	case 5:	/* reply to the pending id with a payload it has no room for */
		len = sizeof(*h) + 1 + rand_r(seed) % 200;
		h->len = len;
		h->opcode = pending_op;
		h->flags = 0;
		h->reserved = 0;
		h->error = 0;
		h->id = pending_id;
		break;
	case 6:	/* reply to the pending id: bad error, flags or reserved */
		len = sizeof(*h) + (rand_r(seed) % 2) * 8;
		h->len = len;
		h->opcode = pending_op;
		h->id = pending_id;
		h->flags = rand_r(seed) % 2 ? 1 + rand_r(seed) % 0xffff : 0;
		h->reserved = h->flags ? 0 : 1 + rand_r(seed);
		h->error = 0;
		if (len > sizeof(*h)) {	/* error with a payload */
			h->flags = 0;
			h->reserved = 0;
			h->error = 1 + rand_r(seed) % 100;
		}
		break;
	default: /* SET_INPUTS with a wrong word count or nonzero reserved */
	{
		struct guse_bitmap *bm = (void *)(h + 1);

		len = sizeof(*h) + sizeof(*bm) + 16 * (1 + rand_r(seed) % 3);
		h->len = len;
		h->opcode = GUSE_OP_SET_INPUTS;
		h->flags = 0;
		h->reserved = 0;
		h->error = 0;
		h->id = 0;
		if (rand_r(seed) % 2) {
			bm->num_words = 2 + rand_r(seed) % 100;
			bm->reserved = 0;
		} else {
			bm->num_words = 1;
			bm->reserved = 1 + rand_r(seed);
		}
		break;
	}
	}
	if (!live && kind >= 2) {
		/* before CREATE: anything but a CREATE; never a valid one */
		h->opcode = rand_r(seed) % 2 ? GUSE_OP_CREATE : GUSE_OP_READY;
		if (h->opcode == GUSE_OP_CREATE)
			gbuf[sizeof(*h)] = 0x55;	/* version major 0x..55 */
	}
	return raw_send(fd, gbuf, len);
}

FIXTURE(garbage) {
	int fd;
	struct guse_ready ready;
	struct one o;
	struct raw_msg m;	/* the pending request */
	unsigned int seed;
};

FIXTURE_SETUP(garbage)
{
	self->seed = 12345;
	atomic_store(&self->o.err, -2);
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
}

FIXTURE_TEARDOWN(garbage)
{
	if (self->fd >= 0)
		close(self->fd);
	one_join(&self->o);
}

/* Creates the chip; a consumer's request of line 2 is left pending. */
static int live_chip(FIXTURE_DATA(garbage) *self)
{
	int ret = raw_create_chip(self->fd, "garbage", 4, 10000,
				  GUSE_CREATE_F_REQUEST, &self->ready);

	if (ret)
		return ret;
	one_start(&self->o, self->ready.chip_name, 2);
	return wait_for(self->fd, GUSE_OP_REQUEST, &self->m, 5000);
}

/* GARBAGE garbage writes to the live chip; returns how many were accepted. */
static unsigned int live_garbage(FIXTURE_DATA(garbage) *self)
{
	unsigned int accepted = 0, i, errs[3] = { 0 };
	int err;

	for (i = 0; i < GARBAGE; i++) {
		err = write_garbage(self->fd, &self->seed, self->m.hdr.id,
				    GUSE_OP_REQUEST, true);
		if (!err)
			accepted++;
		else if (err == -EINVAL)
			errs[0]++;
		else if (err == -ENOENT)
			errs[1]++;
		else
			errs[2]++;
	}
	ksft_print_msg("garbage on a live chip: %u EINVAL, %u ENOENT, %u other errors, %u accepted\n",
		       errs[0], errs[1], errs[2], accepted);
	return accepted;
}

TEST_F_TIMEOUT(garbage, before_create_all_fail_and_file_stays_fresh,
	       TIMEOUT_S)
{
	unsigned int accepted = 0, i;

	for (i = 0; i < GARBAGE; i++)
		if (!write_garbage(self->fd, &self->seed, 1, GUSE_OP_REQUEST,
				   false))
			accepted++;
	EXPECT_EQ(0U, accepted);
	EXPECT_EQ(0, raw_create_chip(self->fd, "garbage", 4, 10000,
				     GUSE_CREATE_F_REQUEST, &self->ready));
}

TEST_F_TIMEOUT(garbage, live_chip_all_fail_and_request_stays_pending,
	       TIMEOUT_S)
{
	ASSERT_EQ(0, live_chip(self));
	EXPECT_EQ(0U, live_garbage(self));
	EXPECT_EQ(-1, atomic_load(&self->o.err));
}

TEST_F_TIMEOUT(garbage, pending_request_completes_with_real_reply, TIMEOUT_S)
{
	ASSERT_EQ(0, live_chip(self));
	live_garbage(self);
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_REQUEST, self->m.hdr.id,
				  0, NULL, 0));
	EXPECT_EQ(0, one_serve(self->fd, &self->o, 5000));
}

TEST_F_TIMEOUT(garbage, chip_still_serves_consumers, TIMEOUT_S)
{
	ASSERT_EQ(0, live_chip(self));
	live_garbage(self);
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_REQUEST, self->m.hdr.id,
				  0, NULL, 0));
	ASSERT_EQ(0, one_serve(self->fd, &self->o, 5000));
	one_join(&self->o);
	one_start(&self->o, self->ready.chip_name, 3);
	EXPECT_EQ(0, one_serve(self->fd, &self->o, 5000));
}

TEST_F_TIMEOUT(garbage, chip_removed_on_close, TIMEOUT_S)
{
	ASSERT_EQ(0, live_chip(self));
	live_garbage(self);
	close(self->fd);
	self->fd = -1;
	EXPECT_TRUE(chip_gone(&self->ready, 3000));
}

/* ---- slow server -------------------------------------------------------- */

enum { SLOW_ROUNDS = 3, SLOW_TIMEOUT = 200 };

FIXTURE(slow) {
	int fd;
	struct guse_ready ready;
	unsigned int timeouts, enoent;
	int slowest, fastest;
};

/*
 * A chip of a SLOW_TIMEOUT ms timeout whose server answers each of
 * SLOW_ROUNDS requests twice as late.
 */
FIXTURE_SETUP(slow)
{
	struct raw_msg m;
	struct one o;
	unsigned int i;
	int ret, err;

	self->fastest = 1 << 30;
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
	ret = raw_create_chip(self->fd, "slow", 4, SLOW_TIMEOUT,
			      GUSE_CREATE_F_REQUEST, &self->ready);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	for (i = 0; i < SLOW_ROUNDS; i++) {
		one_start(&o, self->ready.chip_name, i);
		if (wait_for(self->fd, GUSE_OP_REQUEST, &m, 3000) == 0) {
			usleep(2 * SLOW_TIMEOUT * 1000);
			/* the late reply */
			if (raw_send_msg(self->fd, GUSE_OP_REQUEST, m.hdr.id, 0,
					 NULL, 0) == -ENOENT)
				self->enoent++;
		}
		for (int t = 0; t < 300 && atomic_load(&o.err) == -1; t++)
			usleep(10000);
		err = atomic_load(&o.err);
		if (err == ETIMEDOUT) {
			self->timeouts++;
			if (o.ms > self->slowest)
				self->slowest = o.ms;
			if (o.ms < self->fastest)
				self->fastest = o.ms;
		} else {
			ksft_print_msg("slow round %u: consumer errno %d\n", i,
				       err);
		}
		one_join(&o);
	}
}

FIXTURE_TEARDOWN(slow)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(slow, requests_etimedout_after_chip_timeout, TIMEOUT_S)
{
	ksft_print_msg("%u/%u timed out after %d..%d ms\n", self->timeouts,
		       SLOW_ROUNDS, self->timeouts ? self->fastest : 0,
		       self->slowest);
	EXPECT_EQ((unsigned int)SLOW_ROUNDS, self->timeouts);
	EXPECT_LE(SLOW_TIMEOUT - 20, self->fastest);
	EXPECT_GT(SLOW_TIMEOUT + 1000, self->slowest);
}

TEST_F_TIMEOUT(slow, late_replies_enoent, TIMEOUT_S)
{
	EXPECT_EQ((unsigned int)SLOW_ROUNDS, self->enoent);
}

/* ---- at the end --------------------------------------------------------- */

static unsigned int count_chips(void)
{
	FILE *f = popen("ls /sys/class/guse 2>/dev/null | wc -l", "r");
	unsigned int n = ~0U;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = ~0U;
		pclose(f);
	}
	return n;
}

FIXTURE(end) {
};

FIXTURE_SETUP(end)
{
}

FIXTURE_TEARDOWN(end)
{
}

/* Runs last (the harness runs fixtures in the order of this file). */
TEST_F_TIMEOUT(end, no_guse_chip_is_left, TIMEOUT_S)
{
	unsigned int left = ~0U;

	for (int t = 0; t < 50; t++) {
		left = count_chips();
		if (!left)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0U, left);
}

int main(int argc, char **argv)
{
	unsigned int budget = guse_env_uint("GUSE_FAULT_SECONDS", 20, 1, 3600);

	GUSE_SET_TIMEOUT(kill, servers_sigkilled_with_requests_in_flight,
			 KILL_TIMEOUT_S(budget));
	return guse_harness_main(argc, argv, GUSE_NEED_DEVICE());
}
