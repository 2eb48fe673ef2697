/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guse-avr: an AVR microcontroller simulated by simavr whose I/O ports are
 * one guse chip.  Shared by the host side (host.c: the chip's callbacks, in
 * the main thread), the simulation (sim.c: its own thread, which alone
 * touches simavr) and main (guse-avr.c).  See guse-avr(1).
 *
 * Every line is a wire between one AVR pin and the host: its level is what
 * line_level() resolves from what both sides do to it, and both sides see
 * that level (the host as the line's pull, the AVR through simavr's
 * "external" port state and the pin's IRQ).
 */
#ifndef GUSE_AVR_H
#define GUSE_AVR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <guse.h>
#include <sim_avr.h>
#include <sim_elf.h>

#define AVR_PORTS_MAX	12	/* 'A'..'L' */
#define AVR_LINES_MAX	(AVR_PORTS_MAX * 8)
#define PENDING_MAX	256

/* A pull: none, down (reads 0) or up (reads 1). */
enum pull { PULL_NONE = -1, PULL_DOWN = 0, PULL_UP = 1 };

/*
 * One I/O port of the AVR; its bit n is line first + n.  Lives as long as
 * the bridge.
 */
struct avr_port {
	char name;			/* 'B' */
	unsigned int first;
	struct bridge *bridge;
	struct avr_irq_t *irq;		/* IOPORT_IRQ_*: sim thread only */
	/* DDRx and PORTx as the firmware last wrote them; written by the sim
	 * thread under bridge.lock, read by both threads under it */
	uint8_t ddr, port;
};

/* The host's side of one line and what it was told; under bridge.lock. */
struct avr_line {
	bool drive;		/* a host consumer drives @value */
	uint8_t value;
	int8_t bias;		/* enum pull: the host consumer's bias */
	int8_t board;		/* enum pull: the board's (--pull) */
	int8_t injected;	/* the level the kernel has as the line's pull */
	/* sim thread only, no lock */
	bool dir_pending;	/* the kernel's direction may differ from DDRx */
	bool dir_refused;	/* ... and the kernel refused it (counted) */
	bool contention;	/* both sides drive different levels (reported) */
};

/*
 * A host request whose reply waits until the simulation applied it and ran
 * the settle time past that.  @due is a cycle, 0 until the sim thread took
 * it.  Under bridge.lock.
 */
struct pending {
	struct guse_request *req;
	avr_cycle_count_t due;
};

/* Counters for the exit line; each written by one thread only. */
struct stats {
	/* sim thread */
	unsigned long pin_changes;	/* the firmware changed a level */
	unsigned long injections;	/* levels given to the kernel */
	unsigned long directions;	/* device-side direction changes shown */
	unsigned long refused;		/* ... refused: a host consumer held it */
	unsigned long contentions;
	unsigned long slips;		/* the simulation fell behind */
	uint64_t slipped_ns, max_lag_ns;
	/* host side (main thread) */
	unsigned long host_requests;	/* requests that changed the wire */
	unsigned long host_reads;
	unsigned long busy_outputs;	/* output requests refused: AVR drives */
};

enum sim_end { SIM_RUNNING, SIM_STOPPED, SIM_DONE, SIM_CRASHED, SIM_FAILED };

struct bridge {
	/* options: set by main before the chip exists, read-only after */
	bool realtime;
	bool hold_outputs;
	bool level_interrupts;		/* simavr's polled low-level INTn */
	int verbose;
	unsigned int settle_us;
	unsigned int quantum_us;

	struct guse_chip *chip;		/* set before the sim thread starts */
	avr_t *avr;			/* the sim thread's once it started */
	avr_cycle_count_t settle_cycles, quantum_cycles, idle_cycles;

	pthread_mutex_t lock;		/* see the fields marked with it */
	unsigned int num_ports, num_lines;
	struct avr_port ports[AVR_PORTS_MAX];
	struct avr_line lines[AVR_LINES_MAX];
	uint32_t dirty;			/* ports the host changed (lock) */
	struct pending pending[PENDING_MAX];	/* lock */
	unsigned int num_pending;		/* lock */

	int wake_fd;			/* eventfd: host work, or stop */
	atomic_bool stop;
	_Atomic enum sim_end end;	/* why the simulation ended */
	uint32_t crash_pc;		/* written before @end */

	/* the sim thread's own */
	int64_t t0_ns;			/* CLOCK_MONOTONIC of cycle 0 */
	bool applying;			/* raising pins the host changed */
	bool reset_seen;		/* the AVR reset: resynchronize */
	void (*core_reset)(avr_t *avr);	/* simavr's, called by ours */
	/* (simavr's callbacks have no argument: sim.c keeps the bridge) */

	struct stats stats;
};

/* host.c */
extern const struct guse_chip_ops host_ops;
int line_level(const struct bridge *b, unsigned int line);
const char *line_name(const struct bridge *b, unsigned int line, char *buf);
void host_wake(struct bridge *b);

/* sim.c */
int sim_start(struct bridge *b, pthread_t *thread);
void sim_answer_pending(struct bridge *b, int errnum);
void sim_unhook(struct bridge *b);

/* load.c */
struct firmware {
	elf_firmware_t elf;	/* mmcu, frequency, flash, eeprom, ... */
	bool hex;		/* loaded from Intel HEX, not ELF */
};
int firmware_read(const char *path, struct firmware *fw, char *err,
		  size_t errsize);
int firmware_fits(const struct firmware *fw, const avr_t *avr, char *err,
		  size_t errsize);
void firmware_release(struct firmware *fw);

/* guse-avr.c */
void trace(const struct bridge *b, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* GUSE_AVR_H */
