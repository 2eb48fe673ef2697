// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz/driver.c: one fuzzing step (see driver.h).
 *
 * Replies (any write whose header carries a nonzero id) are evaluated and
 * written with the server's lock held, so that the oracle sees exactly the
 * requests the kernel waits for.  Other writes take no lock: a SET_INPUTS
 * may wait for interrupt threads, which may wait for the server.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

#define HDR_SIZE	sizeof(struct guse_msg_header)

int fz_fuzzer_init(struct fz_fuzzer *f, int fd, struct fz_server *srv,
		   unsigned int max_lines, uint64_t seed, const char *stream)
{
	memset(f, 0, sizeof(*f));
	f->msg.buf = calloc(1, FZ_BUF_MAX);
	if (!f->msg.buf)
		return -ENOMEM;
	fz_seed(&f->rng, seed, stream);
	f->fd = fd;
	f->srv = srv;
	f->conn.max_lines = max_lines;
	if (srv) {
		f->conn.live = true;
		f->conn.ngpio = srv->ngpio;
		f->conn.version_minor = GUSE_VERSION_MINOR;
		memcpy(f->conn.invalid, srv->invalid, sizeof(f->conn.invalid));
		memcpy(f->conn.claimed, srv->hogs, sizeof(f->conn.claimed));
		memcpy(f->is_output, srv->init_out, sizeof(f->is_output));
		f->conn.lookup = fz_server_lookup;
		f->conn.ctx = srv;
	}
	return 0;
}

void fz_fuzzer_free(struct fz_fuzzer *f)
{
	free(f->msg.buf);
	f->msg.buf = NULL;
}

/* Errnos the fuzzer may make consumers see through a reply (see below). */
static bool injectable(uint32_t error)
{
	return error == EIO || error == EPROTO || error == ETIMEDOUT ||
	       error > 133;	/* becomes EIO */
}

static void hexdump(char *out, size_t len, const uint8_t *buf, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < n && i < 128 && o + 4 < len; i++)
		o += snprintf(out + o, len - o, "%02x%s", buf[i],
			      i % 4 == 3 ? " " : "");
}

