/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guse-qemu: one emulated GPIO controller of a QEMU process bridged to one
 * guse chip.  The bridge keeps what the guest programmed (direction, pin
 * levels, pins it hands to a peripheral) and what host consumers drive;
 * a controller (one file each, e.g. pl061.c) knows its registers and
 * QOM interface and reports the guest's side through bridge_guest_*().
 */
#ifndef GUSE_QEMU_BRIDGE_H
#define GUSE_QEMU_BRIDGE_H

#include <guse.h>
#include <stdbool.h>
#include <stdint.h>

#include "qmp.h"
#include "qtest.h"

/* Most lines of one controller (qtest numbers IRQs below 256). */
#define BRIDGE_LINES_MAX 255
/* Bound of every synchronous QEMU call made while setting up (a loaded
 * host running QEMU under nested TCG can take seconds). */
#define BRIDGE_CALL_MS 30000

struct bridge;

/* A drive request reached QEMU (err 0) or failed (an errno value). */
typedef void (*bridge_done_fn)(struct bridge *b, void *arg, int err);

/* One controller model.  Set-up callbacks may make synchronous calls. */
struct controller_ops {
	const char *name;		/* --controller NAME */
	const char *const *qom_types;	/* QOM types it drives, subtypes too */
	/*
	 * Learn the device at b->path: set b->num_lines, b->names, b->base
	 * (unless given), b->label (unless given).  0, or -1 with b->err set.
	 */
	int (*probe)(struct bridge *b);
	/*
	 * Intercept the device's outputs and report the state the guest left
	 * (bridge_guest_*()).  0, or -1 with b->err set.
	 */
	int (*attach)(struct bridge *b);
	/* An "IRQ raise/lower N" line of the intercepted device. */
	void (*irq)(struct bridge *b, unsigned int n, int level);
	/*
	 * Read what has no event (direction registers...), asynchronously;
	 * report through bridge_guest_*() and end with bridge_poll_done().
	 * 0, or -1 with errno.
	 */
	int (*poll)(struct bridge *b);
	/*
	 * Drive the guest's input @line to @level (0 or 1), or stop driving it
	 * (-1: the pin goes to its idle level); @done (may be NULL) runs once
	 * QEMU answered.  0, or -1 with errno (then @done is not called).
	 */
	int (*drive)(struct bridge *b, unsigned int line, int level,
		     bridge_done_fn done, void *arg);
	/* Free b->priv. */
	void (*free)(struct bridge *b);
};

/* Per line: the guest's side and the host's. */
struct bridge_line {
	int guest_dir;		/* GUSE_LINE_DIRECTION_*: the guest's register */
	int level;		/* the pin as the guest drives or reads it */
	char claim[GUSE_NAME_SIZE];	/* guest-side owner, "" for none */
	int host_drive;		/* what a host consumer drives: 0, 1, -1 none */
};

struct bridge {
	const struct controller_ops *ops;
	struct qmp *qmp;
	struct qtest *qt;
	struct guse_chip *chip;		/* NULL until created */
	char path[256];			/* QOM path of the controller */
	char type[64];			/* its QOM type */
	uint64_t base;			/* register base, 0 if unknown */
	bool base_given;
	char label[GUSE_NAME_SIZE];
	unsigned int num_lines;
	char names[BRIDGE_LINES_MAX][GUSE_NAME_SIZE];
	struct bridge_line lines[BRIDGE_LINES_MAX];
	int verbose;
	bool polling;			/* a poll is in flight */
	bool poll_soon;			/* poll again once it ends */
	int fatal;			/* errno that ends the bridge, or 0 */
	char err[512];			/* what failed, for the user */
	void *priv;			/* the controller's */
};

/* Set b->err (printf-style); returns -1. */
int bridge_error(struct bridge *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A trace line on stderr with --verbose. */
void bridge_trace(struct bridge *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest drives (or reads) @line at @level. */
void bridge_guest_level(struct bridge *b, unsigned int line, int level);
/* The guest's direction register says @dir (GUSE_LINE_DIRECTION_*). */
void bridge_guest_direction(struct bridge *b, unsigned int line, int dir);
/* The guest hands @line to a peripheral (@owner), or takes it back (NULL). */
void bridge_guest_claim(struct bridge *b, unsigned int line, const char *owner);
/* The end of a controller's poll. */
void bridge_poll_done(struct bridge *b);
/* Ask for a poll as soon as the current one (if any) ends. */
void bridge_poll_request(struct bridge *b);
/* A QEMU failure the bridge cannot go on after. */
void bridge_fatal(struct bridge *b, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Create the chip from the state attach() reported.  0 or -1 (b->err). */
int bridge_create_chip(struct bridge *b);
/* Bring the chip's device side in line with the guest (periodically). */
void bridge_sync(struct bridge *b);
/* Remove the chip, answering what still waits. */
void bridge_destroy(struct bridge *b);

/* The controllers, NULL-terminated. */
extern const struct controller_ops *const controllers[];
extern const struct controller_ops pl061_controller;
extern const struct controller_ops aspeed_controller;

/* QOM, memory-map and qtest helpers (qom.c), synchronous, for probe() and
 * attach(). */
/* The "type" of the object at @path, 0; -1 with b->err when there is none. */
int qom_get_type(struct bridge *b, const char *path, char *type, size_t size);
/* Whether @type is @base or one of its subtypes: 1, 0, -1 (b->err). */
int qom_type_is(struct bridge *b, const char *type, const char *base);
/*
 * Every object under /machine whose type is one of @types (or a subtype):
 * up to @max paths into @paths.  Returns how many were found (may exceed
 * @max), -1 with b->err.
 */
int qom_find(struct bridge *b, const char *const *types, char (*paths)[256], int max);
/* Count the properties of @path named PREFIX[N] with N from 0 up. */
int qom_count_array(struct bridge *b, const char *path, const char *prefix);
/* Read an integer or bool property; 0, or -1 with b->err. */
int qom_get_int(struct bridge *b, const char *path, const char *prop, long long *v);
/* Set a bool property asynchronously; @done as for drive(). */
int qom_set_bool(struct bridge *b, const char *path, const char *prop, bool v,
		 bridge_done_fn done, void *arg);
/* The start of the first region @path owns in the system memory map. */
int mtree_find_base(struct bridge *b, const char *path, uint64_t *base);
/* A synchronous readl; 0, or -1 with b->err. */
int bridge_readl(struct bridge *b, uint64_t addr, uint32_t *v);
/* Intercept the outputs of b->path (the GPIO list @list, NULL: the unnamed
 * ones); 0, or -1 with b->err. */
int bridge_intercept_out(struct bridge *b, const char *list);

#endif
