// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests: the virtio-gpio adapter maps guse requests one to one. */

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NLINES 6

/* A backend recording every virtio-gpio message it receives. */
struct backend {
	uint8_t dir[NLINES];
	uint8_t value[NLINES];
	uint8_t irq[NLINES];
	char log[512];
	int fail_line;		/* -1: none */
};

static void logf_(struct backend *b, const char *s, unsigned int line, int v)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%s(%u,%d) ", s, line, v);
	strncat(b->log, tmp, sizeof(b->log) - strlen(b->log) - 1);
}

static int be_get_names(void *data, char *buf, size_t size)
{
	static const char names[] = "a\0b\0\0d";	/* 4 names, line 2 unnamed */

	(void)data;
	CHECK(size >= sizeof(names));
	memcpy(buf, names, sizeof(names));
	return sizeof(names);
}

static int be_get_direction(void *data, unsigned int line)
{
	struct backend *b = data;

	logf_(b, "get_dir", line, 0);
	if ((int)line == b->fail_line)
		return -EIO;
	return b->dir[line];
}

static int be_set_direction(void *data, unsigned int line, uint8_t dir)
{
	struct backend *b = data;

	logf_(b, "set_dir", line, dir);
	if ((int)line == b->fail_line)
		return -EPERM;
	b->dir[line] = dir;
	return 0;
}

static int be_get_value(void *data, unsigned int line)
{
	struct backend *b = data;

	logf_(b, "get", line, 0);
	return b->value[line];
}

static int be_set_value(void *data, unsigned int line, uint8_t value)
{
	struct backend *b = data;

	logf_(b, "set", line, value);
	b->value[line] = value;
	return 0;
}

static int be_irq_type(void *data, unsigned int line, uint8_t type)
{
	struct backend *b = data;

	logf_(b, "irq", line, type);
	b->irq[line] = type;
	return 0;
}

static const struct guse_virtio_ops be_ops = {
	.get_names = be_get_names,
	.get_direction = be_get_direction,
	.set_direction = be_set_direction,
	.get_value = be_get_value,
	.set_value = be_set_value,
	.irq_type = be_irq_type,
};

#define CHECK_LOG(b, s)							\
	do {								\
		if (strcmp((b)->log, s)) {				\
			fprintf(stderr, "# %s:%d: log \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, (b)->log, s);	\
			test_failures++;				\
		}							\
		(b)->log[0] = '\0';					\
	} while (0)

static void test_virtio_mapping(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct backend b = { .fail_line = -1 };
	struct guse_virtio *vio;
	struct guse_chip *chip;
	struct fk fk;
	struct {
		struct guse_msg_header h;
		struct guse_create c;
		char names[NLINES][GUSE_NAME_SIZE];
	} create;
	struct guse_line l1 = pl_line(1), l5 = pl_line(5);
	struct guse_line_value lv = { htole32(1), htole32(1) };
	struct guse_line_consumer lc = pl_consumer(1, "user");
	struct guse_irq_config ic = { htole32(4), htole32(GUSE_IRQ_TYPE_EDGE_RISING),
				      htole32(GUSE_IRQ_F_ENABLED), 0 };
	struct guse_direction d;
	uint8_t bm[128];
	uint64_t m, v;
	size_t n;

	guse_chip_config_set_num_lines(cfg, NLINES);
	guse_chip_config_set_label(cfg, "virtio");
	fk_open(&fk);
	fk_send_ready(&fk, NLINES, "gpiochip1", "guse1");
	vio = guse_virtio_new_fd(fk.sfd, cfg, &be_ops, sizeof(be_ops), &b);
	CHECK(vio);
	if (!vio)
		return;
	chip = guse_virtio_get_chip(vio);
	CHECK_EQ(fk_recv(&fk, &create, sizeof(create), 1000), sizeof(create));
	CHECK_EQ(le32toh(create.c.flags), GUSE_CREATE_F_LINE_NAMES |
		 GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG |
		 GUSE_CREATE_F_GET_INPUTS);
	CHECK(!strcmp(create.names[0], "a"));
	CHECK(!strcmp(create.names[1], "b"));
	CHECK(!strcmp(create.names[2], ""));
	CHECK(!strcmp(create.names[3], "d"));
	CHECK(!strcmp(create.names[4], ""));
	CHECK(!strcmp(guse_chip_get_line_name(chip, 3), "d"));

	fk_send(&fk, GUSE_OP_REQUEST, 1, &lc, sizeof(lc));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_REQUEST, 1, 0, NULL, 0);
	CHECK_LOG(&b, "");

	/* NONE reads as input, OUT as output */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 2, &l1, sizeof(l1));
	guse_chip_dispatch(chip);
	d.direction = htole32(GUSE_DIRECTION_INPUT);
	d.reserved = 0;
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 2, 0, &d, sizeof(d));
	CHECK_LOG(&b, "get_dir(1,0) ");

	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 3, &lv, sizeof(lv));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_DIRECTION_OUTPUT, 3, 0, NULL, 0);
	CHECK_LOG(&b, "set(1,1) set_dir(1,1) ");

	fk_send(&fk, GUSE_OP_GET_DIRECTION, 4, &l1, sizeof(l1));
	guse_chip_dispatch(chip);
	d.direction = htole32(GUSE_DIRECTION_OUTPUT);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 4, 0, &d, sizeof(d));
	CHECK_LOG(&b, "get_dir(1,0) ");

	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 5, &l5, sizeof(l5));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 5, 0, NULL, 0);
	CHECK_LOG(&b, "set_dir(5,2) ");

	/* multi-line get fans out */
	b.value[3] = 1;
	m = 0x2a;	/* lines 1, 3, 5 */
	n = pl_bitmap(bm, 1, &m, NULL);
	fk_send(&fk, GUSE_OP_GET_VALUES, 6, bm, n);
	guse_chip_dispatch(chip);
	v = 0x0a;
	n = pl_bitmap(bm, 1, &v, NULL);
	fk_expect(&fk, GUSE_OP_GET_VALUES, 6, 0, bm, n);
	CHECK_LOG(&b, "get(1,0) get(3,0) get(5,0) ");

	m = 0x03;
	v = 0x01;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_send(&fk, GUSE_OP_SET_VALUES, 7, bm, n);
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_SET_VALUES, 7, 0, NULL, 0);
	CHECK_LOG(&b, "set(0,1) set(1,0) ");

	/* irq type while enabled, NONE while masked */
	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 8, &ic, sizeof(ic));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_IRQ_CONFIG, 8, 0, NULL, 0);
	CHECK_LOG(&b, "irq(4,1) ");
	ic.flags = 0;
	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 9, &ic, sizeof(ic));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_IRQ_CONFIG, 9, 0, NULL, 0);
	CHECK_LOG(&b, "irq(4,0) ");

	/* backend errors reach the consumer */
	b.fail_line = 5;
	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 10, &l5, sizeof(l5));
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 11, &l5, sizeof(l5));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 10, EPERM, NULL, 0);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 11, EIO, NULL, 0);
	CHECK_LOG(&b, "set_dir(5,2) get_dir(5,0) ");
	b.fail_line = -1;

	/* free releases the line: direction NONE */
	fk_send(&fk, GUSE_OP_FREE, 12, &l1, sizeof(l1));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_FREE, 12, 0, NULL, 0);
	CHECK_LOG(&b, "set_dir(1,0) ");

	/* SET_CONFIG is not part of virtio-gpio: not announced */
	CHECK(fk_nothing(&fk, 0));

	guse_virtio_free(vio);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

