// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-guse - GPIO chips implemented in userspace: the gpiolib frontend.
 *
 * Every /dev/guse connection that sends GUSE_OP_CREATE becomes a real
 * gpio_chip with an interrupt controller.  gpiolib callbacks turn into
 * requests to the server; the server's SET_INPUTS notifications turn into
 * input levels and interrupts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gpio/driver.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pinctrl/pinconf-generic.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <linux/guse.h>

#include "gpio-guse.h"
#include "guse-bitmap.h"
#include "guse-compat.h"
#include "guse-transport.h"

static unsigned int max_lines = GUSE_LINES_MAX;
module_param(max_lines, uint, 0444);
MODULE_PARM_DESC(max_lines, "Most lines one chip may have (1-1024, default and out-of-range values: 1024)");

static unsigned int max_chips = 4096;
module_param(max_chips, uint, 0444);
MODULE_PARM_DESC(max_chips, "Most guse chips at the same time (default 4096)");

static DEFINE_IDA(guse_gpio_ida);
static atomic_t guse_gpio_count = ATOMIC_INIT(0);
/* chip releases and delayed removals; drained before the module goes */
static struct workqueue_struct *guse_gpio_wq;

static struct class guse_class = {
	.name = "guse",
};

static struct guse_gpio *to_guse_gpio(struct gpio_chip *gc)
{
	return gpiochip_get_data(gc);
}

bool guse_gpio_enter(struct guse_gpio *chip)
{
	atomic_inc(&chip->active);
	/* pairs with the barrier in guse_gpio_teardown() */
	smp_mb__after_atomic();
	if (!READ_ONCE(chip->dead))
		return true;
	if (atomic_dec_and_test(&chip->active))
		wake_up(&chip->drain);
	return false;
}

void guse_gpio_leave(struct guse_gpio *chip)
{
	if (atomic_dec_and_test(&chip->active))
		wake_up(&chip->drain);
}

/* A zombie (see guse_gpio_teardown()) goes once no line is requested. */
static void guse_gpio_schedule_removal(struct guse_gpio *chip)
{
	if (bitmap_empty(chip->requested, chip->gc.ngpio))
		queue_delayed_work(guse_gpio_wq, &chip->remove_work, HZ / 10);
}

int guse_gpio_call(struct guse_gpio *chip, u16 opcode, const void *in,
		   size_t in_len, void *out, size_t out_len)
{
	return guse_conn_call(chip->conn, opcode, in, in_len, out, out_len,
			      chip->timeout_ms);
}

/*
 * Tells the server who requested @line once gpiolib has attached the label
 * (after gc->request on recent kernels).  Called at the start of every
 * callback about one line, except get_direction, which gpiolib also calls
 * while the label is not there yet.
 */
static void guse_gpio_flush_consumer(struct guse_gpio *chip, unsigned int line)
{
	struct guse_line_consumer msg = { .line = cpu_to_le32(line) };

	if (!test_bit(line, chip->consumer_pending))
		return;
	if (!guse_compat_line_label(&chip->gc, line, msg.consumer,
				    sizeof(msg.consumer)))
		return;
	if (test_and_clear_bit(line, chip->consumer_pending))
		guse_conn_post(chip->conn, GUSE_OP_CONSUMER, &msg, sizeof(msg),
			       false);
}

static void guse_gpio_set_is_output(struct guse_gpio *chip, unsigned int line,
				    bool output)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__assign_bit(line, chip->is_output, output);
	if (!output)
		__clear_bit(line, chip->out_known);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

/* @line is an output driving @value, as the kernel set it. */
static void guse_gpio_set_output(struct guse_gpio *chip, unsigned int line,
				 int value)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__set_bit(line, chip->is_output);
	__set_bit(line, chip->out_known);
	__assign_bit(line, chip->out_values, value);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

/*
 * After a SET_VALUES of @mask: the outputs among them drive @values if
 * the server took it (@ret 0); otherwise their values are unknown.
 */
