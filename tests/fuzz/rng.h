/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz/rng.h: the seeded pseudo-random generator of the fuzzer (splitmix64).
 * Every thread has its own stream, derived from the run's seed and a stream
 * name, so the choices of one thread do not depend on the timing of others.
 */
#ifndef GUSE_TESTS_FUZZ_RNG_H
#define GUSE_TESTS_FUZZ_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fz_rng {
	uint64_t state;
};

static inline uint64_t fz_next(struct fz_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stream @name of the run @seed. */
static inline void fz_seed(struct fz_rng *r, uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a of the name */

	while (*name)
		h = (h ^ (unsigned char)*name++) * 0x100000001b3ULL;
	r->state = seed ^ h;
	fz_next(r);
}

/* Uniform in [0, n); 0 when n is 0. */
static inline uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return n ? (uint32_t)(fz_next(r) % n) : 0;
}

/* True with probability @permille / 1000. */
static inline bool fz_chance(struct fz_rng *r, unsigned int permille)
{
	return fz_below(r, 1000) < permille;
}

static inline void fz_fill(struct fz_rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i % 8))
			v = fz_next(r);
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

#endif /* GUSE_TESTS_FUZZ_RNG_H */
