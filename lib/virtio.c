// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: virtio-gpio backend adapter. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct guse_virtio {
	struct guse_chip *chip;
	struct guse_virtio_ops ops;
	void *user_data;
};

static struct guse_virtio *vio_of(struct guse_request *req)
{
	return guse_request_get_user_data(req);
}

/* Backend return value -> reply errno (0 on success). */
static int to_errno(int ret)
{
	if (ret >= 0)
		return 0;
	if (ret < -133)
		return EIO;
	return -ret;
}

static void reply_ret(struct guse_request *req, int ret)
{
	if (ret < 0)
		guse_reply_error(req, to_errno(ret));
	else
		guse_reply_ok(req);
}

static void v_request(struct guse_request *req, unsigned int line,
		      const char *consumer)
{
	(void)line;
	(void)consumer;
	guse_reply_ok(req);
}

static void v_free(struct guse_request *req, unsigned int line)
{
	struct guse_virtio *v = vio_of(req);
	int ret = 0;

	if (v->ops.set_direction)
		ret = v->ops.set_direction(v->user_data, line,
					   GUSE_VIRTIO_DIRECTION_NONE);
	reply_ret(req, ret);
}

static void v_get_direction(struct guse_request *req, unsigned int line)
{
	struct guse_virtio *v = vio_of(req);
	int ret;

	if (!v->ops.get_direction) {
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	ret = v->ops.get_direction(v->user_data, line);
	if (ret < 0)
		guse_reply_error(req, to_errno(ret));
	else if (ret == GUSE_VIRTIO_DIRECTION_OUT)
		guse_reply_direction(req, GUSE_LINE_DIRECTION_OUTPUT);
	else if (ret == GUSE_VIRTIO_DIRECTION_IN ||
		 ret == GUSE_VIRTIO_DIRECTION_NONE)
		guse_reply_direction(req, GUSE_LINE_DIRECTION_INPUT);
	else
		guse_reply_error(req, EIO);
}

static void v_direction_input(struct guse_request *req, unsigned int line)
{
	struct guse_virtio *v = vio_of(req);

	if (!v->ops.set_direction) {
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	reply_ret(req, v->ops.set_direction(v->user_data, line,
					    GUSE_VIRTIO_DIRECTION_IN));
}

static void v_direction_output(struct guse_request *req, unsigned int line,
			       int value)
{
	struct guse_virtio *v = vio_of(req);
	int ret;

	if (!v->ops.set_direction || !v->ops.set_value) {
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	/* as Linux's virtio-gpio driver: value first, then direction */
	ret = v->ops.set_value(v->user_data, line, (uint8_t)!!value);
	if (ret >= 0)
		ret = v->ops.set_direction(v->user_data, line,
					   GUSE_VIRTIO_DIRECTION_OUT);
	reply_ret(req, ret);
}

static void v_get_values(struct guse_request *req, const uint64_t *mask)
{
	struct guse_virtio *v = vio_of(req);
	struct guse_chip *chip = guse_request_get_chip(req);
	uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	unsigned int i, n = guse_chip_get_num_lines(chip);

	if (!v->ops.get_value) {
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	for (i = 0; i < n; i++) {
		int ret;

		if (!(mask[i / 64] & GUSE_BIT_MASK(i)))
			continue;
		ret = v->ops.get_value(v->user_data, i);
		if (ret < 0) {
			guse_reply_error(req, to_errno(ret));
			return;
		}
		if (ret)
			vals[i / 64] |= GUSE_BIT_MASK(i);
	}
	guse_reply_values(req, vals);
}

static void v_set_values(struct guse_request *req, const uint64_t *mask,
			 const uint64_t *values)
{
	struct guse_virtio *v = vio_of(req);
	struct guse_chip *chip = guse_request_get_chip(req);
	unsigned int i, n = guse_chip_get_num_lines(chip);

	if (!v->ops.set_value) {
		guse_reply_error(req, EOPNOTSUPP);
		return;
	}
	for (i = 0; i < n; i++) {
		int ret;

		if (!(mask[i / 64] & GUSE_BIT_MASK(i)))
			continue;
		ret = v->ops.set_value(v->user_data, i,
				       !!(values[i / 64] & GUSE_BIT_MASK(i)));
		if (ret < 0) {
			guse_reply_error(req, to_errno(ret));
			return;
		}
	}
	guse_reply_ok(req);
}

static void v_irq_config(struct guse_request *req, unsigned int line,
			 enum guse_line_irq_type type, uint32_t flags)
{
	struct guse_virtio *v = vio_of(req);
	uint8_t t = (flags & GUSE_LINE_IRQ_F_ENABLED) ? (uint8_t)type
						      : GUSE_VIRTIO_IRQ_TYPE_NONE;

	if (!v->ops.irq_type) {
		guse_reply_ok(req);
		return;
	}
	reply_ret(req, v->ops.irq_type(v->user_data, line, t));
}

static const struct guse_chip_ops vio_chip_ops = {
	.request = v_request,
	.free = v_free,
	.get_direction = v_get_direction,
	.direction_input = v_direction_input,
	.direction_output = v_direction_output,
	.get_values = v_get_values,
	.set_values = v_set_values,
	.irq_config = v_irq_config,
};

/* Apply the backend's GET_NAMES blob to a copy of the configuration. */
static int apply_names(struct guse_virtio *v, struct guse_chip_config *cfg)
{
	size_t size = (size_t)cfg->num_lines * GUSE_NAME_SIZE;
	char *buf, *p, *end;
	unsigned int line;
	int ret;

	if (!v->ops.get_names)
		return 0;
	buf = calloc(1, size + 1);
	if (!buf)
		return -1;
	ret = v->ops.get_names(v->user_data, buf, size);
	if (ret < 0 || (size_t)ret > size) {
		free(buf);
		errno = ret < 0 ? -ret : EINVAL;
		return -1;
	}
	p = buf;
	end = buf + ret;
	for (line = 0; line < cfg->num_lines && p < end; line++) {
		size_t len = strnlen(p, (size_t)(end - p));

		if (len >= GUSE_NAME_SIZE ||
		    guse_chip_config_set_line_name(cfg, line, p) < 0) {
			free(buf);
			errno = EINVAL;
			return -1;
		}
		p += len + 1;
	}
	free(buf);
	return 0;
}

static struct guse_virtio *vio_new(int fd, const struct guse_chip_config *cfg,
				   const struct guse_virtio_ops *ops,
				   size_t ops_size, void *user_data)
{
	struct guse_chip_config copy;
	struct guse_virtio *v;
	int err;

	if (!cfg || !ops || !ops_size || !cfg->num_lines) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	memcpy(&v->ops, ops,
	       ops_size < sizeof(v->ops) ? ops_size : sizeof(v->ops));
	v->user_data = user_data;

	copy = *cfg;
	copy.names = NULL;
	copy.names_size = 0;
	copy.device_path = NULL;
	/* every read goes to the backend, inputs included (GET_VALUE) */
	copy.serve_input_reads = true;
	if (apply_names(v, &copy) < 0)
		goto err;
	copy.device_path = cfg->device_path;
	if (fd >= 0)
		v->chip = guse_chip_new_fd(fd, &copy, &vio_chip_ops,
					   sizeof(vio_chip_ops), v);
	else
		v->chip = guse_chip_new(&copy, &vio_chip_ops,
					sizeof(vio_chip_ops), v);
	if (!v->chip)
		goto err;
	free(copy.names);
	return v;
err:
	err = errno;
	free(copy.names);
	free(v);
	errno = err;
	return NULL;
}

GUSE_API struct guse_virtio *guse_virtio_new(const struct guse_chip_config *cfg,
					     const struct guse_virtio_ops *ops,
					     size_t ops_size, void *user_data)
{
	return vio_new(-1, cfg, ops, ops_size, user_data);
}

GUSE_API struct guse_virtio *
guse_virtio_new_fd(int fd, const struct guse_chip_config *cfg,
		   const struct guse_virtio_ops *ops, size_t ops_size,
		   void *user_data)
{
	if (fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	return vio_new(fd, cfg, ops, ops_size, user_data);
}

GUSE_API void guse_virtio_free(struct guse_virtio *vio)
{
	if (!vio)
		return;
	guse_chip_free(vio->chip);
	free(vio);
}

GUSE_API struct guse_chip *guse_virtio_get_chip(struct guse_virtio *vio)
{
	return vio->chip;
}

GUSE_API int guse_virtio_set_level(struct guse_virtio *vio, unsigned int line,
				   int value)
{
	return guse_chip_set_input(vio->chip, line, value);
}

GUSE_API int guse_virtio_inject_irq(struct guse_virtio *vio,
				    unsigned int line)
{
	int value, old, type;

	if (line >= guse_chip_get_num_lines(vio->chip)) {
		errno = EINVAL;
		return -1;
	}
	if (!vio->ops.get_value) {
		errno = EOPNOTSUPP;
		return -1;
	}
	value = vio->ops.get_value(vio->user_data, line);
	if (value < 0) {
		errno = -value;
		return -1;
	}
	value = !!value;
	old = guse_chip_get_input_level(vio->chip, line);
	type = guse_chip_get_irq_type(vio->chip, line, NULL);
	if (old == value && (type & GUSE_LINE_IRQ_EDGE_BOTH) &&
	    guse_chip_set_input(vio->chip, line, !value) < 0)
		return -1;
	return guse_chip_set_input(vio->chip, line, value);
}
