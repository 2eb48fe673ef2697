// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: requests: dispatch, callbacks and replies. */

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define ERRNO_MAX		133	/* the kernel passes 1..133 */

/* ------------------------------------------------------------------------ */
/* requests and replies */

GUSE_API struct guse_chip *guse_request_get_chip(struct guse_request *req)
{
	return req->chip;
}

GUSE_API void *guse_request_get_user_data(struct guse_request *req)
{
	return req->chip->user_data;
}

GUSE_API enum guse_request_type guse_request_get_type(struct guse_request *req)
{
	return (enum guse_request_type)req->opcode;
}

GUSE_API void guse_request_defer(struct guse_request *req)
{
	struct guse_chip *chip = req->chip;

	pthread_mutex_lock(&chip->lock);
	req->deferred = true;
	pthread_mutex_unlock(&chip->lock);
}

static void unlink_req(struct guse_chip *chip, struct guse_request *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else
		chip->pending = req->next;
	if (req->next)
		req->next->prev = req->prev;
}

/* Update the tracked state after a successful reply; chip->lock held. */
static void apply_ok(struct guse_chip *chip, const struct guse_request *req)
{
	struct guse_line_state *l = NULL;
	unsigned int i, nw = chip->num_words;

	if (req->opcode != GUSE_OP_GET_VALUES &&
	    req->opcode != GUSE_OP_SET_VALUES)
		l = &chip->lines[req->line];
	switch (req->opcode) {
	case GUSE_OP_REQUEST:
		guse_line_request(chip, l, req->consumer);
		break;
	case GUSE_OP_DIRECTION_INPUT:
		l->direction = GUSE_LINE_DIRECTION_INPUT;
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		l->direction = GUSE_LINE_DIRECTION_OUTPUT;
		l->output = !!req->value;
		break;
	case GUSE_OP_SET_VALUES:
		for (i = 0; i < chip->num_lines; i++)
			if (req->words[i / 64] & GUSE_BIT_MASK(i))
				chip->lines[i].output =
					!!(req->words[nw + i / 64] &
					   GUSE_BIT_MASK(i));
		break;
	case GUSE_OP_SET_CONFIG:
		switch (req->value) {
		case GUSE_CONFIG_BIAS_DISABLE:
		case GUSE_CONFIG_BIAS_PULL_UP:
		case GUSE_CONFIG_BIAS_PULL_DOWN:
			l->bias = (uint8_t)req->value;
			break;
		case GUSE_CONFIG_DRIVE_PUSH_PULL:
		case GUSE_CONFIG_DRIVE_OPEN_DRAIN:
		case GUSE_CONFIG_DRIVE_OPEN_SOURCE:
			l->drive = (uint8_t)req->value;
			break;
		case GUSE_CONFIG_INPUT_DEBOUNCE:
			l->debounce_us = req->arg;
			break;
		}
		break;
	case GUSE_OP_IRQ_CONFIG:
		l->irq_type = req->value;
		l->irq_flags = req->arg;
		break;
	default:
		break;
	}
}

/*
 * Record what the kernel accepted; chip->lock held.  @error: the reply's;
 * @state_dir: for GET_DIRECTION replies, the direction answered (or -1).
 */
static void apply_reply(struct guse_chip *chip, const struct guse_request *req,
			uint32_t error, int state_dir)
{
	if (!error)
		apply_ok(chip, req);
	if (req->opcode == GUSE_OP_FREE)
		guse_line_release(chip, &chip->lines[req->line]);
	if (state_dir >= 0)
		chip->lines[req->line].direction = (uint8_t)state_dir;
}

static void free_req(struct guse_request *req)
{
	struct guse_chip *chip = req->chip;

	free(req);
	guse_chip_unref(chip);
}

/*
 * Finish a request: unlink it, send the reply, update the state if the
 * kernel took the reply, free the request (unless its callback is still
 * running: then the dispatcher frees it).
 * @error 0 or positive errno; @payload (without header) only when error 0.
 * @state_dir: for GET_DIRECTION replies, the direction to record (or -1).
 *
 * chip->lock is held across the write, so that a request the kernel sends
 * after it got this reply (and so a default answer to it) sees the state
 * this reply leads to, and guse_chip_free() cannot close the file under
 * the write.  Writes of replies never wait in the kernel.
 */