static void guse_gpio_record_set(struct guse_gpio *chip,
				 const unsigned long *mask,
				 const unsigned long *values, int ret)
{
	unsigned int nbits = chip->gc.ngpio;
	DECLARE_BITMAP(set, GUSE_LINES_MAX);
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	if (ret) {
		bitmap_andnot(chip->out_known, chip->out_known, mask, nbits);
	} else {
		bitmap_and(set, mask, chip->is_output, nbits);
		bitmap_or(chip->out_known, chip->out_known, set, nbits);
		bitmap_andnot(chip->out_values, chip->out_values, set, nbits);
		bitmap_and(set, set, values, nbits);
		bitmap_or(chip->out_values, chip->out_values, set, nbits);
	}
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

/* A released line's value is the server's again (it may let it go). */
static void guse_gpio_forget_output(struct guse_gpio *chip, unsigned int line)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__clear_bit(line, chip->out_known);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

/*
 * Lifecycle messages always reach the server.  FREE is sent without
 * waiting, so a full request table or a timeout cannot drop it, and it is
 * allocated when the line is requested, so that no allocation can fail at
 * release: each line granted by the server holds its FREE in
 * @free_msg until it is released.
 */
static struct guse_req *guse_gpio_prepare_free(unsigned int line)
{
	struct guse_line msg = { .line = cpu_to_le32(line) };

	return guse_conn_prepare(GUSE_OP_FREE, &msg, sizeof(msg));
}

/* Takes what the line holds: its FREE; the line is no longer requested. */
static struct guse_req *guse_gpio_take_free(struct guse_gpio *chip,
					    unsigned int line)
{
	struct guse_req *free_msg;

	mutex_lock(&chip->lines_lock);
	if (test_and_clear_bit(line, chip->requested))
		set_bit(line, chip->released);
	free_msg = chip->free_msg[line];
	chip->free_msg[line] = NULL;
	mutex_unlock(&chip->lines_lock);
	return free_msg;
}

static int guse_gpio_request(struct gpio_chip *gc, unsigned int offset)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_line_consumer msg = { .line = cpu_to_le32(offset) };
	struct guse_req *free_msg = NULL, *stale;
	bool seen = false;
	int ret = 0;

	/* a claim: the device side takes the line, the server knows */
	if (guse_gpio_is_device_side(chip, offset))
		return 0;
	/* a hog not taken yet (gpiolib arbitrates between the others) */
	if (test_bit(offset, chip->claimed))
		return -EBUSY;
	if (!guse_gpio_enter(chip))
		return -ENODEV;
	if (chip->features & GUSE_CREATE_F_REQUEST) {
		free_msg = guse_gpio_prepare_free(offset);
		if (IS_ERR(free_msg)) {
			ret = PTR_ERR(free_msg);
			goto out;
		}
		/*
		 * Granted before but never freed: gpiolib failed after our
		 * request (6.12 does not call free when it cannot attach the
		 * label).  Tell the server before it is asked again.
		 */
		stale = guse_gpio_take_free(chip, offset);
		if (stale)
			guse_conn_send_prepared(chip->conn, stale);

		if (GUSE_COMPAT_LABEL_AFTER_REQUEST ||
		    !guse_compat_line_label(gc, offset, msg.consumer,
					    sizeof(msg.consumer)))
			set_bit(offset, chip->consumer_pending);
		/* held from now on: the device side must not change it */
		mutex_lock(&chip->lines_lock);
		set_bit(offset, chip->requested);
		clear_bit(offset, chip->released);
		mutex_unlock(&chip->lines_lock);
		ret = guse_conn_call_seen(chip->conn, GUSE_OP_REQUEST, &msg,
					  sizeof(msg), NULL, 0,
					  chip->timeout_ms, &seen);
		if (ret)
			clear_bit(offset, chip->consumer_pending);
	}
	mutex_lock(&chip->lines_lock);
	__assign_bit(offset, chip->requested, !ret);
	if (!ret)
		chip->free_msg[offset] = free_msg;
	mutex_unlock(&chip->lines_lock);
	if (ret && free_msg && seen && (ret == -ETIMEDOUT || ret == -EINTR))
		/* the server read it and may have granted it: undo that */
		guse_conn_send_prepared(chip->conn, free_msg);
	else if (ret && free_msg)
		guse_conn_discard(free_msg);
out:
	guse_gpio_leave(chip);
	return ret;
}

static void guse_gpio_free(struct gpio_chip *gc, unsigned int offset)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_req *free_msg;

	if (guse_gpio_is_device_side(chip, offset))
		return;
	guse_gpio_forget_output(chip, offset);
	free_msg = guse_gpio_take_free(chip, offset);
	if (!guse_gpio_enter(chip)) {
		if (free_msg)
			guse_conn_discard(free_msg);
		/* order the bit clear before reading @zombie (teardown's mb) */
		smp_mb__after_atomic();
		/* pairs with the release in guse_gpio_teardown() */
		if (smp_load_acquire(&chip->zombie))
			guse_gpio_schedule_removal(chip);
		return;
	}
	if (chip->features & GUSE_CREATE_F_REQUEST) {
		guse_gpio_flush_consumer(chip, offset);
		clear_bit(offset, chip->consumer_pending);
		if (free_msg)
			guse_conn_send_prepared(chip->conn, free_msg);
	}
	guse_gpio_leave(chip);
}

static int guse_gpio_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_line msg = { .line = cpu_to_le32(offset) };
	struct guse_direction dir;
	u32 val;
	int ret;

	/*
	 * gpiolib asks for every line while it registers the chip, from
	 * inside the server's CREATE write, and for a line the device side
	 * claims: the server cannot answer then, and its answer is known (the
	 * line state of CREATE, or what it reported since).
	 */
	if (READ_ONCE(chip->registering) ||
	    guse_gpio_is_device_side(chip, offset))
		return test_bit(offset, chip->is_output) ?
		       GPIO_LINE_DIRECTION_OUT : GPIO_LINE_DIRECTION_IN;
	if (!guse_gpio_enter(chip))
		return -ENODEV;
	ret = guse_gpio_call(chip, GUSE_OP_GET_DIRECTION, &msg, sizeof(msg),
			     &dir, sizeof(dir));
	if (!ret) {
		val = le32_to_cpu(dir.direction);
		if (val == GUSE_DIRECTION_INPUT) {
			ret = GPIO_LINE_DIRECTION_IN;
		} else if (val == GUSE_DIRECTION_OUTPUT &&
			   gpiochip_line_is_irq(gc, offset)) {
			/* gpiolib warns when an interrupt line turns output */
			dev_warn_ratelimited(chip->dev,
					     "server sent output for interrupt line %u\n",
					     offset);
			ret = -EPROTO;
		} else if (val == GUSE_DIRECTION_OUTPUT) {
			ret = GPIO_LINE_DIRECTION_OUT;
		} else {
			dev_warn_ratelimited(chip->dev,
					     "server sent direction %u for line %u\n",
					     val, offset);
			ret = -EPROTO;
		}
		if (ret >= 0)
			guse_gpio_set_is_output(chip, offset,
						ret == GPIO_LINE_DIRECTION_OUT);
	}
	guse_gpio_leave(chip);
	return ret;
}

