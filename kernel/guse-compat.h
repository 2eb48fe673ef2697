/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guse-compat.h - every difference between the kernels gpio-guse supports
 * (6.1 up to 7.x) lives here, nowhere else.  Differences are detected from
 * the kernel's headers (types, or probes run by Kbuild), never from version
 * numbers.
 */
#ifndef _GUSE_COMPAT_H
#define _GUSE_COMPAT_H

#include <linux/err.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/driver.h>
#include <linux/slab.h>
#include <linux/string.h>

/**
 * guse_compat_set_ops() - install the set callbacks gpiolib expects
 * @gc: the chip
 * @set_int: .set returning int (6.17 and later)
 * @set_void: .set returning void (until 6.16)
 * @set_multiple_int: .set_multiple returning int
 * @set_multiple_void: .set_multiple returning void
 *
 * The type of the member picks the variant, so no version check is needed.
 */
static inline void
guse_compat_set_ops(struct gpio_chip *gc,
		    int (*set_int)(struct gpio_chip *, unsigned int, int),
		    void (*set_void)(struct gpio_chip *, unsigned int, int),
		    int (*set_multiple_int)(struct gpio_chip *, unsigned long *,
					    unsigned long *),
		    void (*set_multiple_void)(struct gpio_chip *,
					      unsigned long *,
					      unsigned long *))
{
	gc->set = __builtin_choose_expr(__same_type(gc->set, set_int),
					set_int, set_void);
	gc->set_multiple =
		__builtin_choose_expr(__same_type(gc->set_multiple,
						  set_multiple_int),
				      set_multiple_int, set_multiple_void);
}

/*
 * GUSE_HAVE_GPIOCHIP_DUP_LINE_LABEL is set by Kbuild when the kernel's
 * headers declare gpiochip_dup_line_label() (6.8 and later).  The driver
 * also takes it as the mark of the gpiolib that keeps descriptor labels
 * under SRCU (6.9 and later; 6.8 itself is not supported), which differs
 * in two behaviours the driver depends on (6.1 shows the old ones, 6.12
 * and 7.3 the new ones):
 *
 * - the consumer label is attached only after gc->request and the
 *   get_direction that follows it (before, it was attached first), so it
 *   must not be looked up from gc->request;
 * - a chip can be removed while consumers hold its lines.  Older gpiolib
 *   (seen on 6.1) cannot: gpiod_free() then skips the module and device
 *   references gpiod_request() took, the gpio_device stays on gpiolib's
 *   list without a chip, and releasing the line notifies line-info
 *   watchers, which dereference the chip gpiolib cleared (an oops).  There
 *   the driver removes the chip of a dead server only once every line of it
 *   has been released (GUSE_COMPAT_REMOVE_WHEN_RELEASED).
 */
#ifdef GUSE_HAVE_GPIOCHIP_DUP_LINE_LABEL
#define GUSE_COMPAT_LABEL_AFTER_REQUEST		1
#define GUSE_COMPAT_REMOVE_WHEN_RELEASED	0
#else
#define GUSE_COMPAT_LABEL_AFTER_REQUEST		0
#define GUSE_COMPAT_REMOVE_WHEN_RELEASED	1
#endif

/*
 * GUSE_HAVE_ARCH_NR_GPIOS is set by Kbuild when the headers define
 * ARCH_NR_GPIOS (up to 6.1): gpiolib then hands out dynamic GPIO bases
 * counting down from it to 0, so a chip's legacy sysfs device
 * "gpiochip<base>" can have the name of a character device
 * "gpiochip<id>" (a 1024-line chip always gets base 0, and the id 0 when
 * it is the only chip).  Both are children of gc->parent, and the second
 * fails to register (sysfs_warn_dup).  There the gpio_chip gets a parent
 * that is not a class device, which makes the driver core put the legacy
 * class device into a "gpio" directory of its own.  Later gpiolib starts
 * dynamic bases at 512.
 */
#ifdef GUSE_HAVE_ARCH_NR_GPIOS
#define GUSE_COMPAT_PLAIN_PARENT		1
#else
#define GUSE_COMPAT_PLAIN_PARENT		0
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
#ifdef GUSE_HAVE_GPIOCHIP_DUP_LINE_LABEL
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

/**
 * guse_compat_line_requested() - whether gpiolib counts a line requested
 * @gc: the chip
 * @offset: line offset
 *
 * gpiolib marks a line requested before it calls gc->request and clears
 * the mark only after gc->free has returned.  The SRCU gpiolib (6.9 and
 * later) copies the descriptor's flags before calling gc->free and writes
 * the copy back afterwards, so a direction set on the descriptor while a
 * release is between the two (a device-side change the server sends as
 * soon as it read the FREE) would be lost: gpiolib would go on showing the
 * old direction.  Until the mark is gone the line is not the device's.
 * A requested line without a label (it is being released) makes
 * gpiochip_dup_line_label() fail with -ENOMEM: requested all the same.
 * Not from atomic context (the label is copied).
 *
 * Return: true if gpiolib holds @offset as requested.
 */
static inline bool guse_compat_line_requested(struct gpio_chip *gc,
					      unsigned int offset)
{
#ifdef GUSE_HAVE_GPIOCHIP_DUP_LINE_LABEL
	char *label = gpiochip_dup_line_label(gc, offset);

	if (!label)
		return false;
	if (!IS_ERR(label))
		kfree(label);
	return true;
#else
	return gpiochip_is_requested(gc, offset);
#endif
}

/**
 * guse_compat_drop_label() - free the consumer label of a dying chip's line
 * @gc: the chip, being removed from gpiolib, its gpio_device referenced
 *	by the caller
 * @offset: a line that was requested when the chip was removed
 *
 * The gpiolib that removes chips with lines still requested (see
 * GUSE_COMPAT_REMOVE_WHEN_RELEASED) does not free their labels when they
 * are released afterwards: this does it first.  The older gpiolib never
 * gets here with a requested line.  The caller makes sure that nobody else
 * writes the label meanwhile.  GUSE_HAVE_GPIO_DEVICE_GET_DESC is set
 * by Kbuild when the headers declare gpio_device_get_desc() (6.8 and
 * later).
 */
static inline void guse_compat_drop_label(struct gpio_chip *gc,
					  unsigned int offset)
{
#ifdef GUSE_HAVE_GPIO_DEVICE_GET_DESC
	struct gpio_desc *desc = gpio_device_get_desc(gc->gpiodev, offset);

	if (!IS_ERR(desc))
		gpiod_set_consumer_name(desc, NULL);
#endif
}

/**
 * guse_compat_line_desc() - gpiolib's descriptor of one of our lines
 * @gc: the chip, registered
 * @offset: the line
 *
 * gpio_device_get_desc() from 6.8; before, gpiochip_get_desc() is not in
 * the public headers, but the legacy global number of a registered chip's
 * line still names its descriptor.
 *
 * Return: the descriptor, or NULL.
 */
static inline struct gpio_desc *guse_compat_line_desc(struct gpio_chip *gc,
						      unsigned int offset)
{
#ifdef GUSE_HAVE_GPIO_DEVICE_GET_DESC
	struct gpio_desc *desc = gpio_device_get_desc(gc->gpiodev, offset);

	return IS_ERR(desc) ? NULL : desc;
#else
	return gpio_to_desc(gc->base + offset);
#endif
}

#endif /* _GUSE_COMPAT_H */