static int finish(struct guse_request *req, uint32_t error,
		  const void *payload, size_t plen, int state_dir)
{
	struct guse_chip *chip = req->chip;
	union {
		struct guse_msg_header hdr;
		uint8_t buf[sizeof(struct guse_msg_header) +
			    sizeof(struct guse_bitmap) +
			    GUSE_BITMAP_WORDS(GUSE_LINES_MAX) * 8];
	} u;
	size_t len = sizeof(u.hdr) + (error ? 0 : plen);
	bool free_now;
	int ret = -1, err = 0;

	guse_fill_header(&u.hdr, len, req->opcode, req->id, error);
	if (!error && plen)
		memcpy(&u.hdr + 1, payload, plen);

	pthread_mutex_lock(&chip->lock);
	if (req->answered) {
		/* a second reply from the callback, which still holds it */
		pthread_mutex_unlock(&chip->lock);
		errno = EINVAL;
		return -1;
	}
	req->answered = true;
	unlink_req(chip, req);
	if (chip->dead) {
		err = ENODEV;
	} else if (!guse_write_msg(chip->fd, u.buf, len)) {
		ret = 0;
		apply_reply(chip, req, error, state_dir);
	} else if (errno == ENOENT) {
		/*
		 * The request timed out in the kernel, which failed it: not an
		 * error, and nothing to record -- except that gpiolib released
		 * a line whose FREE timed out all the same.
		 */
		ret = 0;
		if (req->opcode == GUSE_OP_FREE)
			guse_line_release(chip, &chip->lines[req->line]);
	} else {
		err = errno;
	}
	free_now = !req->in_callback;
	pthread_mutex_unlock(&chip->lock);
	if (free_now)
		free_req(req);
	if (ret)
		errno = err;
	return ret;
}

static int finish_misuse(struct guse_request *req)
{
	int ret = finish(req, EIO, NULL, 0, -1);

	if (!ret)
		errno = EINVAL;
	return -1;
}

GUSE_API int guse_reply_ok(struct guse_request *req)
{
	if (req->opcode == GUSE_OP_GET_DIRECTION ||
	    req->opcode == GUSE_OP_GET_VALUES)
		return finish_misuse(req);
	return finish(req, 0, NULL, 0, -1);
}

GUSE_API int guse_reply_error(struct guse_request *req, int errnum)
{
	if (errnum <= 0 || errnum > ERRNO_MAX)
		errnum = EIO;
	return finish(req, (uint32_t)errnum, NULL, 0, -1);
}

GUSE_API int guse_reply_direction(struct guse_request *req, int direction)
{
	struct guse_direction d = { 0 };

	if (req->opcode != GUSE_OP_GET_DIRECTION ||
	    (direction != GUSE_LINE_DIRECTION_INPUT &&
	     direction != GUSE_LINE_DIRECTION_OUTPUT))
		return finish_misuse(req);
	d.direction = htole32(direction == GUSE_LINE_DIRECTION_OUTPUT ?
			      GUSE_DIRECTION_OUTPUT : GUSE_DIRECTION_INPUT);
	return finish(req, 0, &d, sizeof(d), direction);
}

GUSE_API int guse_reply_values(struct guse_request *req,
			       const uint64_t *values)
{
	uint8_t buf[sizeof(struct guse_bitmap) +
		    GUSE_BITMAP_WORDS(GUSE_LINES_MAX) * 8] = { 0 };
	struct guse_bitmap *bm = (struct guse_bitmap *)buf;
	unsigned int i, nw;

	if (req->opcode != GUSE_OP_GET_VALUES || !values)
		return finish_misuse(req);
	nw = req->chip->num_words;
	bm->num_words = htole32(nw);
	for (i = 0; i < nw; i++)
		bm->words[i] = htole64(values[i] & req->words[i]);
	return finish(req, 0, bm, sizeof(*bm) + nw * 8, -1);
}

/*
 * A pull-up or pull-down bias becomes the line's pull, as in gpio-sim.  The
 * new level is injected before the reply, so that the consumer reads it
 * (or sees its edge) as soon as its request returns.
 */
