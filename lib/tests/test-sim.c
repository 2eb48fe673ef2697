// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests: the simulated line model of the built-in state, rule by rule
 * (as the kernel's gpio-sim; see "Simulated lines" in
 * Documentation/library.rst).  Every line has a pull; an input or a line
 * nobody drives reads it; a consumer's pull-up or pull-down becomes the
 * pull and is injected before the reply; a released output reads its pull
 * (unless hold_outputs); the passive level of open drain and open source
 * floats to the pull.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct fk fk;
static struct guse_chip *chip;
static uint64_t next_id;

/* A chip of 8 lines on a fresh fake kernel; @ops may be NULL. */
static void start(const struct guse_chip_ops *ops, size_t ops_size,
		  bool hold, bool serve_reads)
{
	struct guse_chip_config *cfg = guse_chip_config_new();

	CHECK_EQ(guse_chip_config_set_num_lines(cfg, 8), 0);
	guse_chip_config_set_hold_outputs(cfg, hold);
	guse_chip_config_set_serve_input_reads(cfg, serve_reads);
	chip = fk_chip(&fk, cfg, 8, ops, ops_size, NULL, NULL, 0);
	guse_chip_config_free(cfg);
	next_id = 1;
}

static void stop(void)
{
	CHECK(fk_nothing(&fk, 0));
	guse_chip_free(chip);
	fk_close(&fk);
}

/* Send a request and dispatch it; returns its id. */
static uint64_t call(uint16_t op, const void *payload, size_t plen)
{
	uint64_t id = next_id++;

	fk_send(&fk, op, id, payload, plen);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	return id;
}

#define expect_ok(id, op) fk_expect(&fk, op, id, 0, NULL, 0)

static void request(unsigned int line)
{
	struct guse_line_consumer c = pl_consumer(line, "test");

	expect_ok(call(GUSE_OP_REQUEST, &c, sizeof(c)), GUSE_OP_REQUEST);
}

static void release(unsigned int line)
{
	struct guse_line l = pl_line(line);

	expect_ok(call(GUSE_OP_FREE, &l, sizeof(l)), GUSE_OP_FREE);
}

static void output(unsigned int line, int value)
{
	struct guse_line_value v = { htole32(line), htole32(value) };

	expect_ok(call(GUSE_OP_DIRECTION_OUTPUT, &v, sizeof(v)),
		  GUSE_OP_DIRECTION_OUTPUT);
}

static void input(unsigned int line)
{
	struct guse_line l = pl_line(line);

	expect_ok(call(GUSE_OP_DIRECTION_INPUT, &l, sizeof(l)),
		  GUSE_OP_DIRECTION_INPUT);
}

static void set_value(unsigned int line, int value)
{
	uint64_t m = GUSE_BIT_MASK(line), v = value ? m : 0;
	uint8_t bm[64];
	size_t n = pl_bitmap(bm, 1, &m, &v);

	expect_ok(call(GUSE_OP_SET_VALUES, bm, n), GUSE_OP_SET_VALUES);
}

/* SET_CONFIG; returns the id, the reply is the caller's to expect. */
static uint64_t config(unsigned int line, uint32_t param)
{
	struct guse_set_config c = { htole32(line), htole32(param), 0, 0 };

	return call(GUSE_OP_SET_CONFIG, &c, sizeof(c));
}

/* A SET_INPUTS of one line must be the next message. */
static void expect_injection(unsigned int line, int level)
{
	uint64_t m = GUSE_BIT_MASK(line), v = level ? m : 0;
	uint8_t bm[64];
	size_t n = pl_bitmap(bm, 1, &m, &v);

	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
}

static void set_pull(unsigned int line, int level)
{
	CHECK_EQ(guse_chip_set_input(chip, line, level), 0);
	expect_injection(line, level);
}

