// SPDX-License-Identifier: GPL-2.0-only
/*
 * raw-guse: the /dev/guse protocol without libguse, for the kernel tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "raw-guse.h"

int raw_open(void)
{
	return open("/dev/guse", O_RDWR | O_CLOEXEC);
}

bool raw_removes_held_chips(void)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	/* the driver decides by gpiochip_dup_line_label(), i.e. 6.8 */
	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 8);
}

bool raw_device_present(void)
{
	int fd = raw_open();

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int raw_send(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int raw_send_msg(int fd, uint16_t opcode, uint64_t id, uint32_t error,
		 const void *payload, size_t len)
{
	struct guse_msg_header *hdr;
	int ret;

	hdr = calloc(1, sizeof(*hdr) + len);
	if (!hdr)
		return -ENOMEM;
	hdr->len = sizeof(*hdr) + len;
	hdr->opcode = opcode;
	hdr->id = id;
	hdr->error = error;
	if (len)
		memcpy(hdr + 1, payload, len);
	ret = raw_send(fd, hdr, sizeof(*hdr) + len);
	free(hdr);
	return ret;
}

int raw_recv(int fd, struct raw_msg *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(fd, m, sizeof(*m));
	if (n < 0)
		return -errno;
	return (int)n;
}

int raw_send_create(int fd, const struct raw_create *a)
{
	size_t len = sizeof(struct guse_create) + a->names_len + a->init_len;
	struct guse_create *cr;
	int ret;

	cr = calloc(1, len);
	if (!cr)
		return -ENOMEM;
	cr->version = a->version ? a->version : GUSE_VERSION;
	cr->num_lines = a->num_lines;
	cr->timeout_ms = a->timeout_ms;
	cr->flags = a->flags;
	cr->reserved[0] = a->reserved0;
	if (a->label)
		memcpy(cr->label, a->label, strnlen(a->label, GUSE_NAME_SIZE));
	if (a->names)
		memcpy(cr + 1, a->names, a->names_len);
	if (a->init)
		memcpy((char *)(cr + 1) + a->names_len, a->init, a->init_len);
	ret = raw_send_msg(fd, GUSE_OP_CREATE, 0, 0, cr, len);
	free(cr);
	return ret;
}

int raw_create_chip(int fd, const char *label, uint32_t lines,
		    uint32_t timeout_ms, uint32_t flags,
		    struct guse_ready *ready)
{
	struct raw_create a = {
		.label = label, .num_lines = lines,
		.timeout_ms = timeout_ms, .flags = flags,
	};

	return raw_create_chip_with(fd, &a, ready);
}

int raw_create_chip_with(int fd, const struct raw_create *a,
			 struct guse_ready *ready)
{
	struct raw_msg m;
	int ret;

	ret = raw_send_create(fd, a);
	if (ret)
		return ret;
	ret = raw_recv(fd, &m, 2000);
	if (ret < 0)
		return ret;
	if (m.hdr.opcode != GUSE_OP_READY ||
	    (size_t)ret != sizeof(m.hdr) + sizeof(*ready))
		return -EPROTO;
	memcpy(ready, m.payload, sizeof(*ready));
	return 0;
}

size_t raw_line_init(void *buf, size_t size, unsigned int num_lines,
		     const uint32_t *flags, const char *const *hog_labels)
{
	struct guse_line_init *init = buf;
	size_t len = (size_t)num_lines * sizeof(*init);
	char *label;
	unsigned int i;

	for (i = 0; i < num_lines; i++)
		if (flags[i] & GUSE_LINE_INIT_F_HOG)
			len += GUSE_NAME_SIZE;
	if (len > size)
		return 0;
	memset(buf, 0, len);
	label = (char *)(init + num_lines);
	for (i = 0; i < num_lines; i++) {
		init[i].flags = flags[i];
		if (!(flags[i] & GUSE_LINE_INIT_F_HOG))
			continue;
		if (hog_labels && hog_labels[i])
			memcpy(label, hog_labels[i],
			       strnlen(hog_labels[i], GUSE_NAME_SIZE));
		label += GUSE_NAME_SIZE;
	}
	return len;
}

int raw_line_direction(int fd, uint32_t line, uint32_t direction,
		       uint32_t value)
{
	struct guse_device_direction d = {
		.line = line, .direction = direction, .value = value,
	};

	return raw_send_msg(fd, GUSE_OP_LINE_DIRECTION, 0, 0, &d, sizeof(d));
}

int raw_claim(int fd, uint32_t line, const char *consumer)
{
	struct guse_line_consumer lc = { .line = line };

	memcpy(lc.consumer, consumer, strnlen(consumer, GUSE_NAME_SIZE));
	return raw_send_msg(fd, GUSE_OP_CLAIM, 0, 0, &lc, sizeof(lc));
}

int raw_unclaim(int fd, uint32_t line)
{
	struct guse_line l = { .line = line };

	return raw_send_msg(fd, GUSE_OP_UNCLAIM, 0, 0, &l, sizeof(l));
}

int raw_set_inputs(int fd, unsigned int num_lines, const uint64_t *mask,
		   const uint64_t *values)
{
	unsigned int words = GUSE_BITMAP_WORDS(num_lines);
	uint8_t buf[sizeof(struct guse_bitmap) +
		    2 * 8 * GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	struct guse_bitmap *bm = (void *)buf;

	memset(buf, 0, sizeof(buf));
	bm->num_words = words;
	memcpy(bm->words, mask, 8 * words);
	memcpy(bm->words + words, values, 8 * words);
	return raw_send_msg(fd, GUSE_OP_SET_INPUTS, 0, 0, bm,
			    sizeof(*bm) + 16 * words);
}

int raw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void bit_assign(uint64_t *map, unsigned int bit, bool val)
{
	if (val)
		map[bit / 64] |= 1ULL << (bit % 64);
	else
		map[bit / 64] &= ~(1ULL << (bit % 64));
}

int raw_answer(int fd, const struct raw_msg *m, struct raw_seen *s)
{
	const struct guse_line_consumer *lc = (const void *)m->payload;
	const struct guse_line_value *lv = (const void *)m->payload;
	const struct guse_irq_config *ic = (const void *)m->payload;
	const struct guse_set_config *sc = (const void *)m->payload;
	const struct guse_bitmap *bm = (const void *)m->payload;
	uint8_t buf[sizeof(struct guse_bitmap) +
		    8 * GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	struct guse_bitmap *reply = (void *)buf;
	struct guse_direction dir = { 0 };
	unsigned int i, n;
	uint64_t bit;

	switch (m->hdr.opcode) {
	case GUSE_OP_WAKEUP:
		s->wakeups++;
		return 0;
	case GUSE_OP_CONSUMER:
		s->consumers++;
		memcpy(s->consumer, lc->consumer, GUSE_NAME_SIZE);
		return 0;
	case GUSE_OP_REQUEST:
		s->requests++;
		if (lc->consumer[0])
			memcpy(s->consumer, lc->consumer, GUSE_NAME_SIZE);
		break;
	case GUSE_OP_FREE:
		s->frees++;
		break;
	case GUSE_OP_GET_DIRECTION:
		bit = s->is_output[lc->line / 64] >> (lc->line % 64) & 1;
		dir.direction = bit || s->lie_output ? GUSE_DIRECTION_OUTPUT :
						       GUSE_DIRECTION_INPUT;
		return raw_send_msg(fd, m->hdr.opcode, m->hdr.id, 0, &dir,
				    sizeof(dir));
	case GUSE_OP_DIRECTION_INPUT:
		bit_assign(s->is_output, lc->line, false);
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		bit_assign(s->is_output, lv->line, true);
		bit_assign(s->outputs, lv->line, lv->value);
		break;
	case GUSE_OP_GET_VALUES:
		s->get_values++;
		n = bm->num_words;
		memset(buf, 0, sizeof(buf));
		reply->num_words = n;
		for (i = 0; i < n && i < GUSE_BITMAP_WORDS(GUSE_LINES_MAX); i++)
			reply->words[i] = bm->words[i] &
				((s->outputs[i] & s->is_output[i]) |
				 (s->levels[i] & ~s->is_output[i]));
		return raw_send_msg(fd, m->hdr.opcode, m->hdr.id, 0, reply,
				    sizeof(*reply) + 8 * n);
	case GUSE_OP_SET_VALUES:
		s->set_values++;
		n = bm->num_words;
		for (i = 0; i < n && i < GUSE_BITMAP_WORDS(GUSE_LINES_MAX); i++)
			s->outputs[i] = (s->outputs[i] & ~bm->words[i]) |
					(bm->words[n + i] & bm->words[i]);
		break;
	case GUSE_OP_SET_CONFIG:
		s->configs++;
		s->last_config_param = sc->param;
		s->last_config_arg = sc->arg;
		if (s->config_errno)
			return raw_send_msg(fd, m->hdr.opcode, m->hdr.id,
					    s->config_errno, NULL, 0);
		break;
	case GUSE_OP_IRQ_CONFIG:
		s->irq_configs++;
		s->last_irq_line = ic->line;
		s->last_irq_type = ic->type;
		s->last_irq_flags = ic->flags;
		break;
	default:
		s->others++;
		return 0;
	}
	return raw_send_msg(fd, m->hdr.opcode, m->hdr.id, 0, NULL, 0);
}

static void *raw_server_thread(void *arg)
{
	struct raw_server *srv = arg;
	struct raw_msg m;
	int ret;

	while (!srv->stop) {
		ret = raw_recv(srv->fd, &m, 20);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret < 0)
			break;
		pthread_mutex_lock(&srv->lock);
		raw_answer(srv->fd, &m, &srv->seen);
		pthread_mutex_unlock(&srv->lock);
	}
	return NULL;
}

int raw_server_start(struct raw_server *srv, const char *label,
		     uint32_t lines, uint32_t flags)
{
	struct raw_create a = {
		.label = label, .num_lines = lines, .flags = flags,
	};

	return raw_server_start_with(srv, &a);
}

int raw_server_start_with(struct raw_server *srv, const struct raw_create *a)
{
	int ret;

	memset(srv, 0, sizeof(*srv));
	srv->fd = raw_open();
	if (srv->fd < 0)
		return -errno;
	srv->num_lines = a->num_lines;
	ret = raw_create_chip_with(srv->fd, a, &srv->ready);
	if (ret) {
		close(srv->fd);
		return ret;
	}
	pthread_mutex_init(&srv->lock, NULL);
	ret = -pthread_create(&srv->thread, NULL, raw_server_thread, srv);
	if (ret)
		close(srv->fd);
	return ret;
}

int raw_server_set_inputs(struct raw_server *srv, const uint64_t *mask,
			  const uint64_t *values)
{
	unsigned int i;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < GUSE_BITMAP_WORDS(srv->num_lines); i++)
		srv->seen.levels[i] = (srv->seen.levels[i] & ~mask[i]) |
				      (values[i] & mask[i]);
	pthread_mutex_unlock(&srv->lock);
	return raw_set_inputs(srv->fd, srv->num_lines, mask, values);
}

int raw_server_set_input(struct raw_server *srv, unsigned int line,
			 bool value)
{
	uint64_t mask[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	uint64_t values[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };

	bit_assign(mask, line, true);
	bit_assign(values, line, value);
	return raw_server_set_inputs(srv, mask, values);
}

void raw_server_preset(struct raw_server *srv, unsigned int line,
		       bool output, bool value)
{
	pthread_mutex_lock(&srv->lock);
	bit_assign(srv->seen.is_output, line, output);
	bit_assign(output ? srv->seen.outputs : srv->seen.levels, line, value);
	pthread_mutex_unlock(&srv->lock);
}

int raw_server_line_direction(struct raw_server *srv, unsigned int line,
			      uint32_t direction, uint32_t value)
{
	bool output = direction == GUSE_DIRECTION_OUTPUT;
	int ret;

	/* the kernel does not wait for the server: the lock orders answers */
	pthread_mutex_lock(&srv->lock);
	ret = raw_line_direction(srv->fd, line, direction, value);
	if (!ret) {
		bit_assign(srv->seen.is_output, line, output);
		bit_assign(output ? srv->seen.outputs : srv->seen.levels, line,
			   value);
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void raw_server_seen(struct raw_server *srv, struct raw_seen *copy)
{
	pthread_mutex_lock(&srv->lock);
	*copy = srv->seen;
	pthread_mutex_unlock(&srv->lock);
}

void raw_server_stop(struct raw_server *srv, bool close_fd)
{
	srv->stop = true;
	pthread_join(srv->thread, NULL);
	pthread_mutex_destroy(&srv->lock);
	if (close_fd)
		close(srv->fd);
}

unsigned int raw_read_uint(const char *path, unsigned int def)
{
	unsigned int v;
	FILE *f = fopen(path, "r");

	if (!f)
		return def;
	if (fscanf(f, "%u", &v) != 1)
		v = def;
	fclose(f);
	return v;
}
