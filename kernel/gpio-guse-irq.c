// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-guse interrupts: a small irq domain whose interrupts fire when the
 * server injects input levels (GUSE_OP_SET_INPUTS).
 *
 * Interrupts are raised with generic_handle_domain_irq_safe(), so consumers
 * may use hard-irq handlers (gpiolib's software debounce does).  The
 * sleeping part of interrupt configuration (telling the server) happens in
 * irq_bus_sync_unlock, as in gpio-virtio.
 *
 * The domain is created here rather than by GPIOLIB_IRQCHIP, so that the
 * driver decides what happens to interrupts consumers still hold when the
 * server dies: they are freed (guse_gpio_irq_free_remaining()) before
 * gpiochip_remove() disposes of the mappings.  gpiolib does the same itself
 * from 6.10 on; older gpiolib disposes of mappings with handlers attached,
 * which leaks their /proc/irq entries with a WARNING.
 */
#include <linux/bitmap.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdesc.h>
#include <linux/irqdomain.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <linux/guse.h>

#include "gpio-guse.h"

/* irq_sent: bit 8 says "enabled" above the GUSE_IRQ_TYPE_* value */
#define GUSE_IRQ_SENT_ENABLED	BIT(8)

static struct lock_class_key guse_gpio_irq_lock_class;
static struct lock_class_key guse_gpio_irq_request_class;

static struct guse_gpio *irqd_to_guse_gpio(struct irq_data *d)
{
	return irq_data_get_irq_chip_data(d);
}

/* Level-triggered lines whose level is active; called with state_lock. */
static bool guse_gpio_level_active(struct guse_gpio *chip, unsigned int line)
{
	bool level = test_bit(line, chip->levels);

	switch (chip->irq_type[line] & IRQ_TYPE_SENSE_MASK) {
	case IRQ_TYPE_LEVEL_HIGH:
		return level;
	case IRQ_TYPE_LEVEL_LOW:
		return !level;
	default:
		return false;
	}
}

static void guse_gpio_irq_ack(struct irq_data *d)
{
	/* nothing latches: the edge was consumed when it was raised */
}

static void guse_gpio_irq_mask(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__clear_bit(hwirq, chip->irq_unmasked);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	gpiochip_disable_irq(&chip->gc, hwirq);
}

static void guse_gpio_irq_unmask(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	bool raise = false;

	gpiochip_enable_irq(&chip->gc, hwirq);
	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__set_bit(hwirq, chip->irq_unmasked);
	/* a level interrupt stays asserted while its level is active */
	if (!chip->irq_dead && guse_gpio_level_active(chip, hwirq)) {
		__set_bit(hwirq, chip->irq_pending_level);
		raise = true;
	}
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	if (raise)
		irq_work_queue(&chip->irq_work);
}

static int guse_gpio_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	switch (type & IRQ_TYPE_SENSE_MASK) {
	case IRQ_TYPE_EDGE_RISING:
	case IRQ_TYPE_EDGE_FALLING:
	case IRQ_TYPE_EDGE_BOTH:
		irq_set_handler_locked(d, handle_edge_irq);
		break;
	case IRQ_TYPE_LEVEL_HIGH:
	case IRQ_TYPE_LEVEL_LOW:
		irq_set_handler_locked(d, handle_level_irq);
		break;
	case IRQ_TYPE_NONE:
		irq_set_handler_locked(d, handle_simple_irq);
		break;
	default:
		return -EINVAL;
	}
	raw_spin_lock_irqsave(&chip->state_lock, flags);
	chip->irq_type[hwirq] = type & IRQ_TYPE_SENSE_MASK;
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	return 0;
}

static void guse_gpio_irq_bus_lock(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);

	mutex_lock(&chip->irq_bus_lock);
}