/* What a GET_VALUES of @line answers (the kernel asks for outputs). */
static int read_line(unsigned int line)
{
	uint64_t m = GUSE_BIT_MASK(line), got;
	uint8_t bm[64];
	size_t n = pl_bitmap(bm, 1, &m, NULL);
	uint64_t id = call(GUSE_OP_GET_VALUES, bm, n);
	uint8_t buf[64];
	int r = fk_recv(&fk, buf, sizeof(buf), 2000);
	const struct guse_msg_header *h = (const void *)buf;

	if (r != (int)(sizeof(*h) + n) || le64toh(h->id) != id || h->error) {
		CHECK(!"a GET_VALUES reply");
		return -1;
	}
	memcpy(&got, buf + sizeof(*h) + sizeof(struct guse_bitmap),
	       sizeof(got));
	got = le64toh(got);
	CHECK_EQ(guse_chip_get_value(chip, line), !!(got & m));
	return !!(got & m);
}

/* An input or an undriven line reads its pull: after a release, an output
 * line follows the pull, as gpio-sim's unrequested lines do. */
static void test_undriven_line_follows_pull(void)
{
	start(NULL, 0, false, true);
	set_pull(0, 1);
	CHECK_EQ(read_line(0), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 0), 1);

	request(1);
	output(1, 1);
	release(1);
	CHECK_EQ(guse_chip_get_direction(chip, 1), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK_EQ(read_line(1), 0);
	set_pull(1, 1);
	CHECK_EQ(read_line(1), 1);
	set_pull(1, 0);
	CHECK_EQ(read_line(1), 0);
	/* a driven output does not follow its pull */
	request(2);
	output(2, 0);
	set_pull(2, 1);
	CHECK_EQ(read_line(2), 0);
	stop();
}

/* Pull-up and pull-down become the line's pull, injected before the reply
 * (so the consumer reads the level when its request returns, and later
 * pull changes are edges); disable leaves the pull; the pull stays after
 * the release, as in gpio-sim. */
static void test_bias_sets_pull(void)
{
	uint64_t id;

	start(NULL, 0, false, false);
	request(4);
	input(4);
	id = config(4, GUSE_CONFIG_BIAS_PULL_UP);
	expect_injection(4, 1);
	expect_ok(id, GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_value(chip, 4), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 4), 1);
	CHECK_EQ(guse_chip_get_bias(chip, 4), GUSE_LINE_PARAM_BIAS_PULL_UP);
	/* the same bias again: nothing to inject */
	expect_ok(config(4, GUSE_CONFIG_BIAS_PULL_UP), GUSE_OP_SET_CONFIG);
	release(4);
	CHECK_EQ(guse_chip_get_value(chip, 4), 1);

	request(4);
	input(4);
	expect_ok(config(4, GUSE_CONFIG_BIAS_DISABLE), GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_value(chip, 4), 1);
	id = config(4, GUSE_CONFIG_BIAS_PULL_DOWN);
	expect_injection(4, 0);
	expect_ok(id, GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_value(chip, 4), 0);

	/* on a driven output the bias moves the pull, not the level */
	request(5);
	output(5, 0);
	id = config(5, GUSE_CONFIG_BIAS_PULL_UP);
	expect_injection(5, 1);
	expect_ok(id, GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_value(chip, 5), 0);
	release(5);
	CHECK_EQ(guse_chip_get_value(chip, 5), 1);
	stop();
}

/* A released output reads its pull; taken again as it is, it drives that
 * level (gpio-sim's value stays until a consumer sets it). */
static void test_release_reverts_to_pull(void)
{
	struct guse_line l = pl_line(2);
	struct guse_direction d;

	start(NULL, 0, false, false);
	request(2);
	output(2, 1);
	CHECK_EQ(read_line(2), 1);
	release(2);
	CHECK_EQ(read_line(2), 0);
	CHECK_EQ(guse_chip_get_output_value(chip, 2), 1);

	/* still an output for gpiolib, as in gpio-sim */
	call(GUSE_OP_GET_DIRECTION, &l, sizeof(l));
	d.direction = htole32(GUSE_DIRECTION_OUTPUT);
	d.reserved = 0;
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, next_id - 1, 0, &d, sizeof(d));

	request(2);
	CHECK_EQ(guse_chip_get_output_value(chip, 2), 0);
	CHECK_EQ(read_line(2), 0);
	set_pull(2, 1);
	CHECK_EQ(read_line(2), 0);
	set_value(2, 1);
	CHECK_EQ(read_line(2), 1);
	stop();
}

