// SPDX-License-Identifier: GPL-2.0-only
/*
 * kill-procs: the server and consumer processes of guse-kill-test.
 *
 * Each consumer reports through its struct unit: what it is doing and
 * since when, when it was set up, when its call returned and with what,
 * when its files were closed.  The consumers are libgpiod users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "gpiod-close.h"
#include "gpiod-user.h"
#include "kill-procs.h"
#include "kstate.h"
#include "raw-guse.h"

#define LINES		16
#define LINE_BLOCK	0
#define LINE_HOLD_OUT	1
#define LINE_EDGE	2	/* and 3 */
#define LINE_HOLD_IN	4	/* and 5 */
#define LINE_CHURN	6	/* to 15 */
#define PULSE_MS	2
#define POLL_MS		20
#define CONSUMER_MS	40000	/* a consumer gives up by itself */

const char *const kind_name[NKINDS] = {
	"block", "hold", "edge", "watch", "churn",
};

const char *const op_name[NOPS] = {
	"-", "setup", "get", "set", "poll", "read", "request", "release",
	"close",
};

static bool server_holds(const struct raw_msg *m)
{
	const struct guse_bitmap *bm = (const void *)m->payload;

	return (m->hdr.opcode == GUSE_OP_GET_VALUES ||
		m->hdr.opcode == GUSE_OP_SET_VALUES) &&
	       (bm->words[0] & (1ULL << LINE_BLOCK));
}

void server_main(struct cycle_shm *shm, pid_t parent)
{
	uint64_t mask = 3ULL << LINE_EDGE, level = 0;
	struct raw_seen seen = { 0 };
	struct raw_msg m;
	int fd, ret, next_pulse;

	kst_child_init(parent);
	fd = raw_open();
	ret = fd < 0 ? -errno :
		raw_create_chip(fd, "kill", LINES, CHIP_TIMEOUT_MS,
				shm->srv_flags, &shm->ready);
	if (ret) {
		shm->srv_err = -ret;
		atomic_store(&shm->srv_ready, -1);
		_exit(2);
	}
	atomic_store(&shm->srv_ready, 1);
	next_pulse = raw_now_ms();
	for (;;) {
		ret = raw_recv(fd, &m, PULSE_MS);
		if (ret > 0 && server_holds(&m))
			atomic_fetch_add(&shm->held, 1);
		else if (ret > 0)
			raw_answer(fd, &m, &seen);
		else if (ret != -ETIMEDOUT && ret != -EINTR)
			_exit(3);
		if (raw_now_ms() >= next_pulse) {
			level ^= mask;
			/* what raw_answer() reads back with GET_INPUTS */
			seen.levels[0] = level;
			if (!raw_set_inputs(fd, LINES, &mask, &level))
				atomic_fetch_add(&shm->pulses, 1);
			next_pulse = raw_now_ms() + PULSE_MS;
		}
	}
}

static void unit_op(struct unit *u, enum op op)
{
	atomic_store(&u->op_since, kst_now_ns());
	atomic_store(&u->op, op);
}

static void unit_ready(struct unit *u)
{
	atomic_store(&u->t_ready, kst_now_ns());
}

static void unit_end(struct unit *u, int err)
{
	u->err = err;
	u->end_op = atomic_load(&u->op);
	atomic_store(&u->t_end, kst_now_ns());
}

static void unit_close(struct unit *u, struct gpiod_chip *chip,
		       struct gpiod_line_request *r1,
		       struct gpiod_line_request *r2)
{
	int e1, e2, e3;

	unit_op(u, OP_CLOSE);
	e1 = close_request(r1);
	e2 = close_request(r2);
	e3 = close_chip(chip);
	u->close_err = e1 ? e1 : e2 ? e2 : e3;
	atomic_store(&u->t_closed, kst_now_ns());
}

/* A consumer that could not set up ends at once. */
static void unit_setup_failed(struct unit *u, struct gpiod_chip *chip,
			      struct gpiod_line_request *r1)
{
	unit_end(u, errno);
	unit_close(u, chip, r1, NULL);
}

static bool unit_expired(struct unit *u)
{
	if (kst_now_ns() - atomic_load(&u->t_ready) <
	    (int64_t)CONSUMER_MS * 1000000)
		return false;
	unit_end(u, ETIMEDOUT);
	return true;
}

