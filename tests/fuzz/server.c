// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/server.c: the correct server of the fuzzed chip (see server.h).
 *
 * Why the oracle can be exact about reply ids: the thread reads requests
 * and the fuzzer writes replies only with @lock held, so under the lock the
 * pending table is the kernel's list of requests read and not answered,
 * except for those that timed out.  A request's timeout starts when it is
 * queued, which is after the start of the last read() that found the
 * queue empty (@empty_since); so the kernel waits for it at least until
 * empty_since + timeout (minus the jiffy rounding, FZ_TIMEOUT_SLACK_MS).
 * FREE and IRQ_CONFIG never time out: the kernel waits for their replies
 * until the server answers them or goes.  Requests whose waiter may be
 * interrupted (interruptible()) may go at any time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
fail(struct fz_server *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
}

/* Sent with guse_conn_send(): no waiter, no timeout, no in-flight slot. */
static bool detached(uint16_t opcode)
{
	return opcode == GUSE_OP_FREE || opcode == GUSE_OP_IRQ_CONFIG;
}

/*
 * Waits that may end early with EINTR, which forgets the request: a signal
 * to the waiter.  The consumers get none, but interrupt threads are stopped
 * with TIF_NOTIFY_SIGNAL when their interrupt is freed, and on older
 * kernels (6.1) while their handler still runs: gpiolib's edge handler
 * then waits for the input level, which reaches the server only with
 * GUSE_CREATE_F_GET_INPUTS.
 */
static bool interruptible(const struct fz_server *s, uint16_t opcode)
{
	return opcode == GUSE_OP_GET_VALUES &&
	       (s->flags & GUSE_CREATE_F_GET_INPUTS);
}

/* A successful reply to a REQUEST grants the line. */
static void grant(struct fz_server *s, uint32_t line)
{
	if (s->held[line])
		fail(s, "line %u granted again without a FREE in between (FREE must always reach the server)",
		     line);
	s->held[line] = true;
	s->grants++;
}

static uint32_t reply_len(uint16_t opcode, unsigned int ngpio)
{
	if (opcode == GUSE_OP_GET_DIRECTION)
		return sizeof(struct guse_direction);
	if (opcode == GUSE_OP_GET_VALUES)
		return sizeof(struct guse_bitmap) + 8 * GUSE_BITMAP_WORDS(ngpio);
	return 0;
}

/* The payload size of each kernel message, or -1 for unknown opcodes. */
static long msg_len(uint16_t opcode, unsigned int words)
{
	switch (opcode) {
	case GUSE_OP_WAKEUP:
		return 0;
	case GUSE_OP_REQUEST:
	case GUSE_OP_CONSUMER:
		return sizeof(struct guse_line_consumer);
	case GUSE_OP_FREE:
	case GUSE_OP_GET_DIRECTION:
	case GUSE_OP_DIRECTION_INPUT:
	case GUSE_OP_DIRECTION_OUTPUT:
		return sizeof(struct guse_line);
	case GUSE_OP_GET_VALUES:
		return sizeof(struct guse_bitmap) + 8 * words;
	case GUSE_OP_SET_VALUES:
		return sizeof(struct guse_bitmap) + 16 * words;
	case GUSE_OP_SET_CONFIG:
	case GUSE_OP_IRQ_CONFIG:
		return sizeof(struct guse_set_config);
	default:
		return -1;
	}
}

/* Bitmaps from the kernel: the chip's word count, no bit beyond the end. */
static bool bitmap_ok(const struct fz_server *s, const struct raw_msg *m,
		      unsigned int nmaps)
{
	const struct guse_bitmap *bm = (const void *)m->payload;
	unsigned int words = GUSE_BITMAP_WORDS(s->ngpio), tail = s->ngpio % 64;
	unsigned int i;

	if (bm->num_words != words || bm->reserved)
		return false;
	for (i = 0; i < nmaps; i++)
		if (tail && bm->words[i * words + words - 1] >> tail)
			return false;
	/* "no message names" a line missing from the valid mask */
	for (i = 0; i < words; i++)
		if (bm->words[i] & s->invalid[i])
			return false;
	/* SET_VALUES: bits outside the mask are 0 */
	for (i = 0; nmaps == 2 && i < words; i++)
		if (bm->words[words + i] & ~bm->words[i])
			return false;
	return true;
}

