/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/model.h: the oracle of the fuzzer.  A reference model of what the
 * kernel must answer to one write() on /dev/guse, written from
 * Documentation/protocol.rst ("Errors returned by write()"): the set of
 * errnos the write may fail with and whether it may succeed.
 *
 * The checks are layered as the documentation lists them: size, header,
 * then either the reply checks (id nonzero) or the notification checks
 * (id 0: error field, CREATE, state, SET_INPUTS).  Within a layer the order
 * of the checks is not documented, so a message with several faults may
 * fail with the errno of any of them.
 */
#ifndef GUSE_TESTS_FUZZ_MODEL_H
#define GUSE_TESTS_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/guse.h>

/* Words of a line bitmap of the largest chip. */
#define FZ_WORDS	GUSE_BITMAP_WORDS(GUSE_LINES_MAX)

/* What the sender of a reply knows about its id. */
enum fz_id_state {
	FZ_ID_UNKNOWN,	/* never read, answered, or known to be gone */
	FZ_ID_PENDING,	/* read, not answered, cannot have timed out yet */
	FZ_ID_MAYBE,	/* read, not answered, may have timed out */
};

/*
 * What the kernel knows about the connection, as far as the oracle needs.
 * The line bitmaps are the chip's (when live); the sender of the messages
 * keeps @claimed: only its own CREATE (hogs), CLAIM and UNCLAIM change it.
 */
struct fz_conn {
	bool live;		/* a CREATE succeeded */
	unsigned int max_lines;	/* gpio-guse's max_lines */
	unsigned int ngpio;	/* lines of the chip, when live */
	unsigned int version_minor;	/* the protocol minor of its CREATE */
	uint64_t invalid[FZ_WORDS];	/* lines missing from the valid mask */
	uint64_t claimed[FZ_WORDS];	/* lines the device side holds */
	/*
	 * Lines host consumers may hold (requested or as interrupts) at the
	 * moment of a write, racing it; no other line is ever held.
	 */
	uint64_t host[FZ_WORDS];
	bool enomem;		/* allocation failures are being injected */
	/* state of a reply id; NULL: every id is unknown */
	enum fz_id_state (*lookup)(void *ctx, uint64_t id, uint16_t *opcode,
				   uint32_t *out_len);
	void *ctx;
};

enum fz_kind {
	FZ_KIND_SIZE,		/* rejected for its byte count */
	FZ_KIND_HEADER,		/* rejected for its header */
	FZ_KIND_REPLY,		/* id nonzero */
	FZ_KIND_CREATE,
	FZ_KIND_SET_INPUTS,
	FZ_KIND_NOTIFY,		/* id 0, another opcode */
	FZ_KIND_LINE_DIRECTION,	/* the 1.1 device-side notifications */
	FZ_KIND_CLAIM,
	FZ_KIND_UNCLAIM,
	FZ_KIND_WAKEUP,		/* 1.2: the server wakes its own reader */
};

#define FZ_MAX_ERRS 6

struct fz_expect {
	enum fz_kind kind;
	bool ok;		/* the write may succeed */
	unsigned int nerr;
	int err[FZ_MAX_ERRS];	/* positive errnos it may fail with */
	const char *why;	/* the first fault found, or "well-formed" */
	uint64_t id;		/* FZ_KIND_REPLY */
	enum fz_id_state id_state;
	uint32_t error;		/* the header's error field */
	uint32_t line;		/* FZ_KIND_LINE_DIRECTION, _CLAIM, _UNCLAIM */
	bool racy;		/* a host consumer may hold that line */
};

void fz_expect(const struct fz_conn *c, const void *buf, size_t count,
	       struct fz_expect *e);
/* Does a write that returned @ret (0 or -errno) satisfy @e? */
bool fz_expect_match(const struct fz_expect *e, int ret);
/* "success or EINVAL/ENOENT" into @buf. */
const char *fz_expect_str(const struct fz_expect *e, char *buf, size_t len);

#endif /* GUSE_TESTS_FUZZ_MODEL_H */
