// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/selftest.c: the oracle against hand-written cases from
 * Documentation/protocol.rst, so that a wrong model cannot pass a kernel
 * that disagrees with the documentation (run without /dev/guse too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/guse.h>

#include "model.h"
#include "selftest.h"

#define HDR	sizeof(struct guse_msg_header)
#define OK	(-1)	/* "success" in a case's list of outcomes */

struct fixture {
	uint8_t buf[HDR + sizeof(struct guse_create) + 4 * GUSE_NAME_SIZE];
	size_t len;
};

static void msg(struct fixture *f, uint16_t op, uint64_t id, uint32_t error,
		size_t plen)
{
	struct guse_msg_header *h = (void *)f->buf;

	memset(f->buf, 0, sizeof(f->buf));
	h->len = HDR + plen;
	h->opcode = op;
	h->id = id;
	h->error = error;
	f->len = HDR + plen;
}

static struct guse_create *create(struct fixture *f, uint32_t lines,
				  uint32_t flags, unsigned int names)
{
	struct guse_create *cr = (void *)(f->buf + HDR);

	msg(f, GUSE_OP_CREATE, 0, 0, sizeof(*cr) + names * GUSE_NAME_SIZE);
	cr->version = GUSE_VERSION;
	cr->num_lines = lines;
	cr->flags = flags;
	strcpy(cr->label, "chip");
	return cr;
}

static __le64 *set_inputs(struct fixture *f, unsigned int words)
{
	struct guse_bitmap *bm = (void *)(f->buf + HDR);

	msg(f, GUSE_OP_SET_INPUTS, 0, 0, sizeof(*bm) + 16 * words);
	bm->num_words = words;
	return bm->words;
}

/* Pending: id 7 GET_DIRECTION; maybe timed out: id 8 GET_VALUES (2 words). */
static enum fz_id_state lookup(void *ctx, uint64_t id, uint16_t *opcode,
			       uint32_t *out_len)
{
	(void)ctx;
	if (id == 7) {
		*opcode = GUSE_OP_GET_DIRECTION;
		*out_len = sizeof(struct guse_direction);
		return FZ_ID_PENDING;
	}
	if (id == 8) {
		*opcode = GUSE_OP_GET_VALUES;
		*out_len = sizeof(struct guse_bitmap) + 16;
		return FZ_ID_MAYBE;
	}
	return FZ_ID_UNKNOWN;
}

/* The outcomes of @e are exactly @want (OK and errnos, 0-terminated). */
static int check(const struct fz_conn *c, const struct fixture *f,
		 const char *name, const int *want, char *why, size_t len)
{
	struct fz_expect e;
	unsigned int i, n = 0;
	char got[96];
	bool ok = false;

	fz_expect(c, f->buf, f->len, &e);
	for (i = 0; want[i]; i++) {
		if (want[i] == OK)
			ok = true;
		else if (fz_expect_match(&e, -want[i]))
			n++;
		else
			goto bad;
	}
	if (ok == e.ok && n == e.nerr)
		return 0;
bad:
	snprintf(why, len, "%s: the model says %s", name,
		 fz_expect_str(&e, got, sizeof(got)));
	return -1;
}

#define CHECK(name, ...) do {						\
	static const int want_[] = { __VA_ARGS__, 0 };			\
	if (check(c, &f, name, want_, why, len))			\
		return -1;						\
} while (0)

