// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-test-consumer - an in-kernel GPIO consumer for the guse VM tests.
 *
 * Finds the lines of a guse chip the way a board driver would: it registers
 * a platform device and a gpiod_lookup_table keyed by the chip's label, and
 * takes the lines with gpiod_get_index().  It then requests threaded
 * interrupts on up to three input lines (level high, level low, and no
 * trigger at all) and, from every run of their handler, drives the output
 * line with gpiod_set_value_cansleep(), so that the server sees one
 * SET_VALUES per handled interrupt.  The level-high handler drives 1, the
 * level-low handler 0.  Counters are in debugfs, guse-test-consumer/state.
 *
 *   insmod guse-test-consumer.ko chip=LABEL out=N [irq_high=N]
 *          [irq_low=N] [irq_none=N] [delay_us=N]
 *
 * Built only for tests (tests/kselftest/47-kconsumer.sh), never installed.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/machine.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define TC_NAME "guse-test-consumer"

static char *chip;
module_param(chip, charp, 0444);
MODULE_PARM_DESC(chip, "label of the guse chip whose lines are used");

static int out = -1;
module_param(out, int, 0444);
MODULE_PARM_DESC(out, "offset of the output line the handlers drive");

static int irq_high = -1;
module_param(irq_high, int, 0444);
MODULE_PARM_DESC(irq_high, "offset of the level-high interrupt line (-1: none)");

static int irq_low = -1;
module_param(irq_low, int, 0444);
MODULE_PARM_DESC(irq_low, "offset of the level-low interrupt line (-1: none)");

static int irq_none = -1;
module_param(irq_none, int, 0444);
MODULE_PARM_DESC(irq_none, "offset of an interrupt line without trigger (-1: none)");

/*
 * A handler that takes a while, as real ones do, also leaves the server
 * idle moments while a held level keeps re-triggering it.
 */
static unsigned int delay_us = 1000;
module_param(delay_us, uint, 0444);
MODULE_PARM_DESC(delay_us, "time a handler run takes before it drives the output");

/*
 * Compat: the only difference between the kernels this is built for.
 * GUSE_TC_SET_VALUE_RETURNS_INT comes from a header probe in Kbuild.
 */
static int tc_set_value(struct gpio_desc *desc, int value)
{
#ifdef GUSE_TC_SET_VALUE_RETURNS_INT
	return gpiod_set_value_cansleep(desc, value);
#else
	gpiod_set_value_cansleep(desc, value);
	return 0;	/* the void variant cannot report errors */
#endif
}

enum tc_role { TC_OUT, TC_HIGH, TC_LOW, TC_NONE, TC_NR_ROLES };

/**
 * struct tc_line - one line the module uses
 * @name: the role; the con_id of the lookup, the irq name, the debugfs key
 * @offset: the module parameter with the line's offset
 * @irqflags: flags of request_threaded_irq() (interrupt lines)
 * @active: the level at which the interrupt is asserted
 * @drive: the value the handler of this line drives on the output
 * @desc: the line, from init to teardown
 * @irq: its interrupt, 0 if none is requested
 * @runs: handler runs (under tc.lock)
 * @inactive: runs that read the line's level as not asserted (under tc.lock)
 *
 * The first six members are set before the interrupt is requested and
 * read-only while it is.
 */
struct tc_line {
	const char *name;
	int *offset;
	unsigned long irqflags;
	int active;
	int drive;
	struct gpio_desc *desc;
	int irq;
	unsigned long runs;
	unsigned long inactive;
};

/*
 * The module's only instance: set up by tc_init(), torn down by
 * tc_teardown() (on a failed init or at unload).
 */
