// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: chip configuration. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
	free(cfg->lines);
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

GUSE_API void guse_chip_config_set_serve_input_reads(struct guse_chip_config *cfg,
						     bool serve)
{
	if (cfg)
		cfg->serve_input_reads = serve;
}

GUSE_API void guse_chip_config_set_output_cache(struct guse_chip_config *cfg,
						 bool cache)
{
	if (cfg)
		cfg->output_cache = cache;
}

GUSE_API void guse_chip_config_set_hold_outputs(struct guse_chip_config *cfg,
						bool hold)
{
	if (cfg)
		cfg->hold_outputs = hold;
}

/* The creation-time state of @line, allocated on first use. */
static struct guse_line_config *line_config(struct guse_chip_config *cfg,
					    unsigned int line)
{
	if (!cfg || line >= GUSE_LINES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (!cfg->lines) {
		cfg->lines = calloc(GUSE_LINES_MAX, sizeof(*cfg->lines));
		if (!cfg->lines)
			return NULL;
	}
	if (line >= cfg->lines_size)
		cfg->lines_size = line + 1;
	return &cfg->lines[line];
}

static bool direction_ok(int direction, int value)
{
	return (direction == GUSE_LINE_DIRECTION_INPUT ||
		direction == GUSE_LINE_DIRECTION_OUTPUT) &&
	       (value == 0 || value == 1);
}

GUSE_API int guse_chip_config_set_line_direction(struct guse_chip_config *cfg,
						 unsigned int line,
						 int direction, int value)
{
	struct guse_line_config *l;

	if (!direction_ok(direction, value)) {
		errno = EINVAL;
		return -1;
	}
	l = line_config(cfg, line);
	if (!l)
		return -1;
	l->direction = (uint8_t)direction;
	l->value = (uint8_t)value;
	return 0;
}

GUSE_API int guse_chip_config_set_line_pull(struct guse_chip_config *cfg,
					    unsigned int line, int value)
{
	struct guse_line_config *l;

	if (value != 0 && value != 1) {
		errno = EINVAL;
		return -1;
	}
	l = line_config(cfg, line);
	if (!l)
		return -1;
	l->pull = (uint8_t)value;
	return 0;
}

GUSE_API int guse_chip_config_set_line_hog(struct guse_chip_config *cfg,
					   unsigned int line,
					   const char *consumer,
					   int direction, int value)
{
	char tmp[GUSE_NAME_SIZE];
	struct guse_line_config *l;

	if (copy_name(tmp, consumer, true) ||
	    (tmp[0] && !direction_ok(direction, value))) {
		errno = EINVAL;
		return -1;
	}
	l = line_config(cfg, line);
	if (!l)
		return -1;
	memcpy(l->hog, tmp, sizeof(tmp));
	if (tmp[0]) {
		l->direction = (uint8_t)direction;
		l->value = (uint8_t)value;
	}
	return 0;
}

GUSE_API int guse_chip_config_set_line_valid(struct guse_chip_config *cfg,
					     unsigned int line, bool valid)
{
	struct guse_line_config *l = line_config(cfg, line);

	if (!l)
		return -1;
	l->invalid = !valid;
	return 0;
}
