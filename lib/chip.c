// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: chips: creation, lifetime, line state, injection, the run loop. */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define READY_TIMEOUT_MS	10000
#define WRITE_WAIT_MS		1000

GUSE_API const char *guse_version_string(void)
{
	return PACKAGE_VERSION;
}

/* ------------------------------------------------------------------------ */
/* message I/O */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int guse_write_msg(int fd, const void *buf, size_t len)
{
	int64_t deadline = now_ms() + WRITE_WAIT_MS;

	for (;;) {
		ssize_t ret = write(fd, buf, len);

		if (ret == (ssize_t)len)
			return 0;
		if (ret >= 0) {
			errno = EIO;	/* one message per write: never partial */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				errno = EAGAIN;
				return -1;
			}
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
}

void guse_fill_header(struct guse_msg_header *h, size_t len, uint16_t op,
			uint64_t id, uint32_t error)
{
	memset(h, 0, sizeof(*h));
	h->len = htole32((uint32_t)len);
	h->opcode = htole16(op);
	h->id = htole64(id);
	h->error = htole32(error);
}

/* ------------------------------------------------------------------------ */
/* chip creation */

static uint32_t features(const struct guse_chip_ops *ops,
			 const struct guse_chip_config *cfg)
{
	static const struct guse_chip_ops none;
	/* the line model of a chip without callbacks needs both */
	bool model = !memcmp(ops, &none, sizeof(none));
	uint32_t f = 0;

	if (cfg->track_all || model || ops->request || ops->free ||
	    ops->consumer)
		f |= GUSE_CREATE_F_REQUEST;
	if (cfg->track_all || model || ops->set_config)
		f |= GUSE_CREATE_F_SET_CONFIG;
	if (cfg->track_all || ops->irq_config)
		f |= GUSE_CREATE_F_IRQ_CONFIG;
	/* changes edge semantics: only on request, never from the ops */
	if (cfg->serve_input_reads)
		f |= GUSE_CREATE_F_GET_INPUTS;
	if (cfg->output_cache)
		f |= GUSE_CREATE_F_OUTPUT_CACHE;
	return f;
}

static int send_create(struct guse_chip *chip,
		       const struct guse_chip_config *cfg)
{
	struct {
		struct guse_msg_header hdr;
		struct guse_create create;
	} *msg;
	size_t len = sizeof(*msg), names_len = 0, init_len;
	int ret;

	if (chip->create_flags & GUSE_CREATE_F_LINE_NAMES)
		names_len = (size_t)chip->num_lines * GUSE_NAME_SIZE;
	init_len = guse_line_init_size(cfg, chip->num_lines);
	len += names_len + init_len;
	msg = calloc(1, len);
	if (!msg)
		return -1;
	guse_fill_header(&msg->hdr, len, GUSE_OP_CREATE, 0, 0);
	msg->create.version = htole32(GUSE_VERSION);
	msg->create.num_lines = htole32(chip->num_lines);
	msg->create.timeout_ms = htole32(cfg->timeout_ms);
	msg->create.flags = htole32(chip->create_flags);
	memcpy(msg->create.label, chip->label, GUSE_NAME_SIZE);
	memcpy(msg + 1, chip->names, names_len);
	if (init_len)
		guse_line_init_fill(cfg, chip->num_lines,
				    (char *)(msg + 1) + names_len);
	ret = guse_write_msg(chip->fd, msg, len);
	free(msg);
	return ret;
}

void guse_copy_str(char *dst, const char *src)
{
	memcpy(dst, src, GUSE_NAME_SIZE);
	dst[GUSE_NAME_SIZE - 1] = '\0';
}

static int wait_ready(struct guse_chip *chip)
{
	int64_t deadline = now_ms() + READY_TIMEOUT_MS;
	union {
		struct guse_msg_header hdr;
		uint8_t buf[GUSE_READ_SIZE_MIN];
	} u;
	const struct guse_ready *r = (const void *)(&u.hdr + 1);
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = chip->fd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		n = read(chip->fd, u.buf, sizeof(u.buf));
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	if (n == 0) {
		errno = ENODEV;
		return -1;
	}
	if ((size_t)n != sizeof(u.hdr) + sizeof(*r) ||
	    le32toh(u.hdr.len) != (uint32_t)n ||
	    le16toh(u.hdr.opcode) != GUSE_OP_READY || u.hdr.id ||
	    u.hdr.error ||
	    le32toh(r->version) >> 16 != GUSE_VERSION_MAJOR ||
	    le32toh(r->num_lines) != chip->num_lines) {
		errno = EPROTO;
		return -1;
	}
	chip->base = le32toh(r->base);
	chip->timeout_ms = le32toh(r->timeout_ms);
	chip->wakeup = (le32toh(r->version) & 0xffff) >= 2;
	guse_copy_str(chip->chip_name, r->chip_name);
	guse_copy_str(chip->dev_name, r->dev_name);
	return 0;
}

static void free_chip_mem(struct guse_chip *chip)
{
	if (chip->exit_fd >= 0)
		close(chip->exit_fd);
	pthread_mutex_destroy(&chip->lock);
	pthread_mutex_destroy(&chip->inject_lock);
	free(chip->lines);
	free(chip->names);
	free(chip);
}

GUSE_API struct guse_chip *guse_chip_new_fd(int fd,
					    const struct guse_chip_config *cfg,
					    const struct guse_chip_ops *ops,
					    size_t ops_size, void *user_data)
{
	struct guse_chip *chip;
	unsigned int i;
	int flags, err;

	if (fd < 0 || !cfg || !cfg->num_lines || (ops && !ops_size) ||
	    cfg->names_size > cfg->num_lines ||
	    cfg->lines_size > cfg->num_lines) {
		errno = EINVAL;
		return NULL;
	}
	chip = calloc(1, sizeof(*chip));
	if (!chip)
		return NULL;
	chip->fd = fd;
	chip->exit_fd = -1;
	chip->refs = 1;
	pthread_mutex_init(&chip->lock, NULL);
	pthread_mutex_init(&chip->inject_lock, NULL);
	if (ops)
		memcpy(&chip->ops, ops,
		       ops_size < sizeof(chip->ops) ? ops_size
						    : sizeof(chip->ops));
	chip->user_data = user_data;
	chip->num_lines = cfg->num_lines;
	chip->num_words = GUSE_BITMAP_WORDS(cfg->num_lines);
	memcpy(chip->label, cfg->label, GUSE_NAME_SIZE);
	chip->create_flags = features(&chip->ops, cfg);
	chip->hold_outputs = cfg->hold_outputs;

	chip->lines = calloc(chip->num_lines, sizeof(*chip->lines));
	chip->names = calloc(chip->num_lines, GUSE_NAME_SIZE);
	if (!chip->lines || !chip->names)
		goto err;
	for (i = 0; i < chip->num_lines; i++)
		chip->lines[i].direction = GUSE_LINE_DIRECTION_INPUT;
	if (cfg->names_size) {
		memcpy(chip->names, cfg->names,
		       (size_t)cfg->names_size * GUSE_NAME_SIZE);
		chip->create_flags |= GUSE_CREATE_F_LINE_NAMES;
	}
	if (guse_line_init_size(cfg, chip->num_lines))
		chip->create_flags |= GUSE_CREATE_F_LINE_INIT;
	guse_line_init_apply(chip, cfg);
	chip->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (chip->exit_fd < 0)
		goto err;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto err;
	if (send_create(chip, cfg) < 0 || wait_ready(chip) < 0)
		goto err_flags;
	return chip;
err_flags:
	/* the caller keeps the descriptor: as it was */
	err = errno;
	fcntl(fd, F_SETFL, flags);
	errno = err;
err:
	err = errno;
	free_chip_mem(chip);
	errno = err;
	return NULL;
}

GUSE_API struct guse_chip *guse_chip_new(const struct guse_chip_config *cfg,
					 const struct guse_chip_ops *ops,
					 size_t ops_size, void *user_data)
{
	const char *path;
	struct guse_chip *chip;
	int fd, err;

	if (!cfg) {
		errno = EINVAL;
		return NULL;
	}
	path = cfg->device_path;
	if (!path)
		path = secure_getenv("GUSE_DEVICE");
	if (!path || !*path)
		path = "/dev/guse";
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	chip = guse_chip_new_fd(fd, cfg, ops, ops_size, user_data);
	if (!chip) {
		err = errno;
		close(fd);
		errno = err;
	}
	return chip;
}

void guse_chip_ref(struct guse_chip *chip)
{
	pthread_mutex_lock(&chip->lock);
	chip->refs++;
	pthread_mutex_unlock(&chip->lock);
}

void guse_chip_unref(struct guse_chip *chip)
{
	int err = errno;
	bool last;

	pthread_mutex_lock(&chip->lock);
	last = !--chip->refs;
	pthread_mutex_unlock(&chip->lock);
	if (last)
		free_chip_mem(chip);
	errno = err;
}

bool guse_chip_is_dead(struct guse_chip *chip)
{
	bool dead;

	pthread_mutex_lock(&chip->lock);
	dead = chip->dead;
	pthread_mutex_unlock(&chip->lock);
	return dead;
}

GUSE_API void guse_chip_free(struct guse_chip *chip)
{
	if (!chip)
		return;
	if (chip->loop)
		guse_loop_remove_chip(chip->loop, chip);
	/* replies check dead and write under the lock: none is writing now */
	pthread_mutex_lock(&chip->lock);
	chip->dead = true;
	close(chip->fd);
	chip->fd = -1;
	pthread_mutex_unlock(&chip->lock);
	guse_chip_unref(chip);
}

/* ------------------------------------------------------------------------ */
/* getters */

GUSE_API const char *guse_chip_get_name(struct guse_chip *chip)
{
	return chip->chip_name;
}

GUSE_API const char *guse_chip_get_dev_name(struct guse_chip *chip)
{
	return chip->dev_name;
}

GUSE_API const char *guse_chip_get_label(struct guse_chip *chip)
{
	return chip->label;
}

GUSE_API const char *guse_chip_get_line_name(struct guse_chip *chip,
					     unsigned int line)
{
	if (line >= chip->num_lines) {
		errno = EINVAL;
		return NULL;
	}
	return chip->names[line];
}

GUSE_API unsigned int guse_chip_get_num_lines(struct guse_chip *chip)
{
	return chip->num_lines;
}

GUSE_API unsigned int guse_chip_get_num_words(struct guse_chip *chip)
{
	return chip->num_words;
}

GUSE_API unsigned int guse_chip_get_base(struct guse_chip *chip)
{
	return chip->base;
}

GUSE_API unsigned int guse_chip_get_timeout_ms(struct guse_chip *chip)
{
	return chip->timeout_ms;
}

GUSE_API void *guse_chip_get_user_data(struct guse_chip *chip)
{
	return chip->user_data;
}

GUSE_API int guse_chip_get_fd(struct guse_chip *chip)
{
	return chip->fd;
}

/* Line state getters: take the lock, read one field. */
#define LINE_GETTER(fn, type, expr)					\
GUSE_API type fn(struct guse_chip *chip, unsigned int line)		\
{									\
	const struct guse_line_state *l;				\
	type ret;							\
									\
	if (line >= chip->num_lines) {					\
		errno = EINVAL;						\
		return -1;						\
	}								\
	pthread_mutex_lock(&chip->lock);				\
	l = &chip->lines[line];						\
	ret = (expr);							\
	pthread_mutex_unlock(&chip->lock);				\
	return ret;							\
}

LINE_GETTER(guse_chip_get_direction, int, l->direction)
LINE_GETTER(guse_chip_get_output_value, int, l->output)
LINE_GETTER(guse_chip_get_input_level, int, l->pull)
LINE_GETTER(guse_chip_get_value, int, guse_line_read(chip, l))
LINE_GETTER(guse_chip_is_requested, int, l->requested)
LINE_GETTER(guse_chip_is_claimed, int, l->claimed)
LINE_GETTER(guse_chip_get_bias, int, l->bias)
LINE_GETTER(guse_chip_get_drive, int, l->drive)
LINE_GETTER(guse_chip_get_debounce_us, long, (long)l->debounce_us)

GUSE_API int guse_chip_get_irq_type(struct guse_chip *chip, unsigned int line,
				    uint32_t *flags)
{
	int type;

	if (line >= chip->num_lines) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&chip->lock);
	type = (int)chip->lines[line].irq_type;
	if (flags)
		*flags = chip->lines[line].irq_flags;
	pthread_mutex_unlock(&chip->lock);
	return type;
}

