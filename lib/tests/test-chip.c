// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests: chip creation, every opcode, replies, malformed messages. */

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct guse_chip_config *make_cfg(unsigned int n)
{
	struct guse_chip_config *cfg = guse_chip_config_new();

	CHECK(cfg);
	CHECK_EQ(guse_chip_config_set_num_lines(cfg, n), 0);
	return cfg;
}

static void expect_ok(struct fk *fk, uint16_t op, uint64_t id)
{
	fk_expect(fk, op, id, 0, NULL, 0);
}

static void expect_dir(struct fk *fk, uint64_t id, uint32_t dir)
{
	struct guse_direction d = { .direction = htole32(dir) };

	fk_expect(fk, GUSE_OP_GET_DIRECTION, id, 0, &d, sizeof(d));
}

/* --- creation ------------------------------------------------------------ */

static void test_create_ready(void)
{
	struct guse_chip_config *cfg = make_cfg(10);
	struct {
		struct guse_msg_header h;
		struct guse_create c;
		char names[10][GUSE_NAME_SIZE];
	} want, got;
	struct guse_chip *chip;
	struct fk fk;

	CHECK_EQ(guse_chip_config_set_label(cfg, "my-chip"), 0);
	CHECK_EQ(guse_chip_config_set_timeout_ms(cfg, 1234), 0);
	CHECK_EQ(guse_chip_config_set_line_name(cfg, 1, "LED"), 0);
	CHECK_EQ(guse_chip_config_set_line_name(cfg, 9, "BUTTON"), 0);
	chip = fk_chip(&fk, cfg, 10, NULL, 0, &fk, &got, sizeof(got));

	memset(&want, 0, sizeof(want));
	want.h.len = htole32(sizeof(want));
	want.h.opcode = htole16(GUSE_OP_CREATE);
	want.c.version = htole32(GUSE_VERSION);
	want.c.num_lines = htole32(10);
	want.c.timeout_ms = htole32(1234);
	/* no callbacks: the line model asks for requests and configuration */
	want.c.flags = htole32(GUSE_CREATE_F_LINE_NAMES |
			       GUSE_CREATE_F_REQUEST |
			       GUSE_CREATE_F_SET_CONFIG);
	strcpy(want.c.label, "my-chip");
	strcpy(want.names[1], "LED");
	strcpy(want.names[9], "BUTTON");
	CHECK(!memcmp(&want, &got, sizeof(want)));

	CHECK(!strcmp(guse_chip_get_name(chip), "gpiochip7"));
	CHECK(!strcmp(guse_chip_get_dev_name(chip), "guse3"));
	CHECK(!strcmp(guse_chip_get_label(chip), "my-chip"));
	CHECK(!strcmp(guse_chip_get_line_name(chip, 9), "BUTTON"));
	CHECK(!strcmp(guse_chip_get_line_name(chip, 0), ""));
	CHECK(!guse_chip_get_line_name(chip, 10) && errno == EINVAL);
	CHECK_EQ(guse_chip_get_num_lines(chip), 10);
	CHECK_EQ(guse_chip_get_num_words(chip), 1);
	CHECK_EQ(guse_chip_get_base(chip), 512);
	CHECK_EQ(guse_chip_get_timeout_ms(chip), 5000);
	CHECK(guse_chip_get_user_data(chip) == &fk);
	CHECK_EQ(guse_chip_get_fd(chip), fk.sfd);
	CHECK_EQ(guse_chip_get_direction(chip, 0), GUSE_LINE_DIRECTION_INPUT);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

static void dummy_req(struct guse_request *req, unsigned int line)
{
	(void)line;
	guse_reply_default(req);
}

static void dummy_consumer(struct guse_chip *c, unsigned int l, const char *s)
{
	(void)c;
	(void)l;
	(void)s;
}

static void dummy_cfg(struct guse_request *req, unsigned int line,
		      enum guse_line_param p, uint32_t a)
{
	(void)line;
	(void)p;
	(void)a;
	guse_reply_default(req);
}

static void dummy_irq(struct guse_request *req, unsigned int line,
		      enum guse_line_irq_type t, uint32_t f)
{
	(void)line;
	(void)t;
	(void)f;
	guse_reply_default(req);
}

static uint32_t create_flags_for(const struct guse_chip_ops *ops, bool track,
				 bool serve_reads)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct {
		struct guse_msg_header h;
		struct guse_create c;
	} got;
	struct guse_chip *chip;
	struct fk fk;

	guse_chip_config_set_track_all(cfg, track);
	guse_chip_config_set_serve_input_reads(cfg, serve_reads);
	chip = fk_chip(&fk, cfg, 4, ops, sizeof(*ops), NULL, &got,
		       sizeof(got));
	CHECK_EQ(le32toh(got.h.len), sizeof(got));
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
	return le32toh(got.c.flags);
}

static void dummy_values(struct guse_request *r, const uint64_t *mask)
{
	(void)mask;
	guse_reply_default(r);
}

