// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bridge between a controller's guest side and its guse chip.
 *
 * Guest to host: the level of every pin as the guest drives it (an output)
 * or reads it (an input) is the pull of the host line, so a host consumer
 * reading the line (gpioget, gpiomon) sees the guest's outputs and their
 * edges.  The guest's direction register becomes the chip's device-side
 * direction and a pin the guest hands to a peripheral a device-side claim,
 * whenever no host consumer holds the line (a held line is the
 * consumer's: the change waits for its release).
 *
 * Host to guest: a host consumer driving a line drives the guest's input
 * pin; a release (or making the line an input) lets the pin go to its
 * idle level.  The request is answered once QEMU took the level, so the
 * guest reads it when gpioset returns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

int bridge_error(struct bridge *b, const char *fmt, ...)
{
	char tmp[sizeof(b->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);	/* fmt may use b->err */
	va_end(ap);
	memcpy(b->err, tmp, sizeof(tmp));
	return -1;
}

void bridge_trace(struct bridge *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->verbose)
		return;
	va_start(ap, fmt);
	fputs("guse-qemu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void bridge_fatal(struct bridge *b, int err, const char *fmt, ...)
{
	va_list ap;

	if (b->fatal)
		return;
	b->fatal = err ? err : EIO;
	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

static const char *dir_name(int dir)
{
	return dir == GUSE_LINE_DIRECTION_OUTPUT ? "output" : "input";
}

void bridge_guest_level(struct bridge *b, unsigned int line, int level)
{
	struct bridge_line *l;

	if (line >= b->num_lines || b->lines[line].level == !!level)
		return;
	l = &b->lines[line];
	l->level = !!level;
	bridge_trace(b, "guest: line %u %s", line, level ? "high" : "low");
	if (b->chip && guse_chip_set_input(b->chip, line, l->level) < 0)
		bridge_fatal(b, errno, "injecting line %u: %s", line, strerror(errno));
}

void bridge_guest_direction(struct bridge *b, unsigned int line, int dir)
{
	struct bridge_line *l;
	int old;

	if (line >= b->num_lines || b->lines[line].guest_dir == dir)
		return;
	l = &b->lines[line];
	old = l->guest_dir;
	l->guest_dir = dir;
	bridge_trace(b, "guest: line %u %s", line, dir_name(dir));
	/* a pin that became an input reads what the host drives into it */
	if (old == GUSE_LINE_DIRECTION_OUTPUT && l->host_drive >= 0 && b->chip &&
	    b->ops->drive(b, line, l->host_drive, NULL, NULL) < 0)
		bridge_fatal(b, errno, "driving line %u: %s", line, strerror(errno));
}

void bridge_guest_claim(struct bridge *b, unsigned int line, const char *owner)
{
	if (line >= b->num_lines)
		return;
	snprintf(b->lines[line].claim, GUSE_NAME_SIZE, "%s", owner ? owner : "");
}

void bridge_poll_request(struct bridge *b)
{
	if (b->polling) {
		b->poll_soon = true;
		return;
	}
	if (b->fatal || !b->ops->poll)
		return;
	b->polling = true;
	b->poll_soon = false;
	if (b->ops->poll(b) < 0) {
		b->polling = false;
		bridge_fatal(b, errno, "reading the registers: %s", strerror(errno));
	}
}

void bridge_poll_done(struct bridge *b)
{
	b->polling = false;
	bridge_sync(b);
	if (b->poll_soon)
		bridge_poll_request(b);
}

void bridge_sync(struct bridge *b)
{
	unsigned int i;

	if (!b->chip || b->fatal)
		return;
	for (i = 0; i < b->num_lines; i++) {
		struct bridge_line *l = &b->lines[i];
		char cur[GUSE_NAME_SIZE] = "";
		int claimed = guse_chip_is_claimed(b->chip, i) == 1;

		/* a host consumer's line is left alone until its release */
		if (guse_chip_is_requested(b->chip, i) == 1)
			continue;
		if (claimed)
			guse_chip_get_consumer(b->chip, i, cur, sizeof(cur));
		if (claimed && strcmp(cur, l->claim)) {
			if (guse_chip_unclaim_line(b->chip, i) == 0)
				bridge_trace(b, "host: line %u unclaimed", i);
			claimed = 0;
		}
		if (guse_chip_get_direction(b->chip, i) != l->guest_dir) {
			if (guse_chip_set_direction(b->chip, i, l->guest_dir, l->level) == 0)
				bridge_trace(b, "host: line %u %s", i, dir_name(l->guest_dir));
			else if (errno == EOPNOTSUPP)
				bridge_fatal(b, errno, "the guse module speaks protocol 1.0: "
					     "guest directions need 1.1");
			/* EBUSY: a consumer took the line meanwhile; next time */
		}
		if (!claimed && l->claim[0] &&
		    guse_chip_claim_line(b->chip, i, l->claim) == 0)
			bridge_trace(b, "host: line %u claimed by %s", i, l->claim);
	}
}

/* A host request waiting for QEMU: answered when every drive is done. */
struct host_op {
	struct guse_request *req;
	int left;
	int err;
};

static void host_op_put(struct bridge *b, struct host_op *op, int err)
{
	(void)b;
	if (err && !op->err)
		op->err = err;
	if (--op->left)
		return;
	if (op->err)
		guse_reply_error(op->req, op->err);
	else
		guse_reply_default(op->req);
	free(op);
}

static void host_op_done(struct bridge *b, void *arg, int err)
{
	host_op_put(b, arg, err);
}

/* Drive @line for the request of @op (one more reference). */
static void host_op_drive(struct bridge *b, struct host_op *op, unsigned int line, int level)
{
	b->lines[line].host_drive = level;
	bridge_trace(b, "host: drives line %u %s", line,
		     level < 0 ? "no more" : level ? "high" : "low");
	op->left++;
	if (b->ops->drive(b, line, level, host_op_done, op) < 0)
		host_op_put(b, op, EIO);
}

static struct host_op *host_op_new(struct guse_request *req)
{
	struct host_op *op = calloc(1, sizeof(*op));

	if (!op) {
		guse_reply_error(req, ENOMEM);
		return NULL;
	}
	op->req = req;
	op->left = 1;	/* ours, dropped once every drive is sent */
	guse_request_defer(req);
	return op;
}

static void on_direction_output(struct guse_request *req, unsigned int line, int value)
{
	struct bridge *b = guse_request_get_user_data(req);
	struct host_op *op = host_op_new(req);

	if (!op)
		return;
	host_op_drive(b, op, line, !!value);
	host_op_put(b, op, 0);
}

static void on_set_values(struct guse_request *req, const uint64_t *mask,
			  const uint64_t *values)
{
	struct bridge *b = guse_request_get_user_data(req);
	struct host_op *op = host_op_new(req);
	unsigned int i;

	if (!op)
		return;
	for (i = 0; i < b->num_lines; i++)
		if (mask[GUSE_BIT_WORD(i)] & GUSE_BIT_MASK(i))
			host_op_drive(b, op, i, !!(values[GUSE_BIT_WORD(i)] & GUSE_BIT_MASK(i)));
	host_op_put(b, op, 0);
}

/* The host stops driving @line: the guest's pin goes to its idle level. */
static void host_release(struct guse_request *req, unsigned int line)
{
	struct bridge *b = guse_request_get_user_data(req);
	struct host_op *op;

	if (b->lines[line].host_drive < 0) {
		guse_reply_default(req);
		return;
	}
	op = host_op_new(req);
	if (!op)
		return;
	host_op_drive(b, op, line, -1);
	host_op_put(b, op, 0);
}

static void on_direction_input(struct guse_request *req, unsigned int line)
{
	host_release(req, line);
}

static void on_free(struct guse_request *req, unsigned int line)
{
	host_release(req, line);
}

static const struct guse_chip_ops host_ops = {
	.direction_input = on_direction_input,
	.direction_output = on_direction_output,
	.set_values = on_set_values,
	.free = on_free,
};

int bridge_create_chip(struct bridge *b)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	unsigned int i;
	int e;

	if (!cfg)
		return bridge_error(b, "out of memory");
	if (guse_chip_config_set_label(cfg, b->label) < 0 ||
	    guse_chip_config_set_num_lines(cfg, b->num_lines) < 0) {
		guse_chip_config_free(cfg);
		return bridge_error(b, "bad label %s or number of lines %u",
				    b->label, b->num_lines);
	}
	for (i = 0; i < b->num_lines; i++) {
		struct bridge_line *l = &b->lines[i];

		if (guse_chip_config_set_line_name(cfg, i, b->names[i]) < 0 ||
		    guse_chip_config_set_line_direction(cfg, i, l->guest_dir, l->level) < 0 ||
		    guse_chip_config_set_line_pull(cfg, i, l->level) < 0 ||
		    (l->claim[0] && guse_chip_config_set_line_hog(cfg, i, l->claim,
								  l->guest_dir, l->level) < 0)) {
			e = errno;
			guse_chip_config_free(cfg);
			return bridge_error(b, "line %u: %s", i, strerror(e));
		}
	}
	b->chip = guse_chip_new(cfg, &host_ops, sizeof(host_ops), b);
	e = errno;
	guse_chip_config_free(cfg);
	if (!b->chip) {
		const char *hint = guse_error_hint(e);

		return bridge_error(b, "cannot create the chip: %s%s%s", strerror(e),
				    hint ? "\n" : "", hint ? hint : "");
	}
	return 0;
}

void bridge_destroy(struct bridge *b)
{
	/* no new polls or drives from the callbacks that run now */
	if (!b->fatal)
		b->fatal = ESHUTDOWN;
	/* deferred requests are answered (ENODEV) as the qtest link closes */
	qtest_free(b->qt);
	b->qt = NULL;
	qmp_free(b->qmp);
	b->qmp = NULL;
	guse_chip_free(b->chip);
	b->chip = NULL;
	if (b->ops && b->ops->free)
		b->ops->free(b);
}
