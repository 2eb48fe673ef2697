/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/gen.h: message generators and mutators.  A generator builds a
 * well-formed message or one with a chosen fault; a mutator changes bytes,
 * lengths and fields blindly.  Neither predicts the outcome: the oracle
 * (model.h) judges whatever bytes are finally written.
 */
#ifndef GUSE_TESTS_FUZZ_GEN_H
#define GUSE_TESTS_FUZZ_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Largest write the fuzzer makes: well beyond GUSE_MSG_SIZE_MAX. */
#define FZ_BUF_MAX	(1U << 20)

/* One message being built; @buf holds FZ_BUF_MAX bytes. */
struct fz_msg {
	uint8_t *buf;
	size_t len;
};

/* The header of @m: len = @m->len unless changed afterwards. */
void fz_msg_set(struct fz_msg *m, uint16_t opcode, uint64_t id,
		uint32_t error, const void *payload, size_t len);

/*
 * CREATE.  @valid: a well-formed one (small chips mostly, names and line
 * state sometimes, 1.0 servers now and then); otherwise one with a typical
 * fault (absurd counts and timeouts, bad version, flags or reserved,
 * unterminated or missing names, bad line state or hog labels).
 */
void fz_gen_create(struct fz_rng *r, struct fz_msg *m, unsigned int max_lines,
		   int valid);
/*
 * SET_INPUTS for a chip of @ngpio lines, well-formed (its mask leaves out
 * the lines of @invalid, NULL: none) or with a fault.
 */
void fz_gen_set_inputs(struct fz_rng *r, struct fz_msg *m, unsigned int ngpio,
		       const uint64_t *invalid, int valid);
/*
 * LINE_DIRECTION, CLAIM or UNCLAIM (1.1) for a chip of @ngpio lines whose
 * lines @invalid are missing from the valid mask, @claimed are held by the
 * device side and @host may be held by host consumers (each NULL: none):
 * well-formed, of a valid line, mostly one UNCLAIM can give back or CLAIM
 * take (not a host's); otherwise with a fault (line beyond the chip or
 * invalid, reserved, direction, value, label, size).
 */
void fz_gen_device(struct fz_rng *r, struct fz_msg *m, unsigned int ngpio,
		   const uint64_t *invalid, const uint64_t *claimed,
		   const uint64_t *host, int valid);
/*
 * A reply to @id, a request with @opcode whose reply payload is @out_len
 * bytes.  @valid: right opcode and size (payload or error chosen at
 * random); otherwise wrong opcode, size or error field.
 */
void fz_gen_reply(struct fz_rng *r, struct fz_msg *m, uint64_t id,
		  uint16_t opcode, uint32_t out_len, unsigned int ngpio,
		  int valid);
/* WAKEUP (1.2): well-formed (no payload), or with a payload or an error. */
void fz_gen_wakeup(struct fz_rng *r, struct fz_msg *m, int valid);
/* id 0, an opcode that is not a server notification. */
void fz_gen_unknown(struct fz_rng *r, struct fz_msg *m);
/* Random bytes of a random, mostly small, length; sometimes a sane len. */
void fz_gen_garbage(struct fz_rng *r, struct fz_msg *m);
/* Byte counts at and around the limits: 0, 23, 24, GUSE_MSG_SIZE_MAX + 1, 1 MiB. */
void fz_gen_extreme(struct fz_rng *r, struct fz_msg *m);
/* 1 to 3 blind mutations: bit flips, bytes, lengths, swapped fields. */
void fz_mutate(struct fz_rng *r, struct fz_msg *m);

#endif /* GUSE_TESTS_FUZZ_GEN_H */
