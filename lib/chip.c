// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: chip configuration, chips, requests and replies. */

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
#define ERRNO_MAX		133	/* the kernel passes 1..133 */

GUSE_API const char *guse_version_string(void)
{
	return PACKAGE_VERSION;
}

/* ------------------------------------------------------------------------ */
/* configuration */

static int copy_name(char *dst, const char *src, bool allow_empty)
{
	size_t len;

	if (!src) {
		if (!allow_empty)
			return -1;
		dst[0] = '\0';
		return 0;
	}
	len = strlen(src);
	if (len >= GUSE_NAME_SIZE || (!len && !allow_empty))
		return -1;
	memset(dst, 0, GUSE_NAME_SIZE);
	memcpy(dst, src, len);
	return 0;
}

GUSE_API struct guse_chip_config *guse_chip_config_new(void)
{
	struct guse_chip_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	strcpy(cfg->label, "guse");
	return cfg;
}

GUSE_API void guse_chip_config_free(struct guse_chip_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->device_path);
	free(cfg->names);
	free(cfg);
}

GUSE_API int guse_chip_config_set_label(struct guse_chip_config *cfg,
					const char *label)
{
	char tmp[GUSE_NAME_SIZE];

	if (!cfg || copy_name(tmp, label, false)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(cfg->label, tmp, sizeof(tmp));
	return 0;
}

GUSE_API int guse_chip_config_set_num_lines(struct guse_chip_config *cfg,
					    unsigned int num_lines)
{
	if (!cfg || num_lines < 1 || num_lines > GUSE_LINES_MAX) {
		errno = EINVAL;
		return -1;
	}
	cfg->num_lines = num_lines;
	return 0;
}

GUSE_API int guse_chip_config_set_line_name(struct guse_chip_config *cfg,
					    unsigned int line,
					    const char *name)
{
	char tmp[GUSE_NAME_SIZE];

	if (!cfg || line >= GUSE_LINES_MAX || copy_name(tmp, name, true)) {
		errno = EINVAL;
		return -1;
	}
	if (line >= cfg->names_size) {
		char (*n)[GUSE_NAME_SIZE];

		if (!tmp[0])
			return 0;
		n = realloc(cfg->names, (size_t)(line + 1) * GUSE_NAME_SIZE);
		if (!n)
			return -1;
		memset(n[cfg->names_size], 0,
		       (size_t)(line + 1 - cfg->names_size) * GUSE_NAME_SIZE);
		cfg->names = n;
		cfg->names_size = line + 1;
	}
	memcpy(cfg->names[line], tmp, GUSE_NAME_SIZE);
	return 0;
}

GUSE_API int guse_chip_config_set_timeout_ms(struct guse_chip_config *cfg,
					     unsigned int timeout_ms)
{
	if (!cfg || timeout_ms > GUSE_TIMEOUT_MAX_MS) {
		errno = EINVAL;
		return -1;
	}
	cfg->timeout_ms = timeout_ms;
	return 0;
}

GUSE_API int guse_chip_config_set_device_path(struct guse_chip_config *cfg,
					      const char *path)
{
	char *p = NULL;

	if (!cfg) {
		errno = EINVAL;
		return -1;
	}
	if (path) {
		p = strdup(path);
		if (!p)
			return -1;
	}
	free(cfg->device_path);
	cfg->device_path = p;
	return 0;
}

GUSE_API void guse_chip_config_set_track_all(struct guse_chip_config *cfg,
					     bool track)
{
	if (cfg)
		cfg->track_all = track;
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

static void fill_header(struct guse_msg_header *h, size_t len, uint16_t op,
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

static uint32_t features(const struct guse_chip_ops *ops, bool track_all)
{
	uint32_t f = 0;

	if (track_all || ops->request || ops->free || ops->consumer)
		f |= GUSE_CREATE_F_REQUEST;
	if (track_all || ops->set_config)
		f |= GUSE_CREATE_F_SET_CONFIG;
	if (track_all || ops->irq_config)
		f |= GUSE_CREATE_F_IRQ_CONFIG;
	if (ops->get_values)
		f |= GUSE_CREATE_F_GET_INPUTS;
	return f;
}

static int send_create(struct guse_chip *chip,
		       const struct guse_chip_config *cfg)
{
	struct {
		struct guse_msg_header hdr;
		struct guse_create create;
	} *msg;
	size_t len = sizeof(*msg);
	int ret;

	bool names = chip->create_flags & GUSE_CREATE_F_LINE_NAMES;

	if (names)
		len += (size_t)chip->num_lines * GUSE_NAME_SIZE;
	msg = calloc(1, len);
	if (!msg)
		return -1;
	fill_header(&msg->hdr, len, GUSE_OP_CREATE, 0, 0);
	msg->create.version = htole32(GUSE_VERSION);
	msg->create.num_lines = htole32(chip->num_lines);
	msg->create.timeout_ms = htole32(cfg->timeout_ms);
	msg->create.flags = htole32(chip->create_flags);
	memcpy(msg->create.label, chip->label, GUSE_NAME_SIZE);
	if (names)
		memcpy(msg + 1, chip->names,
		       (size_t)chip->num_lines * GUSE_NAME_SIZE);
	ret = guse_write_msg(chip->fd, msg, len);
	free(msg);
	return ret;
}

static void copy_str(char *dst, const char *src)
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
	copy_str(chip->chip_name, r->chip_name);
	copy_str(chip->dev_name, r->dev_name);
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
	    cfg->names_size > cfg->num_lines) {
		errno = EINVAL;
		return NULL;
	}
	chip = calloc(1, sizeof(*chip));
	if (!chip)
		return NULL;
	chip->fd = fd;
	chip->exit_fd = -1;
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
	chip->create_flags = features(&chip->ops, cfg->track_all);

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
	chip->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (chip->exit_fd < 0)
		goto err;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto err;

	if (send_create(chip, cfg) < 0)
		goto err;
	if (wait_ready(chip) < 0)
		goto err;
	return chip;
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

GUSE_API void guse_chip_free(struct guse_chip *chip)
{
	struct guse_request *req, *next;

	if (!chip)
		return;
	if (chip->loop)
		guse_loop_remove_chip(chip->loop, chip);
	close(chip->fd);
	for (req = chip->pending; req; req = next) {
		next = req->next;
		free(req);
	}
	free_chip_mem(chip);
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
LINE_GETTER(guse_chip_get_input_level, int, l->input)
LINE_GETTER(guse_chip_get_value, int,
	    l->direction == GUSE_LINE_DIRECTION_OUTPUT ? l->output : l->input)
LINE_GETTER(guse_chip_is_requested, int, l->requested)
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

GUSE_API int guse_chip_set_inputs(struct guse_chip *chip,
				  const uint64_t *mask,
				  const uint64_t *values)
{
	unsigned int nw = chip->num_words, i, rem;
	size_t len = sizeof(struct guse_msg_header) +
		     sizeof(struct guse_bitmap) + 2 * nw * sizeof(uint64_t);
	struct guse_msg_header *h;
	struct guse_bitmap *bm;
	int ret, err;

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
	fill_header(h, len, GUSE_OP_SET_INPUTS, 0, 0);
	bm = (struct guse_bitmap *)(h + 1);
	bm->num_words = htole32(nw);
	for (i = 0; i < nw; i++) {
		bm->words[i] = htole64(mask[i]);
		bm->words[nw + i] = htole64(values[i] & mask[i]);
	}

	pthread_mutex_lock(&chip->inject_lock);
	pthread_mutex_lock(&chip->lock);
	for (i = 0; i < chip->num_lines; i++)
		if (mask[i / 64] & GUSE_BIT_MASK(i))
			chip->lines[i].input = !!(values[i / 64] &
						  GUSE_BIT_MASK(i));
	pthread_mutex_unlock(&chip->lock);
	ret = guse_write_msg(chip->fd, h, len);
	err = errno;
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

/* ------------------------------------------------------------------------ */
/* requests and replies */

GUSE_API struct guse_chip *guse_request_get_chip(struct guse_request *req)
{
	return req->chip;
}

GUSE_API void *guse_request_get_user_data(struct guse_request *req)
{
	return req->chip->user_data;
}

GUSE_API enum guse_request_type guse_request_get_type(struct guse_request *req)
{
	return (enum guse_request_type)req->opcode;
}

static void unlink_req(struct guse_chip *chip, struct guse_request *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else
		chip->pending = req->next;
	if (req->next)
		req->next->prev = req->prev;
}

/* Update the tracked state after a successful reply; chip->lock held. */
static void apply_ok(struct guse_chip *chip, const struct guse_request *req)
{
	struct guse_line_state *l = NULL;
	unsigned int i, nw = chip->num_words;

	if (req->opcode != GUSE_OP_GET_VALUES &&
	    req->opcode != GUSE_OP_SET_VALUES)
		l = &chip->lines[req->line];
	switch (req->opcode) {
	case GUSE_OP_REQUEST:
		l->requested = 1;
		memcpy(l->consumer, req->consumer, GUSE_NAME_SIZE);
		break;
	case GUSE_OP_DIRECTION_INPUT:
		l->direction = GUSE_LINE_DIRECTION_INPUT;
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		l->direction = GUSE_LINE_DIRECTION_OUTPUT;
		l->output = !!req->value;
		break;
	case GUSE_OP_SET_VALUES:
		for (i = 0; i < chip->num_lines; i++)
			if (req->words[i / 64] & GUSE_BIT_MASK(i))
				chip->lines[i].output =
					!!(req->words[nw + i / 64] &
					   GUSE_BIT_MASK(i));
		break;
	case GUSE_OP_SET_CONFIG:
		switch (req->value) {
		case GUSE_CONFIG_BIAS_DISABLE:
		case GUSE_CONFIG_BIAS_PULL_UP:
		case GUSE_CONFIG_BIAS_PULL_DOWN:
			l->bias = (uint8_t)req->value;
			break;
		case GUSE_CONFIG_DRIVE_PUSH_PULL:
		case GUSE_CONFIG_DRIVE_OPEN_DRAIN:
		case GUSE_CONFIG_DRIVE_OPEN_SOURCE:
			l->drive = (uint8_t)req->value;
			break;
		case GUSE_CONFIG_INPUT_DEBOUNCE:
			l->debounce_us = req->arg;
			break;
		}
		break;
	case GUSE_OP_IRQ_CONFIG:
		l->irq_type = req->value;
		l->irq_flags = req->arg;
		break;
	default:
		break;
	}
}

/*
 * Finish a request: unlink it, update the state, send the reply, free it.
 * @error 0 or positive errno; @payload (without header) only when error 0.
 * @state_dir: for GET_DIRECTION replies, the direction to record (or -1).
 */
static int finish(struct guse_request *req, uint32_t error,
		  const void *payload, size_t plen, int state_dir)
{
	struct guse_chip *chip = req->chip;
	union {
		struct guse_msg_header hdr;
		uint8_t buf[sizeof(struct guse_msg_header) +
			    sizeof(struct guse_bitmap) +
			    GUSE_BITMAP_WORDS(GUSE_LINES_MAX) * 8];
	} u;
	size_t len = sizeof(u.hdr) + (error ? 0 : plen);
	int ret;

	pthread_mutex_lock(&chip->lock);
	unlink_req(chip, req);
	if (!error)
		apply_ok(chip, req);
	if (req->opcode == GUSE_OP_FREE) {
		/* the line is released whatever the server says */
		chip->lines[req->line].requested = 0;
		memset(chip->lines[req->line].consumer, 0, GUSE_NAME_SIZE);
	}
	if (state_dir >= 0)
		chip->lines[req->line].direction = (uint8_t)state_dir;
	pthread_mutex_unlock(&chip->lock);

	fill_header(&u.hdr, len, req->opcode, req->id, error);
	if (!error && plen)
		memcpy(&u.hdr + 1, payload, plen);
	ret = guse_write_msg(chip->fd, u.buf, len);
	if (ret < 0 && errno == ENOENT)
		ret = 0;	/* the request timed out in the kernel */
	free(req);
	return ret;
}

static int finish_misuse(struct guse_request *req)
{
	int ret = finish(req, EIO, NULL, 0, -1);

	if (!ret)
		errno = EINVAL;
	return -1;
}

GUSE_API int guse_reply_ok(struct guse_request *req)
{
	if (req->opcode == GUSE_OP_GET_DIRECTION ||
	    req->opcode == GUSE_OP_GET_VALUES)
		return finish_misuse(req);
	return finish(req, 0, NULL, 0, -1);
}

GUSE_API int guse_reply_error(struct guse_request *req, int errnum)
{
	if (errnum <= 0 || errnum > ERRNO_MAX)
		errnum = EIO;
	return finish(req, (uint32_t)errnum, NULL, 0, -1);
}

GUSE_API int guse_reply_direction(struct guse_request *req, int direction)
{
	struct guse_direction d = { 0 };

	if (req->opcode != GUSE_OP_GET_DIRECTION ||
	    (direction != GUSE_LINE_DIRECTION_INPUT &&
	     direction != GUSE_LINE_DIRECTION_OUTPUT))
		return finish_misuse(req);
	d.direction = htole32((uint32_t)direction);
	return finish(req, 0, &d, sizeof(d), direction);
}

GUSE_API int guse_reply_values(struct guse_request *req,
			       const uint64_t *values)
{
	uint8_t buf[sizeof(struct guse_bitmap) +
		    GUSE_BITMAP_WORDS(GUSE_LINES_MAX) * 8] = { 0 };
	struct guse_bitmap *bm = (struct guse_bitmap *)buf;
	unsigned int i, nw;

	if (req->opcode != GUSE_OP_GET_VALUES || !values)
		return finish_misuse(req);
	nw = req->chip->num_words;
	bm->num_words = htole32(nw);
	for (i = 0; i < nw; i++)
		bm->words[i] = htole64(values[i] & req->words[i]);
	return finish(req, 0, bm, sizeof(*bm) + nw * 8, -1);
}

GUSE_API int guse_reply_default(struct guse_request *req)
{
	struct guse_chip *chip = req->chip;
	uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	unsigned int i;
	int dir;

	switch (req->opcode) {
	case GUSE_OP_GET_DIRECTION:
		pthread_mutex_lock(&chip->lock);
		dir = chip->lines[req->line].direction;
		pthread_mutex_unlock(&chip->lock);
		return guse_reply_direction(req, dir);
	case GUSE_OP_GET_VALUES:
		pthread_mutex_lock(&chip->lock);
		for (i = 0; i < chip->num_lines; i++) {
			const struct guse_line_state *l = &chip->lines[i];
			int v = l->direction == GUSE_LINE_DIRECTION_OUTPUT ?
				l->output : l->input;

			if (v)
				vals[i / 64] |= GUSE_BIT_MASK(i);
		}
		pthread_mutex_unlock(&chip->lock);
		return guse_reply_values(req, vals);
	case GUSE_OP_SET_CONFIG:
		if (req->value == GUSE_CONFIG_INPUT_DEBOUNCE)
			return guse_reply_error(req, EOPNOTSUPP);
		return guse_reply_ok(req);
	default:
		return guse_reply_ok(req);
	}
}

/* ------------------------------------------------------------------------ */
/* dispatch */

/* Reply to a message that was never turned into a request. */
static void reject(struct guse_chip *chip, const struct guse_msg_header *h,
		   uint32_t error)
{
	struct guse_msg_header r;

	if (!h->id || (le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
		return;
	fill_header(&r, sizeof(r), le16toh(h->opcode), le64toh(h->id), error);
	guse_write_msg(chip->fd, &r, sizeof(r));	/* best effort */
}

static size_t payload_size(uint16_t op, unsigned int nw)
{
	switch (op) {
	case GUSE_OP_REQUEST:
	case GUSE_OP_CONSUMER:
		return sizeof(struct guse_line_consumer);
	case GUSE_OP_FREE:
	case GUSE_OP_GET_DIRECTION:
	case GUSE_OP_DIRECTION_INPUT:
		return sizeof(struct guse_line);
	case GUSE_OP_DIRECTION_OUTPUT:
		return sizeof(struct guse_line_value);
	case GUSE_OP_GET_VALUES:
		return sizeof(struct guse_bitmap) + nw * 8;
	case GUSE_OP_SET_VALUES:
		return sizeof(struct guse_bitmap) + 2 * nw * 8;
	case GUSE_OP_SET_CONFIG:
		return sizeof(struct guse_set_config);
	case GUSE_OP_IRQ_CONFIG:
		return sizeof(struct guse_irq_config);
	default:
		return 0;
	}
}

static bool bits_beyond(const struct guse_chip *chip, const uint64_t *w)
{
	unsigned int rem = chip->num_lines % 64;

	return rem && (w[chip->num_words - 1] >> rem);
}

static void handle_consumer(struct guse_chip *chip, const void *p)
{
	const struct guse_line_consumer *c = p;
	unsigned int line = le32toh(c->line);
	char name[GUSE_NAME_SIZE];

	if (line >= chip->num_lines)
		return;
	copy_str(name, c->consumer);
	pthread_mutex_lock(&chip->lock);
	memset(chip->lines[line].consumer, 0, GUSE_NAME_SIZE);
	strcpy(chip->lines[line].consumer, name);
	pthread_mutex_unlock(&chip->lock);
	if (chip->ops.consumer)
		chip->ops.consumer(chip, line, name);
}

static void handle_msg(struct guse_chip *chip, const void *buf, size_t n)
{
	const struct guse_msg_header *h = buf;
	const void *p = h + 1;
	unsigned int nw = chip->num_words, i;
	struct guse_request *req;
	uint16_t op;
	size_t plen;

	if (n < sizeof(*h))
		return;
	op = le16toh(h->opcode);
	if (le32toh(h->len) != n || h->error) {
		reject(chip, h, EINVAL);
		return;
	}
	plen = payload_size(op, nw);
	if (!plen) {
		/* READY again, CREATE, SET_INPUTS, or a future opcode */
		reject(chip, h, EOPNOTSUPP);
		return;
	}
	if (n - sizeof(*h) != plen) {
		reject(chip, h, EINVAL);
		return;
	}
	if (op == GUSE_OP_CONSUMER) {
		if (h->id || !(le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
			return;
		handle_consumer(chip, p);
		return;
	}
	if (!h->id || (le16toh(h->flags) & GUSE_MSG_F_NOREPLY))
		return;		/* a request that cannot be answered */

	req = calloc(1, sizeof(*req) + 2 * nw * sizeof(uint64_t));
	if (!req) {
		reject(chip, h, ENOMEM);
		return;
	}
	req->chip = chip;
	req->id = le64toh(h->id);
	req->opcode = op;

	if (op == GUSE_OP_GET_VALUES || op == GUSE_OP_SET_VALUES) {
		const struct guse_bitmap *bm = p;
		unsigned int words = op == GUSE_OP_GET_VALUES ? nw : 2 * nw;

		if (le32toh(bm->num_words) != nw)
			goto invalid;
		for (i = 0; i < words; i++) {
			uint64_t w;

			memcpy(&w, &bm->words[i], sizeof(w));
			req->words[i] = le64toh(w);
		}
		if (bits_beyond(chip, req->words) ||
		    (op == GUSE_OP_SET_VALUES &&
		     bits_beyond(chip, req->words + nw)))
			goto invalid;
		if (op == GUSE_OP_SET_VALUES)
			for (i = 0; i < nw; i++)
				req->words[nw + i] &= req->words[i];
	} else {
		/* every other payload starts with the line */
		req->line = le32toh(*(const uint32_t *)p);
		if (req->line >= chip->num_lines)
			goto invalid;
		switch (op) {
		case GUSE_OP_REQUEST:
			copy_str(req->consumer,
				 ((const struct guse_line_consumer *)p)->consumer);
			break;
		case GUSE_OP_DIRECTION_OUTPUT:
			req->value = !!le32toh(
				((const struct guse_line_value *)p)->value);
			break;
		case GUSE_OP_SET_CONFIG: {
			const struct guse_set_config *c = p;

			req->value = le32toh(c->param);
			req->arg = le32toh(c->arg);
			if (req->value < GUSE_CONFIG_BIAS_DISABLE ||
			    req->value > GUSE_CONFIG_INPUT_DEBOUNCE)
				goto notsupp;
			break;
		}
		case GUSE_OP_IRQ_CONFIG: {
			const struct guse_irq_config *c = p;

			req->value = le32toh(c->type);
			req->arg = le32toh(c->flags);
			switch (req->value) {
			case GUSE_IRQ_TYPE_NONE:
			case GUSE_IRQ_TYPE_EDGE_RISING:
			case GUSE_IRQ_TYPE_EDGE_FALLING:
			case GUSE_IRQ_TYPE_EDGE_BOTH:
			case GUSE_IRQ_TYPE_LEVEL_HIGH:
			case GUSE_IRQ_TYPE_LEVEL_LOW:
				break;
			default:
				goto invalid;
			}
			break;
		}
		default:
			break;
		}
	}

	pthread_mutex_lock(&chip->lock);
	req->next = chip->pending;
	if (req->next)
		req->next->prev = req;
	chip->pending = req;
	pthread_mutex_unlock(&chip->lock);

	/* from here on the request may be answered (and freed) any time */
	switch (op) {
	case GUSE_OP_REQUEST:
		if (chip->ops.request) {
			char name[GUSE_NAME_SIZE];

			memcpy(name, req->consumer, sizeof(name));
			chip->ops.request(req, req->line, name);
			return;
		}
		break;
	case GUSE_OP_FREE:
		if (chip->ops.free) {
			chip->ops.free(req, req->line);
			return;
		}
		break;
	case GUSE_OP_GET_DIRECTION:
		if (chip->ops.get_direction) {
			chip->ops.get_direction(req, req->line);
			return;
		}
		break;
	case GUSE_OP_DIRECTION_INPUT:
		if (chip->ops.direction_input) {
			chip->ops.direction_input(req, req->line);
			return;
		}
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		if (chip->ops.direction_output) {
			chip->ops.direction_output(req, req->line,
						   (int)req->value);
			return;
		}
		break;
	case GUSE_OP_GET_VALUES:
		if (chip->ops.get_values) {
			chip->ops.get_values(req, req->words);
			return;
		}
		break;
	case GUSE_OP_SET_VALUES:
		if (chip->ops.set_values) {
			chip->ops.set_values(req, req->words,
					     req->words + nw);
			return;
		}
		break;
	case GUSE_OP_SET_CONFIG:
		if (chip->ops.set_config) {
			chip->ops.set_config(req, req->line,
					     (enum guse_line_param)req->value,
					     req->arg);
			return;
		}
		break;
	case GUSE_OP_IRQ_CONFIG:
		if (chip->ops.irq_config) {
			chip->ops.irq_config(req, req->line,
					     (enum guse_line_irq_type)req->value,
					     req->arg);
			return;
		}
		break;
	}
	guse_reply_default(req);
	return;

invalid:
	free(req);
	reject(chip, h, EINVAL);
	return;
notsupp:
	free(req);
	reject(chip, h, EOPNOTSUPP);
}

GUSE_API int guse_chip_dispatch(struct guse_chip *chip)
{
	union {
		struct guse_msg_header hdr;
		uint64_t align;
		uint8_t buf[GUSE_READ_SIZE_MIN];
	} u;
	int count = 0;

	for (;;) {
		ssize_t n = read(chip->fd, u.buf, sizeof(u.buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return count;
			return -1;
		}
		if (n == 0) {
			errno = ENODEV;	/* the other end went away */
			return -1;
		}
		handle_msg(chip, u.buf, (size_t)n);
		count++;
	}
}

GUSE_API void guse_chip_exit(struct guse_chip *chip)
{
	uint64_t one = 1;
	ssize_t r = write(chip->exit_fd, &one, sizeof(one));

	(void)r;
}

GUSE_API int guse_chip_run(struct guse_chip *chip)
{
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
			return 0;
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL)) {
			errno = ENODEV;
			return -1;
		}
		if (pfd[0].revents && guse_chip_dispatch(chip) < 0)
			return -1;
	}
}
