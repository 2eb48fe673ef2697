/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR MIT */
/*
 * guse - GPIO chips implemented in userspace: the /dev/guse protocol.
 *
 * A server opens /dev/guse, writes one GUSE_OP_CREATE message describing a
 * chip and from then on reads requests and writes replies and
 * notifications.  Closing the file removes the chip.
 *
 * Every message, in both directions, is one read() or one write() and starts
 * with struct guse_msg_header.  All fields are little-endian and of fixed
 * width; every reserved field must be zero when written and ignored when
 * read.
 *
 * Kernel to server (read):
 *   - GUSE_OP_READY: always the first message after CREATE; no reply.
 *   - requests (GUSE_OP_REQUEST ... GUSE_OP_IRQ_CONFIG): nonzero id, the
 *     server answers each exactly once with a reply carrying the same id and
 *     opcode.
 *   - GUSE_OP_CONSUMER: information, GUSE_MSG_F_NOREPLY set; never answered.
 *   - GUSE_OP_WAKEUP (1.2): the answer to the server's own WAKEUP,
 *     GUSE_MSG_F_NOREPLY set; never answered.
 *
 * Server to kernel (write):
 *   - GUSE_OP_CREATE: first write on a fresh file descriptor, id 0.
 *   - replies: id and opcode of the request, error 0 or a positive errno.
 *   - notifications, id 0: GUSE_OP_SET_INPUTS (input levels) and, from
 *     protocol 1.1, the device side's own changes: GUSE_OP_LINE_DIRECTION,
 *     GUSE_OP_CLAIM and GUSE_OP_UNCLAIM; from 1.2 GUSE_OP_WAKEUP.  A
 *     notification is applied before its write() returns; write() fails if
 *     it cannot be.
 *
 * See Documentation/protocol.rst for the full description.
 */
#ifndef _UAPI_LINUX_GUSE_H
#define _UAPI_LINUX_GUSE_H

#include <linux/types.h>

/** Protocol major version: incompatible changes bump it. */
#define GUSE_VERSION_MAJOR	1
/** Protocol minor version: compatible additions bump it. */
#define GUSE_VERSION_MINOR	2
/** The version a server puts into struct guse_create. */
#define GUSE_VERSION		((GUSE_VERSION_MAJOR << 16) | GUSE_VERSION_MINOR)

/** Size of every name field (chip label, line name, consumer), NUL included. */
#define GUSE_NAME_SIZE		32
/** Absolute maximum number of lines of one chip. */
#define GUSE_LINES_MAX		1024
/** Number of 64-bit words in a line bitmap covering @n lines. */
#define GUSE_BITMAP_WORDS(n)	(((n) + 63) / 64)
/*
 * Largest message in either direction, header included (65536 in protocol
 * 1.0; a CREATE with line names, line state and hogs for GUSE_LINES_MAX
 * lines needs more).
 */
#define GUSE_MSG_SIZE_MAX	131072
/** A read buffer of this size always holds any message the kernel sends. */
#define GUSE_READ_SIZE_MIN	4096
/** Default request timeout when struct guse_create leaves it 0. */
#define GUSE_TIMEOUT_DEFAULT_MS	5000
/** Largest request timeout a chip may ask for. */
#define GUSE_TIMEOUT_MAX_MS	600000

