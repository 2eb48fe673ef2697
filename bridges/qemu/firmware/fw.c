// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bare-metal test firmware for guse-qemu (ARMv7-A, no libc), one program
 * for every board; board-*.c maps its pins to the board's GPIO controller
 * (see there which pin is which):
 *
 *   BLINK   output: 3 pulses at boot, then 5 pulses (30 ms high, 30 ms
 *           low) on every rising edge of GO
 *   MIRROR  output: follows IN
 *   IN      input, mirrored on MIRROR
 *   GO      input: a rising edge starts a burst on BLINK
 *   DIRCMD  input: high makes RECONF an output driving 1, low an input
 *   RECONF  the pin whose direction the guest reprograms
 *   READY   output: high once the firmware runs its loop
 *
 * Between events it sleeps in WFI, woken by the GPIO controller's
 * interrupt (any edge of an input) or by the generic timer every 10 ms;
 * interrupts stay masked in the CPU, so nothing is ever taken, only woken
 * for.  Progress is printed on the board's UART (QEMU's -serial).
 */
#include "board.h"

#define GIC_TIMER_PPIS (3u << 29)	/* the secure and non-secure physical timers */

static void puts_uart(const char *s)
{
	for (; *s; s++)
		REG(board.uart) = (unsigned char)*s;
}

static uint32_t cntfrq(void)
{
	uint32_t f;

	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
	return f ? f : 62500000u;
}

static void timer_arm(uint32_t ticks)
{
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 0" : : "r"(ticks));	/* CNTP_TVAL */
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 1" : : "r"(1u));	/* enable */
	__asm__ volatile("isb");
}

static int timer_fired(void)
{
	uint32_t ctl;

	__asm__ volatile("mrc p15, 0, %0, c14, c2, 1" : "=r"(ctl));
	return ctl & 4;		/* ISTATUS */
}

static void timer_stop(void)
{
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 1" : : "r"(0u));
	__asm__ volatile("isb");
}

static void gic_init(void)
{
	unsigned int irq = board.gpio_irq;

	REG(board.gicd + 0x100) = GIC_TIMER_PPIS;			/* ISENABLER0 */
	REG(board.gicd + 0x100 + irq / 32 * 4) = 1u << (irq % 32);	/* ISENABLERn */
	((volatile uint8_t *)(board.gicd + 0x800))[irq] = 1;		/* CPU 0 */
	REG(board.gicd) = 1;						/* distributor on */
	REG(board.gicc + 0x4) = 0xff;					/* priority mask */
	REG(board.gicc) = 1;						/* CPU interface on */
}

/* Sleep until @ms passed, or (if @wake_on_gpio) an input changed. */
static void sleep_ms(uint32_t ms, int wake_on_gpio)
{
	timer_arm(cntfrq() / 1000 * ms);
	while (!timer_fired() && !(wake_on_gpio && gpio_pending()))
		__asm__ volatile("wfi");
	timer_stop();
}

static void burst(unsigned int pulses)
{
	puts_uart("guse-qemu-fw: blink\n");
	for (unsigned int i = 0; i < pulses; i++) {
		gpio_set(BLINK, 1);
		sleep_ms(30, 0);
		gpio_set(BLINK, 0);
		sleep_ms(30, 0);
	}
}

int main(void)
{
	int in, go, dircmd;

	gic_init();
	gpio_init();
	gpio_ack();
	puts_uart("guse-qemu-fw: boot on ");
	puts_uart(board.name);
	puts_uart("\n");
	burst(3);
	in = gpio_get(IN);
	go = gpio_get(GO);
	dircmd = gpio_get(DIRCMD);
	gpio_set(MIRROR, in);
	gpio_set(READY, 1);
	puts_uart("guse-qemu-fw: ready\n");
	for (;;) {
		int v;

		sleep_ms(10, 1);
		gpio_ack();
		v = gpio_get(IN);
		if (v != in)
			gpio_set(MIRROR, v);
		in = v;
		v = gpio_get(DIRCMD);
		if (v != dircmd) {
			if (v) {
				gpio_output(RECONF, 1);
				gpio_set(RECONF, 1);
				puts_uart("guse-qemu-fw: RECONF output\n");
			} else {
				gpio_output(RECONF, 0);
				puts_uart("guse-qemu-fw: RECONF input\n");
			}
		}
		dircmd = v;
		v = gpio_get(GO);
		if (v && !go)
			burst(5);
		go = v;
	}
}