static int guse_gpio_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_line msg = { .line = cpu_to_le32(offset) };
	int ret;

	if (guse_gpio_is_device_side(chip, offset)) {
		guse_gpio_set_is_output(chip, offset, false);
		return 0;
	}
	if (!guse_gpio_enter(chip))
		return -ENODEV;
	guse_gpio_flush_consumer(chip, offset);
	ret = guse_gpio_call(chip, GUSE_OP_DIRECTION_INPUT, &msg, sizeof(msg),
			     NULL, 0);
	if (!ret)
		guse_gpio_set_is_output(chip, offset, false);
	guse_gpio_leave(chip);
	return ret;
}

static int guse_gpio_direction_output(struct gpio_chip *gc,
				      unsigned int offset, int value)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_line_value msg = {
		.line = cpu_to_le32(offset),
		.value = cpu_to_le32(!!value),
	};
	int ret;

	if (guse_gpio_is_device_side(chip, offset)) {
		guse_gpio_set_output(chip, offset, value);
		return 0;
	}
	if (!guse_gpio_enter(chip))
		return -ENODEV;
	guse_gpio_flush_consumer(chip, offset);
	ret = guse_gpio_call(chip, GUSE_OP_DIRECTION_OUTPUT, &msg, sizeof(msg),
			     NULL, 0);
	if (!ret)
		guse_gpio_set_output(chip, offset, value);
	else
		guse_gpio_forget_output(chip, offset);
	guse_gpio_leave(chip);
	return ret;
}

/* A bitmap message for this chip: header plus one or two bitmaps. */
struct guse_gpio_bitmap_msg {
	struct guse_bitmap hdr;
	__le64 words[2 * GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
};

static void guse_gpio_flush_consumers(struct guse_gpio *chip,
				      const unsigned long *mask)
{
	unsigned int line;

	/* mostly none is pending: no per-line work for wide requests */
	if (!bitmap_intersects(mask, chip->consumer_pending, chip->gc.ngpio))
		return;
	for_each_set_bit(line, mask, chip->gc.ngpio)
		guse_gpio_flush_consumer(chip, line);
}

/*
 * The lines of @mask the kernel answers itself, their values into @bits:
 * inputs from the injected levels unless the server wants them, and
 * outputs from the values set if the server lets the kernel.  The others
 * go to @remote; returns false if there are none.  One pass of word
 * operations, as this runs for every read a consumer makes.
 */
static bool guse_gpio_get_local(struct guse_gpio *chip,
				const unsigned long *mask, unsigned long *bits,
				unsigned long *remote)
{
	bool inputs = !(chip->features & GUSE_CREATE_F_GET_INPUTS);
	bool cache = chip->features & GUSE_CREATE_F_OUTPUT_CACHE;
	unsigned int w, nwords = BITS_TO_LONGS(chip->gc.ngpio);
	unsigned long flags, any = 0;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	for (w = 0; w < nwords; w++) {
		unsigned long out = chip->is_output[w], local = 0, known = 0;

		remote[w] = mask[w];
		if (inputs) {
			local = mask[w] & ~out;
			remote[w] &= out;
		}
		if (cache) {
			known = remote[w] & out & chip->out_known[w];
			remote[w] &= ~known;
		}
		bits[w] &= ~(local | known);
		bits[w] |= (local & chip->levels[w]) |
			   (known & chip->out_values[w]);
		any |= remote[w];
	}
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	return any;
}

static int guse_gpio_get_multiple(struct gpio_chip *gc, unsigned long *mask,
				  unsigned long *bits)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	unsigned int nbits = gc->ngpio, words = GUSE_BITMAP_WORDS(nbits);
	DECLARE_BITMAP(remote, GUSE_LINES_MAX);
	DECLARE_BITMAP(local, GUSE_LINES_MAX);
	struct guse_gpio_bitmap_msg *msg, *reply;
	size_t len = sizeof(struct guse_bitmap) + words * sizeof(__le64);
	int ret = 0;

	if (!guse_gpio_enter(chip))
		return -ENODEV;
	guse_gpio_flush_consumers(chip, mask);
	if (!guse_gpio_get_local(chip, mask, bits, remote))
		goto out;

	msg = kzalloc(2 * sizeof(*msg), GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	reply = msg + 1;
	msg->hdr.num_words = cpu_to_le32(words);
	guse_bitmap_to_le64(msg->hdr.words, remote, nbits);
	ret = guse_gpio_call(chip, GUSE_OP_GET_VALUES, msg, len, reply, len);
	if (!ret) {
		if (le32_to_cpu(reply->hdr.num_words) != words) {
			ret = -EPROTO;
		} else {
			guse_bitmap_from_le64(local, reply->hdr.words, nbits);
			bitmap_and(local, local, remote, nbits);
			bitmap_andnot(bits, bits, remote, nbits);
			bitmap_or(bits, bits, local, nbits);
		}
	}
	kfree(msg);
out:
	guse_gpio_leave(chip);
	return ret;
}

static int guse_gpio_get(struct gpio_chip *gc, unsigned int offset)
{
	DECLARE_BITMAP(mask, GUSE_LINES_MAX);
	DECLARE_BITMAP(bits, GUSE_LINES_MAX);
	int ret;

	bitmap_zero(mask, gc->ngpio);
	bitmap_zero(bits, gc->ngpio);
	__set_bit(offset, mask);
	ret = guse_gpio_get_multiple(gc, mask, bits);
	if (ret)
		return ret;
	return test_bit(offset, bits);
}

static int guse_gpio_do_set_multiple(struct gpio_chip *gc,
				     unsigned long *mask, unsigned long *bits)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	unsigned int nbits = gc->ngpio, words = GUSE_BITMAP_WORDS(nbits);
	struct guse_gpio_bitmap_msg *msg;
	DECLARE_BITMAP(values, GUSE_LINES_MAX);
	int ret;