static struct {
	struct tc_line lines[TC_NR_ROLES];
	struct platform_device *pdev;
	struct gpiod_lookup_table *lookup;
	struct dentry *dir;
	spinlock_t lock;		/* the counters below and in lines[] */
	unsigned long sets;		/* gpiod_set_value_cansleep() calls */
	unsigned long set_errors;	/* of which failed (6.17 and later) */
	int last_set_error;		/* the error of the last that failed */
	s64 max_set_ns;			/* longest of them */
} tc = {
	.lines = {
		[TC_OUT] = { .name = "out", .offset = &out },
		[TC_HIGH] = {
			.name = "high", .offset = &irq_high,
			.irqflags = IRQF_TRIGGER_HIGH | IRQF_ONESHOT,
			.active = 1, .drive = 1,
		},
		[TC_LOW] = {
			.name = "low", .offset = &irq_low,
			.irqflags = IRQF_TRIGGER_LOW | IRQF_ONESHOT,
			.active = 0, .drive = 0,
		},
		[TC_NONE] = {
			.name = "none", .offset = &irq_none,
			/* no trigger flags: the line keeps IRQ_TYPE_NONE */
			.irqflags = IRQF_ONESHOT,
			.active = 1, .drive = 1,
		},
	},
	.lock = __SPIN_LOCK_UNLOCKED(tc.lock),
};

static irqreturn_t tc_thread_fn(int irq, void *data)
{
	struct tc_line *line = data;
	int level, err;
	ktime_t start;
	s64 ns;

	/* gpio-guse answers this from the injected level, not the server */
	level = gpiod_get_value_cansleep(line->desc);
	if (delay_us)
		usleep_range(delay_us, delay_us + delay_us / 2);
	start = ktime_get();
	err = tc_set_value(tc.lines[TC_OUT].desc, line->drive);
	ns = ktime_to_ns(ktime_sub(ktime_get(), start));

	spin_lock(&tc.lock);
	line->runs++;
	if (level != line->active)
		line->inactive++;
	tc.sets++;
	if (err) {
		tc.set_errors++;
		tc.last_set_error = err;
	}
	tc.max_set_ns = max(tc.max_set_ns, ns);
	spin_unlock(&tc.lock);
	return IRQ_HANDLED;
}

