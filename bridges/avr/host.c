// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-avr, the host side: the chip's callbacks.  They run in the main
 * thread (guse_chip_run()), record what a host consumer does to a line and
 * hand every change of the wire to the simulation thread, which answers the
 * request once the AVR has seen the change and run the settle time past it
 * (see sim.c).  Reads are answered here, from the wire's level.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guse-avr.h"

/*
 * The level of a line's wire, from what both sides do to it, strongest
 * first: a driver (the AVR's output, else the host's; when both drive, the
 * AVR wins and sim.c reports the contention), an external pull (the host
 * consumer's bias, else the board's --pull), the AVR's own pull-up (PORTx
 * set on an input), else 0.  bridge.lock held.
 */
int line_level(const struct bridge *b, unsigned int line)
{
	const struct avr_port *p = &b->ports[line / 8];
	const struct avr_line *l = &b->lines[line];
	uint8_t bit = (uint8_t)(1u << (line % 8));

	if (p->ddr & bit)
		return !!(p->port & bit);
	if (l->drive)
		return l->value;
	if (l->bias != PULL_NONE)
		return l->bias;
	if (l->board != PULL_NONE)
		return l->board;
	return !!(p->port & bit);
}

/* "PB5" into @buf (at least 4 bytes). */
const char *line_name(const struct bridge *b, unsigned int line, char *buf)
{
	snprintf(buf, 4, "P%c%u", b->ports[line / 8].name, line % 8);
	return buf;
}