/* Checks one message read from the kernel against the protocol. */
static bool msg_ok(struct fz_server *s, const struct raw_msg *m, ssize_t n)
{
	const struct guse_line_consumer *lc = (const void *)m->payload;
	const struct guse_irq_config *ic = (const void *)m->payload;
	const struct guse_set_config *sc = (const void *)m->payload;
	const struct guse_line_value *lv = (const void *)m->payload;
	uint16_t op = m->hdr.opcode;
	bool noreply = op == GUSE_OP_CONSUMER || op == GUSE_OP_WAKEUP;
	long want = msg_len(op, GUSE_BITMAP_WORDS(s->ngpio));

	if (n < (ssize_t)sizeof(m->hdr) || m->hdr.len != n || want < 0 ||
	    n - (ssize_t)sizeof(m->hdr) != want || m->hdr.error ||
	    m->hdr.reserved ||
	    m->hdr.flags != (noreply ? GUSE_MSG_F_NOREPLY : 0)) {
		fail(s, "kernel sent a malformed message: opcode %u len %u/%zd flags %#x",
		     op, m->hdr.len, n, m->hdr.flags);
		return false;
	}
	if (noreply ? m->hdr.id != 0 : m->hdr.id <= s->max_id) {
		fail(s, "kernel sent opcode %u with id %llu after id %llu", op,
		     (unsigned long long)m->hdr.id,
		     (unsigned long long)s->max_id);
		return false;
	}
	switch (op) {
	case GUSE_OP_WAKEUP:
		return true;
	case GUSE_OP_GET_VALUES:
		if (!bitmap_ok(s, m, 1))
			goto bad;
		return true;
	case GUSE_OP_SET_VALUES:
		if (!bitmap_ok(s, m, 2))
			goto bad;
		return true;
	case GUSE_OP_DIRECTION_OUTPUT:
		if (lv->value > 1)
			goto bad;
		break;
	case GUSE_OP_SET_CONFIG:
		if (sc->param < GUSE_CONFIG_BIAS_DISABLE ||
		    sc->param > GUSE_CONFIG_INPUT_DEBOUNCE || sc->reserved ||
		    (sc->param != GUSE_CONFIG_INPUT_DEBOUNCE && sc->arg))
			goto bad;
		break;
	case GUSE_OP_IRQ_CONFIG:
		if ((ic->type > GUSE_IRQ_TYPE_LEVEL_HIGH &&
		     ic->type != GUSE_IRQ_TYPE_LEVEL_LOW) ||
		    ic->flags & ~GUSE_IRQ_F_ENABLED || ic->reserved)
			goto bad;
		break;
	case GUSE_OP_REQUEST:
	case GUSE_OP_CONSUMER:
		if (strnlen(lc->consumer, GUSE_NAME_SIZE) == GUSE_NAME_SIZE)
			goto bad;
		/* fall through */
	case GUSE_OP_FREE:
	case GUSE_OP_GET_DIRECTION:
	case GUSE_OP_DIRECTION_INPUT:
		if (lc->reserved)
			goto bad;
		break;
	}
	/* every other message names one line first, a valid one */
	if (lc->line >= s->ngpio || s->invalid[lc->line / 64] >> (lc->line % 64) & 1)
		goto bad;
	return true;
bad:
	fail(s, "kernel sent an invalid payload: opcode %u id %llu", op,
	     (unsigned long long)m->hdr.id);
	return false;
}

static void remember_gone(struct fz_server *s, const struct fz_pending *p)
{
	s->gone[s->gone_next] = (struct fz_gone){
		.id = p->id, .opcode = p->opcode, .out_len = p->out_len,
	};
	s->gone_next = (s->gone_next + 1) % FZ_GONE_MAX;
	if (s->ngone < FZ_GONE_MAX)
		s->ngone++;
}

