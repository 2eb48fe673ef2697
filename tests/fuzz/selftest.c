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
	uint8_t buf[HDR + sizeof(struct guse_create) + 4 * GUSE_NAME_SIZE +
		    4 * sizeof(struct guse_line_init) + 4 * GUSE_NAME_SIZE];
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

/*
 * A 4-line CREATE with line state (and 4 empty names with @names): line 0
 * an output, line 1 a hog labelled "hog", line 2 invalid, line 3 an input
 * held high.  Returns the line state; the label follows it.
 */
static struct guse_line_init *create_init(struct fixture *f, bool names)
{
	struct guse_create *cr;
	struct guse_line_init *init;

	cr = create(f, 4, GUSE_CREATE_F_LINE_INIT |
		    (names ? GUSE_CREATE_F_LINE_NAMES : 0), names ? 4 : 0);
	init = (void *)(f->buf + f->len);
	init[0].flags = GUSE_LINE_INIT_F_OUTPUT;
	init[1].flags = GUSE_LINE_INIT_F_HOG;
	init[2].flags = GUSE_LINE_INIT_F_INVALID;
	init[3].flags = GUSE_LINE_INIT_F_VALUE;
	strcpy((char *)(init + 4), "hog");
	f->len += 4 * sizeof(*init) + GUSE_NAME_SIZE;
	((struct guse_msg_header *)f->buf)->len = f->len;
	(void)cr;
	return init;
}

/* Sets the length of the message to @len bytes, header included. */
static void resize(struct fixture *f, size_t len)
{
	f->len = len;
	((struct guse_msg_header *)f->buf)->len = len;
}

static void line_direction(struct fixture *f, uint32_t line, uint32_t dir,
			   uint32_t value)
{
	struct guse_device_direction *d = (void *)(f->buf + HDR);

	msg(f, GUSE_OP_LINE_DIRECTION, 0, 0, sizeof(*d));
	d->line = line;
	d->direction = dir;
	d->value = value;
}

static struct guse_line_consumer *claim(struct fixture *f, uint32_t line)
{
	struct guse_line_consumer *lc = (void *)(f->buf + HDR);

	msg(f, GUSE_OP_CLAIM, 0, 0, sizeof(*lc));
	lc->line = line;
	strcpy(lc->consumer, "dev");
	return lc;
}

static struct guse_line *unclaim(struct fixture *f, uint32_t line)
{
	struct guse_line *l = (void *)(f->buf + HDR);

	msg(f, GUSE_OP_UNCLAIM, 0, 0, sizeof(*l));
	l->line = line;
	return l;
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

/* CREATE with GUSE_CREATE_F_LINE_INIT (1.1). */
static int line_init_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct guse_line_init *init;
	struct fixture f;
	char *label;

	create_init(&f, false);
	CHECK("line state", OK);
	create_init(&f, true);
	CHECK("names, then line state", OK);
	create_init(&f, false);
	((struct guse_create *)(f.buf + HDR))->version = GUSE_VERSION_MAJOR << 16;
	CHECK("line state from a 1.0 server", EINVAL);
	create_init(&f, false);
	((struct guse_create *)(f.buf + HDR))->version = GUSE_VERSION_MAJOR << 16 | 7;
	CHECK("line state from a 1.7 server", OK);
	create_init(&f, false);
	((struct guse_create *)(f.buf + HDR))->flags |= GUSE_CREATE_F_LINE_NAMES;
	CHECK("line state where names should be", EINVAL);
	create_init(&f, false)[3].flags |= GUSE_LINE_INIT_F_ALL + 1;
	CHECK("line state unknown flag", EINVAL);
	create_init(&f, false)[0].reserved = 1;
	CHECK("line state reserved", EINVAL);
	create_init(&f, false)[2].flags |= GUSE_LINE_INIT_F_OUTPUT;
	CHECK("INVALID and OUTPUT", EINVAL);
	create_init(&f, false)[2].flags |= GUSE_LINE_INIT_F_VALUE;
	CHECK("INVALID and VALUE", EINVAL);
	init = create_init(&f, false);
	init[3].flags = GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_OUTPUT |
			GUSE_LINE_INIT_F_VALUE;
	CHECK("a second hog without its label", EINVAL);
	strcpy((char *)(init + 4) + GUSE_NAME_SIZE, "hog3");
	resize(&f, f.len + GUSE_NAME_SIZE);
	CHECK("two hogs, two labels", OK);
	create_init(&f, false);
	resize(&f, f.len - GUSE_NAME_SIZE);
	CHECK("hog label missing", EINVAL);
	create_init(&f, false);
	resize(&f, f.len + GUSE_NAME_SIZE);
	CHECK("a label too many", EINVAL);
	label = (char *)(create_init(&f, false) + 4);
	label[0] = 0;
	CHECK("empty hog label", EINVAL);
	memset(label, 'h', GUSE_NAME_SIZE);
	CHECK("unterminated hog label", EINVAL);
	create(&f, 4, GUSE_CREATE_F_LINE_INIT, 0);
	CHECK("line state announced, none sent", EINVAL);
	create_init(&f, false);
	resize(&f, HDR + sizeof(struct guse_create) +
		   3 * sizeof(struct guse_line_init));
	CHECK("line state of 3 lines of 4", EINVAL);
	return 0;
}

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
	CHECK("GUSE_MSG_SIZE_MAX + 1 bytes", EINVAL);
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
	create(&f, 8, GUSE_CREATE_F_ALL + 1, 0);
	CHECK("unknown flag", EINVAL);
	create(&f, 8, 1U << 31, 0);
	CHECK("unknown flag 31", EINVAL);
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
	line_direction(&f, 0, GUSE_DIRECTION_OUTPUT, 0);
	CHECK("LINE_DIRECTION before CREATE", EINVAL);
	claim(&f, 0);
	CHECK("CLAIM before CREATE", EINVAL);
	unclaim(&f, 0);
	CHECK("UNCLAIM before CREATE", EINVAL);
	return line_init_cases(c, why, len);
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
	msg(&f, GUSE_OP_UNCLAIM + 1, 0, 0, 8);
	CHECK("the opcode after UNCLAIM", EOPNOTSUPP);
	return 0;
}

