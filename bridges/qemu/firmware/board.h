/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The board layer of the guse-qemu test firmware: fw.c is the program,
 * board-*.c one board's UART, GIC and GPIO controller each.  Pins are
 * named by what the program does with them (enum fw_pin); the board maps
 * them to its controller's pins.
 */
#ifndef GUSE_QEMU_FW_BOARD_H
#define GUSE_QEMU_FW_BOARD_H

#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

enum fw_pin { BLINK, MIRROR, IN, GO, DIRCMD, RECONF, READY, FW_PINS };

struct board {
	const char *name;
	uintptr_t uart;			/* a UART taking a byte per 32-bit write */
	uintptr_t gicd, gicc;		/* GICv2 distributor, CPU interface */
	unsigned int gpio_irq;		/* the GPIO controller's interrupt ID */
};
extern const struct board board;

/* BLINK, MIRROR, READY outputs, the rest inputs; an input edge wakes. */
void gpio_init(void);
void gpio_set(enum fw_pin pin, int level);
int gpio_get(enum fw_pin pin);
void gpio_output(enum fw_pin pin, int out);
/* Whether an input changed since the last gpio_ack(). */
int gpio_pending(void);
void gpio_ack(void);

#endif
