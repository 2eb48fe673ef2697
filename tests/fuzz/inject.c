// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/inject.c: operations under allocation failures (see inject.h).
 * Only the system call under test runs with the failure armed; preparing
 * and checking run without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "failslab.h"
#include "gen.h"
#include "inject.h"

/* Larger writes go through kvmalloc(), whose vmalloc fallback warns. */
#define CREATE_MAX	4096

static const char *const op_names[FZ_INJ_OPS] = {
	"request of inputs with edges", "request of outputs", "get values",
	"set values", "reconfigure", "release",
};

const char *fz_inject_op_name(enum fz_inject_op op)
{
	return op_names[op];
}

/* @fd: fail-nth with @n nonzero, make-it-fail with @n 0 */
static void arm(int fd, unsigned int n)
{
	if (n)
		fz_fail_nth_arm(fd, n);
	else
		fz_make_it_fail(fd, true);
}

/* Disarms; true if a failure was (or, for make-it-fail, may have been) injected. */
static bool disarm(int fd, unsigned int n)
{
	if (n)
		return fz_fail_nth_fired(fd);
	fz_make_it_fail(fd, false);
	return true;
}

int fz_inject_create(struct fz_rng *r, unsigned int max_lines, int nth_fd,
		     unsigned int n, bool *fired, struct fz_inject_stats *st,
		     char *why, size_t len)
{
	static uint8_t buf[GUSE_MSG_SIZE_MAX];
	struct fz_msg m = { .buf = buf };
	struct guse_ready ready;
	struct raw_msg msg;
	int fd, err = 0, ret = -1;
	ssize_t w;

	do
		fz_gen_create(r, &m, max_lines, 1);
	while (m.len > CREATE_MAX);
	fd = raw_open();
	if (fd < 0) {
		snprintf(why, len, "open /dev/guse: %m");
		return -1;
	}
	arm(nth_fd, n);
	w = write(fd, m.buf, m.len);
	if (w < 0)
		err = errno;
	*fired = disarm(nth_fd, n);
	st->runs++;
	if (w < 0) {
		if (err != ENOMEM || !*fired) {
			snprintf(why, len, "CREATE (fault point %u%s) failed with %s",
				 n, *fired ? "" : ", none injected",
				 strerrorname_np(err));
			goto out;
		}
		st->enomem++;
		/* "on failure the file stays fresh and CREATE may be retried" */
		if (write(fd, m.buf, m.len) < 0) {
			snprintf(why, len, "CREATE after one that failed with ENOMEM: %m");
			goto out;
		}
	} else if (n && *fired) {
		st->survived++;
	}
	if (raw_recv(fd, &msg, 5000) != sizeof(msg.hdr) + sizeof(ready) ||
	    msg.hdr.opcode != GUSE_OP_READY) {
		snprintf(why, len, "no READY after CREATE (fault point %u)", n);
		goto out;
	}
	memcpy(&ready, msg.payload, sizeof(ready));
	if (!fz_chip_present(&ready)) {
		snprintf(why, len, "%s is missing after CREATE (fault point %u)",
			 ready.chip_name, n);
		goto out;
	}
	close(fd);
	fd = -1;
	if (!fz_chip_gone(&ready, 5000)) {
		snprintf(why, len, "%s stays after close (fault point %u)",
			 ready.chip_name, n);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static struct gpiod_line_config *config(const unsigned int *lines, bool out)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();

	if (!ls || !lc)
		goto err;
	if (out) {
		gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_OUTPUT);
	} else {
		gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT);
		gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_BOTH);
		gpiod_line_settings_set_debounce_period_us(ls, 1000);
	}
	gpiod_line_settings_set_bias(ls, GPIOD_LINE_BIAS_PULL_UP);
	if (gpiod_line_config_add_line_settings(lc, lines, 2, ls))
		goto err;
	gpiod_line_settings_free(ls);
	return lc;
err:
	gpiod_line_settings_free(ls);
	gpiod_line_config_free(lc);
	return NULL;
}

