// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-sim compatible banks: each live bank is a guse chip (gpio-guse.ko's
 * gpio_chip and interrupt domain) whose server is this file, inside the
 * kernel, over a kernel connection of guse.ko.  The server answers every
 * request from a simulated line model -- gpio-sim's, as libguse's built-in
 * state models it (Documentation/library.rst, "Simulated lines") -- and
 * injects the pulls set through sysfs as input levels, which the chip core
 * turns into edge events.
 *
 * sysfs: /sys/devices/platform/gpio-sim.N/gpiochipK/sim_gpioL/{value,pull}
 * on the chip's gpio_device, as gpio-sim has them.
 */
#define pr_fmt(fmt) "gpio-sim: " fmt

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <linux/guse.h>

#include "gpio-sim-compat.h"
#include "guse-bitmap.h"
#include "guse-transport.h"

/* How long a bank may take to come up (READY) before live fails. */
#define GSC_READY_TIMEOUT	(10 * HZ)

/* A message we send: header plus the largest payload but CREATE's. */
struct gsc_msg {
	struct guse_msg_header hdr;
	union {
		struct guse_direction dir;
		struct {
			struct guse_bitmap bm;
			__le64 words[2 * GUSE_BITMAP_WORDS(GSC_LINES_MAX)];
		} bits;
	};
};

static int gsc_write(struct gsc_bank *bank, struct gsc_msg *m, u16 opcode,
		     u64 id, u32 error, size_t plen)
{
	size_t len = sizeof(m->hdr) + plen;

	memset(&m->hdr, 0, sizeof(m->hdr));
	m->hdr.len = cpu_to_le32(len);
	m->hdr.opcode = cpu_to_le16(opcode);
	m->hdr.id = cpu_to_le64(id);
	m->hdr.error = cpu_to_le32(error);
	return guse_kconn_write(bank->conn, m, len);
}

/* What a line reads: a driven output its value, anything else its pull. */
static bool gsc_level(struct gsc_bank *bank, unsigned int line)
{
	if (test_bit(line, bank->is_output) &&
	    (test_bit(line, bank->requested) || test_bit(line, bank->hogged)))
		return test_bit(line, bank->output);
	return test_bit(line, bank->pull);
}

/* Injects the level of @line (its pull, as the kernel reads inputs). */
static int gsc_inject(struct gsc_bank *bank, unsigned int line, bool level)
{
	unsigned int words = GUSE_BITMAP_WORDS(bank->ngpio);
	DECLARE_BITMAP(mask, GSC_LINES_MAX);
	DECLARE_BITMAP(values, GSC_LINES_MAX);
	struct gsc_msg *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	bitmap_zero(mask, bank->ngpio);
	bitmap_zero(values, bank->ngpio);
	__set_bit(line, mask);
	__assign_bit(line, values, level);
	m->bits.bm.num_words = cpu_to_le32(words);
	guse_bitmap_to_le64(m->bits.bm.words, mask, bank->ngpio);
	guse_bitmap_to_le64(m->bits.bm.words + words, values, bank->ngpio);
	ret = gsc_write(bank, m, GUSE_OP_SET_INPUTS, 0, 0,
			sizeof(m->bits.bm) + 2 * words * sizeof(__le64));
	kfree(m);
	return ret;
}

/* Sets the pull of @line and what the kernel holds for it; bank->lock held. */
static int gsc_set_pull(struct gsc_bank *bank, unsigned int line, bool pull)
{
	int ret = gsc_inject(bank, line, pull);

	if (!ret)
		__assign_bit(line, bank->pull, pull);
	return ret;
}

