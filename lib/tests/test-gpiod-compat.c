// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit test: libguse's line directions have the values of libgpiod v2's
 * enum gpiod_line_direction, so a server can pass them to and from
 * libgpiod code unchanged.  Needs libgpiod's header (configure finds it
 * with pkg-config); without it the test is skipped, saying so.
 */

#include <endian.h>
#include <stdlib.h>

#include "fake-kernel.h"

#ifdef HAVE_GPIOD_H
#include <gpiod.h>

static void reply_output(struct guse_request *req, unsigned int line)
{
	(void)line;
	CHECK_EQ(guse_reply_direction(req, GPIOD_LINE_DIRECTION_OUTPUT), 0);
}

static const struct guse_chip_ops ops = { .get_direction = reply_output };

static void test_direction_values(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_direction out = {
		.direction = htole32(GUSE_DIRECTION_OUTPUT) };
	struct guse_line l1 = pl_line(1);
	struct guse_chip *chip;
	struct fk fk;

	CHECK_EQ(GUSE_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_INPUT);
	CHECK_EQ(GUSE_LINE_DIRECTION_OUTPUT, GPIOD_LINE_DIRECTION_OUTPUT);

	guse_chip_config_set_num_lines(cfg, 2);
	chip = fk_chip(&fk, cfg, 2, &ops, sizeof(ops), NULL, NULL, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 1), GPIOD_LINE_DIRECTION_INPUT);
	/* libgpiod's value goes out as the protocol's */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l1, sizeof(l1));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 1, 0, &out, sizeof(out));
	CHECK_EQ(guse_chip_get_direction(chip, 1),
		 GPIOD_LINE_DIRECTION_OUTPUT);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "direction_values", test_direction_values },
	};

	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
#else
int main(void)
{
	printf("1..0 # SKIP libgpiod v2 headers not found by configure\n");
	return 77;
}
#endif
