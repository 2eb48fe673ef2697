/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between the benchmark client (guse-bench) and the CUSE reference
 * server (guse-bench-cuse): the device name and the one ioctl it answers.
 */
#ifndef GUSE_TESTS_BENCH_H
#define GUSE_TESTS_BENCH_H

#include <linux/ioctl.h>
#include <stdint.h>

/* /dev/<name> of the CUSE reference device */
#define BENCH_CUSE_DEVNAME "guse_bench_cuse"

/*
 * A fixed-size _IOR ioctl, so that CUSE's restricted ioctl path copies the
 * reply out directly (no retry): the same shape as GPIO_V2_LINE_GET_VALUES
 * (two 64-bit words), read only.
 */
struct bench_cuse_values {
	uint64_t bits;
	uint64_t mask;
};

#define BENCH_CUSE_IOC_GET _IOR('B', 1, struct bench_cuse_values)

#endif /* GUSE_TESTS_BENCH_H */
