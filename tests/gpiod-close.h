/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gpiod-close: releasing libgpiod v2 objects and seeing how the close(2)
 * went.  libgpiod's release and close functions return nothing; these
 * return 0 or the errno of the close() that dropped the last reference to
 * the object's file (where the kernel frees the request or chip handle).
 */
#ifndef GUSE_TESTS_GPIOD_CLOSE_H
#define GUSE_TESTS_GPIOD_CLOSE_H

#include <gpiod.h>

/* Releases @req (NULL: nothing to do, 0). */
int close_request(struct gpiod_line_request *req);
/* Closes @chip (NULL: nothing to do, 0). */
int close_chip(struct gpiod_chip *chip);

#endif /* GUSE_TESTS_GPIOD_CLOSE_H */
