// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-avr, the simulation: one thread runs simavr and alone touches it.
 *
 * - Hooks on each exposed port's IRQs see the firmware write DDRx and
 *   PORTx and every pin change.  A new level goes to the kernel as the
 *   line's pull (guse_chip_set_input()), a DDRx change as a device-side
 *   direction change (guse_chip_set_direction(); while a host consumer
 *   holds the line the kernel refuses it with EBUSY, and it is shown once
 *   the line is released).
 * - The AVR sees the host through simavr's "external" port state (what an
 *   input pin reads, which simavr applies whenever the firmware writes the
 *   port) and through the pin IRQs (which set PINx and fire pin-change and
 *   external interrupts): both follow line_level().
 * - Real time: while the AVR sleeps, simavr's sleep callback (ours) waits
 *   on the wall clock until the AVR's next event, and a host change ends
 *   the wait early: the AVR sees it at once.  While the AVR runs, a cycle
 *   timer (the tick) every quantum keeps it at most one quantum ahead of
 *   the wall clock.  A pin change the firmware makes is given to the
 *   kernel when the wall clock reaches its simulated time.
 * - The tick also applies host changes that come while the AVR runs, and
 *   answers their requests once the settle time has passed in simulated
 *   time.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <avr_extint.h>
#include <avr_ioport.h>
#include <sim_time.h>

#include "guse-avr.h"

/* Behind the wall clock by more than this, the simulation slips. */
#define SLIP_NS		(20 * 1000 * 1000)
/* The tick's period while the AVR sleeps (on_sleep() paces it then). */
#define IDLE_TICK_US	10000

/* simavr's reset and sleep callbacks have no argument: the bridge. */
static struct bridge *the_bridge;

static avr_cycle_count_t tick(avr_t *avr, avr_cycle_count_t when, void *param);

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cycles_to_ns(const avr_t *avr, avr_cycle_count_t c)
{
	uint64_t f = avr->frequency;

	return (int64_t)(c / f * 1000000000 + c % f * 1000000000 / f);
}

static int64_t sim_ns(const struct bridge *b)
{
	return cycles_to_ns(b->avr, b->avr->cycle);
}

static avr_cycle_count_t ns_to_cycles(const avr_t *avr, int64_t ns)
{
	uint64_t f = avr->frequency, n = ns > 0 ? (uint64_t)ns : 0;

	return n / 1000000000 * f + n % 1000000000 * f / 1000000000;
}

/* What the port's input pins read: simavr's external state; lock held. */
static avr_ioport_external_t external_locked(const struct bridge *b,
					     const struct avr_port *p)
{
	avr_ioport_external_t e = { .name = (unsigned char)p->name };
	uint8_t value = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (line_level(b, p->first + i))
			value |= (uint8_t)(1u << i);
	e.mask = (uint8_t)~p->ddr;
	e.value = value & (uint8_t)~p->ddr;
	return e;
}

static void set_external(struct bridge *b, avr_ioport_external_t *e)
{
	avr_ioctl(b->avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(e->name), e);
}

/* Gives the kernel the line's level if it changed; lock held. */
static void sync_host_locked(struct bridge *b, unsigned int line)
{
	struct avr_line *l = &b->lines[line];
	int level = line_level(b, line);
	char n[4];

	if (level == l->injected)
		return;
	if (guse_chip_set_input(b->chip, line, level)) {
		trace(b, 0, "cannot set the level of %s: %s",
		      line_name(b, line, n), strerror(errno));
		if (errno == ENODEV)
			atomic_store(&b->stop, true);
		return;
	}
	l->injected = (int8_t)level;
	b->stats.injections++;
}

/* Reports once when both sides drive the line to different levels. */
static void contention_locked(struct bridge *b, unsigned int line)
{
	const struct avr_port *p = &b->ports[line / 8];
	struct avr_line *l = &b->lines[line];
	uint8_t bit = (uint8_t)(1u << (line % 8));
	bool both = (p->ddr & bit) && l->drive &&
		    l->value != !!(p->port & bit);
	char n[4];

	if (both && !l->contention) {
		b->stats.contentions++;
		trace(b, 0, "contention on %s: the firmware drives %d, a host "
		      "consumer %d (the firmware wins)", line_name(b, line, n),
		      !!(p->port & bit), l->value);
	}
	l->contention = both;
}

