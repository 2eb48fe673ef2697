// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -M ast2600-evb: the 3.3 V GPIO controller at 0x1e780000, UART5 (the
 * console, QEMU's first -serial) at 0x1e784000, the GIC-400 of the
 * Cortex-A7 at 0x40461000/0x40462000.  The pins are spread over five of
 * the seven 32-pin register sets, so that a bridge gets each set's
 * registers right: BLINK A0, MIRROR B1, IN E2, GO M4, DIRCMD Q5,
 * RECONF Y6, READY Z7.
 */
#include "board.h"

#define GPIO 0x1e780000u

const struct board board = {
	.name = "ast2600-evb",
	.uart = 0x1e784000u,
	.gicd = 0x40461000u,
	.gicc = 0x40462000u,
	.gpio_irq = 32 + 40,
};

/* One 32-pin set: its data, direction, interrupt registers. */
struct set {
	uint16_t data, dir, ien, sens0, sens1, sens2, status;
};
static const struct set sets[] = {
	{ 0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x018 },	/* ABCD */
	{ 0x020, 0x024, 0x028, 0x02c, 0x030, 0x034, 0x038 },	/* EFGH */
	{ 0x070, 0x074, 0x098, 0x09c, 0x0a0, 0x0a4, 0x0a8 },	/* IJKL */
	{ 0x078, 0x07c, 0x0e8, 0x0ec, 0x0f0, 0x0f4, 0x0f8 },	/* MNOP */
	{ 0x080, 0x084, 0x118, 0x11c, 0x120, 0x124, 0x128 },	/* QRST */
	{ 0x088, 0x08c, 0x148, 0x14c, 0x150, 0x154, 0x158 },	/* UVWX */
	{ 0x1e0, 0x1e4, 0x178, 0x17c, 0x180, 0x184, 0x188 },	/* YZ */
};
#define NSETS (sizeof(sets) / sizeof(sets[0]))

/* group letter and pin: set * 32 + group * 8 + pin */
#define PIN(group, n) ((unsigned int)((group) - 'A') * 8 + (n))
static const unsigned int pins[FW_PINS] = {
	[BLINK] = PIN('A', 0), [MIRROR] = PIN('B', 1), [IN] = PIN('E', 2),
	[GO] = PIN('M', 4), [DIRCMD] = PIN('Q', 5), [RECONF] = PIN('Y', 6),
	[READY] = PIN('Z', 7),
};
static const enum fw_pin inputs[] = { IN, GO, DIRCMD };

#define SET(p) (&sets[pins[p] / 32])
#define BIT(p) (1u << (pins[p] % 32))
#define R(off) REG(GPIO + (off))

void gpio_init(void)
{
	for (unsigned int i = 0; i < NSETS; i++)
		R(sets[i].status) = 0xffffffffu;
	gpio_output(BLINK, 1);
	gpio_output(MIRROR, 1);
	gpio_output(READY, 1);
	for (unsigned int i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		const struct set *s = SET(inputs[i]);
		uint32_t m = BIT(inputs[i]);

		R(s->sens2) |= m;	/* both edges */
		R(s->ien) |= m;
	}
}

void gpio_set(enum fw_pin pin, int level)
{
	const struct set *s = SET(pin);

	if (level)
		R(s->data) |= BIT(pin);
	else
		R(s->data) &= ~BIT(pin);
}

int gpio_get(enum fw_pin pin)
{
	return !!(R(SET(pin)->data) & BIT(pin));
}

void gpio_output(enum fw_pin pin, int out)
{
	const struct set *s = SET(pin);

	if (out)
		R(s->dir) |= BIT(pin);
	else
		R(s->dir) &= ~BIT(pin);
}

int gpio_pending(void)
{
	for (unsigned int i = 0; i < NSETS; i++)
		if (R(sets[i].status))
			return 1;
	return 0;
}

void gpio_ack(void)
{
	for (unsigned int i = 0; i < NSETS; i++)
		R(sets[i].status) = 0xffffffffu;
}