static void run_block(struct unit *u, const char *chip_name)
{
	const struct user_req r = {
		.first = LINE_BLOCK, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_OUTPUT,
		.consumer = "kill-block",
	};
	struct gpiod_line_request *req = NULL;
	struct gpiod_chip *chip;
	int v;

	unit_op(u, OP_SETUP);
	chip = user_chip_open(chip_name);
	if (chip)
		req = user_request(chip, &r);
	if (!req)
		return unit_setup_failed(u, chip, NULL);
	unit_ready(u);
	unit_op(u, OP_GET);
	v = gpiod_line_request_get_value(req, LINE_BLOCK);
	unit_end(u, v < 0 ? errno : 0);
	unit_close(u, chip, req, NULL);
}

static void run_hold(struct unit *u, const char *chip_name)
{
	const struct user_req out_r = {
		.first = LINE_HOLD_OUT, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_OUTPUT,
		.consumer = "kill-hold",
	};
	const struct user_req in_r = {
		.first = LINE_HOLD_IN, .num = 2,
		.direction = GPIOD_LINE_DIRECTION_INPUT,
		.consumer = "kill-hold-in",
	};
	struct gpiod_line_request *out = NULL, *in = NULL;
	struct gpiod_chip *chip;
	int v = 0;

	unit_op(u, OP_SETUP);
	chip = user_chip_open(chip_name);
	if (chip)
		out = user_request(chip, &out_r);
	if (out)
		in = user_request(chip, &in_r);
	if (!in)
		return unit_setup_failed(u, chip, out);
	unit_ready(u);
	for (;; v ^= 1, u->ops++) {
		if (unit_expired(u))
			break;
		/* 6.1's gpio_chip.set returns void: the read reports */
		unit_op(u, OP_SET);
		if (gpiod_line_request_set_value(out, LINE_HOLD_OUT, v)) {
			unit_end(u, errno);
			break;
		}
		unit_op(u, OP_GET);
		if (gpiod_line_request_get_value(out, LINE_HOLD_OUT) < 0 ||
		    gpiod_line_request_get_value(in, LINE_HOLD_IN) < 0) {
			unit_end(u, errno);
			break;
		}
		usleep(PULSE_MS * 1000);
	}
	unit_close(u, chip, out, in);
}

/* poll() on @fd; POLLHUP|POLLERR are remembered in @u->revents. */
static int unit_poll(struct unit *u, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	unit_op(u, OP_POLL);
	r = poll(&pfd, 1, POLL_MS);
	if (r > 0)
		u->revents |= pfd.revents & (POLLHUP | POLLERR);
	return r;
}

static void run_edge(struct unit *u, const char *chip_name)
{
	const struct user_req rq = {
		.first = LINE_EDGE, .num = 2,
		.direction = GPIOD_LINE_DIRECTION_INPUT,
		.edge = GPIOD_LINE_EDGE_BOTH,
		.consumer = "kill-edge",
	};
	struct gpiod_line_request *req = NULL;
	struct gpiod_edge_event_buffer *buf;
	struct gpiod_chip *chip;
	int r;

	unit_op(u, OP_SETUP);
	buf = gpiod_edge_event_buffer_new(64);
	chip = buf ? user_chip_open(chip_name) : NULL;
	if (chip)
		req = user_request(chip, &rq);
	if (!req)
		return unit_setup_failed(u, chip, NULL);
	unit_ready(u);
	while (!unit_expired(u)) {
		r = unit_poll(u, gpiod_line_request_get_fd(req));
		if (r < 0) {
			unit_end(u, errno);
			break;
		}
		if (r == 0) {
			unit_op(u, OP_GET);
			if (gpiod_line_request_get_value(req, LINE_EDGE) < 0) {
				unit_end(u, errno);
				break;
			}
			continue;
		}
		unit_op(u, OP_READ);
		r = gpiod_line_request_read_edge_events(req, buf, 64);
		if (r < 0) {
			unit_end(u, errno);
			break;
		}
		u->events += r;
	}
	unit_close(u, chip, req, NULL);
	gpiod_edge_event_buffer_free(buf);
}

