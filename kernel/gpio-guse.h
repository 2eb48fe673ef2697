/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gpio-guse.h - state shared by the parts of gpio-guse.ko: the gpio_chip
 * callbacks (gpio-guse-chip.c) and the interrupt side (gpio-guse-irq.c).
 */
#ifndef _GPIO_GUSE_H
#define _GPIO_GUSE_H

#include <linux/atomic.h>
#include <linux/gpio/driver.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/guse.h>

struct device;
struct fwnode_handle;
struct guse_conn;
struct guse_req;
struct irq_domain;

/**
 * struct guse_gpio - one chip served by one userspace server
 *
 * Created by the server's CREATE.  References: the connection's, dropped
 * once the server is gone and the gpio_chip removed, and one per interrupt
 * a consumer holds (from irq_request_resources to irq_release_resources),
 * so that the irq domain and its mappings outlive every interrupt a consumer
 * still owns.  The last reference frees the chip from a work item
 * (guse_gpio_unref()).
 *
 * @ref: see above
 * @free_work: frees the chip after the last reference
 * @gc: the gpiolib chip
 * @conn: transport connection to the server
 * @dev: the class device /sys/class/guse/guseN
 * @parent: the gpio_chip's parent: @dev, or a plain child of it (see
 *	GUSE_COMPAT_PLAIN_PARENT)
 * @id: N in guseN
 * @server_pid: pid of the server process (global namespace)
 * @features: GUSE_CREATE_F_* the server announced
 * @version_minor: the protocol minor version the server announced
 * @timeout_ms: request timeout
 * @label: chip label
 * @chip_name: name of the gpiolib character device, "gpiochipN"
 * @fwnode: software node carrying the "gpio-line-names" property, or NULL
 * @gpio_dev: the gpiolib device of the chip ("gpiochipN"), referenced
 * @registering: gpiochip_add_data() is running in the server's write():
 *	answer get_direction locally, the server cannot read yet
 * @dead: the server is gone; every callback fails with -ENODEV
 * @active: callbacks currently running
 * @drain: woken when @active drops to zero
 * @zombie: the server is gone, the chip waits for its lines' release
 * @remove_work: removes a zombie once its last line was released
 * @zombie_node: entry in the list of zombies
 * @lines_lock: protects @requested, @released and @free_msg (and @requested against
 *	the label drop of a removal)
 * @requested: lines gpiolib requested from us and did not free yet
 * @free_msg: per line, the FREE prepared when the server granted it
 * @consumer_pending: lines requested whose consumer label the server has
 *	not been told yet (see GUSE_OP_CONSUMER)
 * @state_lock: protects @is_output, @levels, @out_known, @out_values and
 *	the interrupt state below, except where another lock is named
 * @is_output: lines the server reported or set as outputs
 * @levels: input levels the server injected
 * @out_known: outputs whose driven value the kernel set (and so knows):
 *	cleared when the line turns input, is released or a set fails
 * @out_values: the values last set on the lines of @out_known
 * @irq_bus_lock: the irq_chip bus lock (slow, sleeping part of irq setup)
 * @irq_unmasked: lines whose interrupt is unmasked
 * @irq_type: IRQ_TYPE_* of each line's interrupt
 * @irq_used: lines whose interrupt a consumer holds (resources requested)
 * @irq_gone: the chip is being removed: gpiolib's descriptors are no longer
 *	told about interrupts, and no interrupt can be requested
 * @irq_sent: interrupt state last reported to the server, per line: type
 *	in bits 0-7, GUSE_IRQ_F_ENABLED in bit 8; protected by @irq_bus_lock
 * @irq_work: raises @irq_pending_level from hard interrupt context
 * @irq_pending_level: level-triggered lines to raise again on unmask
 * @irq_dead: the chip is going away: raise nothing any more
 * @inject_lock: serializes SET_INPUTS messages and protects the four below
 * @irq_unsynced: lines raised whose handlers may not have run yet
 * @inject_queue: injections waiting for handlers, oldest first
 * @inject_len: entries in @inject_queue
 * @inject_work: applies @inject_queue
 * @inject_space: writers waiting for room in @inject_queue
 * @inject_queued: lines changed by injections in @inject_queue; written
 *	under both @inject_lock and @state_lock, read under either
 * @irq_fwnode: names @irq_domain
 * @irq_domain: the chip's interrupts, one per line
 * @invalid: lines missing from the valid mask, or NULL when all are valid;
 *	read-only after creation
 * @dev_lock: serializes the device side's changes (gpio-guse-device.c) and
 *	protects @claimed and @claim_desc
 * @dev_task: the task applying a device-side change while gpiolib calls the
 *	chip back for it (see guse_gpio_is_device_side()), else NULL
 * @dev_line: the line of that change
 * @claimed: lines the device side holds, or is about to hold at creation
 *	(hogs: host requests of them fail until they are taken)
 * @released: lines whose FREE went out and that no device-side direction
 *	change or claim has followed since; protected by @lines_lock
 * @claim_desc: per line, gpiolib's descriptor of the device side's claim
 */
