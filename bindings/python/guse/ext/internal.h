/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guse._ext: the CPython extension over libguse (not installed). */
#ifndef GUSE_PY_INTERNAL_H
#define GUSE_PY_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <guse.h>

/* Words of the largest line bitmap. */
#define GP_WORDS_MAX GUSE_BITMAP_WORDS(GUSE_LINES_MAX)

/* Request kinds are the protocol opcodes 16..25 (GUSE_REQUEST_* and 18,
 * CONSUMER); GP_KIND_BIT() maps one to a bit of a 32-bit set. */
#define GP_KIND_CONSUMER	18
#define GP_KIND_FIRST		16
#define GP_KIND_LAST		25
#define GP_KIND_BIT(k)		(1U << ((k) - GP_KIND_FIRST))

/* ------------------------------------------------------------------------ */
/* module.c: classes the Python layer registers, helpers */

/* guse.Error, guse.ChipClosedError and guse.DEFAULT, set by _ext._init();
 * strong references held by the module for the life of the process. */
extern PyObject *gp_error_type;
extern PyObject *gp_closed_type;
extern PyObject *gp_default;

/* Raise guse.Error(err) (OSError before _init()); @what prefixes the
 * message, @with_hint adds guse_error_hint() (creation errors).  Returns
 * NULL. */
PyObject *gp_raise_errno(int err, const char *what, bool with_hint);
/* Raise guse.ChipClosedError.  Returns NULL. */
PyObject *gp_raise_closed(void);
/* An int, or the int .value of an enum member; -1 with an exception set
 * (check PyErr_Occurred() to tell a -1 value apart). */
long gp_int_value(PyObject *obj, const char *what);
/* A level: 0 or 1 from an int, a bool or an enum member whose value is 0
 * or 1; -1 with an exception set. */
int gp_level(PyObject *obj, const char *what);
/* Take the exception being raised (with its traceback); NULL if none. */
PyObject *gp_fetch_exception(void);
/* Raise @exc again (steals the reference); nothing if NULL. */
void gp_restore_exception(PyObject *exc);
/* The errno a callback's exception answers: the errno of a guse.Error
 * (1..133), 0 for any other exception. */
int gp_exception_errno(PyObject *exc);

/* ------------------------------------------------------------------------ */
/* trace.c: the requests a chip received, a bounded queue */

struct gp_event {
	uint8_t kind;			/* opcode */
	int32_t line;			/* -1: none (GET_VALUES) */
	int32_t value;			/* output value; -1: none */
	uint32_t param, arg;		/* SET_CONFIG; IRQ_CONFIG: type, flags */
	char consumer[GUSE_NAME_SIZE];
	uint64_t mask[GP_WORDS_MAX];	/* GET_VALUES */
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC */
};

/*
 * lock protects everything below it; cond signals a new event and the
 * close.  Lifetime: the chip's (gp_trace_init() at creation,
 * gp_trace_destroy() at deallocation).
 */
struct gp_trace {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gp_event *ring;		/* size entries; NULL when size is 0 */
	unsigned int size, head, count;
	uint64_t dropped;		/* oldest events overwritten */
	bool closed;
};

int gp_trace_init(struct gp_trace *t, unsigned int size);
void gp_trace_destroy(struct gp_trace *t);
void gp_trace_add(struct gp_trace *t, const struct gp_event *ev);
/* Wake the readers for good (the chip closed). */
void gp_trace_close(struct gp_trace *t);
/*
 * Take the oldest event, waiting up to @timeout_ns (-1: forever; call
 * without the GIL when waiting).  1: @ev filled; 0: none in time; -1:
 * none and the chip is closed.
 */
int gp_trace_take(struct gp_trace *t, struct gp_event *ev, int64_t timeout_ns);
void gp_trace_clear(struct gp_trace *t);
void gp_trace_stats(struct gp_trace *t, unsigned int *count,
		    uint64_t *dropped);
/* The event as the tuple guse.Event is built from. */
PyObject *gp_event_tuple(const struct gp_event *ev, unsigned int num_lines);

/* ------------------------------------------------------------------------ */
/* chip.c: guse._ext.Chip */

struct gp_deferred;

/*
 * One guse chip.  Lifetime: a Python object; the libguse chip is freed by
 * close() or at deallocation, whichever comes first.  While a request is
 * in a callback, the dispatching method holds a reference; a bound
 * Deferred holds one until it is answered.
 */
struct gp_chip {
	PyObject_HEAD
	struct guse_chip *chip;		/* GIL; NULL once closed */
	PyObject *owner;		/* weak reference to the object whose
					 * methods are the callbacks, or NULL;
					 * fixed */
	PyObject *weakreflist;
	uint32_t callbacks;		/* GP_KIND_BIT()s with a Python
					 * callback; fixed */
	unsigned int num_lines, num_words, base, timeout_ms;	/* fixed */
	char name[GUSE_NAME_SIZE], dev_name[GUSE_NAME_SIZE];	/* fixed */
	char label[GUSE_NAME_SIZE];				/* fixed */
	int exit_fd;			/* eventfd waking run(); fixed */
	bool sync_ok;			/* the locks below were initialized */