static void run_watch(struct unit *u, const char *chip_name)
{
	struct gpiod_info_event *ev;
	struct gpiod_line_info *info;
	struct gpiod_chip *chip;
	unsigned int i;
	int r;

	unit_op(u, OP_SETUP);
	chip = user_chip_open(chip_name);
	for (i = 0; chip && i < LINES; i++) {
		info = gpiod_chip_watch_line_info(chip, i);
		if (!info)
			return unit_setup_failed(u, chip, NULL);
		gpiod_line_info_free(info);
	}
	if (!chip)
		return unit_setup_failed(u, chip, NULL);
	unit_ready(u);
	while (!unit_expired(u)) {
		r = unit_poll(u, gpiod_chip_get_fd(chip));
		if (r < 0) {
			unit_end(u, errno);
			break;
		}
		if (r == 0)
			continue;
		unit_op(u, OP_READ);
		ev = gpiod_chip_read_info_event(chip);
		if (!ev) {
			unit_end(u, errno);
			break;
		}
		u->events++;
		gpiod_info_event_free(ev);
	}
	unit_close(u, chip, NULL, NULL);
}


struct churn_arg {
	struct unit *u;
	unsigned int idx;
	const char *chip_name;
};

/* Churn thread @idx: lines 6+idx and, for idx < 4, 12+idx. */
static void *churn_thread(void *arg)
{
	const struct churn_arg *a = arg;
	const unsigned int offs[2] = {
		LINE_CHURN + a->idx, LINE_CHURN + CHURNERS + a->idx,
	};
	const struct user_req r = {
		.offsets = offs, .num = offs[1] < LINES ? 2 : 1,
		.direction = GPIOD_LINE_DIRECTION_INPUT,
		.edge = GPIOD_LINE_EDGE_BOTH,
		.consumer = "kill-churn",
	};
	struct gpiod_line_request *req;
	struct unit *u = a->u;
	struct gpiod_chip *chip;
	int err;

	atomic_store(&u->tid, gettid());
	unit_op(u, OP_SETUP);
	chip = user_chip_open(a->chip_name);
	if (!chip) {
		unit_setup_failed(u, NULL, NULL);
		return NULL;
	}
	unit_ready(u);
	while (!unit_expired(u)) {
		unit_op(u, OP_REQUEST);
		req = user_request(chip, &r);
		if (!req) {
			unit_end(u, errno);
			break;
		}
		unit_op(u, OP_RELEASE);
		err = close_request(req);
		if (err) {
			unit_end(u, err);
			break;
		}
		u->ops++;
	}
	unit_close(u, chip, NULL, NULL);
	return NULL;
}

static void run_churn(struct cycle_shm *shm, const char *chip_name)
{
	struct churn_arg a[CHURNERS];
	pthread_t th[CHURNERS];
	unsigned int i, n;

	for (n = 0; n < CHURNERS; n++) {
		a[n] = (struct churn_arg){ &shm->unit[K_CHURN + n], n,
					   chip_name };
		atomic_store(&a[n].u->pid, getpid());
		if (pthread_create(&th[n], NULL, churn_thread, &a[n])) {
			errno = EAGAIN;
			unit_setup_failed(a[n].u, NULL, NULL);
			break;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

void consumer_main(struct cycle_shm *shm, enum kind kind, pid_t parent)
{
	const char *path = shm->ready.chip_name;
	struct unit *u = &shm->unit[kind];

	kst_child_init(parent);
	if (kind != K_CHURN) {
		atomic_store(&u->pid, getpid());
		atomic_store(&u->tid, gettid());
	}
	switch (kind) {
	case K_BLOCK:
		run_block(u, path);
		break;
	case K_HOLD:
		run_hold(u, path);
		break;
	case K_EDGE:
		run_edge(u, path);
		break;
	case K_WATCH:
		run_watch(u, path);
		break;
	default:
		run_churn(shm, path);
		break;
	}
	_exit(0);
}

/*
 * Without GUSE_CREATE_F_GET_INPUTS the kernel answers input reads from
 * the injected levels and applies a SET_INPUTS only once the handlers of
 * the interrupts the previous one raised have run; with it, the server
 * answers input reads and injections apply at once.  @churn adds the
 * request/free threads: without them, removal, endings and slab counts stay
 * measurable while those threads make consumers hang.
 */