static int fresh_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct guse_create *cr;
	struct fixture f;

	msg(&f, GUSE_OP_CREATE, 0, 0, 0);
	f.len = 0;
	CHECK("zero-length write", EINVAL);
	f.len = HDR - 1;
	CHECK("23 bytes", EINVAL);
	f.len = GUSE_MSG_SIZE_MAX + 1;
	CHECK("65537 bytes", EINVAL);
	create(&f, 8, 0, 0);
	CHECK("CREATE", OK);
	f.len--;
	CHECK("len one more than written", EINVAL);
	create(&f, 8, 0, 0)->num_lines = 0;
	CHECK("0 lines", EINVAL);
	create(&f, 1025, 0, 0);
	CHECK("1025 lines", EINVAL);
	create(&f, 0xffffffff, GUSE_CREATE_F_LINE_NAMES, 0);
	CHECK("0xffffffff lines with names", EINVAL);
	create(&f, 8, 0, 0)->version = 2 << 16;
	CHECK("another major", EPROTONOSUPPORT);
	cr = create(&f, 0, 0, 0);
	cr->version = 0;
	CHECK("another major and 0 lines", EPROTONOSUPPORT, EINVAL);
	create(&f, 8, 0, 0)->timeout_ms = GUSE_TIMEOUT_MAX_MS;
	CHECK("longest timeout", OK);
	create(&f, 8, 0, 0)->timeout_ms = GUSE_TIMEOUT_MAX_MS + 1;
	CHECK("timeout too long", EINVAL);
	memset(create(&f, 8, 0, 0)->label, 'x', GUSE_NAME_SIZE);
	CHECK("unterminated label", EINVAL);
	create(&f, 8, 0, 0)->label[0] = 0;
	CHECK("empty label", EINVAL);
	create(&f, 8, 1U << 5, 0);
	CHECK("unknown flag", EINVAL);
	create(&f, 8, 0, 0)->reserved[7] = 1;
	CHECK("reserved", EINVAL);
	create(&f, 4, GUSE_CREATE_F_LINE_NAMES, 4);
	CHECK("four empty line names", OK);
	memset(f.buf + HDR + sizeof(*cr) + GUSE_NAME_SIZE, 'n', GUSE_NAME_SIZE);
	CHECK("unterminated line name", EINVAL);
	create(&f, 4, GUSE_CREATE_F_LINE_NAMES, 3);
	CHECK("a line name missing", EINVAL);
	create(&f, 8, 0, 0);
	f.len = HDR + sizeof(*cr) - 1;
	((struct guse_msg_header *)f.buf)->len = f.len;
	CHECK("CREATE payload of 79 bytes", EINVAL);
	create(&f, 8, 0, 0);
	((struct guse_msg_header *)f.buf)->error = 1;
	CHECK("CREATE with an error", EINVAL);
	create(&f, 8, 0, 0);
	((struct guse_msg_header *)f.buf)->flags = GUSE_MSG_F_NOREPLY;
	CHECK("CREATE with a flag", EINVAL);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, 0, 8);
	CHECK("reply before CREATE", EINVAL);
	set_inputs(&f, 1);
	CHECK("SET_INPUTS before CREATE", EINVAL);
	return 0;
}

static int live_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct fixture f;
	__le64 *w;

	create(&f, 8, 0, 0);
	CHECK("second CREATE", EEXIST);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, 0, 8);
	CHECK("reply", OK);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, EIO, 0);
	CHECK("error reply", OK);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, 0, 0);
	CHECK("short reply", EINVAL);
	msg(&f, GUSE_OP_GET_VALUES, 7, 0, 8);
	CHECK("reply with another opcode", EINVAL);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, 4096, 0);
	CHECK("error above MAX_ERRNO", EINVAL);
	msg(&f, GUSE_OP_GET_DIRECTION, 7, EIO, 8);
	CHECK("error with a payload", EINVAL);
	msg(&f, GUSE_OP_GET_DIRECTION, 9, 0, 8);
	CHECK("unknown id", ENOENT);
	msg(&f, GUSE_OP_GET_DIRECTION, ~0ULL, EIO, 8);
	CHECK("unknown id, error with a payload", EINVAL, ENOENT);
	msg(&f, GUSE_OP_GET_VALUES, 8, 0, 24);
	CHECK("reply to what may have timed out", OK, ENOENT);
	msg(&f, GUSE_OP_GET_VALUES, 8, 0, 16);
	CHECK("bad reply to what may have timed out", EINVAL, ENOENT);
	w = set_inputs(&f, 2);
	w[0] = w[2] = ~0ULL;
	w[1] = w[3] = 0x3f;
	CHECK("SET_INPUTS of all 70 lines", OK);
	w[1] = 0x40;
	CHECK("SET_INPUTS of line 70", EINVAL);
	set_inputs(&f, 2)[3] = 1ULL << 63;
	CHECK("SET_INPUTS value of line 127", EINVAL);
	set_inputs(&f, 1);
	CHECK("SET_INPUTS of one word", EINVAL);
	set_inputs(&f, 2);
	((struct guse_bitmap *)(f.buf + HDR))->num_words = 3;
	CHECK("SET_INPUTS num_words 3", EINVAL);
	set_inputs(&f, 2);
	((struct guse_bitmap *)(f.buf + HDR))->reserved = 1;
	CHECK("SET_INPUTS reserved", EINVAL);
	msg(&f, GUSE_OP_READY, 0, 0, 0);
	CHECK("a READY from the server", EOPNOTSUPP);
	msg(&f, GUSE_OP_CONSUMER, 0, 0, 40);
	CHECK("an answer to CONSUMER", EOPNOTSUPP);
	msg(&f, 0xffff, 0, 0, 3);
	CHECK("unknown opcode", EOPNOTSUPP);
	return 0;
}

int fz_model_selftest(char *why, size_t len)
{
	struct fz_conn c = { .max_lines = GUSE_LINES_MAX };

	if (fresh_cases(&c, why, len))
		return -1;
	c.live = true;
	c.ngpio = 70;
	c.lookup = lookup;
	return live_cases(&c, why, len);
}