struct guse_gpio {
	struct kref ref;
	struct work_struct free_work;
	struct gpio_chip gc;
	struct guse_conn *conn;
	struct device *dev;
	struct device *parent;
	int id;
	pid_t server_pid;
	u32 features;
	u16 version_minor;
	unsigned int timeout_ms;
	char label[GUSE_NAME_SIZE];
	char chip_name[GUSE_NAME_SIZE];
	struct fwnode_handle *fwnode;
	struct device *gpio_dev;
	bool registering;
	bool dead;
	atomic_t active;
	wait_queue_head_t drain;
	bool zombie;
	struct delayed_work remove_work;
	struct list_head zombie_node;
	struct mutex lines_lock;	/* see the kernel-doc above */
	unsigned long *requested;
	struct guse_req **free_msg;
	unsigned long *consumer_pending;

	raw_spinlock_t state_lock;
	unsigned long *is_output;
	unsigned long *levels;
	unsigned long *out_known;
	unsigned long *out_values;

	struct mutex irq_bus_lock;	/* see the kernel-doc above */
	unsigned long *irq_unmasked;
	u8 *irq_type;
	unsigned long *irq_used;
	bool irq_gone;
	u16 *irq_sent;
	struct irq_work irq_work;
	unsigned long *irq_pending_level;
	bool irq_dead;
	struct mutex inject_lock;	/* see the kernel-doc above */
	unsigned long *irq_unsynced;
	struct list_head inject_queue;
	unsigned int inject_len;
	struct work_struct inject_work;
	wait_queue_head_t inject_space;
	unsigned long *inject_queued;
	struct fwnode_handle *irq_fwnode;
	struct irq_domain *irq_domain;

	unsigned long *invalid;
	struct mutex dev_lock;		/* see the kernel-doc above */
	struct task_struct *dev_task;
	unsigned int dev_line;
	unsigned long *claimed;
	unsigned long *released;
	struct gpio_desc **claim_desc;
};

/**
 * guse_gpio_ref() - take a reference on a chip
 * @chip: the chip
 */
void guse_gpio_ref(struct guse_gpio *chip);

/**
 * guse_gpio_unref() - drop a reference on a chip
 * @chip: the chip
 *
 * The last reference queues the chip's release, which waits for every
 * interrupt descriptor of the chip to be unused, disposes of the mappings
 * and the domain and frees the chip.  Safe from irq_release_resources.
 */
void guse_gpio_unref(struct guse_gpio *chip);

/**
 * guse_gpio_enter() - start a callback that may talk to the server
 * @chip: the chip
 *
 * Return: true if the server is alive; then guse_gpio_leave() must follow.
 */
bool guse_gpio_enter(struct guse_gpio *chip);

/**
 * guse_gpio_leave() - end what guse_gpio_enter() started
 * @chip: the chip
 */
void guse_gpio_leave(struct guse_gpio *chip);

/**
 * guse_gpio_call() - send a request for this chip and wait for the reply
 * @chip: the chip
 * @opcode: GUSE_OP_*
 * @in: request payload
 * @in_len: size of @in
 * @out: reply payload buffer
 * @out_len: exact reply payload size
 *
 * Return: 0 or a negative errno (see guse_conn_call()).
 */
int guse_gpio_call(struct guse_gpio *chip, u16 opcode, const void *in,
		   size_t in_len, void *out, size_t out_len);

/**
 * guse_gpio_irq_init() - set up the chip's interrupt controller
 * @chip: the chip, before gpiochip_add_data()
 *
 * Return: 0 or a negative errno.
 */
int guse_gpio_irq_init(struct guse_gpio *chip);

/**
 * guse_gpio_irq_stop() - stop raising interrupts and detach them from gpiolib
 * @chip: the chip of a server that is gone, before gpiochip_remove()
 *
 * Waits for interrupts being raised to finish.  Interrupts consumers hold
 * stay theirs: they are not freed here (their owners free them, whenever
 * they do), but gpiolib's descriptors no longer mark their lines as used
 * for interrupts, so that gpiochip_remove() does not free them either.  New
 * interrupt requests fail with -ENODEV.
 */
void guse_gpio_irq_stop(struct guse_gpio *chip);

