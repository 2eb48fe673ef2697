// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-sim.ko for kernels without CONFIG_GPIO_SIM: gpio-sim's user
 * interface (Documentation/admin-guide/gpio/gpio-sim.rst) served by guse.
 *
 * /sys/kernel/config/gpio-sim/DEV/{dev_name,live}
 *                            DEV/BANK/{chip_name,label,num_lines}
 *                            DEV/BANK/lineN/{name,valid}
 *                            DEV/BANK/lineN/hog/{name,direction}
 *
 * Writing 1 to live registers the platform device "gpio-sim.N" and makes
 * each bank a guse chip under it (gpio-sim-bank.c); 0 removes them.  While
 * live, the configuration cannot change: attribute writes fail with EBUSY
 * and new groups cannot be made.  As in gpio-sim, a bank directory may be
 * removed while live: its chip stays until the device goes.
 */
#define pr_fmt(fmt) "gpio-sim: " fmt

#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "gpio-sim-compat.h"

/* Protects every configuration and the live state of every device. */
static DEFINE_MUTEX(gsc_lock);
static DEFINE_IDA(gsc_ida);
/* removes platform devices once their chips are gone (gsc_dev_stop()) */
static struct workqueue_struct *gsc_wq;

/**
 * struct gsc_dev - a configfs device directory
 * @group: its configfs group
 * @banks: its struct gsc_bank_item, in creation order
 * @pdev: the platform device while live
 */
struct gsc_dev {
	struct config_group group;
	struct list_head banks;
	struct platform_device *pdev;
};

/**
 * struct gsc_bank_item - a bank directory
 * @group: its configfs group
 * @dev: its device
 * @node: entry in @dev's banks
 * @removed: the directory is gone while the device is live: the bank
 *	stays, live, until the device stops
 * @bank: the configuration and live state
 */
struct gsc_bank_item {
	struct config_group group;
	struct gsc_dev *dev;
	struct list_head node;
	bool removed;
	struct gsc_bank bank;
};

/**
 * struct gsc_line_item - a lineN directory
 * @group: its configfs group
 * @bank: its bank
 * @cfg: the line's configuration
 * @hog: the hog item, or NULL
 */
struct gsc_line_item {
	struct config_group group;
	struct gsc_bank_item *bank;
	struct gsc_line_cfg cfg;
	struct config_item *hog;
};

/**
 * struct gsc_hog_item - a lineN/hog item
 * @item: its configfs item
 * @line: its line
 */
struct gsc_hog_item {
	struct config_item item;
	struct gsc_line_item *line;
};

static struct configfs_subsystem gsc_subsys;

static struct gsc_dev *to_gsc_dev(struct config_item *item)
{
	return container_of(to_config_group(item), struct gsc_dev, group);
}

static struct gsc_bank_item *to_gsc_bank(struct config_item *item)
{
	return container_of(to_config_group(item), struct gsc_bank_item, group);
}

static struct gsc_line_item *to_gsc_line(struct config_item *item)
{
	return container_of(to_config_group(item), struct gsc_line_item,
			    group);
}

static bool gsc_dev_live(struct gsc_dev *dev)
{
	return dev->pdev;
}

/* Copies a name written to an attribute, without its newline. */
static int gsc_store_name(char *dst, const char *page, size_t count)
{
	size_t len = strcspn(page, "\n");

	if (len >= GUSE_NAME_SIZE)
		return -EINVAL;
	memcpy(dst, page, len);
	memset(dst + len, 0, GUSE_NAME_SIZE - len);
	return 0;
}

/* ---- hog -------------------------------------------------------------- */

static struct gsc_line_item *gsc_hog_line(struct config_item *item)
{
	return container_of(item, struct gsc_hog_item, item)->line;
}