/*
 * The 1.1 notifications on the 70-line chip of a 1.1 server: line 10 is
 * invalid, line 11 claimed, line 20 may be held by a host consumer.
 */
static int device_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct guse_device_direction *d;
	struct guse_line_consumer *lc;
	struct fixture f;
	__le64 *w;

	line_direction(&f, 0, GUSE_DIRECTION_OUTPUT, 1);
	CHECK("LINE_DIRECTION", OK);
	line_direction(&f, 69, GUSE_DIRECTION_INPUT, 0);
	CHECK("LINE_DIRECTION of the last line", OK);
	line_direction(&f, 70, GUSE_DIRECTION_INPUT, 0);
	CHECK("LINE_DIRECTION of line 70", EINVAL);
	line_direction(&f, 0xffffffff, GUSE_DIRECTION_INPUT, 0);
	CHECK("LINE_DIRECTION of line 0xffffffff", EINVAL);
	line_direction(&f, 10, GUSE_DIRECTION_INPUT, 0);
	CHECK("LINE_DIRECTION of an invalid line", EINVAL);
	line_direction(&f, 0, 2, 0);
	CHECK("LINE_DIRECTION direction 2", EINVAL);
	line_direction(&f, 0, GUSE_DIRECTION_OUTPUT, 2);
	CHECK("LINE_DIRECTION value 2", EINVAL);
	line_direction(&f, 0, GUSE_DIRECTION_INPUT, 0);
	d = (void *)(f.buf + HDR);
	d->reserved = 1;
	CHECK("LINE_DIRECTION reserved", EINVAL);
	line_direction(&f, 0, GUSE_DIRECTION_INPUT, 0);
	resize(&f, f.len - 1);
	CHECK("LINE_DIRECTION of 15 bytes", EINVAL);
	line_direction(&f, 11, GUSE_DIRECTION_OUTPUT, 0);
	CHECK("LINE_DIRECTION of a claimed line", OK);
	line_direction(&f, 20, GUSE_DIRECTION_OUTPUT, 0);
	CHECK("LINE_DIRECTION of a line a host may hold", OK, EBUSY);
	line_direction(&f, 20, 5, 0);
	CHECK("bad LINE_DIRECTION of a line a host may hold", EINVAL);
	line_direction(&f, 0, GUSE_DIRECTION_OUTPUT, 0);
	((struct guse_msg_header *)f.buf)->error = EIO;
	CHECK("LINE_DIRECTION with an error", EINVAL);

	claim(&f, 0);
	CHECK("CLAIM", OK);
	claim(&f, 11);
	CHECK("CLAIM of a claimed line", EBUSY);
	claim(&f, 20);
	CHECK("CLAIM of a line a host may hold", OK, EBUSY);
	claim(&f, 10);
	CHECK("CLAIM of an invalid line", EINVAL);
	claim(&f, 70);
	CHECK("CLAIM of line 70", EINVAL);
	claim(&f, 0)->reserved = 1;
	CHECK("CLAIM reserved", EINVAL);
	claim(&f, 0)->consumer[0] = 0;
	CHECK("CLAIM empty label", EINVAL);
	lc = claim(&f, 0);
	memset(lc->consumer, 'c', GUSE_NAME_SIZE);
	CHECK("CLAIM unterminated label", EINVAL);
	lc->consumer[GUSE_NAME_SIZE - 1] = 0;
	CHECK("CLAIM 31-character label", OK);
	claim(&f, 11)->consumer[0] = 0;
	CHECK("CLAIM of a claimed line with an empty label", EINVAL);
	claim(&f, 0);
	resize(&f, f.len + 1);
	CHECK("CLAIM of 41 bytes", EINVAL);

	unclaim(&f, 11);
	CHECK("UNCLAIM", OK);
	unclaim(&f, 0);
	CHECK("UNCLAIM of a line not claimed", EINVAL);
	unclaim(&f, 20);
	CHECK("UNCLAIM of a line a host may hold", EINVAL);
	unclaim(&f, 10);
	CHECK("UNCLAIM of an invalid line", EINVAL);
	unclaim(&f, 70);
	CHECK("UNCLAIM of line 70", EINVAL);
	unclaim(&f, 11)->reserved = 1;
	CHECK("UNCLAIM reserved", EINVAL);
	unclaim(&f, 11);
	resize(&f, f.len - 4);
	CHECK("UNCLAIM of 4 bytes", EINVAL);

	w = set_inputs(&f, 2);
	w[0] = 1ULL << 10;
	CHECK("SET_INPUTS of an invalid line", EINVAL);
	w[0] = 1ULL << 9;
	w[2] = 1ULL << 10 | 1ULL << 9;
	CHECK("SET_INPUTS of a line next to an invalid one", OK);
	return 0;
}