static u32 guse_gpio_irq_type_to_guse(unsigned int type)
{
	switch (type) {
	case IRQ_TYPE_EDGE_RISING:
		return GUSE_IRQ_TYPE_EDGE_RISING;
	case IRQ_TYPE_EDGE_FALLING:
		return GUSE_IRQ_TYPE_EDGE_FALLING;
	case IRQ_TYPE_EDGE_BOTH:
		return GUSE_IRQ_TYPE_EDGE_BOTH;
	case IRQ_TYPE_LEVEL_HIGH:
		return GUSE_IRQ_TYPE_LEVEL_HIGH;
	case IRQ_TYPE_LEVEL_LOW:
		return GUSE_IRQ_TYPE_LEVEL_LOW;
	default:
		return GUSE_IRQ_TYPE_NONE;
	}
}

/*
 * Tells the server what changed in the interrupt setup of one line: its
 * trigger and whether it is enabled (requested and not disabled; transient
 * masking by the flow handlers is not reported).  The bus lock is dropped
 * first: an interrupt thread finishing a oneshot handler takes it, and
 * the server may be waiting for that thread (SET_INPUTS) while we would
 * wait for the server.
 */
static void guse_gpio_irq_bus_sync_unlock(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	struct guse_irq_config msg = { .line = cpu_to_le32(hwirq) };
	unsigned long flags;
	u16 state;

	mutex_unlock(&chip->irq_bus_lock);
	if (!(chip->features & GUSE_CREATE_F_IRQ_CONFIG) ||
	    !guse_gpio_enter(chip))
		return;

	mutex_lock(&chip->irq_config_lock);
	raw_spin_lock_irqsave(&chip->state_lock, flags);
	state = guse_gpio_irq_type_to_guse(chip->irq_type[hwirq]);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	if (!irqd_irq_disabled(d))
		state |= GUSE_IRQ_SENT_ENABLED;

	if (state != chip->irq_sent[hwirq]) {
		msg.type = cpu_to_le32(state & 0xff);
		msg.flags = cpu_to_le32(state & GUSE_IRQ_SENT_ENABLED ?
					GUSE_IRQ_F_ENABLED : 0);
		if (!guse_gpio_call(chip, GUSE_OP_IRQ_CONFIG, &msg,
				    sizeof(msg), NULL, 0))
			chip->irq_sent[hwirq] = state;
	}
	mutex_unlock(&chip->irq_config_lock);
	guse_gpio_leave(chip);
}

static int guse_gpio_irq_reqres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);

	return gpiochip_reqres_irq(&chip->gc, irqd_to_hwirq(d));
}

static void guse_gpio_irq_relres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);

	gpiochip_relres_irq(&chip->gc, irqd_to_hwirq(d));
}

static const struct irq_chip guse_gpio_irq_chip = {
	.name			= "guse",
	.irq_request_resources	= guse_gpio_irq_reqres,
	.irq_release_resources	= guse_gpio_irq_relres,
	.irq_ack		= guse_gpio_irq_ack,
	.irq_mask		= guse_gpio_irq_mask,
	.irq_unmask		= guse_gpio_irq_unmask,
	.irq_set_type		= guse_gpio_irq_set_type,
	.irq_bus_lock		= guse_gpio_irq_bus_lock,
	.irq_bus_sync_unlock	= guse_gpio_irq_bus_sync_unlock,
	.flags			= IRQCHIP_IMMUTABLE | IRQCHIP_SKIP_SET_WAKE,
};

static int guse_gpio_irq_map(struct irq_domain *domain, unsigned int virq,
			     irq_hw_number_t hwirq)
{
	struct guse_gpio *chip = domain->host_data;

	irq_set_chip_data(virq, chip);
	irq_set_lockdep_class(virq, &guse_gpio_irq_lock_class,
			      &guse_gpio_irq_request_class);
	irq_set_chip_and_handler(virq, &guse_gpio_irq_chip, handle_simple_irq);
	irq_set_noprobe(virq);
	return 0;
}

static void guse_gpio_irq_unmap(struct irq_domain *domain, unsigned int virq)
{
	irq_set_chip_and_handler(virq, NULL, NULL);
	irq_set_chip_data(virq, NULL);
}

static const struct irq_domain_ops guse_gpio_irq_domain_ops = {
	.map	= guse_gpio_irq_map,
	.unmap	= guse_gpio_irq_unmap,
	.xlate	= irq_domain_xlate_twocell,
};

