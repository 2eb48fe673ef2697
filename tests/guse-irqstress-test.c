// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-irqstress-test: interrupts of several chips configured, raised and
 * torn down at the same time, with interrupt configuration reported to
 * the server (GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_IRQ_CONFIG, chip
 * timeout CHIP_TIMEOUT_MS).
 *
 * One server thread serves NCHIPS 16-line chips (poll() over their files)
 * and, every PULSE_MS, toggles lines 0-3 of each chip with one SET_INPUTS.
 * Per chip, a watcher thread (libgpiod) reads the edge events of lines
 * 0-3 (both edges, a 1024-event kernel FIFO).  CHURNERS threads go round
 * the chips on lines 8-13, one line each: request with rising-edge
 * detection, reconfigure to falling, to both, to none, release.
 *
 * It fails if, within GUSE_IRQSTRESS_SECONDS (default 12):
 *   - a SET_INPUTS write, or a churn operation (each makes the kernel send
 *     IRQ_CONFIG), takes longer than BOUND_MS, far below the chip timeout:
 *     a server blocked in write() while the kernel waits for it to answer
 *     (e.g. SET_INPUTS in synchronize_irq() for an interrupt thread whose
 *     oneshot finalization waits for the server's IRQ_CONFIG answer);
 *   - an operation fails, or a line of a watched chip never gets an event;
 *   - a watched line's events are not consecutive (line_seqno) or not
 *     alternately rising and falling.  The one gap accepted is the kernel
 *     dropping the oldest events of a full FIFO: it shows as a gap at the
 *     start of a read that returned a full FIFO (1024 events).  The
 *     request-wide seqno is not checked: the interrupt threads of
 *     different lines queue their events in any order;
 *   - the kernel logs a report (tests/kstate.c), or a chip is left over.
 *
 * Variants: the server's files blocking, or O_NONBLOCK (a non-blocking
 * SET_INPUTS may fail with EAGAIN and is then retried at the next pulse;
 * it must not block longer than BOUND_MS either).
 *
 * The stress runs in a child process whose output goes nowhere; this
 * process only watches it (printing the kernel stacks of its threads and
 * of interrupt threads when an operation has taken DUMP_MS), so that a
 * thread stuck in the kernel cannot keep the test's output open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpiod-user.h"
#include "guse-kselftest.h"
#include "kstate.h"
#include "raw-guse.h"

#define NCHIPS		3
#define LINES		16
#define PULSED		4	/* lines 0-3 */
#define PULSED_MASK	((1ULL << PULSED) - 1)
#define CHURN_LINE	8	/* churn thread t: line 8 + t */
#define CHURNERS	6
/*
 * A server blocked in write() shows as an operation as long as the chip
 * timeout; the bound sits well below it, and well above what a loaded
 * 2-CPU host gives the debug kernel under TCG (2.2 s seen with a 2 s bound).
 */
#define CHIP_TIMEOUT_MS	10000
#define BOUND_MS	4000
#define DUMP_MS		1000
#define PULSE_MS	4
#define FIFO_EVENTS	1024
#define SETUP_MS	10000
#define MAX_PROBLEMS	8

enum cop { C_REQUEST, C_FALLING, C_BOTH, C_NONE, C_RELEASE, NCOPS };
static const char *const cop_name[NCOPS] = {
	"request (rising)", "reconfigure to falling", "reconfigure to both",
	"reconfigure to none", "release",
};

/* An operation in progress, for the watching parent. */
struct busy {
	_Atomic int64_t since;		/* 0: none */
	_Atomic int op;			/* cop, or -1 for a SET_INPUTS write */
	_Atomic int chip;
	_Atomic int tid;
};

/*
 * Shared between the stress child (writes) and this process (reads the
 * atomics while it runs, the rest once it exited).  Each counter has one
 * writer: the server thread, one churn thread or one watcher.
 */
struct stress_shm {
	_Atomic int phase;		/* 1 running, 2 done, -1 setup failed */
	char setup_err[128];
	char chip_name[NCHIPS][GUSE_NAME_SIZE];

