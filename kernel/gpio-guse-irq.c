// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpio-guse interrupts: a small irq domain whose interrupts fire when the
 * server injects input levels (GUSE_OP_SET_INPUTS).
 *
 * Interrupts are raised with generic_handle_domain_irq_safe(), so consumers
 * may use hard-irq handlers (gpiolib's software debounce does).  The
 * sleeping part of interrupt configuration (telling the server) happens in
 * irq_bus_sync_unlock, as in gpio-virtio, and never waits for the server.
 *
 * The domain is created and owned here rather than by GPIOLIB_IRQCHIP, so
 * that it outlives the gpio_chip: when the server dies, the interrupts
 * consumers hold stay theirs until they free them.  Freeing them behind
 * their owners' backs (as gpiolib does in gpiochip_remove() from 6.10 on)
 * races with owners inside request_threaded_irq(), which then wait forever
 * for an irq thread that was stopped, and makes the owners' own free_irq()
 * hit whatever interrupt reused the number.  Every held interrupt pins the
 * chip (guse_gpio_ref()); the last one lets guse_gpio_irq_cleanup() dispose
 * of the mappings and the domain.
 */
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdesc.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/guse.h>

#include "gpio-guse.h"
#include "guse-transport.h"

/* irq_sent: bit 8 says "enabled" above the GUSE_IRQ_TYPE_* value */
#define GUSE_IRQ_SENT_ENABLED	BIT(8)

static void guse_gpio_inject_work(struct work_struct *work);
static void guse_gpio_inject_stop(struct guse_gpio *chip);

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

/*
 * A level interrupt still active when it is unmasked fires again, as in
 * hardware, unless a queued injection is about to change the level: the
 * handler's run that made the device drop it would otherwise repeat
 * forever while the injection waits for the handler.  Called with
 * state_lock.
 */
static bool guse_gpio_level_retrigger(struct guse_gpio *chip,
				      unsigned int line)
{
	return !chip->irq_dead && !test_bit(line, chip->inject_queued) &&
	       guse_gpio_level_active(chip, line);
}

static void guse_gpio_irq_ack(struct irq_data *d)
{
	/* nothing latches: the edge was consumed when it was raised */
}

/*
 * gpiolib's descriptor flags are only touched while the chip is registered:
 * @irq_gone is set (under state_lock) before gpiochip_remove().
 */
static void guse_gpio_irq_mask(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	__clear_bit(hwirq, chip->irq_unmasked);
	if (!chip->irq_gone)
		gpiochip_disable_irq(&chip->gc, hwirq);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

static void guse_gpio_irq_unmask(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	bool raise = false;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	if (!chip->irq_gone)
		gpiochip_enable_irq(&chip->gc, hwirq);
	__set_bit(hwirq, chip->irq_unmasked);
	/* a level interrupt stays asserted while its level is active */
	if (guse_gpio_level_retrigger(chip, hwirq)) {
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
 * masking by the flow handlers is not reported).  Runs for every bus lock
 * section, including each oneshot handler's finalize in an irq thread, so
 * it never waits for the server (which may itself be waiting for that
 * thread in SET_INPUTS): the message is sent without waiting for its
 * answer, under the bus lock, which keeps the messages of one chip in the
 * order of the changes.
 */
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
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	if (!irqd_irq_disabled(d))
		state |= GUSE_IRQ_SENT_ENABLED;

	if (state != chip->irq_sent[hwirq]) {
		msg.type = cpu_to_le32(state & 0xff);
		msg.flags = cpu_to_le32(state & GUSE_IRQ_SENT_ENABLED ?
					GUSE_IRQ_F_ENABLED : 0);
		if (!guse_conn_send(chip->conn, GUSE_OP_IRQ_CONFIG, &msg,
				    sizeof(msg)))
			chip->irq_sent[hwirq] = state;
	}
	guse_gpio_leave(chip);
out:
	mutex_unlock(&chip->irq_bus_lock);
}

/* A consumer's interrupt pins the chip and the module until it is freed. */
static int guse_gpio_irq_reqres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	int ret;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	raw_spin_lock_irqsave(&chip->state_lock, flags);
	ret = chip->irq_gone ? -ENODEV : gpiochip_lock_as_irq(&chip->gc, hwirq);
	if (!ret) {
		__set_bit(hwirq, chip->irq_used);
		guse_gpio_ref(chip);
	}
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	if (ret)
		module_put(THIS_MODULE);
	return ret;
}

static void guse_gpio_irq_relres(struct irq_data *d)
{
	struct guse_gpio *chip = irqd_to_guse_gpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	if (!chip->irq_gone)
		gpiochip_unlock_as_irq(&chip->gc, hwirq);
	__clear_bit(hwirq, chip->irq_used);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	/* the release waits for this free_irq() to leave the descriptor */
	guse_gpio_unref(chip);
	module_put(THIS_MODULE);
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

	/* no interrupt for a line the modelled controller does not have */
	if (chip->invalid && test_bit(offset, chip->invalid))
		return -ENXIO;
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
		if (test_bit(line, chip->irq_unmasked) &&
		    guse_gpio_level_retrigger(chip, line))
			__set_bit(line, pending);
	bitmap_zero(chip->irq_pending_level, n);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);

	for_each_set_bit(line, pending, n)
		generic_handle_domain_irq_safe(chip->irq_domain, line);
}

