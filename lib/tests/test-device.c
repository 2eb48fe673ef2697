// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests: the device side (protocol 1.1, lib/device.c): the line state
 * CREATE carries, the LINE_DIRECTION, CLAIM and UNCLAIM notifications byte
 * for byte, the built-in state they leave, and that a change the kernel
 * refuses (EBUSY: a host consumer holds the line) changes nothing.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct fk fk;
static struct guse_chip *chip;
static uint8_t create[GUSE_MSG_SIZE_MAX];

static const struct guse_create *create_msg(void)
{
	return (const void *)(create + sizeof(struct guse_msg_header));
}

static uint32_t create_len(void)
{
	return le32toh(((const struct guse_msg_header *)create)->len);
}

/* A chip of 8 lines from @cfg on a fresh fake kernel; CREATE in create[]. */
static void start(struct guse_chip_config *cfg)
{
	CHECK_EQ(guse_chip_config_set_num_lines(cfg, 8), 0);
	memset(create, 0, sizeof(create));
	chip = fk_chip(&fk, cfg, 8, NULL, 0, NULL, create, sizeof(create));
	guse_chip_config_free(cfg);
}

static void stop(void)
{
	CHECK(fk_nothing(&fk, 0));
	guse_chip_free(chip);
	fk_close(&fk);
}

/* Without line state CREATE is what a 1.0 server sends, but for the version. */
static void test_create_without_line_state(void)
{
	start(guse_chip_config_new());
	CHECK_EQ(le32toh(create_msg()->version), GUSE_VERSION);
	CHECK_EQ(le32toh(create_msg()->flags) & GUSE_CREATE_F_LINE_INIT, 0);
	CHECK_EQ(create_len(), sizeof(struct guse_msg_header) +
			       sizeof(struct guse_create));
	CHECK_EQ(guse_chip_get_direction(chip, 0), GUSE_LINE_DIRECTION_INPUT);
	CHECK_EQ(guse_chip_is_claimed(chip, 0), 0);
	stop();
}

