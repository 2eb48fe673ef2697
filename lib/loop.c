// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: a small epoll loop serving many chips. */

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

#define MAX_EVENTS 16
/*
 * Messages one chip may handle per wakeup.  A chip that still has messages
 * stays readable and epoll (level-triggered) reports it again after the
 * other ready chips, so a busy chip cannot starve the others.
 */
#define CHIP_BUDGET 32

/*
 * The loop: an epoll set of its chips' descriptors and of exit_fd.  Used
 * from one thread at a time (see guse.h); no lock.  ev[0..nev) is the batch
 * guse_loop_run() is working through: removing a chip clears its entries,
 * so that a chip freed by a callback is not touched later in the batch.
 */
struct guse_loop {
	int epfd;
	int exit_fd;
	struct guse_chip *chips;	/* chip->loop_next list */
	struct epoll_event ev[MAX_EVENTS];
	int nev;
	struct guse_chip *failed;	/* made the last run fail */
};

/* epoll data of exit_fd; NULL marks a removed chip's entry in ev[] */
#define EXIT_MARK(loop) ((void *)&(loop)->exit_fd)

GUSE_API struct guse_loop *guse_loop_new(void)
{
	struct guse_loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!loop)
		return NULL;
	ev.data.ptr = EXIT_MARK(loop);
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
	int i;

	if (!loop || !chip || chip->loop != loop) {
		errno = ENOENT;
		return -1;
	}
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, chip->fd, NULL);
	for (i = 0; i < loop->nev; i++)
		if (loop->ev[i].data.ptr == chip)
			loop->ev[i].data.ptr = NULL;
	if (loop->failed == chip)
		loop->failed = NULL;
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
	int ret = 0, i;

	loop->failed = NULL;
	for (;;) {
		loop->nev = epoll_wait(loop->epfd, loop->ev, MAX_EVENTS, -1);
		if (loop->nev < 0) {
			loop->nev = 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* exit first, so a chip event cannot delay it */
		for (i = 0; i < loop->nev; i++) {
			if (loop->ev[i].data.ptr == EXIT_MARK(loop)) {
				uint64_t v;

				if (read(loop->exit_fd, &v, sizeof(v)) < 0) {
					/* already reset */
				}
				goto out;
			}
		}
		for (i = 0; i < loop->nev; i++) {
			struct guse_chip *chip = loop->ev[i].data.ptr;

			/* NULL: removed (maybe freed) by a callback */
			if (chip && guse_chip_dispatch_some(chip,
							    CHIP_BUDGET) < 0) {
				loop->failed = chip;
				ret = -1;
				goto out;
			}
		}
	}
out:
	loop->nev = 0;
	return ret;
}

GUSE_API struct guse_chip *guse_loop_get_failed_chip(struct guse_loop *loop)
{
	return loop->failed;
}
