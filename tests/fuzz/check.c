// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/check.c: the chip works and goes away (see check.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../gpiod-user.h"
#include "check.h"

#define WAIT_NS		5000000000LL	/* for an edge event */
#define LINES_PER_REQ	USER_LINES_MAX	/* GPIO_V2_LINES_MAX */

static struct gpiod_line_request *
request(struct gpiod_chip *chip, const unsigned int *lines, unsigned int n,
	enum gpiod_line_direction dir, enum gpiod_line_edge edge)
{
	static const enum gpiod_line_value high[USER_LINES_MAX] = {
		GPIOD_LINE_VALUE_ACTIVE,
	};
	struct user_req r = {
		.offsets = lines, .num = n, .direction = dir, .edge = edge,
		.values = dir == GPIOD_LINE_DIRECTION_OUTPUT ? high : NULL,
		.consumer = "fuzz-check",
	};

	return user_request(chip, &r);
}

/* The level the server drives @line to, -1 if it is not an output there. */
static int server_output(struct fz_server *s, unsigned int line)
{
	uint64_t bit = 1ULL << (line % 64);
	int v;

	pthread_mutex_lock(&s->lock);
	v = s->seen.is_output[line / 64] & bit ?
	    !!(s->seen.outputs[line / 64] & bit) : -1;
	pthread_mutex_unlock(&s->lock);
	return v;
}

static int inject(struct fz_server *s, unsigned int line, bool level)
{
	uint64_t mask[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };

	mask[line / 64] = 1ULL << (line % 64);
	vals[line / 64] = level ? mask[line / 64] : 0;
	return fz_server_set_inputs(s, mask, vals);
}

static int check_output(struct gpiod_chip *chip, struct fz_server *s,
			unsigned int line, char *why, size_t len)
{
	struct gpiod_line_request *req;
	int ret = -1, v;

	req = request(chip, &line, 1, GPIOD_LINE_DIRECTION_OUTPUT,
		      GPIOD_LINE_EDGE_NONE);
	if (!req) {
		snprintf(why, len, "request of line %u as output: %m", line);
		return -1;
	}
	for (v = 1; v >= 0; v--) {
		if (v == 0 && gpiod_line_request_set_value(req, line, v)) {
			snprintf(why, len, "set line %u: %m", line);
			goto out;
		}
		if (server_output(s, line) != v) {
			snprintf(why, len, "server sees line %u at %d, not %d",
				 line, server_output(s, line), v);
			goto out;
		}
		if ((int)gpiod_line_request_get_value(req, line) != v) {
			snprintf(why, len, "line %u does not read back %d: %m",
				 line, v);
			goto out;
		}
	}
	ret = 0;
out:
	gpiod_line_request_release(req);
	return ret;
}

static int expect_edge(struct gpiod_line_request *req, unsigned int line,
		       enum gpiod_edge_event_type type, char *why, size_t len)
{
	struct gpiod_edge_event_buffer *buf = gpiod_edge_event_buffer_new(1);
	struct gpiod_edge_event *ev;
	int ret = -1;

	if (!buf)
		return -1;
	if (gpiod_line_request_wait_edge_events(req, WAIT_NS) != 1 ||
	    gpiod_line_request_read_edge_events(req, buf, 1) != 1) {
		snprintf(why, len, "no edge event on line %u", line);
		goto out;
	}
	ev = gpiod_edge_event_buffer_get_event(buf, 0);
	if (gpiod_edge_event_get_event_type(ev) != type ||
	    gpiod_edge_event_get_line_offset(ev) != line) {
		snprintf(why, len, "edge event type %d on line %u, expected %d on %u",
			 gpiod_edge_event_get_event_type(ev),
			 gpiod_edge_event_get_line_offset(ev), type, line);
		goto out;
	}
	ret = 0;
out:
	gpiod_edge_event_buffer_free(buf);
	return ret;
}

static int check_input(struct gpiod_chip *chip, struct fz_server *s,
		       unsigned int line, char *why, size_t len)
{
	struct gpiod_line_request *req;
	int ret = -1;

	if (inject(s, line, false)) {
		snprintf(why, len, "SET_INPUTS: %m");
		return -1;
	}
	req = request(chip, &line, 1, GPIOD_LINE_DIRECTION_INPUT,
		      GPIOD_LINE_EDGE_BOTH);
	if (!req) {
		snprintf(why, len, "request of line %u as input: %m", line);
		return -1;
	}
	if (inject(s, line, true) ||
	    expect_edge(req, line, GPIOD_EDGE_EVENT_RISING_EDGE, why, len))
		goto out;
	if (gpiod_line_request_get_value(req, line) != GPIOD_LINE_VALUE_ACTIVE) {
		snprintf(why, len, "line %u does not read the injected high", line);
		goto out;
	}
	if (inject(s, line, false) ||
	    expect_edge(req, line, GPIOD_EDGE_EVENT_FALLING_EDGE, why, len))
		goto out;
	ret = 0;
out:
	gpiod_line_request_release(req);
	return ret;
}

