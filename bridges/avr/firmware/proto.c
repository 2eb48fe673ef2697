/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test firmware for guse-avr, ATmega328P at 16 MHz: the command protocol
 * of proto.h, served from the pin-change interrupt of CLK (PB0) and DATA
 * (PB1).  It changes the direction of DATA twice per frame.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

#include "avr_mcu_section.h"
#include "proto.h"

AVR_MCU(F_CPU, "atmega328p");

#define CLK	_BV(PINB0)
#define DATA	_BV(PINB1)

enum { IDLE, RECEIVE, SEND };

static uint8_t state, nbits, prev;
static uint16_t shift, sum, frames;

static uint16_t answer(uint8_t cmd, uint8_t arg)
{
	frames++;
	switch (cmd) {
	case PROTO_CMD_ECHO:
		return (uint16_t)(arg << 8 | (uint8_t)~arg);
	case PROTO_CMD_ADD:
		sum = (uint16_t)(sum + arg);
		return sum;
	case PROTO_CMD_COUNT:
		return frames;
	}
	return PROTO_UNKNOWN;
}

/* DATA back to an input held high by the pull-up, watched again. */
static void release_data(void)
{
	DDRB &= (uint8_t)~DATA;
	PORTB |= DATA;
	PCMSK0 |= _BV(PCINT1);
}

/* The next reply bit on DATA, which becomes an output at the first. */
static void send_bit(void)
{
	if (shift & 0x8000)
		PORTB |= DATA;
	else
		PORTB &= (uint8_t)~DATA;
	if (!nbits) {
		PCMSK0 &= (uint8_t)~_BV(PCINT1);	/* our own changes */
		DDRB |= DATA;
	}
	shift = (uint16_t)(shift << 1);
	nbits++;
}

ISR(PCINT0_vect)
{
	uint8_t now = PINB & (CLK | DATA), changed = now ^ prev;

	prev = now;
	if (state != SEND && (changed & DATA) && (now & CLK)) {
		if (!(now & DATA)) {		/* start */
			state = RECEIVE;
			nbits = 0;
			shift = 0;
		}
		return;
	}
	if (!(changed & CLK) || !(now & CLK))
		return;			/* only rising edges of CLK count */
	if (state == RECEIVE) {
		shift = (uint16_t)(shift << 1 | !!(now & DATA));
		if (++nbits == 16) {
			shift = answer((uint8_t)(shift >> 8), (uint8_t)shift);
			nbits = 0;
			state = SEND;
		}
	} else if (state == SEND) {
		if (nbits < 16) {
			send_bit();
			return;
		}
		release_data();
		prev = PINB & (CLK | DATA);
		state = IDLE;
	}
}

int main(void)
{
	PORTB = DATA;			/* DATA: input with pull-up */
	PCMSK0 = _BV(PCINT0) | _BV(PCINT1);
	PCICR = _BV(PCIE0);
	prev = PINB & (CLK | DATA);
	set_sleep_mode(SLEEP_MODE_IDLE);
	sei();
	for (;;)
		sleep_mode();
}