static void test_create_features(void)
{
	struct guse_chip_ops ops = { 0 };

	/* without any callback the line model needs REQUEST/FREE and
	 * SET_CONFIG (releases and biases) */
	CHECK_EQ(create_flags_for(&ops, false, false),
		 GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_SET_CONFIG);
	CHECK_EQ(create_flags_for(&ops, true, false), GUSE_CREATE_F_REQUEST |
		 GUSE_CREATE_F_SET_CONFIG | GUSE_CREATE_F_IRQ_CONFIG);
	ops.free = dummy_req;
	CHECK_EQ(create_flags_for(&ops, false, false), GUSE_CREATE_F_REQUEST);
	ops.free = NULL;
	ops.consumer = dummy_consumer;
	CHECK_EQ(create_flags_for(&ops, false, false), GUSE_CREATE_F_REQUEST);
	ops.consumer = NULL;
	ops.set_config = dummy_cfg;
	CHECK_EQ(create_flags_for(&ops, false, false),
		 GUSE_CREATE_F_SET_CONFIG);
	ops.set_config = NULL;
	ops.irq_config = dummy_irq;
	CHECK_EQ(create_flags_for(&ops, false, false),
		 GUSE_CREATE_F_IRQ_CONFIG);
	ops.irq_config = NULL;
	ops.get_direction = dummy_req;
	CHECK_EQ(create_flags_for(&ops, false, false), 0);
	ops.get_direction = NULL;
	/* a get_values callback alone does not change who reads inputs */
	ops.get_values = dummy_values;
	CHECK_EQ(create_flags_for(&ops, false, false), 0);
	CHECK_EQ(create_flags_for(&ops, true, false), GUSE_CREATE_F_REQUEST |
		 GUSE_CREATE_F_SET_CONFIG | GUSE_CREATE_F_IRQ_CONFIG);
	/* the server asks for input reads on purpose, callback or not */
	CHECK_EQ(create_flags_for(&ops, false, true), GUSE_CREATE_F_GET_INPUTS);
	ops.get_values = NULL;
	CHECK_EQ(create_flags_for(&ops, false, true), GUSE_CREATE_F_GET_INPUTS |
		 GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_SET_CONFIG);
}

/* Serving input reads without a callback: the injected levels. */
static void test_serve_input_reads_default(void)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct guse_chip *chip;
	uint64_t m = 0xf, v;
	uint8_t bm[64];
	struct fk fk;
	size_t n;

	guse_chip_config_set_serve_input_reads(cfg, true);
	chip = fk_chip(&fk, cfg, 4, NULL, 0, NULL, NULL, 0);
	CHECK_EQ(guse_chip_set_input(chip, 2, 1), 0);
	v = 1 << 2;
	n = pl_bitmap(bm, 1, &v, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 1, bm, n);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	n = pl_bitmap(bm, 1, &v, NULL);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 1, 0, bm, n);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* Try guse_chip_new_fd with whatever the fake kernel queued first. */
static int try_create(struct fk *fk, unsigned int n)
{
	struct guse_chip_config *cfg = make_cfg(n);
	struct guse_chip *chip = guse_chip_new_fd(fk->sfd, cfg, NULL, 0, NULL);
	int err = errno;

	guse_chip_config_free(cfg);
	if (chip) {
		guse_chip_free(chip);
		fk_close(fk);
		return 0;
	}
	close(fk->sfd);		/* failure: the caller still owns it */
	fk_close(fk);
	return err;
}

static void test_create_errors(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_ready r;
	char long_name[GUSE_NAME_SIZE + 1];
	struct fk fk;

	/* configuration errors */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[GUSE_NAME_SIZE] = '\0';
	CHECK(guse_chip_config_set_num_lines(cfg, 0) < 0 && errno == EINVAL);
	CHECK(guse_chip_config_set_num_lines(cfg, GUSE_LINES_MAX + 1) < 0);
	CHECK(guse_chip_config_set_label(cfg, "") < 0 && errno == EINVAL);
	CHECK(guse_chip_config_set_label(cfg, NULL) < 0);
	CHECK(guse_chip_config_set_label(cfg, long_name) < 0);
	long_name[GUSE_NAME_SIZE - 1] = '\0';
	CHECK_EQ(guse_chip_config_set_label(cfg, long_name), 0);
	CHECK(guse_chip_config_set_line_name(cfg, GUSE_LINES_MAX, "a") < 0);
	CHECK(guse_chip_config_set_timeout_ms(cfg, GUSE_TIMEOUT_MAX_MS + 1) < 0);
	CHECK_EQ(guse_chip_config_set_device_path(cfg, "/nonexistent/guse"), 0);
	CHECK_EQ(guse_chip_config_set_num_lines(cfg, 4), 0);
	CHECK(!guse_chip_new(cfg, NULL, 0, NULL) && errno == ENOENT);
	/* no lines set */
	guse_chip_config_free(cfg);
	cfg = guse_chip_config_new();
	fk_open(&fk);
	CHECK(!guse_chip_new_fd(fk.sfd, cfg, NULL, 0, NULL) && errno == EINVAL);
	/* a name beyond the last line */
	guse_chip_config_set_num_lines(cfg, 4);
	guse_chip_config_set_line_name(cfg, 4, "x");
	CHECK(!guse_chip_new_fd(fk.sfd, cfg, NULL, 0, NULL) && errno == EINVAL);
	close(fk.sfd);
	fk_close(&fk);
	guse_chip_config_free(cfg);

	/* good READY: sanity */
	fk_open(&fk);
	fk_send_ready(&fk, 4, "gpiochip0", "guse0");
	CHECK_EQ(try_create(&fk, 4), 0);

	/* wrong number of lines */
	fk_open(&fk);
	fk_send_ready(&fk, 5, "gpiochip0", "guse0");
	CHECK_EQ(try_create(&fk, 4), EPROTO);

	/* another message first */
	fk_open(&fk);
	{
		struct guse_line l = pl_line(0);

		fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l, sizeof(l));
	}
	CHECK_EQ(try_create(&fk, 4), EPROTO);

	/* wrong major version */
	memset(&r, 0, sizeof(r));
	r.version = htole32((GUSE_VERSION_MAJOR + 1) << 16);
	r.num_lines = htole32(4);
	fk_open(&fk);
	fk_send(&fk, GUSE_OP_READY, 0, &r, sizeof(r));
	CHECK_EQ(try_create(&fk, 4), EPROTO);

	/* truncated READY */
	r.version = htole32(GUSE_VERSION);
	fk_open(&fk);
	fk_send(&fk, GUSE_OP_READY, 0, &r, sizeof(r) - 4);
	CHECK_EQ(try_create(&fk, 4), EPROTO);

	/* header length lies */
	fk_open(&fk);
	fk_send_raw(&fk, 8, GUSE_OP_READY, 0, 0, 0, &r, sizeof(r));
	CHECK_EQ(try_create(&fk, 4), EPROTO);

	/* unterminated names are terminated by the library */
	memset(r.chip_name, 'c', sizeof(r.chip_name));
	memset(r.dev_name, 'd', sizeof(r.dev_name));
	fk_open(&fk);
	fk_send(&fk, GUSE_OP_READY, 0, &r, sizeof(r));
	cfg = make_cfg(4);
	{
		struct guse_chip *chip = guse_chip_new_fd(fk.sfd, cfg, NULL, 0,
							  NULL);

		CHECK(chip);
		if (chip) {
			CHECK_EQ(strlen(guse_chip_get_name(chip)),
				 GUSE_NAME_SIZE - 1);
			CHECK_EQ(strlen(guse_chip_get_dev_name(chip)),
				 GUSE_NAME_SIZE - 1);
		}
		guse_chip_free(chip);
	}
	fk_close(&fk);
	guse_chip_config_free(cfg);

	/* the kernel went away before READY */
	fk_open(&fk);
	shutdown(fk.kfd, SHUT_WR);
	CHECK_EQ(try_create(&fk, 4), ENODEV);

	/* the CREATE write fails */
	fk_open(&fk);
	fk_close(&fk);
	fk.kfd = -1;
	CHECK_EQ(try_create(&fk, 4), EPIPE);
}

