/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guse-compat.h - every difference between the kernels gpio-guse supports
 * (6.1 up to 7.x) lives here, nowhere else.
 */
#ifndef _GUSE_COMPAT_H
#define _GUSE_COMPAT_H

#include <linux/err.h>
#include <linux/gpio/driver.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

/*
 * 6.17 made gpio_chip.set and .set_multiple return int; 6.15 and 6.16 had
 * the int-returning variants as .set_rv and .set_multiple_rv beside the
 * void ones.  GUSE_COMPAT_SET_RETURNS_INT selects the int-returning form
 * and guse_compat_set_ops() wires the callbacks.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define GUSE_COMPAT_SET_RETURNS_INT	1
#define guse_compat_set_ops(gc, set_fn, set_multiple_fn) do {	\
	(gc)->set = (set_fn);					\
	(gc)->set_multiple = (set_multiple_fn);			\
} while (0)
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define GUSE_COMPAT_SET_RETURNS_INT	1
#define guse_compat_set_ops(gc, set_fn, set_multiple_fn) do {	\
	(gc)->set_rv = (set_fn);				\
	(gc)->set_multiple_rv = (set_multiple_fn);		\
} while (0)
#else
#define GUSE_COMPAT_SET_RETURNS_INT	0
#define guse_compat_set_ops(gc, set_fn, set_multiple_fn) do {	\
	(gc)->set = (set_fn);					\
	(gc)->set_multiple = (set_multiple_fn);			\
} while (0)
#endif

#if GUSE_COMPAT_SET_RETURNS_INT
typedef int guse_compat_set_ret_t;
#define GUSE_COMPAT_SET_RETURN(ret)	return (ret)
#else
typedef void guse_compat_set_ret_t;
#define GUSE_COMPAT_SET_RETURN(ret)	return
#endif

/*
 * From 6.9 gpiolib attaches the consumer label to a descriptor only after
 * gc->request and the get_direction that follows it; before, it was set
 * before gc->request ran.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define GUSE_COMPAT_LABEL_AFTER_REQUEST	1
#else
#define GUSE_COMPAT_LABEL_AFTER_REQUEST	0
#endif

/*
 * Up to 6.8, gpiod_free() on a line whose chip was removed while it was
 * requested skips the module_put() matching gpiod_request()'s
 * try_module_get() (seen on 6.1; 6.12 and 7.3 drop it).  The driver then
 * drops those references itself, or it could never be unloaded again.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
#define GUSE_COMPAT_REMOVED_LINES_LEAK_MODULE_REF	1
#else
#define GUSE_COMPAT_REMOVED_LINES_LEAK_MODULE_REF	0
#endif

/**
 * guse_compat_line_label() - copy the consumer label of a requested line
 * @gc: the chip
 * @offset: line offset
 * @buf: destination
 * @size: size of @buf
 *
 * Must not be called from gc->request on kernels where
 * GUSE_COMPAT_LABEL_AFTER_REQUEST is set (the label is not there yet).
 *
 * Return: true if the line is requested and has a label (copied into
 * @buf), false otherwise (@buf is set to "").
 */
static inline bool guse_compat_line_label(struct gpio_chip *gc,
					  unsigned int offset, char *buf,
					  size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	char *label = gpiochip_dup_line_label(gc, offset);

	buf[0] = '\0';
	if (IS_ERR_OR_NULL(label))
		return false;
	strscpy(buf, label, size);
	kfree(label);
	return true;
#else
	const char *label = gpiochip_is_requested(gc, offset);

	buf[0] = '\0';
	if (!label)
		return false;
	strscpy(buf, label, size);
	return true;
#endif
}

#endif /* _GUSE_COMPAT_H */
