// SPDX-License-Identifier: MIT
/*
 * An emulator-style guse server: a memory-mapped GPIO controller model.
 *
 * The emulated SoC has a GPIO block with five 32-bit registers:
 *
 *   DATA_IN    levels on the pins (what the outside world drives)
 *   DATA_OUT   levels the SoC drives on its output pins
 *   DIR        1 = the SoC drives the pin (output), 0 = input
 *   IRQ_EN     rising-edge interrupt enable per pin
 *   IRQ_STATUS pending interrupts, write 1 to clear
 *
 * The pins of the model are the lines of the guse chip, i.e. the "outside
 * world" is every host consumer (gpioset, gpiomon, a kernel driver):
 *
 *   - a host consumer that drives a line (gpioset) drives DATA_IN of the SoC;
 *   - a pin the SoC drives (DIR=1) is read by host consumers (gpioget), and
 *     every change is delivered with guse_chip_set_inputs(), so gpiomon sees
 *     edges.
 *
 * A simulated CPU runs in its own thread and executes a tiny firmware: it
 * mirrors pin 0 onto pin 1 and counts rising edges of pin 0 through the
 * interrupt registers.  Host requests are not answered by the dispatching
 * thread: callbacks post them to a mailbox and the CPU thread answers them
 * between two instructions, from the register file -- as a bus access in
 * an emulator would.  (libguse allows replies from any thread.)
 *
 *   guse-example-mmio &               # prints "ready gpiochipN"
 *   gpioset -c gpiochipN 0=1          # firmware copies it to pin 1
 *   gpioget -c gpiochipN 1            # -> 1
 *   kill %1                           # prints the edge count, exits
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <guse.h>

#define NUM_PINS 8

/* --- the device model ------------------------------------------------------ */

enum { DATA_IN, DATA_OUT, DIR, IRQ_EN, IRQ_STATUS, NUM_REGS };

struct soc {
	pthread_mutex_t lock;
	uint32_t reg[NUM_REGS];
	struct guse_chip *chip;
	/* mailbox of host requests the CPU answers */
	struct guse_request *mbox[64];
	unsigned int mbox_len;
	volatile sig_atomic_t stop;
	unsigned long edges;		/* firmware variable */
};

static struct soc soc = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Bus write; lock held.  Updates the pins the host sees. */
static void mmio_write(unsigned int r, uint32_t v)
{
	uint32_t old_pins = soc.reg[DATA_OUT] & soc.reg[DIR];

	if (r == IRQ_STATUS)
		soc.reg[IRQ_STATUS] &= ~v;	/* write 1 to clear */
	else if (r != DATA_IN)			/* DATA_IN is read-only */
		soc.reg[r] = v;
	if ((soc.reg[DATA_OUT] & soc.reg[DIR]) != old_pins) {
		/* deliver the levels of the SoC-driven pins to the host */
		uint64_t mask = soc.reg[DIR], val = soc.reg[DATA_OUT];

		guse_chip_set_inputs(soc.chip, &mask, &val);
	}
}

static uint32_t mmio_read(unsigned int r)
{
	return soc.reg[r];
}

/* The outside world (a host consumer) drives a pin; lock held. */
static void pin_drive(unsigned int pin, int value)
{
	uint32_t bit = 1u << pin, old = soc.reg[DATA_IN];

	if (value)
		soc.reg[DATA_IN] |= bit;
	else
		soc.reg[DATA_IN] &= ~bit;
	if (!(old & bit) && (soc.reg[DATA_IN] & bit) &&
	    (soc.reg[IRQ_EN] & bit))
		soc.reg[IRQ_STATUS] |= bit;	/* rising edge interrupt */
}

/* --- host requests: posted by callbacks, answered by the CPU ------------- */

static void post(struct guse_request *req)
{
	guse_request_defer(req);	/* answered later by the CPU thread */
	pthread_mutex_lock(&soc.lock);
	if (soc.mbox_len < sizeof(soc.mbox) / sizeof(soc.mbox[0])) {
		soc.mbox[soc.mbox_len++] = req;
		req = NULL;
	}
	pthread_mutex_unlock(&soc.lock);
	if (req)
		guse_reply_error(req, EBUSY);	/* bus congested */
}

static void cb_line(struct guse_request *req, unsigned int line)
{
	(void)line;
	post(req);
}

static void cb_output(struct guse_request *req, unsigned int line, int value)
{
	(void)line;
	(void)value;
	post(req);
}

static void cb_get(struct guse_request *req, const uint64_t *mask)
{
	(void)mask;
	post(req);
}

static void cb_set(struct guse_request *req, const uint64_t *mask,
		   const uint64_t *values)
{
	(void)mask;
	(void)values;
	post(req);
}