/* --- built-in state ---------------------------------------------------------- */

static void test_builtin_all_opcodes(void)
{
	struct guse_chip_config *cfg = make_cfg(8);
	struct guse_chip *chip;
	struct fk fk;
	uint8_t bm[256];
	struct guse_line_consumer lc = pl_consumer(3, "gpioset");
	struct guse_line l3 = pl_line(3);
	struct guse_line_value lv = { htole32(3), htole32(1) };
	struct guse_set_config sc = { htole32(3), htole32(GUSE_CONFIG_BIAS_PULL_UP), 0, 0 };
	struct guse_irq_config ic = { htole32(5), htole32(GUSE_IRQ_TYPE_EDGE_BOTH),
				      htole32(GUSE_IRQ_F_ENABLED), 0 };
	uint64_t m, v;
	uint32_t flags;
	char buf[GUSE_NAME_SIZE];
	size_t n;

	guse_chip_config_set_track_all(cfg, true);
	chip = fk_chip(&fk, cfg, 8, NULL, 0, NULL, NULL, 0);

	fk_send(&fk, GUSE_OP_REQUEST, 1, &lc, sizeof(lc));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	expect_ok(&fk, GUSE_OP_REQUEST, 1);
	CHECK_EQ(guse_chip_is_requested(chip, 3), 1);
	CHECK_EQ(guse_chip_get_consumer(chip, 3, buf, sizeof(buf)), 7);
	CHECK(!strcmp(buf, "gpioset"));
	CHECK_EQ(guse_chip_get_consumer(chip, 3, buf, 4), 7);
	CHECK(!strcmp(buf, "gpi"));

	lc = pl_consumer(3, "renamed");
	fk_send_raw(&fk, 0, GUSE_OP_CONSUMER, GUSE_MSG_F_NOREPLY, 0, 0, &lc,
		    sizeof(lc));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK(fk_nothing(&fk, 0));
	guse_chip_get_consumer(chip, 3, buf, sizeof(buf));
	CHECK(!strcmp(buf, "renamed"));

	fk_send(&fk, GUSE_OP_GET_DIRECTION, 2, &l3, sizeof(l3));
	guse_chip_dispatch(chip);
	expect_dir(&fk, 2, GUSE_DIRECTION_INPUT);

	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 3, &lv, sizeof(lv));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_DIRECTION_OUTPUT, 3);
	CHECK_EQ(guse_chip_get_direction(chip, 3), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK_EQ(guse_chip_get_output_value(chip, 3), 1);

	fk_send(&fk, GUSE_OP_GET_DIRECTION, 4, &l3, sizeof(l3));
	guse_chip_dispatch(chip);
	expect_dir(&fk, 4, GUSE_DIRECTION_OUTPUT);

	/* inject line 5 high: one SET_INPUTS */
	CHECK_EQ(guse_chip_set_input(chip, 5, 1), 0);
	m = 1 << 5;
	v = 1 << 5;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK_EQ(guse_chip_get_input_level(chip, 5), 1);
	CHECK_EQ(guse_chip_set_input(chip, 8, 1), -1);

	/* values: output line 3 driven 1, input 5 high, input 6 low */
	m = (1 << 3) | (1 << 5) | (1 << 6);
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 5, bm, n);
	guse_chip_dispatch(chip);
	v = (1 << 3) | (1 << 5);
	n = pl_bitmap(bm, 1, &v, NULL);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 5, 0, bm, n);

	m = 1 << 3;
	v = 0;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_send(&fk, GUSE_OP_SET_VALUES, 6, bm, n);
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_SET_VALUES, 6);
	CHECK_EQ(guse_chip_get_output_value(chip, 3), 0);
	CHECK_EQ(guse_chip_get_value(chip, 3), 0);
	CHECK_EQ(guse_chip_get_value(chip, 5), 1);

	/* a pull-up becomes the pull of line 3, injected before the reply;
	 * the output it drives still decides what it reads */
	fk_send(&fk, GUSE_OP_SET_CONFIG, 7, &sc, sizeof(sc));
	guse_chip_dispatch(chip);
	m = 1 << 3;
	v = 1 << 3;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	expect_ok(&fk, GUSE_OP_SET_CONFIG, 7);
	CHECK_EQ(guse_chip_get_bias(chip, 3), GUSE_LINE_PARAM_BIAS_PULL_UP);
	CHECK_EQ(guse_chip_get_input_level(chip, 3), 1);
	CHECK_EQ(guse_chip_get_value(chip, 3), 0);
	/* open drain is declined, as by gpio-sim: gpiolib emulates it */
	sc.param = htole32(GUSE_CONFIG_DRIVE_OPEN_DRAIN);
	fk_send(&fk, GUSE_OP_SET_CONFIG, 8, &sc, sizeof(sc));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, 8, EOPNOTSUPP, NULL, 0);
	CHECK_EQ(guse_chip_get_drive(chip, 3), 0);
	sc.param = htole32(GUSE_CONFIG_INPUT_DEBOUNCE);
	sc.arg = htole32(1000);
	fk_send(&fk, GUSE_OP_SET_CONFIG, 9, &sc, sizeof(sc));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, 9, EOPNOTSUPP, NULL, 0);
	CHECK_EQ(guse_chip_get_debounce_us(chip, 3), 0);

	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 10, &ic, sizeof(ic));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_IRQ_CONFIG, 10);
	CHECK_EQ(guse_chip_get_irq_type(chip, 5, &flags),
		 GUSE_LINE_IRQ_EDGE_BOTH);
	CHECK_EQ(flags, GUSE_LINE_IRQ_F_ENABLED);

	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 11, &l3, sizeof(l3));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_DIRECTION_INPUT, 11);
	CHECK_EQ(guse_chip_get_direction(chip, 3), GUSE_LINE_DIRECTION_INPUT);

	fk_send(&fk, GUSE_OP_FREE, 12, &l3, sizeof(l3));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_FREE, 12);
	CHECK_EQ(guse_chip_is_requested(chip, 3), 0);
	CHECK_EQ(guse_chip_get_consumer(chip, 3, buf, sizeof(buf)), 0);

	/* nothing left over, dispatch on an empty socket returns 0 */
	CHECK_EQ(guse_chip_dispatch(chip), 0);
	CHECK(fk_nothing(&fk, 0));

	/* bad lines in the getters */
	CHECK(guse_chip_get_direction(chip, 8) < 0 && errno == EINVAL);
	CHECK(guse_chip_get_consumer(chip, 8, buf, sizeof(buf)) < 0);
	CHECK(guse_chip_get_irq_type(chip, 8, NULL) < 0);

	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- callbacks --------------------------------------------------------------- */

