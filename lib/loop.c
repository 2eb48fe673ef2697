// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: a small epoll loop serving many chips. */

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

#define MAX_EVENTS 16

struct guse_loop {
	int epfd;
	int exit_fd;
	struct guse_chip *chips;
};

GUSE_API struct guse_loop *guse_loop_new(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct guse_loop *loop = calloc(1, sizeof(*loop));
	int err;

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->exit_fd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->exit_fd, &ev) < 0) {
		err = errno;
		if (loop->epfd >= 0)
			close(loop->epfd);
		if (loop->exit_fd >= 0)
			close(loop->exit_fd);
		free(loop);
		errno = err;
		return NULL;
	}
	return loop;
}

GUSE_API void guse_loop_free(struct guse_loop *loop)
{
	if (!loop)
		return;
	while (loop->chips)
		guse_loop_remove_chip(loop, loop->chips);
	close(loop->epfd);
	close(loop->exit_fd);
	free(loop);
}

GUSE_API int guse_loop_add_chip(struct guse_loop *loop, struct guse_chip *chip)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = chip };

	if (!loop || !chip) {
		errno = EINVAL;
		return -1;
	}
	if (chip->loop) {
		errno = EBUSY;
		return -1;
	}
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, chip->fd, &ev) < 0)
		return -1;
	chip->loop = loop;
	chip->loop_next = loop->chips;
	loop->chips = chip;
	return 0;
}

GUSE_API int guse_loop_remove_chip(struct guse_loop *loop,
				   struct guse_chip *chip)
{
	struct guse_chip **pp;

	if (!loop || !chip || chip->loop != loop) {
		errno = ENOENT;
		return -1;
	}
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, chip->fd, NULL);
	for (pp = &loop->chips; *pp; pp = &(*pp)->loop_next) {
		if (*pp == chip) {
			*pp = chip->loop_next;
			break;
		}
	}
	chip->loop = NULL;
	chip->loop_next = NULL;
	return 0;
}

GUSE_API void guse_loop_exit(struct guse_loop *loop)
{
	uint64_t one = 1;
	ssize_t r = write(loop->exit_fd, &one, sizeof(one));

	(void)r;
}

GUSE_API int guse_loop_run(struct guse_loop *loop)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, i;

	for (;;) {
		n = epoll_wait(loop->epfd, ev, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* exit first, so a chip event cannot delay it */
		for (i = 0; i < n; i++) {
			if (!ev[i].data.ptr) {
				uint64_t v;

				if (read(loop->exit_fd, &v, sizeof(v)) < 0) {
					/* already reset */
				}
				return 0;
			}
		}
		for (i = 0; i < n; i++) {
			struct guse_chip *chip = ev[i].data.ptr;

			/* the chip may have been removed by a callback */
			if (chip->loop != loop)
				continue;
			if (guse_chip_dispatch(chip) < 0)
				return -1;
		}
	}
}