/* The descriptor of a line's interrupt, if it is mapped. */
static struct irq_desc *guse_gpio_line_desc(struct guse_gpio *chip,
					    unsigned int line)
{
	unsigned int virq = irq_find_mapping(chip->irq_domain, line);
	struct irq_data *data = virq ? irq_get_irq_data(virq) : NULL;

	return data ? irq_data_to_desc(data) : NULL;
}

int guse_gpio_irq_init(struct guse_gpio *chip)
{
	unsigned int n = chip->gc.ngpio;
	const gfp_t gfp = GFP_KERNEL_ACCOUNT;

	chip->irq_unmasked = bitmap_zalloc(n, gfp);
	chip->irq_pending_level = bitmap_zalloc(n, gfp);
	chip->irq_unsynced = bitmap_zalloc(n, gfp);
	chip->irq_used = bitmap_zalloc(n, gfp);
	chip->inject_queued = bitmap_zalloc(n, gfp);
	chip->irq_type = kcalloc(n, sizeof(*chip->irq_type), gfp);
	chip->irq_sent = kcalloc(n, sizeof(*chip->irq_sent), gfp);
	init_irq_work(&chip->irq_work, guse_gpio_irq_work);
	INIT_LIST_HEAD(&chip->inject_queue);
	INIT_WORK(&chip->inject_work, guse_gpio_inject_work);
	init_waitqueue_head(&chip->inject_space);
	if (!chip->irq_unmasked || !chip->irq_pending_level ||
	    !chip->irq_unsynced || !chip->irq_used || !chip->inject_queued ||
	    !chip->irq_type || !chip->irq_sent)
		goto err;

	/* named by the device (guseN), unique, unlike the user's label */
	chip->irq_fwnode = irq_domain_alloc_named_fwnode(dev_name(chip->dev));
	if (!chip->irq_fwnode)
		goto err;
	chip->irq_domain = irq_domain_create_linear(chip->irq_fwnode, n,
						    &guse_gpio_irq_domain_ops,
						    chip);
	if (!chip->irq_domain)
		goto err;
	chip->gc.to_irq = guse_gpio_to_irq;
	return 0;
err:
	guse_gpio_irq_cleanup(chip);
	return -ENOMEM;
}

void guse_gpio_irq_stop(struct guse_gpio *chip)
{
	unsigned long flags;
	unsigned int line;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	chip->irq_dead = true;
	chip->irq_gone = true;
	for_each_set_bit(line, chip->irq_used, chip->gc.ngpio)
		gpiochip_unlock_as_irq(&chip->gc, line);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
	irq_work_sync(&chip->irq_work);
	guse_gpio_inject_stop(chip);
}

