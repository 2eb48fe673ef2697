/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kill-procs: the processes of one cycle of guse-kill-test, a server and
 * its consumers (described there), and the memory they share with the
 * test that forks and watches them.
 */
#ifndef GUSE_TESTS_KILL_PROCS_H
#define GUSE_TESTS_KILL_PROCS_H

#include <linux/guse.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#define CHIP_TIMEOUT_MS	5000
#define CHURNERS	6

enum kind { K_BLOCK, K_HOLD, K_EDGE, K_WATCH, K_CHURN, NKINDS };
extern const char *const kind_name[NKINDS];

/* Consumers: one per kind, CHURNERS churn threads. */
enum { NUNITS = K_CHURN + CHURNERS };

enum op {
	OP_NONE, OP_SETUP, OP_GET, OP_SET, OP_POLL, OP_READ, OP_REQUEST,
	OP_RELEASE, OP_CLOSE, NOPS
};
extern const char *const op_name[NOPS];

/*
 * One consumer, in memory shared by every process of a cycle.  The
 * consumer writes it; the plain fields are valid once the timestamp after
 * them is set (seq_cst atomics order them).
 */
struct unit {
	_Atomic int pid, tid;
	_Atomic int op;			/* enum op in progress */
	_Atomic int64_t op_since;	/* its start */
	_Atomic int64_t t_ready;	/* set up; 0 until then */
	int err;			/* errno that ended it */
	int end_op;			/* what returned it */
	unsigned int revents;		/* poll() revents at the end */
	uint64_t ops, events;
	_Atomic int64_t t_end;
	int close_err;			/* errno of a failed close() */
	_Atomic int64_t t_closed;
};

/*
 * Everything a cycle's processes share.  Mapped for the test (the
 * fixture), zeroed before each cycle: by then every process of the last
 * one was reaped, or the loop stopped because one was stuck.
 */
struct cycle_shm {
	uint32_t srv_flags;		/* GUSE_CREATE_F_* of the chip */
	unsigned int nunits;		/* NUNITS, or K_CHURN without churn */
	_Atomic int srv_ready;		/* 1: @ready valid, -1: failed */
	int srv_err;
	struct guse_ready ready;
	_Atomic unsigned int held;	/* requests the server never answers */
	_Atomic unsigned int pulses;
	struct unit unit[NUNITS];
};

static inline enum kind unit_kind(unsigned int u)
{
	return u < K_CHURN ? (enum kind)u : K_CHURN;
}

/* The server: creates the chip (@shm->ready), serves until SIGKILLed. */
void __attribute__((noreturn)) server_main(struct cycle_shm *shm,
					   pid_t parent);
/* One consumer process (churn: one with CHURNERS threads). */
void __attribute__((noreturn)) consumer_main(struct cycle_shm *shm,
					     enum kind kind, pid_t parent);

#endif /* GUSE_TESTS_KILL_PROCS_H */