void host_wake(struct bridge *b)
{
	uint64_t one = 1;

	/* async-signal-safe; a full counter is still readable, so no loss */
	if (write(b->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static struct bridge *bridge_of(struct guse_request *req)
{
	return guse_request_get_user_data(req);
}

/*
 * Hand @req, which changed the wire of the lines of @ports, to the
 * simulation; bridge.lock held.  Returns false when the queue is full: the
 * caller answers at once (the change still reaches the AVR, only without
 * the settle guarantee).
 */
static bool queue_locked(struct bridge *b, struct guse_request *req,
			 uint32_t ports)
{
	b->dirty |= ports;
	b->stats.host_requests++;
	if (b->num_pending == PENDING_MAX)
		return false;
	guse_request_defer(req);
	b->pending[b->num_pending++] = (struct pending){ .req = req };
	return true;
}

/* Unlocks, wakes the simulation and answers at once if it was not queued. */
static void queue_done(struct bridge *b, struct guse_request *req, bool queued)
{
	pthread_mutex_unlock(&b->lock);
	host_wake(b);
	if (!queued)
		guse_reply_ok(req);
}

static uint32_t port_of(unsigned int line)
{
	return 1u << (line / 8);
}

static void cb_request(struct guse_request *req, unsigned int line,
		       const char *consumer)
{
	char n[4];

	trace(bridge_of(req), 1, "host line=%s request consumer=\"%s\"",
	      line_name(bridge_of(req), line, n), consumer);
	guse_reply_default(req);
}

static void cb_consumer(struct guse_chip *chip, unsigned int line,
			const char *consumer)
{
	struct bridge *b = guse_chip_get_user_data(chip);
	char n[4];

	trace(b, 1, "host line=%s consumer=\"%s\"", line_name(b, line, n),
	      consumer);
}

static void cb_free(struct guse_request *req, unsigned int line)
{
	struct bridge *b = bridge_of(req);
	bool queued;
	char n[4];

	trace(b, 1, "host line=%s release", line_name(b, line, n));
	pthread_mutex_lock(&b->lock);
	if (!b->hold_outputs)
		b->lines[line].drive = false;
	queued = queue_locked(b, req, port_of(line));
	queue_done(b, req, queued);
}

static void cb_direction_input(struct guse_request *req, unsigned int line)
{
	struct bridge *b = bridge_of(req);
	bool queued;
	char n[4];

	trace(b, 1, "host line=%s input", line_name(b, line, n));
	pthread_mutex_lock(&b->lock);
	b->lines[line].drive = false;
	queued = queue_locked(b, req, port_of(line));
	queue_done(b, req, queued);
}

/* A host output on a pin the firmware drives is refused (EBUSY). */
static void cb_direction_output(struct guse_request *req, unsigned int line,
				int value)
{
	struct bridge *b = bridge_of(req);
	uint8_t bit = (uint8_t)(1u << (line % 8));
	bool queued;
	char n[4];

	pthread_mutex_lock(&b->lock);
	if (b->ports[line / 8].ddr & bit) {
		pthread_mutex_unlock(&b->lock);
		b->stats.busy_outputs++;
		trace(b, 1, "host line=%s output value=%d refused=busy "
		      "(the firmware drives it)", line_name(b, line, n), value);
		guse_reply_error(req, EBUSY);
		return;
	}
	trace(b, 1, "host line=%s output value=%d", line_name(b, line, n),
	      value);
	b->lines[line].drive = true;
	b->lines[line].value = (uint8_t)value;
	queued = queue_locked(b, req, port_of(line));
	queue_done(b, req, queued);
}

static void cb_set_values(struct guse_request *req, const uint64_t *mask,
			  const uint64_t *values)
{
	struct bridge *b = bridge_of(req);
	uint32_t ports = 0;
	unsigned int line;
	bool queued;
	char n[4];

	pthread_mutex_lock(&b->lock);
	for (line = 0; line < b->num_lines; line++) {
		if (!(mask[GUSE_BIT_WORD(line)] & GUSE_BIT_MASK(line)))
			continue;
		b->lines[line].value =
			!!(values[GUSE_BIT_WORD(line)] & GUSE_BIT_MASK(line));
		ports |= port_of(line);
		trace(b, 1, "host line=%s value=%d", line_name(b, line, n),
		      b->lines[line].value);
	}
	queued = queue_locked(b, req, ports);
	queue_done(b, req, queued);
}

/*
 * A bias is the host's pull on the wire.  Drives other than push-pull and
 * debounce are declined, so that gpiolib emulates them: open drain becomes
 * an input for 1, which then reads the wire.
 */
static void cb_set_config(struct guse_request *req, unsigned int line,
			  enum guse_line_param param, uint32_t arg)
{
	struct bridge *b = bridge_of(req);
	int8_t bias;
	bool queued;
	char n[4];

	(void)arg;
	switch (param) {
	case GUSE_LINE_PARAM_BIAS_PULL_UP:
		bias = PULL_UP;
		break;
	case GUSE_LINE_PARAM_BIAS_PULL_DOWN:
		bias = PULL_DOWN;
		break;
	case GUSE_LINE_PARAM_BIAS_DISABLE:
		bias = PULL_NONE;
		break;
	case GUSE_LINE_PARAM_DRIVE_PUSH_PULL:
		guse_reply_ok(req);
		return;
	default:
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	trace(b, 1, "host line=%s bias=%s", line_name(b, line, n),
	      bias == PULL_UP ? "pull-up" :
	      bias == PULL_DOWN ? "pull-down" : "disabled");
	pthread_mutex_lock(&b->lock);
	b->lines[line].bias = bias;
	queued = queue_locked(b, req, port_of(line));
	queue_done(b, req, queued);
}

/*
 * Only lines the kernel has as outputs come here (host outputs and pins
 * the firmware drives); they read the wire, as a GPIO controller reads its
 * pad.  Inputs are answered by the kernel from the injected levels.
 */
static void cb_get_values(struct guse_request *req, const uint64_t *mask)
{
	struct bridge *b = bridge_of(req);
	uint64_t values[GUSE_BITMAP_WORDS(AVR_LINES_MAX)] = { 0 };
	unsigned int line;

	pthread_mutex_lock(&b->lock);
	for (line = 0; line < b->num_lines; line++)
		if ((mask[GUSE_BIT_WORD(line)] & GUSE_BIT_MASK(line)) &&
		    line_level(b, line))
			values[GUSE_BIT_WORD(line)] |= GUSE_BIT_MASK(line);
	pthread_mutex_unlock(&b->lock);
	b->stats.host_reads++;
	guse_reply_values(req, values);
}

const struct guse_chip_ops host_ops = {
	.request = cb_request,
	.free = cb_free,
	.consumer = cb_consumer,
	.direction_input = cb_direction_input,
	.direction_output = cb_direction_output,
	.get_values = cb_get_values,
	.set_values = cb_set_values,
	.set_config = cb_set_config,
};
