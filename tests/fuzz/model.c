// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/model.c: what the kernel must answer to one write() on /dev/guse.
 * Each check cites the rule of Documentation/protocol.rst it implements.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/guse.h>

#include "model.h"

#define HDR_SIZE	sizeof(struct guse_msg_header)
#define SMALL_MSG	256	/* larger writes are copied into an allocation */
#define MAX_ERRNO	4095

static void fault(struct fz_expect *e, int err, const char *why)
{
	unsigned int i;

	if (!e->why)
		e->why = why;
	for (i = 0; i < e->nerr; i++)
		if (e->err[i] == err)
			return;
	if (e->nerr < FZ_MAX_ERRS)
		e->err[e->nerr++] = err;
}

static uint32_t get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* A name field: NUL-terminated within GUSE_NAME_SIZE bytes. */
static bool name_ok(const char *name, bool may_be_empty)
{
	size_t len = strnlen(name, GUSE_NAME_SIZE);

	return len < GUSE_NAME_SIZE && (len || may_be_empty);
}

static bool test_line(const uint64_t *map, uint32_t line)
{
	return map[line / 64] >> (line % 64) & 1;
}

/*
 * CREATE, GUSE_CREATE_F_LINE_INIT: @len bytes after the names must be
 * @lines struct guse_line_init, each with known flags only (INVALID alone)
 * and reserved 0, then one non-empty, NUL-terminated label per hog.
 */
static void check_line_init(const uint8_t *p, size_t len, uint32_t lines,
			    struct fz_expect *e)
{
	size_t i, hogs = 0;
	uint32_t flags;

	if (len < (size_t)lines * sizeof(struct guse_line_init)) {
		fault(e, EINVAL, "CREATE line state missing");
		return;
	}
	for (i = 0; i < lines; i++) {
		flags = get32(p + 8 * i);
		if (flags & ~GUSE_LINE_INIT_F_ALL)
			fault(e, EINVAL, "CREATE line state: unknown flag");
		if (get32(p + 8 * i + 4))
			fault(e, EINVAL, "CREATE line state: reserved nonzero");
		if (flags & GUSE_LINE_INIT_F_INVALID &&
		    flags != GUSE_LINE_INIT_F_INVALID)
			fault(e, EINVAL, "CREATE line state: INVALID with another flag");
		hogs += !!(flags & GUSE_LINE_INIT_F_HOG);
	}
	p += (size_t)lines * sizeof(struct guse_line_init);
	len -= (size_t)lines * sizeof(struct guse_line_init);
	if (len != hogs * GUSE_NAME_SIZE) {
		fault(e, EINVAL, "CREATE hog labels: not one per hog");
		return;
	}
	for (i = 0; i < hogs; i++)
		if (!name_ok((const char *)p + i * GUSE_NAME_SIZE, false)) {
			fault(e, EINVAL, "CREATE hog label empty or unterminated");
			return;
		}
}

/* gpio-guse, CREATE: every fault listed under "gpio-guse, CREATE". */
static void check_create(const struct fz_conn *c, const uint8_t *p,
			 size_t len, struct fz_expect *e)
{
	struct guse_create cr;
	uint32_t lines, flags;
	size_t want, i;

	if (len < sizeof(cr)) {
		fault(e, EINVAL, "CREATE payload shorter than guse_create");
		return;
	}
	memcpy(&cr, p, sizeof(cr));
	lines = le32toh(cr.num_lines);
	flags = le32toh(cr.flags);
	if (le32toh(cr.version) >> 16 != GUSE_VERSION_MAJOR)
		fault(e, EPROTONOSUPPORT, "CREATE version major");
	for (i = 0; i < sizeof(cr.reserved) / sizeof(cr.reserved[0]); i++)
		if (cr.reserved[i])
			fault(e, EINVAL, "CREATE reserved nonzero");
	if (flags & ~GUSE_CREATE_F_ALL)
		fault(e, EINVAL, "CREATE unknown flag");
	/* a server cannot mean the flags of a later minor version */
	if ((le32toh(cr.version) & 0xffff) < 1 &&
	    flags & ~GUSE_CREATE_F_ALL_1_0)
		fault(e, EINVAL, "CREATE 1.1 flag with version 1.0");
	else if ((le32toh(cr.version) & 0xffff) < 2 &&
		 flags & ~GUSE_CREATE_F_ALL_1_1)
		fault(e, EINVAL, "CREATE 1.2 flag with version 1.1 or 1.0");
	if (!lines || lines > c->max_lines) {
		/* nothing that follows can be laid out */
		fault(e, EINVAL, "CREATE num_lines out of range");
		return;
	}
	if (le32toh(cr.timeout_ms) > GUSE_TIMEOUT_MAX_MS)
		fault(e, EINVAL, "CREATE timeout_ms too large");
	if (!name_ok(cr.label, false))
		fault(e, EINVAL, "CREATE label empty or unterminated");
	want = sizeof(cr);
	if (flags & GUSE_CREATE_F_LINE_NAMES)
		want += (size_t)lines * GUSE_NAME_SIZE;
	if (flags & GUSE_CREATE_F_LINE_INIT) {
		if (len < want) {
			fault(e, EINVAL, "CREATE payload size");
			return;
		}
		check_line_init(p + want, len - want, lines, e);
	} else if (len != want) {
		fault(e, EINVAL, "CREATE payload size");
		return;
	}
	if (!(flags & GUSE_CREATE_F_LINE_NAMES))
		return;
	for (i = 0; i < lines; i++)
		if (!name_ok((const char *)p + sizeof(cr) + i * GUSE_NAME_SIZE,
			     true)) {
			fault(e, EINVAL, "CREATE line name unterminated");
			return;
		}
}