struct cb_log {
	int calls;
	uint16_t last_type;
	unsigned int line;
	int value;
	uint64_t mask, values;
	char consumer[GUSE_NAME_SIZE];
	int reply_errno;	/* 0: reply ok / default */
};

static struct cb_log *log_of(struct guse_request *req)
{
	struct cb_log *log = guse_request_get_user_data(req);

	CHECK(guse_chip_get_user_data(guse_request_get_chip(req)) == log);
	log->calls++;
	log->last_type = (uint16_t)guse_request_get_type(req);
	return log;
}

static void answer(struct cb_log *log, struct guse_request *req)
{
	if (log->reply_errno)
		CHECK_EQ(guse_reply_error(req, log->reply_errno), 0);
	else
		CHECK_EQ(guse_reply_default(req), 0);
}

static void cb_request(struct guse_request *req, unsigned int line,
		       const char *consumer)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	strcpy(log->consumer, consumer);
	answer(log, req);
}

static void cb_free(struct guse_request *req, unsigned int line)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	answer(log, req);
}

static void cb_consumer(struct guse_chip *chip, unsigned int line,
			const char *consumer)
{
	struct cb_log *log = guse_chip_get_user_data(chip);

	log->calls++;
	log->last_type = GUSE_OP_CONSUMER;
	log->line = line;
	strcpy(log->consumer, consumer);
}

static void cb_get_direction(struct guse_request *req, unsigned int line)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	if (log->reply_errno)
		guse_reply_error(req, log->reply_errno);
	else
		CHECK_EQ(guse_reply_direction(req, GUSE_LINE_DIRECTION_OUTPUT), 0);
}

static void cb_direction_input(struct guse_request *req, unsigned int line)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	answer(log, req);
}

static void cb_direction_output(struct guse_request *req, unsigned int line,
				int value)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	log->value = value;
	answer(log, req);
}

static void cb_get_values(struct guse_request *req, const uint64_t *mask)
{
	struct cb_log *log = log_of(req);
	uint64_t all[2] = { ~0ULL, ~0ULL };

	log->mask = mask[0];
	if (log->reply_errno)
		guse_reply_error(req, log->reply_errno);
	else
		CHECK_EQ(guse_reply_values(req, all), 0);
}

static void cb_set_values(struct guse_request *req, const uint64_t *mask,
			  const uint64_t *values)
{
	struct cb_log *log = log_of(req);

	log->mask = mask[0];
	log->values = values[0];
	answer(log, req);
}

static void cb_set_config(struct guse_request *req, unsigned int line,
			  enum guse_line_param param, uint32_t arg)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	log->value = (int)param;
	log->mask = arg;
	if (log->reply_errno)
		guse_reply_error(req, log->reply_errno);
	else
		guse_reply_ok(req);	/* accept even debounce */
}

static void cb_irq_config(struct guse_request *req, unsigned int line,
			  enum guse_line_irq_type type, uint32_t flags)
{
	struct cb_log *log = log_of(req);

	log->line = line;
	log->value = (int)type;
	log->mask = flags;
	answer(log, req);
}

