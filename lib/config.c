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

GUSE_API void guse_chip_config_set_hold_outputs(struct guse_chip_config *cfg,
						bool hold)
{
	if (cfg)
		cfg->hold_outputs = hold;
}