/* The operation itself, with the failure armed by the caller. */
static int run_op(enum fz_inject_op op, struct gpiod_chip *chip,
		  struct gpiod_request_config *rc, struct gpiod_line_config *lc,
		  struct gpiod_line_request **req, struct gpiod_line_request **nreq)
{
	enum gpiod_line_value vals[2] = { GPIOD_LINE_VALUE_ACTIVE,
					  GPIOD_LINE_VALUE_INACTIVE };

	switch (op) {
	case FZ_INJ_REQUEST_INPUT:
	case FZ_INJ_REQUEST_OUTPUT:
		*nreq = gpiod_chip_request_lines(chip, rc, lc);
		return *nreq ? 0 : -1;
	case FZ_INJ_GET:
		return gpiod_line_request_get_values(*req, vals);
	case FZ_INJ_SET:
		return gpiod_line_request_set_values(*req, vals);
	case FZ_INJ_RECONFIGURE:
		return gpiod_line_request_reconfigure_lines(*req, lc);
	default:
		gpiod_line_request_release(*req);
		*req = NULL;
		return 0;
	}
}

static bool allowed(enum fz_inject_op op, int err)
{
	/* no memory for the interrupt mapping: gpiolib reports ENXIO */
	return err == ENOMEM || (err == ENXIO && (op == FZ_INJ_REQUEST_INPUT ||
						  op == FZ_INJ_RECONFIGURE));
}

int fz_inject_op(struct fz_server *s, const unsigned int *lines,
		 enum fz_inject_op op, int nth_fd, unsigned int n, bool *fired,
		 struct fz_inject_stats *st, char *why, size_t len)
{
	struct gpiod_line_config *in = config(lines, false), *out = config(lines, true);
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req = NULL, *nreq = NULL;
	struct gpiod_chip *chip;
	int ret = -1, err = 0;
	char path[64];

	snprintf(path, sizeof(path), "/dev/%s", s->ready.chip_name);
	chip = gpiod_chip_open(path);
	if (!chip || !in || !out || !rc) {
		snprintf(why, len, "preparing a %s: %m", op_names[op]);
		goto out;
	}
	gpiod_request_config_set_consumer(rc, "fuzz-inject");
	if (op >= FZ_INJ_GET) {
		req = gpiod_chip_request_lines(chip, rc, op == FZ_INJ_GET ||
					       op == FZ_INJ_RELEASE ? in : out);
		if (!req) {
			snprintf(why, len, "request before a %s: %m", op_names[op]);
			goto out;
		}
	}
	arm(nth_fd, n);
	ret = run_op(op, chip, rc, op == FZ_INJ_REQUEST_OUTPUT ? out : in,
		     &req, &nreq);
	if (ret)
		err = errno;
	*fired = disarm(nth_fd, n);
	st->runs++;
	if (ret && (!allowed(op, err) || !*fired)) {
		snprintf(why, len, "%s (fault point %u%s) failed with %s",
			 op_names[op], n, *fired ? "" : ", none injected",
			 strerrorname_np(err));
		ret = -1;
		goto out;
	}
	st->enomem += err == ENOMEM;
	st->enxio += err == ENXIO;
	st->survived += !ret && n && *fired;
	if (req)
		gpiod_line_request_release(req);
	if (nreq)
		gpiod_line_request_release(nreq);
	req = nreq = NULL;
	/* nothing may stay requested: the lines are free for the next one */
	nreq = gpiod_chip_request_lines(chip, rc, in);
	if (!nreq) {
		snprintf(why, len, "lines %u and %u not free after a %s (fault point %u): %m",
			 lines[0], lines[1], op_names[op], n);
		ret = -1;
		goto out;
	}
	/* e.g. the server was asked for a line it was never told was freed */
	if (fz_server_failure(s)) {
		snprintf(why, len, "after a %s (%s %lu): %s", op_names[op],
			 n ? "fault point" : "random failures, run",
			 n ? (unsigned long)n : st->runs, fz_server_failure(s));
		ret = -1;
		goto out;
	}
	ret = 0;
out:
	if (req)
		gpiod_line_request_release(req);
	if (nreq)
		gpiod_line_request_release(nreq);
	gpiod_request_config_free(rc);
	gpiod_line_config_free(in);
	gpiod_line_config_free(out);
	if (chip)
		gpiod_chip_close(chip);
	return ret;
}
