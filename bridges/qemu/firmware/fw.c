// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bare-metal test firmware for guse-qemu on QEMU's -M virt (Cortex-A15,
 * no libc).  It drives the board's PL061 at 0x09030000:
 *
 *   GPIO0 BLINK   output: 3 pulses at boot, then 5 pulses (30 ms high,
 *                 30 ms low) on every rising edge of GO
 *   GPIO1 MIRROR  output: follows IN
 *   GPIO2 IN      input, mirrored on MIRROR
 *   GPIO3         input, left alone (virt wires the power key to it)
 *   GPIO4 GO      input: a rising edge starts a burst on BLINK
 *   GPIO5 DIRCMD  input: high makes RECONF an output driving 1, low an input
 *   GPIO6 RECONF  the pin whose direction the guest reprograms
 *   GPIO7 READY   output: high once the firmware runs its loop
 *
 * Between events it sleeps in WFI, woken by the PL061's interrupt (any
 * edge of an input) or by the generic timer every 10 ms; interrupts stay
 * masked in the CPU, so nothing is ever taken, only woken for.  Progress
 * is printed on the PL011 (QEMU's -serial).
 */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define UART0 0x09000000u
#define PL061 0x09030000u
#define GPIODATA(mask) REG(PL061 + ((mask) << 2))
#define GPIODIR REG(PL061 + 0x400)
#define GPIOIS REG(PL061 + 0x404)
#define GPIOIBE REG(PL061 + 0x408)
#define GPIOIE REG(PL061 + 0x410)
#define GPIOMIS REG(PL061 + 0x418)
#define GPIOIC REG(PL061 + 0x41c)

#define GICD 0x08000000u
#define GICC 0x08010000u
#define GIC_TIMER_PPI 30	/* the non-secure physical timer */
#define GIC_GPIO_SPI (32 + 7)	/* virt's PL061 interrupt */

enum { BLINK, MIRROR, IN, PWRKEY, GO, DIRCMD, RECONF, READY };
#define BIT(n) (1u << (n))
#define INPUTS (BIT(IN) | BIT(GO) | BIT(DIRCMD))


static void puts_uart(const char *s)
{
	for (; *s; s++)
		REG(UART0) = (unsigned char)*s;
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
	REG(GICD + 0x100) = BIT(GIC_TIMER_PPI);			/* ISENABLER0 */
	REG(GICD + 0x104) = BIT(GIC_GPIO_SPI - 32);		/* ISENABLER1 */
	((volatile uint8_t *)(uintptr_t)(GICD + 0x800))[GIC_GPIO_SPI] = 1; /* CPU 0 */
	REG(GICD) = 1;						/* distributor on */
	REG(GICC + 0x4) = 0xff;					/* priority mask */
	REG(GICC) = 1;						/* CPU interface on */
}

/* Sleep until @ms passed, or (if @wake_on_gpio) an input changed. */
static void sleep_ms(uint32_t ms, int wake_on_gpio)
{
	timer_arm(cntfrq() / 1000 * ms);
	while (!timer_fired() && !(wake_on_gpio && GPIOMIS))
		__asm__ volatile("wfi");
	timer_stop();
}

static void set(unsigned int pin, int level)
{
	GPIODATA(BIT(pin)) = level ? 0xff : 0;
}

static void burst(unsigned int pulses)
{
	puts_uart("guse-qemu-fw: blink\n");
	for (unsigned int i = 0; i < pulses; i++) {
		set(BLINK, 1);
		sleep_ms(30, 0);
		set(BLINK, 0);
		sleep_ms(30, 0);
	}
}

int main(void)
{
	uint32_t in, last;

	gic_init();
	GPIODIR = BIT(BLINK) | BIT(MIRROR) | BIT(READY);
	GPIOIS = 0;			/* edges */
	GPIOIBE = INPUTS;		/* both of them */
	GPIOIC = 0xff;
	GPIOIE = INPUTS;
	puts_uart("guse-qemu-fw: boot\n");
	burst(3);
	last = GPIODATA(0xff);
	set(MIRROR, last & BIT(IN));
	set(READY, 1);
	puts_uart("guse-qemu-fw: ready\n");
	for (;;) {
		sleep_ms(10, 1);
		GPIOIC = 0xff;
		in = GPIODATA(INPUTS);
		if ((in ^ last) & BIT(IN))
			set(MIRROR, in & BIT(IN));
		if ((in ^ last) & BIT(DIRCMD)) {
			if (in & BIT(DIRCMD)) {
				GPIODIR |= BIT(RECONF);
				set(RECONF, 1);
				puts_uart("guse-qemu-fw: RECONF output\n");
			} else {
				GPIODIR &= ~BIT(RECONF);
				puts_uart("guse-qemu-fw: RECONF input\n");
			}
		}
		if ((in & ~last) & BIT(GO))
			burst(5);
		last = in;
	}
}