static int guse_gpio_to_irq(struct gpio_chip *gc, unsigned int offset)
{
	struct guse_gpio *chip = gpiochip_get_data(gc);
	unsigned int virq;

	virq = irq_create_mapping(chip->irq_domain, offset);
	return virq ? virq : -ENXIO;
}

/* Raises the level interrupts that were still active when unmasked. */
static void guse_gpio_irq_work(struct irq_work *work)
{
	struct guse_gpio *chip = container_of(work, struct guse_gpio, irq_work);
	DECLARE_BITMAP(pending, GUSE_LINES_MAX);
	unsigned int line, n = chip->gc.ngpio;
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	bitmap_zero(pending, n);
	for_each_set_bit(line, chip->irq_pending_level, n)
		if (!chip->irq_dead && test_bit(line, chip->irq_unmasked) &&
		    guse_gpio_level_active(chip, line))
			__set_bit(line, pending);
	bitmap_zero(chip->irq_pending_level, n);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);

	for_each_set_bit(line, pending, n)
		generic_handle_domain_irq_safe(chip->irq_domain, line);
}

void guse_gpio_irq_registered(struct guse_gpio *chip)
{
	/*
	 * From now on gpiolib disposes of the mappings and removes the domain
	 * in gpiochip_remove().  Not set earlier: a failing
	 * gpiochip_add_data() may or may not have removed it then.
	 */
	chip->gc.irq.domain = chip->irq_domain;
}

void guse_gpio_irq_free_remaining(struct guse_gpio *chip)
{
	struct irq_data *data;
	struct irq_desc *desc;
	unsigned int line, virq;
	bool has_action;
	void *cookie;

	for (line = 0; line < chip->gc.ngpio; line++) {
		virq = irq_find_mapping(chip->irq_domain, line);
		data = virq ? irq_get_irq_data(virq) : NULL;
		if (!data)
			continue;
		desc = irq_data_to_desc(data);
		for (;;) {
			/* the action cannot go while we read its cookie */
			mutex_lock(&desc->request_mutex);
			has_action = irq_desc_has_action(desc);
			cookie = has_action ? desc->action->dev_id : NULL;
			mutex_unlock(&desc->request_mutex);
			if (!has_action)
				break;
			free_irq(virq, cookie);
		}
	}
}

int guse_gpio_irq_init(struct guse_gpio *chip)
{
	unsigned int n = chip->gc.ngpio;

	chip->irq_unmasked = bitmap_zalloc(n, GFP_KERNEL);
	chip->irq_pending_level = bitmap_zalloc(n, GFP_KERNEL);
	chip->irq_unsynced = bitmap_zalloc(n, GFP_KERNEL);
	chip->irq_type = kcalloc(n, sizeof(*chip->irq_type), GFP_KERNEL);
	chip->irq_sent = kcalloc(n, sizeof(*chip->irq_sent), GFP_KERNEL);
	if (!chip->irq_unmasked || !chip->irq_pending_level ||
	    !chip->irq_unsynced ||
	    !chip->irq_type || !chip->irq_sent) {
		guse_gpio_irq_cleanup(chip, false);
		return -ENOMEM;
	}
	init_irq_work(&chip->irq_work, guse_gpio_irq_work);

	chip->irq_fwnode = irq_domain_alloc_named_fwnode(chip->label);
	if (!chip->irq_fwnode) {
		guse_gpio_irq_cleanup(chip, false);
		return -ENOMEM;
	}
	chip->irq_domain = irq_domain_create_linear(chip->irq_fwnode, n,
						    &guse_gpio_irq_domain_ops,
						    chip);
	if (!chip->irq_domain) {
		guse_gpio_irq_cleanup(chip, false);
		return -ENOMEM;
	}
	chip->gc.to_irq = guse_gpio_to_irq;
	return 0;
}

void guse_gpio_irq_stop(struct guse_gpio *chip)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	chip->irq_dead = true;
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	irq_work_sync(&chip->irq_work);
}

