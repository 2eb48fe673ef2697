/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * raw-guse: the /dev/guse protocol spoken directly, without libguse, for
 * the kernel tests.  Includes a tiny threaded server that answers every
 * request like a correct server and records what it saw.
 */
#ifndef GUSE_TESTS_RAW_GUSE_H
#define GUSE_TESTS_RAW_GUSE_H

#include <linux/guse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raw_msg {
	struct guse_msg_header hdr;
	uint8_t payload[GUSE_READ_SIZE_MIN];
};

struct raw_create {
	const char *label;
	uint32_t version;	/* 0: GUSE_VERSION */
	uint32_t num_lines;
	uint32_t timeout_ms;
	uint32_t flags;
	uint32_t reserved0;
	const char *names;	/* raw name bytes, or NULL */
	size_t names_len;
	/* raw bytes after the names: line state and hog labels (1.1) */
	const void *init;
	size_t init_len;
};

int raw_open(void);
/*
 * True if gpio-guse removes a dead server's chip at once even while
 * consumers hold its lines; false on the older gpiolib (6.1), where it is
 * removed when the last line is released (kernel/guse-compat.h).
 */
bool raw_removes_held_chips(void);
/* True if /dev/guse can be opened (the modules are loaded). */
bool raw_device_present(void);
int raw_send(int fd, const void *buf, size_t len);
int raw_send_msg(int fd, uint16_t opcode, uint64_t id, uint32_t error,
		 const void *payload, size_t len);
int raw_recv(int fd, struct raw_msg *m, int timeout_ms);
int raw_send_create(int fd, const struct raw_create *a);
int raw_create_chip(int fd, const char *label, uint32_t lines,
		    uint32_t timeout_ms, uint32_t flags,
		    struct guse_ready *ready);
/* raw_create_chip() with every field of the CREATE taken from @a. */
int raw_create_chip_with(int fd, const struct raw_create *a,
			 struct guse_ready *ready);
/*
 * The line state part of a CREATE (GUSE_CREATE_F_LINE_INIT) for
 * @num_lines lines into @buf: one struct guse_line_init per line with
 * @flags[line], then @hog_labels[line] for every line flagged
 * GUSE_LINE_INIT_F_HOG.  Returns its length, or 0 if @size is too small.
 */
size_t raw_line_init(void *buf, size_t size, unsigned int num_lines,
		     const uint32_t *flags, const char *const *hog_labels);
/* The 1.1 device-side notifications; 0 or -errno of the write. */
int raw_line_direction(int fd, uint32_t line, uint32_t direction,
		       uint32_t value);
int raw_claim(int fd, uint32_t line, const char *consumer);
int raw_unclaim(int fd, uint32_t line);
int raw_set_inputs(int fd, unsigned int num_lines, const uint64_t *mask,
		   const uint64_t *values);
int raw_now_ms(void);
/* The unsigned number a file (a module parameter) holds, or @def. */
unsigned int raw_read_uint(const char *path, unsigned int def);

/* What a correct server saw; updated by raw_answer(). */
struct raw_seen {
	unsigned int requests, frees, consumers, irq_configs, configs;
	unsigned int get_values, set_values;
	unsigned int wakeups;	/* GUSE_OP_WAKEUP messages (1.2) */
	unsigned int others;	/* messages of an opcode it does not know */
	char consumer[GUSE_NAME_SIZE];
	uint32_t last_irq_line, last_irq_type, last_irq_flags;
	uint32_t last_config_param, last_config_arg;
	uint64_t outputs[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	uint64_t is_output[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	uint64_t levels[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	int config_errno;	/* answer SET_CONFIG with this errno */
	bool lie_output;	/* answer every GET_DIRECTION with output */
};

/* Answers @m like a correct server; returns 0 or -errno of the write. */
int raw_answer(int fd, const struct raw_msg *m, struct raw_seen *s);

/* A server thread answering every request of one chip. */
struct raw_server {
	int fd;
	struct guse_ready ready;
	unsigned int num_lines;
	pthread_t thread;
	pthread_mutex_t lock;
	struct raw_seen seen;
	volatile bool stop;
};

int raw_server_start(struct raw_server *srv, const char *label,
		     uint32_t lines, uint32_t flags);
/* raw_server_start() with every field of the CREATE taken from @a. */
int raw_server_start_with(struct raw_server *srv, const struct raw_create *a);
/* Injects levels; also what GET_VALUES answers for inputs from now on. */
int raw_server_set_inputs(struct raw_server *srv, const uint64_t *mask,
			  const uint64_t *values);
int raw_server_set_input(struct raw_server *srv, unsigned int line,
			 bool value);
/*
 * LINE_DIRECTION (1.1) of @line; once the kernel took it, the server
 * answers for the line accordingly (direction, output or input level).
 */
int raw_server_line_direction(struct raw_server *srv, unsigned int line,
			      uint32_t direction, uint32_t value);
/* Presets what the server answers for @line: output at @value or input. */
void raw_server_preset(struct raw_server *srv, unsigned int line,
		       bool output, bool value);
void raw_server_seen(struct raw_server *srv, struct raw_seen *copy);
/* Stops the thread; @close_fd also closes the file (removes the chip). */
void raw_server_stop(struct raw_server *srv, bool close_fd);

#endif /* GUSE_TESTS_RAW_GUSE_H */