/* One request: the answer of the line model, as a reply. */
static void gsc_request(struct gsc_bank *bank, const struct guse_msg_header *h,
			const void *p, size_t plen, struct gsc_msg *m)
{
	unsigned int words = GUSE_BITMAP_WORDS(bank->ngpio), line, n = 0;
	u16 op = le16_to_cpu(h->opcode);
	u64 id = le64_to_cpu(h->id);
	const struct guse_set_config *cfg = p;
	const struct guse_line_value *lv = p;
	const struct guse_line *l = p;
	const struct guse_bitmap *bm = p;
	DECLARE_BITMAP(mask, GSC_LINES_MAX);
	DECLARE_BITMAP(vals, GSC_LINES_MAX);
	u32 error = 0;

	/* the chip core validated the lines of what it sends */
	mutex_lock(&bank->lock);
	switch (op) {
	case GUSE_OP_REQUEST:
		line = le32_to_cpu(l->line);
		/* an output taken as it is drives the level it had */
		__assign_bit(line, bank->output, gsc_level(bank, line));
		set_bit(line, bank->requested);
		break;
	case GUSE_OP_FREE:
		clear_bit(le32_to_cpu(l->line), bank->requested);
		break;
	case GUSE_OP_GET_DIRECTION:
		line = le32_to_cpu(l->line);
		m->dir.direction = cpu_to_le32(test_bit(line, bank->is_output) ?
					       GUSE_DIRECTION_OUTPUT :
					       GUSE_DIRECTION_INPUT);
		m->dir.reserved = 0;
		n = sizeof(m->dir);
		break;
	case GUSE_OP_DIRECTION_INPUT:
		clear_bit(le32_to_cpu(l->line), bank->is_output);
		break;
	case GUSE_OP_DIRECTION_OUTPUT:
		line = le32_to_cpu(lv->line);
		set_bit(line, bank->is_output);
		__assign_bit(line, bank->output, le32_to_cpu(lv->value));
		break;
	case GUSE_OP_GET_VALUES:
		guse_bitmap_from_le64(mask, bm->words, bank->ngpio);
		bitmap_zero(vals, bank->ngpio);
		for_each_set_bit(line, mask, bank->ngpio)
			__assign_bit(line, vals, gsc_level(bank, line));
		m->bits.bm.num_words = cpu_to_le32(words);
		m->bits.bm.reserved = 0;
		guse_bitmap_to_le64(m->bits.bm.words, vals, bank->ngpio);
		n = sizeof(m->bits.bm) + words * sizeof(__le64);
		break;
	case GUSE_OP_SET_VALUES:
		guse_bitmap_from_le64(mask, bm->words, bank->ngpio);
		guse_bitmap_from_le64(vals, bm->words + words, bank->ngpio);
		bitmap_replace(bank->output, bank->output, vals, mask,
			       bank->ngpio);
		break;
	case GUSE_OP_SET_CONFIG:
		line = le32_to_cpu(cfg->line);
		switch (le32_to_cpu(cfg->param)) {
		case GUSE_CONFIG_BIAS_PULL_UP:
		case GUSE_CONFIG_BIAS_PULL_DOWN:
			/* the pull before the reply: the consumer reads it */
			if (gsc_set_pull(bank, line, le32_to_cpu(cfg->param) ==
					 GUSE_CONFIG_BIAS_PULL_UP))
				error = EIO;
			break;
		case GUSE_CONFIG_BIAS_DISABLE:
		case GUSE_CONFIG_DRIVE_PUSH_PULL:
			break;
		default:
			/* gpiolib emulates drive and debounce, as for gpio-sim */
			error = EOPNOTSUPP;
			break;
		}
		break;
	case GUSE_OP_IRQ_CONFIG:
		break;
	default:
		error = EOPNOTSUPP;
		break;
	}
	mutex_unlock(&bank->lock);
	if (error)
		n = 0;
	/* ENOENT: the request timed out meanwhile; nothing to do */
	gsc_write(bank, m, op, id, error, n);
}

static void gsc_message(struct guse_conn *conn, const struct guse_msg_header *h,
			size_t len, void *data)
{
	struct gsc_bank *bank = data;
	const struct guse_ready *ready = (const void *)(h + 1);
	struct gsc_msg *m;

	if (le16_to_cpu(h->opcode) == GUSE_OP_READY) {
		strscpy(bank->chip_name, ready->chip_name,
			sizeof(bank->chip_name));
		complete(&bank->ready);
		return;
	}
	if (le16_to_cpu(h->flags) & GUSE_MSG_F_NOREPLY)
		return;		/* CONSUMER */
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		/* the consumer's request times out; it is not lost silently */
		pr_warn_ratelimited("no memory to answer a request\n");
		return;
	}
	gsc_request(bank, h, h + 1, len - sizeof(*h), m);
	kfree(m);
}

static const struct guse_kernel_server gsc_server = {
	.message = gsc_message,
};

/* ---- sysfs: sim_gpioN/{value,pull} ------------------------------------- */

/**
 * struct gsc_attr - one sim_gpioN attribute
 * @attr: the device attribute
 * @bank: its bank
 * @line: N
 */
struct gsc_attr {
	struct device_attribute attr;
	struct gsc_bank *bank;
	unsigned int line;
};

static const char *const gsc_pulls[] = { "pull-down", "pull-up" };

static ssize_t gsc_value_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct gsc_attr *a = container_of(attr, struct gsc_attr, attr);
	bool level;

	mutex_lock(&a->bank->lock);
	level = gsc_level(a->bank, a->line);
	mutex_unlock(&a->bank->lock);
	return sysfs_emit(buf, "%d\n", level);
}

