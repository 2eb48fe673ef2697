// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-bench-cuse: the CUSE reference server of the benchmarks.
 *
 * A character device /dev/guse_bench_cuse served by a single-threaded
 * libfuse3 low-level CUSE loop that answers one fixed-size _IOR ioctl
 * (BENCH_CUSE_IOC_GET) and nothing else: the smallest ioctl round trip
 * through a userspace server that exists in stock kernels.  guse-bench
 * cuse times it.
 *
 * usage: guse-bench-cuse [-d]        (runs in the foreground until killed)
 */
#define FUSE_USE_VERSION 31

#include <cuse_lowlevel.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static unsigned long long served;

static void bc_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void bc_ioctl(fuse_req_t req, int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned int flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct bench_cuse_values v = { .bits = 0x5, .mask = 0x1 };

	(void)arg;
	(void)fi;
	(void)in_buf;
	(void)in_bufsz;
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if ((unsigned int)cmd != BENCH_CUSE_IOC_GET || out_bufsz < sizeof(v)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	v.bits = ++served;
	fuse_reply_ioctl(req, 0, &v, sizeof(v));
}

static void bc_init_done(void *userdata)
{
	(void)userdata;
	printf("ready /dev/%s\n", BENCH_CUSE_DEVNAME);
	fflush(stdout);
}

static const struct cuse_lowlevel_ops bc_ops = {
	.init_done = bc_init_done,
	.open = bc_open,
	.ioctl = bc_ioctl,
};

int main(int argc, char **argv)
{
	const char *dev_info_argv[] = { "DEVNAME=" BENCH_CUSE_DEVNAME };
	/* foreground, single-threaded: the minimal server */
	char *args[] = { argv[0], "-f", "-s", NULL, NULL };
	int nargs = 3;
	struct cuse_info ci;

	if (argc > 1 && strcmp(argv[1], "-d") == 0)
		args[nargs++] = "-d";
	memset(&ci, 0, sizeof(ci));
	ci.dev_info_argc = 1;
	ci.dev_info_argv = dev_info_argv;
	ci.flags = 0;	/* restricted ioctls */
	return cuse_lowlevel_main(nargs, args, &ci, &bc_ops, NULL);
}
