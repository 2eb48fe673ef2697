// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-fault-test: servers that die, lie or dawdle.
 *
 *  - Many rounds of: a forked server creates a chip, answers some requests
 *    and leaves others pending while consumer threads hammer the chip, one
 *    consumer watches edges and one holds an output line; the server is
 *    SIGKILLed.  Every consumer must return promptly (far below the chip
 *    timeout) with ENODEV (ENOENT/ENXIO for an open() racing the removal),
 *    the chip's /dev/gpiochipN and /sys/class/guse/guseN must go.
 *  - A server writing garbage (random bytes, lengths, headers, replies with
 *    wrong opcode or size) gets an error for every such write, the pending
 *    request survives and the chip keeps working.
 *  - A slow server: requests fail with ETIMEDOUT after the chip's short
 *    timeout and the late replies get ENOENT.
 *
 * Environment: GUSE_FAULT_ROUNDS (default 100), GUSE_FAULT_SECONDS (time
 * budget of the kill rounds, default 20).  KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "raw-guse.h"

#define NUM_TESTS	14
#define LINES		8
#define HAMMERS		6	/* lines 2..7 */
#define LINE_WATCH	0
#define LINE_HOLD	1
#define CHIP_TIMEOUT_MS	30000
#define PROMPT_MS	1500	/* "promptly": far below CHIP_TIMEOUT_MS */

static unsigned int env_uint(const char *name, unsigned int def,
			     unsigned int min, unsigned int max)
{
	const char *s = getenv(name);
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, NULL, 0);
	return v < min ? min : v > max ? max : (unsigned int)v;
}

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