	struct busy srv;
	uint64_t pulses[NCHIPS], eagain, irq_configs, late_replies;
	unsigned int write_errors, writes_slow, reply_errors;
	int first_write_err, write_max_chip;
	int64_t write_max_ns;

	struct busy churn[CHURNERS];
	uint64_t cops[CHURNERS][NCOPS];
	int64_t cop_max_ns[CHURNERS][NCOPS];
	unsigned int cop_slow[CHURNERS], cop_errors[CHURNERS];
	int first_cop_err[CHURNERS], first_cop[CHURNERS];

	_Atomic int watch_tid[NCHIPS];
	uint64_t events[NCHIPS][PULSED];
	unsigned int full_reads[NCHIPS], gaps_explained[NCHIPS];
	unsigned int gaps[NCHIPS], type_errors[NCHIPS], read_errors[NCHIPS];
	char problem[NCHIPS][160];	/* the first one of each watcher */
};

/* The stress child's own state. */
struct stress {
	struct stress_shm *shm;
	bool nonblock;
	int64_t end_ns;
	atomic_bool stop;		/* churn threads and watchers */
	atomic_bool stop_server;
	int fd[NCHIPS];
	unsigned int num_lines;
	struct raw_seen seen[NCHIPS];
};

static void busy_start(struct busy *b, int op, int chip)
{
	atomic_store(&b->op, op);
	atomic_store(&b->chip, chip);
	atomic_store(&b->since, kst_now_ns());
}

/* Ends what busy_start() began; returns its duration. */
static int64_t busy_end(struct busy *b)
{
	int64_t ns = kst_now_ns() - atomic_load(&b->since);

	atomic_store(&b->since, 0);
	return ns;
}

/* ---- the server thread --------------------------------------------------- */

/* Toggles lines 0-3 of chip @c. */
static void server_pulse(struct stress *s, unsigned int c)
{
	struct stress_shm *shm = s->shm;
	uint64_t mask = PULSED_MASK;
	uint64_t values = (shm->pulses[c] & 1) ? 0 : PULSED_MASK;
	int64_t ns;
	int ret;

	busy_start(&shm->srv, -1, c);
	ret = raw_set_inputs(s->fd[c], LINES, &mask, &values);
	ns = busy_end(&shm->srv);
	if (ns > shm->write_max_ns) {
		shm->write_max_ns = ns;
		shm->write_max_chip = c;
	}
	if (ns > (int64_t)BOUND_MS * 1000000)
		shm->writes_slow++;
	if (!ret) {
		shm->pulses[c]++;
	} else if (ret == -EAGAIN && s->nonblock) {
		shm->eagain++;	/* the same levels again at the next pulse */
	} else if (!shm->write_errors++) {
		shm->first_write_err = -ret;
	}
}

/* Answers what chip @c has queued: one message, or all (non-blocking). */
static void server_read(struct stress *s, unsigned int c)
{
	struct stress_shm *shm = s->shm;
	struct raw_msg m;
	ssize_t n;
	int ret;

	do {
		n = read(s->fd[c], &m, sizeof(m));
		if (n <= 0)
			return;
		if (m.hdr.opcode == GUSE_OP_IRQ_CONFIG)
			shm->irq_configs++;
		busy_start(&shm->srv, m.hdr.opcode, c);
		ret = raw_answer(s->fd[c], &m, &s->seen[c]);
		busy_end(&shm->srv);
		if (ret == -ENOENT)
			shm->late_replies++;
		else if (ret)
			shm->reply_errors++;
	} while (s->nonblock);
}

static void *server_thread(void *arg)
{
	struct stress *s = arg;
	struct pollfd pfd[NCHIPS];
	int64_t next = kst_now_ns(), now;
	unsigned int c;
	int wait_ms;

	atomic_store(&s->shm->srv.tid, gettid());
	for (c = 0; c < NCHIPS; c++)
		pfd[c] = (struct pollfd){ .fd = s->fd[c], .events = POLLIN };
	while (!atomic_load(&s->stop_server)) {
		now = kst_now_ns();
		wait_ms = next > now ? (int)((next - now) / 1000000) : 0;
		if (poll(pfd, NCHIPS, wait_ms) > 0)
			for (c = 0; c < NCHIPS; c++)
				if (pfd[c].revents & POLLIN)
					server_read(s, c);
		if (kst_now_ns() < next || kst_now_ns() > s->end_ns)
			continue;
		for (c = 0; c < NCHIPS; c++)
			server_pulse(s, c);
		next = kst_now_ns() + (int64_t)PULSE_MS * 1000000;
	}
	return NULL;
}