static void test_virtio_irq_injection(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct backend b = { .fail_line = -1 };
	struct guse_virtio *vio;
	struct guse_chip *chip;
	struct fk fk;
	struct guse_irq_config ic = { htole32(2), htole32(GUSE_IRQ_TYPE_EDGE_RISING),
				      htole32(GUSE_IRQ_F_ENABLED), 0 };
	uint8_t bm[128];
	uint64_t m = 1 << 2, v;
	size_t n;

	guse_chip_config_set_num_lines(cfg, NLINES);
	fk_open(&fk);
	fk_send_ready(&fk, NLINES, "gpiochip1", "guse1");
	vio = guse_virtio_new_fd(fk.sfd, cfg, &be_ops, sizeof(be_ops), &b);
	CHECK(vio);
	if (!vio)
		return;
	chip = guse_virtio_get_chip(vio);
	CHECK(!fk_nothing(&fk, 1000));	/* CREATE */

	fk_send(&fk, GUSE_OP_IRQ_CONFIG, 1, &ic, sizeof(ic));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_IRQ_CONFIG, 1, 0, NULL, 0);

	/* level changes: delivered once */
	b.value[2] = 1;
	CHECK_EQ(guse_virtio_inject_irq(vio, 2), 0);
	v = m;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK(fk_nothing(&fk, 0));

	/* level unchanged on an edge trigger: pulse */
	CHECK_EQ(guse_virtio_inject_irq(vio, 2), 0);
	v = 0;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	v = m;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);

	CHECK_EQ(guse_virtio_set_level(vio, 2, 0), 0);
	v = 0;
	n = pl_bitmap(bm, 1, &m, &v);
	fk_expect(&fk, GUSE_OP_SET_INPUTS, 0, 0, bm, n);
	CHECK(guse_virtio_inject_irq(vio, NLINES) < 0 && errno == EINVAL);

	guse_virtio_free(vio);
	fk_close(&fk);
	guse_chip_config_free(cfg);
}

static const struct guse_virtio_ops minimal_ops = {
	.get_value = be_get_value,
};

static void test_virtio_missing_ops(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct backend b = { .fail_line = -1 };
	struct guse_virtio *vio;
	struct guse_chip *chip;
	struct fk fk;
	struct guse_line l0 = pl_line(0);

	guse_chip_config_set_num_lines(cfg, 2);
	fk_open(&fk);
	fk_send_ready(&fk, 2, "gpiochip1", "guse1");
	/* an old backend that only knows get_names and get_direction ... */
	vio = guse_virtio_new_fd(fk.sfd, cfg, &minimal_ops,
				 sizeof(minimal_ops), &b);
	CHECK(vio);
	if (!vio)
		return;
	chip = guse_virtio_get_chip(vio);
	CHECK(!fk_nothing(&fk, 1000));	/* CREATE */
	fk_send(&fk, GUSE_OP_GET_DIRECTION, 1, &l0, sizeof(l0));
	fk_send(&fk, GUSE_OP_DIRECTION_INPUT, 2, &l0, sizeof(l0));
	guse_chip_dispatch(chip);
	fk_expect(&fk, GUSE_OP_GET_DIRECTION, 1, EOPNOTSUPP, NULL, 0);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 2, EOPNOTSUPP, NULL, 0);
	guse_virtio_free(vio);
	fk_close(&fk);

	/* bad arguments */
	CHECK(!guse_virtio_new_fd(-1, cfg, &be_ops, sizeof(be_ops), NULL));
	CHECK(!guse_virtio_new(NULL, &be_ops, sizeof(be_ops), NULL) &&
	      errno == EINVAL);
	guse_chip_config_free(cfg);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "virtio_mapping", test_virtio_mapping },
		{ "virtio_irq_injection", test_virtio_irq_injection },
		{ "virtio_missing_ops", test_virtio_missing_ops },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