/* gpio-guse, notifications: SET_INPUTS. */
static void check_set_inputs(const struct fz_conn *c, const uint8_t *p,
			     size_t len, struct fz_expect *e)
{
	unsigned int words = GUSE_BITMAP_WORDS(c->ngpio), tail = c->ngpio % 64;
	uint64_t mask, values;
	unsigned int i;

	if (len != sizeof(struct guse_bitmap) + 16 * (size_t)words) {
		fault(e, EINVAL, "SET_INPUTS size");
		return;
	}
	if (get32(p) != words)
		fault(e, EINVAL, "SET_INPUTS num_words");
	if (get32(p + 4))
		fault(e, EINVAL, "SET_INPUTS reserved nonzero");
	mask = get64(p + 8 + 8 * (words - 1));
	values = get64(p + 8 + 8 * (2 * words - 1));
	if (tail && ((mask | values) >> tail))
		fault(e, EINVAL, "SET_INPUTS bit beyond the last line");
	for (i = 0; i < words; i++)
		if (get64(p + 8 + 8 * i) & c->invalid[i]) {
			fault(e, EINVAL, "SET_INPUTS of a line missing from the valid mask");
			break;
		}
}

/*
 * gpio-guse, the notifications of protocol 1.1, on a chip whose CREATE
 * announced 1.1: the payload (size, line on the chip and in the valid
 * mask, reserved 0, direction and value, label), then the line's state.
 */
static void check_device(const struct fz_conn *c, uint16_t opcode,
			 const uint8_t *p, size_t len, struct fz_expect *e)
{
	size_t want = opcode == GUSE_OP_LINE_DIRECTION ?
		      sizeof(struct guse_device_direction) :
		      opcode == GUSE_OP_CLAIM ?
		      sizeof(struct guse_line_consumer) : sizeof(struct guse_line);
	bool claimed;

	if (c->version_minor < 1) {
		fault(e, EOPNOTSUPP, "1.1 notification on the chip of a 1.0 server");
		return;
	}
	if (len != want) {
		fault(e, EINVAL, "1.1 notification payload size");
		return;
	}
	e->line = get32(p);
	if (e->line >= c->ngpio)
		fault(e, EINVAL, "1.1 notification of a line beyond the chip");
	else if (test_line(c->invalid, e->line))
		fault(e, EINVAL, "1.1 notification of a line missing from the valid mask");
	if (opcode == GUSE_OP_LINE_DIRECTION) {
		if (get32(p + 4) != GUSE_DIRECTION_INPUT &&
		    get32(p + 4) != GUSE_DIRECTION_OUTPUT)
			fault(e, EINVAL, "LINE_DIRECTION direction");
		if (get32(p + 8) > 1)
			fault(e, EINVAL, "LINE_DIRECTION value");
		if (get32(p + 12))
			fault(e, EINVAL, "LINE_DIRECTION reserved nonzero");
	} else if (get32(p + 4)) {
		fault(e, EINVAL, "CLAIM/UNCLAIM reserved nonzero");
	}
	if (opcode == GUSE_OP_CLAIM && !name_ok((const char *)p + 8, false))
		fault(e, EINVAL, "CLAIM label empty or unterminated");
	if (e->nerr)
		return;

	/* the line's state: the device side's, exact; a host's, racing */
	claimed = test_line(c->claimed, e->line);
	if (opcode == GUSE_OP_UNCLAIM) {
		if (!claimed)
			fault(e, EINVAL, "UNCLAIM of a line not claimed");
	} else if (opcode == GUSE_OP_CLAIM && claimed) {
		fault(e, EBUSY, "CLAIM of a claimed line");
	} else if (!claimed && test_line(c->host, e->line)) {
		e->racy = true;	/* EBUSY if a host consumer holds it now */
	}
}

