// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libguse: the device side of a chip (protocol 1.1): the state of its lines
 * at creation, and what the modelled controller itself does to them later
 * -- direction changes and claims -- reported to the kernel, which shows
 * them to host tools.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------------ */
/* creation */

static bool configured(const struct guse_chip_config *cfg)
{
	return cfg->lines_size > 0;
}

size_t guse_line_init_size(const struct guse_chip_config *cfg,
			   unsigned int num_lines)
{
	size_t len = (size_t)num_lines * sizeof(struct guse_line_init);
	unsigned int i;

	if (!configured(cfg))
		return 0;
	for (i = 0; i < cfg->lines_size; i++)
		if (cfg->lines[i].hog[0])
			len += GUSE_NAME_SIZE;
	return len;
}

void guse_line_init_fill(const struct guse_chip_config *cfg,
			 unsigned int num_lines, void *buf)
{
	struct guse_line_init *init = buf;
	char (*hog)[GUSE_NAME_SIZE] = (void *)(init + num_lines);
	unsigned int i;

	for (i = 0; i < cfg->lines_size && i < num_lines; i++) {
		const struct guse_line_config *l = &cfg->lines[i];
		bool out = l->direction == GUSE_LINE_DIRECTION_OUTPUT;
		uint32_t flags = 0;

		/* the kernel refuses an invalid line with anything else */
		if (l->invalid)
			flags = GUSE_LINE_INIT_F_INVALID;
		if (out)
			flags |= GUSE_LINE_INIT_F_OUTPUT |
				 (l->value ? GUSE_LINE_INIT_F_VALUE : 0);
		else if (l->pull && !l->invalid)
			flags |= GUSE_LINE_INIT_F_VALUE;
		if (l->hog[0]) {
			flags |= GUSE_LINE_INIT_F_HOG;
			memcpy(*hog++, l->hog, GUSE_NAME_SIZE);
		}
		init[i].flags = htole32(flags);
	}
}

void guse_line_init_apply(struct guse_chip *chip,
			  const struct guse_chip_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->lines_size && i < chip->num_lines; i++) {
		const struct guse_line_config *c = &cfg->lines[i];
		struct guse_line_state *l = &chip->lines[i];

		l->pull = c->pull;
		if (c->direction == GUSE_LINE_DIRECTION_OUTPUT) {
			l->direction = GUSE_LINE_DIRECTION_OUTPUT;
			l->output = c->value;
			l->dev_drive = 1;
		}
		if (c->hog[0]) {
			l->claimed = 1;
			memcpy(l->consumer, c->hog, GUSE_NAME_SIZE);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* changes */

/*
 * Sends one device-side notification.  The kernel applies it without
 * asking the server anything, so chip->lock can be held across the write:
 * a request answered by another thread right after it sees the new state.
 * @update runs under the lock if the kernel took the message.
 */
static int notify(struct guse_chip *chip, uint16_t op, const void *payload,
		  size_t plen, void (*update)(struct guse_line_state *l,
					      const void *payload),
		  unsigned int line)
{
	struct {
		struct guse_msg_header hdr;
		union {
			struct guse_line line;
			struct guse_line_consumer consumer;
			struct guse_device_direction direction;
		} u;
	} msg;
	size_t len = sizeof(msg.hdr) + plen;
	int ret, err;

	guse_fill_header(&msg.hdr, len, op, 0, 0);
	memcpy(&msg.u, payload, plen);
	pthread_mutex_lock(&chip->lock);
	if (chip->fd < 0) {
		ret = -1;
		errno = ENODEV;
	} else {
		ret = guse_write_msg(chip->fd, &msg, len);
	}
	err = errno;
	if (!ret)
		update(&chip->lines[line], payload);
	pthread_mutex_unlock(&chip->lock);
	errno = err;
	return ret;
}

static void update_direction(struct guse_line_state *l, const void *payload)
{
	const struct guse_device_direction *d = payload;

	if (le32toh(d->direction) == GUSE_DIRECTION_OUTPUT) {
		l->direction = GUSE_LINE_DIRECTION_OUTPUT;
		l->output = (uint8_t)le32toh(d->value);
		l->dev_drive = 1;
	} else {
		l->direction = GUSE_LINE_DIRECTION_INPUT;
		l->dev_drive = 0;
	}
}

GUSE_API int guse_chip_set_direction(struct guse_chip *chip, unsigned int line,
				     int direction, int value)
{
	struct guse_device_direction d = { .line = htole32(line) };

	if (line >= chip->num_lines ||
	    (direction != GUSE_LINE_DIRECTION_INPUT &&
	     direction != GUSE_LINE_DIRECTION_OUTPUT) ||
	    (direction == GUSE_LINE_DIRECTION_OUTPUT &&
	     value != 0 && value != 1)) {
		errno = EINVAL;
		return -1;
	}
	if (direction == GUSE_LINE_DIRECTION_OUTPUT) {
		d.direction = htole32(GUSE_DIRECTION_OUTPUT);
		d.value = htole32((uint32_t)value);
	} else {
		/* the kernel holds the level an input reads: its pull */
		d.direction = htole32(GUSE_DIRECTION_INPUT);
		pthread_mutex_lock(&chip->lock);
		d.value = htole32(chip->lines[line].pull);
		pthread_mutex_unlock(&chip->lock);
	}
	return notify(chip, GUSE_OP_LINE_DIRECTION, &d, sizeof(d),
		      update_direction, line);
}

static void update_claim(struct guse_line_state *l, const void *payload)
{
	const struct guse_line_consumer *c = payload;

	l->claimed = 1;
	memcpy(l->consumer, c->consumer, GUSE_NAME_SIZE);
}

GUSE_API int guse_chip_claim_line(struct guse_chip *chip, unsigned int line,
				  const char *consumer)
{
	struct guse_line_consumer c = { .line = htole32(line) };
	size_t len = consumer ? strlen(consumer) : 0;

	if (line >= chip->num_lines || !len || len >= GUSE_NAME_SIZE) {
		errno = EINVAL;
		return -1;
	}
	memcpy(c.consumer, consumer, len);
	return notify(chip, GUSE_OP_CLAIM, &c, sizeof(c), update_claim, line);
}

static void update_unclaim(struct guse_line_state *l, const void *payload)
{
	(void)payload;
	l->claimed = 0;
	memset(l->consumer, 0, GUSE_NAME_SIZE);
}

GUSE_API int guse_chip_unclaim_line(struct guse_chip *chip, unsigned int line)
{
	struct guse_line l = { .line = htole32(line) };

	if (line >= chip->num_lines) {
		errno = EINVAL;
		return -1;
	}
	return notify(chip, GUSE_OP_UNCLAIM, &l, sizeof(l), update_unclaim,
		      line);
}