/* The chip option keeps the old behaviour: released outputs keep driving. */
static void test_hold_outputs(void)
{
	uint64_t id;

	start(NULL, 0, true, false);
	request(3);
	output(3, 1);
	release(3);
	CHECK_EQ(read_line(3), 1);
	set_pull(3, 0);
	CHECK_EQ(read_line(3), 1);
	request(3);
	CHECK_EQ(read_line(3), 1);
	/* biases still become the pull */
	input(3);
	CHECK_EQ(guse_chip_get_value(chip, 3), 0);
	id = config(3, GUSE_CONFIG_BIAS_PULL_UP);
	expect_injection(3, 1);
	expect_ok(id, GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_value(chip, 3), 1);
	stop();
}

/*
 * The library's defaults decline open drain and open source, as gpio-sim:
 * gpiolib then makes the line an input for the passive level, and an input
 * reads its pull.
 */
static void test_open_drain_emulated(void)
{
	uint64_t id;

	start(NULL, 0, false, false);
	set_pull(6, 1);
	request(6);
	id = config(6, GUSE_CONFIG_DRIVE_OPEN_DRAIN);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, id, EOPNOTSUPP, NULL, 0);
	id = config(6, GUSE_CONFIG_DRIVE_OPEN_SOURCE);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, id, EOPNOTSUPP, NULL, 0);
	CHECK_EQ(guse_chip_get_drive(chip, 6), 0);
	/* gpiolib's emulation: passive 1 is an input, active 0 an output */
	input(6);
	CHECK_EQ(guse_chip_get_value(chip, 6), 1);
	output(6, 0);
	CHECK_EQ(read_line(6), 0);
	input(6);
	CHECK_EQ(guse_chip_get_value(chip, 6), 1);
	stop();
}

/* A server that supports open drain and open source itself (its set_config
 * accepts them): the passive level floats to the pull all the same. */
static void accept_config(struct guse_request *req, unsigned int line,
			  enum guse_line_param param, uint32_t arg)
{
	(void)line;
	(void)param;
	(void)arg;
	guse_reply_ok(req);
}

static void test_open_drain_native(void)
{
	static const struct guse_chip_ops ops = {
		.set_config = accept_config,
	};

	/* no REQUEST or FREE reach this server: its outputs always drive */
	start(&ops, sizeof(ops), false, false);
	set_pull(0, 1);
	expect_ok(config(0, GUSE_CONFIG_DRIVE_OPEN_DRAIN), GUSE_OP_SET_CONFIG);
	output(0, 1);
	CHECK_EQ(read_line(0), 1);
	set_pull(0, 0);
	CHECK_EQ(read_line(0), 0);
	set_value(0, 0);
	CHECK_EQ(read_line(0), 0);
	set_pull(0, 1);
	CHECK_EQ(read_line(0), 0);		/* drives low */
	set_value(0, 1);
	CHECK_EQ(read_line(0), 1);

	expect_ok(config(1, GUSE_CONFIG_DRIVE_OPEN_SOURCE), GUSE_OP_SET_CONFIG);
	output(1, 1);
	CHECK_EQ(read_line(1), 1);		/* drives high */
	set_value(1, 0);
	CHECK_EQ(read_line(1), 0);		/* floats to pull 0 */
	set_pull(1, 1);
	CHECK_EQ(read_line(1), 1);
	/* a server's own reply to a bias records it and injects nothing */
	expect_ok(config(1, GUSE_CONFIG_BIAS_PULL_DOWN), GUSE_OP_SET_CONFIG);
	CHECK_EQ(guse_chip_get_bias(chip, 1), GUSE_LINE_PARAM_BIAS_PULL_DOWN);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 1);
	stop();
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "undriven_line_follows_pull",
		  test_undriven_line_follows_pull },
		{ "bias_sets_pull", test_bias_sets_pull },
		{ "release_reverts_to_pull", test_release_reverts_to_pull },
		{ "hold_outputs", test_hold_outputs },
		{ "open_drain_emulated", test_open_drain_emulated },
		{ "open_drain_native", test_open_drain_native },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
