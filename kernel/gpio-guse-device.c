// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-guse device side: what the modelled controller itself does to its
 * lines, as the server reports it (protocol 1.1).
 *
 * - The state of every line at creation (GUSE_CREATE_F_LINE_INIT): initial
 *   direction and level, lines missing from the valid mask, hogs.
 * - GUSE_OP_LINE_DIRECTION: the device made a line an input or an output
 *   (a guest programmed its direction register).
 * - GUSE_OP_CLAIM / GUSE_OP_UNCLAIM: the device takes a line for itself
 *   (a guest's peripheral uses the pin) and gives it back.
 *
 * Each change goes through gpiolib's own entry points, so that its
 * descriptors, line info and line-info watchers see it as they would a
 * driver's: a claim is gpiochip_request_own_desc(), a direction change
 * gpiod_direction_input() or gpiod_direction_output_raw().  gpiolib calls
 * the chip back for them; those callbacks (guse_gpio_is_device_side())
 * answer from the chip's own state instead of asking the server, which is
 * inside the write() that reported the change.
 *
 * A line a host consumer holds (requested, or used as an interrupt) is not
 * changed: the message fails with EBUSY and the consumer keeps its line.
 */
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/driver.h>
#include <linux/gpio/machine.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <linux/guse.h>

#include "gpio-guse.h"
#include "guse-compat.h"

int guse_gpio_check_line_init(const void *data, size_t len,
			      unsigned int num_lines)
{
	const struct guse_line_init *init = data;
	const char (*labels)[GUSE_NAME_SIZE];
	unsigned int i, hogs = 0;
	u32 flags;

	if (len < (size_t)num_lines * sizeof(*init))
		return -EINVAL;
	for (i = 0; i < num_lines; i++) {
		flags = le32_to_cpu(init[i].flags);
		if (flags & ~GUSE_LINE_INIT_F_ALL || init[i].reserved)
			return -EINVAL;
		if (flags & GUSE_LINE_INIT_F_INVALID &&
		    flags != GUSE_LINE_INIT_F_INVALID)
			return -EINVAL;
		if (flags & GUSE_LINE_INIT_F_HOG)
			hogs++;
	}
	if (len != (size_t)num_lines * sizeof(*init) +
		   (size_t)hogs * GUSE_NAME_SIZE)
		return -EINVAL;
	labels = (const void *)(init + num_lines);
	for (i = 0; i < hogs; i++)
		if (!guse_gpio_name_valid(labels[i], false))
			return -EINVAL;
	return 0;
}

static int guse_gpio_init_valid_mask(struct gpio_chip *gc,
				     unsigned long *valid_mask,
				     unsigned int ngpios)
{
	struct guse_gpio *chip = gpiochip_get_data(gc);

	bitmap_andnot(valid_mask, valid_mask, chip->invalid, ngpios);
	return 0;
}

int guse_gpio_device_setup(struct guse_gpio *chip,
			   const struct guse_line_init *init)
{
	unsigned int line, n = chip->gc.ngpio;
	u32 flags;

	chip->claim_desc = kcalloc(n, sizeof(*chip->claim_desc),
				   GFP_KERNEL_ACCOUNT);
	chip->claimed = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	chip->released = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	if (!chip->claim_desc || !chip->claimed || !chip->released)
		return -ENOMEM;
	mutex_init(&chip->dev_lock);
	if (!init)
		return 0;

	for (line = 0; line < n; line++) {
		flags = le32_to_cpu(init[line].flags);
		if (flags & GUSE_LINE_INIT_F_INVALID) {
			if (!chip->invalid) {
				chip->invalid = bitmap_zalloc(n,
							      GFP_KERNEL_ACCOUNT);
				if (!chip->invalid)
					return -ENOMEM;
			}
			set_bit(line, chip->invalid);
		}
		/* no lock yet: nothing else sees the chip */
		__assign_bit(line, chip->is_output,
			     flags & GUSE_LINE_INIT_F_OUTPUT);
		__assign_bit(line, chip->levels,
			     !(flags & GUSE_LINE_INIT_F_OUTPUT) &&
			     flags & GUSE_LINE_INIT_F_VALUE);
		__assign_bit(line, chip->out_known,
			     flags & GUSE_LINE_INIT_F_OUTPUT);
		__assign_bit(line, chip->out_values,
			     flags & GUSE_LINE_INIT_F_OUTPUT &&
			     flags & GUSE_LINE_INIT_F_VALUE);
		/* a hog's line is taken from the start (guse_gpio_request()) */
		__assign_bit(line, chip->claimed, flags & GUSE_LINE_INIT_F_HOG);
	}
	if (chip->invalid)
		chip->gc.init_valid_mask = guse_gpio_init_valid_mask;
	return 0;
}

void guse_gpio_device_free(struct guse_gpio *chip)
{
	bitmap_free(chip->invalid);
	bitmap_free(chip->claimed);
	bitmap_free(chip->released);
	kfree(chip->claim_desc);
}

bool guse_gpio_is_device_side(struct guse_gpio *chip, unsigned int line)
{
	return READ_ONCE(chip->dev_task) == current &&
	       READ_ONCE(chip->dev_line) == line;
}

/* Marks the current task as applying a change of @line; dev_lock held. */
static void guse_gpio_dev_begin(struct guse_gpio *chip, unsigned int line)
{
	lockdep_assert_held(&chip->dev_lock);
	WRITE_ONCE(chip->dev_line, line);
	WRITE_ONCE(chip->dev_task, current);
}

static void guse_gpio_dev_end(struct guse_gpio *chip)
{
	WRITE_ONCE(chip->dev_task, NULL);
}

/* Takes @line for the device with gpiolib's hog mechanism; dev_lock held. */
static int guse_gpio_claim(struct guse_gpio *chip, unsigned int line,
			   const char *label, enum gpiod_flags dflags)
{
	struct gpio_desc *desc;

	guse_gpio_dev_begin(chip, line);
	desc = gpiochip_request_own_desc(&chip->gc, line, label,
					 GPIO_LOOKUP_FLAGS_DEFAULT, dflags);
	guse_gpio_dev_end(chip);
	if (IS_ERR(desc))
		return PTR_ERR(desc);
	chip->claim_desc[line] = desc;
	set_bit(line, chip->claimed);
	return 0;
}

static void guse_gpio_unclaim(struct guse_gpio *chip, unsigned int line)
{
	guse_gpio_dev_begin(chip, line);
	gpiochip_free_own_desc(chip->claim_desc[line]);
	guse_gpio_dev_end(chip);
	chip->claim_desc[line] = NULL;
	clear_bit(line, chip->claimed);
}

int guse_gpio_device_hogs(struct guse_gpio *chip,
			  const struct guse_line_init *init)
{
	const char (*labels)[GUSE_NAME_SIZE];
	unsigned int line, hog = 0;
	enum gpiod_flags dflags;
	int ret = 0;
	u32 flags;

	if (!init)
		return 0;
	labels = (const void *)(init + chip->gc.ngpio);
	mutex_lock(&chip->dev_lock);
	for (line = 0; line < chip->gc.ngpio; line++) {
		flags = le32_to_cpu(init[line].flags);
		if (!(flags & GUSE_LINE_INIT_F_HOG))
			continue;
		if (!(flags & GUSE_LINE_INIT_F_OUTPUT))
			dflags = GPIOD_IN;
		else if (flags & GUSE_LINE_INIT_F_VALUE)
			dflags = GPIOD_OUT_HIGH;
		else
			dflags = GPIOD_OUT_LOW;
		/* the line is marked claimed already: drop that for the call */
		clear_bit(line, chip->claimed);
		ret = guse_gpio_claim(chip, line, labels[hog++], dflags);
		if (ret)
			break;
	}
	mutex_unlock(&chip->dev_lock);
	return ret;
}

void guse_gpio_device_release(struct guse_gpio *chip)
{
	unsigned int line;

	mutex_lock(&chip->dev_lock);
	for_each_set_bit(line, chip->claimed, chip->gc.ngpio) {
		if (chip->claim_desc[line])
			guse_gpio_unclaim(chip, line);
		else
			clear_bit(line, chip->claimed);	/* a hog never taken */
	}
	mutex_unlock(&chip->dev_lock);
}

/* Sets the level the kernel holds for @line as a SET_INPUTS would. */
static int guse_gpio_inject_one(struct guse_gpio *chip, unsigned int line,
				bool level)
{
	unsigned int words = GUSE_BITMAP_WORDS(chip->gc.ngpio);
	size_t len = sizeof(struct guse_bitmap) + 2 * words * sizeof(__le64);
	struct guse_bitmap *bm;
	int ret;

	bm = kzalloc(len, GFP_KERNEL);
	if (!bm)
		return -ENOMEM;
	bm->num_words = cpu_to_le32(words);
	bm->words[line / 64] = cpu_to_le64(BIT_ULL(line % 64));
	if (level)
		bm->words[words + line / 64] = cpu_to_le64(BIT_ULL(line % 64));
	ret = guse_gpio_set_inputs(chip, bm, len);
	kfree(bm);
	return ret;
}

/* A line a message may name: on the chip and in the valid mask. */
static bool guse_gpio_line_ok(struct guse_gpio *chip, u32 line)
{
	return line < chip->gc.ngpio &&
	       !(chip->invalid && test_bit(line, chip->invalid));
}

/* Bound of the wait for gpiolib to finish a release, in 100-200 us steps. */
#define GUSE_RELEASE_WAIT_STEPS	2000

/* Who has @line, as far as a device-side change is concerned. */
enum guse_gpio_holder {
	GUSE_GPIO_FREE,		/* nobody */
	GUSE_GPIO_RELEASED,	/* nobody: a host consumer released it last */
	GUSE_GPIO_HELD,		/* a host consumer */
};

/*
 * Who holds @line; dev_lock held.  Between our FREE and the end of
 * gpiolib's release the line is neither ours nor the consumer's: a change
 * made then would be lost (see guse_compat_line_requested()).  The server
 * reads the FREE at once, so that window is waited out here; the same wait
 * covers a request gpiolib has begun and not yet handed to us (it then
 * ends held).
 */
static enum guse_gpio_holder guse_gpio_holder(struct guse_gpio *chip,
					      unsigned int line)
{
	unsigned int step;
	bool held, released;

	for (step = 0; ; step++) {
		mutex_lock(&chip->lines_lock);
		held = test_bit(line, chip->requested);
		released = test_bit(line, chip->released);
		mutex_unlock(&chip->lines_lock);
		if (held || gpiochip_line_is_irq(&chip->gc, line))
			return GUSE_GPIO_HELD;
		if (!guse_compat_line_requested(&chip->gc, line))
			return released ? GUSE_GPIO_RELEASED : GUSE_GPIO_FREE;
		if (step == GUSE_RELEASE_WAIT_STEPS)
			return GUSE_GPIO_HELD;
		usleep_range(100, 200);
	}
}

/* The device side has taken over @line since its last release. */
static void guse_gpio_forget_release(struct guse_gpio *chip, unsigned int line)
{
	mutex_lock(&chip->lines_lock);
	clear_bit(line, chip->released);
	mutex_unlock(&chip->lines_lock);
}

/* Applies a direction to @desc as the device side; dev_lock held. */
static int guse_gpio_apply_direction(struct guse_gpio *chip,
				     struct gpio_desc *desc, unsigned int line,
				     u32 dir, u32 value)
{
	int ret;

	guse_gpio_dev_begin(chip, line);
	if (dir == GUSE_DIRECTION_INPUT)
		ret = gpiod_direction_input(desc);
	else
		ret = gpiod_direction_output_raw(desc, value);
	guse_gpio_dev_end(chip);
	return ret;
}

static int guse_gpio_line_direction(struct guse_gpio *chip,
				    const struct guse_device_direction *msg)
{
	u32 line = le32_to_cpu(msg->line), dir = le32_to_cpu(msg->direction);
	u32 value = le32_to_cpu(msg->value);
	enum guse_gpio_holder holder;
	struct gpio_desc *desc;
	int ret;

	if (!guse_gpio_line_ok(chip, line) || msg->reserved || value > 1 ||
	    (dir != GUSE_DIRECTION_INPUT && dir != GUSE_DIRECTION_OUTPUT))
		return -EINVAL;

	mutex_lock(&chip->dev_lock);
	if (test_bit(line, chip->claimed)) {
		holder = GUSE_GPIO_FREE;
		desc = chip->claim_desc[line];
	} else {
		holder = guse_gpio_holder(chip, line);
		desc = guse_compat_line_desc(&chip->gc, line);
	}
	if (holder == GUSE_GPIO_HELD) {
		ret = -EBUSY;
		goto out;
	}
	if (!desc) {
		ret = -EINVAL;
		goto out;
	}

	/*
	 * An input's level goes the way of SET_INPUTS, behind injections
	 * queued before (they may change this line too).
	 */
	if (dir == GUSE_DIRECTION_INPUT) {
		ret = guse_gpio_inject_one(chip, line, value);
		if (ret)
			goto out;
	}
	ret = guse_gpio_apply_direction(chip, desc, line, dir, value);
	if (ret || holder != GUSE_GPIO_RELEASED)
		goto out;
	guse_gpio_forget_release(chip, line);
	/*
	 * The gpiolib of 7.x drops the label before it writes its copy of the
	 * flags back, so the last instructions of a release can still undo
	 * the change unseen.  Once they have surely run, have gpiolib read the
	 * direction again: it is answered here, from the chip's state, and
	 * restores its flag without a second line-info event.
	 */
	usleep_range(1000, 2000);
	if (guse_gpio_holder(chip, line) != GUSE_GPIO_HELD) {
		guse_gpio_dev_begin(chip, line);
		gpiod_get_direction(desc);
		guse_gpio_dev_end(chip);
	}
out:
	mutex_unlock(&chip->dev_lock);
	return ret;
}

static int guse_gpio_claim_msg(struct guse_gpio *chip,
			       const struct guse_line_consumer *msg)
{
	enum guse_gpio_holder holder = GUSE_GPIO_HELD;
	u32 line = le32_to_cpu(msg->line);
	int ret = -EBUSY;

	if (!guse_gpio_line_ok(chip, line) || msg->reserved ||
	    !guse_gpio_name_valid(msg->consumer, false))
		return -EINVAL;

	mutex_lock(&chip->dev_lock);
	if (!test_bit(line, chip->claimed))
		holder = guse_gpio_holder(chip, line);
	if (holder != GUSE_GPIO_HELD)
		ret = guse_gpio_claim(chip, line, msg->consumer, GPIOD_ASIS);
	/*
	 * gpiolib refuses a request while its release mark stays, which the
	 * last instructions of a 7.x release still hold (see
	 * guse_gpio_line_direction()): once they have surely run, again.
	 */
	if (ret == -EBUSY && holder == GUSE_GPIO_RELEASED) {
		usleep_range(1000, 2000);
		ret = guse_gpio_claim(chip, line, msg->consumer, GPIOD_ASIS);
	}
	if (!ret && holder == GUSE_GPIO_RELEASED)
		guse_gpio_forget_release(chip, line);
	mutex_unlock(&chip->dev_lock);
	return ret;
}

static int guse_gpio_unclaim_msg(struct guse_gpio *chip,
				 const struct guse_line *msg)
{
	u32 line = le32_to_cpu(msg->line);
	int ret = 0;

	if (!guse_gpio_line_ok(chip, line) || msg->reserved)
		return -EINVAL;

	mutex_lock(&chip->dev_lock);
	if (test_bit(line, chip->claimed) && chip->claim_desc[line])
		guse_gpio_unclaim(chip, line);
	else
		ret = -EINVAL;
	mutex_unlock(&chip->dev_lock);
	return ret;
}

int guse_gpio_device_notify(struct guse_gpio *chip, u16 opcode,
			    const void *payload, size_t len)
{
	/* servers that speak 1.0 know none of these */
	if (chip->version_minor < 1)
		return -EOPNOTSUPP;

	switch (opcode) {
	case GUSE_OP_LINE_DIRECTION:
		if (len != sizeof(struct guse_device_direction))
			return -EINVAL;
		return guse_gpio_line_direction(chip, payload);
	case GUSE_OP_CLAIM:
		if (len != sizeof(struct guse_line_consumer))
			return -EINVAL;
		return guse_gpio_claim_msg(chip, payload);
	case GUSE_OP_UNCLAIM:
		if (len != sizeof(struct guse_line))
			return -EINVAL;
		return guse_gpio_unclaim_msg(chip, payload);
	default:
		return -EOPNOTSUPP;
	}
}
