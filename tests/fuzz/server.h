/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/server.h: the correct server of the fuzzed chip.  A thread reads
 * every request, keeps it pending for a random short while (now and then
 * past the chip's timeout) and answers it like a correct server.  The
 * pending requests are shared with the fuzzer, which replies to them (and
 * to answered, timed-out and future ids) under the same lock, so that the
 * oracle knows exactly which ids the kernel still waits for.
 */
#ifndef GUSE_TESTS_FUZZ_SERVER_H
#define GUSE_TESTS_FUZZ_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../raw-guse.h"
#include "model.h"
#include "rng.h"

/* Beyond the kernel's own jiffy rounding of the request timeout. */
#define FZ_TIMEOUT_SLACK_MS	50
#define FZ_GONE_MAX		64
/* More requests waiting for a reply than this: the kernel lost its bounds. */
#define FZ_PENDING_MAX		65536

/* A request the server read and has not answered. */
struct fz_pending {
	uint64_t id;
	uint16_t opcode;
	uint32_t out_len;
	uint32_t line;
	int64_t read_ms;	/* when the server read it */
	int64_t alive_until;	/* the kernel waits for a reply until then */
	int64_t due;		/* the server answers it then */
	bool held;		/* answered only after its timeout */
	struct raw_msg *msg;	/* the message, of its own size (malloc) */
};

/* An id the kernel no longer waits for, as a target for stale replies. */
struct fz_gone {
	uint64_t id;
	uint16_t opcode;
	uint32_t out_len;
};

struct fz_server {
	int fd;			/* the chip's /dev/guse file, O_NONBLOCK */
	unsigned int ngpio;
	unsigned int timeout_ms;
	uint32_t flags;		/* GUSE_CREATE_F_* */
	/* from the line state of CREATE (GUSE_CREATE_F_LINE_INIT) */
	uint64_t invalid[FZ_WORDS];	/* lines missing from the valid mask */
	uint64_t hogs[FZ_WORDS];
	uint64_t init_out[FZ_WORDS];	/* lines that start as outputs */
	struct guse_ready ready;
	pthread_t thread;
	bool running;

	pthread_mutex_t lock;	/* protects everything below */
	struct fz_pending *pend;	/* [max_pend], @npend in use, grows */
	unsigned int npend, max_pend;
	unsigned int max_in_flight;	/* guse's module parameter */
	struct fz_gone gone[FZ_GONE_MAX];	/* ring, @ngone entries */
	unsigned int ngone, gone_next;
	uint64_t max_id;	/* largest id read */
	int64_t empty_since;	/* start of the last read that found none */
	int64_t max_cycle_ms;	/* longest time a request can have queued */
	struct raw_seen seen;	/* the line state a correct server keeps */
	bool *held;		/* [ngpio] granted by a REQUEST, no FREE since */
	unsigned long grants, frees;
	unsigned long frees_unheld;	/* FREEs of lines not granted */
	unsigned int most_pending;
	unsigned int hold_permille;	/* requests left to time out */
	unsigned int max_delay_ms;	/* before the others are answered */
	bool stop;
	struct fz_rng rng;
	unsigned long nread, nanswered, nheld;
	unsigned long nlate;	/* replies refused: timed out or interrupted */
	unsigned long nheld_detached;	/* FREE and IRQ_CONFIG held */
	unsigned long nlate_ok;	/* taken though they may have timed out */
	char failure[512];	/* the first protocol violation of the kernel */
};

/*
 * Opens /dev/guse, creates the chip and starts the thread.  Returns 0 or a
 * negative errno.  @label names the chip; @line_flags, if not NULL, are
 * the GUSE_LINE_INIT_F_* of each line (a 1.1 CREATE with line state; hogs
 * are labelled "hog-N"); @seed the server's random stream.
 */
int fz_server_start(struct fz_server *s, const char *label, unsigned int ngpio,
		    uint32_t flags, const uint32_t *line_flags,
		    unsigned int timeout_ms, uint64_t seed);
/* Stops the thread (does not close the file). */
void fz_server_stop(struct fz_server *s);
/* Closes the file (removes the chip) and frees everything. */
void fz_server_close(struct fz_server *s);
/* From now on answer every request at once and hold none. */
void fz_server_set_clean(struct fz_server *s);

/* The model's lookup of reply ids; call with @lock held. */
enum fz_id_state fz_server_lookup(void *srv, uint64_t id, uint16_t *opcode,
				  uint32_t *out_len);
/*
 * A target for a fuzzed reply, with @lock held: a pending request, an
 * answered or timed-out one, a future id or an absurd one.  @pending: the
 * kernel may still take a well-formed reply; not for a request held to
 * time out, until it has.
 */
void fz_server_pick(struct fz_server *s, struct fz_rng *r, uint64_t *id,
		    uint16_t *opcode, uint32_t *out_len, bool *pending,
		    bool *protect);
/* @id is held to time out and may not have yet; call with @lock held. */
bool fz_server_protected(struct fz_server *s, uint64_t id);
/*
 * The fuzzer wrote a reply to @id with @lock held and the write returned
 * @ret; @error is the reply's error field.
 */
void fz_server_replied(struct fz_server *s, uint64_t id, uint32_t error,
		       int ret);
/* Injects levels through the server, which answers reads with them. */
int fz_server_set_inputs(struct fz_server *s, const uint64_t *mask,
			 const uint64_t *values);
/*
 * Every granted REQUEST was followed by a FREE (call when no line is
 * requested; FREE always reaches the server).  False with the line in @why.
 */
bool fz_server_balanced(struct fz_server *s, char *why, size_t len);
/* The first protocol violation seen by the thread, or NULL. */
const char *fz_server_failure(struct fz_server *s);

#endif /* GUSE_TESTS_FUZZ_SERVER_H */