	if (!guse_gpio_enter(chip))
		return -ENODEV;
	guse_gpio_flush_consumers(chip, mask);
	msg = kzalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	bitmap_and(values, bits, mask, nbits);
	msg->hdr.num_words = cpu_to_le32(words);
	guse_bitmap_to_le64(msg->hdr.words, mask, nbits);
	guse_bitmap_to_le64(msg->hdr.words + words, values, nbits);
	ret = guse_gpio_call(chip, GUSE_OP_SET_VALUES, msg,
			     sizeof(struct guse_bitmap) +
			     2 * words * sizeof(__le64), NULL, 0);
	guse_gpio_record_set(chip, mask, values, ret);
	kfree(msg);
out:
	guse_gpio_leave(chip);
	return ret;
}

static int guse_gpio_set_multiple_int(struct gpio_chip *gc,
				      unsigned long *mask, unsigned long *bits)
{
	return guse_gpio_do_set_multiple(gc, mask, bits);
}

static void guse_gpio_set_multiple_void(struct gpio_chip *gc,
					unsigned long *mask,
					unsigned long *bits)
{
	guse_gpio_do_set_multiple(gc, mask, bits);
}

static int guse_gpio_set_int(struct gpio_chip *gc, unsigned int offset,
			     int value)
{
	DECLARE_BITMAP(mask, GUSE_LINES_MAX);
	DECLARE_BITMAP(bits, GUSE_LINES_MAX);

	bitmap_zero(mask, gc->ngpio);
	bitmap_zero(bits, gc->ngpio);
	__set_bit(offset, mask);
	__assign_bit(offset, bits, value);
	return guse_gpio_do_set_multiple(gc, mask, bits);
}

static void guse_gpio_set_void(struct gpio_chip *gc, unsigned int offset,
			       int value)
{
	guse_gpio_set_int(gc, offset, value);
}

static int guse_gpio_set_config(struct gpio_chip *gc, unsigned int offset,
				unsigned long config)
{
	struct guse_gpio *chip = to_guse_gpio(gc);
	struct guse_set_config msg = { .line = cpu_to_le32(offset) };
	u32 param, arg = 0;
	int ret;

	switch (pinconf_to_config_param(config)) {
	case PIN_CONFIG_BIAS_DISABLE:
		param = GUSE_CONFIG_BIAS_DISABLE;
		break;
	case PIN_CONFIG_BIAS_PULL_UP:
		param = GUSE_CONFIG_BIAS_PULL_UP;
		break;
	case PIN_CONFIG_BIAS_PULL_DOWN:
		param = GUSE_CONFIG_BIAS_PULL_DOWN;
		break;
	case PIN_CONFIG_DRIVE_PUSH_PULL:
		param = GUSE_CONFIG_DRIVE_PUSH_PULL;
		break;
	case PIN_CONFIG_DRIVE_OPEN_DRAIN:
		param = GUSE_CONFIG_DRIVE_OPEN_DRAIN;
		break;
	case PIN_CONFIG_DRIVE_OPEN_SOURCE:
		param = GUSE_CONFIG_DRIVE_OPEN_SOURCE;
		break;
	case PIN_CONFIG_INPUT_DEBOUNCE:
		param = GUSE_CONFIG_INPUT_DEBOUNCE;
		arg = pinconf_to_config_argument(config);
		break;
	default:
		param = 0;
		break;
	}

	if (guse_gpio_is_device_side(chip, offset))
		return -ENOTSUPP;
	if (!guse_gpio_enter(chip))
		return -ENODEV;
	guse_gpio_flush_consumer(chip, offset);
	if (!param || !(chip->features & GUSE_CREATE_F_SET_CONFIG)) {
		ret = -ENOTSUPP;
		goto out;
	}
	msg.param = cpu_to_le32(param);
	msg.arg = cpu_to_le32(arg);
	ret = guse_gpio_call(chip, GUSE_OP_SET_CONFIG, &msg, sizeof(msg),
			     NULL, 0);
	/* gpiolib falls back (software debounce, emulated drive) on ENOTSUPP */
	if (ret == -EOPNOTSUPP)
		ret = -ENOTSUPP;
out:
	guse_gpio_leave(chip);
	return ret;
}

static ssize_t server_pid_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", chip->server_pid);
}
static DEVICE_ATTR_RO(server_pid);

static ssize_t label_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", chip->label);
}
static DEVICE_ATTR_RO(label);

static ssize_t chip_name_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", chip->chip_name);
}
static DEVICE_ATTR_RO(chip_name);

static ssize_t num_lines_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", chip->gc.ngpio);
}
static DEVICE_ATTR_RO(num_lines);

static ssize_t timeout_ms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", chip->timeout_ms);
}
static DEVICE_ATTR_RO(timeout_ms);

static ssize_t features_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct guse_gpio *chip = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%x\n", chip->features);
}
static DEVICE_ATTR_RO(features);

static struct attribute *guse_gpio_attrs[] = {
	&dev_attr_server_pid.attr,
	&dev_attr_label.attr,
	&dev_attr_chip_name.attr,
	&dev_attr_num_lines.attr,
	&dev_attr_timeout_ms.attr,
	&dev_attr_features.attr,
	NULL,
};
ATTRIBUTE_GROUPS(guse_gpio);