/* Transport, replies (id nonzero). */
static void check_reply(const struct fz_conn *c, uint16_t opcode,
			uint32_t error, size_t len, struct fz_expect *e)
{
	uint16_t want_op = 0;
	uint32_t out_len = 0;

	if (!c->live) {
		fault(e, EINVAL, "reply before CREATE");
		return;
	}
	if (error > MAX_ERRNO)
		fault(e, EINVAL, "reply error above MAX_ERRNO");
	if (error && len)
		fault(e, EINVAL, "error reply with a payload");
	e->id_state = c->lookup ? c->lookup(c->ctx, e->id, &want_op, &out_len) :
				  FZ_ID_UNKNOWN;
	if (e->id_state == FZ_ID_UNKNOWN) {
		fault(e, ENOENT, "reply to an id nobody waits for");
		return;
	}
	if (opcode != want_op)
		fault(e, EINVAL, "reply opcode differs from the request's");
	if (!error && len != out_len)
		fault(e, EINVAL, "reply payload size");
}

void fz_expect(const struct fz_conn *c, const void *buf, size_t count,
	       struct fz_expect *e)
{
	const uint8_t *p = buf;
	uint16_t opcode, flags;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (count < HDR_SIZE || count > GUSE_MSG_SIZE_MAX) {
		e->kind = FZ_KIND_SIZE;
		fault(e, EINVAL, "byte count out of range");
		return;
	}
	memcpy(&opcode, p + 4, 2);
	memcpy(&flags, p + 6, 2);
	opcode = le16toh(opcode);
	e->id = get64(p + 8);
	e->error = get32(p + 16);
	len = count - HDR_SIZE;
	if (get32(p) != count || flags || get32(p + 20)) {
		e->kind = FZ_KIND_HEADER;
		fault(e, EINVAL, "header len, flags or reserved");
	} else if (e->id) {
		e->kind = FZ_KIND_REPLY;
		check_reply(c, opcode, e->error, len, e);
	} else if (e->error) {
		e->kind = opcode == GUSE_OP_CREATE ? FZ_KIND_CREATE :
						     FZ_KIND_NOTIFY;
		fault(e, EINVAL, "error field in a notification");
	} else if (opcode == GUSE_OP_CREATE) {
		e->kind = FZ_KIND_CREATE;
		if (c->live)
			fault(e, EEXIST, "second CREATE");
		else
			check_create(c, p + HDR_SIZE, len, e);
	} else if (!c->live) {
		e->kind = FZ_KIND_NOTIFY;
		fault(e, EINVAL, "notification before CREATE");
	} else if (opcode == GUSE_OP_SET_INPUTS) {
		e->kind = FZ_KIND_SET_INPUTS;
		check_set_inputs(c, p + HDR_SIZE, len, e);
	} else if (opcode >= GUSE_OP_LINE_DIRECTION &&
		   opcode <= GUSE_OP_UNCLAIM) {
		e->kind = FZ_KIND_LINE_DIRECTION + (opcode - GUSE_OP_LINE_DIRECTION);
		check_device(c, opcode, p + HDR_SIZE, len, e);
	} else if (opcode == GUSE_OP_WAKEUP) {
		/* gpio-guse, WAKEUP (1.2): no payload */
		e->kind = FZ_KIND_WAKEUP;
		if (c->version_minor < 2)
			fault(e, EOPNOTSUPP, "WAKEUP on the chip of a 1.0 or 1.1 server");
		else if (len)
			fault(e, EINVAL, "WAKEUP with a payload");
	} else {
		e->kind = FZ_KIND_NOTIFY;
		fault(e, EOPNOTSUPP, "notification with an unknown opcode");
	}

	e->ok = !e->nerr;
	if (!e->why)
		e->why = "well-formed";
	/* "EBUSY: a host consumer holds the line", if one does now */
	if (e->ok && e->racy)
		fault(e, EBUSY, "well-formed; a host consumer may hold the line");
	/* a request that may have timed out is gone for every reply */
	if (e->kind == FZ_KIND_REPLY && e->id_state == FZ_ID_MAYBE)
		fault(e, ENOENT, e->why);
	/*
	 * "ENOMEM: no memory for a copy of a message larger than 256 bytes",
	 * for the chip of a CREATE, or to queue a SET_INPUTS
	 */
	if (c->enomem && (count > SMALL_MSG ||
			  (e->ok && (e->kind == FZ_KIND_CREATE ||
				     e->kind == FZ_KIND_SET_INPUTS ||
				     e->kind == FZ_KIND_CLAIM))))
		fault(e, ENOMEM, e->why);
}

bool fz_expect_match(const struct fz_expect *e, int ret)
{
	unsigned int i;

	if (ret >= 0)
		return e->ok;
	for (i = 0; i < e->nerr; i++)
		if (e->err[i] == -ret)
			return true;
	return false;
}

const char *fz_expect_str(const struct fz_expect *e, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = 0;
	if (e->ok)
		n += snprintf(buf, len, "success");
	for (i = 0; i < e->nerr && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", n ? (i ? "/" : " or ") : "",
			      strerrorname_np(e->err[i]));
	return buf;
}