static int reply_bias(struct guse_request *req)
{
	int pull = req->value == GUSE_CONFIG_BIAS_PULL_UP;

	if (guse_chip_get_input_level(req->chip, req->line) != pull &&
	    guse_chip_set_input(req->chip, req->line, pull) < 0)
		return guse_reply_error(req, errno);
	return guse_reply_ok(req);
}

GUSE_API int guse_reply_default(struct guse_request *req)
{
	struct guse_chip *chip = req->chip;
	uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	unsigned int i;
	int dir;

	switch (req->opcode) {
	case GUSE_OP_GET_DIRECTION:
		pthread_mutex_lock(&chip->lock);
		dir = chip->lines[req->line].direction;
		pthread_mutex_unlock(&chip->lock);
		return guse_reply_direction(req, dir);
	case GUSE_OP_GET_VALUES:
		pthread_mutex_lock(&chip->lock);
		for (i = 0; i < chip->num_lines; i++)
			if (guse_line_read(chip, &chip->lines[i]))
				vals[i / 64] |= GUSE_BIT_MASK(i);
		pthread_mutex_unlock(&chip->lock);
		return guse_reply_values(req, vals);
	case GUSE_OP_SET_CONFIG:
		switch (req->value) {
		case GUSE_CONFIG_BIAS_PULL_UP:
		case GUSE_CONFIG_BIAS_PULL_DOWN:
			return reply_bias(req);
		case GUSE_CONFIG_DRIVE_OPEN_DRAIN:
		case GUSE_CONFIG_DRIVE_OPEN_SOURCE:
		case GUSE_CONFIG_INPUT_DEBOUNCE:
			/* gpiolib emulates them, as it does for gpio-sim */
			return guse_reply_error(req, EOPNOTSUPP);
		}
		return guse_reply_ok(req);
	default:
		return guse_reply_ok(req);
	}
}

/* ------------------------------------------------------------------------ */
/* dispatch */