/* Outputs, pulls, hogs and invalid lines: the layout of protocol.rst. */
static void test_create_line_state(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	const struct guse_line_init *init;
	const char (*hog)[GUSE_NAME_SIZE];
	char consumer[GUSE_NAME_SIZE];
	size_t want;

	CHECK_EQ(guse_chip_config_set_line_name(cfg, 0, "a"), 0);
	CHECK_EQ(guse_chip_config_set_line_direction(cfg, 1,
			GUSE_LINE_DIRECTION_OUTPUT, 1), 0);
	CHECK_EQ(guse_chip_config_set_line_pull(cfg, 2, 1), 0);
	CHECK_EQ(guse_chip_config_set_line_hog(cfg, 6, "late",
			GUSE_LINE_DIRECTION_INPUT, 0), 0);
	CHECK_EQ(guse_chip_config_set_line_hog(cfg, 3, "fw-reset",
			GUSE_LINE_DIRECTION_OUTPUT, 0), 0);
	CHECK_EQ(guse_chip_config_set_line_valid(cfg, 5, false), 0);
	start(cfg);

	CHECK_EQ(le32toh(create_msg()->flags) &
		 (GUSE_CREATE_F_LINE_INIT | GUSE_CREATE_F_LINE_NAMES),
		 GUSE_CREATE_F_LINE_INIT | GUSE_CREATE_F_LINE_NAMES);
	want = sizeof(struct guse_msg_header) + sizeof(struct guse_create) +
	       8 * GUSE_NAME_SIZE + 8 * sizeof(*init) + 2 * GUSE_NAME_SIZE;
	CHECK_EQ(create_len(), want);
	init = (const void *)((const char *)(create_msg() + 1) +
			      8 * GUSE_NAME_SIZE);
	CHECK_EQ(le32toh(init[0].flags), 0);
	CHECK_EQ(le32toh(init[1].flags),
		 GUSE_LINE_INIT_F_OUTPUT | GUSE_LINE_INIT_F_VALUE);
	CHECK_EQ(le32toh(init[2].flags), GUSE_LINE_INIT_F_VALUE);
	CHECK_EQ(le32toh(init[3].flags),
		 GUSE_LINE_INIT_F_OUTPUT | GUSE_LINE_INIT_F_HOG);
	CHECK_EQ(le32toh(init[4].flags), 0);
	CHECK_EQ(le32toh(init[5].flags), GUSE_LINE_INIT_F_INVALID);
	CHECK_EQ(le32toh(init[6].flags), GUSE_LINE_INIT_F_HOG);
	CHECK_EQ(le32toh(init[7].flags), 0);
	hog = (const void *)(init + 8);
	CHECK(!strcmp(hog[0], "fw-reset"));	/* in line order */
	CHECK(!strcmp(hog[1], "late"));

	/* the built-in state starts there too */
	CHECK_EQ(guse_chip_get_direction(chip, 1), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK_EQ(guse_chip_get_value(chip, 1), 1);	/* the device drives it */
	CHECK_EQ(guse_chip_get_value(chip, 2), 1);	/* its pull */
	CHECK_EQ(guse_chip_is_claimed(chip, 3), 1);
	CHECK_EQ(guse_chip_is_requested(chip, 3), 0);
	guse_chip_get_consumer(chip, 3, consumer, sizeof(consumer));
	CHECK(!strcmp(consumer, "fw-reset"));
	CHECK_EQ(guse_chip_get_value(chip, 3), 0);
	stop();
}

/* A configuration beyond the number of lines, or a bad value, is EINVAL. */
static void test_config_errors(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();

	errno = 0;
	CHECK_EQ(guse_chip_config_set_line_direction(cfg, 0, 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(guse_chip_config_set_line_direction(cfg, 0,
			GUSE_LINE_DIRECTION_OUTPUT, 2), -1);
	CHECK_EQ(guse_chip_config_set_line_pull(cfg, 0, -1), -1);
	CHECK_EQ(guse_chip_config_set_line_hog(cfg, 0,
			"0123456789012345678901234567890123",
			GUSE_LINE_DIRECTION_INPUT, 0), -1);
	CHECK_EQ(guse_chip_config_set_line_valid(cfg, GUSE_LINES_MAX, false),
		 -1);
	CHECK_EQ(guse_chip_config_set_line_pull(cfg, 9, 1), 0);
	CHECK_EQ(guse_chip_config_set_num_lines(cfg, 8), 0);
	fk_open(&fk);
	errno = 0;
	CHECK(!guse_chip_new_fd(fk.sfd, cfg, NULL, 0, NULL));
	CHECK_EQ(errno, EINVAL);
	CHECK(fk_nothing(&fk, 0));	/* nothing was sent */
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

static void expect_direction(unsigned int line, uint32_t dir, uint32_t value)
{
	struct guse_device_direction d = {
		htole32(line), htole32(dir), htole32(value), 0,
	};

	fk_expect(&fk, GUSE_OP_LINE_DIRECTION, 0, 0, &d, sizeof(d));
}

static void test_set_direction(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();

	CHECK_EQ(guse_chip_config_set_line_pull(cfg, 2, 1), 0);
	start(cfg);
	CHECK_EQ(guse_chip_set_direction(chip, 2, GUSE_LINE_DIRECTION_OUTPUT,
					 0), 0);
	expect_direction(2, GUSE_DIRECTION_OUTPUT, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK_EQ(guse_chip_get_value(chip, 2), 0);	/* driven, not the pull */
	/* an input: the kernel gets the level it reads, the pull */
	CHECK_EQ(guse_chip_set_direction(chip, 2, GUSE_LINE_DIRECTION_INPUT,
					 0), 0);
	expect_direction(2, GUSE_DIRECTION_INPUT, 1);
	CHECK_EQ(guse_chip_get_value(chip, 2), 1);

	/* refused by the kernel: nothing changes */
	fk_fail_write(&fk, 0, EBUSY);
	errno = 0;
	CHECK_EQ(guse_chip_set_direction(chip, 2, GUSE_LINE_DIRECTION_OUTPUT,
					 0), -1);
	CHECK_EQ(errno, EBUSY);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_INPUT);

	/* bad arguments send nothing */
	CHECK_EQ(guse_chip_set_direction(chip, 8, GUSE_LINE_DIRECTION_INPUT,
					 0), -1);
	CHECK_EQ(guse_chip_set_direction(chip, 0, 0, 0), -1);
	CHECK_EQ(guse_chip_set_direction(chip, 0, GUSE_LINE_DIRECTION_OUTPUT,
					 2), -1);
	CHECK_EQ(errno, EINVAL);
	stop();
}

/* A host consumer takes a device-driven output over; released, it reads
 * its pull as every released output does. */
static void test_host_takes_over(void)
{
	struct guse_line_consumer c = pl_consumer(4, "host");
	struct guse_line l = pl_line(4);

	start(guse_chip_config_new());
	CHECK_EQ(guse_chip_set_direction(chip, 4, GUSE_LINE_DIRECTION_OUTPUT,
					 1), 0);
	expect_direction(4, GUSE_DIRECTION_OUTPUT, 1);
	fk_send(&fk, GUSE_OP_REQUEST, 1, &c, sizeof(c));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_REQUEST, 1, 0, NULL, 0);
	CHECK_EQ(guse_chip_get_value(chip, 4), 1);	/* taken as it is */
	fk_send(&fk, GUSE_OP_FREE, 2, &l, sizeof(l));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_FREE, 2, 0, NULL, 0);
	CHECK_EQ(guse_chip_get_value(chip, 4), 0);	/* its pull */
	stop();
}

static void test_claim_unclaim(void)
{
	struct guse_line_consumer c = pl_consumer(5, "guest:uart0");
	struct guse_line l = pl_line(5);
	char consumer[GUSE_NAME_SIZE];

	start(guse_chip_config_new());
	CHECK_EQ(guse_chip_claim_line(chip, 5, "guest:uart0"), 0);
	fk_expect(&fk, GUSE_OP_CLAIM, 0, 0, &c, sizeof(c));
	CHECK_EQ(guse_chip_is_claimed(chip, 5), 1);
	guse_chip_get_consumer(chip, 5, consumer, sizeof(consumer));
	CHECK(!strcmp(consumer, "guest:uart0"));

	fk_fail_write(&fk, 0, EINVAL);
	CHECK_EQ(guse_chip_unclaim_line(chip, 5), -1);
	CHECK_EQ(guse_chip_is_claimed(chip, 5), 1);	/* refused: kept */
	CHECK_EQ(guse_chip_unclaim_line(chip, 5), 0);
	fk_expect(&fk, GUSE_OP_UNCLAIM, 0, 0, &l, sizeof(l));
	CHECK_EQ(guse_chip_is_claimed(chip, 5), 0);
	CHECK_EQ(guse_chip_get_consumer(chip, 5, consumer, sizeof(consumer)),
		 0);

	/* bad labels and lines send nothing */
	CHECK_EQ(guse_chip_claim_line(chip, 5, ""), -1);
	CHECK_EQ(guse_chip_claim_line(chip, 5, NULL), -1);
	CHECK_EQ(guse_chip_claim_line(chip, 5,
			"0123456789012345678901234567890123"), -1);
	CHECK_EQ(guse_chip_claim_line(chip, 8, "x"), -1);
	CHECK_EQ(guse_chip_unclaim_line(chip, 8), -1);
	CHECK_EQ(errno, EINVAL);
	stop();
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "create_without_line_state", test_create_without_line_state },
		{ "create_line_state", test_create_line_state },
		{ "config_errors", test_config_errors },
		{ "set_direction", test_set_direction },
		{ "host_takes_over", test_host_takes_over },
		{ "claim_unclaim", test_claim_unclaim },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