static const struct guse_chip_ops ops = {
	.get_direction = cb_line,
	.direction_input = cb_line,
	.direction_output = cb_output,
	.get_values = cb_get,
	.set_values = cb_set,
};

/*
 * Answer one host request from the register file; lock held.  The host's
 * view of a line's direction is its own business (the library tracks it),
 * what matters here is the electrical level: a host output drives DATA_IN,
 * a host read sees DATA_OUT for SoC-driven pins and DATA_IN otherwise.
 */
static void serve(struct guse_request *req)
{
	struct guse_chip *chip = guse_request_get_chip(req);
	unsigned int line;

	switch (guse_request_get_type(req)) {
	case GUSE_REQUEST_DIRECTION_OUTPUT:
	case GUSE_REQUEST_SET_VALUES:
		/* the library already knows the values; apply them */
		guse_reply_ok(req);
		for (line = 0; line < NUM_PINS; line++)
			if (guse_chip_get_direction(chip, line) ==
			    GUSE_LINE_DIRECTION_OUTPUT)
				pin_drive(line, guse_chip_get_output_value(chip,
									   line));
		break;
	case GUSE_REQUEST_GET_VALUES: {
		uint64_t v = (soc.reg[DATA_OUT] & soc.reg[DIR]) |
			     (soc.reg[DATA_IN] & ~soc.reg[DIR]);

		guse_reply_values(req, &v);
		break;
	}
	default:
		guse_reply_default(req);	/* directions: tracked state */
		break;
	}
}

/* --- the CPU --------------------------------------------------------------- */

static void *cpu_thread(void *arg)
{
	struct timespec tick = { 0, 1000000 };	/* 1 ms per "instruction" */
	unsigned int pc = 0, i;

	(void)arg;
	while (!soc.stop) {
		pthread_mutex_lock(&soc.lock);
		/* bus cycles for the host first */
		for (i = 0; i < soc.mbox_len; i++)
			serve(soc.mbox[i]);
		soc.mbox_len = 0;

		/* firmware: a three-instruction main loop */
		switch (pc) {
		case 0:	/* init: pin 1 output, rising-edge irq on pin 0 */
			mmio_write(DIR, 1u << 1);
			mmio_write(IRQ_EN, 1u << 0);
			pc = 1;
			break;
		case 1:	/* mirror pin 0 onto pin 1 */
			mmio_write(DATA_OUT, (mmio_read(DATA_IN) & 1) << 1);
			pc = 2;
			break;
		case 2:	/* "interrupt handler": count and acknowledge */
			if (mmio_read(IRQ_STATUS) & 1) {
				soc.edges++;
				mmio_write(IRQ_STATUS, 1);
			}
			pc = 1;
			break;
		}
		pthread_mutex_unlock(&soc.lock);
		nanosleep(&tick, NULL);
	}
	/* the CPU is halted: fail what is left in the mailbox */
	pthread_mutex_lock(&soc.lock);
	for (i = 0; i < soc.mbox_len; i++)
		guse_reply_error(soc.mbox[i], ENODEV);
	soc.mbox_len = 0;
	pthread_mutex_unlock(&soc.lock);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	guse_chip_exit(soc.chip);
}

int main(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	static const char *names[NUM_PINS] = { "IN0", "MIRROR1" };
	unsigned int i;
	pthread_t cpu;
	int ret;

	guse_chip_config_set_label(cfg, "mmio-gpio");
	guse_chip_config_set_num_lines(cfg, NUM_PINS);
	/* host reads of every pin are bus reads of the register file */
	guse_chip_config_set_serve_input_reads(cfg, true);
	for (i = 0; i < NUM_PINS; i++)
		guse_chip_config_set_line_name(cfg, i, names[i]);
	soc.chip = guse_chip_new(cfg, &ops, sizeof(ops), &soc);
	guse_chip_config_free(cfg);
	if (!soc.chip) {
		const char *hint = guse_error_hint(errno);

		perror("guse_chip_new");
		if (hint)
			fprintf(stderr, "%s\n", hint);	/* e.g. modprobe */
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ret = pthread_create(&cpu, NULL, cpu_thread, NULL);
	if (ret) {
		fprintf(stderr, "pthread_create: %s\n", strerror(ret));
		guse_chip_free(soc.chip);
		return 1;
	}
	printf("ready %s\n", guse_chip_get_name(soc.chip));
	fflush(stdout);

	ret = guse_chip_run(soc.chip);	/* dispatch in this thread */
	if (ret)
		perror("guse_chip_run");

	soc.stop = 1;
	pthread_join(cpu, NULL);
	printf("rising edges on pin 0: %lu\n", soc.edges);
	guse_chip_free(soc.chip);
	return ret ? 1 : 0;
}
