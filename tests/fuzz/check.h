/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/check.h: what must hold after fuzzing: the chip still works for a
 * clean libgpiod consumer, and it goes when its server closes the file.
 */
#ifndef GUSE_TESTS_FUZZ_CHECK_H
#define GUSE_TESTS_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

/*
 * A round trip through the server: @out_line requested as output, driven
 * and read back; @in_line requested as input with edge detection, levels
 * injected, both edges seen and the level read; then every valid line
 * requested at once.  The server must be in clean mode.  0, or -1 with @why.
 */
int fz_check_chip(struct fz_server *s, unsigned int out_line,
		  unsigned int in_line, char *why, size_t len);
/*
 * The line info of every line of /dev/@chip_name agrees with what the
 * messages the kernel took made of it: invalid and claimed lines are used,
 * the others free (call when no consumer holds a line), and lines outside
 * @host are outputs exactly when @is_output says so.  0, or -1 with @why.
 */
int fz_check_lines(const char *chip_name, unsigned int ngpio,
		   const uint64_t *invalid, const uint64_t *claimed,
		   const uint64_t *is_output, const uint64_t *host, char *why,
		   size_t len);
/* /dev/gpiochipN and /sys/class/guse/guseN of the chip exist. */
bool fz_chip_present(const struct guse_ready *r);
/* Waits up to @ms for both to disappear. */
bool fz_chip_gone(const struct guse_ready *r, int ms);

#endif /* GUSE_TESTS_FUZZ_CHECK_H */