GUSE_API int guse_chip_get_consumer(struct guse_chip *chip, unsigned int line,
				    char *buf, size_t size)
{
	int len;

	if (line >= chip->num_lines || (!buf && size)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&chip->lock);
	len = snprintf(buf, size, "%s", chip->lines[line].consumer);
	pthread_mutex_unlock(&chip->lock);
	return len;
}

/* ------------------------------------------------------------------------ */
/* injection */

/* Record injected levels as the lines' pulls; chip->lock held. */
static void store_levels(struct guse_chip *chip, const uint64_t *mask,
			 const uint64_t *values)
{
	unsigned int i;

	for (i = 0; i < chip->num_lines; i++)
		if (mask[i / 64] & GUSE_BIT_MASK(i))
			chip->lines[i].pull = !!(values[i / 64] &
						 GUSE_BIT_MASK(i));
}

GUSE_API int guse_chip_set_inputs(struct guse_chip *chip,
				  const uint64_t *mask,
				  const uint64_t *values)
{
	bool serve_reads = chip->create_flags & GUSE_CREATE_F_GET_INPUTS;
	unsigned int nw = chip->num_words, i, rem;
	size_t len = sizeof(struct guse_msg_header) +
		     sizeof(struct guse_bitmap) + 2 * nw * sizeof(uint64_t);
	struct guse_msg_header *h;
	struct guse_bitmap *bm;
	int ret, err, fd;

	if (!mask || !values) {
		errno = EINVAL;
		return -1;
	}
	rem = chip->num_lines % 64;
	if (rem && (mask[nw - 1] >> rem)) {
		errno = EINVAL;
		return -1;
	}
	h = calloc(1, len);
	if (!h)
		return -1;
	guse_fill_header(h, len, GUSE_OP_SET_INPUTS, 0, 0);
	bm = (struct guse_bitmap *)(h + 1);
	bm->num_words = htole32(nw);
	for (i = 0; i < nw; i++) {
		bm->words[i] = htole64(mask[i]);
		bm->words[nw + i] = htole64(values[i] & mask[i]);
	}

	/*
	 * The levels are recorded only once the kernel took them.  A server
	 * that answers input reads itself gets a GET_VALUES as soon as the
	 * kernel raised the interrupt, maybe before write() returned here:
	 * chip->lock is held across the write, so that the answer (which reads
	 * the levels under that lock) sees the new levels; that write never
	 * waits in the kernel.  Without GUSE_CREATE_F_GET_INPUTS the kernel
	 * answers input reads itself, and the write may wait (when 256
	 * injections are queued) for the kernel's worker, which waits for
	 * consumers' interrupt handlers, which may wait for this server's
	 * answer to a request of theirs: replies need chip->lock, so only
	 * inject_lock is held then.
	 */
	pthread_mutex_lock(&chip->inject_lock);
	pthread_mutex_lock(&chip->lock);
	fd = chip->fd;		/* -1 after a callback freed the chip */
	if (!serve_reads)
		pthread_mutex_unlock(&chip->lock);
	if (fd < 0) {
		ret = -1;
		errno = ENODEV;
	} else {
		ret = guse_write_msg(fd, h, len);
	}
	err = errno;
	if (!serve_reads)
		pthread_mutex_lock(&chip->lock);
	if (!ret)
		store_levels(chip, mask, values);
	pthread_mutex_unlock(&chip->lock);
	pthread_mutex_unlock(&chip->inject_lock);
	free(h);
	errno = err;
	return ret;
}

