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
 * The domain is ours rather than gpiolib's (GPIOLIB_IRQCHIP) because a
 * server can die while consumers hold interrupts of its lines.  gpiolib
 * would dispose of the mappings under them when the chip is removed (on
 * 6.1 that leaks /proc/irq entries with a WARNING, and a later free_irq()
 * may hit a reused number).  We remove the gpio_chip at once, so consumers
 * see ENODEV and POLLHUP, and keep the domain until the last interrupt has
 * been freed.
 */
#include <linux/bitmap.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdesc.h>
#include <linux/irqdomain.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <linux/guse.h>

#include "gpio-guse.h"

/* irq_sent: bit 8 says "enabled" above the GUSE_IRQ_TYPE_* value */
#define GUSE_IRQ_SENT_ENABLED	BIT(8)

/* Delay between the last free_irq() of a removed chip and its domain going */
#define GUSE_IRQ_RELEASE_DELAY	HZ

/* Removed chips whose domain is still alive; see guse_gpio_irq_release(). */
static LIST_HEAD(guse_gpio_zombies);
static DEFINE_MUTEX(guse_gpio_zombies_lock);

static struct lock_class_key guse_gpio_irq_lock_class;
static struct lock_class_key guse_gpio_irq_request_class;

static struct guse_gpio *irqd_to_guse_gpio(struct irq_data *d)
{
	return irq_data_get_irq_chip_data(d);
}

/* True once gpiochip_remove() ran: gpiolib must not be called any more. */
static bool guse_gpio_removed(struct guse_gpio *chip)
{
	return READ_ONCE(chip->removed);
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
	if (!guse_gpio_removed(chip))
		gpiochip_disable_irq(&chip->gc, hwirq);
}

static void guse_gpio_irq_unmask(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	bool raise = false;

	if (!guse_gpio_removed(chip))
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

/* Tells the server what changed in the interrupt setup of one line. */
static void guse_gpio_irq_bus_sync_unlock(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	struct guse_irq_config msg = { .line = cpu_to_le32(hwirq) };
	unsigned long flags;
	u16 state;

	if (!(chip->features & GUSE_CREATE_F_IRQ_CONFIG) ||
	    !guse_gpio_enter(chip))
		goto out;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	state = guse_gpio_irq_type_to_guse(chip->irq_type[hwirq]);
	if (test_bit(hwirq, chip->irq_unmasked))
		state |= GUSE_IRQ_SENT_ENABLED;
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);

	if (state != chip->irq_sent[hwirq]) {
		msg.type = cpu_to_le32(state & 0xff);
		msg.flags = cpu_to_le32(state & GUSE_IRQ_SENT_ENABLED ?
					GUSE_IRQ_F_ENABLED : 0);
		if (!guse_gpio_call(chip, GUSE_OP_IRQ_CONFIG, &msg,
				    sizeof(msg), NULL, 0))
			chip->irq_sent[hwirq] = state;
	}
	guse_gpio_leave(chip);
out:
	mutex_unlock(&chip->irq_bus_lock);
}

static int guse_gpio_irq_reqres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	int ret;

	if (guse_gpio_removed(chip))
		return -ENODEV;
	ret = gpiochip_reqres_irq(&chip->gc, irqd_to_hwirq(d));
	if (!ret)
		atomic_inc(&chip->irqs_in_use);
	return ret;
}

static void guse_gpio_irq_relres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);

	/*
	 * After the chip is gone, only drop the module reference that
	 * gpiochip_reqres_irq() took; its descriptors are no concern of ours.
	 */
	if (guse_gpio_removed(chip))
		module_put(THIS_MODULE);
	else
		gpiochip_relres_irq(&chip->gc, irqd_to_hwirq(d));
	atomic_dec(&chip->irqs_in_use);
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
	if (chip->irq_dead)
		bitmap_zero(pending, n);
	else
		bitmap_copy(pending, chip->irq_pending_level, n);
	bitmap_zero(chip->irq_pending_level, n);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);

	for_each_set_bit(line, pending, n)
		generic_handle_domain_irq_safe(chip->irq_domain, line);
}

/* Frees the domain; no interrupt of it may be requested any more. */
static void guse_gpio_irq_free_domain(struct guse_gpio *chip)
{
	unsigned int line, virq;

	if (!chip->irq_domain)
		return;
	for (line = 0; line < chip->gc.ngpio; line++) {
		virq = irq_find_mapping(chip->irq_domain, line);
		if (virq)
			irq_dispose_mapping(virq);
	}
	irq_domain_remove(chip->irq_domain);
	irq_domain_free_fwnode(chip->irq_fwnode);
	chip->irq_domain = NULL;
}