/* Real time: until the wall clock reaches the simulated now. */
static void wait_wall(struct bridge *b)
{
	int64_t target = b->t0_ns + sim_ns(b), now = now_ns();
	int64_t most = 2 * (int64_t)b->quantum_us * 1000;
	struct timespec ts;

	if (!b->realtime || target <= now)
		return;
	if (target - now > most)
		target = now + most;
	ts.tv_sec = target / 1000000000;
	ts.tv_nsec = target % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/*
 * Shows the line's DDRx direction to the host (a device-side change)
 * unless the kernel has it already.  Refused while a host consumer holds
 * the line: retried after the release (retry_directions()).
 */
static void show_direction(struct bridge *b, unsigned int line)
{
	const struct avr_port *p = &b->ports[line / 8];
	struct avr_line *l = &b->lines[line];
	uint8_t bit = (uint8_t)(1u << (line % 8));
	int dir, value;
	char n[4];

	pthread_mutex_lock(&b->lock);
	dir = p->ddr & bit ? GUSE_LINE_DIRECTION_OUTPUT :
			     GUSE_LINE_DIRECTION_INPUT;
	value = !!(p->port & bit);
	pthread_mutex_unlock(&b->lock);
	l->dir_pending = false;
	if (guse_chip_get_direction(b->chip, line) == dir) {
		l->dir_refused = false;
		return;
	}
	if (!guse_chip_set_direction(b->chip, line, dir, value)) {
		l->dir_refused = false;
		b->stats.directions++;
		if (dir == GUSE_LINE_DIRECTION_OUTPUT)
			trace(b, 1, "direction line=%s output value=%d",
			      line_name(b, line, n), value);
		else
			trace(b, 1, "direction line=%s input",
			      line_name(b, line, n));
	} else if (errno == EBUSY) {
		l->dir_pending = true;
		if (!l->dir_refused) {
			l->dir_refused = true;
			b->stats.refused++;
			trace(b, 1, "direction line=%s %s refused=busy",
			      line_name(b, line, n),
			      dir == GUSE_LINE_DIRECTION_OUTPUT ? "output" :
			      "input");
		}
	} else {
		trace(b, 0, "cannot show the direction of %s: %s",
		      line_name(b, line, n), strerror(errno));
	}
}

/* Directions refused earlier, for lines no host consumer holds now. */
static void retry_directions(struct bridge *b)
{
	unsigned int line;

	for (line = 0; line < b->num_lines; line++)
		if (b->lines[line].dir_pending &&
		    guse_chip_is_requested(b->chip, line) == 0)
			show_direction(b, line);
}

/* ------------------------------------------------------------------------ */
/* the firmware's side: simavr IRQ hooks */

/* The firmware writes DDRx (simavr applies it after this hook). */
static void on_ddr(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct avr_port *p = param;
	struct bridge *b = p->bridge;
	avr_ioport_external_t e;
	unsigned int i;
	uint8_t changed;

	(void)irq;
	pthread_mutex_lock(&b->lock);
	changed = p->ddr ^ (uint8_t)value;
	p->ddr = (uint8_t)value;
	e = external_locked(b, p);
	pthread_mutex_unlock(&b->lock);
	set_external(b, &e);
	if (changed)
		wait_wall(b);
	for (i = 0; i < 8; i++)
		if (changed & (1u << i))
			show_direction(b, p->first + i);
}

/* The firmware writes PORTx: values of outputs, pull-ups of inputs. */
static void on_port(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct avr_port *p = param;
	struct bridge *b = p->bridge;
	avr_ioport_external_t e;

	(void)irq;
	pthread_mutex_lock(&b->lock);
	p->port = (uint8_t)value;
	e = external_locked(b, p);
	pthread_mutex_unlock(&b->lock);
	set_external(b, &e);
}

/* A pin changed level: by the firmware, or by the host (apply_port()). */
static void on_pin(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct avr_port *p = param;
	struct bridge *b = p->bridge;
	unsigned int line = p->first + irq->irq;
	char n[4];

	if (!b->applying) {
		b->stats.pin_changes++;
		wait_wall(b);
		trace(b, 1, "pin line=%s value=%u sim_us=%lld",
		      line_name(b, line, n), value,
		      (long long)(sim_ns(b) / 1000));
	}
	pthread_mutex_lock(&b->lock);
	sync_host_locked(b, line);
	contention_locked(b, line);
	pthread_mutex_unlock(&b->lock);
}

/* simavr resets the AVR (watchdog, reset): registers, timers and all. */
static void on_reset(avr_t *avr)
{
	struct bridge *b = the_bridge;

	if (b->core_reset)
		b->core_reset(avr);
	b->reset_seen = true;
	avr_cycle_timer_register(avr, 1, tick, b);
}

/* ------------------------------------------------------------------------ */
/* the host's side */

/* The host changed lines of @p: the AVR's input pins get their levels. */
static void apply_port(struct bridge *b, struct avr_port *p)
{
	avr_ioport_external_t e;
	unsigned int i;
	int level[8];
	uint8_t ddr;

	pthread_mutex_lock(&b->lock);
	e = external_locked(b, p);
	ddr = p->ddr;
	for (i = 0; i < 8; i++) {
		level[i] = line_level(b, p->first + i);
		sync_host_locked(b, p->first + i);
		contention_locked(b, p->first + i);
	}
	pthread_mutex_unlock(&b->lock);
	set_external(b, &e);
	b->applying = true;
	for (i = 0; i < 8; i++) {
		if (!(ddr & (1u << i)))
			avr_raise_irq(p->irq + i, (uint32_t)level[i]);
		/* a release may let a refused direction through */
		b->lines[p->first + i].dir_pending = true;
	}
	b->applying = false;
}

/*
 * simavr polls every cycle while the pin of an external interrupt in
 * low-level mode (ISCn = 00, the reset state, also of firmware that does
 * not use it) is low, which makes a host that holds such a pin low slow the
 * simulation to a crawl.  Unless --level-interrupts, a low level interrupt
 * fires once at the falling edge instead.  simavr's reset turns it back
 * on.
 */
static void level_interrupts(struct bridge *b)
{
	uint8_t i;

	if (b->level_interrupts)
		return;
	for (i = 0; i < EXTINT_COUNT; i++)
		avr_extint_set_strict_lvl_trig(b->avr, i, 0);
}

/* After a reset: DDRx and PORTx changed behind the hooks' back. */
static void resync(struct bridge *b)
{
	unsigned int i, j;

	b->reset_seen = false;
	level_interrupts(b);
	for (i = 0; i < b->num_ports; i++) {
		struct avr_port *p = &b->ports[i];
		avr_ioport_state_t st;

		if (avr_ioctl(b->avr, AVR_IOCTL_IOPORT_GETSTATE(p->name), &st))
			continue;
		pthread_mutex_lock(&b->lock);
		p->ddr = (uint8_t)st.ddr;
		p->port = (uint8_t)st.port;
		pthread_mutex_unlock(&b->lock);
		apply_port(b, p);
		for (j = 0; j < 8; j++)
			show_direction(b, p->first + j);
	}
	trace(b, 1, "reset sim_us=%lld", (long long)(sim_ns(b) / 1000));
}

/*
 * Takes the host's changes: applies them and starts the settle time of
 * their requests.  Returns true if there was any.
 */
static bool process_work(struct bridge *b, avr_cycle_count_t now)
{
	avr_cycle_count_t due = now + b->settle_cycles;
	unsigned int i;
	uint32_t dirty;

	pthread_mutex_lock(&b->lock);
	dirty = b->dirty;
	b->dirty = 0;
	for (i = 0; i < b->num_pending; i++)
		if (!b->pending[i].due)
			b->pending[i].due = due;
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < b->num_ports; i++)
		if (dirty & (1u << i))
			apply_port(b, &b->ports[i]);
	return dirty != 0;
}