static ssize_t gsc_hog_name_show(struct config_item *item, char *page)
{
	struct gsc_line_item *line = gsc_hog_line(item);
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", line->cfg.hog_name);
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_hog_name_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct gsc_line_item *line = gsc_hog_line(item);
	int ret;

	mutex_lock(&gsc_lock);
	ret = gsc_dev_live(line->bank->dev) ? -EBUSY :
	      gsc_store_name(line->cfg.hog_name, page, count);
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

static const char *const gsc_hog_dirs[] = {
	[GSC_HOG_INPUT] = "input",
	[GSC_HOG_OUTPUT_LOW] = "output-low",
	[GSC_HOG_OUTPUT_HIGH] = "output-high",
};

static ssize_t gsc_hog_direction_show(struct config_item *item, char *page)
{
	struct gsc_line_item *line = gsc_hog_line(item);
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", gsc_hog_dirs[line->cfg.hog_dir]);
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_hog_direction_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct gsc_line_item *line = gsc_hog_line(item);
	int dir = sysfs_match_string(gsc_hog_dirs, page);

	if (dir < 0)
		return -EINVAL;
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(line->bank->dev)) {
		mutex_unlock(&gsc_lock);
		return -EBUSY;
	}
	line->cfg.hog_dir = dir;
	mutex_unlock(&gsc_lock);
	return count;
}

CONFIGFS_ATTR(gsc_hog_, name);
CONFIGFS_ATTR(gsc_hog_, direction);

static struct configfs_attribute *gsc_hog_attrs[] = {
	&gsc_hog_attr_name,
	&gsc_hog_attr_direction,
	NULL,
};

static void gsc_hog_release(struct config_item *item)
{
	struct gsc_line_item *line = gsc_hog_line(item);

	mutex_lock(&gsc_lock);
	line->cfg.hog = false;
	line->cfg.hog_name[0] = '\0';
	line->cfg.hog_dir = GSC_HOG_INPUT;
	line->hog = NULL;
	mutex_unlock(&gsc_lock);
	kfree(container_of(item, struct gsc_hog_item, item));
}

static struct configfs_item_operations gsc_hog_item_ops = {
	.release = gsc_hog_release,
};

