// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse's unit-test fake kernel, compiled unchanged into
 * _guse_fake_kernel (one source of truth: lib/tests/fake-kernel.c). */
#include "fake-kernel.c"