/* WAKEUP (1.2): no payload, no error, no id. */
static int wakeup_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct fixture f;

	msg(&f, GUSE_OP_WAKEUP, 0, 0, 0);
	CHECK("WAKEUP", OK);
	msg(&f, GUSE_OP_WAKEUP, 0, 0, 8);
	CHECK("WAKEUP with 8 bytes of payload", EINVAL);
	msg(&f, GUSE_OP_WAKEUP, 0, EIO, 0);
	CHECK("WAKEUP with an error", EINVAL);
	msg(&f, GUSE_OP_WAKEUP, 0, 0, 0);
	((struct guse_msg_header *)f.buf)->flags = GUSE_MSG_F_NOREPLY;
	CHECK("WAKEUP with NOREPLY", EINVAL);
	return 0;
}

/* On the chip of a 1.1 server WAKEUP does not exist. */
static int wakeup_1_1_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct fixture f;

	msg(&f, GUSE_OP_WAKEUP, 0, 0, 0);
	CHECK("WAKEUP, 1.1", EOPNOTSUPP);
	msg(&f, GUSE_OP_WAKEUP, 0, 0, 8);
	CHECK("WAKEUP with a payload, 1.1", EOPNOTSUPP);
	return 0;
}

/* The same on the chip of a 1.0 server: the opcodes do not exist. */
static int device_1_0_cases(const struct fz_conn *c, char *why, size_t len)
{
	struct fixture f;

	line_direction(&f, 0, GUSE_DIRECTION_OUTPUT, 1);
	CHECK("LINE_DIRECTION, 1.0", EOPNOTSUPP);
	line_direction(&f, 0, 7, 7);
	resize(&f, f.len + 3);
	CHECK("bad LINE_DIRECTION, 1.0", EOPNOTSUPP);
	claim(&f, 11);
	CHECK("CLAIM, 1.0", EOPNOTSUPP);
	unclaim(&f, 11);
	CHECK("UNCLAIM, 1.0", EOPNOTSUPP);
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
	if (live_cases(&c, why, len))
		return -1;
	c.version_minor = 2;
	if (wakeup_cases(&c, why, len))
		return -1;
	c.version_minor = 1;
	if (wakeup_1_1_cases(&c, why, len))
		return -1;
	c.invalid[0] = 1ULL << 10;
	c.claimed[0] = 1ULL << 11;
	c.host[0] = 1ULL << 20;
	if (device_cases(&c, why, len))
		return -1;
	c.version_minor = 0;
	return device_1_0_cases(&c, why, len);
}