static void count(struct fz_fuzzer *f, int ret)
{
	f->writes++;
	if (!ret)
		f->accepted++;
	else
		f->rejected[-ret < FZ_ERRNO_SLOTS ? -ret : FZ_ERRNO_SLOTS - 1]++;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void assign_line(uint64_t *map, uint32_t line, bool set)
{
	if (set)
		map[line / 64] |= 1ULL << (line % 64);
	else
		map[line / 64] &= ~(1ULL << (line % 64));
}

/* The chip of an accepted CREATE: its lines, version and line state. */
static void created(struct fz_fuzzer *f, const uint8_t *p)
{
	const struct guse_create *cr = (const void *)p;
	uint32_t lines = get32(p + offsetof(struct guse_create, num_lines));
	uint32_t flags = get32(p + offsetof(struct guse_create, flags));
	size_t off = sizeof(*cr);
	uint32_t i, init;

	f->created_lines = lines;
	f->conn.live = true;
	f->conn.ngpio = lines;
	f->conn.version_minor = get32(p) & 0xffff;
	memset(f->conn.invalid, 0, sizeof(f->conn.invalid));
	memset(f->conn.claimed, 0, sizeof(f->conn.claimed));
	memset(f->is_output, 0, sizeof(f->is_output));
	if (!(flags & GUSE_CREATE_F_LINE_INIT))
		return;
	if (flags & GUSE_CREATE_F_LINE_NAMES)
		off += (size_t)lines * GUSE_NAME_SIZE;
	for (i = 0; i < lines; i++) {
		init = get32(p + off + 8 * i);
		assign_line(f->conn.invalid, i, init & GUSE_LINE_INIT_F_INVALID);
		assign_line(f->conn.claimed, i, init & GUSE_LINE_INIT_F_HOG);
		assign_line(f->is_output, i, init & GUSE_LINE_INIT_F_OUTPUT);
	}
}

/*
 * A LINE_DIRECTION the kernel took, with @lock held when there is a
 * server: it answers for the line accordingly from now on (the kernel asks
 * it about the line only once a consumer requests it).
 */
static void line_direction_taken(struct fz_fuzzer *f, const uint8_t *p)
{
	uint32_t line = get32(p), value = get32(p + 8);
	bool out = get32(p + 4) == GUSE_DIRECTION_OUTPUT;

	assign_line(f->is_output, line, out);
	if (!f->srv)
		return;
	assign_line(f->srv->seen.is_output, line, out);
	assign_line(out ? f->srv->seen.outputs : f->srv->seen.levels, line,
		    value);
}

/* Notes the effects of an accepted write on the model. */
static void accepted(struct fz_fuzzer *f, const struct fz_expect *e,
		     const uint8_t *buf)
{
	unsigned int words, i;
	uint64_t mask[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	uint64_t values[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];

	if (e->kind >= FZ_KIND_LINE_DIRECTION)
		f->device_ok++;
	if (e->kind == FZ_KIND_CREATE) {
		created(f, buf + HDR_SIZE);
	} else if (e->kind == FZ_KIND_CLAIM) {
		assign_line(f->conn.claimed, e->line, true);
	} else if (e->kind == FZ_KIND_UNCLAIM) {
		assign_line(f->conn.claimed, e->line, false);
	} else if (e->kind == FZ_KIND_LINE_DIRECTION && !f->srv) {
		line_direction_taken(f, buf + HDR_SIZE);	/* else locked */
	} else if (e->kind == FZ_KIND_SET_INPUTS && f->srv) {
		/* a server answering input reads answers with these levels */
		words = GUSE_BITMAP_WORDS(f->conn.ngpio);
		for (i = 0; i < words; i++) {
			memcpy(&mask[i], buf + HDR_SIZE + 8 + 8 * i, 8);
			memcpy(&values[i], buf + HDR_SIZE + 8 + 8 * (words + i), 8);
		}
		pthread_mutex_lock(&f->srv->lock);
		for (i = 0; i < words; i++)
			f->srv->seen.levels[i] = (f->srv->seen.levels[i] & ~mask[i]) |
						 (values[i] & mask[i]);
		pthread_mutex_unlock(&f->srv->lock);
	}
}

/* Writes @len bytes of @buf and checks the result against the oracle. */
static bool write_checked(struct fz_fuzzer *f, uint8_t *buf, size_t len,
			  const char *what)
{
	/*
	 * Replies, and LINE_DIRECTION, after which the server must answer
	 * for its line as the kernel then knows it (the kernel does not
	 * wait for the server meanwhile).
	 */
	bool locked = f->srv && len >= HDR_SIZE &&
		      (memcmp(buf + 8, "\0\0\0\0\0\0\0\0", 8) ||
		       (buf[4] == GUSE_OP_LINE_DIRECTION && !buf[5]));
	char want[96], dump[320];
	struct fz_expect e;
	uint32_t eio = htole32(EIO);
	ssize_t n;
	int ret;

	if (locked)
		pthread_mutex_lock(&f->srv->lock);
	fz_expect(&f->conn, buf, len, &e);
	/*
	 * An error reply the kernel takes fails a consumer's call with that
	 * errno; keep to the ones the consumers accept from a server.
	 */
	if (e.kind == FZ_KIND_REPLY && e.ok && e.error &&
	    !injectable(e.error)) {
		memcpy(buf + 16, &eio, 4);
		fz_expect(&f->conn, buf, len, &e);
	}
	/* a request the server lets time out gets no reply the kernel takes */
	if (e.kind == FZ_KIND_REPLY && e.ok && f->srv &&
	    fz_server_protected(f->srv, e.id)) {
		buf[4] ^= 0x80;		/* another opcode */
		fz_expect(&f->conn, buf, len, &e);
	}
	/*
	 * The consumers' lines are theirs: a CLAIM the kernel may take would
	 * refuse them their next request (EBUSY), so it is not sent as such.
	 * LINE_DIRECTION of their lines still races them, and their EBUSY.
	 */
	if (e.kind == FZ_KIND_CLAIM && e.ok &&
	    f->conn.host[e.line / 64] >> (e.line % 64) & 1) {
		buf[4] ^= 0x80;		/* another opcode */
		fz_expect(&f->conn, buf, len, &e);
	}
	n = write(f->fd, buf, len);
	ret = n < 0 ? -errno : 0;
	if (locked) {
		if (e.kind != FZ_KIND_LINE_DIRECTION)
			fz_server_replied(f->srv, e.id, e.error, ret);
		else if (!ret)
			line_direction_taken(f, buf + HDR_SIZE);
		pthread_mutex_unlock(&f->srv->lock);
	}
	count(f, ret);
	if (n >= 0 && (size_t)n != len) {
		snprintf(f->failure, sizeof(f->failure),
			 "step %lu (%s): write of %zu bytes returned %zd",
			 f->steps, what, len, n);
		return false;
	}
	if (!fz_expect_match(&e, ret)) {
		hexdump(dump, sizeof(dump), buf, len);
		snprintf(f->failure, sizeof(f->failure),
			 "step %lu (%s): write of %zu bytes returned %s, expected %s (%s); bytes: %s",
			 f->steps, what, len, ret ? strerrorname_np(-ret) : "success",
			 fz_expect_str(&e, want, sizeof(want)), e.why, dump);
		return false;
	}
	if (!ret)
		accepted(f, &e, buf);
	return true;
}

/*
 * A reply: to a request the server holds, an answered one, or any id;
 * @sound: meant to be well-formed (to be torn or mutated).
 */
static const char *gen_reply(struct fz_fuzzer *f, bool sound)
{
	uint16_t opcode = GUSE_OP_REQUEST + fz_below(&f->rng, 10);
	uint32_t out_len = 0;
	bool pending = false, protect = false;
	uint64_t id = fz_next(&f->rng) % 1000 + 1;

	if (f->srv) {
		pthread_mutex_lock(&f->srv->lock);
		fz_server_pick(f->srv, &f->rng, &id, &opcode, &out_len, &pending,
			       &protect);
		pthread_mutex_unlock(&f->srv->lock);
	}
	/*
	 * Valid replies to waiting requests fail consumers: a few only, and
	 * none to a request the server lets time out, unless mutated.
	 */
	fz_gen_reply(&f->rng, &f->msg, id, opcode, out_len, f->conn.ngpio,
		     !protect && (sound ||
				  fz_chance(&f->rng, pending ? 30 : 400)));
	return pending ? "reply to a pending request" : "reply to another id";
}

static unsigned int some_lines(struct fz_fuzzer *f)
{
	return f->conn.live ? f->conn.ngpio : fz_below(&f->rng, 130) + 1;
}

/* LINE_DIRECTION, CLAIM or UNCLAIM, for the chip's lines if it has one. */
static const char *gen_device(struct fz_fuzzer *f, bool valid)
{
	fz_gen_device(&f->rng, &f->msg, some_lines(f), f->conn.invalid,
		      f->conn.claimed, f->conn.host, valid);
	return "LINE_DIRECTION/CLAIM/UNCLAIM";
}

/* A message meant to be well-formed, for tearing or mutating. */
static const char *gen_sound(struct fz_fuzzer *f)
{
	switch (fz_below(&f->rng, f->conn.live ? 4 : 1)) {
	case 0:
		fz_gen_create(&f->rng, &f->msg, f->conn.max_lines, 1);
		return "CREATE";
	case 1:
		fz_gen_set_inputs(&f->rng, &f->msg, f->conn.ngpio,
				  f->conn.invalid, 1);
		return "SET_INPUTS";
	case 2:
		return gen_device(f, true);
	default:
		return gen_reply(f, true);
	}
}

/* Writes the message in two or three pieces, each checked on its own. */
static bool write_torn(struct fz_fuzzer *f, const char *gen)
{
	size_t len = f->msg.len, a, b;
	char what[64];

	snprintf(what, sizeof(what), "torn %s", gen);

	if (len < 2)
		return write_checked(f, f->msg.buf, len, what);
	a = fz_chance(&f->rng, 500) && len > HDR_SIZE ? HDR_SIZE :
						       fz_below(&f->rng, len - 1) + 1;
	b = fz_chance(&f->rng, 300) && a + 1 < len ?
	    a + fz_below(&f->rng, len - a - 1) + 1 : len;
	return write_checked(f, f->msg.buf, a, what) &&
	       write_checked(f, f->msg.buf + a, b - a, what) &&
	       (b == len || write_checked(f, f->msg.buf + b, len - b, what));
}

bool fz_step(struct fz_fuzzer *f)
{
	unsigned int k = fz_below(&f->rng, 1000);
	bool live = f->conn.live;
	const char *what;

	f->steps++;
	/* a chip without a server has no pending ids: more device messages */
	if (k < (!live ? 150 : f->srv ? 330 : 230)) {
		what = gen_reply(f, false);
	} else if (k < (live ? 450 : 200)) {
		what = gen_device(f, fz_chance(&f->rng, 500));
	} else if (k < (live ? 580 : 270)) {
		what = "SET_INPUTS";
		fz_gen_set_inputs(&f->rng, &f->msg, some_lines(f),
				  f->conn.invalid, fz_chance(&f->rng, 500));
	} else if (k < (live ? 610 : 550)) {
		what = "CREATE";
		fz_gen_create(&f->rng, &f->msg, f->conn.max_lines,
			      fz_chance(&f->rng, live ? 500 : 300));
	} else if (k < 640) {
		what = "unknown opcode";
		fz_gen_unknown(&f->rng, &f->msg);
	} else if (k < 680) {
		what = "WAKEUP";
		fz_gen_wakeup(&f->rng, &f->msg, fz_chance(&f->rng, 700));
	} else if (k < 760) {
		what = "garbage";
		fz_gen_garbage(&f->rng, &f->msg);
	} else if (k < 880) {
		return write_torn(f, gen_sound(f));
	} else if (k < 930) {
		what = "extreme size";
		fz_gen_extreme(&f->rng, &f->msg);
		return write_checked(f, f->msg.buf, f->msg.len, what);
	} else {
		gen_sound(f);
		fz_mutate(&f->rng, &f->msg);
		return write_checked(f, f->msg.buf, f->msg.len, "mutated message");
	}
	if (fz_chance(&f->rng, 250)) {
		fz_mutate(&f->rng, &f->msg);
		what = "mutated message";
	}
	return write_checked(f, f->msg.buf, f->msg.len, what);
}

int fz_fuzzer_unclaim_all(struct fz_fuzzer *f)
{
	struct guse_line msg = { 0 };
	unsigned int line;
	int ret;

	for (line = 0; line < f->conn.ngpio; line++) {
		if (!(f->conn.claimed[line / 64] >> (line % 64) & 1))
			continue;
		msg.line = htole32(line);
		ret = raw_send_msg(f->fd, GUSE_OP_UNCLAIM, 0, 0, &msg,
				   sizeof(msg));
		if (ret) {
			snprintf(f->failure, sizeof(f->failure),
				 "UNCLAIM of claimed line %u: %s", line,
				 strerrorname_np(-ret));
			return -1;
		}
		assign_line(f->conn.claimed, line, false);
	}
	return 0;
}

void fz_fuzzer_summary(const struct fz_fuzzer *f, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 1; i < FZ_ERRNO_SLOTS && o < len; i++)
		if (f->rejected[i])
			o += snprintf(buf + o, len - o, "%s%s %lu", o ? ", " : "",
				      i < FZ_ERRNO_SLOTS - 1 ? strerrorname_np(i) :
							       "other",
				      f->rejected[i]);
}