void guse_gpio_irq_cleanup(struct guse_gpio *chip)
{
	struct irq_desc *desc;
	unsigned int line;

	/* an unmask racing with guse_gpio_irq_stop() may have queued it */
	irq_work_sync(&chip->irq_work);
	if (chip->irq_domain) {
		for (line = 0; line < chip->gc.ngpio; line++) {
			desc = guse_gpio_line_desc(chip, line);
			if (!desc)
				continue;
			/*
			 * The free_irq() that dropped the last reference holds
			 * request_mutex until it is done with the descriptor.
			 */
			mutex_lock(&desc->request_mutex);
			WARN_ON_ONCE(irq_desc_has_action(desc));
			mutex_unlock(&desc->request_mutex);
			irq_dispose_mapping(irq_desc_get_irq(desc));
		}
		irq_domain_remove(chip->irq_domain);
	}
	if (chip->irq_fwnode)
		irq_domain_free_fwnode(chip->irq_fwnode);
	chip->irq_domain = NULL;
	chip->irq_fwnode = NULL;
	bitmap_free(chip->irq_unmasked);
	bitmap_free(chip->irq_pending_level);
	bitmap_free(chip->irq_unsynced);
	bitmap_free(chip->irq_used);
	bitmap_free(chip->inject_queued);
	kfree(chip->irq_type);
	kfree(chip->irq_sent);
	chip->irq_unmasked = NULL;
	chip->irq_pending_level = NULL;
	chip->irq_unsynced = NULL;
	chip->irq_used = NULL;
	chip->inject_queued = NULL;
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

/*
 * Injections that had to wait for consumers' handlers (see
 * guse_gpio_set_inputs()); allocated by the server's write, freed once
 * applied or dropped by guse_gpio_irq_stop().
 */
struct guse_gpio_inject {
	struct list_head node;
	unsigned long bits[];	/* mask, then values: BITS_TO_LONGS(ngpio) each */
};

/* Most injections queued per chip before the server's write() waits. */
#define GUSE_INJECT_QUEUE_MAX	256

/*
 * Lines of @mask that were raised and whose handlers may still run: a
 * threaded handler reads the level that raised it (both-edge consumers
 * tell rising from falling so), so such a line must not change before
 * they are done.  Lines whose handlers are done are forgotten.  Called
 * with inject_lock held; never sleeps.
 */
static bool guse_gpio_inject_busy(struct guse_gpio *chip,
				  const unsigned long *mask)
{
	unsigned int line, n = chip->gc.ngpio;
	struct irq_desc *desc;
	bool busy = false;

	if (chip->features & GUSE_CREATE_F_GET_INPUTS)
		return false;
	for_each_set_bit(line, chip->irq_unsynced, n) {
		if (!test_bit(line, mask))
			continue;
		desc = guse_gpio_line_desc(chip, line);
		if (desc && (atomic_read(&desc->threads_active) ||
			     irqd_irq_inprogress(&desc->irq_data)))
			busy = true;
		else
			__clear_bit(line, chip->irq_unsynced);
	}
	return busy;
}

/*
 * Sets the levels and raises what they trigger; called with inject_lock.
 * @queued: the lines still changed by queued injections after this one, set
 * together with the levels, so that the level re-trigger sees both or none.
 */
static void guse_gpio_apply_inputs(struct guse_gpio *chip,
				   const unsigned long *mask,
				   const unsigned long *values,
				   const unsigned long *queued)
{
	DECLARE_BITMAP(raise, GUSE_LINES_MAX);
	unsigned int line, n = chip->gc.ngpio;
	unsigned long flags;
	bool old, new;

	bitmap_zero(raise, n);
	raw_spin_lock_irqsave(&chip->state_lock, flags);
	bitmap_copy(chip->inject_queued, queued, n);
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
}

/*
 * Applies the queued injections in order, each once the handlers of the
 * lines it changes are done.  It waits for them here, in a worker, and not
 * in the server's write(): a handler may need the server (it sets an
 * output, or touches another chip the same server thread serves).
 */
static void guse_gpio_inject_work(struct work_struct *work)
{
	struct guse_gpio *chip = container_of(work, struct guse_gpio,
					      inject_work);
	unsigned int line, words = BITS_TO_LONGS(chip->gc.ngpio);
	DECLARE_BITMAP(queued, GUSE_LINES_MAX);
	DECLARE_BITMAP(wait, GUSE_LINES_MAX);
	struct guse_gpio_inject *inj, *next;
	struct irq_desc *desc;

	for (;;) {
		mutex_lock(&chip->inject_lock);
		inj = list_first_entry_or_null(&chip->inject_queue,
					       struct guse_gpio_inject, node);
		if (!inj || chip->irq_dead) {
			mutex_unlock(&chip->inject_lock);
			return;
		}
		bitmap_and(wait, inj->bits, chip->irq_unsynced,
			   chip->gc.ngpio);
		mutex_unlock(&chip->inject_lock);

		/*
		 * Nothing raises these lines meanwhile: only this worker
		 * injects while the queue is not empty, and the level
		 * re-trigger leaves lines with queued changes alone.
		 */
		for_each_set_bit(line, wait, chip->gc.ngpio) {
			desc = guse_gpio_line_desc(chip, line);
			if (desc)
				synchronize_irq(irq_desc_get_irq(desc));
		}

		mutex_lock(&chip->inject_lock);
		bitmap_andnot(chip->irq_unsynced, chip->irq_unsynced, wait,
			      chip->gc.ngpio);
		list_del(&inj->node);
		chip->inject_len--;
		bitmap_zero(queued, chip->gc.ngpio);
		list_for_each_entry(next, &chip->inject_queue, node)
			bitmap_or(queued, queued, next->bits, chip->gc.ngpio);
		guse_gpio_apply_inputs(chip, inj->bits, inj->bits + words,
				       queued);
		mutex_unlock(&chip->inject_lock);
		wake_up(&chip->inject_space);
		kfree(inj);
	}
}

/* Drops what is queued; the chip is dead (irq_dead is set). */
static void guse_gpio_inject_stop(struct guse_gpio *chip)
{
	struct guse_gpio_inject *inj, *tmp;

	cancel_work_sync(&chip->inject_work);
	mutex_lock(&chip->inject_lock);
	list_for_each_entry_safe(inj, tmp, &chip->inject_queue, node) {
		list_del(&inj->node);
		kfree(inj);
	}
	chip->inject_len = 0;
	mutex_unlock(&chip->inject_lock);
	wake_up_all(&chip->inject_space);
	/* the chip is dead: nothing is re-triggered any more either */
}

/* The lines of a queued injection; called with inject_lock. */
static void guse_gpio_mark_queued(struct guse_gpio *chip,
				  const unsigned long *mask)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->state_lock, flags);
	bitmap_or(chip->inject_queued, chip->inject_queued, mask,
		  chip->gc.ngpio);
	raw_spin_unlock_irqrestore(&chip->state_lock, flags);
}