static int tc_state_show(struct seq_file *s, void *unused)
{
	struct tc_line *line;
	int i;

	spin_lock(&tc.lock);
	seq_printf(s, "chip %s\n", chip);
	for (i = 0; i < TC_NR_ROLES; i++) {
		line = &tc.lines[i];
		seq_printf(s, "%s_offset %d\n", line->name, *line->offset);
		if (i == TC_OUT)
			continue;
		seq_printf(s, "%s_irq %d\n", line->name, line->irq);
		seq_printf(s, "%s_runs %lu\n", line->name, line->runs);
		seq_printf(s, "%s_inactive %lu\n", line->name, line->inactive);
	}
	seq_printf(s, "sets %lu\n", tc.sets);
	seq_printf(s, "set_errors %lu\n", tc.set_errors);
	seq_printf(s, "last_set_error %d\n", tc.last_set_error);
	seq_printf(s, "max_set_us %lld\n", div_s64(tc.max_set_ns, 1000));
	spin_unlock(&tc.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_state);

/* Undoes tc_init() in reverse order; safe on a partly done init. */
static void tc_teardown(void)
{
	struct tc_line *line;
	int i;

	debugfs_remove_recursive(tc.dir);
	tc.dir = NULL;
	for (i = TC_NR_ROLES - 1; i >= 0; i--) {
		line = &tc.lines[i];
		if (line->irq > 0)
			free_irq(line->irq, line);
		line->irq = 0;
		if (line->desc)
			gpiod_put(line->desc);
		line->desc = NULL;
	}
	if (tc.lookup)
		gpiod_remove_lookup_table(tc.lookup);
	kfree(tc.lookup);
	tc.lookup = NULL;
	if (tc.pdev)
		platform_device_unregister(tc.pdev);
	tc.pdev = NULL;
}

/* One lookup entry per line given by a parameter, under the role's name. */
static int tc_add_lookup(void)
{
	struct tc_line *line;
	int i, n = 0;

	tc.lookup = kzalloc(struct_size(tc.lookup, table, TC_NR_ROLES + 1),
			    GFP_KERNEL);
	if (!tc.lookup)
		return -ENOMEM;
	tc.lookup->dev_id = dev_name(&tc.pdev->dev);
	for (i = 0; i < TC_NR_ROLES; i++) {
		line = &tc.lines[i];
		if (*line->offset < 0)
			continue;
		tc.lookup->table[n++] = GPIO_LOOKUP_IDX(chip, *line->offset,
							line->name, 0,
							GPIO_ACTIVE_HIGH);
	}
	gpiod_add_lookup_table(tc.lookup);
	return 0;
}

static int tc_get_lines(void)
{
	struct device *dev = &tc.pdev->dev;
	struct gpio_desc *desc;
	struct tc_line *line;
	int i;

	for (i = 0; i < TC_NR_ROLES; i++) {
		line = &tc.lines[i];
		if (*line->offset < 0)
			continue;
		desc = gpiod_get_index(dev, line->name, 0,
				       i == TC_OUT ? GPIOD_OUT_LOW : GPIOD_IN);
		if (IS_ERR(desc)) {
			/* the chip is not (or no longer) registered */
			if (PTR_ERR(desc) == -EPROBE_DEFER)
				desc = ERR_PTR(-ENODEV);
			dev_err(dev, "line %s (%s:%d): %pe\n", line->name,
				chip, *line->offset, desc);
			return PTR_ERR(desc);
		}
		line->desc = desc;
	}
	return 0;
}

static int tc_request_irqs(void)
{
	struct device *dev = &tc.pdev->dev;
	struct tc_line *line;
	int i, irq, ret;

	for (i = TC_HIGH; i < TC_NR_ROLES; i++) {
		line = &tc.lines[i];
		if (!line->desc)
			continue;
		irq = gpiod_to_irq(line->desc);
		if (irq <= 0) {
			dev_err(dev, "line %s: no interrupt: %d\n", line->name,
				irq);
			return irq < 0 ? irq : -ENXIO;
		}
		ret = request_threaded_irq(irq, NULL, tc_thread_fn,
					   line->irqflags, line->name, line);
		if (ret) {
			dev_err(dev, "line %s: irq %d: %d\n", line->name, irq,
				ret);
			return ret;
		}
		line->irq = irq;
	}
	return 0;
}

static int __init tc_init(void)
{
	int i, ret;

	if (!chip || !*chip || out < 0) {
		pr_err(TC_NAME ": chip= and out= are required\n");
		return -EINVAL;
	}
	for (i = 0; i < TC_NR_ROLES; i++) {
		if (*tc.lines[i].offset > U16_MAX) {
			pr_err(TC_NAME ": %s: bad offset %d\n", tc.lines[i].name,
			       *tc.lines[i].offset);
			return -EINVAL;
		}
	}

	tc.pdev = platform_device_register_simple(TC_NAME, PLATFORM_DEVID_NONE,
						  NULL, 0);
	if (IS_ERR(tc.pdev)) {
		ret = PTR_ERR(tc.pdev);
		tc.pdev = NULL;
		return ret;
	}
	ret = tc_add_lookup();
	if (!ret)
		ret = tc_get_lines();
	if (ret)
		goto err;
	/* before the interrupts: a handler may run as soon as one is requested */
	tc.dir = debugfs_create_dir(TC_NAME, NULL);
	debugfs_create_file("state", 0444, tc.dir, NULL, &tc_state_fops);
	ret = tc_request_irqs();
	if (ret)
		goto err;
	return 0;
err:
	tc_teardown();
	return ret;
}
module_init(tc_init);

static void __exit tc_exit(void)
{
	tc_teardown();
}
module_exit(tc_exit);

MODULE_DESCRIPTION("guse test: an in-kernel consumer of a guse chip");
MODULE_LICENSE("GPL");