static int request_line(int chipfd, unsigned int line, uint64_t flags,
			const char *consumer)
{
	struct gpio_v2_line_request req;

	memset(&req, 0, sizeof(req));
	req.offsets[0] = line;
	req.num_lines = 1;
	req.config.flags = flags;
	snprintf(req.consumer, sizeof(req.consumer), "%s", consumer);
	if (ioctl(chipfd, GPIO_V2_GET_LINE_IOCTL, &req))
		return -errno;
	return req.fd;
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

struct fconsumer {
	pthread_t thread;
	int kind;
	const char *chip_name;
	unsigned int line;
	int fd;			/* K_WATCH, K_HOLD: the request */
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

static void *fconsumer_thread(void *arg)
{
	struct fconsumer *c = arg;
	struct gpio_v2_line_values v;
	char path[64];
	int chipfd, fd;

	switch (c->kind) {
	case K_WATCH: {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct gpio_v2_line_event ev;
		int deadline = raw_now_ms() + 10000;

		while (raw_now_ms() < deadline) {
			if (poll(&pfd, 1, 100) == 1) {
				if (read(c->fd, &ev, sizeof(ev)) < 0) {
					fc_end(c, errno);
					return NULL;
				}
				c->ops++;
				continue;
			}
			/*
			 * No event: reading the (input) line needs no server
			 * while it lives; 6.1 keeps a dead server's chip while
			 * the line is held, and then this fails with ENODEV.
			 */
			v.mask = 1;
			if (ioctl(c->fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v)) {
				fc_end(c, errno);
				return NULL;
			}
		}
		fc_end(c, ETIMEDOUT);
		return NULL;
	}
	case K_HOLD: {
		int deadline = raw_now_ms() + 10000;

		while (raw_now_ms() < deadline) {
			v.mask = 1;
			v.bits = c->ops & 1;
			/*
			 * Set, then read back: on 6.1 gpio_chip.set returns
			 * void, so only the read can report the dead server.
			 */
			if (ioctl(c->fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) ||
			    ioctl(c->fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v)) {
				fc_end(c, errno);
				return NULL;
			}
			c->ops++;
			usleep(3000);
		}
		fc_end(c, ETIMEDOUT);
		return NULL;
	}
	default:
		break;
	}

	snprintf(path, sizeof(path), "/dev/%s", c->chip_name);
	chipfd = open(path, O_RDWR | O_CLOEXEC);
	if (chipfd < 0) {
		fc_end(c, errno);
		return NULL;
	}
	for (int deadline = raw_now_ms() + 10000; raw_now_ms() < deadline;) {
		fd = request_line(chipfd, c->line, GPIO_V2_LINE_FLAG_OUTPUT,
				  "fault-hammer");
		if (fd < 0) {
			fc_end(c, -fd);
			close(chipfd);
			return NULL;
		}
		v.mask = 1;
		v.bits = 1;
		if (ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) ||
		    ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v)) {
			fc_end(c, errno);
			close(fd);
			close(chipfd);
			return NULL;
		}
		c->ops++;
		close(fd);
	}
	fc_end(c, ETIMEDOUT);
	close(chipfd);
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

/* One round: returns false when it could not even start. */
static bool kill_round(struct round_stats *st, unsigned int round,
		       unsigned int *seed)
{
	struct fconsumer c[HAMMERS + 2];
	struct guse_ready ready;
	atomic_bool killed = false;
	unsigned int n = 0, i;
	int p[2], chipfd, t_kill, status;
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
	{
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", ready.chip_name);
		chipfd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (round % 3 != 2) {
		c[n].kind = round % 3 == 0 ? K_WATCH : K_HOLD;
		c[n].line = c[n].kind == K_WATCH ? LINE_WATCH : LINE_HOLD;
		c[n].fd = chipfd < 0 ? -1 :
			request_line(chipfd, c[n].line, c[n].kind == K_WATCH ?
				     GPIO_V2_LINE_FLAG_INPUT |
				     GPIO_V2_LINE_FLAG_EDGE_RISING |
				     GPIO_V2_LINE_FLAG_EDGE_FALLING :
				     GPIO_V2_LINE_FLAG_OUTPUT, "fault-special");
		if (c[n].fd < 0) {
			st->setup_failures++;
			problem(st, "round %d: special request: errno %d", round,
				-c[n].fd);
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
		int lat;

		if (pthread_timedjoin_np(c[i].thread, NULL, &ts)) {
			/* a consumer stuck in the kernel: nothing to clean up */
			ktap_diag("round %u: consumer %u (kind %d) still blocked 5 s after the kill",
				  round, i, c[i].kind);
			st->stuck++;
			continue;
		}
		st->ops += c[i].ops;
		lat = c[i].end_ms - t_kill;
		if (c[i].early) {
			st->early++;
			problem(st, "consumer ended before the kill: errno %d (kind %d)",
				c[i].err, c[i].kind);
			continue;
		}
		if (lat > st->max_latency_ms)
			st->max_latency_ms = lat;
		if (c[i].err == ENODEV)
			st->errnos[0]++;
		else if (c[i].err == ENOENT && c[i].kind == K_HAMMER)
			st->errnos[1]++;
		else if (c[i].err == ENXIO && c[i].kind == K_HAMMER)
			st->errnos[2]++;
		else {
			st->unexpected++;
			problem(st, "consumer ended with errno %d (kind %d)",
				c[i].err, c[i].kind);
		}
		if (c[i].kind == K_WATCH) {
			st->watch_runs++;
			st->watch_ok += c[i].err == ENODEV;
		}
		if (c[i].kind == K_HOLD) {
			st->hold_runs++;
			st->hold_ok += c[i].err == ENODEV;
		}
	}
	/* on 6.1 the chip goes only once the watcher and holder let go */
	if (raw_removes_held_chips() && !chip_gone(&ready, 3000))
		st->not_removed++;
	for (i = 0; i < n; i++)
		if (c[i].kind != K_HAMMER && c[i].fd >= 0)
			close(c[i].fd);
	if (!raw_removes_held_chips() && !chip_gone(&ready, 3000))
		st->not_removed++;
	if (chipfd >= 0)
		close(chipfd);
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

static void test_kill_rounds(void)
{
	unsigned int rounds = env_uint("GUSE_FAULT_ROUNDS", 100, 1, 100000);
	unsigned int budget = env_uint("GUSE_FAULT_SECONDS", 20, 1, 3600);
	struct round_stats st = { 0 };
	unsigned int seed = raw_now_ms(), r;
	int end = raw_now_ms() + budget * 1000, t0 = raw_now_ms();

	for (r = 0; r < rounds && raw_now_ms() < end; r++)
		if (!kill_round(&st, r, &seed) && st.stuck)
			break;
	ktap_diag("%u kill rounds in %d ms (%u asked, budget %u s), %lu consumer ops",
		  st.rounds, raw_now_ms() - t0, rounds, budget, st.ops);
	ktap_diag("endings: %u ENODEV, %u ENOENT, %u ENXIO, %u unexpected, "
		  "%u early, %u stuck; slowest %d ms after the kill",
		  st.errnos[0], st.errnos[1], st.errnos[2], st.unexpected,
		  st.early, st.stuck, st.max_latency_ms);
	ktap_diag("rounds without a held request before the kill: %u", st.no_hold);
	if (st.first_problem[0])
		ktap_diag("first problem: %s", st.first_problem);

	ktap_test(st.rounds >= (rounds < 10 ? rounds : 10) && !st.setup_failures,
		  "servers with requests in flight are SIGKILLed %u times in a row",
		  st.rounds);
	ktap_test(!st.stuck && !st.early && !st.unexpected,
		  "every consumer returns ENODEV (ENOENT/ENXIO when opening) after the kill");
	ktap_test(!st.stuck && st.max_latency_ms < PROMPT_MS,
		  "every consumer returns within %d ms of the kill (slowest %d ms, chip timeout %d ms)",
		  PROMPT_MS, st.max_latency_ms, CHIP_TIMEOUT_MS);
	ktap_test(st.rounds && !st.not_removed,
		  "the killed server's /dev/gpiochipN and /sys/class/guse/guseN go away");
	ktap_test(st.watch_runs && st.watch_ok == st.watch_runs,
		  "an edge watcher of a killed server ends with ENODEV (%u/%u)",
		  st.watch_ok, st.watch_runs);
	ktap_test(st.hold_runs && st.hold_ok == st.hold_runs,
		  "the holder of an output line of a killed server gets ENODEV (%u/%u)",
		  st.hold_ok, st.hold_runs);
}

/* ---- one consumer thread for the garbage and slow tests ----------------- */

struct one {
	pthread_t thread;
	const char *chip_name;
	unsigned int line;
	atomic_int err;		/* -1 while running */
	int ms;
};

static void *one_thread(void *arg)
{
	struct one *o = arg;
	char path[64];
	int chipfd, fd, t0 = raw_now_ms(), err = 0;

	snprintf(path, sizeof(path), "/dev/%s", o->chip_name);
	chipfd = open(path, O_RDWR | O_CLOEXEC);
	if (chipfd < 0) {
		err = errno;
	} else {
		fd = request_line(chipfd, o->line, GPIO_V2_LINE_FLAG_INPUT,
				  "fault-one");
		if (fd < 0)
			err = -fd;
		else
			close(fd);
		close(chipfd);
	}
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

static void test_garbage(void)
{
	enum { N = 2000 };
	unsigned int seed = 12345, accepted = 0, i, errs[3] = { 0 };
	struct guse_ready ready;
	struct one o;
	struct raw_msg m;
	int fd, ret, err;

	/* before CREATE */
	fd = raw_open();
	for (i = 0; i < N; i++)
		if (!write_garbage(fd, &seed, 1, GUSE_OP_REQUEST, false))
			accepted++;
	ret = raw_create_chip(fd, "garbage", 4, 10000, GUSE_CREATE_F_REQUEST,
			      &ready);
	ktap_test(fd >= 0 && !accepted && !ret,
		  "%u garbage writes before CREATE all fail and leave the file fresh (%u accepted)",
		  N, accepted);

	/* while a request is pending */
	one_start(&o, ready.chip_name, 2);
	ret = ret ? ret : wait_for(fd, GUSE_OP_REQUEST, &m, 5000);
	accepted = 0;
	for (i = 0; !ret && i < N; i++) {
		err = write_garbage(fd, &seed, m.hdr.id, GUSE_OP_REQUEST, true);
		if (!err)
			accepted++;
		else if (err == -EINVAL)
			errs[0]++;
		else if (err == -ENOENT)
			errs[1]++;
		else
			errs[2]++;
	}
	ktap_diag("garbage on a live chip: %u EINVAL, %u ENOENT, %u other errors, %u accepted",
		  errs[0], errs[1], errs[2], accepted);
	ktap_test(!ret && !accepted && atomic_load(&o.err) == -1,
		  "%u garbage writes to a live chip all fail; the pending request stays pending",
		  N);
	if (!ret)
		raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 0, NULL, 0);
	err = one_serve(fd, &o, 5000);
	ktap_test(!ret && err == 0,
		  "the pending request completes with the real reply (errno %d)", err);
	if (o.err != -2)
		pthread_join(o.thread, NULL);
	one_start(&o, ready.chip_name, 3);
	err = one_serve(fd, &o, 5000);
	ktap_test(!ret && err == 0, "the chip still serves consumers (errno %d)", err);
	if (o.err != -2)
		pthread_join(o.thread, NULL);
	close(fd);
	ktap_test(chip_gone(&ready, 3000), "the garbage server's chip is removed on close");
}

/* ---- slow server -------------------------------------------------------- */

static void test_slow(void)
{
	enum { ROUNDS = 3, TIMEOUT = 200 };
	unsigned int i, timeouts = 0, enoent = 0;
	struct guse_ready ready;
	struct raw_msg m;
	struct one o;
	int fd = raw_open(), ret, err, slowest = 0, fastest = 1 << 30;

	ret = raw_create_chip(fd, "slow", 4, TIMEOUT, GUSE_CREATE_F_REQUEST,
			      &ready);
	for (i = 0; i < ROUNDS && !ret; i++) {
		one_start(&o, ready.chip_name, i);
		if (wait_for(fd, GUSE_OP_REQUEST, &m, 3000) == 0) {
			usleep(2 * TIMEOUT * 1000);
			/* the late reply */
			if (raw_send_msg(fd, GUSE_OP_REQUEST, m.hdr.id, 0,
					 NULL, 0) == -ENOENT)
				enoent++;
		}
		for (int t = 0; t < 300 && atomic_load(&o.err) == -1; t++)
			usleep(10000);
		err = atomic_load(&o.err);
		if (err == ETIMEDOUT) {
			timeouts++;
			if (o.ms > slowest)
				slowest = o.ms;
			if (o.ms < fastest)
				fastest = o.ms;
		} else {
			ktap_diag("slow round %u: consumer errno %d", i, err);
		}
		if (err != -2)
			pthread_join(o.thread, NULL);
	}
	ktap_test(!ret && timeouts == ROUNDS && fastest >= TIMEOUT - 20 &&
		  slowest < TIMEOUT + 1000,
		  "requests to a slow server fail with ETIMEDOUT after its %d ms timeout (%u/%u, %d..%d ms)",
		  TIMEOUT, timeouts, ROUNDS, timeouts ? fastest : 0, slowest);
	ktap_test(!ret && enoent == ROUNDS, "its late replies get ENOENT (%u/%u)",
		  enoent, ROUNDS);
	close(fd);
}

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

int main(void)
{
	unsigned int left = ~0U;

	ktap_plan(NUM_TESTS);
	if (!raw_device_present())
		ktap_bail(1, "no /dev/guse: the modules are not loaded");
	signal(SIGPIPE, SIG_IGN);
	test_kill_rounds();
	test_garbage();
	test_slow();
	for (int t = 0; t < 50; t++) {
		left = count_chips();
		if (!left)
			break;
		usleep(100000);
	}
	ktap_test(left == 0, "no guse chip is left at the end (%u)", left);
	ktap_finish();
}