/**
 * enum guse_opcode - message types
 * @GUSE_OP_CREATE: server -> kernel, struct guse_create (+ line names)
 * @GUSE_OP_READY: kernel -> server, struct guse_ready, no reply
 * @GUSE_OP_WAKEUP: server -> kernel notification (1.2), no payload: the
 *	kernel queues one GUSE_OP_WAKEUP message (no payload, no reply)
 *	ahead of every other message for the server to read, unless one is
 *	queued already; so that one thread of a server can end another's
 *	blocking read()
 * @GUSE_OP_REQUEST: a consumer requests a line: struct guse_line_consumer;
 *	reply without payload, error refuses the request
 * @GUSE_OP_FREE: a consumer released a line: struct guse_line; empty reply
 * @GUSE_OP_CONSUMER: the consumer label of a requested line became known:
 *	struct guse_line_consumer, no reply
 * @GUSE_OP_GET_DIRECTION: struct guse_line; reply struct guse_direction
 * @GUSE_OP_DIRECTION_INPUT: struct guse_line; empty reply
 * @GUSE_OP_DIRECTION_OUTPUT: struct guse_line_value; empty reply
 * @GUSE_OP_GET_VALUES: struct guse_bitmap with the mask of lines to read
 *	(only output lines unless GUSE_CREATE_F_GET_INPUTS, and with
 *	GUSE_CREATE_F_OUTPUT_CACHE only outputs whose value the kernel does
 *	not know); reply: struct guse_bitmap with the values (bits outside the
 *	mask 0)
 * @GUSE_OP_SET_VALUES: struct guse_bitmap with mask and values; empty reply
 * @GUSE_OP_SET_CONFIG: struct guse_set_config; empty reply, EOPNOTSUPP
 *	declines (gpiolib then falls back, e.g. to software debounce)
 * @GUSE_OP_IRQ_CONFIG: struct guse_irq_config; empty reply
 * @GUSE_OP_SET_INPUTS: server -> kernel notification, struct guse_bitmap
 *	with mask and levels of input lines
 * @GUSE_OP_LINE_DIRECTION: server -> kernel notification (1.1): the device
 *	side made a line an input or an output, struct guse_device_direction
 * @GUSE_OP_CLAIM: server -> kernel notification (1.1): the device side
 *	takes a line for itself, struct guse_line_consumer
 * @GUSE_OP_UNCLAIM: server -> kernel notification (1.1): the device side
 *	gives a line it claimed back, struct guse_line
 */
enum guse_opcode {
	GUSE_OP_CREATE			= 1,
	GUSE_OP_READY			= 2,
	GUSE_OP_WAKEUP			= 3,
	GUSE_OP_REQUEST			= 16,
	GUSE_OP_FREE			= 17,
	GUSE_OP_CONSUMER		= 18,
	GUSE_OP_GET_DIRECTION		= 19,
	GUSE_OP_DIRECTION_INPUT		= 20,
	GUSE_OP_DIRECTION_OUTPUT	= 21,
	GUSE_OP_GET_VALUES		= 22,
	GUSE_OP_SET_VALUES		= 23,
	GUSE_OP_SET_CONFIG		= 24,
	GUSE_OP_IRQ_CONFIG		= 25,
	GUSE_OP_SET_INPUTS		= 32,
	GUSE_OP_LINE_DIRECTION		= 33,
	GUSE_OP_CLAIM			= 34,
	GUSE_OP_UNCLAIM			= 35,
};

/** The message must not be answered (kernel -> server only). */
#define GUSE_MSG_F_NOREPLY	(1U << 0)

/**
 * struct guse_msg_header - starts every message
 * @len: length of the whole message in bytes, header included; must equal
 *	the byte count of the read() or write()
 * @opcode: enum guse_opcode
 * @flags: GUSE_MSG_F_*
 * @id: request id chosen by the kernel, never 0 and never reused on one
 *	file; a reply repeats it; 0 in CREATE, READY and notifications
 * @error: in a reply, 0 or a positive errno value; 0 elsewhere
 * @reserved: must be 0
 */
struct guse_msg_header {
	__le32 len;
	__le16 opcode;
	__le16 flags;
	__le64 id;
	__le32 error;
	__le32 reserved;
};

/* Features a server announces in struct guse_create.flags. */
/** Line names follow struct guse_create. */
#define GUSE_CREATE_F_LINE_NAMES	(1U << 0)
/** Send REQUEST, FREE and CONSUMER; otherwise the kernel grants requests. */
#define GUSE_CREATE_F_REQUEST		(1U << 1)
/** Send SET_CONFIG; otherwise the kernel declines every configuration. */
#define GUSE_CREATE_F_SET_CONFIG	(1U << 2)
/** Send IRQ_CONFIG when interrupt configuration changes. */
#define GUSE_CREATE_F_IRQ_CONFIG	(1U << 3)
/*
 * Send GET_VALUES for input lines too.  Without it the kernel answers reads
 * of input lines from the levels the server injected with SET_INPUTS, and a
 * SET_INPUTS write that changes a line raised by an earlier one first waits
 * until the consumers' handlers of that interrupt ran, so that no edge is
 * lost or misread.  With it, reads of input lines reach the server and
 * injected edges are never waited for.
 */
#define GUSE_CREATE_F_GET_INPUTS	(1U << 4)
/*
 * Protocol 1.1: the state of every line at creation follows the line names
 * (or struct guse_create, without them): one struct guse_line_init per
 * line, then one GUSE_NAME_SIZE consumer label per line flagged
 * GUSE_LINE_INIT_F_HOG, in line order.
 */
