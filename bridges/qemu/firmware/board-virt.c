// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -M virt: the PL061 at 0x09030000, the PL011 at 0x09000000.  GPIO3 is
 * virt's power key and left alone; the other pins in enum fw_pin order.
 */
#include "board.h"

#define PL061 0x09030000u
#define GPIODATA(mask) REG(PL061 + ((mask) << 2))
#define GPIODIR REG(PL061 + 0x400)
#define GPIOIS REG(PL061 + 0x404)
#define GPIOIBE REG(PL061 + 0x408)
#define GPIOIE REG(PL061 + 0x410)
#define GPIOMIS REG(PL061 + 0x418)
#define GPIOIC REG(PL061 + 0x41c)

const struct board board = {
	.name = "virt",
	.uart = 0x09000000u,
	.gicd = 0x08000000u,
	.gicc = 0x08010000u,
	.gpio_irq = 32 + 7,
};

static const unsigned int pins[FW_PINS] = {
	[BLINK] = 0, [MIRROR] = 1, [IN] = 2, [GO] = 4, [DIRCMD] = 5,
	[RECONF] = 6, [READY] = 7,
};
#define BIT(p) (1u << pins[p])
#define INPUTS (BIT(IN) | BIT(GO) | BIT(DIRCMD))

void gpio_init(void)
{
	GPIODIR = BIT(BLINK) | BIT(MIRROR) | BIT(READY);
	GPIOIS = 0;		/* edges */
	GPIOIBE = INPUTS;	/* both of them */
	GPIOIC = 0xff;
	GPIOIE = INPUTS;
}

void gpio_set(enum fw_pin pin, int level)
{
	GPIODATA(BIT(pin)) = level ? 0xff : 0;
}

int gpio_get(enum fw_pin pin)
{
	return !!GPIODATA(BIT(pin));
}

void gpio_output(enum fw_pin pin, int out)
{
	if (out)
		GPIODIR |= BIT(pin);
	else
		GPIODIR &= ~BIT(pin);
}

int gpio_pending(void)
{
	return GPIOMIS != 0;
}

void gpio_ack(void)
{
	GPIOIC = 0xff;
}