/* Reply to a message that was never turned into a request. */
static void reject(struct guse_chip *chip, const struct guse_msg_header *h,
		   uint32_t error)
{
	struct guse_msg_header r;

	if (!h->id || (le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
		return;
	guse_fill_header(&r, sizeof(r), le16toh(h->opcode), le64toh(h->id), error);
	guse_write_msg(chip->fd, &r, sizeof(r));	/* best effort */
}

static size_t payload_size(uint16_t op, unsigned int nw)
{
	switch (op) {
	case GUSE_OP_REQUEST:
	case GUSE_OP_CONSUMER:
		return sizeof(struct guse_line_consumer);
	case GUSE_OP_FREE:
	case GUSE_OP_GET_DIRECTION:
	case GUSE_OP_DIRECTION_INPUT:
		return sizeof(struct guse_line);
	case GUSE_OP_DIRECTION_OUTPUT:
		return sizeof(struct guse_line_value);
	case GUSE_OP_GET_VALUES:
		return sizeof(struct guse_bitmap) + nw * 8;
	case GUSE_OP_SET_VALUES:
		return sizeof(struct guse_bitmap) + 2 * nw * 8;
	case GUSE_OP_SET_CONFIG:
		return sizeof(struct guse_set_config);
	case GUSE_OP_IRQ_CONFIG:
		return sizeof(struct guse_irq_config);
	default:
		return 0;
	}
}

static bool bits_beyond(const struct guse_chip *chip, const uint64_t *w)
{
	unsigned int rem = chip->num_lines % 64;

	return rem && (w[chip->num_words - 1] >> rem);
}

static void handle_consumer(struct guse_chip *chip, const void *p)
{
	const struct guse_line_consumer *c = p;
	unsigned int line = le32toh(c->line);
	char name[GUSE_NAME_SIZE];

	if (line >= chip->num_lines)
		return;
	guse_copy_str(name, c->consumer);
	pthread_mutex_lock(&chip->lock);
	memset(chip->lines[line].consumer, 0, GUSE_NAME_SIZE);
	strcpy(chip->lines[line].consumer, name);
	pthread_mutex_unlock(&chip->lock);
	if (chip->ops.consumer)
		chip->ops.consumer(chip, line, name);
}

/* Hand a request to its callback; false if there is none. */
static bool call_back(struct guse_chip *chip, struct guse_request *req)
{
	unsigned int nw = chip->num_words;

	switch (req->opcode) {
	case GUSE_OP_REQUEST:
		if (chip->ops.request) {
			char name[GUSE_NAME_SIZE];

			memcpy(name, req->consumer, sizeof(name));
			chip->ops.request(req, req->line, name);
			return true;
		}
		break;
	case GUSE_OP_FREE:
		if (chip->ops.free) {
			chip->ops.free(req, req->line);
			return true;
		}
		break;
	case GUSE_OP_GET_DIRECTION:
		if (chip->ops.get_direction) {
			chip->ops.get_direction(req, req->line);
			return true;
		}
		break;
	case GUSE_OP_DIRECTION_INPUT:
		if (chip->ops.direction_input) {
			chip->ops.direction_input(req, req->line);
			return true;
		}
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		if (chip->ops.direction_output) {
			chip->ops.direction_output(req, req->line,
						   (int)req->value);
			return true;
		}
		break;
	case GUSE_OP_GET_VALUES:
		if (chip->ops.get_values) {
			chip->ops.get_values(req, req->words);
			return true;
		}
		break;
	case GUSE_OP_SET_VALUES:
		if (chip->ops.set_values) {
			chip->ops.set_values(req, req->words,
					     req->words + nw);
			return true;
		}
		break;
	case GUSE_OP_SET_CONFIG:
		if (chip->ops.set_config) {
			chip->ops.set_config(req, req->line,
					     (enum guse_line_param)req->value,
					     req->arg);
			return true;
		}
		break;
	case GUSE_OP_IRQ_CONFIG:
		if (chip->ops.irq_config) {
			chip->ops.irq_config(req, req->line,
					     (enum guse_line_irq_type)req->value,
					     req->arg);
			return true;
		}
		break;
	}
	return false;
}

/*
 * The callback returned: free the request if it was answered; answer EIO
 * for it if it was not deferred either (nobody else holds it).
 */
static void callback_done(struct guse_request *req)
{
	struct guse_chip *chip = req->chip;
	bool answered, deferred;

	pthread_mutex_lock(&chip->lock);
	req->in_callback = false;
	answered = req->answered;
	deferred = req->deferred;
	pthread_mutex_unlock(&chip->lock);
	if (answered)
		free_req(req);
	else if (!deferred)
		finish(req, EIO, NULL, 0, -1);
}

static void handle_msg(struct guse_chip *chip, const void *buf, size_t n)
{
	const struct guse_msg_header *h = buf;
	const void *p = h + 1;
	unsigned int nw = chip->num_words, i;
	struct guse_request *req;
	uint16_t op;
	size_t plen;

	if (n < sizeof(*h))
		return;
	op = le16toh(h->opcode);
	if (le32toh(h->len) != n || h->error) {
		reject(chip, h, EINVAL);
		return;
	}
	plen = payload_size(op, nw);
	if (op == GUSE_OP_WAKEUP)
		return;		/* guse_chip_run() checks why it woke */
	if (!plen) {
		/* READY again, CREATE, SET_INPUTS, or a future opcode */
		reject(chip, h, EOPNOTSUPP);
		return;
	}
	if (n - sizeof(*h) != plen) {
		reject(chip, h, EINVAL);
		return;
	}
	if (op == GUSE_OP_CONSUMER) {
		if (h->id || !(le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
			return;
		handle_consumer(chip, p);
		return;
	}
	if (!h->id || (le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
		return;		/* a request that cannot be answered */

	req = calloc(1, sizeof(*req) + 2 * nw * sizeof(uint64_t));
	if (!req) {
		reject(chip, h, ENOMEM);
		return;
	}
	req->chip = chip;
	req->id = le64toh(h->id);
	req->opcode = op;

	if (op == GUSE_OP_GET_VALUES || op == GUSE_OP_SET_VALUES) {
		const struct guse_bitmap *bm = p;
		unsigned int words = op == GUSE_OP_GET_VALUES ? nw : 2 * nw;

		if (le32toh(bm->num_words) != nw)
			goto invalid;
		for (i = 0; i < words; i++) {
			uint64_t w;

			memcpy(&w, &bm->words[i], sizeof(w));
			req->words[i] = le64toh(w);
		}
		if (bits_beyond(chip, req->words) ||
		    (op == GUSE_OP_SET_VALUES &&
		     bits_beyond(chip, req->words + nw)))
			goto invalid;
		if (op == GUSE_OP_SET_VALUES)
			for (i = 0; i < nw; i++)
				req->words[nw + i] &= req->words[i];
	} else {
		/* every other payload starts with the line */
		req->line = le32toh(*(const uint32_t *)p);
		if (req->line >= chip->num_lines)
			goto invalid;
		switch (op) {
		case GUSE_OP_REQUEST:
			guse_copy_str(req->consumer,
				 ((const struct guse_line_consumer *)p)->consumer);
			break;
		case GUSE_OP_DIRECTION_OUTPUT:
			req->value = !!le32toh(
				((const struct guse_line_value *)p)->value);
			break;
		case GUSE_OP_SET_CONFIG: {
			const struct guse_set_config *c = p;

			req->value = le32toh(c->param);
			req->arg = le32toh(c->arg);
			if (req->value < GUSE_CONFIG_BIAS_DISABLE ||
			    req->value > GUSE_CONFIG_INPUT_DEBOUNCE)
				goto notsupp;
			break;
		}
		case GUSE_OP_IRQ_CONFIG: {
			const struct guse_irq_config *c = p;

			req->value = le32toh(c->type);
			req->arg = le32toh(c->flags);
			switch (req->value) {
			case GUSE_IRQ_TYPE_NONE:
			case GUSE_IRQ_TYPE_EDGE_RISING:
			case GUSE_IRQ_TYPE_EDGE_FALLING:
			case GUSE_IRQ_TYPE_EDGE_BOTH:
			case GUSE_IRQ_TYPE_LEVEL_HIGH:
			case GUSE_IRQ_TYPE_LEVEL_LOW:
				break;
			default:
				goto invalid;
			}
			break;
		}
		default:
			break;
		}
	}

	pthread_mutex_lock(&chip->lock);
	req->next = chip->pending;
	if (req->next)
		req->next->prev = req;
	chip->pending = req;
	chip->refs++;			/* the request's */
	req->in_callback = true;
	pthread_mutex_unlock(&chip->lock);

	/* from here on the request may be answered any time, from any thread */
	if (!call_back(chip, req))
		guse_reply_default(req);
	callback_done(req);
	return;

invalid:
	free(req);
	reject(chip, h, EINVAL);
	return;
notsupp:
	free(req);
	reject(chip, h, EOPNOTSUPP);
}

int guse_chip_handle_one(struct guse_chip *chip)
{
	union {
		struct guse_msg_header hdr;
		uint64_t align;
		uint8_t buf[GUSE_READ_SIZE_MIN];
	} u;
	/* the file is read in this thread only: chip->fd without the lock */
	ssize_t n = read(chip->fd, u.buf, sizeof(u.buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		errno = ENODEV;	/* the other end went away */
		return -1;
	}
	handle_msg(chip, u.buf, (size_t)n);
	return 1;
}

/* guse_chip_dispatch_some() with a reference held. */
static int dispatch(struct guse_chip *chip, int max)
{
	int count = 0;

	while ((max < 0 || count < max) && !guse_chip_is_dead(chip)) {
		int ret;

		errno = 0;
		ret = guse_chip_handle_one(chip);
		if (ret < 0)
			return -1;
		if (!ret && errno == EINTR)
			continue;
		if (!ret)
			break;
		count++;
	}
	return count;
}

int guse_chip_dispatch_some(struct guse_chip *chip, int max)
{
	int ret;

	guse_chip_ref(chip);	/* a callback may free the chip */
	ret = dispatch(chip, max);
	guse_chip_unref(chip);
	return ret;
}

GUSE_API int guse_chip_dispatch(struct guse_chip *chip)
{
	return guse_chip_dispatch_some(chip, -1);
}