static const struct guse_chip_ops all_ops = {
	.request = cb_request,
	.free = cb_free,
	.consumer = cb_consumer,
	.get_direction = cb_get_direction,
	.direction_input = cb_direction_input,
	.direction_output = cb_direction_output,
	.get_values = cb_get_values,
	.set_values = cb_set_values,
	.set_config = cb_set_config,
	.irq_config = cb_irq_config,
};

static void test_callbacks(void)
{
	struct guse_chip_config *cfg = make_cfg(6);
	struct cb_log log = { 0 };
	struct guse_chip *chip;
	struct fk fk;
	uint8_t bm[256];
	struct {
		struct guse_msg_header h;
		struct guse_create c;
	} create;
	struct guse_line_consumer lc = pl_consumer(2, "drv");
	struct guse_line l2 = pl_line(2);
	struct guse_line_value lv = { htole32(2), htole32(1) };
	struct guse_set_config sc = { htole32(4), htole32(GUSE_CONFIG_INPUT_DEBOUNCE),
				      htole32(250), 0 };
	struct guse_irq_config ic = { htole32(1), htole32(GUSE_IRQ_TYPE_LEVEL_LOW), 0, 0 };
	uint64_t m, v;
	size_t n;

	guse_chip_config_set_serve_input_reads(cfg, true);
	chip = fk_chip(&fk, cfg, 6, &all_ops, sizeof(all_ops), &log, &create,
		       sizeof(create));
	CHECK_EQ(le32toh(create.c.flags), GUSE_CREATE_F_REQUEST |
		 GUSE_CREATE_F_SET_CONFIG | GUSE_CREATE_F_IRQ_CONFIG |
		 GUSE_CREATE_F_GET_INPUTS);

	fk_send(&fk, GUSE_OP_REQUEST, 100, &lc, sizeof(lc));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_REQUEST, 100);
	CHECK_EQ(log.last_type, GUSE_REQUEST_REQUEST);
	CHECK_EQ(log.line, 2);
	CHECK(!strcmp(log.consumer, "drv"));
	CHECK_EQ(guse_chip_is_requested(chip, 2), 1);

	/* refused request: the state does not change */
	log.reply_errno = EBUSY;
	lc = pl_consumer(4, "other");
	fk_send(&fk, GUSE_OP_REQUEST, 101, &lc, sizeof(lc));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_REQUEST, 101, EBUSY, NULL, 0);
	CHECK_EQ(guse_chip_is_requested(chip, 4), 0);
	log.reply_errno = 0;

	lc = pl_consumer(2, "late-label");
	fk_send_raw(&fk, 0, GUSE_OP_CONSUMER, GUSE_MSG_F_NOREPLY, 0, 0, &lc,
		    sizeof(lc));
	guse_chip_dispatch(chip);
	CHECK_EQ(log.last_type, GUSE_OP_CONSUMER);
	CHECK(!strcmp(log.consumer, "late-label"));
	CHECK(fk_nothing(&fk, 0));

	fk_send(&fk, GUSE_OP_GET_DIRECTION, 102, &l2, sizeof(l2));
	guse_chip_dispatch(chip);
	expect_dir(&fk, 102, GUSE_DIRECTION_OUTPUT);
	CHECK_EQ(log.last_type, GUSE_REQUEST_GET_DIRECTION);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_OUTPUT);

	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 103, &l2, sizeof(l2));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_DIRECTION_INPUT, 103);
	CHECK_EQ(log.last_type, GUSE_REQUEST_DIRECTION_INPUT);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_INPUT);

	/* failed direction change keeps the state */
	log.reply_errno = EIO;
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 104, &lv, sizeof(lv));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_DIRECTION_OUTPUT, 104, EIO, NULL, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_INPUT);
	log.reply_errno = 0;
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 105, &lv, sizeof(lv));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_DIRECTION_OUTPUT, 105);
	CHECK_EQ(log.value, 1);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_OUTPUT);
	CHECK_EQ(guse_chip_get_output_value(chip, 2), 1);

	/* get_values: the library masks the callback's answer */
	m = 0x21;
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 106, bm, n);
	guse_chip_dispatch(chip);
	CHECK_EQ(log.mask, 0x21);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 106, 0, bm, n);

	/* set_values: value bits outside the mask never reach the callback */
	m = 0x05;
	v = 0x3e;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_send(&fk, GUSE_OP_SET_VALUES, 107, bm, n);
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_SET_VALUES, 107);
	CHECK_EQ(log.mask, 0x05);
	CHECK_EQ(log.values, 0x04);
	CHECK_EQ(guse_chip_get_output_value(chip, 2), 1);
	CHECK_EQ(guse_chip_get_output_value(chip, 0), 0);

	fk_send(&fk, GUSE_OP_SET_CONFIG, 108, &sc, sizeof(sc));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_SET_CONFIG, 108);
	CHECK_EQ(log.line, 4);
	CHECK_EQ(log.value, GUSE_LINE_PARAM_INPUT_DEBOUNCE);
	CHECK_EQ(log.mask, 250);
	CHECK_EQ(guse_chip_get_debounce_us(chip, 4), 250);

	log.reply_errno = EOPNOTSUPP;
	sc.param = htole32(GUSE_CONFIG_BIAS_PULL_DOWN);
	sc.arg = 0;
	fk_send(&fk, GUSE_OP_SET_CONFIG, 109, &sc, sizeof(sc));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, 109, EOPNOTSUPP, NULL, 0);
	CHECK_EQ(guse_chip_get_bias(chip, 4), 0);
	log.reply_errno = 0;

	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 110, &ic, sizeof(ic));
	guse_chip_dispatch(chip);
	expect_ok(&fk, GUSE_OP_IRQ_CONFIG, 110);
	CHECK_EQ(log.value, GUSE_LINE_IRQ_LEVEL_LOW);
	CHECK_EQ(log.mask, 0);
	CHECK_EQ(guse_chip_get_irq_type(chip, 1, NULL), GUSE_LINE_IRQ_LEVEL_LOW);

	/* a failing FREE still releases the line */
	log.reply_errno = EIO;
	fk_send(&fk, GUSE_OP_FREE, 111, &l2, sizeof(l2));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_FREE, 111, EIO, NULL, 0);
	CHECK_EQ(guse_chip_is_requested(chip, 2), 0);

	CHECK_EQ(log.calls, 13);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- reply misuse and error mapping ------------------------------------------ */

