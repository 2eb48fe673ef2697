/* SPDX-License-Identifier: GPL-2.0-only */
/* fuzz/selftest.h: the oracle against hand-written documented cases. */
#ifndef GUSE_TESTS_FUZZ_SELFTEST_H
#define GUSE_TESTS_FUZZ_SELFTEST_H

#include <stddef.h>

/* 0, or -1 with the first case the model gets wrong in @why. */
int fz_model_selftest(char *why, size_t len);

#endif /* GUSE_TESTS_FUZZ_SELFTEST_H */