void guse_gpio_irq_cleanup(struct guse_gpio *chip, bool registered)
{
	/* an unmask racing with guse_gpio_irq_stop() may have queued it */
	irq_work_sync(&chip->irq_work);
	if (chip->irq_domain && !registered)
		irq_domain_remove(chip->irq_domain);
	if (chip->irq_fwnode)
		irq_domain_free_fwnode(chip->irq_fwnode);
	chip->irq_domain = NULL;
	chip->irq_fwnode = NULL;
	bitmap_free(chip->irq_unmasked);
	bitmap_free(chip->irq_pending_level);
	bitmap_free(chip->irq_unsynced);
	kfree(chip->irq_type);
	kfree(chip->irq_sent);
	chip->irq_unmasked = NULL;
	chip->irq_pending_level = NULL;
	chip->irq_unsynced = NULL;
	chip->irq_type = NULL;
	chip->irq_sent = NULL;
}

/* Edge or level conditions met by a level change; called with state_lock. */
static bool guse_gpio_should_raise(struct guse_gpio *chip, unsigned int line,
				   bool old, bool new)
{
	unsigned int type = chip->irq_type[line];

	if (!test_bit(line, chip->irq_unmasked))
		return false;
	if (old != new) {
		if (new && (type & IRQ_TYPE_EDGE_RISING))
			return true;
		if (!new && (type & IRQ_TYPE_EDGE_FALLING))
			return true;
	}
	return guse_gpio_level_active(chip, line);
}

int guse_gpio_set_inputs(struct guse_gpio *chip, const void *payload,
			 size_t len)
{
	unsigned int n = chip->gc.ngpio, words = GUSE_BITMAP_WORDS(n);
	const struct guse_bitmap *bm = payload;
	u64 tmp[2 * GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	DECLARE_BITMAP(mask, GUSE_LINES_MAX);
	DECLARE_BITMAP(values, GUSE_LINES_MAX);
	DECLARE_BITMAP(raise, GUSE_LINES_MAX);
	DECLARE_BITMAP(wait, GUSE_LINES_MAX);
	unsigned long flags;
	unsigned int i, line, irq;
	bool old, new;

	if (len != sizeof(*bm) + 2 * words * sizeof(__le64) ||
	    le32_to_cpu(bm->num_words) != words || bm->reserved)
		return -EINVAL;
	for (i = 0; i < 2 * words; i++)
		tmp[i] = le64_to_cpu(bm->words[i]);
	if (n % 64 && ((tmp[words - 1] | tmp[2 * words - 1]) >> (n % 64)))
		return -EINVAL;
	bitmap_from_arr64(mask, tmp, n);
	bitmap_from_arr64(values, tmp + words, n);
	bitmap_zero(raise, n);

	/*
	 * A consumer's threaded handler reads the level that raised it (from
	 * chip->levels, never from the server, so this cannot deadlock):
	 * before a line raised earlier changes again, wait for the handlers
	 * of its last interrupt.  Servers that answer input reads themselves
	 * (GUSE_CREATE_F_GET_INPUTS) are not waited for.
	 */
	mutex_lock(&chip->inject_lock);
	if (!(chip->features & GUSE_CREATE_F_GET_INPUTS)) {
		bitmap_and(wait, mask, chip->irq_unsynced, n);
		for_each_set_bit(line, wait, n) {
			irq = irq_find_mapping(chip->irq_domain, line);
			if (irq)
				synchronize_irq(irq);
		}
		bitmap_andnot(chip->irq_unsynced, chip->irq_unsynced, wait, n);
	}

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	for_each_set_bit(line, mask, n) {
		old = test_bit(line, chip->levels);
		new = test_bit(line, values);
		__assign_bit(line, chip->levels, new);
		if (!chip->irq_dead && guse_gpio_should_raise(chip, line, old, new))
			__set_bit(line, raise);
	}
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);

	for_each_set_bit(line, raise, n)
		generic_handle_domain_irq_safe(chip->irq_domain, line);
	if (!(chip->features & GUSE_CREATE_F_GET_INPUTS))
		bitmap_or(chip->irq_unsynced, chip->irq_unsynced, raise, n);
	mutex_unlock(&chip->inject_lock);
	return 0;
}
