// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests: the built-in line state follows what the kernel accepted.
 * Replies the kernel refuses (a late reply gets ENOENT) and injections whose
 * write fails leave the state as it was; a failed chip creation leaves the
 * caller's descriptor as it was.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct guse_chip *new_chip(struct fk *fk, unsigned int n,
				  const struct guse_chip_ops *ops,
				  size_t ops_size, bool track)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_chip *chip;

	CHECK_EQ(guse_chip_config_set_num_lines(cfg, n), 0);
	guse_chip_config_set_track_all(cfg, track);
	chip = fk_chip(fk, cfg, n, ops, ops_size, NULL, NULL, 0);
	guse_chip_config_free(cfg);
	return chip;
}

/* A late reply from the library's defaults changes nothing. */
static void test_late_default_replies(void)
{
	struct guse_line_consumer lc = pl_consumer(1, "gpioset");
	struct guse_line_value lv = { htole32(1), htole32(1) };
	struct guse_set_config sc = { htole32(1),
				      htole32(GUSE_CONFIG_BIAS_PULL_UP), 0, 0 };
	struct guse_irq_config ic = { htole32(1),
				      htole32(GUSE_IRQ_TYPE_EDGE_BOTH),
				      htole32(GUSE_IRQ_F_ENABLED), 0 };
	struct guse_line l1 = pl_line(1);
	struct guse_chip *chip;
	uint64_t m = 1 << 1, v = 1 << 1;
	uint8_t bm[64];
	char buf[GUSE_NAME_SIZE];
	uint32_t flags = 99;
	struct fk fk;
	size_t n;

	chip = new_chip(&fk, 4, NULL, 0, true);

	fk_fail_write(&fk, 1, ENOENT);
	fk_send(&fk, GUSE_OP_REQUEST, 1, &lc, sizeof(lc));
	fk_fail_write(&fk, 2, ENOENT);
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 2, &lv, sizeof(lv));
	fk_fail_write(&fk, 3, ENOENT);
	fk_send(&fk, GUSE_OP_SET_CONFIG, 3, &sc, sizeof(sc));
	fk_fail_write(&fk, 4, ENOENT);
	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 4, &ic, sizeof(ic));
	CHECK_EQ(guse_chip_dispatch(chip), 4);
	CHECK_EQ(fk_fail_pending(&fk), 0);
	/* the pull-up's level went out before the late reply and stays */
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 1);
	CHECK(fk_nothing(&fk, 0));
	CHECK_EQ(guse_chip_is_requested(chip, 1), 0);
	CHECK_EQ(guse_chip_get_consumer(chip, 1, buf, sizeof(buf)), 0);
	CHECK_EQ(guse_chip_get_direction(chip, 1), GUSE_LINE_DIRECTION_INPUT);
	CHECK_EQ(guse_chip_get_output_value(chip, 1), 0);
	CHECK_EQ(guse_chip_get_bias(chip, 1), 0);
	CHECK_EQ(guse_chip_get_irq_type(chip, 1, &flags), GUSE_LINE_IRQ_NONE);
	CHECK_EQ(flags, 0);

	/* the same line made an output in time, then a late SET_VALUES */
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 5, &lv, sizeof(lv));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_DIRECTION_OUTPUT, 5, 0, NULL, 0);
	CHECK_EQ(guse_chip_get_output_value(chip, 1), 1);
	v = 0;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_fail_write(&fk, 6, ENOENT);
	fk_send(&fk, GUSE_OP_SET_VALUES, 6, bm, n);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(fk_fail_pending(&fk), 0);
	CHECK_EQ(guse_chip_get_output_value(chip, 1), 1);

	/* a FREE releases the line even when its reply is late: gpiolib
	 * released it anyway */
	lc = pl_consumer(2, "gpioget");
	fk_send(&fk, GUSE_OP_REQUEST, 7, &lc, sizeof(lc));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_REQUEST, 7, 0, NULL, 0);
	CHECK_EQ(guse_chip_is_requested(chip, 2), 1);
	l1 = pl_line(2);
	fk_fail_write(&fk, 8, ENOENT);
	fk_send(&fk, GUSE_OP_FREE, 8, &l1, sizeof(l1));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(fk_fail_pending(&fk), 0);
	CHECK_EQ(guse_chip_is_requested(chip, 2), 0);
	CHECK_EQ(guse_chip_get_consumer(chip, 2, buf, sizeof(buf)), 0);

	guse_chip_free(chip);
	fk_close(&fk);
}

