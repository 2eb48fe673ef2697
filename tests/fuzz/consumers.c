// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/consumers.c: libgpiod consumers of the fuzzed chip (see
 * consumers.h).  Every libgpiod call is bracketed by op_begin()/op_ok(), so
 * that the main thread sees a call that does not return and every failure
 * is checked against the allowed errnos.  After a failed call the request
 * is released and made again, since its state is then unknown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gpiod.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "consumers.h"

#define EVENT_BUF	16

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
report(struct fz_consumer *c, const char *fmt, ...)
{
	struct fz_consumers *g = c->group;
	va_list ap;

	pthread_mutex_lock(&g->lock);
	if (!g->failure[0]) {
		va_start(ap, fmt);
		vsnprintf(g->failure, sizeof(g->failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&g->lock);
}

static void op_begin(struct fz_consumer *c, const char *name)
{
	atomic_store(&c->op, name);
	atomic_store(&c->op_since, now_ms());
}

/* Ends the call; false if it failed (@failed), reporting unexpected errnos. */
static bool op_ok(struct fz_consumer *c, bool failed)
{
	struct fz_consumers *g = c->group;
	int err = errno;
	unsigned int i;

	atomic_store(&c->op_since, 0);
	atomic_fetch_add(&c->ops, 1);
	if (!failed)
		return true;
	atomic_fetch_add(&c->errors, 1);
	for (i = 0; i < g->nallowed; i++)
		if (g->allowed[i] == err) {
			if (i < 3)
				atomic_fetch_add(&c->errs[i], 1);
			return false;
		}
	report(c, "consumer %u: %s failed with %s (%s)", c->index,
	       atomic_load(&c->op), strerrorname_np(err), strerror(err));
	return false;
}

static const enum gpiod_line_bias biases[] = {
	GPIOD_LINE_BIAS_AS_IS, GPIOD_LINE_BIAS_DISABLED,
	GPIOD_LINE_BIAS_PULL_UP, GPIOD_LINE_BIAS_PULL_DOWN,
};
static const enum gpiod_line_drive drives[] = {
	GPIOD_LINE_DRIVE_PUSH_PULL, GPIOD_LINE_DRIVE_OPEN_DRAIN,
	GPIOD_LINE_DRIVE_OPEN_SOURCE,
};
static const enum gpiod_line_edge edges[] = {
	GPIOD_LINE_EDGE_NONE, GPIOD_LINE_EDGE_RISING,
	GPIOD_LINE_EDGE_FALLING, GPIOD_LINE_EDGE_BOTH,
};

/* Random valid settings for the consumer's lines; @out: which are outputs. */
static int random_config(struct fz_consumer *c, struct gpiod_line_config *lc,
			 bool *out)
{
	struct gpiod_line_settings *s;
	unsigned int i;
	int ret = 0;

	gpiod_line_config_reset(lc);
	for (i = 0; i < FZ_USER_LINES && !ret; i++) {
		s = gpiod_line_settings_new();
		if (!s)
			return -1;
		out[i] = fz_chance(&c->rng, 500);
		if (out[i]) {
			gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
			gpiod_line_settings_set_output_value(s, fz_below(&c->rng, 2) ?
				GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
			gpiod_line_settings_set_drive(s, drives[fz_below(&c->rng, 3)]);
		} else {
			gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
			gpiod_line_settings_set_edge_detection(s, edges[fz_below(&c->rng, 4)]);
			if (fz_chance(&c->rng, 150))
				gpiod_line_settings_set_debounce_period_us(s,
					fz_below(&c->rng, 5000) + 1);
		}
		gpiod_line_settings_set_bias(s, biases[fz_below(&c->rng, 4)]);
		gpiod_line_settings_set_active_low(s, fz_chance(&c->rng, 200));
		ret = gpiod_line_config_add_line_settings(lc, &c->lines[i], 1, s);
		gpiod_line_settings_free(s);
	}
	return ret;
}

static bool is_mine(const struct fz_consumer *c, unsigned int offset)
{
	unsigned int i;

	for (i = 0; i < FZ_USER_LINES; i++)
		if (c->lines[i] == offset)
			return true;
	return false;
}

/* Waits a little for edge events and checks the ones that came. */
static bool read_events(struct fz_consumer *c, struct gpiod_line_request *req,
			struct gpiod_edge_event_buffer *buf)
{
	struct gpiod_edge_event *ev;
	int n, i, type;

	op_begin(c, "gpiod_line_request_wait_edge_events");
	n = gpiod_line_request_wait_edge_events(req,
			(int64_t)fz_below(&c->rng, 20) * 1000000);
	if (!op_ok(c, n < 0) || !n)
		return n == 0;
	op_begin(c, "gpiod_line_request_read_edge_events");
	n = gpiod_line_request_read_edge_events(req, buf, EVENT_BUF);
	if (!op_ok(c, n < 0))
		return false;
	for (i = 0; i < n; i++) {
		ev = gpiod_edge_event_buffer_get_event(buf, i);
		type = gpiod_edge_event_get_event_type(ev);
		if (!is_mine(c, gpiod_edge_event_get_line_offset(ev)) ||
		    (type != GPIOD_EDGE_EVENT_RISING_EDGE &&
		     type != GPIOD_EDGE_EVENT_FALLING_EDGE))
			report(c, "consumer %u: edge event of line %u type %d",
			       c->index, gpiod_edge_event_get_line_offset(ev),
			       type);
	}
	atomic_fetch_add(&c->events, n);
	return true;
}

/* One operation on a held request; false when it failed. */
static bool use_request(struct fz_consumer *c, struct gpiod_chip *chip,
			struct gpiod_line_request *req,
			struct gpiod_line_config *lc, bool *out,
			struct gpiod_edge_event_buffer *buf)
{
	enum gpiod_line_value vals[FZ_USER_LINES];
	unsigned int i = fz_below(&c->rng, FZ_USER_LINES), n = 0;
	unsigned int offs[FZ_USER_LINES];
	struct gpiod_line_info *info;
	bool tmp[FZ_USER_LINES];
	int ret;

	switch (fz_below(&c->rng, 6)) {
	case 0:
		op_begin(c, "gpiod_line_request_get_values");
		return op_ok(c, gpiod_line_request_get_values(req, vals) < 0);
	case 1:
		if (!out[i])
			return true;
		op_begin(c, "gpiod_line_request_set_value");
		return op_ok(c, gpiod_line_request_set_value(req, c->lines[i],
				fz_below(&c->rng, 2)) < 0);
	case 2:
		for (i = 0; i < FZ_USER_LINES; i++)
			if (out[i]) {
				offs[n] = c->lines[i];
				vals[n++] = fz_below(&c->rng, 2);
			}
		if (!n)
			return true;
		op_begin(c, "gpiod_line_request_set_values_subset");
		return op_ok(c, gpiod_line_request_set_values_subset(req, n, offs,
								      vals) < 0);
	case 3:
		if (random_config(c, lc, tmp))
			return false;
		op_begin(c, "gpiod_line_request_reconfigure_lines");
		ret = gpiod_line_request_reconfigure_lines(req, lc);
		if (!op_ok(c, ret < 0))
			return false;
		memcpy(out, tmp, sizeof(tmp));
		return true;
	case 4:
		return read_events(c, req, buf);
	default:
		op_begin(c, "gpiod_chip_get_line_info");
		info = gpiod_chip_get_line_info(chip, c->lines[i]);
		if (!op_ok(c, !info))
			return false;
		if (!gpiod_line_info_is_used(info))
			report(c, "consumer %u: requested line %u is not used",
			       c->index, c->lines[i]);
		gpiod_line_info_free(info);
		return true;
	}
}

static void user_loop(struct fz_consumer *c, struct gpiod_chip *chip)
{
	struct gpiod_edge_event_buffer *buf = gpiod_edge_event_buffer_new(EVENT_BUF);
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_line_request *req;
	bool out[FZ_USER_LINES];
	char label[32];
	unsigned int k;

	if (!buf || !rc || !lc) {
		report(c, "consumer %u: out of memory", c->index);
		goto out;
	}
	snprintf(label, sizeof(label), "fuzz-%u", c->index);
	gpiod_request_config_set_consumer(rc, label);
	gpiod_request_config_set_event_buffer_size(rc, EVENT_BUF);
	while (!atomic_load(&c->group->stop)) {
		if (random_config(c, lc, out))
			break;
		op_begin(c, "gpiod_chip_request_lines");
		req = gpiod_chip_request_lines(chip, rc, lc);
		if (!op_ok(c, !req))
			continue;
		for (k = fz_below(&c->rng, 8) + 1; k; k--)
			if (!use_request(c, chip, req, lc, out, buf))
				break;
		op_begin(c, "gpiod_line_request_release");
		gpiod_line_request_release(req);
		op_ok(c, false);
	}
out:
	gpiod_line_config_free(lc);
	gpiod_request_config_free(rc);
	gpiod_edge_event_buffer_free(buf);
}

static void check_info_event(struct fz_consumer *c, struct gpiod_info_event *ev)
{
	struct gpiod_line_info *info = gpiod_info_event_get_line_info(ev);
	int type = gpiod_info_event_get_event_type(ev);

	if ((type != GPIOD_INFO_EVENT_LINE_REQUESTED &&
	     type != GPIOD_INFO_EVENT_LINE_RELEASED &&
	     type != GPIOD_INFO_EVENT_LINE_CONFIG_CHANGED) ||
	    gpiod_line_info_get_offset(info) >= c->group->ngpio)
		report(c, "watcher: info event type %d for line %u", type,
		       gpiod_line_info_get_offset(info));
	atomic_fetch_add(&c->events, 1);
}

static void watch_loop(struct fz_consumer *c, struct gpiod_chip *chip)
{
	bool watched[1024] = { false };
	unsigned int line, ngpio = c->group->ngpio;
	struct gpiod_info_event *ev;
	struct gpiod_line_info *info;
	struct gpiod_chip_info *ci;
	int n;

	while (!atomic_load(&c->group->stop)) {
		line = fz_below(&c->rng, ngpio);
		switch (fz_below(&c->rng, 4)) {
		case 0:
			if (watched[line]) {
				op_begin(c, "gpiod_chip_unwatch_line_info");
				op_ok(c, gpiod_chip_unwatch_line_info(chip, line) < 0);
				watched[line] = false;
				break;
			}
			op_begin(c, "gpiod_chip_watch_line_info");
			info = gpiod_chip_watch_line_info(chip, line);
			if (op_ok(c, !info))
				gpiod_line_info_free(info);
			watched[line] = true;
			break;
		case 1:
			op_begin(c, "gpiod_chip_wait_info_event");
			n = gpiod_chip_wait_info_event(chip,
					(int64_t)fz_below(&c->rng, 10) * 1000000);
			if (!op_ok(c, n < 0) || !n)
				break;
			op_begin(c, "gpiod_chip_read_info_event");
			ev = gpiod_chip_read_info_event(chip);
			if (!op_ok(c, !ev))
				break;
			check_info_event(c, ev);
			gpiod_info_event_free(ev);
			break;
		case 2:
			op_begin(c, "gpiod_chip_get_line_info");
			info = gpiod_chip_get_line_info(chip, line);
			if (!op_ok(c, !info))
				break;
			if (gpiod_line_info_get_offset(info) != line)
				report(c, "watcher: info of line %u for line %u",
				       gpiod_line_info_get_offset(info), line);
			gpiod_line_info_free(info);
			break;
		default:
			op_begin(c, "gpiod_chip_get_info");
			ci = gpiod_chip_get_info(chip);
			if (!op_ok(c, !ci))
				break;
			if (gpiod_chip_info_get_num_lines(ci) != ngpio)
				report(c, "watcher: chip has %zu lines, not %u",
				       gpiod_chip_info_get_num_lines(ci), ngpio);
			gpiod_chip_info_free(ci);
			break;
		}
	}
}

static void *consumer_thread(void *arg)
{
	struct fz_consumer *c = arg;
	struct gpiod_chip *chip;

	op_begin(c, "gpiod_chip_open");
	chip = gpiod_chip_open(c->group->chip_path);
	if (!op_ok(c, !chip))
		return NULL;
	if (c->watcher)
		watch_loop(c, chip);
	else
		user_loop(c, chip);
	op_begin(c, "gpiod_chip_close");
	gpiod_chip_close(chip);
	op_ok(c, false);
	return NULL;
}

int fz_consumers_start(struct fz_consumers *g, const char *chip_name,
		       unsigned int ngpio, const unsigned int *lines,
		       unsigned int users, uint64_t seed, const int *allowed,
		       unsigned int nallowed)
{
	struct fz_consumer *c;
	char stream[32];
	unsigned int i, j;
	int ret;

	memset(g, 0, sizeof(*g));
	snprintf(g->chip_path, sizeof(g->chip_path), "/dev/%s", chip_name);
	g->ngpio = ngpio;
	g->allowed = allowed;
	g->nallowed = nallowed;
	pthread_mutex_init(&g->lock, NULL);
	if (users + 1 > FZ_CONSUMERS_MAX)
		return -EINVAL;
	for (i = 0; i <= users; i++) {
		c = &g->c[i];
		c->group = g;
		c->index = i;
		c->watcher = i == users;
		for (j = 0; !c->watcher && j < FZ_USER_LINES; j++)
			c->lines[j] = lines[i * FZ_USER_LINES + j];
		snprintf(stream, sizeof(stream), "consumer-%u", i);
		fz_seed(&c->rng, seed, stream);
		ret = -pthread_create(&c->thread, NULL, consumer_thread, c);
		if (ret)
			return ret;
		c->started = true;
		g->n = i + 1;
	}
	return 0;
}

bool fz_consumers_stuck(struct fz_consumers *g, int64_t bound_ms, char *why,
			size_t len)
{
	int64_t now = now_ms(), since;
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		since = atomic_load(&g->c[i].op_since);
		if (since && now - since > bound_ms) {
			snprintf(why, len, "consumer %u in %s for %lld ms", i,
				 atomic_load(&g->c[i].op),
				 (long long)(now - since));
			return true;
		}
	}
	return false;
}

int fz_consumers_stop(struct fz_consumers *g, int64_t bound_ms, char *why,
		      size_t len)
{
	struct timespec deadline;
	unsigned int i;

	atomic_store(&g->stop, true);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += bound_ms / 1000;
	for (i = 0; i < g->n; i++) {
		if (!g->c[i].started)
			continue;
		if (pthread_timedjoin_np(g->c[i].thread, NULL, &deadline)) {
			fz_consumers_stuck(g, 0, why, len);
			return -ETIMEDOUT;
		}
		g->c[i].started = false;
	}
	return 0;
}

const char *fz_consumers_failure(struct fz_consumers *g)
{
	const char *f;

	pthread_mutex_lock(&g->lock);
	f = g->failure[0] ? g->failure : NULL;
	pthread_mutex_unlock(&g->lock);
	return f;
}