/* ---- consumers ----------------------------------------------------------- */

struct worker {
	struct stress *s;
	unsigned int idx;	/* churn thread or watched chip */
};

static void __attribute__((format(printf, 3, 4)))
watch_problem(struct stress_shm *shm, unsigned int c, const char *fmt, ...)
{
	va_list ap;

	if (shm->problem[c][0])
		return;
	va_start(ap, fmt);
	vsnprintf(shm->problem[c], sizeof(shm->problem[c]), fmt, ap);
	va_end(ap);
}

/* Checks one read of @n events of chip @c against the last ones. */
static void watch_check(struct stress_shm *shm, unsigned int c,
			struct gpiod_edge_event_buffer *buf, int n,
			unsigned long *last_seqno, int *last_type)
{
	struct gpiod_edge_event *ev;
	unsigned long seqno;
	unsigned int line;
	int type;

	if (n == FIFO_EVENTS)
		shm->full_reads[c]++;
	for (int i = 0; i < n; i++) {
		ev = gpiod_edge_event_buffer_get_event(buf, i);
		line = gpiod_edge_event_get_line_offset(ev);
		seqno = gpiod_edge_event_get_line_seqno(ev);
		type = gpiod_edge_event_get_event_type(ev);
		if (line >= PULSED) {
			watch_problem(shm, c, "event of unwatched line %u",
				      line);
			shm->gaps[c]++;
			continue;
		}
		if (seqno != last_seqno[line] + 1) {
			if (i == 0 && n == FIFO_EVENTS) {
				shm->gaps_explained[c]++;
			} else {
				shm->gaps[c]++;
				watch_problem(shm, c,
					      "line %u: line_seqno %lu after %lu",
					      line, seqno, last_seqno[line]);
			}
		} else if (type == last_type[line]) {
			shm->type_errors[c]++;
			watch_problem(shm, c,
				      "line %u: two %s edges in a row (line_seqno %lu)",
				      line, type == GPIOD_EDGE_EVENT_RISING_EDGE ?
				      "rising" : "falling", seqno);
		}
		last_seqno[line] = seqno;
		last_type[line] = type;
		shm->events[c][line]++;
	}
}

static void *watch_thread(void *arg)
{
	const struct worker *w = arg;
	struct stress_shm *shm = w->s->shm;
	const struct user_req r = {
		.first = 0, .num = PULSED,
		.direction = GPIOD_LINE_DIRECTION_INPUT,
		.edge = GPIOD_LINE_EDGE_BOTH,
		.event_buffer_size = FIFO_EVENTS,
		.consumer = "stress-watch",
	};
	struct gpiod_edge_event_buffer *buf;
	struct gpiod_line_request *req = NULL;
	unsigned long last_seqno[PULSED] = { 0 };
	int last_type[PULSED] = { 0 };
	unsigned int c = w->idx;
	struct gpiod_chip *chip;
	struct pollfd pfd;
	int n;

	atomic_store(&shm->watch_tid[c], gettid());
	buf = gpiod_edge_event_buffer_new(FIFO_EVENTS);
	chip = buf ? user_chip_open(shm->chip_name[c]) : NULL;
	if (chip)
		req = user_request(chip, &r);
	if (!req) {
		shm->read_errors[c]++;
		watch_problem(shm, c, "requesting lines 0-%u: %s", PULSED - 1,
			      strerror(errno));
		goto out;
	}
	pfd = (struct pollfd){ .fd = gpiod_line_request_get_fd(req),
			       .events = POLLIN };
	while (!atomic_load(&w->s->stop)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = gpiod_line_request_read_edge_events(req, buf, FIFO_EVENTS);
		if (n < 0) {
			shm->read_errors[c]++;
			watch_problem(shm, c, "reading events: %s",
				      strerror(errno));
			break;
		}
		watch_check(shm, c, buf, n, last_seqno, last_type);
	}
out:
	if (req)
		gpiod_line_request_release(req);
	if (chip)
		gpiod_chip_close(chip);
	gpiod_edge_event_buffer_free(buf);
	return NULL;
}