static bool guse_gpio_inject_space(struct guse_gpio *chip)
{
	return READ_ONCE(chip->inject_len) < GUSE_INJECT_QUEUE_MAX ||
	       READ_ONCE(chip->irq_dead);
}

int guse_gpio_set_inputs(struct guse_gpio *chip, const void *payload,
			 size_t len)
{
	unsigned int n = chip->gc.ngpio, words = GUSE_BITMAP_WORDS(n);
	unsigned int lwords = BITS_TO_LONGS(n);
	const struct guse_bitmap *bm = payload;
	u64 tmp[2 * GUSE_BITMAP_WORDS(GUSE_LINES_MAX)];
	DECLARE_BITMAP(mask, GUSE_LINES_MAX);
	DECLARE_BITMAP(values, GUSE_LINES_MAX);
	struct guse_gpio_inject *inj;
	unsigned int i;

	if (len != sizeof(*bm) + 2 * words * sizeof(__le64) ||
	    le32_to_cpu(bm->num_words) != words || bm->reserved)
		return -EINVAL;
	for (i = 0; i < 2 * words; i++)
		tmp[i] = le64_to_cpu(bm->words[i]);
	if (n % 64 && ((tmp[words - 1] | tmp[2 * words - 1]) >> (n % 64)))
		return -EINVAL;
	bitmap_from_arr64(mask, tmp, n);
	bitmap_from_arr64(values, tmp + words, n);
	if (chip->invalid && bitmap_intersects(mask, chip->invalid, n))
		return -EINVAL;

	mutex_lock(&chip->inject_lock);
	if (list_empty(&chip->inject_queue) &&
	    !guse_gpio_inject_busy(chip, mask)) {
		/* nothing queued: inject_queued is empty and stays so */
		guse_gpio_apply_inputs(chip, mask, values, chip->inject_queued);
		mutex_unlock(&chip->inject_lock);
		return 0;
	}
	mutex_unlock(&chip->inject_lock);

	/* a line must wait for handlers: queue it behind what already waits */
	inj = kmalloc(struct_size(inj, bits, 2 * lwords), GFP_KERNEL_ACCOUNT);
	if (!inj)
		return -ENOMEM;
	bitmap_copy(inj->bits, mask, n);
	bitmap_copy(inj->bits + lwords, values, n);
	mutex_lock(&chip->inject_lock);
	while (chip->inject_len >= GUSE_INJECT_QUEUE_MAX && !chip->irq_dead) {
		mutex_unlock(&chip->inject_lock);
		if (wait_event_interruptible(chip->inject_space,
					     guse_gpio_inject_space(chip))) {
			kfree(inj);
			return -EINTR;
		}
		mutex_lock(&chip->inject_lock);
	}
	list_add_tail(&inj->node, &chip->inject_queue);
	chip->inject_len++;
	guse_gpio_mark_queued(chip, mask);
	queue_work(system_unbound_wq, &chip->inject_work);
	mutex_unlock(&chip->inject_lock);
	return 0;
}