/**
 * guse_gpio_irq_cleanup() - free what guse_gpio_irq_init() allocated
 * @chip: the chip, no longer registered with gpiolib and with no interrupt
 *	held by a consumer
 *
 * Waits for the free_irq() that released the last interrupt to finish with
 * each descriptor, then disposes of the mappings and removes the domain.
 */
void guse_gpio_irq_cleanup(struct guse_gpio *chip);

/**
 * guse_gpio_set_inputs() - apply a GUSE_OP_SET_INPUTS notification
 * @chip: the chip
 * @payload: message payload (unvalidated)
 * @len: payload size
 *
 * Updates the input levels and raises the interrupts of watched lines
 * whose level changed the way their trigger asks for.  Unless the server
 * reads inputs itself (GUSE_CREATE_F_GET_INPUTS), a line raised by an
 * earlier message is not changed before the consumers' handlers for that
 * interrupt have run: such a message, and every one after it, is queued
 * and applied in order by a worker once they have.  The server's write()
 * never waits for a handler; it waits only while GUSE_INJECT_QUEUE_MAX
 * messages are queued.
 *
 * Return: 0; -EINVAL for a malformed message or one that sets a line
 * missing from the valid mask (nothing changes); -ENOMEM;
 * -EINTR when a signal ended the wait for room in the queue.
 */
int guse_gpio_set_inputs(struct guse_gpio *chip, const void *payload,
			 size_t len);

/**
 * guse_gpio_name_valid() - check a name field of a message
 * @name: GUSE_NAME_SIZE bytes
 * @may_be_empty: whether "" is allowed
 *
 * Return: true if @name is NUL-terminated within its field (and not empty
 * unless allowed).
 */
bool guse_gpio_name_valid(const char *name, bool may_be_empty);

/**
 * guse_gpio_check_line_init() - validate the line state part of a CREATE
 * @data: what follows struct guse_create and the line names
 * @len: its size
 * @num_lines: the chip's number of lines
 *
 * Return: 0, or -EINVAL unless @data is exactly @num_lines valid struct
 * guse_line_init followed by one valid consumer label per hog.
 */
int guse_gpio_check_line_init(const void *data, size_t len,
			      unsigned int num_lines);

/**
 * guse_gpio_device_setup() - apply the line state of a CREATE
 * @chip: the chip, allocated, before gpiochip_add_data()
 * @init: the checked line state, or NULL when the server sent none
 *
 * Allocates the device side's state, presets directions and input levels,
 * sets up the valid mask and marks the hogs' lines as claimed.
 *
 * Return: 0 or -ENOMEM (guse_gpio_device_free() cleans up either way).
 */
int guse_gpio_device_setup(struct guse_gpio *chip,
			   const struct guse_line_init *init);

/**
 * guse_gpio_device_hogs() - take the hogs of a CREATE
 * @chip: the chip, registered with gpiolib, before READY is sent
 * @init: the line state given to guse_gpio_device_setup(), or NULL
 *
 * Return: 0 or the negative errno of the first hog that failed.
 */
int guse_gpio_device_hogs(struct guse_gpio *chip,
			  const struct guse_line_init *init);

/**
 * guse_gpio_device_release() - give back every line the device side holds
 * @chip: the chip of a server that is gone, before gpiochip_remove()
 */
void guse_gpio_device_release(struct guse_gpio *chip);

/**
 * guse_gpio_device_free() - free what guse_gpio_device_setup() allocated
 * @chip: the chip
 */
void guse_gpio_device_free(struct guse_gpio *chip);

/**
 * guse_gpio_is_device_side() - whether a callback serves a device-side change
 * @chip: the chip
 * @line: the line the callback is about
 *
 * gpiolib calls the chip back while a device-side change of @line is
 * applied from the server's write(): those callbacks answer from the chip's
 * state and send nothing to the server.
 *
 * Return: true for such a callback.
 */
bool guse_gpio_is_device_side(struct guse_gpio *chip, unsigned int line);

/**
 * guse_gpio_device_notify() - apply a device-side notification (1.1)
 * @chip: the chip
 * @opcode: GUSE_OP_LINE_DIRECTION, GUSE_OP_CLAIM or GUSE_OP_UNCLAIM
 * @payload: message payload (unvalidated)
 * @len: payload size
 *
 * Return: 0; -EINVAL for a malformed message, a line that is not on the
 * chip or not valid, a bad label, or UNCLAIM of a line not claimed; -EBUSY
 * when a host consumer holds the line (or, for CLAIM, anyone does); the
 * errno of gpiolib; -EOPNOTSUPP for another opcode, or when the server
 * announced protocol 1.0.
 */
int guse_gpio_device_notify(struct guse_gpio *chip, u16 opcode,
			    const void *payload, size_t len);

#endif /* _GPIO_GUSE_H */