/* Forgets pending entry @i; the last one takes its place. */
static void drop_pending(struct fz_server *s, unsigned int i)
{
	remember_gone(s, &s->pend[i]);
	free(s->pend[i].msg);
	s->pend[i] = s->pend[--s->npend];
}

static struct fz_pending *find_pending(struct fz_server *s, uint64_t id,
				       unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].id == id) {
			*idx = i;
			return &s->pend[i];
		}
	return NULL;
}

static unsigned int alive_count(const struct fz_server *s, int64_t now)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->npend; i++)
		n += now < s->pend[i].alive_until &&
		     !detached(s->pend[i].opcode);
	return n;
}

/*
 * Makes room for more pending requests.  FREE and IRQ_CONFIG have no limit
 * in the kernel, but a kernel that queues more than FZ_PENDING_MAX of them
 * has lost its bounds.
 */
static int grow_pending(struct fz_server *s)
{
	struct fz_pending *p;
	unsigned int n = s->max_pend * 2;

	if (n > FZ_PENDING_MAX) {
		fail(s, "the kernel has more than %u requests waiting for replies",
		     s->max_pend);
		return -1;
	}
	p = realloc(s->pend, n * sizeof(*p));
	if (!p) {
		fail(s, "out of memory");
		return -1;
	}
	s->pend = p;
	s->max_pend = n;
	return 0;
}

/* Takes one request off the file into the pending table. */
static void add_pending(struct fz_server *s, const struct raw_msg *m,
			int64_t now)
{
	const struct guse_line *ln = (const void *)m->payload;
	struct fz_pending *p;
	struct raw_msg *msg;
	unsigned int line = ln->line;

	s->max_id = m->hdr.id;
	if (m->hdr.opcode == GUSE_OP_FREE) {
		s->frees_unheld += !s->held[line];	/* a no-op */
		s->held[line] = false;
		s->frees++;
	}
	if (s->npend == s->max_pend && grow_pending(s))
		return;
	msg = malloc(m->hdr.len);
	if (!msg) {
		fail(s, "out of memory");
		return;
	}
	p = &s->pend[s->npend++];
	if (s->npend > s->most_pending)
		s->most_pending = s->npend;
	memcpy(msg, m, m->hdr.len);
	p->msg = msg;
	p->id = m->hdr.id;
	p->opcode = m->hdr.opcode;
	p->out_len = reply_len(p->opcode, s->ngpio);
	p->line = line;
	p->read_ms = now;
	if (detached(p->opcode))
		p->alive_until = INT64_MAX;
	else if (interruptible(s, p->opcode))
		p->alive_until = 0;
	else
		p->alive_until = s->empty_since + s->timeout_ms -
				 FZ_TIMEOUT_SLACK_MS;
	p->due = now + fz_below(&s->rng, s->max_delay_ms + 1);
	p->held = fz_chance(&s->rng, s->hold_permille);
	if (p->held) {
		p->due = now + s->timeout_ms + 200;
		s->nheld++;
		s->nheld_detached += detached(p->opcode);
	}
	/* the kernel's max_in_flight bounds what it can still be waiting for */
	if (s->npend > s->max_in_flight &&
	    alive_count(s, now) > s->max_in_flight)
		fail(s, "%u requests in flight, above max_in_flight %u",
		     alive_count(s, now), s->max_in_flight);
}

/* Reads until the queue is empty; called with @lock held. */
static void drain(struct fz_server *s)
{
	struct raw_msg m;
	int64_t start, end;
	ssize_t n;

	for (;;) {
		start = now_ms();
		n = read(s->fd, &m, sizeof(m));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail(s, "read: %s", strerror(errno));
			if (errno != EAGAIN)
				return;
			end = now_ms();
			if (end - s->empty_since > s->max_cycle_ms)
				s->max_cycle_ms = end - s->empty_since;
			s->empty_since = start;
			return;
		}
		s->nread++;
		if (!msg_ok(s, &m, n))
			return;
		if (m.hdr.opcode == GUSE_OP_CONSUMER ||
		    m.hdr.opcode == GUSE_OP_WAKEUP)
			raw_answer(s->fd, &m, &s->seen);	/* records it */
		else
			add_pending(s, &m, start);
	}
}