/*
 * Answers the requests whose settle time has passed.  Returns the cycle
 * the next one is due at, 0 if none is.
 */
static avr_cycle_count_t reply_due(struct bridge *b)
{
	struct guse_request *ready[PENDING_MAX];
	avr_cycle_count_t now = b->avr->cycle, next = 0;
	unsigned int i, j, n = 0;

	pthread_mutex_lock(&b->lock);
	for (i = j = 0; i < b->num_pending; i++) {
		struct pending *q = &b->pending[i];

		if (q->due && q->due <= now) {
			ready[n++] = q->req;
			continue;
		}
		if (q->due && (!next || q->due < next))
			next = q->due;
		b->pending[j++] = *q;
	}
	b->num_pending = j;
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < n; i++)
		guse_reply_ok(ready[i]);
	return next;
}

/*
 * The simulation is @lag ns behind the wall clock: past SLIP_NS it gives
 * the time up (the wall clock of cycle 0 moves) rather than racing to catch
 * up, so that the firmware's intervals after a stall stay right.
 */
static bool slip(struct bridge *b, int64_t lag)
{
	if (lag > (int64_t)b->stats.max_lag_ns)
		b->stats.max_lag_ns = (uint64_t)lag;
	if (lag <= SLIP_NS)
		return false;
	b->t0_ns += lag;
	b->stats.slips++;
	b->stats.slipped_ns += (uint64_t)lag;
	return true;
}

