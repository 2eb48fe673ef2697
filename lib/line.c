// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libguse: the simulated line model of the built-in state, after the
 * kernel's gpio-sim.
 *
 * Every line has a pull: the level the outside world gives it, set by the
 * server's injections and by a consumer's pull-up or pull-down bias.  A line
 * reads its pull unless a consumer drives it: an output of a requested line
 * (or of any line with hold_outputs, or when the kernel does not report
 * requests), except at the passive level of an open-drain or open-source
 * drive, where the line floats to its pull.
 */

#include <string.h>

#include "internal.h"

/* Whether the line's own output decides its level. */
static bool driven(const struct guse_chip *chip,
		   const struct guse_line_state *l)
{
	if (l->direction != GUSE_LINE_DIRECTION_OUTPUT)
		return false;
	if (l->drive == GUSE_CONFIG_DRIVE_OPEN_DRAIN && l->output)
		return false;
	if (l->drive == GUSE_CONFIG_DRIVE_OPEN_SOURCE && !l->output)
		return false;
	/* without REQUEST and FREE, a release goes unnoticed */
	return l->requested || l->dev_drive || chip->hold_outputs ||
	       !(chip->create_flags & GUSE_CREATE_F_REQUEST);
}

int guse_line_read(const struct guse_chip *chip,
		   const struct guse_line_state *l)
{
	return driven(chip, l) ? l->output : l->pull;
}

void guse_line_request(struct guse_chip *chip, struct guse_line_state *l,
		       const char *consumer)
{
	/*
	 * A released output that a consumer takes as it is (gpioget --as-is)
	 * drives the level it had, its pull, from now on, as in gpio-sim.
	 */
	if (l->direction == GUSE_LINE_DIRECTION_OUTPUT)
		l->output = (uint8_t)guse_line_read(chip, l);
	/* from now on the consumer drives it, not the device side */
	l->dev_drive = 0;
	l->requested = 1;
	memcpy(l->consumer, consumer, GUSE_NAME_SIZE);
}

void guse_line_release(struct guse_chip *chip, struct guse_line_state *l)
{
	l->requested = 0;
	memset(l->consumer, 0, GUSE_NAME_SIZE);
	/* gpiolib forgets the drive of a released line; the next consumer
	 * configures it again, or takes the line as it is */
	if (!chip->hold_outputs)
		l->drive = 0;
}