/* Runs one churn operation of thread @t on chip @c; false if it failed. */
static bool churn_op(struct stress_shm *shm, unsigned int t, unsigned int c,
		     enum cop op, struct gpiod_chip *chip,
		     struct gpiod_line_request **req)
{
	static const enum gpiod_line_edge edge[NCOPS] = {
		GPIOD_LINE_EDGE_RISING, GPIOD_LINE_EDGE_FALLING,
		GPIOD_LINE_EDGE_BOTH, GPIOD_LINE_EDGE_NONE,
		GPIOD_LINE_EDGE_NONE,
	};
	const struct user_req r = {
		.first = CHURN_LINE + t, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_INPUT,
		.edge = edge[op],
		.consumer = "stress-churn",
	};
	int64_t ns;
	int ret = 0;

	busy_start(&shm->churn[t], op, c);
	if (op == C_REQUEST) {
		*req = user_request(chip, &r);
		ret = *req ? 0 : -1;
	} else if (op == C_RELEASE) {
		gpiod_line_request_release(*req);
		*req = NULL;
	} else {
		ret = user_reconfigure(*req, &r);
	}
	if (ret && !shm->cop_errors[t]++) {
		shm->first_cop_err[t] = errno;
		shm->first_cop[t] = op;
	}
	ns = busy_end(&shm->churn[t]);
	shm->cops[t][op]++;
	if (ns > shm->cop_max_ns[t][op])
		shm->cop_max_ns[t][op] = ns;
	if (ns > (int64_t)BOUND_MS * 1000000)
		shm->cop_slow[t]++;
	return !ret;
}

static void *churn_thread(void *arg)
{
	const struct worker *w = arg;
	struct stress_shm *shm = w->s->shm;
	struct gpiod_chip *chip[NCHIPS] = { NULL };
	struct gpiod_line_request *req;
	unsigned int t = w->idx, c, k;
	enum cop op;

	atomic_store(&shm->churn[t].tid, gettid());
	for (c = 0; c < NCHIPS; c++) {
		chip[c] = user_chip_open(shm->chip_name[c]);
		if (!chip[c] && !shm->cop_errors[t]++) {
			shm->first_cop_err[t] = errno;
			shm->first_cop[t] = C_REQUEST;
		}
	}
	for (k = 0; !atomic_load(&w->s->stop); k++) {
		c = (t + k) % NCHIPS;
		if (!chip[c])
			break;
		req = NULL;
		for (op = C_REQUEST; op < NCOPS; op++)
			if (!churn_op(shm, t, c, op, chip[c], &req))
				break;
		if (req)
			gpiod_line_request_release(req);
		if (op < NCOPS)
			usleep(10000);	/* failed: do not spin on it */
	}
	for (c = 0; c < NCHIPS; c++)
		if (chip[c])
			gpiod_chip_close(chip[c]);
	return NULL;
}

/* ---- the stress child ---------------------------------------------------- */

static int stress_setup(struct stress *s)
{
	struct guse_ready ready;
	unsigned int c;
	int ret;

	for (c = 0; c < NCHIPS; c++) {
		s->fd[c] = open("/dev/guse", O_RDWR | O_CLOEXEC |
				(s->nonblock ? O_NONBLOCK : 0));
		if (s->fd[c] < 0)
			return -errno;
		ret = raw_create_chip(s->fd[c], "irqstress", LINES,
				      CHIP_TIMEOUT_MS,
				      GUSE_CREATE_F_REQUEST |
				      GUSE_CREATE_F_IRQ_CONFIG, &ready);
		if (ret)
			return ret;
		memcpy(s->shm->chip_name[c], ready.chip_name, GUSE_NAME_SIZE);
	}
	return 0;
}

