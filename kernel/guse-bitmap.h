/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guse-bitmap.h - line bitmaps between the kernel's unsigned long bitmaps
 * and the protocol's little-endian 64-bit words (struct guse_bitmap), for
 * gpio-guse.ko and gpio-sim.ko.
 */
#ifndef _GUSE_BITMAP_H
#define _GUSE_BITMAP_H

#include <linux/bitmap.h>
#include <linux/guse.h>
#include <linux/types.h>

/**
 * guse_bitmap_to_le64() - a line bitmap as protocol words
 * @dst: GUSE_BITMAP_WORDS(@nbits) words
 * @src: the bitmap
 * @nbits: number of lines, at most GUSE_LINES_MAX
 */
static inline void guse_bitmap_to_le64(__le64 *dst, const unsigned long *src,
				       unsigned int nbits)
{
	u64 tmp[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	unsigned int i;

	bitmap_to_arr64(tmp, src, nbits);
	for (i = 0; i < GUSE_BITMAP_WORDS(nbits); i++)
		dst[i] = cpu_to_le64(tmp[i]);
}

/**
 * guse_bitmap_from_le64() - protocol words as a line bitmap
 * @dst: the bitmap of @nbits bits; bits beyond them are cleared
 * @src: GUSE_BITMAP_WORDS(@nbits) words
 * @nbits: number of lines, at most GUSE_LINES_MAX
 */
static inline void guse_bitmap_from_le64(unsigned long *dst,
					 const __le64 *src, unsigned int nbits)
{
	u64 tmp[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	unsigned int i;

	for (i = 0; i < GUSE_BITMAP_WORDS(nbits); i++)
		tmp[i] = le64_to_cpu(src[i]);
	bitmap_from_arr64(dst, tmp, nbits);
}

#endif /* _GUSE_BITMAP_H */
