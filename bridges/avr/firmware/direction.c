/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test firmware for guse-avr, ATmega328P at 16 MHz: reconfigures pins
 * when the host asks, from a pin-change interrupt.
 *
 *   PD3 high: PB3 becomes an output driving 0;
 *   PD3 low:  PB3 becomes an input with its pull-up on (the reset state
 *             is an input without pull-up).
 *   PD4 high: PB4 (always an input) gets its pull-up; low: none.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "avr_mcu_section.h"

AVR_MCU(F_CPU, "atmega328p");

ISR(PCINT2_vect)
{
	uint8_t in = PIND;

	if (in & _BV(PIND3)) {
		PORTB &= (uint8_t)~_BV(PORTB3);
		DDRB |= _BV(DDB3);
	} else {
		DDRB &= (uint8_t)~_BV(DDB3);
		PORTB |= _BV(PORTB3);
	}
	if (in & _BV(PIND4))
		PORTB |= _BV(PORTB4);
	else
		PORTB &= (uint8_t)~_BV(PORTB4);
}

int main(void)
{
	PCMSK2 = _BV(PCINT19) | _BV(PCINT20);	/* PD3, PD4 */
	PCICR = _BV(PCIE2);
	set_sleep_mode(SLEEP_MODE_IDLE);
	sei();
	for (;;)
		sleep_mode();
}
