/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libguse internals: not installed. */
#ifndef GUSE_INTERNAL_H
#define GUSE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <linux/guse.h>

#include "guse.h"

struct guse_chip_config {
	char label[GUSE_NAME_SIZE];
	unsigned int num_lines;
	unsigned int timeout_ms;
	char *device_path;
	char (*names)[GUSE_NAME_SIZE];	/* names_size entries */
	unsigned int names_size;
	bool track_all;
	bool serve_input_reads;		/* GUSE_CREATE_F_GET_INPUTS */
	bool output_cache;		/* GUSE_CREATE_F_OUTPUT_CACHE */
	bool hold_outputs;		/* released outputs keep driving */
	struct guse_line_config *lines;	/* NULL, or GUSE_LINES_MAX entries */
	unsigned int lines_size;	/* highest line configured + 1 */
};

/* The state of one line at creation (guse_chip_config_set_line_*()). */
struct guse_line_config {
	uint8_t direction;		/* 0 (input) or enum guse_line_direction */
	uint8_t value;			/* an output's level */
	uint8_t pull;
	uint8_t invalid;
	char hog[GUSE_NAME_SIZE];	/* "" unless a hog */
};

/*
 * One line of the built-in state (chip->lock).  What a consumer reads is
 * not stored: guse_line_read() derives it from direction, output, drive,
 * requested and pull (see line.c).
 */
struct guse_line_state {
	uint8_t direction;		/* enum guse_line_direction */
	uint8_t output;			/* the value a consumer drives */
	uint8_t pull;			/* the level when nothing drives it; the
					 * level the kernel holds for the line */
	uint8_t requested;
	uint8_t dev_drive;		/* the device side drives the output */
	uint8_t claimed;		/* the device side holds the line;
					 * consumer is its label */
	uint8_t bias;
	uint8_t drive;
	uint32_t debounce_us;
	uint32_t irq_type;
	uint32_t irq_flags;
	char consumer[GUSE_NAME_SIZE];
};

struct guse_loop;

/*
 * A chip: one /dev/guse connection.
 *
 * Lifetime: guse_chip_new*() creates it with one reference, the owner's,
 * which guse_chip_free() drops after closing the connection (the chip is
 * then "dead").  Every request not yet freed and every running
 * guse_chip_dispatch() and guse_chip_run() holds another one, so the memory
 * lasts until the last of them is gone: a deferred request can still be
 * answered (with ENODEV), and a callback can free its own chip.
 */
struct guse_chip {
	int fd;				/* lock; -1 once dead */
	int exit_fd;			/* eventfd for guse_chip_exit() */
	struct guse_chip_ops ops;
	void *user_data;
	uint32_t create_flags;

	char label[GUSE_NAME_SIZE];
	char chip_name[GUSE_NAME_SIZE];
	char dev_name[GUSE_NAME_SIZE];
	char (*names)[GUSE_NAME_SIZE];
	unsigned int num_lines;
	unsigned int num_words;
	unsigned int base;
	unsigned int timeout_ms;
	/*
	 * The kernel speaks protocol 1.2 or later (READY): guse_chip_run()
	 * blocks in read() and guse_chip_exit() wakes it with GUSE_OP_WAKEUP;
	 * otherwise it polls the file and exit_fd.  Read-only after creation.
	 */
	bool wakeup;
	int exit_requested;		/* atomic: guse_chip_exit() was called */

	/*
	 * lock protects lines, pending, refs, dead, fd, and every request's
	 * flags; it is held across the write of each reply (see finish() in
	 * request.c).  inject_lock serializes SET_INPUTS and is taken first.
	 */
	pthread_mutex_t lock;
	pthread_mutex_t inject_lock;
	struct guse_line_state *lines;
	struct guse_request *pending;	/* unanswered, doubly linked */
	unsigned int refs;
	bool dead;			/* guse_chip_free() was called */
	bool hold_outputs;		/* set at creation, then read-only */

	struct guse_loop *loop;
	struct guse_chip *loop_next;	/* the loop's list of chips */
};

/*
 * A request from the kernel.
 *
 * Lifetime: allocated when it is read, linked in chip->pending and holding
 * a reference to the chip; unlinked by its reply.  While its callback runs
 * (in_callback) the dispatcher keeps it: a reply only marks it answered,
 * and when the callback returns the dispatcher frees it -- after answering
 * EIO for it if it was neither answered nor deferred.  Once the callback
 * returned, a deferred request is freed by its reply.
 */
struct guse_request {
	struct guse_chip *chip;
	struct guse_request *prev, *next;	/* chip->pending, chip->lock */
	bool in_callback;	/* chip->lock, as the two below */
	bool deferred;
	bool answered;
	uint64_t id;
	uint16_t opcode;
	unsigned int line;
	uint32_t value;		/* output value, config param, irq type */
	uint32_t arg;		/* config arg, irq flags */
	char consumer[GUSE_NAME_SIZE];
	uint64_t words[];	/* mask, then values (num_words each) */
};

/* Write one message, retrying on EINTR and waiting on EAGAIN. */
int guse_write_msg(int fd, const void *buf, size_t len);
/* Fill a message header (converts to little endian). */
void guse_fill_header(struct guse_msg_header *h, size_t len, uint16_t op,
		      uint64_t id, uint32_t error);
/* Copy a GUSE_NAME_SIZE name field, terminating it. */
void guse_copy_str(char *dst, const char *src);

/* Take and drop a reference to a chip; the last one frees it.  Both keep
 * errno. */
void guse_chip_ref(struct guse_chip *chip);
void guse_chip_unref(struct guse_chip *chip);
/* Whether guse_chip_free() was called (takes chip->lock). */
bool guse_chip_is_dead(struct guse_chip *chip);
/*
 * The simulated line model (line.c); chip->lock held for all three.
 * guse_line_read(): the level a consumer reads.  guse_line_request() and
 * guse_line_release(): a consumer took or released the line.
 */
int guse_line_read(const struct guse_chip *chip,
		   const struct guse_line_state *l);
void guse_line_request(struct guse_chip *chip, struct guse_line_state *l,
		       const char *consumer);
void guse_line_release(struct guse_chip *chip, struct guse_line_state *l);

/*
 * The line state part of CREATE (device.c): guse_line_init_size() is its
 * size (0 when nothing was configured), guse_line_init_fill() writes it,
 * guse_line_init_apply() seeds the built-in state with it.
 */
size_t guse_line_init_size(const struct guse_chip_config *cfg,
			   unsigned int num_lines);
void guse_line_init_fill(const struct guse_chip_config *cfg,
			 unsigned int num_lines, void *buf);
void guse_line_init_apply(struct guse_chip *chip,
			  const struct guse_chip_config *cfg);

/* Handle up to @max messages (-1: all available); see guse_chip_dispatch(). */
int guse_chip_dispatch_some(struct guse_chip *chip, int max);
/*
 * Read one message and handle it (a blocking read() when the file is in
 * blocking mode): 1, 0 when there was none (EAGAIN) or a signal came
 * (EINTR), -1 with errno on error (ENODEV: the other end went away).
 */
int guse_chip_handle_one(struct guse_chip *chip);

#endif