bool guse_gpio_name_valid(const char *name, bool may_be_empty)
{
	size_t len = strnlen(name, GUSE_NAME_SIZE);

	if (len == GUSE_NAME_SIZE)
		return false;
	return len || may_be_empty;
}

/*
 * Checks a CREATE message; fills @num_lines, @timeout_ms, @features and
 * @init (the line state, NULL without GUSE_CREATE_F_LINE_INIT).
 */
static int guse_gpio_check_create(const void *payload, size_t len,
				  unsigned int *num_lines,
				  unsigned int *timeout_ms, u32 *features,
				  const struct guse_line_init **init)
{
	const struct guse_create *cr = payload;
	const char (*names)[GUSE_NAME_SIZE];
	size_t want;
	unsigned int i;
	int ret;

	if (len < sizeof(*cr))
		return -EINVAL;
	if ((le32_to_cpu(cr->version) >> 16) != GUSE_VERSION_MAJOR)
		return -EPROTONOSUPPORT;
	if (memchr_inv(cr->reserved, 0, sizeof(cr->reserved)))
		return -EINVAL;
	*features = le32_to_cpu(cr->flags);
	if (*features & ~GUSE_CREATE_F_ALL)
		return -EINVAL;
	/* a server cannot mean the flags of a later minor version */
	if ((le32_to_cpu(cr->version) & 0xffff) < 1 &&
	    *features & ~GUSE_CREATE_F_ALL_1_0)
		return -EINVAL;
	if ((le32_to_cpu(cr->version) & 0xffff) < 2 &&
	    *features & ~GUSE_CREATE_F_ALL_1_1)
		return -EINVAL;
	*num_lines = le32_to_cpu(cr->num_lines);
	if (!*num_lines || *num_lines > max_lines)
		return -EINVAL;
	*timeout_ms = le32_to_cpu(cr->timeout_ms);
	if (!*timeout_ms)
		*timeout_ms = GUSE_TIMEOUT_DEFAULT_MS;
	if (*timeout_ms > GUSE_TIMEOUT_MAX_MS)
		return -EINVAL;
	if (!guse_gpio_name_valid(cr->label, false))
		return -EINVAL;

	want = sizeof(*cr);
	if (*features & GUSE_CREATE_F_LINE_NAMES)
		want += (size_t)*num_lines * GUSE_NAME_SIZE;
	*init = NULL;
	if (*features & GUSE_CREATE_F_LINE_INIT) {
		if (len < want)
			return -EINVAL;
		ret = guse_gpio_check_line_init(payload + want, len - want,
						*num_lines);
		if (ret)
			return ret;
		*init = payload + want;
	} else if (len != want) {
		return -EINVAL;
	}
	if (*features & GUSE_CREATE_F_LINE_NAMES) {
		names = (const void *)(cr + 1);
		for (i = 0; i < *num_lines; i++)
			if (!guse_gpio_name_valid(names[i], true))
				return -EINVAL;
	}
	return 0;
}

static void guse_gpio_free_chip(struct guse_gpio *chip)
{
	unsigned int line;

	/* the connection was gone, or never there */
	for (line = 0; chip->free_msg && line < chip->gc.ngpio; line++)
		if (chip->free_msg[line])
			guse_conn_discard(chip->free_msg[line]);
	kfree(chip->free_msg);
	guse_gpio_device_free(chip);
	bitmap_free(chip->requested);
	bitmap_free(chip->consumer_pending);
	bitmap_free(chip->is_output);
	bitmap_free(chip->levels);
	bitmap_free(chip->out_known);
	bitmap_free(chip->out_values);
	if (!IS_ERR_OR_NULL(chip->fwnode))
		fwnode_remove_software_node(chip->fwnode);
	kfree(chip);
}

/*
 * Line names go to gpiolib as a "gpio-line-names" device property, the way
 * firmware provides them, rather than through gc->names: gpiolib checks
 * gc->names for duplicates by walking every gpio_device, and 6.1 oopses on
 * a device whose chip was removed while it is still referenced.  Unnamed
 * lines are "" (gpiolib skips empty names).
 */
static struct fwnode_handle *
guse_gpio_names_fwnode(const char (*names)[GUSE_NAME_SIZE], unsigned int num)
{
	struct property_entry props[2] = { };
	struct fwnode_handle *fwnode;
	const char **ptrs;
	unsigned int i;

	/* without names: a node that only tells our gpio_device apart */
	if (!names)
		return fwnode_create_software_node(props, NULL);
	ptrs = kcalloc(num, sizeof(*ptrs), GFP_KERNEL);
	if (!ptrs)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < num; i++)
		ptrs[i] = names[i];
	props[0] = PROPERTY_ENTRY_STRING_ARRAY_LEN("gpio-line-names", ptrs,
						   num);
	/* the software node keeps its own copy of the strings */
	fwnode = fwnode_create_software_node(props, NULL);
	kfree(ptrs);
	return fwnode;
}

/* The release of the last reference (see struct guse_gpio). */
static void guse_gpio_free_work(struct work_struct *work)
{
	struct guse_gpio *chip = container_of(work, struct guse_gpio,
					      free_work);

	guse_gpio_irq_cleanup(chip);
	ida_free(&guse_gpio_ida, chip->id);
	guse_gpio_free_chip(chip);
}

static void guse_gpio_release(struct kref *ref)
{
	struct guse_gpio *chip = container_of(ref, struct guse_gpio, ref);

	queue_work(guse_gpio_wq, &chip->free_work);
}

