// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpiod-user: line requests through libgpiod v2, for the VM tests.
 */
#include <errno.h>
#include <stdio.h>

#include "gpiod-user.h"

struct gpiod_chip *user_chip_open(const char *chip_name)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/%s", chip_name);
	return gpiod_chip_open(path);
}

static struct gpiod_line_settings *make_settings(const struct user_req *r)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();

	if (!s)
		return NULL;
	if ((r->direction && gpiod_line_settings_set_direction(s, r->direction)) ||
	    (r->edge && gpiod_line_settings_set_edge_detection(s, r->edge)) ||
	    (r->bias && gpiod_line_settings_set_bias(s, r->bias)) ||
	    (r->drive && gpiod_line_settings_set_drive(s, r->drive))) {
		gpiod_line_settings_free(s);
		return NULL;
	}
	gpiod_line_settings_set_debounce_period_us(s, r->debounce_us);
	return s;
}

static struct gpiod_line_config *make_line_config(const struct user_req *r)
{
	unsigned int offsets[USER_LINES_MAX], i;
	struct gpiod_line_settings *s;
	struct gpiod_line_config *lc;
	int ret = -1;

	if (!r->num || r->num > USER_LINES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < r->num; i++)
		offsets[i] = r->offsets ? r->offsets[i] : r->first + i;
	s = make_settings(r);
	lc = gpiod_line_config_new();
	if (s && lc &&
	    !gpiod_line_config_add_line_settings(lc, offsets, r->num, s))
		ret = r->values ? gpiod_line_config_set_output_values(lc,
							r->values, r->num) : 0;
	gpiod_line_settings_free(s);
	if (ret) {
		gpiod_line_config_free(lc);
		return NULL;
	}
	return lc;
}

struct gpiod_line_request *user_request(struct gpiod_chip *chip,
					const struct user_req *r)
{
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_config *lc = make_line_config(r);
	struct gpiod_line_request *req = NULL;
	int err = errno;

	if (rc && lc) {
		if (r->consumer)
			gpiod_request_config_set_consumer(rc, r->consumer);
		if (r->event_buffer_size)
			gpiod_request_config_set_event_buffer_size(rc,
							r->event_buffer_size);
		req = gpiod_chip_request_lines(chip, rc, lc);
		err = errno;
	}
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	errno = err;
	return req;
}

int user_reconfigure(struct gpiod_line_request *req, const struct user_req *r)
{
	struct gpiod_line_config *lc = make_line_config(r);
	int ret = -1, err = errno;

	if (lc) {
		ret = gpiod_line_request_reconfigure_lines(req, lc);
		err = errno;
	}
	gpiod_line_config_free(lc);
	errno = err;
	return ret;
}

int user_request_once(const char *chip_name, const struct user_req *r)
{
	struct gpiod_line_request *req;
	struct gpiod_chip *chip;
	int err = 0;

	chip = user_chip_open(chip_name);
	if (!chip)
		return errno;
	req = user_request(chip, r);
	if (req)
		gpiod_line_request_release(req);
	else
		err = errno;
	gpiod_chip_close(chip);
	return err;
}
