/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/driver.h: one fuzzing step: choose a kind of message, generate it,
 * maybe mutate or tear it, write it to /dev/guse and check the result of
 * every write against the oracle.
 */
#ifndef GUSE_TESTS_FUZZ_DRIVER_H
#define GUSE_TESTS_FUZZ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "gen.h"
#include "model.h"
#include "rng.h"
#include "server.h"

#define FZ_ERRNO_SLOTS	136	/* errnos counted one by one; above: last slot */

struct fz_fuzzer {
	struct fz_rng rng;
	int fd;			/* the file fuzzed */
	struct fz_conn conn;	/* the oracle's view of it */
	struct fz_server *srv;	/* its correct server, or NULL */
	struct fz_msg msg;
	unsigned int created_lines;	/* set by a successful CREATE */
	/*
	 * The direction of every line, as far as the messages the kernel
	 * took set it (CREATE's line state, LINE_DIRECTION); lines of
	 * @conn.host change with their consumers' requests too.
	 */
	uint64_t is_output[FZ_WORDS];
	unsigned long writes, accepted, steps;
	unsigned long device_ok;	/* LINE_DIRECTION, CLAIM, UNCLAIM taken */
	unsigned long rejected[FZ_ERRNO_SLOTS];
	char failure[1024];	/* the oracle violation that stopped it */
};

/* @fd is fuzzed with the stream @stream of @seed; @srv may be NULL. */
int fz_fuzzer_init(struct fz_fuzzer *f, int fd, struct fz_server *srv,
		   unsigned int max_lines, uint64_t seed, const char *stream);
void fz_fuzzer_free(struct fz_fuzzer *f);
/*
 * One step (one message, or the two or three writes of a torn one).  False
 * when a write did not get the answer the oracle requires (@failure says
 * which).  A successful CREATE sets @conn.live and @created_lines.
 */
bool fz_step(struct fz_fuzzer *f);
/* "EINVAL 123, ENOENT 45, ..." */
void fz_fuzzer_summary(const struct fz_fuzzer *f, char *buf, size_t len);
/*
 * Gives back every line the device side holds (UNCLAIM, each must be
 * taken).  0, or -1 with @failure.
 */
int fz_fuzzer_unclaim_all(struct fz_fuzzer *f);

#endif /* GUSE_TESTS_FUZZ_DRIVER_H */