static void __attribute__((noreturn))
stress_main(struct stress_shm *shm, bool nonblock, unsigned int seconds,
	    pid_t parent)
{
	static struct stress s;
	struct worker w[NCHIPS + CHURNERS];
	pthread_t th[NCHIPS + CHURNERS], srv;
	unsigned int i, n = 0;
	int ret;

	kst_child_init(parent);
	s.shm = shm;
	s.nonblock = nonblock;
	ret = stress_setup(&s);
	if (ret) {
		snprintf(shm->setup_err, sizeof(shm->setup_err),
			 "creating the chips: %s", strerror(-ret));
		atomic_store(&shm->phase, -1);
		_exit(2);
	}
	s.end_ns = kst_now_ns() + (int64_t)seconds * 1000000000;
	if (pthread_create(&srv, NULL, server_thread, &s))
		_exit(3);
	atomic_store(&shm->phase, 1);
	for (i = 0; i < NCHIPS + CHURNERS; i++, n++) {
		w[i] = (struct worker){ &s, i < NCHIPS ? i : i - NCHIPS };
		if (pthread_create(&th[i], NULL, i < NCHIPS ? watch_thread :
				   churn_thread, &w[i]))
			break;
	}
	while (kst_now_ns() < s.end_ns)
		usleep(20000);
	/* consumers first: their FREE and IRQ_CONFIG still get answers */
	atomic_store(&s.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	atomic_store(&s.stop_server, true);
	pthread_join(srv, NULL);
	for (i = 0; i < NCHIPS; i++)
		close(s.fd[i]);
	atomic_store(&shm->phase, 2);
	_exit(n == NCHIPS + CHURNERS ? 0 : 4);
}

/* ---- this process: watching and checking --------------------------------- */

static const char *busy_name(int op)
{
	return op < 0 ? "SET_INPUTS write" : op < NCOPS ? cop_name[op] :
		"reply";
}

/* The longest operation in progress in @shm, in ms, and its description. */
static int longest_busy(struct stress_shm *shm, char *what, size_t size)
{
	int64_t now = kst_now_ns(), since;
	struct busy *b;
	int worst = -1;

	for (int i = -1; i < CHURNERS; i++) {
		b = i < 0 ? &shm->srv : &shm->churn[i];
		since = atomic_load(&b->since);
		if (!since || kst_ms(since, now) <= worst)
			continue;
		worst = kst_ms(since, now);
		if (i < 0)
			snprintf(what, size, "the server's %s on chip %d",
				 busy_name(atomic_load(&b->op)),
				 atomic_load(&b->chip));
		else
			snprintf(what, size, "churn thread %d's %s on chip %d",
				 i, busy_name(atomic_load(&b->op)),
				 atomic_load(&b->chip));
	}
	return worst;
}

/* Which thread of the child is which, for the stacks printed next. */
static void print_tids(struct stress_shm *shm)
{
	char line[256];
	size_t len;
	unsigned int i;

	len = snprintf(line, sizeof(line), "server tid %d, watchers",
		       atomic_load(&shm->srv.tid));
	/* at most 10 numbers: the line cannot fill up */
	for (i = 0; i < NCHIPS; i++)
		len += snprintf(line + len, sizeof(line) - len, " %d",
				atomic_load(&shm->watch_tid[i]));
	len += snprintf(line + len, sizeof(line) - len, ", churn threads");
	for (i = 0; i < CHURNERS; i++)
		len += snprintf(line + len, sizeof(line) - len, " %d",
				atomic_load(&shm->churn[i].tid));
	ksft_print_msg("%s\n", line);
}

/*
 * Waits for the child until @deadline_ns, printing the kernel stacks once
 * when an operation takes DUMP_MS; returns true if it exited (@status).
 */
static bool watch_child(struct stress_shm *shm, pid_t pid,
			int64_t deadline_ns, int *status, int *worst_seen)
{
	bool dumped = false;
	char what[128], why[192];
	int ms;

	while (kst_now_ns() < deadline_ns) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		ms = longest_busy(shm, what, sizeof(what));
		if (ms > *worst_seen)
			*worst_seen = ms;
		if (ms > DUMP_MS && !dumped) {
			dumped = true;
			ksft_print_msg("%s has taken %d ms so far:\n", what, ms);
			print_tids(shm);
			snprintf(why, sizeof(why), "%s (%d ms)", what, ms);
			kst_dump_task(pid, why);
			kst_dump_irq_threads();
		}
		usleep(20000);
	}
	return false;
}