void guse_gpio_ref(struct guse_gpio *chip)
{
	kref_get(&chip->ref);
}

void guse_gpio_unref(struct guse_gpio *chip)
{
	kref_put(&chip->ref, guse_gpio_release);
}

static struct guse_gpio *guse_gpio_alloc(const struct guse_create *cr,
					 unsigned int num_lines,
					 const struct guse_line_init *init,
					 bool need_fwnode)
{
	const char (*names)[GUSE_NAME_SIZE] = (const void *)(cr + 1);
	const gfp_t gfp = GFP_KERNEL_ACCOUNT;
	struct guse_gpio *chip;

	chip = kzalloc(sizeof(*chip), gfp);
	if (!chip)
		return NULL;
	chip->requested = bitmap_zalloc(num_lines, gfp);
	chip->consumer_pending = bitmap_zalloc(num_lines, gfp);
	chip->is_output = bitmap_zalloc(num_lines, gfp);
	chip->levels = bitmap_zalloc(num_lines, gfp);
	chip->out_known = bitmap_zalloc(num_lines, gfp);
	chip->out_values = bitmap_zalloc(num_lines, gfp);
	chip->free_msg = kcalloc(num_lines, sizeof(*chip->free_msg), gfp);
	if (!chip->requested || !chip->consumer_pending || !chip->is_output ||
	    !chip->levels || !chip->out_known || !chip->out_values ||
	    !chip->free_msg)
		goto err;
	chip->gc.ngpio = num_lines;
	if (guse_gpio_device_setup(chip, init))
		goto err;
	if (le32_to_cpu(cr->flags) & GUSE_CREATE_F_LINE_NAMES || need_fwnode) {
		if (!(le32_to_cpu(cr->flags) & GUSE_CREATE_F_LINE_NAMES))
			names = NULL;
		chip->fwnode = guse_gpio_names_fwnode(names, num_lines);
		if (IS_ERR(chip->fwnode))
			goto err;
	}
	strscpy(chip->label, cr->label, sizeof(chip->label));
	kref_init(&chip->ref);
	INIT_WORK(&chip->free_work, guse_gpio_free_work);
	atomic_set(&chip->active, 0);
	init_waitqueue_head(&chip->drain);
	raw_spin_lock_init(&chip->state_lock);
	mutex_init(&chip->irq_bus_lock);
	INIT_LIST_HEAD(&chip->zombie_node);
	mutex_init(&chip->lines_lock);
	mutex_init(&chip->inject_lock);
	return chip;
err:
	guse_gpio_free_chip(chip);
	return NULL;
}

/*
 * The gpiochipN character device is the child of the chip's parent that
 * sits on the gpio bus (the legacy sysfs gpiochip<base> device is a child
 * too).  Chips of kernel connections share their parent: there it is the
 * one with the chip's software node.
 */
static int guse_gpio_find_chardev(struct device *dev, void *data)
{
	struct guse_gpio *chip = data;

	if (!dev->bus || strcmp(dev->bus->name, "gpio"))
		return 0;
	if (chip->fwnode && dev_fwnode(dev) != chip->fwnode)
		return 0;
	chip->gpio_dev = get_device(dev);
	strscpy(chip->chip_name, dev_name(dev), sizeof(chip->chip_name));
	return 1;
}

static void guse_gpio_dev_release(struct device *dev)
{
	kfree(dev);
}

/*
 * /sys/class/guse/guseN.  It has no power management (nor has the plain
 * parent): without device_set_pm_not_required() the driver core gives it
 * a power/ directory of 9 sysfs nodes, about 1.2 KiB of kernfs nodes per
 * chip for attributes that mean nothing for a connection.
 */
static struct device *guse_gpio_class_dev(struct guse_gpio *chip)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	device_initialize(dev);
	dev->class = &guse_class;
	dev->groups = guse_gpio_groups;
	dev->release = guse_gpio_dev_release;
	dev_set_drvdata(dev, chip);
	device_set_pm_not_required(dev);
	ret = dev_set_name(dev, "guse%d", chip->id);
	if (!ret)
		ret = device_add(dev);
	if (ret) {
		put_device(dev);
		return ERR_PTR(ret);
	}
	return dev;
}

/*
 * The gpio_chip's parent: the device a kernel connection names (gpio-sim's
 * platform device), else our class device or a plain child of it (see
 * GUSE_COMPAT_PLAIN_PARENT).
 */
static int guse_gpio_parent_add(struct guse_gpio *chip)
{
	struct device *parent;
	int ret;

	chip->parent = guse_conn_parent(chip->conn) ?: chip->dev;
	if (chip->parent != chip->dev || !GUSE_COMPAT_PLAIN_PARENT)
		return 0;
	parent = kzalloc(sizeof(*parent), GFP_KERNEL_ACCOUNT);
	if (!parent)
		return -ENOMEM;
	device_initialize(parent);
	parent->parent = chip->dev;
	parent->release = guse_gpio_dev_release;
	device_set_pm_not_required(parent);
	ret = dev_set_name(parent, "gpio");
	if (!ret)
		ret = device_add(parent);
	if (ret) {
		put_device(parent);
		return ret;
	}
	chip->parent = parent;
	return 0;
}

static void guse_gpio_parent_remove(struct guse_gpio *chip)
{
	if (chip->parent != chip->dev && !guse_conn_parent(chip->conn))
		device_unregister(chip->parent);
}