/* No line is left requested by an earlier failure (invalid lines aside). */
static int check_all_free(struct gpiod_chip *chip, const struct fz_server *s,
			  char *why, size_t len)
{
	unsigned int lines[LINES_PER_REQ], line = 0, n;
	struct gpiod_line_request *req;

	while (line < s->ngpio) {
		for (n = 0; n < LINES_PER_REQ && line < s->ngpio; line++)
			if (!(s->invalid[line / 64] >> (line % 64) & 1))
				lines[n++] = line;
		if (!n)
			break;
		req = request(chip, lines, n, GPIOD_LINE_DIRECTION_INPUT,
			      GPIOD_LINE_EDGE_NONE);
		if (!req) {
			snprintf(why, len, "request of lines %u-%u: %m",
				 lines[0], lines[n - 1]);
			return -1;
		}
		gpiod_line_request_release(req);
	}
	return 0;
}

static bool bit(const uint64_t *map, unsigned int line)
{
	return map[line / 64] >> (line % 64) & 1;
}

int fz_check_lines(const char *chip_name, unsigned int ngpio,
		   const uint64_t *invalid, const uint64_t *claimed,
		   const uint64_t *is_output, const uint64_t *host, char *why,
		   size_t len)
{
	struct gpiod_line_info *info;
	struct gpiod_chip *chip;
	unsigned int line;
	bool used, out;
	int ret = -1;

	chip = user_chip_open(chip_name);
	if (!chip) {
		snprintf(why, len, "open %s: %m", chip_name);
		return -1;
	}
	for (line = 0; line < ngpio; line++) {
		info = gpiod_chip_get_line_info(chip, line);
		if (!info) {
			snprintf(why, len, "line info of line %u: %m", line);
			goto out;
		}
		used = gpiod_line_info_is_used(info);
		out = gpiod_line_info_get_direction(info) ==
		      GPIOD_LINE_DIRECTION_OUTPUT;
		gpiod_line_info_free(info);
		if (used != (bit(invalid, line) || bit(claimed, line))) {
			snprintf(why, len, "line %u is %sused, but %s", line,
				 used ? "" : "not ",
				 bit(invalid, line) ? "invalid" :
				 bit(claimed, line) ? "claimed" :
				 "neither claimed nor invalid");
			goto out;
		}
		if (!bit(invalid, line) && !bit(host, line) &&
		    out != bit(is_output, line)) {
			snprintf(why, len, "line %u is an %s, not an %s", line,
				 out ? "output" : "input",
				 out ? "input" : "output");
			goto out;
		}
	}
	ret = 0;
out:
	gpiod_chip_close(chip);
	return ret;
}

int fz_check_chip(struct fz_server *s, unsigned int out_line,
		  unsigned int in_line, char *why, size_t len)
{
	struct gpiod_chip *chip;
	int ret;

	/*
	 * After a request timed out, new ones fail at once until the server
	 * reads or writes (protocol.rst, ETIMEDOUT): a reply to an id nobody
	 * waits for is such a write.
	 */
	ret = raw_send_msg(s->fd, GUSE_OP_REQUEST, ~0ULL, 0, NULL, 0);
	if (ret != -ENOENT) {
		snprintf(why, len, "reply to id %llu: %s, not ENOENT",
			 ~0ULL, strerror(-ret));
		return -1;
	}
	chip = user_chip_open(s->ready.chip_name);
	if (!chip) {
		snprintf(why, len, "open %s: %m", s->ready.chip_name);
		return -1;
	}
	ret = check_output(chip, s, out_line, why, len);
	if (!ret)
		ret = check_input(chip, s, in_line, why, len);
	if (!ret)
		ret = check_all_free(chip, s, why, len);
	gpiod_chip_close(chip);
	return ret;
}

static bool exists(const char *fmt, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), fmt, name);
	return !stat(path, &st);
}

bool fz_chip_present(const struct guse_ready *r)
{
	return exists("/dev/%s", r->chip_name) &&
	       exists("/sys/class/guse/%s", r->dev_name);
}

bool fz_chip_gone(const struct guse_ready *r, int ms)
{
	struct timespec ts = { 0, 5000000 };

	for (; ms > 0; ms -= 5) {
		if (!exists("/dev/%s", r->chip_name) &&
		    !exists("/sys/class/guse/%s", r->dev_name))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}