GUSE_API int guse_chip_set_input(struct guse_chip *chip, unsigned int line,
				 int value)
{
	uint64_t mask[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	uint64_t values[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };

	if (line >= chip->num_lines) {
		errno = EINVAL;
		return -1;
	}
	mask[line / 64] = GUSE_BIT_MASK(line);
	if (value)
		values[line / 64] = GUSE_BIT_MASK(line);
	return guse_chip_set_inputs(chip, mask, values);
}

GUSE_API void guse_chip_exit(struct guse_chip *chip)
{
	uint64_t one = 1;
	ssize_t r;

	__atomic_store_n(&chip->exit_requested, 1, __ATOMIC_RELEASE);
	if (chip->wakeup) {
		/* async-signal-safe: a plain write(), no lock */
		struct guse_msg_header h = {
			.len = htole32(sizeof(h)),
			.opcode = htole16(GUSE_OP_WAKEUP),
		};
		int fd = __atomic_load_n(&chip->fd, __ATOMIC_RELAXED);

		if (fd >= 0 && write(fd, &h, sizeof(h)) == sizeof(h))
			return;
	}
	r = write(chip->exit_fd, &one, sizeof(one));
	(void)r;
}

/*
 * Serving with a kernel that has GUSE_OP_WAKEUP: blocking reads, one
 * read() and one write() per request, as a pipe echo.  guse_chip_exit()
 * sets exit_requested, then queues a WAKEUP that ends the read.
 */
static int run_blocking(struct guse_chip *chip)
{
	int fd = chip->fd, flags, ret = 0, err;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -1;
	for (;;) {
		if (__atomic_exchange_n(&chip->exit_requested, 0,
					__ATOMIC_ACQ_REL))
			break;
		if (guse_chip_handle_one(chip) < 0) {
			ret = -1;
			break;
		}
		if (guse_chip_is_dead(chip))
			return 0;	/* a callback freed the chip */
	}
	err = errno;
	fcntl(fd, F_SETFL, flags);
	errno = err;
	return ret;
}

/* guse_chip_run() with a reference held. */
static int run(struct guse_chip *chip)
{
	if (chip->wakeup)
		return run_blocking(chip);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = chip->fd, .events = POLLIN },
			{ .fd = chip->exit_fd, .events = POLLIN },
		};
		uint64_t v;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents) {
			if (read(chip->exit_fd, &v, sizeof(v)) < 0) {
				/* nothing: reset best effort */
			}
			__atomic_store_n(&chip->exit_requested, 0,
					 __ATOMIC_RELEASE);
			return 0;
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL)) {
			errno = ENODEV;
			return -1;
		}
		if (pfd[0].revents && guse_chip_dispatch_some(chip, -1) < 0)
			return -1;
		if (guse_chip_is_dead(chip))
			return 0;	/* a callback freed the chip */
	}
}

GUSE_API int guse_chip_run(struct guse_chip *chip)
{
	int ret;

	guse_chip_ref(chip);
	ret = run(chip);
	guse_chip_unref(chip);
	return ret;
}
