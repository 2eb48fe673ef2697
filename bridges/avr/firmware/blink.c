/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test firmware for guse-avr, ATmega328P at 16 MHz: blinks PB5 (the LED
 * of an Arduino Uno) from the Timer1 compare interrupt, toggling every
 * 50 ms (a period of 100 ms), and sleeps in between.  PD7 high stops it:
 * it disables interrupts and sleeps for good, which ends the simulation.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "avr_mcu_section.h"

AVR_MCU(F_CPU, "atmega328p");

#define HALF_PERIOD_MS	50

ISR(TIMER1_COMPA_vect)
{
	PINB = _BV(PINB5);		/* writing PINx toggles PORTx */
}

ISR(PCINT2_vect)
{
	if (PIND & _BV(PIND7)) {
		cli();
		sleep_mode();		/* never wakes: the simulation ends */
	}
}

int main(void)
{
	DDRB = _BV(DDB5);
	/* CTC on OCR1A, clock / 64 */
	TCCR1B = _BV(WGM12) | _BV(CS11) | _BV(CS10);
	OCR1A = (uint16_t)(F_CPU / 64 / 1000 * HALF_PERIOD_MS - 1);
	TIMSK1 = _BV(OCIE1A);
	PCMSK2 = _BV(PCINT23);		/* PD7 */
	PCICR = _BV(PCIE2);
	set_sleep_mode(SLEEP_MODE_IDLE);
	sei();
	for (;;)
		sleep_mode();
}
