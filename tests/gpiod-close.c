// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpiod-close: keep a duplicate of the object's descriptor, let libgpiod
 * close its own, then close the duplicate, the last reference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "gpiod-close.h"

/* @dup_err: errno of a failed F_DUPFD (@dupfd < 0) */
static int close_last(int dupfd, int dup_err)
{
	if (dupfd < 0)
		return dup_err;
	return close(dupfd) ? errno : 0;
}

int close_request(struct gpiod_line_request *req)
{
	int fd, err;

	if (!req)
		return 0;
	fd = fcntl(gpiod_line_request_get_fd(req), F_DUPFD_CLOEXEC, 0);
	err = errno;
	gpiod_line_request_release(req);
	return close_last(fd, err);
}

int close_chip(struct gpiod_chip *chip)
{
	int fd, err;

	if (!chip)
		return 0;
	fd = fcntl(gpiod_chip_get_fd(chip), F_DUPFD_CLOEXEC, 0);
	err = errno;
	gpiod_chip_close(chip);
	return close_last(fd, err);
}
