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
};

struct guse_line_state {
	uint8_t direction;
	uint8_t output;
	uint8_t input;
	uint8_t requested;
	uint8_t bias;
	uint8_t drive;
	uint32_t debounce_us;
	uint32_t irq_type;
	uint32_t irq_flags;
	char consumer[GUSE_NAME_SIZE];
};

struct guse_loop;

struct guse_chip {
	int fd;
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

	pthread_mutex_t lock;		/* lines, pending */
	pthread_mutex_t inject_lock;	/* serializes SET_INPUTS */
	struct guse_line_state *lines;
	struct guse_request *pending;	/* doubly linked list */

	struct guse_loop *loop;
	struct guse_chip *loop_next;	/* the loop's list of chips */
};

struct guse_request {
	struct guse_chip *chip;
	struct guse_request *prev, *next;
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

#endif