/* Replies from callbacks: late is not an error, other failures are. */
static int reply_ret, reply_errno;

static void late_get_direction(struct guse_request *req, unsigned int line)
{
	(void)line;
	errno = 0;
	reply_ret = guse_reply_direction(req, GUSE_LINE_DIRECTION_OUTPUT);
	reply_errno = errno;
}

static void late_direction_output(struct guse_request *req, unsigned int line,
				  int value)
{
	(void)line;
	(void)value;
	errno = 0;
	reply_ret = guse_reply_ok(req);
	reply_errno = errno;
}

static const struct guse_chip_ops late_ops = {
	.get_direction = late_get_direction,
	.direction_output = late_direction_output,
};

static void test_late_callback_replies(void)
{
	struct guse_line_value lv = { htole32(3), htole32(1) };
	struct guse_line l3 = pl_line(3);
	struct guse_chip *chip;
	struct fk fk;

	chip = new_chip(&fk, 4, &late_ops, sizeof(late_ops), false);

	/* a late GET_DIRECTION answer is not recorded */
	fk_fail_write(&fk, 1, ENOENT);
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l3, sizeof(l3));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(reply_ret, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 3), GUSE_LINE_DIRECTION_INPUT);

	/* a reply the kernel rejects: the error, and no state */
	fk_fail_write(&fk, 2, EINVAL);
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 2, &lv, sizeof(lv));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(reply_ret, -1);
	CHECK_EQ(reply_errno, EINVAL);
	CHECK_EQ(guse_chip_get_direction(chip, 3), GUSE_LINE_DIRECTION_INPUT);
	CHECK_EQ(guse_chip_get_output_value(chip, 3), 0);

	/* in time: recorded */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 3, &l3, sizeof(l3));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(reply_ret, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 3), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK(fk_recv(&fk, (uint8_t[64]){ 0 }, 64, 1000) > 0);
	CHECK(fk_nothing(&fk, 0));

	guse_chip_free(chip);
	fk_close(&fk);
}

/* A failed SET_INPUTS write leaves the tracked levels alone. */
static void test_failed_injection(void)
{
	struct guse_chip *chip;
	uint64_t m = 0x6, v = 0x6;
	uint8_t bm[64];
	struct fk fk;
	size_t n;

	chip = new_chip(&fk, 4, NULL, 0, false);
	fk_fail_write(&fk, 0, EIO);
	CHECK(guse_chip_set_input(chip, 1, 1) < 0 && errno == EIO);
	CHECK_EQ(fk_fail_pending(&fk), 0);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 0);
	fk_fail_write(&fk, 0, ENODEV);
	CHECK(guse_chip_set_inputs(chip, &m, &v) < 0 && errno == ENODEV);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 0);
	CHECK_EQ(guse_chip_get_input_level(chip, 2), 0);
	CHECK(fk_nothing(&fk, 0));

	/* and a write that works updates them */
	CHECK_EQ(guse_chip_set_inputs(chip, &m, &v), 0);
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 2), 1);

	guse_chip_free(chip);
	fk_close(&fk);
}

/* guse_chip_new_fd() that fails gives the descriptor back unchanged. */
static void test_failed_create_keeps_fd_flags(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	int flags, with;
	struct fk fk;

	guse_chip_config_set_num_lines(cfg, 4);
	for (with = 0; with < 2; with++) {
		fk_open(&fk);
		if (with)
			CHECK_EQ(fcntl(fk.sfd, F_SETFL, O_NONBLOCK), 0);
		flags = fcntl(fk.sfd, F_GETFL);
		CHECK(flags >= 0);
		fk_send_ready(&fk, 5, "gpiochip0", "guse0");	/* wrong size */
		CHECK(!guse_chip_new_fd(fk.sfd, cfg, NULL, 0, NULL));
		CHECK_EQ(errno, EPROTO);
		CHECK_EQ(fcntl(fk.sfd, F_GETFL), flags);
		close(fk.sfd);
		fk_close(&fk);
	}
	guse_chip_config_free(cfg);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "late_default_replies", test_late_default_replies },
		{ "late_callback_replies", test_late_callback_replies },
		{ "failed_injection", test_failed_injection },
		{ "failed_create_keeps_fd_flags",
		  test_failed_create_keeps_fd_flags },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