FIXTURE(irqstress) {
	struct stress_shm *shm;
};

FIXTURE_VARIANT(irqstress) {
	bool nonblock;
};

FIXTURE_VARIANT_ADD(irqstress, blocking) {
	.nonblock = false,
};

FIXTURE_VARIANT_ADD(irqstress, nonblocking) {
	.nonblock = true,
};

FIXTURE_SETUP(irqstress)
{
	self->shm = mmap(NULL, sizeof(*self->shm), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shm);
}

FIXTURE_TEARDOWN(irqstress)
{
	if (self->shm && self->shm != MAP_FAILED)
		munmap(self->shm, sizeof(*self->shm));
}

static unsigned int stress_seconds;

/* Sums the churn threads' results. */
static void churn_totals(const struct stress_shm *shm, uint64_t *ops,
			 int64_t *max_ns, unsigned int *slow,
			 unsigned int *errors)
{
	memset(ops, 0, NCOPS * sizeof(*ops));
	memset(max_ns, 0, NCOPS * sizeof(*max_ns));
	*slow = *errors = 0;
	for (unsigned int t = 0; t < CHURNERS; t++) {
		for (unsigned int op = 0; op < NCOPS; op++) {
			ops[op] += shm->cops[t][op];
			if (shm->cop_max_ns[t][op] > max_ns[op])
				max_ns[op] = shm->cop_max_ns[t][op];
		}
		*slow += shm->cop_slow[t];
		*errors += shm->cop_errors[t];
		if (shm->cop_errors[t])
			ksft_print_msg("churn thread %u: %u failures, the first %s: %s\n",
				       t, shm->cop_errors[t],
				       cop_name[shm->first_cop[t]],
				       strerror(shm->first_cop_err[t]));
	}
}

