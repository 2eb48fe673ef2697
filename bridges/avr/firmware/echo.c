/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test firmware for guse-avr, ATmega328P at 16 MHz: echoes two inputs to
 * two outputs from interrupts, and sleeps in between.
 *
 *   PD2 (INT0, external interrupt on any change)  ->  PB1
 *   PC0 (PCINT8, pin-change interrupt)             ->  PB2
 *
 * PB0 counts the interrupts: it toggles on each one of either kind.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "avr_mcu_section.h"

AVR_MCU(F_CPU, "atmega328p");

static void copy(uint8_t in, uint8_t out)
{
	if (in)
		PORTB |= out;
	else
		PORTB &= (uint8_t)~out;
	PINB = _BV(PINB0);
}

ISR(INT0_vect)
{
	copy(PIND & _BV(PIND2), _BV(PORTB1));
}

ISR(PCINT1_vect)
{
	copy(PINC & _BV(PINC0), _BV(PORTB2));
}

int main(void)
{
	DDRB = _BV(DDB0) | _BV(DDB1) | _BV(DDB2);
	EICRA = _BV(ISC00);		/* INT0 on any logical change */
	EIMSK = _BV(INT0);
	PCMSK1 = _BV(PCINT8);		/* PC0 */
	PCICR = _BV(PCIE1);
	set_sleep_mode(SLEEP_MODE_IDLE);
	sei();
	for (;;)
		sleep_mode();
}