/*
 * Real time: waits while the simulation is ahead of the wall clock; slips
 * (gives the lost time up) when it is more than SLIP_NS behind.  Returns
 * true if host work came and was applied while it waited: the AVR must
 * then run at once.
 */
static bool pace(struct bridge *b)
{
	int64_t sim = sim_ns(b), wall = now_ns() - b->t0_ns;
	struct pollfd pfd = { .fd = b->wake_fd, .events = POLLIN };

	if (slip(b, wall - sim))
		return false;
	while (sim > wall && !atomic_load(&b->stop)) {
		struct timespec ts = {
			.tv_sec = (sim - wall) / 1000000000,
			.tv_nsec = (sim - wall) % 1000000000,
		};
		uint64_t n;

		if (ppoll(&pfd, 1, &ts, NULL) > 0) {
			if (read(b->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				return false;
			if (process_work(b, b->avr->cycle))
				return true;
		}
		wall = now_ns() - b->t0_ns;
	}
	return false;
}

/* The periodic timer: host work, replies, pacing. */
static avr_cycle_count_t tick(avr_t *avr, avr_cycle_count_t when, void *param)
{
	struct bridge *b = param;
	avr_cycle_count_t next, due;
	bool worked;

	if (b->reset_seen)
		resync(b);
	worked = process_work(b, avr->cycle);
	retry_directions(b);
	if (!worked && b->realtime && avr->state != cpu_Sleeping)
		worked = pace(b);
	due = reply_due(b);
	/* after host work the AVR must react now, not after a sleep */
	if (worked)
		next = avr->cycle + 1;
	else if (avr->state == cpu_Sleeping)
		next = when + b->idle_cycles;
	else
		next = when + b->quantum_cycles;
	if (due && due < next)
		next = due;
	if (next <= avr->cycle)
		next = avr->cycle + 1;
	return next;
}

/* Whether the host changed something since the simulation last looked. */
static bool host_work(struct bridge *b)
{
	bool work;
	unsigned int i;

	pthread_mutex_lock(&b->lock);
	work = b->dirty != 0;
	for (i = 0; i < b->num_pending && !work; i++)
		work = !b->pending[i].due;
	pthread_mutex_unlock(&b->lock);
	return work;
}

/*
 * simavr's sleep callback: the AVR sleeps @howlong cycles until its next
 * event, which simavr adds to the clock after this returns.  In real time,
 * waits until the wall clock is there; host work ends the wait early, and
 * the clock is set back so that simavr's addition ends at the moment the
 * work came, when the AVR then sees it.
 */
static void on_sleep(avr_t *avr, avr_cycle_count_t howlong)
{
	struct bridge *b = the_bridge;
	avr_cycle_count_t start = avr->cycle, now;
	int64_t target = b->t0_ns + cycles_to_ns(avr, start + howlong);
	struct pollfd pfd = { .fd = b->wake_fd, .events = POLLIN };
	int64_t wall;
	uint64_t n;

	if (!b->realtime)
		return;
	slip(b, now_ns() - b->t0_ns - cycles_to_ns(avr, start));
	target = b->t0_ns + cycles_to_ns(avr, start + howlong);
	for (;;) {
		struct timespec ts;

		wall = now_ns();
		if (wall >= target || atomic_load(&b->stop))
			return;
		ts.tv_sec = (target - wall) / 1000000000;
		ts.tv_nsec = (target - wall) % 1000000000;
		if (ppoll(&pfd, 1, &ts, NULL) <= 0)
			continue;
		if (read(b->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return;
		if (host_work(b))
			break;
	}
	now = ns_to_cycles(avr, now_ns() - b->t0_ns);
	if (now < start)
		now = start;
	if (now > start + howlong)
		now = start + howlong;
	/* the AVR wakes at @now + 1: work, replies and the tick from there */
	avr->cycle = now + 1;
	process_work(b, avr->cycle);
	avr_cycle_timer_register(avr, 1, tick, b);
	avr->cycle -= 1 + howlong;	/* simavr adds it back */
}

static void *sim_main(void *arg)
{
	struct bridge *b = arg;
	avr_t *avr = b->avr;
	unsigned int i;

	b->t0_ns = now_ns();
	level_interrupts(b);
	for (i = 0; i < b->num_ports; i++)
		apply_port(b, &b->ports[i]);
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		int state = avr_run(avr);

		if (state == cpu_Done) {
			atomic_store(&b->end, SIM_DONE);
			break;
		}
		if (state == cpu_Crashed) {
			b->crash_pc = avr->pc;
			atomic_store(&b->end, SIM_CRASHED);
			break;
		}
	}
	if (atomic_load(&b->end) == SIM_RUNNING)
		atomic_store(&b->end, SIM_STOPPED);
	guse_chip_exit(b->chip);
	return NULL;
}

/*
 * Hooks the exposed ports, installs the tick and starts the thread, with
 * every signal blocked in it (main handles them).
 */
int sim_start(struct bridge *b, pthread_t *thread)
{
	avr_t *avr = b->avr;
	sigset_t all, old;
	unsigned int i, j;
	int err;

	for (i = 0; i < b->num_ports; i++) {
		struct avr_port *p = &b->ports[i];

		p->bridge = b;
		p->irq = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(p->name), 0);
		if (!p->irq)
			return ENOENT;
		for (j = 0; j < 8; j++)
			avr_irq_register_notify(p->irq + IOPORT_IRQ_PIN0 + j,
						on_pin, p);
		avr_irq_register_notify(p->irq + IOPORT_IRQ_DIRECTION_ALL,
					on_ddr, p);
		avr_irq_register_notify(p->irq + IOPORT_IRQ_REG_PORT,
					on_port, p);
	}
	b->settle_cycles = avr_usec_to_cycles(avr, b->settle_us);
	if (!b->settle_cycles)
		b->settle_cycles = 1;
	b->quantum_cycles = avr_usec_to_cycles(avr, b->quantum_us);
	if (!b->quantum_cycles)
		b->quantum_cycles = 1;
	b->idle_cycles = avr_usec_to_cycles(avr, IDLE_TICK_US);
	if (b->idle_cycles < b->quantum_cycles)
		b->idle_cycles = b->quantum_cycles;
	the_bridge = b;
	b->core_reset = avr->reset;
	avr->reset = on_reset;
	avr->sleep = on_sleep;
	avr_cycle_timer_register(avr, b->quantum_cycles, tick, b);

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(thread, NULL, sim_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Once the thread ended: the hooks sim_start() installed go. */
void sim_unhook(struct bridge *b)
{
	unsigned int i, j;

	for (i = 0; i < b->num_ports; i++) {
		struct avr_port *p = &b->ports[i];

		for (j = 0; j < 8; j++)
			avr_irq_unregister_notify(p->irq + IOPORT_IRQ_PIN0 + j,
						  on_pin, p);
		avr_irq_unregister_notify(p->irq + IOPORT_IRQ_DIRECTION_ALL,
					  on_ddr, p);
		avr_irq_unregister_notify(p->irq + IOPORT_IRQ_REG_PORT,
					  on_port, p);
	}
}

/* Once the thread ended: the requests it did not get to. */
void sim_answer_pending(struct bridge *b, int errnum)
{
	unsigned int i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->num_pending; i++)
		guse_reply_error(b->pending[i].req, errnum);
	b->num_pending = 0;
	pthread_mutex_unlock(&b->lock);
}