#define GUSE_CREATE_F_LINE_INIT		(1U << 5)
/*
 * Protocol 1.2: the server promises never to change the level of a line
 * a consumer drives as an output behind the consumer's back (no
 * open-drain contention, no device-side write of a driven output except
 * through GUSE_OP_LINE_DIRECTION).  The kernel then answers reads of a
 * requested output line from the value last set on it (DIRECTION_OUTPUT,
 * SET_VALUES the server accepted, the line state of CREATE or
 * LINE_DIRECTION) without a GET_VALUES; a line whose value it does not
 * know (an output it did not set) is still read from the server.
 */
#define GUSE_CREATE_F_OUTPUT_CACHE	(1U << 6)
/** All GUSE_CREATE_F_* flags protocol 1.0 defines. */
#define GUSE_CREATE_F_ALL_1_0		0x1fU
/** All GUSE_CREATE_F_* flags protocol 1.1 defines. */
#define GUSE_CREATE_F_ALL_1_1		0x3fU
/** All GUSE_CREATE_F_* flags this version defines. */
#define GUSE_CREATE_F_ALL		0x7fU

/**
 * struct guse_create - GUSE_OP_CREATE payload: describes the chip
 * @version: GUSE_VERSION the server speaks; the major must match
 * @num_lines: number of lines, 1..GUSE_LINES_MAX (and the module's limit)
 * @timeout_ms: request timeout, 0 for GUSE_TIMEOUT_DEFAULT_MS, at most
 *	GUSE_TIMEOUT_MAX_MS
 * @flags: GUSE_CREATE_F_*
 * @label: chip label, NUL-terminated, not empty
 * @reserved: must be 0
 *
 * With GUSE_CREATE_F_LINE_NAMES, @num_lines names of GUSE_NAME_SIZE bytes
 * each follow; each is NUL-terminated, an empty one means "unnamed".  With
 * GUSE_CREATE_F_LINE_INIT (a @version of 1.1 or later), @num_lines struct
 * guse_line_init come next, and then the hogs' consumer labels.
 */
struct guse_create {
	__le32 version;
	__le32 num_lines;
	__le32 timeout_ms;
	__le32 flags;
	char label[GUSE_NAME_SIZE];
	__le32 reserved[8];
};

/* Line state at creation, struct guse_line_init.flags. */
/** The line starts as an output (else as an input). */
#define GUSE_LINE_INIT_F_OUTPUT		(1U << 0)
/*
 * The line starts high: the level an output drives, or the input level the
 * kernel holds for an input (as if injected with SET_INPUTS).
 */
#define GUSE_LINE_INIT_F_VALUE		(1U << 1)
/*
 * The line does not exist on the modelled controller: it is left out of
 * gpiolib's valid mask, so it cannot be requested, and no message names it.
 * Not together with the other flags.
 */
#define GUSE_LINE_INIT_F_INVALID	(1U << 2)
/*
 * The chip holds the line from its creation, as a hog: gpioinfo shows it
 * used by the consumer label that follows (see struct guse_create), with
 * the direction and value the other flags give.  GUSE_OP_UNCLAIM gives it
 * back.
 */
#define GUSE_LINE_INIT_F_HOG		(1U << 3)
/** All GUSE_LINE_INIT_F_* flags. */
#define GUSE_LINE_INIT_F_ALL		0xfU

/**
 * struct guse_line_init - the state of one line at creation (1.1)
 * @flags: GUSE_LINE_INIT_F_*
 * @reserved: must be 0
 */
struct guse_line_init {
	__le32 flags;
	__le32 reserved;
};

/**
 * struct guse_ready - GUSE_OP_READY payload: the chip exists
 * @version: GUSE_VERSION of the kernel module
 * @num_lines: number of lines
 * @base: global GPIO number of line 0 (legacy sysfs interface)
 * @timeout_ms: the request timeout in force
 * @chip_name: name of the character device, e.g. "gpiochip3"
 * @dev_name: name of the guse device in /sys/class/guse, e.g. "guse0"
 * @reserved: 0
 */
struct guse_ready {
	__le32 version;
	__le32 num_lines;
	__le32 base;
	__le32 timeout_ms;
	char chip_name[GUSE_NAME_SIZE];
	char dev_name[GUSE_NAME_SIZE];
	__le32 reserved[8];
};

/**
 * struct guse_line - payload naming one line
 * @line: line offset on the chip
 * @reserved: 0
 */
struct guse_line {
	__le32 line;
	__le32 reserved;
};