/* Answers pending entry @i like a correct server. */
static void answer(struct fz_server *s, unsigned int i, int64_t now)
{
	struct fz_pending *p = &s->pend[i];
	bool alive = now < p->alive_until;
	int ret;

	if (p->opcode == GUSE_OP_SET_CONFIG)
		s->seen.config_errno = fz_chance(&s->rng, 300) ? EOPNOTSUPP : 0;
	ret = raw_answer(s->fd, p->msg, &s->seen);
	if (!ret) {
		s->nanswered++;
		s->nlate_ok += !alive && p->alive_until &&
			       !detached(p->opcode);
		if (p->opcode == GUSE_OP_REQUEST)
			grant(s, p->line);
	} else if (ret == -ENOENT && !alive) {
		s->nlate++;
	} else {
		fail(s, "reply to opcode %u id %llu (%s: read %lld ms ago, waited for at least %lld ms more): %s",
		     p->opcode, (unsigned long long)p->id,
		     alive ? "pending" : "maybe timed out",
		     (long long)(now - p->read_ms),
		     (long long)(p->alive_until - now), strerror(-ret));
	}
	drop_pending(s, i);
}

static int next_wait_ms(const struct fz_server *s, int64_t now)
{
	int64_t wait = 5;
	unsigned int i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].due - now < wait)
			wait = s->pend[i].due - now;
	return wait < 0 ? 0 : (int)wait;
}