static struct guse_request *held[64];
static int nheld;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;

/* Keep a request to answer it later (from the test, or other threads). */
static void hold1(struct guse_request *req)
{
	guse_request_defer(req);
	pthread_mutex_lock(&held_lock);
	held[nheld++] = req;
	pthread_mutex_unlock(&held_lock);
}

static void hold_line(struct guse_request *req, unsigned int line)
{
	(void)line;
	hold1(req);
}

static void hold_values(struct guse_request *req, const uint64_t *mask)
{
	(void)mask;
	hold1(req);
}

static void hold_set_values(struct guse_request *req, const uint64_t *mask,
			    const uint64_t *values)
{
	(void)mask;
	(void)values;
	hold1(req);
}

static void hold_output(struct guse_request *req, unsigned int line, int v)
{
	(void)line;
	(void)v;
	hold1(req);
}

static void hold_request(struct guse_request *req, unsigned int line,
			 const char *c)
{
	(void)line;
	(void)c;
	hold1(req);
}

static const struct guse_chip_ops hold_ops = {
	.request = hold_request,
	.free = hold_line,
	.get_direction = hold_line,
	.direction_input = hold_line,
	.direction_output = hold_output,
	.get_values = hold_values,
	.set_values = hold_set_values,
};

static void test_reply_misuse(void)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct guse_line l0 = pl_line(0);
	struct guse_chip *chip;
	struct fk fk;
	uint8_t bm[64];
	uint64_t m = 1;
	size_t n;

	nheld = 0;
	chip = fk_chip(&fk, cfg, 4, &hold_ops, sizeof(hold_ops), NULL, NULL, 0);
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l0, sizeof(l0));
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 2, &l0, sizeof(l0));
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 3, bm, n);
	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 4, &l0, sizeof(l0));
	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 5, &l0, sizeof(l0));
	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 6, &l0, sizeof(l0));
	CHECK_EQ(guse_chip_dispatch(chip), 6);
	CHECK_EQ(nheld, 6);
	CHECK_EQ(fk_nothing(&fk, 0), true);

	/* payload-less ok to GET_DIRECTION: EINVAL, kernel gets EIO */
	CHECK(guse_reply_ok(held[0]) < 0 && errno == EINVAL);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 1, EIO, NULL, 0);
	/* bad direction value (1 is not one: the values are libgpiod's) */
	CHECK(guse_reply_direction(held[1], 1) < 0 && errno == EINVAL);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 2, EIO, NULL, 0);
	/* values to a non-GET_VALUES request */
	CHECK(guse_reply_values(held[3], &m) < 0 && errno == EINVAL);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 4, EIO, NULL, 0);
	CHECK(guse_reply_direction(held[2], 0) < 0 && errno == EINVAL);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 3, EIO, NULL, 0);
	/* errno values the kernel cannot pass become EIO */
	CHECK_EQ(guse_reply_error(held[4], 0), 0);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 5, EIO, NULL, 0);
	CHECK_EQ(guse_reply_error(held[5], 500), 0);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 6, EIO, NULL, 0);

	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- deferred replies from other threads ------------------------------------- */

#define NDEFER 40

static void *reply_thread(void *arg)
{
	int parity = *(int *)arg, i;

	for (i = parity; i < NDEFER; i += 2) {
		struct guse_request *req = held[i];

		if (guse_request_get_type(req) == GUSE_REQUEST_GET_DIRECTION)
			CHECK_EQ(guse_reply_direction(req, GUSE_LINE_DIRECTION_OUTPUT), 0);
		else
			CHECK_EQ(guse_reply_ok(req), 0);
	}
	return NULL;
}

static void test_deferred_replies(void)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct guse_chip *chip;
	struct fk fk;
	pthread_t t[2];
	int parity[2] = { 0, 1 }, i, got[NDEFER + 1] = { 0 };
	uint8_t buf[256];

	nheld = 0;
	chip = fk_chip(&fk, cfg, 4, &hold_ops, sizeof(hold_ops), NULL, NULL, 0);
	for (i = 0; i < NDEFER; i++) {
		struct guse_line_value lv = { htole32(i % 4), htole32(1) };
		struct guse_line l = pl_line(i % 4);

		if (i % 2)
			fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, i + 1, &lv, sizeof(lv));
		else
			fk_send(&fk, GUSE_OP_GET_DIRECTION, i + 1, &l, sizeof(l));
	}
	CHECK_EQ(guse_chip_dispatch(chip), NDEFER);
	CHECK_EQ(nheld, NDEFER);
	CHECK(fk_nothing(&fk, 0));
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, reply_thread, &parity[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NDEFER; i++) {
		int n = fk_recv(&fk, buf, sizeof(buf), 1000);
		struct guse_msg_header *h = (void *)buf;
		uint64_t id;

		CHECK(n >= (int)sizeof(*h));
		if (n < (int)sizeof(*h))
			break;
		id = le64toh(h->id);
		CHECK(id >= 1 && id <= NDEFER);
		if (id < 1 || id > NDEFER)
			continue;
		got[id]++;
		CHECK_EQ(h->error, 0);
		if (id % 2)
			CHECK_EQ(n, sizeof(*h) + sizeof(struct guse_direction));
		else
			CHECK_EQ(n, sizeof(*h));
	}
	for (i = 1; i <= NDEFER; i++)
		CHECK_EQ(got[i], 1);
	for (i = 0; i < 4; i++)
		CHECK_EQ(guse_chip_get_direction(chip, i), GUSE_LINE_DIRECTION_OUTPUT);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- deferred requests outlive the chip -------------------------------------- */