/**
 * struct guse_line_consumer - REQUEST, CONSUMER and CLAIM payload
 * @line: line offset
 * @reserved: 0
 * @consumer: consumer label, NUL-terminated; empty in REQUEST when gpiolib
 *	attaches the label only after the request (a CONSUMER message
 *	follows); in CLAIM the device side's label, not empty
 */
struct guse_line_consumer {
	__le32 line;
	__le32 reserved;
	char consumer[GUSE_NAME_SIZE];
};

/**
 * struct guse_line_value - DIRECTION_OUTPUT payload
 * @line: line offset
 * @value: initial output value, 0 or 1
 */
struct guse_line_value {
	__le32 line;
	__le32 value;
};

/** Line direction values in struct guse_direction (as gpiolib's). */
#define GUSE_DIRECTION_OUTPUT	0
#define GUSE_DIRECTION_INPUT	1

/**
 * struct guse_direction - GET_DIRECTION reply
 * @direction: GUSE_DIRECTION_INPUT or GUSE_DIRECTION_OUTPUT
 * @reserved: 0
 */
struct guse_direction {
	__le32 direction;
	__le32 reserved;
};

/**
 * struct guse_device_direction - LINE_DIRECTION payload (1.1)
 * @line: line offset
 * @direction: GUSE_DIRECTION_INPUT or GUSE_DIRECTION_OUTPUT
 * @value: 0 or 1: the level an output drives, or the input level the kernel
 *	holds for an input (as if injected with SET_INPUTS)
 * @reserved: must be 0
 */
struct guse_device_direction {
	__le32 line;
	__le32 direction;
	__le32 value;
	__le32 reserved;
};

/**
 * struct guse_bitmap - line sets: GET_VALUES, SET_VALUES, SET_INPUTS
 * @num_words: number of 64-bit words in each bitmap, exactly
 *	GUSE_BITMAP_WORDS(num_lines) of the chip
 * @reserved: 0
 * @words: line n is bit (n % 64) of word (n / 64).  GET_VALUES request: the
 *	mask.  GET_VALUES reply: the values.  SET_VALUES and SET_INPUTS: the
 *	mask in words[0..num_words-1] followed by the values in
 *	words[num_words..2*num_words-1].  Bits beyond num_lines must be 0.
 */
struct guse_bitmap {
	__le32 num_words;
	__le32 reserved;
	__le64 words[];
};

/** SET_CONFIG parameters. */
enum guse_config_param {
	GUSE_CONFIG_BIAS_DISABLE	= 1,
	GUSE_CONFIG_BIAS_PULL_UP	= 2,
	GUSE_CONFIG_BIAS_PULL_DOWN	= 3,
	GUSE_CONFIG_DRIVE_PUSH_PULL	= 4,
	GUSE_CONFIG_DRIVE_OPEN_DRAIN	= 5,
	GUSE_CONFIG_DRIVE_OPEN_SOURCE	= 6,
	GUSE_CONFIG_INPUT_DEBOUNCE	= 7,
};

/**
 * struct guse_set_config - SET_CONFIG payload
 * @line: line offset
 * @param: enum guse_config_param
 * @arg: GUSE_CONFIG_INPUT_DEBOUNCE: period in microseconds, 0 turns it off;
 *	0 otherwise
 * @reserved: 0
 */
struct guse_set_config {
	__le32 line;
	__le32 param;
	__le32 arg;
	__le32 reserved;
};

/* Interrupt triggers (the values of virtio-gpio's IRQ types). */
#define GUSE_IRQ_TYPE_NONE		0x00
#define GUSE_IRQ_TYPE_EDGE_RISING	0x01
#define GUSE_IRQ_TYPE_EDGE_FALLING	0x02
#define GUSE_IRQ_TYPE_EDGE_BOTH		0x03
#define GUSE_IRQ_TYPE_LEVEL_HIGH	0x04
#define GUSE_IRQ_TYPE_LEVEL_LOW		0x08

/** The interrupt of the line is enabled (requested and not disabled). */
#define GUSE_IRQ_F_ENABLED	(1U << 0)

/**
 * struct guse_irq_config - IRQ_CONFIG payload
 * @line: line offset
 * @type: GUSE_IRQ_TYPE_*
 * @flags: GUSE_IRQ_F_*
 * @reserved: 0
 */
struct guse_irq_config {
	__le32 line;
	__le32 type;
	__le32 flags;
	__le32 reserved;
};

#endif /* _UAPI_LINUX_GUSE_H */
