// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/gen.c: message generators and mutators (see gen.h).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/guse.h>

#include "gen.h"

#define HDR_SIZE	sizeof(struct guse_msg_header)
#define FZ_GEN_WORDS	GUSE_BITMAP_WORDS(GUSE_LINES_MAX)
#define PAYLOAD_MAX	(GUSE_MSG_SIZE_MAX - HDR_SIZE)
/* GUSE_CREATE_F_ALL is the bits below this one */
#define FLAGS_DEFINED	(32 - __builtin_clz(GUSE_CREATE_F_ALL))

static const uint32_t special32[] = {
	0, 1, 2, 7, 8, 23, 24, 31, 32, 63, 64, 65, 79, 80, 1023, 1024, 1025,
	4095, 4096, 65535, 65536, 600000, 600001, 0x7fffffff, 0x80000000,
	0xfffffffe, 0xffffffff,
};

static uint32_t special(struct fz_rng *r)
{
	return special32[fz_below(r, sizeof(special32) / sizeof(special32[0]))];
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

void fz_msg_set(struct fz_msg *m, uint16_t opcode, uint64_t id,
		uint32_t error, const void *payload, size_t len)
{
	struct guse_msg_header h = {
		.len = htole32(HDR_SIZE + len),
		.opcode = htole16(opcode),
		.id = htole64(id),
		.error = htole32(error),
	};

	memcpy(m->buf, &h, sizeof(h));
	if (payload && len)
		memmove(m->buf + HDR_SIZE, payload, len);
	m->len = HDR_SIZE + len;
}

/* A printable name of 0 to 31 characters, now and then raw bytes. */
static void gen_name(struct fz_rng *r, char *name, bool may_be_empty)
{
	unsigned int len = fz_below(r, GUSE_NAME_SIZE - 1) + !may_be_empty, i;
	bool raw = fz_chance(r, 100);

	memset(name, 0, GUSE_NAME_SIZE);
	for (i = 0; i < len; i++)
		name[i] = raw ? (char)(fz_below(r, 255) + 1) :
				(char)(' ' + fz_below(r, 95));
}

static uint32_t gen_lines(struct fz_rng *r, unsigned int max_lines)
{
	static const uint32_t edges[] = { 1, 2, 63, 64, 65, 128, 1024 };
	uint32_t n;

	if (fz_chance(r, 850))
		n = fz_below(r, 16) + 1;
	else
		n = edges[fz_below(r, sizeof(edges) / sizeof(edges[0]))];
	return n > max_lines ? max_lines : n;
}

/* One typical fault of a CREATE payload of @len bytes; returns the length. */
static size_t create_fault(struct fz_rng *r, uint8_t *p, size_t len,
			   unsigned int max_lines)
{
	struct guse_create *cr = (void *)p;
	static const uint32_t lines[] = { 0, 1025, 0xffffffff, 0x80000000 };
	static const uint32_t timeouts[] = { 600001, 0x7fffffff, 0xffffffff };
	static const uint32_t versions[] = {
		0, 0xffff, 2 << 16, 0xffff0000, GUSE_VERSION - 0x10000,
	};

	switch (fz_below(r, 11)) {
	case 0:
		cr->num_lines = htole32(fz_chance(r, 300) ? max_lines + 1 :
					lines[fz_below(r, 4)]);
		break;
	case 1:
		cr->timeout_ms = htole32(timeouts[fz_below(r, 3)]);
		break;
	case 2:
		cr->version = htole32(versions[fz_below(r, 5)]);
		break;
	case 3:		/* beyond GUSE_CREATE_F_ALL */
		cr->flags |= htole32(1U << (FLAGS_DEFINED +
					    fz_below(r, 32 - FLAGS_DEFINED)));
		break;
	case 4:
		cr->reserved[fz_below(r, 8)] = htole32(special(r) | 1);
		break;
	case 5:		/* unterminated label */
		memset(cr->label, 'A' + fz_below(r, 26), GUSE_NAME_SIZE);
		break;
	case 6:
		memset(cr->label, 0, GUSE_NAME_SIZE);
		break;
	case 7:		/* names announced, missing or one too many/few */
		cr->flags |= htole32(GUSE_CREATE_F_LINE_NAMES);
		if (fz_chance(r, 500))
			return sizeof(*cr);
		len = sizeof(*cr) + (le32toh(cr->num_lines) +
				     (fz_chance(r, 500) ? 1 : -1)) * GUSE_NAME_SIZE;
		memset(p + sizeof(*cr), 'n', len > sizeof(*cr) ?
		       len - sizeof(*cr) : 0);
		for (size_t o = sizeof(*cr) + GUSE_NAME_SIZE - 1; o < len;
		     o += GUSE_NAME_SIZE)
			p[o] = 0;
		return len;
	case 8:		/* one unterminated line name */
		if (le32toh(cr->flags) & GUSE_CREATE_F_LINE_NAMES &&
		    len > sizeof(*cr)) {
			memset(p + sizeof(*cr) + GUSE_NAME_SIZE *
			       fz_below(r, le32toh(cr->num_lines)),
			       'x', GUSE_NAME_SIZE);
			return len;
		}
		return fz_below(r, sizeof(*cr));
	case 9:		/* truncated */
		return fz_below(r, sizeof(*cr));
	default:	/* huge: extra bytes up to the largest message */
		len += fz_chance(r, 200) ? PAYLOAD_MAX - len :
					   fz_below(r, 4096) + 1;
		return len > PAYLOAD_MAX ? PAYLOAD_MAX : len;
	}
	return len;
}

/* The flags of one line's state at creation: mostly a plain input. */
static uint32_t gen_line_flags(struct fz_rng *r)
{
	static const uint32_t some[] = {
		GUSE_LINE_INIT_F_OUTPUT,
		GUSE_LINE_INIT_F_OUTPUT | GUSE_LINE_INIT_F_VALUE,
		GUSE_LINE_INIT_F_VALUE,
		GUSE_LINE_INIT_F_INVALID,
		GUSE_LINE_INIT_F_HOG,
		GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_VALUE,
		GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_OUTPUT,
		GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_OUTPUT |
			GUSE_LINE_INIT_F_VALUE,
	};

	return fz_chance(r, 600) ? 0 : some[fz_below(r, 8)];
}

/*
 * Valid line state for @lines lines at @p + @off: the struct
 * guse_line_init array, then a label per hog.  Returns the new length.
 */
static size_t gen_line_init(struct fz_rng *r, uint8_t *p, size_t off,
			    uint32_t lines)
{
	size_t label = off + (size_t)lines * sizeof(struct guse_line_init);
	uint32_t i, flags;

	for (i = 0; i < lines; i++) {
		flags = gen_line_flags(r);
		put32(p + off + 8 * i, flags);
		put32(p + off + 8 * i + 4, 0);
		if (flags & GUSE_LINE_INIT_F_HOG) {
			gen_name(r, (char *)p + label, false);
			label += GUSE_NAME_SIZE;
		}
	}
	return label;
}

/* The hogs of the line state at @p + @off. */
static unsigned int count_hogs(const uint8_t *p, size_t off, uint32_t lines)
{
	unsigned int i, n = 0;
	uint32_t flags;

	for (i = 0; i < lines; i++) {
		memcpy(&flags, p + off + 8 * i, 4);
		n += !!(le32toh(flags) & GUSE_LINE_INIT_F_HOG);
	}
	return n;
}

/*
 * One typical fault of the line state of a CREATE of @len bytes whose line
 * state starts at @off (0: it has none, and gets one first); returns the
 * length.
 */
static size_t line_init_fault(struct fz_rng *r, uint8_t *p, size_t len,
			      size_t off)
{
	struct guse_create *cr = (void *)p;
	uint32_t lines = le32toh(cr->num_lines), line, flags;
	size_t labels;
	unsigned int hogs;

	if (!off) {
		if (lines > GUSE_LINES_MAX)
			return len;
		cr->flags |= htole32(GUSE_CREATE_F_LINE_INIT);
		off = len;
		len = gen_line_init(r, p, off, lines);
	}
	if (!lines)
		return len;
	line = fz_below(r, lines);
	memcpy(&flags, p + off + 8 * line, 4);
	flags = le32toh(flags);
	hogs = count_hogs(p, off, lines);
	labels = off + (size_t)lines * sizeof(struct guse_line_init);
	switch (fz_below(r, 8)) {
	case 0:		/* an unknown flag */
		put32(p + off + 8 * line, flags | 1U << (4 + fz_below(r, 28)));
		break;
	case 1:
		put32(p + off + 8 * line + 4, special(r) | 1);
		break;
	case 2:		/* INVALID and another flag */
		put32(p + off + 8 * line, GUSE_LINE_INIT_F_INVALID |
		      1U << (fz_below(r, 3) ? fz_below(r, 2) : 3));
		break;
	case 3:		/* a label missing, or one too many */
		if (hogs && fz_chance(r, 500))
			return len - GUSE_NAME_SIZE;
		gen_name(r, (char *)p + len, false);
		return len + GUSE_NAME_SIZE;
	case 4:		/* an empty or unterminated label */
		if (!hogs)
			return len - 1;
		labels += GUSE_NAME_SIZE * fz_below(r, hogs);
		if (fz_chance(r, 500))
			memset(p + labels, 0, GUSE_NAME_SIZE);
		else
			memset(p + labels, 'a' + fz_below(r, 26),
			       GUSE_NAME_SIZE);
		break;
	case 5:		/* truncated */
		return off + fz_below(r, len - off);
	case 6:		/* from a 1.0 server */
		cr->version = htole32(GUSE_VERSION_MAJOR << 16);
		break;
	default:	/* a line becomes a hog without a label of its own */
		put32(p + off + 8 * line, flags ^ GUSE_LINE_INIT_F_HOG);
		break;
	}
	return len;
}

void fz_gen_create(struct fz_rng *r, struct fz_msg *m, unsigned int max_lines,
		   int valid)
{
	uint8_t *p = m->buf + HDR_SIZE;
	struct guse_create *cr = (void *)p;
	size_t len = sizeof(*cr), init_off = 0;
	uint32_t lines = gen_lines(r, max_lines), i, version, flags;
	unsigned int k;

	memset(p, 0, sizeof(*cr));
	k = fz_below(r, 1000);
	version = k < 800 ? GUSE_VERSION : k < 850 ?
		  GUSE_VERSION_MAJOR << 16 | 1 :	/* a 1.1 server */
		  k < 900 ? GUSE_VERSION_MAJOR << 16 :	/* a 1.0 server */
		  (GUSE_VERSION_MAJOR << 16) | fz_below(r, 65536);
	flags = fz_below(r, GUSE_CREATE_F_ALL + 1);
	/* servers know only their minor version's flags */
	if (!(version & 0xffff))
		flags &= GUSE_CREATE_F_ALL_1_0;
	else if ((version & 0xffff) < 2)
		flags &= GUSE_CREATE_F_ALL_1_1;
	cr->version = htole32(version);
	cr->num_lines = htole32(lines);
	cr->timeout_ms = htole32(fz_chance(r, 500) ? 0 :
				 fz_below(r, GUSE_TIMEOUT_MAX_MS + 1));
	cr->flags = htole32(flags);
	gen_name(r, cr->label, false);
	if (flags & GUSE_CREATE_F_LINE_NAMES) {
		for (i = 0; i < lines; i++)
			gen_name(r, (char *)p + len + i * GUSE_NAME_SIZE, true);
		len += (size_t)lines * GUSE_NAME_SIZE;
	}
	if (flags & GUSE_CREATE_F_LINE_INIT) {
		init_off = len;
		len = gen_line_init(r, p, len, lines);
	}
	if (!valid)
		len = fz_chance(r, 300) ? line_init_fault(r, p, len, init_off) :
					  create_fault(r, p, len, max_lines);
	fz_msg_set(m, GUSE_OP_CREATE, 0, 0, NULL, len);
}

void fz_gen_set_inputs(struct fz_rng *r, struct fz_msg *m, unsigned int ngpio,
		       const uint64_t *invalid, int valid)
{
	unsigned int words = GUSE_BITMAP_WORDS(ngpio), i, tail = ngpio % 64;
	uint8_t *p = m->buf + HDR_SIZE;
	size_t len = 8 + 16 * (size_t)words;
	uint64_t keep, bad = 0;

	memset(p, 0, 8);
	put32(p, words);
	for (i = 0; i < 2 * words; i++) {
		keep = tail && i % words == words - 1 ? (1ULL << tail) - 1 : ~0ULL;
		/* the mask leaves out lines missing from the valid mask */
		if (invalid && i < words && i < FZ_GEN_WORDS)
			keep &= ~invalid[i];
		put64(p + 8 + 8 * i, fz_next(r) & fz_next(r) & keep);
	}
	for (i = 0; invalid && i < words && i < FZ_GEN_WORDS; i++)
		bad |= invalid[i];
	if (!valid) {
		switch (fz_below(r, bad ? 6 : 5)) {
		case 0:
			put32(p, fz_chance(r, 500) ? words + 1 - 2 * fz_below(r, 2) :
						     special(r));
			break;
		case 1:
			put32(p + 4, special(r) | 1);
			break;
		case 2:		/* a bit beyond the last line */
			i = fz_below(r, 2) * words + words - 1;
			put64(p + 8 + 8 * i, 1ULL << (tail ? tail + fz_below(r, 64 - tail) :
							    fz_below(r, 64)));
			if (!tail)
				len += 8;	/* no bit beyond: size fault */
			break;
		case 3:		/* num_words and size agree, but not with the chip */
			words += 1;
			put32(p, words);
			len = 8 + 16 * (size_t)words;
			memset(p + 8 + 16 * (words - 1), 0, 16);
			break;
		case 5:		/* a line missing from the valid mask */
			for (i = fz_below(r, words); !invalid[i]; i = (i + 1) % words)
				;
			put64(p + 8 + 8 * i, (invalid[i] & (fz_chance(r, 500) ?
				~0ULL : -invalid[i])) | (fz_next(r) & ~invalid[i]));
			break;
		default:
			len = fz_below(r, len + 24);
			break;
		}
	}
	fz_msg_set(m, GUSE_OP_SET_INPUTS, 0, 0, NULL, len);
}

static bool test_bit64(const uint64_t *map, uint32_t line)
{
	return map && line < GUSE_LINES_MAX && map[line / 64] >> (line % 64) & 1;
}

/*
 * A line for a device-side notification: mostly a valid one, for UNCLAIM
 * mostly a claimed one, for CLAIM mostly one neither claimed nor in @host;
 * a few tries find one often enough.
 */
static uint32_t pick_line(struct fz_rng *r, unsigned int ngpio,
			  const uint64_t *invalid, const uint64_t *claimed,
			  const uint64_t *host, uint16_t op)
{
	bool any = fz_chance(r, 250);
	uint32_t line = fz_below(r, ngpio);
	unsigned int tries;

	for (tries = 0; tries < 16; tries++, line = fz_below(r, ngpio)) {
		if (test_bit64(invalid, line))
			continue;
		if (any || op == GUSE_OP_LINE_DIRECTION)
			break;
		if (op == GUSE_OP_UNCLAIM ? test_bit64(claimed, line) :
		    !test_bit64(claimed, line) && !test_bit64(host, line))
			break;
	}
	return line;
}

void fz_gen_device(struct fz_rng *r, struct fz_msg *m, unsigned int ngpio,
		   const uint64_t *invalid, const uint64_t *claimed,
		   const uint64_t *host, int valid)
{
	static const size_t sizes[] = {
		sizeof(struct guse_line), sizeof(struct guse_device_direction),
		sizeof(struct guse_line_consumer),
	};
	static const uint16_t ops[] = {
		GUSE_OP_LINE_DIRECTION, GUSE_OP_LINE_DIRECTION, GUSE_OP_CLAIM,
		GUSE_OP_UNCLAIM,
	};
	uint16_t op = ops[fz_below(r, 4)];
	uint8_t *p = m->buf + HDR_SIZE;
	size_t len = op == GUSE_OP_LINE_DIRECTION ?
		     sizeof(struct guse_device_direction) :
		     op == GUSE_OP_CLAIM ? sizeof(struct guse_line_consumer) :
		     sizeof(struct guse_line);
	uint32_t line = pick_line(r, ngpio, invalid, claimed, host, op), i;
	size_t other;

	memset(p, 0, len);
	put32(p, line);
	if (op == GUSE_OP_LINE_DIRECTION) {
		put32(p + 4, fz_below(r, 2));
		put32(p + 8, fz_below(r, 2));
	} else if (op == GUSE_OP_CLAIM) {
		gen_name(r, (char *)p + 8, false);
	}
	if (!valid) {
		switch (fz_below(r, 7)) {
		case 0:		/* beyond the chip */
			put32(p, fz_chance(r, 500) ? ngpio + fz_below(r, 64) :
				 ngpio + special(r));
			break;
		case 1:		/* missing from the valid mask, if any is */
			for (i = 0; i < ngpio; i++)
				if (test_bit64(invalid, (line + i) % ngpio))
					break;
			put32(p, i < ngpio ? (line + i) % ngpio : ngpio);
			break;
		case 2:		/* reserved */
			put32(p + (op == GUSE_OP_LINE_DIRECTION ? 12 : 4),
			      special(r) | 1);
			break;
		case 3:		/* direction, value, label; reserved */
			if (op == GUSE_OP_LINE_DIRECTION)
				put32(p + 4 + 4 * fz_below(r, 2),
				      2 + fz_below(r, 2) * special(r));
			else if (op == GUSE_OP_CLAIM)
				memset(p + 8, fz_chance(r, 500) ? 0 : 'l',
				       GUSE_NAME_SIZE);
			else
				put32(p + 4, special(r) | 1);
			break;
		case 4:		/* another size */
			len = fz_chance(r, 800) ? len + 4 - 8 * fz_below(r, 2) :
						  fz_below(r, 64);
			fz_fill(r, p + 16, 64);
			break;
		case 5:		/* the size of a neighbouring message */
			do
				other = sizes[fz_below(r, 3)];
			while (other == len);
			len = other;
			break;
		default:	/* any line */
			put32(p, fz_chance(r, 500) ? fz_below(r, ngpio + 2) :
				 special(r));
			break;
		}
	}
	fz_msg_set(m, op, 0, 0, NULL, len);
}

/* A payload of @len bytes that looks like the reply to @opcode. */
static void reply_payload(struct fz_rng *r, uint8_t *p, uint16_t opcode,
			  size_t len, unsigned int ngpio)
{
	unsigned int words = GUSE_BITMAP_WORDS(ngpio);

	fz_fill(r, p, len);
	if (opcode == GUSE_OP_GET_DIRECTION && len >= 8) {
		/* mostly valid directions; else a line offset or junk */
		put32(p, fz_chance(r, 800) ? fz_below(r, 2) :
			 fz_chance(r, 500) ? ngpio + fz_below(r, 100) : special(r));
		put32(p + 4, 0);
	} else if (opcode == GUSE_OP_GET_VALUES && len >= 8) {
		put32(p, fz_chance(r, 800) ? words : special(r));
		put32(p + 4, 0);
	}
}

void fz_gen_reply(struct fz_rng *r, struct fz_msg *m, uint64_t id,
		  uint16_t opcode, uint32_t out_len, unsigned int ngpio,
		  int valid)
{
	static const uint32_t errors[] = { EIO, EPROTO, ETIMEDOUT };
	uint8_t *p = m->buf + HDR_SIZE;
	uint32_t error = 0;
	size_t len = out_len;

	if (valid) {
		if (fz_chance(r, 300)) {
			error = fz_chance(r, 800) ? errors[fz_below(r, 3)] :
						    134 + fz_below(r, 4095 - 133);
			len = 0;
		}
	} else {
		switch (fz_below(r, 5)) {
		case 0:		/* any other opcode */
			opcode += 1 + (fz_chance(r, 700) ? fz_below(r, 9) :
				       fz_below(r, 0xfffe));
			break;
		case 1:
			len = out_len ? (fz_chance(r, 500) ? 0 : out_len +
					 8 - 16 * fz_below(r, 2)) : 8;
			break;
		case 2:		/* any other size */
			len = fz_chance(r, 900) ? fz_below(r, 300) :
						  PAYLOAD_MAX - fz_below(r, 2);
			len += len == out_len;
			break;
		case 3:
			error = fz_chance(r, 500) ? 4096 : special(r) | 0x1000;
			len = fz_chance(r, 500) ? 0 : out_len;
			break;
		default:	/* an error together with a payload */
			error = EIO;
			len = out_len ? out_len : 8;
			break;
		}
	}
	reply_payload(r, p, opcode, len, ngpio);
	fz_msg_set(m, opcode, id, error, NULL, len);
}

void fz_gen_wakeup(struct fz_rng *r, struct fz_msg *m, int valid)
{
	size_t len = 0;
	uint32_t error = 0;

	if (!valid) {
		if (fz_chance(r, 500))
			len = fz_below(r, 64) + 1;
		else
			error = special(r) | 1;
		fz_fill(r, m->buf + HDR_SIZE, len);
	}
	fz_msg_set(m, GUSE_OP_WAKEUP, 0, error, NULL, len);
}

void fz_gen_unknown(struct fz_rng *r, struct fz_msg *m)
{
	static const uint16_t ops[] = {
		0, GUSE_OP_READY, 4, 15, GUSE_OP_REQUEST, GUSE_OP_FREE,
		GUSE_OP_CONSUMER, GUSE_OP_GET_DIRECTION, GUSE_OP_GET_VALUES,
		GUSE_OP_SET_VALUES, GUSE_OP_IRQ_CONFIG, 26, 31,
		GUSE_OP_UNCLAIM + 1, 0x7fff, 0xffff,
	};
	size_t len = fz_below(r, 64);
	uint16_t op = fz_chance(r, 800) ? ops[fz_below(r, 16)] :
					  (uint16_t)fz_next(r);

	if (op == GUSE_OP_CREATE || op == GUSE_OP_SET_INPUTS ||
	    op == GUSE_OP_WAKEUP ||
	    (op >= GUSE_OP_LINE_DIRECTION && op <= GUSE_OP_UNCLAIM))
		op = 0;
	fz_fill(r, m->buf + HDR_SIZE, len);
	fz_msg_set(m, op, 0, 0, NULL, len);
}

void fz_gen_garbage(struct fz_rng *r, struct fz_msg *m)
{
	m->len = fz_chance(r, 900) ? fz_below(r, 96) : fz_below(r, 2048);
	fz_fill(r, m->buf, m->len);
	if (m->len >= HDR_SIZE && fz_chance(r, 600)) {
		put32(m->buf, m->len);
		memset(m->buf + 6, 0, 2);	/* flags */
		memset(m->buf + 20, 0, 4);	/* reserved */
		if (fz_chance(r, 500))
			memset(m->buf + 8, 0, 8);	/* id 0 */
	}
}

void fz_gen_extreme(struct fz_rng *r, struct fz_msg *m)
{
	static const uint32_t sizes[] = {
		0, 1, 23, 24, 25, 255, 256, 257, GUSE_MSG_SIZE_MAX - 1,
		GUSE_MSG_SIZE_MAX, GUSE_MSG_SIZE_MAX + 1, 2 * GUSE_MSG_SIZE_MAX,
		FZ_BUF_MAX,
	};
	static const uint16_t ops[] = {
		GUSE_OP_CREATE, GUSE_OP_SET_INPUTS, GUSE_OP_GET_VALUES, 0,
	};
	size_t len = sizes[fz_below(r, sizeof(sizes) / sizeof(sizes[0]))];

	memset(m->buf, 0, len < 4096 ? len : 4096);
	if (len >= HDR_SIZE)
		fz_msg_set(m, ops[fz_below(r, 4)], fz_chance(r, 700) ? 0 :
			   fz_next(r), 0, NULL, len - HDR_SIZE);
	m->len = len;
}

static void mutate_once(struct fz_rng *r, struct fz_msg *m)
{
	size_t len = m->len, a, b;
	uint32_t t;

	switch (fz_below(r, 7)) {
	case 0:		/* flip bits, mostly in the header */
		for (a = fz_below(r, 4) + 1; a && len; a--) {
			b = fz_chance(r, 600) && len > HDR_SIZE ?
			    fz_below(r, HDR_SIZE) : fz_below(r, len);
			m->buf[b] ^= 1U << fz_below(r, 8);
		}
		break;
	case 1:
		if (len)
			m->buf[fz_below(r, len)] = fz_chance(r, 500) ?
				(uint8_t)(0xff * fz_below(r, 2)) : (uint8_t)fz_next(r);
		break;
	case 2:		/* an aligned word gets a special value */
		if (len >= 4) {
			a = fz_below(r, len / 4) * 4;
			put32(m->buf + a, special(r));
		}
		break;
	case 3:		/* shorter or longer, len fixed up or not */
		if (fz_chance(r, 500) && len) {
			len = fz_below(r, len);
		} else {
			a = fz_below(r, 64) + 1;
			if (len + a > FZ_BUF_MAX)
				a = FZ_BUF_MAX - len;
			fz_fill(r, m->buf + len, a);
			len += a;
		}
		m->len = len;
		if (len >= 4 && fz_chance(r, 600))
			put32(m->buf, len);
		break;
	case 4:		/* swap two aligned words */
		if (len >= 8) {
			a = fz_below(r, len / 4) * 4;
			b = fz_below(r, len / 4) * 4;
			memcpy(&t, m->buf + a, 4);
			memmove(m->buf + a, m->buf + b, 4);
			memcpy(m->buf + b, &t, 4);
		}
		break;
	case 5:		/* neighbouring id */
		if (len >= 16) {
			uint64_t id;

			memcpy(&id, m->buf + 8, 8);
			put64(m->buf + 8, le64toh(id) + fz_below(r, 5) - 2);
		}
		break;
	default:	/* the opcode of another message */
		if (len >= 6)
			m->buf[4] = (uint8_t)(fz_chance(r, 800) ?
					      GUSE_OP_REQUEST + fz_below(r, 10) :
					      fz_below(r, 40));
		break;
	}
}

void fz_mutate(struct fz_rng *r, struct fz_msg *m)
{
	unsigned int n = fz_below(r, 3) + 1;

	while (n--)
		mutate_once(r, m);
}