static const struct config_item_type gsc_hog_type = {
	.ct_item_ops = &gsc_hog_item_ops,
	.ct_attrs = gsc_hog_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---- lineN ------------------------------------------------------------ */

static ssize_t gsc_line_name_show(struct config_item *item, char *page)
{
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", to_gsc_line(item)->cfg.name);
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_line_name_store(struct config_item *item, const char *page,
				   size_t count)
{
	struct gsc_line_item *line = to_gsc_line(item);
	int ret;

	mutex_lock(&gsc_lock);
	ret = gsc_dev_live(line->bank->dev) ? -EBUSY :
	      gsc_store_name(line->cfg.name, page, count);
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

static ssize_t gsc_line_valid_show(struct config_item *item, char *page)
{
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%c\n", to_gsc_line(item)->cfg.valid ? '1' : '0');
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_line_valid_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct gsc_line_item *line = to_gsc_line(item);
	bool valid;
	int ret;

	ret = kstrtobool(page, &valid);
	if (ret)
		return ret;
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(line->bank->dev))
		ret = -EBUSY;
	else
		line->cfg.valid = valid;
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

CONFIGFS_ATTR(gsc_line_, name);
CONFIGFS_ATTR(gsc_line_, valid);

static struct configfs_attribute *gsc_line_attrs[] = {
	&gsc_line_attr_name,
	&gsc_line_attr_valid,
	NULL,
};

static struct config_item *gsc_make_hog(struct config_group *group,
					const char *name)
{
	struct gsc_line_item *line = to_gsc_line(&group->cg_item);
	struct gsc_hog_item *hog;

	if (strcmp(name, "hog"))
		return ERR_PTR(-EINVAL);
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(line->bank->dev)) {
		mutex_unlock(&gsc_lock);
		return ERR_PTR(-EBUSY);
	}
	hog = kzalloc(sizeof(*hog), GFP_KERNEL);
	if (!hog) {
		mutex_unlock(&gsc_lock);
		return ERR_PTR(-ENOMEM);
	}
	hog->line = line;
	config_item_init_type_name(&hog->item, name, &gsc_hog_type);
	line->cfg.hog = true;
	line->hog = &hog->item;
	mutex_unlock(&gsc_lock);
	return &hog->item;
}

static void gsc_line_release(struct config_item *item)
{
	struct gsc_line_item *line = to_gsc_line(item);

	mutex_lock(&gsc_lock);
	list_del(&line->cfg.node);
	mutex_unlock(&gsc_lock);
	kfree(line);
}

static struct configfs_item_operations gsc_line_item_ops = {
	.release = gsc_line_release,
};

static struct configfs_group_operations gsc_line_group_ops = {
	.make_item = gsc_make_hog,
};

static const struct config_item_type gsc_line_type = {
	.ct_item_ops = &gsc_line_item_ops,
	.ct_group_ops = &gsc_line_group_ops,
	.ct_attrs = gsc_line_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---- bank ------------------------------------------------------------- */

static ssize_t gsc_bank_chip_name_show(struct config_item *item, char *page)
{
	struct gsc_bank_item *b = to_gsc_bank(item);
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", gsc_dev_live(b->dev) ? b->bank.chip_name :
						       "none");
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_bank_label_show(struct config_item *item, char *page)
{
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", to_gsc_bank(item)->bank.label);
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_bank_label_store(struct config_item *item, const char *page,
				    size_t count)
{
	struct gsc_bank_item *b = to_gsc_bank(item);
	int ret;

	mutex_lock(&gsc_lock);
	ret = gsc_dev_live(b->dev) ? -EBUSY :
	      gsc_store_name(b->bank.label, page, count);
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

static ssize_t gsc_bank_num_lines_show(struct config_item *item, char *page)
{
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%u\n", to_gsc_bank(item)->bank.num_lines);
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_bank_num_lines_store(struct config_item *item,
					const char *page, size_t count)
{
	struct gsc_bank_item *b = to_gsc_bank(item);
	unsigned int n;
	int ret;

	ret = kstrtouint(page, 0, &n);
	if (ret)
		return ret;
	if (!n)
		return -EINVAL;
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(b->dev))
		ret = -EBUSY;
	else
		b->bank.num_lines = n;
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

CONFIGFS_ATTR_RO(gsc_bank_, chip_name);
CONFIGFS_ATTR(gsc_bank_, label);
CONFIGFS_ATTR(gsc_bank_, num_lines);

static struct configfs_attribute *gsc_bank_attrs[] = {
	&gsc_bank_attr_chip_name,
	&gsc_bank_attr_label,
	&gsc_bank_attr_num_lines,
	NULL,
};

/* "line<offset>", the offset in decimal and nothing else */
static int gsc_line_offset(const char *name, unsigned int *offset)
{
	if (strncmp(name, "line", 4) || !isdigit(name[4]))
		return -EINVAL;
	return kstrtouint(name + 4, 10, offset);
}

static struct config_group *gsc_make_line(struct config_group *group,
					  const char *name)
{
	struct gsc_bank_item *b = to_gsc_bank(&group->cg_item);
	struct gsc_line_item *line;
	unsigned int offset;

	if (gsc_line_offset(name, &offset))
		return ERR_PTR(-EINVAL);
	line = kzalloc(sizeof(*line), GFP_KERNEL);
	if (!line)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(b->dev)) {
		mutex_unlock(&gsc_lock);
		kfree(line);
		return ERR_PTR(-EBUSY);
	}
	line->bank = b;
	line->cfg.offset = offset;
	line->cfg.valid = true;
	list_add_tail(&line->cfg.node, &b->bank.lines);
	mutex_unlock(&gsc_lock);
	config_group_init_type_name(&line->group, name, &gsc_line_type);
	return &line->group;
}

static void gsc_bank_release(struct config_item *item)
{
	struct gsc_bank_item *b = to_gsc_bank(item);
	bool keep;

	mutex_lock(&gsc_lock);
	keep = gsc_dev_live(b->dev);
	if (keep)
		b->removed = true;	/* freed by gsc_dev_stop() */
	else
		list_del(&b->node);
	mutex_unlock(&gsc_lock);
	if (!keep)
		kfree(b);
}

static struct configfs_item_operations gsc_bank_item_ops = {
	.release = gsc_bank_release,
};

static struct configfs_group_operations gsc_bank_group_ops = {
	.make_group = gsc_make_line,
};

static const struct config_item_type gsc_bank_type = {
	.ct_item_ops = &gsc_bank_item_ops,
	.ct_group_ops = &gsc_bank_group_ops,
	.ct_attrs = gsc_bank_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---- device ------------------------------------------------------------ */

static ssize_t gsc_dev_dev_name_show(struct config_item *item, char *page)
{
	struct gsc_dev *dev = to_gsc_dev(item);
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%s\n", dev->pdev ? dev_name(&dev->pdev->dev) :
						"none");
	mutex_unlock(&gsc_lock);
	return ret;
}

static ssize_t gsc_dev_live_show(struct config_item *item, char *page)
{
	ssize_t ret;

	mutex_lock(&gsc_lock);
	ret = sprintf(page, "%c\n", gsc_dev_live(to_gsc_dev(item)) ? '1' : '0');
	mutex_unlock(&gsc_lock);
	return ret;
}

/* Bank labels must differ (gpio-sim refuses duplicates). */
static bool gsc_labels_unique(struct gsc_dev *dev)
{
	struct gsc_bank_item *a, *b;

	list_for_each_entry(a, &dev->banks, node)
		list_for_each_entry(b, &dev->banks, node)
			if (a != b && a->bank.label[0] &&
			    !strcmp(a->bank.label, b->bank.label))
				return false;
	return true;
}

/**
 * struct gsc_dying - a platform device waiting for its chips to go
 * @work: polls for them
 * @pdev: the device
 */
struct gsc_dying {
	struct delayed_work work;
	struct platform_device *pdev;
};

static int gsc_is_gpio_dev(struct device *dev, void *data)
{
	return dev->bus && !strcmp(dev->bus->name, "gpio");
}

/*
 * A chip whose lines consumers still hold outlives its server on 6.1
 * (guse-compat.h, GUSE_COMPAT_REMOVE_WHEN_RELEASED): its parent must stay
 * registered until it is gone.
 */
static void gsc_reap(struct work_struct *work)
{
	struct gsc_dying *d = container_of(to_delayed_work(work),
					   struct gsc_dying, work);
	int id = d->pdev->id;

	if (device_for_each_child(&d->pdev->dev, NULL, gsc_is_gpio_dev)) {
		queue_delayed_work(gsc_wq, &d->work, HZ / 10);
		return;
	}
	platform_device_unregister(d->pdev);
	ida_free(&gsc_ida, id);
	kfree(d);
	/* destroy_workqueue() in the module's exit waits for this return */
	module_put(THIS_MODULE);
}

static void gsc_dev_stop(struct gsc_dev *dev, struct gsc_bank_item *upto)
{
	struct gsc_bank_item *b, *tmp;
	struct gsc_dying *d;

	list_for_each_entry_safe(b, tmp, &dev->banks, node) {
		if (b == upto)
			break;
		gsc_bank_stop(&b->bank);
		if (b->removed) {
			list_del(&b->node);
			kfree(b);
		}
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (d && device_for_each_child(&dev->pdev->dev, NULL,
				       gsc_is_gpio_dev)) {
		__module_get(THIS_MODULE);
		d->pdev = dev->pdev;
		INIT_DELAYED_WORK(&d->work, gsc_reap);
		queue_delayed_work(gsc_wq, &d->work, HZ / 10);
	} else {
		kfree(d);
		ida_free(&gsc_ida, dev->pdev->id);
		platform_device_unregister(dev->pdev);
	}
	dev->pdev = NULL;
}

static int gsc_dev_start(struct gsc_dev *dev)
{
	struct platform_device *pdev;
	struct gsc_bank_item *b;
	unsigned int index = 0;
	int id, ret;

	if (list_empty(&dev->banks) || !gsc_labels_unique(dev))
		return -EINVAL;
	id = ida_alloc(&gsc_ida, GFP_KERNEL);
	if (id < 0)
		return id;
	pdev = platform_device_register_simple("gpio-sim", id, NULL, 0);
	if (IS_ERR(pdev)) {
		ida_free(&gsc_ida, id);
		return PTR_ERR(pdev);
	}
	dev->pdev = pdev;
	list_for_each_entry(b, &dev->banks, node) {
		b->bank.index = index++;
		ret = gsc_bank_start(&b->bank, &pdev->dev, dev_name(&pdev->dev));
		if (ret) {
			gsc_dev_stop(dev, b);
			return ret;
		}
	}
	return 0;
}

static ssize_t gsc_dev_live_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct gsc_dev *dev = to_gsc_dev(item);
	bool live;
	int ret;

	ret = kstrtobool(page, &live);
	if (ret)
		return ret;
	mutex_lock(&gsc_lock);
	if (live == gsc_dev_live(dev))
		ret = -EPERM;
	else if (live)
		ret = gsc_dev_start(dev);
	else
		gsc_dev_stop(dev, NULL);
	mutex_unlock(&gsc_lock);
	return ret ? ret : count;
}

CONFIGFS_ATTR_RO(gsc_dev_, dev_name);
CONFIGFS_ATTR(gsc_dev_, live);

static struct configfs_attribute *gsc_dev_attrs[] = {
	&gsc_dev_attr_dev_name,
	&gsc_dev_attr_live,
	NULL,
};

static struct config_group *gsc_make_bank(struct config_group *group,
					  const char *name)
{
	struct gsc_dev *dev = to_gsc_dev(&group->cg_item);
	struct gsc_bank_item *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&gsc_lock);
	if (gsc_dev_live(dev)) {
		mutex_unlock(&gsc_lock);
		kfree(b);
		return ERR_PTR(-EBUSY);
	}
	b->dev = dev;
	b->bank.num_lines = 1;
	INIT_LIST_HEAD(&b->bank.lines);
	mutex_init(&b->bank.lock);
	list_add_tail(&b->node, &dev->banks);
	mutex_unlock(&gsc_lock);
	config_group_init_type_name(&b->group, name, &gsc_bank_type);
	return &b->group;
}

static void gsc_dev_release(struct config_item *item)
{
	struct gsc_dev *dev = to_gsc_dev(item);

	mutex_lock(&gsc_lock);
	if (dev->pdev)
		gsc_dev_stop(dev, NULL);
	mutex_unlock(&gsc_lock);
	kfree(dev);
}

static struct configfs_item_operations gsc_dev_item_ops = {
	.release = gsc_dev_release,
};

static struct configfs_group_operations gsc_dev_group_ops = {
	.make_group = gsc_make_bank,
};

static const struct config_item_type gsc_dev_type = {
	.ct_item_ops = &gsc_dev_item_ops,
	.ct_group_ops = &gsc_dev_group_ops,
	.ct_attrs = gsc_dev_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *gsc_make_dev(struct config_group *group,
					 const char *name)
{
	struct gsc_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&dev->banks);
	config_group_init_type_name(&dev->group, name, &gsc_dev_type);
	return &dev->group;
}

static struct configfs_group_operations gsc_root_group_ops = {
	.make_group = gsc_make_dev,
};

static const struct config_item_type gsc_root_type = {
	.ct_group_ops = &gsc_root_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem gsc_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "gpio-sim",
			.ci_type = &gsc_root_type,
		},
	},
};

static int __init gsc_init(void)
{
	int ret;

	gsc_wq = alloc_workqueue("gpio-sim", WQ_UNBOUND, 0);
	if (!gsc_wq)
		return -ENOMEM;
	config_group_init(&gsc_subsys.su_group);
	mutex_init(&gsc_subsys.su_mutex);
	ret = configfs_register_subsystem(&gsc_subsys);
	if (ret)
		destroy_workqueue(gsc_wq);
	return ret;
}
module_init(gsc_init);

static void __exit gsc_exit(void)
{
	configfs_unregister_subsystem(&gsc_subsys);
	/* no device is dying: each holds a module reference */
	destroy_workqueue(gsc_wq);
	ida_destroy(&gsc_ida);
}
module_exit(gsc_exit);

MODULE_DESCRIPTION("gpio-sim's configfs interface for kernels without it, served by guse");
MODULE_AUTHOR("The guse developers");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: gpio-guse");