static bool guse_gpio_irq_busy(struct guse_gpio *chip)
{
	unsigned int line, virq;

	if (atomic_read(&chip->irqs_in_use))
		return true;
	for (line = 0; line < chip->gc.ngpio; line++) {
		virq = irq_find_mapping(chip->irq_domain, line);
		if (virq && irq_has_action(virq))
			return true;
	}
	return false;
}

/* Frees a removed chip once nobody holds one of its interrupts. */
static void guse_gpio_irq_release_work(struct work_struct *work)
{
	struct guse_gpio *chip = container_of(to_delayed_work(work),
					      struct guse_gpio,
					      irq_release_work);

	mutex_lock(&guse_gpio_zombies_lock);
	if (guse_gpio_irq_busy(chip)) {
		/*
		 * Checked again a little later, so that the free_irq() that
		 * released the last one has returned before the domain goes.
		 */
		schedule_delayed_work(&chip->irq_release_work,
				      GUSE_IRQ_RELEASE_DELAY);
		mutex_unlock(&guse_gpio_zombies_lock);
		return;
	}
	list_del(&chip->zombie_node);
	mutex_unlock(&guse_gpio_zombies_lock);
	guse_gpio_irq_free_domain(chip);
	guse_gpio_irq_cleanup(chip);
	guse_gpio_free_chip(chip);
}

void guse_gpio_irq_release(struct guse_gpio *chip)
{
	WRITE_ONCE(chip->removed, true);
	mutex_lock(&guse_gpio_zombies_lock);
	list_add(&chip->zombie_node, &guse_gpio_zombies);
	INIT_DELAYED_WORK(&chip->irq_release_work, guse_gpio_irq_release_work);
	schedule_delayed_work(&chip->irq_release_work,
			      guse_gpio_irq_busy(chip) ?
			      GUSE_IRQ_RELEASE_DELAY : 0);
	mutex_unlock(&guse_gpio_zombies_lock);
}

void guse_gpio_irq_exit(void)
{
	struct guse_gpio *chip, *prev = NULL;

	/*
	 * The module is unpinned, so no interrupt of ours is requested and
	 * every zombie can go now.  A chip still first after its work was
	 * cancelled (or ran without freeing it) is released here.
	 */
	for (;;) {
		mutex_lock(&guse_gpio_zombies_lock);
		chip = list_first_entry_or_null(&guse_gpio_zombies,
						struct guse_gpio, zombie_node);
		mutex_unlock(&guse_gpio_zombies_lock);
		if (!chip)
			break;
		if (cancel_delayed_work_sync(&chip->irq_release_work) ||
		    chip == prev)
			guse_gpio_irq_release_work(&chip->irq_release_work.work);
		prev = chip;
	}
}

int guse_gpio_irq_init(struct guse_gpio *chip)
{
	unsigned int n = chip->gc.ngpio;

	chip->irq_unmasked = bitmap_zalloc(n, GFP_KERNEL);
	chip->irq_pending_level = bitmap_zalloc(n, GFP_KERNEL);
	chip->irq_type = kcalloc(n, sizeof(*chip->irq_type), GFP_KERNEL);
	chip->irq_sent = kcalloc(n, sizeof(*chip->irq_sent), GFP_KERNEL);
	if (!chip->irq_unmasked || !chip->irq_pending_level ||
	    !chip->irq_type || !chip->irq_sent) {
		guse_gpio_irq_cleanup(chip);
		return -ENOMEM;
	}
	init_irq_work(&chip->irq_work, guse_gpio_irq_work);
	atomic_set(&chip->irqs_in_use, 0);

	chip->irq_fwnode = irq_domain_alloc_named_fwnode(chip->label);
	if (!chip->irq_fwnode) {
		guse_gpio_irq_cleanup(chip);
		return -ENOMEM;
	}
	chip->irq_domain = irq_domain_create_linear(chip->irq_fwnode, n,
						    &guse_gpio_irq_domain_ops,
						    chip);
	if (!chip->irq_domain) {
		irq_domain_free_fwnode(chip->irq_fwnode);
		guse_gpio_irq_cleanup(chip);
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

void guse_gpio_irq_cleanup(struct guse_gpio *chip)
{
	guse_gpio_irq_free_domain(chip);
	bitmap_free(chip->irq_unmasked);
	bitmap_free(chip->irq_pending_level);
	kfree(chip->irq_type);
	kfree(chip->irq_sent);
	chip->irq_unmasked = NULL;
	chip->irq_pending_level = NULL;
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

	/*
	 * Let the consumers' threaded handlers read the level this message
	 * set before the server can change it again.  They read inputs from
	 * chip->levels, never from the server, so this cannot deadlock.
	 */
	if (chip->features & GUSE_CREATE_F_GET_INPUTS)
		return 0;
	for_each_set_bit(line, raise, n) {
		irq = irq_find_mapping(chip->irq_domain, line);
		if (irq)
			synchronize_irq(irq);
	}
	return 0;
}