static ssize_t gsc_pull_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct gsc_attr *a = container_of(attr, struct gsc_attr, attr);
	bool pull;

	mutex_lock(&a->bank->lock);
	pull = test_bit(a->line, a->bank->pull);
	mutex_unlock(&a->bank->lock);
	return sysfs_emit(buf, "%s\n", gsc_pulls[pull]);
}

static ssize_t gsc_pull_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct gsc_attr *a = container_of(attr, struct gsc_attr, attr);
	int pull = sysfs_match_string(gsc_pulls, buf), ret;

	if (pull < 0)
		return pull;
	mutex_lock(&a->bank->lock);
	ret = gsc_set_pull(a->bank, a->line, pull);
	mutex_unlock(&a->bank->lock);
	return ret ? ret : count;
}

static void gsc_free_groups(struct gsc_bank *bank)
{
	const struct attribute_group **g;

	if (!bank->attr_groups)
		return;
	for (g = bank->attr_groups; *g; g++) {
		kfree((*g)->name);
		kfree((*g)->attrs[0]);	/* both attributes, one allocation */
		kfree((*g)->attrs);
		kfree(*g);
	}
	kfree(bank->attr_groups);
	bank->attr_groups = NULL;
}

static int gsc_make_groups(struct gsc_bank *bank)
{
	struct attribute_group *g;
	struct gsc_attr *a;
	unsigned int line;

	bank->attr_groups = kcalloc(bank->ngpio + 1,
				    sizeof(*bank->attr_groups), GFP_KERNEL);
	if (!bank->attr_groups)
		return -ENOMEM;
	for (line = 0; line < bank->ngpio; line++) {
		g = kzalloc(sizeof(*g), GFP_KERNEL);
		if (!g)
			goto err;
		bank->attr_groups[line] = g;
		g->name = kasprintf(GFP_KERNEL, "sim_gpio%u", line);
		g->attrs = kcalloc(3, sizeof(*g->attrs), GFP_KERNEL);
		a = kcalloc(2, sizeof(*a), GFP_KERNEL);
		if (!g->name || !g->attrs || !a) {
			kfree(a);
			goto err;
		}
		a[0].bank = bank;
		a[1].bank = bank;
		a[0].line = line;
		a[1].line = line;
		sysfs_attr_init(&a[0].attr.attr);
		a[0].attr.attr.name = "value";
		a[0].attr.attr.mode = 0444;
		a[0].attr.show = gsc_value_show;
		sysfs_attr_init(&a[1].attr.attr);
		a[1].attr.attr.name = "pull";
		a[1].attr.attr.mode = 0644;
		a[1].attr.show = gsc_pull_show;
		a[1].attr.store = gsc_pull_store;
		g->attrs[0] = &a[0].attr.attr;
		g->attrs[1] = &a[1].attr.attr;
	}
	return 0;
err:
	gsc_free_groups(bank);
	return -ENOMEM;
}

/* ---- creation ------------------------------------------------------------ */

static struct gsc_line_cfg *gsc_line(struct gsc_bank *bank, unsigned int off)
{
	struct gsc_line_cfg *l;

	list_for_each_entry(l, &bank->lines, node)
		if (l->offset == off)
			return l;
	return NULL;
}

/* The CREATE message: label, line names, line state (hogs, valid mask). */
static void *gsc_create_msg(struct gsc_bank *bank, const char *dev_name,
			    size_t *lenp)
{
	unsigned int n = bank->num_lines, i, hogs = 0;
	char (*names)[GUSE_NAME_SIZE], (*labels)[GUSE_NAME_SIZE];
	struct guse_msg_header *h;
	struct guse_line_init *init;
	struct guse_create *cr;
	struct gsc_line_cfg *l;
	size_t len;
	u32 flags;

	list_for_each_entry(l, &bank->lines, node)
		if (l->offset < n && l->hog && l->valid)
			hogs++;
	len = sizeof(*h) + sizeof(*cr) + (size_t)n * GUSE_NAME_SIZE +
	      (size_t)n * sizeof(*init) + (size_t)hogs * GUSE_NAME_SIZE;
	h = kvzalloc(len, GFP_KERNEL);
	if (!h)
		return NULL;
	h->len = cpu_to_le32(len);
	h->opcode = cpu_to_le16(GUSE_OP_CREATE);
	cr = (void *)(h + 1);
	cr->version = cpu_to_le32(GUSE_VERSION);
	cr->num_lines = cpu_to_le32(n);
	cr->flags = cpu_to_le32(GUSE_CREATE_F_LINE_NAMES |
				GUSE_CREATE_F_REQUEST |
				GUSE_CREATE_F_SET_CONFIG |
				GUSE_CREATE_F_LINE_INIT);
	if (bank->label[0])
		strscpy(cr->label, bank->label, sizeof(cr->label));
	else
		snprintf(cr->label, sizeof(cr->label), "%s:node%u", dev_name,
			 bank->index);
	names = (void *)(cr + 1);
	init = (void *)(names + n);
	labels = (void *)(init + n);
	for (i = 0; i < n; i++) {
		l = gsc_line(bank, i);
		if (!l)
			continue;
		strscpy(names[i], l->name, GUSE_NAME_SIZE);
		if (!l->valid) {
			init[i].flags = cpu_to_le32(GUSE_LINE_INIT_F_INVALID);
			continue;
		}
		if (!l->hog)
			continue;
		flags = GUSE_LINE_INIT_F_HOG;
		if (l->hog_dir != GSC_HOG_INPUT)
			flags |= GUSE_LINE_INIT_F_OUTPUT;
		if (l->hog_dir == GSC_HOG_OUTPUT_HIGH)
			flags |= GUSE_LINE_INIT_F_VALUE;
		init[i].flags = cpu_to_le32(flags);
		/* gpiolib labels a nameless hog "?" */
		strscpy(*labels++, l->hog_name[0] ? l->hog_name : "?",
			GUSE_NAME_SIZE);
		__assign_bit(i, bank->is_output, flags & GUSE_LINE_INIT_F_OUTPUT);
		__assign_bit(i, bank->output, flags & GUSE_LINE_INIT_F_VALUE);
		set_bit(i, bank->hogged);
	}
	*lenp = len;
	return h;
}

