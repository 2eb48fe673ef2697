/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gpiod-user: the consumer side of the VM tests as users write it, with
 * libgpiod v2's C API.  Every function returns NULL or -1 with errno as
 * libgpiod left it, so a test sees the errno a user would see.
 */
#ifndef GUSE_TESTS_GPIOD_USER_H
#define GUSE_TESTS_GPIOD_USER_H

#include <gpiod.h>
#include <stddef.h>

#define USER_LINES_MAX 64

/*
 * One line request: @num lines, the offsets in @offsets or else @first,
 * @first + 1, ...; all with the same settings.  A zero enum leaves
 * libgpiod's default (as is, no edges, as is, push-pull).
 */
struct user_req {
	unsigned int first, num;
	const unsigned int *offsets;
	enum gpiod_line_direction direction;
	enum gpiod_line_edge edge;
	enum gpiod_line_bias bias;
	enum gpiod_line_drive drive;
	unsigned long debounce_us;
	const enum gpiod_line_value *values;	/* per-line outputs, or NULL */
	size_t event_buffer_size;		/* 0: libgpiod's default */
	const char *consumer;
};

/* Opens /dev/<@chip_name> (e.g. "gpiochip3"). */
struct gpiod_chip *user_chip_open(const char *chip_name);
struct gpiod_line_request *user_request(struct gpiod_chip *chip,
					const struct user_req *r);
/* Changes the lines of @req to what @r says (its offsets must be @req's). */
int user_reconfigure(struct gpiod_line_request *req, const struct user_req *r);
/*
 * What a one-shot user does: opens the chip, requests, releases, closes.
 * Returns 0 or the errno of the step that failed.
 */
int user_request_once(const char *chip_name, const struct user_req *r);

#endif /* GUSE_TESTS_GPIOD_USER_H */
