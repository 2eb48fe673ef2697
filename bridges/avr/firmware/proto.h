/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command protocol of proto.c, bit-banged over two lines: CLK (PB0),
 * always driven by the host, and DATA (PB1), driven by the host for the
 * command and by the AVR for the reply.  Idle: CLK low, DATA high (the
 * AVR's pull-up holds it when nobody drives it).  A frame:
 *
 *   start    CLK high, then DATA falls while CLK is high, then CLK low
 *   command  16 bits, most significant first: the host sets DATA while CLK
 *            is low, the AVR samples it at the rising edge of CLK; the
 *            first byte is the command, the second its argument
 *   turn     the host stops driving DATA (makes it an input)
 *   reply    16 bits, most significant first: at each rising edge of CLK
 *            the AVR drives the next bit, which the host reads while CLK
 *            is high
 *   end      one more rising edge: the AVR lets DATA go (its pull-up)
 *
 * A falling DATA while CLK is high always starts a new frame, so a host
 * that lost its place resynchronizes with the next start.
 */
#ifndef PROTO_H
#define PROTO_H

#define PROTO_CMD_ECHO	0x01	/* reply: arg << 8 | (arg ^ 0xff) */
#define PROTO_CMD_ADD	0x02	/* sum += arg; reply: the 16-bit sum */
#define PROTO_CMD_COUNT	0x03	/* reply: frames received, this one included */
#define PROTO_UNKNOWN	0xdead	/* reply to any other command */

#endif /* PROTO_H */