static void test_unanswered_freed(void)
{
	struct guse_chip_config *cfg = make_cfg(100);
	struct guse_chip *chip;
	struct fk fk;
	uint8_t bm[256];
	uint64_t m[2] = { 1, 1 }, v[2] = { 0, 1 };
	size_t n;
	int i;

	nheld = 0;
	chip = fk_chip(&fk, cfg, 100, &hold_ops, sizeof(hold_ops), NULL, NULL, 0);
	for (i = 0; i < 10; i++) {
		n = pl_bitmap(bm, 2, m, v);
		fk_send(&fk, GUSE_OP_SET_VALUES, i + 1, bm, n);
	}
	CHECK_EQ(guse_chip_dispatch(chip), 10);
	CHECK_EQ(nheld, 10);
	/* answer one in the middle so the list has a hole */
	CHECK_EQ(guse_reply_ok(held[5]), 0);
	expect_ok(&fk, GUSE_OP_SET_VALUES, 6);
	CHECK_EQ(guse_chip_get_output_value(chip, 64), 1);
	guse_chip_free(chip);
	/* the 9 others are still valid; answering frees them (leak checkers) */
	for (i = 0; i < 10; i++)
		if (i != 5)
			CHECK(guse_reply_ok(held[i]) < 0 && errno == ENODEV);
	CHECK(fk_recv(&fk, bm, sizeof(bm), 1000) == 0);	/* end of file */
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- SET_INPUTS encoding ----------------------------------------------------- */

static void test_set_inputs(void)
{
	struct guse_chip_config *cfg = make_cfg(70);
	struct guse_chip *chip;
	struct fk fk;
	uint8_t bm[256];
	uint64_t m[2], v[2], em[2], ev[2];
	size_t n;

	chip = fk_chip(&fk, cfg, 70, NULL, 0, NULL, NULL, 0);
	m[0] = 0x8000000000000001ULL;
	m[1] = 0x21;
	v[0] = 0xffffffffffffffffULL;	/* bits outside the mask dropped */
	v[1] = 0x01;
	CHECK_EQ(guse_chip_set_inputs(chip, m, v), 0);
	em[0] = m[0];
	em[1] = m[1];
	ev[0] = m[0];
	ev[1] = 0x01;
	n = pl_bitmap(bm, 2, em, ev);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK_EQ(guse_chip_get_input_level(chip, 0), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 63), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 64), 1);
	CHECK_EQ(guse_chip_get_input_level(chip, 69), 0);
	CHECK_EQ(guse_chip_get_input_level(chip, 1), 0);

	/* line 70 does not exist */
	m[1] = 1ULL << 6;
	CHECK(guse_chip_set_inputs(chip, m, v) < 0 && errno == EINVAL);
	CHECK(fk_nothing(&fk, 0));
	CHECK(guse_chip_set_inputs(chip, NULL, v) < 0 && errno == EINVAL);

	CHECK_EQ(guse_chip_set_input(chip, 69, 1), 0);
	em[0] = 0;
	em[1] = 1ULL << 5;
	n = pl_bitmap(bm, 2, em, em);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);

	/* a GET_VALUES answered after the injection sees the level */
	m[0] = 0;
	m[1] = 1ULL << 5;
	n = pl_bitmap(bm, 2, m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 1, bm, n);
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 1, 0, bm, n);

	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

/* --- malformed messages ------------------------------------------------------- */

static int never_calls;

static void never_line(struct guse_request *req, unsigned int line)
{
	(void)line;
	never_calls++;
	guse_reply_default(req);
}

static void never_values(struct guse_request *req, const uint64_t *mask)
{
	(void)mask;
	never_calls++;
	guse_reply_default(req);
}

static void never_set_values(struct guse_request *req, const uint64_t *mask,
			     const uint64_t *values)
{
	(void)mask;
	(void)values;
	never_calls++;
	guse_reply_default(req);
}

static void never_consumer(struct guse_chip *chip, unsigned int line,
			   const char *consumer)
{
	(void)chip;
	(void)line;
	(void)consumer;
	never_calls++;
}

static void never_irq(struct guse_request *req, unsigned int line,
		      enum guse_line_irq_type t, uint32_t f)
{
	(void)line;
	(void)t;
	(void)f;
	never_calls++;
	guse_reply_default(req);
}

static void never_cfg(struct guse_request *req, unsigned int line,
		      enum guse_line_param p, uint32_t a)
{
	(void)line;
	(void)p;
	(void)a;
	never_calls++;
	guse_reply_default(req);
}

static const struct guse_chip_ops never_ops = {
	.free = never_line,
	.consumer = never_consumer,
	.get_direction = never_line,
	.get_values = never_values,
	.set_values = never_set_values,
	.set_config = never_cfg,
	.irq_config = never_irq,
};