	/* state_lock protects the fields below it; state_cond signals
	 * their changes */
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;
	bool closing;			/* close() began: no new users */
	bool serving;			/* dispatch() or run() is running... */
	pthread_t server;		/* ...in this thread */
	unsigned int users;		/* calls into libguse without the GIL */

	struct gp_trace trace;		/* its own lock */
	struct gp_deferred *pending;	/* GIL: bound, unanswered Deferreds */
	PyObject *raise_later;		/* GIL: a KeyboardInterrupt or
					 * SystemExit of a callback, raised
					 * by dispatch() or run() */
};

extern PyTypeObject gp_chip_type;
extern const struct guse_chip_ops gp_chip_ops;

/* The owner (a new reference), or NULL once it is gone. */
PyObject *gp_chip_owner(struct gp_chip *self);
/* Report the exception being raised on behalf of the chip: to the owner's
 * _guse_report(exc, where), or as unraisable.  Clears it. */
void gp_chip_report(struct gp_chip *self, const char *where);

/* ------------------------------------------------------------------------ */
/* request.c: callbacks and answers */

/* What a request is answered with, computed with the GIL, sent without. */
struct gp_answer {
	enum { GP_ANS_OK, GP_ANS_ERROR, GP_ANS_DIRECTION, GP_ANS_VALUES,
	       GP_ANS_DEFAULT } how;
	int err;			/* GP_ANS_ERROR */
	int direction;			/* GP_ANS_DIRECTION */
	uint64_t values[GP_WORDS_MAX];	/* GP_ANS_VALUES */
};

/*
 * The answer a Python result @res gives a request of @kind whose
 * GET_VALUES mask is @mask: guse.DEFAULT, None (no payload kinds), a
 * direction (GET_DIRECTION), a mapping or a sequence of levels
 * (GET_VALUES).  0, or -1 with TypeError or ValueError raised.
 */
int gp_answer_from(struct gp_answer *ans, PyObject *res, int kind,
		   const uint64_t *mask, unsigned int num_lines);
/* Send it (without the GIL): the guse_reply_*() result. */
int gp_answer_send(struct guse_request *req, const struct gp_answer *ans);
/* The tuple of the lines set in @mask. */
PyObject *gp_lines_tuple(const uint64_t *mask, unsigned int num_lines);
/* Name of the callback for @kind, e.g. "on_request". */
const char *gp_kind_callback(int kind);

/* ------------------------------------------------------------------------ */
/* deferred.c: guse.Deferred */

/*
 * A request answered after its callback returned.  Lifetime: a Python
 * object.  NEW until a callback returns it; EARLY if it was answered
 * before that; BOUND to its request once returned (then linked in
 * chip->pending and holding a reference to the chip); DONE once
 * answered, failed when the chip closed, or failed with EIO when it was
 * dropped unanswered.  All fields under the GIL.
 */
struct gp_deferred {
	PyObject_HEAD
	enum { GP_DEF_NEW, GP_DEF_EARLY, GP_DEF_BOUND, GP_DEF_DONE } state;
	struct guse_request *req;	/* BOUND */
	struct gp_chip *chip;		/* BOUND: strong reference */
	struct gp_deferred *prev, *next;	/* chip->pending */
	int kind;			/* 0 until bound */
	unsigned int line;		/* the request's line (not GET/SET_VALUES) */
	unsigned int num_lines;
	uint64_t mask[GP_WORDS_MAX];	/* GET_VALUES */
	bool closed;			/* DONE by the chip's close */
	/* EARLY: what the answer before binding was */
	struct {
		int how;		/* 0 reply, 1 fail, 2 default */
		PyObject *value;	/* reply's value */
		int err;		/* fail's errno */
	} early;
};

extern PyTypeObject gp_deferred_type;

/*
 * A callback returned @d for @req.  Binds it (0), or answers @req at once
 * when @d was answered already (0), or raises (-1: @d was used before, or
 * its early answer does not fit the request; @req is not answered then).
 */
int gp_deferred_bind(struct gp_deferred *d, struct gp_chip *chip,
		     struct guse_request *req, int kind, unsigned int line,
		     const uint64_t *mask);
/* The chip closes: take every pending Deferred's request (GIL held); the
 * caller then answers them (gp_deferred_fail_taken()). */
struct gp_taken {
	struct guse_request **reqs;
	struct gp_deferred **defs;	/* strong references */
	size_t n;
};
int gp_deferred_take_all(struct gp_chip *chip, struct gp_taken *t);
/* Fail the taken requests with @err (without the GIL). */
void gp_deferred_fail_taken(struct gp_taken *t, int err);
/* Drop the references (GIL held). */
void gp_deferred_release_taken(struct gp_taken *t);

#endif