/* Queues GUSE_OP_READY ahead of anything consumers may have queued. */
static int guse_gpio_post_ready(struct guse_gpio *chip)
{
	struct guse_ready ready = {
		.version = cpu_to_le32(GUSE_VERSION),
		.num_lines = cpu_to_le32(chip->gc.ngpio),
		.base = cpu_to_le32(chip->gc.base),
		.timeout_ms = cpu_to_le32(chip->timeout_ms),
	};

	device_for_each_child(chip->parent, chip, guse_gpio_find_chardev);
	strscpy(ready.chip_name, chip->chip_name, sizeof(ready.chip_name));
	strscpy(ready.dev_name, dev_name(chip->dev), sizeof(ready.dev_name));
	return guse_conn_post(chip->conn, GUSE_OP_READY, &ready, sizeof(ready),
			      true);
}

/* Dead chips waiting for their lines to be released (guse-compat.h). */
static LIST_HEAD(guse_gpio_zombies);
static DEFINE_MUTEX(guse_gpio_zombies_lock);

/*
 * gpiolib frees the consumer label of a line when the line is released,
 * but not when that happens after the chip was removed (6.12, 7.3): the
 * label of every line still requested would leak.  So the labels of those
 * lines are dropped twice:
 *
 * - before gpiochip_remove(), while gpiolib can still tell line-info
 *   watchers about it (7.3 leaks the notification of a removed chip's
 *   line), under lines_lock, which the free callback takes too: the
 *   owner's own label write on release comes after that callback, so the
 *   two writers never overlap;
 * - after it, for the labels that requests in progress attached meanwhile
 *   (gpiochip_remove() waited for them; nobody writes a label of a removed
 *   chip but us).
 *
 * Our reference on the gpio_device keeps the descriptors.
 */
static void guse_gpio_drop_labels(struct guse_gpio *chip, bool removed)
{
	char label[GUSE_NAME_SIZE];
	unsigned int line;

	mutex_lock(&chip->lines_lock);
	for_each_set_bit(line, chip->requested, chip->gc.ngpio)
		if (!removed || guse_compat_line_label(&chip->gc, line, label,
						       sizeof(label)))
			guse_compat_drop_label(&chip->gc, line);
	mutex_unlock(&chip->lines_lock);
}

/*
 * Removes a chip whose server is gone; the interrupts consumers still hold
 * keep the rest of it until they are freed.
 */
static void guse_gpio_remove(struct guse_gpio *chip)
{
	guse_gpio_drop_labels(chip, false);
	gpiochip_remove(&chip->gc);
	guse_gpio_drop_labels(chip, true);
	put_device(chip->gpio_dev);
	guse_gpio_parent_remove(chip);
	device_unregister(chip->dev);
	/* max_chips counts registered chips: the slot is free when close() returns */
	atomic_dec(&guse_gpio_count);
	guse_gpio_unref(chip);
}

/*
 * Removes a dead chip once its last line was released.  Scheduled with a
 * delay from the free callback, so that gpiolib has finished releasing the
 * line (clearing its flags, notifying watchers) before the chip goes.
 */
static void guse_gpio_remove_work(struct work_struct *work)
{
	struct guse_gpio *chip = container_of(to_delayed_work(work),
					      struct guse_gpio, remove_work);

	mutex_lock(&guse_gpio_zombies_lock);
	if (list_empty(&chip->zombie_node) ||
	    !bitmap_empty(chip->requested, chip->gc.ngpio)) {
		mutex_unlock(&guse_gpio_zombies_lock);
		return;
	}
	list_del_init(&chip->zombie_node);
	mutex_unlock(&guse_gpio_zombies_lock);
	guse_gpio_remove(chip);
}

/*
 * Removes the chip of a server that is gone (or failed to start).  No call
 * into the transport runs or starts once this returns.  On older gpiolib,
 * a chip with lines still requested stays registered, every callback
 * failing with -ENODEV, until the last of them is released.
 */
static void guse_gpio_teardown(struct guse_gpio *chip)
{
	WRITE_ONCE(chip->dead, true);
	/* a callback sees @dead, or we see its @active count */
	smp_mb();
	wait_event(chip->drain, !atomic_read(&chip->active));
	guse_gpio_device_release(chip);
	guse_gpio_irq_stop(chip);
	if (GUSE_COMPAT_REMOVE_WHEN_RELEASED &&
	    !bitmap_empty(chip->requested, chip->gc.ngpio)) {
		INIT_DELAYED_WORK(&chip->remove_work, guse_gpio_remove_work);
		mutex_lock(&guse_gpio_zombies_lock);
		list_add(&chip->zombie_node, &guse_gpio_zombies);
		/* pairs with the acquire in guse_gpio_free() */
		smp_store_release(&chip->zombie, true);
		/* the free callback sees @zombie, or we see its cleared bit */
		smp_mb();
		guse_gpio_schedule_removal(chip);
		mutex_unlock(&guse_gpio_zombies_lock);
		return;
	}
	guse_gpio_remove(chip);
}