static void test_malformed(void)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct guse_chip *chip;
	struct fk fk;
	struct guse_line l0 = pl_line(0), l4 = pl_line(4);
	struct guse_line_consumer lc = pl_consumer(9, "x");
	struct guse_irq_config ic = { 0, htole32(0x10), 0, 0 };
	struct guse_set_config sc = { 0, htole32(99), 0, 0 };
	uint8_t bm[256], junk[8] = { 1, 2, 3 };
	uint64_t m = 1 << 4, v = 0;
	size_t n;

	never_calls = 0;
	chip = fk_chip(&fk, cfg, 4, &never_ops, sizeof(never_ops), NULL, NULL, 0);

	/* shorter than a header: dropped */
	CHECK_EQ(write(fk.kfd, junk, sizeof(junk)), sizeof(junk));
	/* header length differs from the message size: EINVAL */
	fk_send_raw(&fk, 100, GUSE_OP_GET_DIRECTION, 0, 1, 0, &l0, sizeof(l0));
	/* payload too short or too long: EINVAL */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 2, &l0, 4);
	fk_send(&fk, GUSE_OP_FREE, 3, &lc, sizeof(lc));
	/* line out of range: EINVAL */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 4, &l4, sizeof(l4));
	/* unknown request: EOPNOTSUPP */
	fk_send(&fk, 77, 5, &l0, sizeof(l0));
	/* unknown notification, READY again, a request with id 0, a request
	 * flagged NOREPLY, a CONSUMER for a bad line: all dropped */
	fk_send_raw(&fk, 0, 78, GUSE_MSG_F_NOREPLY, 0, 0, NULL, 0);
	fk_send_ready(&fk, 4, "x", "y");
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 0, &l0, sizeof(l0));
	fk_send_raw(&fk, 0, GUSE_OP_GET_DIRECTION, GUSE_MSG_F_NOREPLY, 6, 0,
		    &l0, sizeof(l0));
	fk_send_raw(&fk, 0, GUSE_OP_CONSUMER, GUSE_MSG_F_NOREPLY, 0, 0, &lc,
		    sizeof(lc));
	/* bitmap with the wrong word count / bits beyond the last line */
	n = pl_bitmap(bm, 1, &m, NULL);
	((struct guse_bitmap *)bm)->num_words = htole32(2);
	fk_send(&fk, GUSE_OP_GET_VALUES, 7, bm, n);
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 8, bm, n);
	m = 1;
	v = 1 << 5;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_send(&fk, GUSE_OP_SET_VALUES, 9, bm, n);
	/* bad irq type: EINVAL; unknown config parameter: EOPNOTSUPP */
	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 10, &ic, sizeof(ic));
	fk_send(&fk, GUSE_OP_SET_CONFIG, 11, &sc, sizeof(sc));
	/* error field set in a request: EINVAL */
	fk_send_raw(&fk, 0, GUSE_OP_GET_DIRECTION, 0, 12, 5, &l0, sizeof(l0));

	CHECK_EQ(guse_chip_dispatch(chip), 17);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 1, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 2, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_FREE, 3, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 4, EINVAL, NULL, 0);
	fk_expect(&fk, 77, 5, EOPNOTSUPP, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 7, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 8, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_SET_VALUES, 9, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_IRQ_CONFIG, 10, EINVAL, NULL, 0);
	fk_expect(&fk, GUSE_OP_SET_CONFIG, 11, EOPNOTSUPP, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 12, EINVAL, NULL, 0);
	CHECK(fk_nothing(&fk, 0));
	CHECK_EQ(never_calls, 0);

	/* still serving */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 13, &l0, sizeof(l0));
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	expect_dir(&fk, 13, GUSE_DIRECTION_INPUT);
	CHECK_EQ(never_calls, 1);

	/* the kernel side closes: ENODEV */
	fk_close(&fk);
	CHECK(guse_chip_dispatch(chip) < 0 && errno == ENODEV);
	guse_chip_free(chip);
	guse_chip_config_free(cfg);
}

/* --- an old binary with a shorter ops table ---------------------------------- */

static void must_not_run(struct guse_request *req, const uint64_t *mask)
{
	(void)mask;
	CHECK(!"callback beyond ops_size called");
	guse_reply_default(req);
}

static int old_calls;

static void old_get_direction(struct guse_request *req, unsigned int line)
{
	(void)line;
	old_calls++;
	guse_reply_direction(req, GUSE_LINE_DIRECTION_OUTPUT);
}

static void test_old_ops_size(void)
{
	struct guse_chip_config *cfg = make_cfg(4);
	struct guse_chip_ops ops;
	struct guse_chip *chip;
	struct fk fk;
	struct guse_line l1 = pl_line(1);
	struct {
		struct guse_msg_header h;
		struct guse_create c;
	} create;
	uint8_t bm[64];
	uint64_t m = 2, v = 0;
	size_t n;

	/* garbage beyond what the "old binary" knows */
	memset(&ops, 0, sizeof(ops));
	ops.get_direction = old_get_direction;
	ops.get_values = must_not_run;
	ops.set_config = (void *)must_not_run;
	ops.irq_config = (void *)must_not_run;
	chip = fk_chip(&fk, cfg, 4, &ops,
		       offsetof(struct guse_chip_ops, direction_input), NULL,
		       &create, sizeof(create));
	CHECK_EQ(le32toh(create.c.flags), 0);
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l1, sizeof(l1));
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 2, bm, n);
	CHECK_EQ(guse_chip_dispatch(chip), 2);
	expect_dir(&fk, 1, GUSE_DIRECTION_OUTPUT);
	n = pl_bitmap(bm, 1, &v, NULL);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 2, 0, bm, n);
	CHECK_EQ(old_calls, 1);
	guse_chip_free(chip);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "create_ready", test_create_ready },
		{ "create_features", test_create_features },
		{ "serve_input_reads_default", test_serve_input_reads_default },
		{ "create_errors", test_create_errors },
		{ "builtin_all_opcodes", test_builtin_all_opcodes },
		{ "callbacks", test_callbacks },
		{ "reply_misuse", test_reply_misuse },
		{ "deferred_replies", test_deferred_replies },
		{ "unanswered_freed", test_unanswered_freed },
		{ "set_inputs", test_set_inputs },
		{ "malformed", test_malformed },
		{ "old_ops_size", test_old_ops_size },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