static void *server_thread(void *arg)
{
	struct fz_server *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	unsigned int i;
	int64_t now;
	int wait;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		wait = next_wait_ms(s, now_ms());
		pthread_mutex_unlock(&s->lock);
		poll(&pfd, 1, wait);
		pthread_mutex_lock(&s->lock);
		drain(s);
		now = now_ms();
		for (i = 0; i < s->npend;) {
			if (s->pend[i].due <= now)
				answer(s, i, now);	/* moves the last to i */
			else
				i++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The line state of CREATE: the bitmaps and what the server answers. */
static void *line_state(struct fz_server *s, const uint32_t *line_flags,
			size_t *len)
{
	size_t size = (size_t)s->ngpio * (sizeof(struct guse_line_init) +
					  GUSE_NAME_SIZE);
	char (*labels)[GUSE_NAME_SIZE] = calloc(s->ngpio, GUSE_NAME_SIZE);
	const char **ptrs = calloc(s->ngpio, sizeof(*ptrs));
	void *buf = malloc(size);
	unsigned int i;
	uint64_t bit;
	uint32_t f;

	if (!labels || !ptrs || !buf) {
		free(buf);
		buf = NULL;
		goto out;
	}
	for (i = 0; i < s->ngpio; i++) {
		f = line_flags[i];
		bit = 1ULL << (i % 64);
		snprintf(labels[i], GUSE_NAME_SIZE, "hog-%u", i);
		ptrs[i] = labels[i];
		if (f & GUSE_LINE_INIT_F_INVALID)
			s->invalid[i / 64] |= bit;
		if (f & GUSE_LINE_INIT_F_HOG)
			s->hogs[i / 64] |= bit;
		if (f & GUSE_LINE_INIT_F_OUTPUT) {
			s->init_out[i / 64] |= bit;
			s->seen.is_output[i / 64] |= bit;
			if (f & GUSE_LINE_INIT_F_VALUE)
				s->seen.outputs[i / 64] |= bit;
		} else if (f & GUSE_LINE_INIT_F_VALUE) {
			s->seen.levels[i / 64] |= bit;
		}
	}
	*len = raw_line_init(buf, size, s->ngpio, line_flags, ptrs);
out:
	free(labels);
	free(ptrs);
	return buf;
}

static int create_chip(struct fz_server *s, const char *label,
		       const uint32_t *line_flags)
{
	struct raw_create a = {
		.label = label, .num_lines = s->ngpio,
		.timeout_ms = s->timeout_ms, .flags = s->flags,
	};
	char *names = NULL;
	void *init = NULL;
	struct raw_msg m;
	unsigned int i;
	int ret;

	if (line_flags) {
		a.flags |= GUSE_CREATE_F_LINE_INIT;
		init = line_state(s, line_flags, &a.init_len);
		if (!init)
			return -ENOMEM;
		a.init = init;
	}
	if (s->flags & GUSE_CREATE_F_LINE_NAMES) {
		a.names_len = (size_t)s->ngpio * GUSE_NAME_SIZE;
		names = calloc(1, a.names_len);
		if (!names) {
			free(init);
			return -ENOMEM;
		}
		for (i = 0; i < s->ngpio; i++)
			if (i % 3)	/* every third line unnamed */
				snprintf(names + i * GUSE_NAME_SIZE,
					 GUSE_NAME_SIZE, "fuzz-%u", i);
		a.names = names;
	}
	ret = raw_send_create(s->fd, &a);
	free(names);
	free(init);
	if (ret)
		return ret;
	ret = raw_recv(s->fd, &m, 5000);
	if (ret < 0)
		return ret;
	if (m.hdr.opcode != GUSE_OP_READY ||
	    (size_t)ret != sizeof(m.hdr) + sizeof(s->ready))
		return -EPROTO;
	memcpy(&s->ready, m.payload, sizeof(s->ready));
	if (s->ready.num_lines != s->ngpio ||
	    s->ready.timeout_ms != s->timeout_ms ||
	    s->ready.version != GUSE_VERSION)
		return -EPROTO;
	return 0;
}

int fz_server_start(struct fz_server *s, const char *label, unsigned int ngpio,
		    uint32_t flags, const uint32_t *line_flags,
		    unsigned int timeout_ms, uint64_t seed)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->ngpio = ngpio;
	s->flags = flags;
	s->timeout_ms = timeout_ms;
	s->hold_permille = 3;
	s->max_delay_ms = 10;
	fz_seed(&s->rng, seed, "server");
	pthread_mutex_init(&s->lock, NULL);
	s->max_in_flight = raw_read_uint("/sys/module/guse/parameters/max_in_flight",
				      64);
	s->max_pend = 256;
	s->pend = calloc(s->max_pend, sizeof(*s->pend));
	s->held = calloc(ngpio, sizeof(*s->held));
	if (!s->pend || !s->held)
		goto nomem;
	s->fd = open("/dev/guse", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		ret = -errno;
		goto err;
	}
	s->empty_since = now_ms();
	ret = create_chip(s, label, line_flags);
	if (ret)
		goto err;
	ret = -pthread_create(&s->thread, NULL, server_thread, s);
	if (ret)
		goto err;
	s->running = true;
	return 0;
nomem:
	ret = -ENOMEM;
err:
	fz_server_close(s);
	return ret;
}

void fz_server_stop(struct fz_server *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = false;
}

void fz_server_close(struct fz_server *s)
{
	unsigned int i;

	fz_server_stop(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	for (i = 0; s->pend && i < s->npend; i++)
		free(s->pend[i].msg);
	free(s->pend);
	free(s->held);
	s->pend = NULL;
	s->held = NULL;
	pthread_mutex_destroy(&s->lock);
}

void fz_server_set_clean(struct fz_server *s)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	s->hold_permille = 0;
	s->max_delay_ms = 0;
	for (i = 0; i < s->npend; i++)
		s->pend[i].due = 0;
	pthread_mutex_unlock(&s->lock);
}

enum fz_id_state fz_server_lookup(void *srv, uint64_t id, uint16_t *opcode,
				  uint32_t *out_len)
{
	struct fz_server *s = srv;
	struct fz_pending *p;
	unsigned int i;

	p = find_pending(s, id, &i);
	if (!p)
		return FZ_ID_UNKNOWN;
	*opcode = p->opcode;
	*out_len = p->out_len;
	return now_ms() < p->alive_until ? FZ_ID_PENDING : FZ_ID_MAYBE;
}

void fz_server_pick(struct fz_server *s, struct fz_rng *r, uint64_t *id,
		    uint16_t *opcode, uint32_t *out_len, bool *pending,
		    bool *protect)
{
	static const uint64_t absurd[] = { 1, 2, 1ULL << 32, 1ULL << 63, ~0ULL };
	unsigned int k = fz_below(r, 1000);

	*pending = false;
	*protect = false;
	*opcode = GUSE_OP_REQUEST + fz_below(r, 10);
	*out_len = reply_len(*opcode, s->ngpio);
	if (k < 450 && s->npend) {
		const struct fz_pending *p = &s->pend[fz_below(r, s->npend)];

		*id = p->id;
		*opcode = p->opcode;
		*out_len = p->out_len;
		*pending = true;
		*protect = p->held && now_ms() < p->alive_until;
	} else if (k < 700 && s->ngone) {
		const struct fz_gone *g = &s->gone[fz_below(r, s->ngone)];

		*id = g->id;
		*opcode = g->opcode;
		*out_len = g->out_len;
	} else if (k < 880) {
		*id = s->max_id + 1 + fz_below(r, 4);	/* queued or future */
	} else if (k < 940) {
		*id = s->max_id > 200 ? s->max_id - fz_below(r, 200) : 1;
	} else {
		*id = absurd[fz_below(r, 5)];
	}
}

bool fz_server_protected(struct fz_server *s, uint64_t id)
{
	struct fz_pending *p;
	unsigned int i;

	p = find_pending(s, id, &i);
	return p && p->held && now_ms() < p->alive_until;
}

void fz_server_replied(struct fz_server *s, uint64_t id, uint32_t error,
		       int ret)
{
	struct fz_pending *p;
	unsigned int i;

	if (ret && ret != -ENOENT)
		return;		/* rejected: the request still waits */
	p = find_pending(s, id, &i);
	if (!p)
		return;
	if (!ret && !error && p->opcode == GUSE_OP_REQUEST)
		grant(s, p->line);
	s->nlate += ret == -ENOENT;	/* it timed out */
	drop_pending(s, i);
}

int fz_server_set_inputs(struct fz_server *s, const uint64_t *mask,
			 const uint64_t *values)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < GUSE_BITMAP_WORDS(s->ngpio); i++)
		s->seen.levels[i] = (s->seen.levels[i] & ~mask[i]) |
				    (values[i] & mask[i]);
	pthread_mutex_unlock(&s->lock);
	return raw_set_inputs(s->fd, s->ngpio, mask, values);
}

/* The first line granted and not freed, or -1; called with @lock held. */
static int first_held(const struct fz_server *s)
{
	unsigned int i;

	for (i = 0; i < s->ngpio; i++)
		if (s->held[i])
			return i;
	return -1;
}

bool fz_server_balanced(struct fz_server *s, char *why, size_t len)
{
	struct timespec ts = { 0, 5000000 };
	int64_t end = now_ms() + 5000;
	int line;

	/* the kernel sends FREE without waiting: it may not be read yet */
	for (;;) {
		pthread_mutex_lock(&s->lock);
		line = first_held(s);
		pthread_mutex_unlock(&s->lock);
		if (line < 0 || now_ms() > end)
			break;
		nanosleep(&ts, NULL);
	}
	why[0] = 0;
	if (line < 0)
		return true;
	snprintf(why, len, "line %d was granted and never freed (%lu grants, %lu FREEs)",
		 line, s->grants, s->frees);
	return false;
}

const char *fz_server_failure(struct fz_server *s)
{
	const char *f;

	pthread_mutex_lock(&s->lock);
	f = s->failure[0] ? s->failure : NULL;
	pthread_mutex_unlock(&s->lock);
	return f;
}