static int guse_gpio_create(struct guse_conn *conn, const void *payload,
			    size_t len)
{
	const struct guse_create *cr = payload;
	const struct guse_line_init *init;
	unsigned int num_lines, timeout_ms;
	struct guse_gpio *chip;
	struct gpio_chip *gc;
	u32 features;
	int ret;

	ret = guse_gpio_check_create(payload, len, &num_lines, &timeout_ms,
				     &features, &init);
	if (ret)
		return ret;
	if (atomic_inc_return(&guse_gpio_count) > max_chips) {
		ret = -ENOSPC;
		goto err_count;
	}
	chip = guse_gpio_alloc(cr, num_lines, init, !!guse_conn_parent(conn));
	if (!chip) {
		ret = -ENOMEM;
		goto err_count;
	}
	chip->conn = conn;
	chip->server_pid = pid_nr(guse_conn_server_pid(conn));
	chip->features = features;
	chip->version_minor = le32_to_cpu(cr->version) & 0xffff;
	chip->timeout_ms = timeout_ms;

	ret = ida_alloc(&guse_gpio_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	chip->id = ret;

	chip->dev = guse_gpio_class_dev(chip);
	if (IS_ERR(chip->dev)) {
		ret = PTR_ERR(chip->dev);
		goto err_ida;
	}

	ret = guse_gpio_parent_add(chip);
	if (ret)
		goto err_class_dev;

	gc = &chip->gc;
	gc->label = chip->label;
	gc->parent = chip->parent;
	gc->owner = THIS_MODULE;
	gc->base = -1;
	gc->ngpio = num_lines;
	gc->fwnode = chip->fwnode;
	gc->can_sleep = true;
	gc->request = guse_gpio_request;
	gc->free = guse_gpio_free;
	gc->get_direction = guse_gpio_get_direction;
	gc->direction_input = guse_gpio_direction_input;
	gc->direction_output = guse_gpio_direction_output;
	gc->get = guse_gpio_get;
	gc->get_multiple = guse_gpio_get_multiple;
	guse_compat_set_ops(gc, guse_gpio_set_int, guse_gpio_set_void,
			    guse_gpio_set_multiple_int,
			    guse_gpio_set_multiple_void);
	gc->set_config = guse_gpio_set_config;

	ret = guse_gpio_irq_init(chip);
	if (ret)
		goto err_dev;

	guse_conn_set_drvdata(conn, chip);
	WRITE_ONCE(chip->registering, true);
	ret = gpiochip_add_data(gc, chip);
	WRITE_ONCE(chip->registering, false);
	if (ret)
		goto err_irq;

	ret = guse_gpio_device_hogs(chip, init);
	if (!ret)
		ret = guse_gpio_post_ready(chip);
	if (ret) {
		/* consumers may have queued requests already */
		guse_conn_abort(conn);
		guse_gpio_teardown(chip);
		return ret;
	}
	return 0;

err_irq:
	guse_gpio_irq_cleanup(chip);
err_dev:
	guse_gpio_parent_remove(chip);
err_class_dev:
	device_unregister(chip->dev);
err_ida:
	ida_free(&guse_gpio_ida, chip->id);
err_free:
	guse_gpio_free_chip(chip);
err_count:
	atomic_dec(&guse_gpio_count);
	return ret;
}

static int guse_gpio_notify(struct guse_conn *conn, u16 opcode,
			    const void *payload, size_t len)
{
	struct guse_gpio *chip = guse_conn_get_drvdata(conn);

	switch (opcode) {
	case GUSE_OP_SET_INPUTS:
		return guse_gpio_set_inputs(chip, payload, len);
	case GUSE_OP_WAKEUP:
		if (chip->version_minor < 2)
			return -EOPNOTSUPP;
		if (len)
			return -EINVAL;
		return guse_conn_wakeup(conn);
	default:
		return guse_gpio_device_notify(chip, opcode, payload, len);
	}
}

static void guse_gpio_destroy(struct guse_conn *conn)
{
	guse_gpio_teardown(guse_conn_get_drvdata(conn));
}

static const struct guse_frontend guse_gpio_frontend = {
	.owner		= THIS_MODULE,
	.create		= guse_gpio_create,
	.notify		= guse_gpio_notify,
	.destroy	= guse_gpio_destroy,
};

static int __init guse_gpio_init(void)
{
	int ret;

	if (!max_lines || max_lines > GUSE_LINES_MAX)
		max_lines = GUSE_LINES_MAX;
	guse_gpio_wq = alloc_workqueue("guse-gpio", WQ_UNBOUND, 0);
	if (!guse_gpio_wq)
		return -ENOMEM;
	ret = class_register(&guse_class);
	if (ret)
		goto err_wq;
	ret = guse_register_frontend(&guse_gpio_frontend);
	if (ret)
		goto err_class;
	return 0;
err_class:
	class_unregister(&guse_class);
err_wq:
	destroy_workqueue(guse_gpio_wq);
	return ret;
}
module_init(guse_gpio_init);

/* Removes the dead chips whose lines were all released but not yet gone. */
static void guse_gpio_remove_zombies(void)
{
	struct guse_gpio *chip;

	for (;;) {
		mutex_lock(&guse_gpio_zombies_lock);
		chip = list_first_entry_or_null(&guse_gpio_zombies,
						struct guse_gpio, zombie_node);
		if (chip)
			list_del_init(&chip->zombie_node);
		mutex_unlock(&guse_gpio_zombies_lock);
		if (!chip)
			break;
		cancel_delayed_work_sync(&chip->remove_work);
		guse_gpio_remove(chip);
	}
}

static void __exit guse_gpio_exit(void)
{
	guse_unregister_frontend(&guse_gpio_frontend);
	/* the module is unpinned: no zombie has a requested line */
	guse_gpio_remove_zombies();
	/* removals that were running, and the releases they queued */
	destroy_workqueue(guse_gpio_wq);
	class_unregister(&guse_class);
	ida_destroy(&guse_gpio_ida);
}
module_exit(guse_gpio_exit);

MODULE_DESCRIPTION("guse: GPIO chips implemented in userspace");
MODULE_AUTHOR("The guse developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("guse-frontend");
MODULE_SOFTDEP("pre: guse");