TEST_F_TIMEOUT(irqstress, stress, 60)
{
	struct stress_shm *shm = self->shm;
	unsigned int chips_before, chips_after, c, l, slow, errors;
	unsigned int gaps = 0, types = 0, reads = 0, full = 0, explained = 0;
	uint64_t ops[NCOPS], least_events = UINT64_MAX, events = 0;
	int64_t max_ns[NCOPS], deadline;
	int status = -1, worst_busy = 0;
	struct kst_kmsg km;
	bool exited;
	pid_t pid;

	memset(shm, 0, sizeof(*shm));
	chips_before = kst_count_dir("/sys/class/guse");
	ASSERT_TRUE(kst_kmsg_open(&km)) TH_LOG("cannot read /dev/kmsg");
	ksft_print_msg("%u chips, %u s, %s server files; bound %d ms (chip timeout %d ms)\n",
		       NCHIPS, stress_seconds,
		       variant->nonblock ? "O_NONBLOCK" : "blocking", BOUND_MS,
		       CHIP_TIMEOUT_MS);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		stress_main(shm, variant->nonblock, stress_seconds,
			    getppid());
	deadline = kst_now_ns() + (int64_t)(stress_seconds * 1000 + SETUP_MS +
					    2 * CHIP_TIMEOUT_MS) * 1000000;
	exited = watch_child(shm, pid, deadline, &status, &worst_busy);
	if (!exited) {
		kst_dump_task(pid, "stress child still running");
		kst_dump_irq_threads();
		kill(pid, SIGKILL);	/* it may be stuck: not waited for */
	}
	ASSERT_TRUE(exited) TH_LOG("the stress child did not finish");
	ASSERT_NE(-1, atomic_load(&shm->phase)) TH_LOG("%s", shm->setup_err);

	churn_totals(shm, ops, max_ns, &slow, &errors);
	for (c = 0; c < NCHIPS; c++) {
		for (l = 0; l < PULSED; l++) {
			events += shm->events[c][l];
			if (shm->events[c][l] < least_events)
				least_events = shm->events[c][l];
		}
		gaps += shm->gaps[c];
		types += shm->type_errors[c];
		reads += shm->read_errors[c];
		full += shm->full_reads[c];
		explained += shm->gaps_explained[c];
		if (shm->problem[c][0])
			ksft_print_msg("watcher of chip %u: %s\n", c,
				       shm->problem[c]);
	}
	ksft_print_msg("SET_INPUTS: %" PRIu64 "/%" PRIu64 "/%" PRIu64
		       " on the chips, %" PRIu64 " EAGAIN, %u failed (first: %s), slowest %d ms (chip %d), %u over the bound\n",
		       shm->pulses[0], shm->pulses[1], shm->pulses[2],
		       shm->eagain, shm->write_errors,
		       shm->write_errors ? strerror(shm->first_write_err) : "-",
		       (int)(shm->write_max_ns / 1000000), shm->write_max_chip,
		       shm->writes_slow);
	ksft_print_msg("server: %" PRIu64 " IRQ_CONFIG answered, %" PRIu64
		       " late replies (ENOENT), %u other reply errors\n",
		       shm->irq_configs, shm->late_replies, shm->reply_errors);
	for (unsigned int op = 0; op < NCOPS; op++)
		ksft_print_msg("churn %-22s %6" PRIu64 " times, slowest %d ms\n",
			       cop_name[op], ops[op],
			       (int)(max_ns[op] / 1000000));
	ksft_print_msg("events: %" PRIu64 " (fewest on one line: %" PRIu64
		       "), %u gaps (%u explained by %u full FIFOs), %u edge type errors, %u read errors\n",
		       events, least_events, gaps + explained, explained, full,
		       types, reads);
	ksft_print_msg("longest operation seen in progress: %d ms\n",
		       worst_busy);

	deadline = kst_now_ns() + 5000000000LL;
	while ((chips_after = kst_count_dir("/sys/class/guse")) > chips_before &&
	       kst_now_ns() < deadline)
		usleep(10000);
	EXPECT_EQ(0U, kst_kmsg_scan(&km, "", 80))
		TH_LOG("the kernel logged reports");
	kst_kmsg_close(&km);

	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the stress child ended with status 0x%x", status);
	EXPECT_EQ(0U, shm->writes_slow)
		TH_LOG("SET_INPUTS writes took up to %d ms",
		       (int)(shm->write_max_ns / 1000000));
	EXPECT_EQ(0U, slow) TH_LOG("churn operations took over %d ms", BOUND_MS);
	EXPECT_EQ(0U, shm->write_errors);
	EXPECT_EQ(0U, shm->reply_errors);
	EXPECT_EQ(0U, errors) TH_LOG("churn operations failed");
	/* braces: EXPECT_*() with TH_LOG() is two statements */
	for (unsigned int op = 0; op < NCOPS; op++) {
		EXPECT_LT(0U, ops[op]) TH_LOG("no %s", cop_name[op]);
	}
	for (c = 0; c < NCHIPS; c++) {
		EXPECT_LT(0U, shm->pulses[c]) TH_LOG("chip %u never pulsed", c);
	}
	EXPECT_LT(0U, least_events) TH_LOG("a watched line got no event");
	EXPECT_EQ(0U, gaps) TH_LOG("events lost, not by a full FIFO");
	EXPECT_EQ(0U, types) TH_LOG("edges not alternating");
	EXPECT_EQ(0U, reads);
	EXPECT_EQ(chips_before, chips_after) TH_LOG("guse chips left behind");
}

int main(int argc, char **argv)
{
	stress_seconds = guse_env_uint("GUSE_IRQSTRESS_SECONDS", 12, 1, 3600);
	/* the harness kills the test after this many seconds */
	_irqstress_stress_object->timeout = stress_seconds + 40;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	return guse_harness_main(argc, argv, GUSE_NEED_DEVICE());
}