static void gsc_free_state(struct gsc_bank *bank)
{
	bitmap_free(bank->pull);
	bitmap_free(bank->output);
	bitmap_free(bank->is_output);
	bitmap_free(bank->requested);
	bitmap_free(bank->hogged);
	bank->pull = NULL;
	bank->output = NULL;
	bank->is_output = NULL;
	bank->requested = NULL;
	bank->hogged = NULL;
}

int gsc_bank_start(struct gsc_bank *bank, struct device *parent,
		   const char *dev_name)
{
	unsigned int n = bank->num_lines;
	size_t len;
	void *msg;
	int ret;

	/* gpio-sim's probe error for a bad count: the chip core's limits */
	if (!n || n > GSC_LINES_MAX)
		return -EINVAL;
	bank->ngpio = n;
	bank->pull = bitmap_zalloc(n, GFP_KERNEL);
	bank->output = bitmap_zalloc(n, GFP_KERNEL);
	bank->is_output = bitmap_zalloc(n, GFP_KERNEL);
	bank->requested = bitmap_zalloc(n, GFP_KERNEL);
	bank->hogged = bitmap_zalloc(n, GFP_KERNEL);
	if (!bank->pull || !bank->output || !bank->is_output ||
	    !bank->requested || !bank->hogged) {
		ret = -ENOMEM;
		goto err_state;
	}
	ret = gsc_make_groups(bank);
	if (ret)
		goto err_state;
	msg = gsc_create_msg(bank, dev_name, &len);
	if (!msg) {
		ret = -ENOMEM;
		goto err_groups;
	}
	init_completion(&bank->ready);
	bank->conn = guse_kconn_open(&gsc_server, bank, parent);
	if (IS_ERR(bank->conn)) {
		ret = PTR_ERR(bank->conn);
		kvfree(msg);
		goto err_groups;
	}
	ret = guse_kconn_write(bank->conn, msg, len);
	kvfree(msg);
	if (ret)
		goto err_conn;
	if (!wait_for_completion_timeout(&bank->ready, GSC_READY_TIMEOUT)) {
		ret = -ETIMEDOUT;
		goto err_conn;
	}
	bank->gpio_dev = device_find_child_by_name(parent, bank->chip_name);
	if (!bank->gpio_dev) {
		ret = -ENODEV;
		goto err_conn;
	}
	ret = sysfs_create_groups(&bank->gpio_dev->kobj, bank->attr_groups);
	if (ret)
		goto err_dev;
	return 0;
err_dev:
	put_device(bank->gpio_dev);
	bank->gpio_dev = NULL;
err_conn:
	guse_kconn_close(bank->conn);
	bank->conn = NULL;
err_groups:
	gsc_free_groups(bank);
err_state:
	gsc_free_state(bank);
	return ret;
}

void gsc_bank_stop(struct gsc_bank *bank)
{
	sysfs_remove_groups(&bank->gpio_dev->kobj, bank->attr_groups);
	put_device(bank->gpio_dev);
	bank->gpio_dev = NULL;
	guse_kconn_close(bank->conn);
	bank->conn = NULL;
	gsc_free_groups(bank);
	gsc_free_state(bank);
	bank->chip_name[0] = '\0';
}
