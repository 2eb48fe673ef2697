// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-bench: the measurements of the guse benchmarks (tests/bench/run-bench.sh
 * runs them inside the test VM and builds the table).
 *
 * Every subcommand prints one "SAMPLE <key> <value>" line per repetition
 * and measured quantity (and "INFO <key> <value>" lines for facts that are
 * not timings); run-bench.sh collects them and report.py takes the medians.
 *
 *   pipe   [-n N] [-r R]                pipe ping-pong between two processes
 *   lines  [-c CHIP] [-k KEY] [-n N] [-r R]
 *          GET/SET_VALUES on 1, 8 and 64 lines (output lines) and GET on an
 *          input line; without -c on a fresh guse chip served by a minimal
 *          libguse server in a child process, and GET of an output line of
 *          a chip with GUSE_CREATE_F_OUTPUT_CACHE
 *   cuse   -d DEV [-n N] [-r R]         ioctl round trip on the CUSE device
 *   events [-c CHIP -p PULLFILE] [-k KEY] [-n N] [-r R]
 *          edge events: injection-to-read latency, events/s with a
 *          concurrent reader, loss check of a burst below the FIFO size;
 *          without -c on a guse chip (guse_chip_set_input), with -c on a
 *          gpio-sim line driven through its sysfs pull file
 *   scale  [-n CHIPS] [-l LINES] [-r R]  create/destroy CHIPS chips at once
 *   conc   [-n N] [-r R]                1, 2, 4, 8 consumer threads on one
 *          chip and on separate chips
 *   sc     -k pipe|guse|cached|cuse [-d DEV] [-n N]
 *          exactly N round trips, untimed, for counting system calls
 *          (tests/bench/syscalls.py runs it under strace): pipe ping-pong,
 *          GET of an output line served by libguse (cached: on a chip with
 *          GUSE_CREATE_F_OUTPUT_CACHE), CUSE ioctl on DEV
 *
 * Times are CLOCK_MONOTONIC; values are ns per operation, operations or
 * events per second, microseconds (latencies), seconds and KiB.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <linux/gpio.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <guse.h>

#include "bench.h"

#define MAX_CHIPS 4096

static const char *prog = "guse-bench";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sample(const char *key, double v)
{
	printf("SAMPLE %s %.6g\n", key, v);
	fflush(stdout);
}

static void info(const char *key, double v)
{
	printf("INFO %s %.6g\n", key, v);
	fflush(stdout);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of @n values, sorts them */
static uint64_t percentile(uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* --- options ------------------------------------------------------------- */

struct opts {
	unsigned long n;	/* operations per repetition */
	unsigned int reps;
	unsigned int lines;
	const char *chip;	/* /dev/gpiochipN of a reference chip */
	const char *pull;	/* gpio-sim pull file of line 0 */
	const char *dev;	/* CUSE device */
	const char *key;	/* key prefix */
};

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "n:r:l:c:p:d:k:")) != -1) {
		switch (c) {
		case 'n': o->n = strtoul(optarg, NULL, 0); break;
		case 'r': o->reps = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'l': o->lines = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'c': o->chip = optarg; break;
		case 'p': o->pull = optarg; break;
		case 'd': o->dev = optarg; break;
		case 'k': o->key = optarg; break;
		default: die("bad option");
		}
	}
	if (!o->n || !o->reps)
		die("-n and -r must be positive");
}

/* --- GPIO consumer side -------------------------------------------------- */

/* Requests lines first..first+n-1 of @chip; returns the line request fd. */
static int request_lines(const char *chip, unsigned int first, unsigned int n,
			 uint64_t flags, unsigned int evbuf)
{
	struct gpio_v2_line_request lr;
	unsigned int i;
	int fd, ret;

	memset(&lr, 0, sizeof(lr));
	for (i = 0; i < n; i++)
		lr.offsets[i] = first + i;
	lr.num_lines = n;
	lr.config.flags = flags;
	lr.event_buffer_size = evbuf;
	snprintf(lr.consumer, sizeof(lr.consumer), "guse-bench");
	fd = open(chip, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", chip, strerror(errno));
	ret = ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &lr);
	if (ret < 0)
		die("GPIO_V2_GET_LINE_IOCTL %s (%u lines): %s", chip, n,
		    strerror(errno));
	close(fd);
	return lr.fd;
}

static uint64_t mask_of(unsigned int n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

static void get_values(int lfd, uint64_t mask)
{
	struct gpio_v2_line_values v = { .bits = 0, .mask = mask };

	if (ioctl(lfd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0)
		die("GPIO_V2_LINE_GET_VALUES_IOCTL: %s", strerror(errno));
}

static void set_values(int lfd, uint64_t mask, uint64_t bits)
{
	struct gpio_v2_line_values v = { .bits = bits, .mask = mask };

	if (ioctl(lfd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0)
		die("GPIO_V2_LINE_SET_VALUES_IOCTL: %s", strerror(errno));
}

/* ns per GET (set == false) or SET of all lines of @lfd, n operations */
static double time_values(int lfd, unsigned int nlines, bool set,
			  unsigned long n, unsigned long warm)
{
	uint64_t mask = mask_of(nlines), t0;
	unsigned long i;

	for (i = 0; i < warm; i++) {	/* warm up */
		if (set)
			set_values(lfd, mask, (i & 1) ? mask : 0);
		else
			get_values(lfd, mask);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (set)
			set_values(lfd, mask, (i & 1) ? mask : 0);
		else
			get_values(lfd, mask);
	}
	return (double)(now_ns() - t0) / (double)n;
}

/* --- a minimal libguse server in a child process ------------------------ */

struct server {
	pid_t pid;
	int ctl;		/* closing it stops the server */
	unsigned int nchips;
	char names[MAX_CHIPS][64];	/* /dev/gpiochipN */
};

/* guse_chip_config_set_output_cache() for the chips of server_start() */
static bool server_output_cache;

/* write ends of the control pipes of the servers started so far: a child
 * must not hold another server's, or that server never sees EOF */
static int ctl_fds[16];
static unsigned int num_ctl_fds;

static void *run_chip(void *arg)
{
	guse_chip_run(arg);
	return NULL;
}

/*
 * The child: @nchips chips of @nlines lines, no callbacks (the library
 * answers everything from its built-in state), one thread per chip running
 * guse_chip_run().  Writes "/dev/gpiochipN" per chip, then "ready", and runs
 * until the control pipe is closed.
 */
static void server_child(int ctl, int out, unsigned int nchips,
			 unsigned int nlines)
{
	struct guse_chip **chips = calloc(nchips, sizeof(*chips));
	pthread_t *th = calloc(nchips, sizeof(*th));
	FILE *f = fdopen(out, "w");
	unsigned int i;
	char c;

	if (!chips || !th || !f)
		_exit(1);
	for (i = 0; i < nchips; i++) {
		struct guse_chip_config *cfg = guse_chip_config_new();

		if (!cfg)
			_exit(1);
		guse_chip_config_set_label(cfg, "bench");
		guse_chip_config_set_num_lines(cfg, nlines);
		guse_chip_config_set_output_cache(cfg, server_output_cache);
		chips[i] = guse_chip_new(cfg, NULL, 0, NULL);
		guse_chip_config_free(cfg);
		if (!chips[i]) {
			fprintf(f, "error %s\n", strerror(errno));
			fclose(f);
			_exit(1);
		}
		fprintf(f, "/dev/%s\n", guse_chip_get_name(chips[i]));
	}
	for (i = 0; i < nchips; i++)
		if (pthread_create(&th[i], NULL, run_chip, chips[i]))
			_exit(1);
	fprintf(f, "ready\n");
	fclose(f);
	while (read(ctl, &c, 1) > 0)
		;
	for (i = 0; i < nchips; i++) {
		guse_chip_exit(chips[i]);
		pthread_join(th[i], NULL);
		guse_chip_free(chips[i]);
	}
	_exit(0);
}

static void server_start(struct server *s, unsigned int nchips,
			 unsigned int nlines)
{
	int ctl[2], out[2];
	char line[128];
	FILE *f;

	if (nchips > MAX_CHIPS)
		die("too many chips");
	if (pipe2(ctl, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	s->pid = fork();
	if (s->pid < 0)
		die("fork: %s", strerror(errno));
	if (s->pid == 0) {
		unsigned int i;

		for (i = 0; i < num_ctl_fds; i++)
			close(ctl_fds[i]);
		close(ctl[1]);
		close(out[0]);
		server_child(ctl[0], out[1], nchips, nlines);
	}
	close(ctl[0]);
	close(out[1]);
	s->ctl = ctl[1];
	if (num_ctl_fds < 16)
		ctl_fds[num_ctl_fds++] = ctl[1];
	s->nchips = 0;
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ready") == 0)
			break;
		if (strncmp(line, "error", 5) == 0)
			die("server: %s", line);
		snprintf(s->names[s->nchips++], sizeof(s->names[0]), "%.60s", line);
	}
	if (f)
		fclose(f);
	if (s->nchips != nchips)
		die("server started %u of %u chips", s->nchips, nchips);
}

static void server_stop(struct server *s)
{
	int st;

	unsigned int i;

	for (i = 0; i < num_ctl_fds; i++)
		if (ctl_fds[i] == s->ctl)
			ctl_fds[i] = ctl_fds[--num_ctl_fds];
	close(s->ctl);
	waitpid(s->pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("server exited with status 0x%x", st);
}

/* --- pipe ping-pong -------------------------------------------------------- */

static int cmd_pipe(struct opts *o)
{
	int a[2], b[2];
	unsigned int r;
	pid_t pid;
	char c = 0;

	if (pipe(a) || pipe(b))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	for (r = 0; r < o->reps; r++) {
		unsigned long i, warm = o->n / 10 + 1;
		uint64_t t0 = 0;

		for (i = 0; i < warm + o->n; i++) {
			if (i == warm)
				t0 = now_ns();
			if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
				die("pipe ping-pong: %s", strerror(errno));
		}
		sample("rt.pipe", (double)(now_ns() - t0) / (double)o->n);
	}
	close(a[1]);
	waitpid(pid, NULL, 0);
	return 0;
}

/* --- CUSE ioctl round trip ------------------------------------------------- */

static int cmd_cuse(struct opts *o)
{
	struct bench_cuse_values v;
	unsigned int r;
	int fd;

	if (!o->dev)
		die("cuse: -d DEV needed");
	fd = open(o->dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", o->dev, strerror(errno));
	for (r = 0; r < o->reps; r++) {
		unsigned long i, warm = o->n / 10 + 1;
		uint64_t t0 = 0;

		for (i = 0; i < warm + o->n; i++) {
			if (i == warm)
				t0 = now_ns();
			if (ioctl(fd, BENCH_CUSE_IOC_GET, &v) < 0)
				die("CUSE ioctl: %s", strerror(errno));
		}
		sample("rt.cuse", (double)(now_ns() - t0) / (double)o->n);
	}
	close(fd);
	return 0;
}

/* --- GET/SET on 1, 8, 64 lines --------------------------------------------- */

static const unsigned int widths[] = { 1, 8, 64 };

/* GET of one output line of a chip with GUSE_CREATE_F_OUTPUT_CACHE */
static void lines_cached(struct opts *o, const char *key)
{
	struct server srv;
	unsigned int r;
	char k[96];
	int fd;

	server_output_cache = true;
	server_start(&srv, 1, 1);
	server_output_cache = false;
	fd = request_lines(srv.names[0], 0, 1, GPIO_V2_LINE_FLAG_OUTPUT, 0);
	for (r = 0; r < o->reps; r++) {
		snprintf(k, sizeof(k), "%s.get_cached.1", key);
		sample(k, time_values(fd, 1, false, o->n, o->n / 10));
	}
	close(fd);
	server_stop(&srv);
}

static int cmd_lines(struct opts *o)
{
	const char *key = o->key ? o->key : "guse";
	struct server srv;
	const char *chip = o->chip;
	char k[96];
	unsigned int r, w;
	int fd, in_fd, fds[3];

	if (!chip) {
		server_start(&srv, 3, 64);
		chip = srv.names[0];
	}
	/*
	 * 1, 8 and 64 output lines.  On guse each width has its own chip, so
	 * that the three requests coexist and the widths are measured in
	 * alternating chunks of CHUNK operations: a slow phase of the
	 * (virtual) machine then hits all widths alike.  On a reference chip
	 * the widths are requested in turn.
	 */
#define CHUNK 100UL
	for (r = 0; r < o->reps; r++) {
		double tget[3] = { 0 }, tset[3] = { 0 };
		unsigned long done;

		if (!o->chip) {
			for (w = 0; w < 3; w++)
				fds[w] = request_lines(srv.names[w], 0, widths[w],
						       GPIO_V2_LINE_FLAG_OUTPUT, 0);
			for (w = 0; w < 3; w++) {
				time_values(fds[w], widths[w], false, 1, o->n / 10);
				time_values(fds[w], widths[w], true, 1, o->n / 10);
			}
			for (done = 0; done < o->n; done += CHUNK) {
				for (w = 0; w < 3; w++) {
					tget[w] += time_values(fds[w], widths[w], false, CHUNK, 0) * CHUNK;
					tset[w] += time_values(fds[w], widths[w], true, CHUNK, 0) * CHUNK;
				}
			}
			for (w = 0; w < 3; w++) {
				close(fds[w]);
				tget[w] /= (double)done;
				tset[w] /= (double)done;
			}
		} else {
			for (w = 0; w < 3; w++) {
				fd = request_lines(chip, 0, widths[w],
						   GPIO_V2_LINE_FLAG_OUTPUT, 0);
				tget[w] = time_values(fd, widths[w], false, o->n, o->n / 10);
				tset[w] = time_values(fd, widths[w], true, o->n, o->n / 10);
				close(fd);
			}
		}
		for (w = 0; w < 3; w++) {
			snprintf(k, sizeof(k), "%s.get.%u", key, widths[w]);
			sample(k, tget[w]);
			snprintf(k, sizeof(k), "%s.set.%u", key, widths[w]);
			sample(k, tset[w]);
		}
	}
	/* one input line */
	in_fd = request_lines(chip, 0, 1, GPIO_V2_LINE_FLAG_INPUT, 0);
	for (r = 0; r < o->reps; r++) {
		snprintf(k, sizeof(k), "%s.get_in.1", key);
		sample(k, time_values(in_fd, 1, false, o->n, o->n / 10));
	}
	close(in_fd);
	if (!o->chip) {
		server_stop(&srv);
		lines_cached(o, key);
	}
	return 0;
}

/* --- edge events ------------------------------------------------------------ */

#define EV_FIFO 1024		/* event_buffer_size asked for (the maximum) */
#define EV_BURST (EV_FIFO - 24)	/* events of a burst: below the FIFO size */

struct injector {
	struct guse_chip *chip;	/* guse: inject with guse_chip_set_input(s) */
	unsigned int lines;	/* guse: toggle lines 0..lines-1 at once */
	int pull_fd;		/* gpio-sim: write the sysfs pull file */
	int level;
};

/* Toggles the level of the lines: one edge event per line. */
static void inject_toggle(struct injector *inj)
{
	inj->level = !inj->level;
	if (inj->chip && inj->lines == 1) {
		if (guse_chip_set_input(inj->chip, 0, inj->level))
			die("guse_chip_set_input: %s", strerror(errno));
	} else if (inj->chip) {
		uint64_t mask = mask_of(inj->lines);
		uint64_t values = inj->level ? mask : 0;

		if (guse_chip_set_inputs(inj->chip, &mask, &values))
			die("guse_chip_set_inputs: %s", strerror(errno));
	} else {
		const char *s = inj->level ? "pull-up" : "pull-down";

		if (pwrite(inj->pull_fd, s, strlen(s), 0) < 0)
			die("write pull: %s", strerror(errno));
	}
}

/* Events read so far on one line request, with the seqno gaps seen. */
struct evcount {
	unsigned long got, gaps;
	uint32_t last[64];	/* last line seqno per line offset */
	uint64_t t_last;	/* time of the last read that returned events */
};

/* Waits up to @timeout_ms for events and reads what is there; returns the
 * number read (0 on timeout). */
static unsigned long read_events(int fd, struct evcount *c, int timeout_ms)
{
	struct gpio_v2_line_event ev[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t len;
	size_t i;
	int ret;

	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		die("poll: %s", strerror(errno));
	if (ret == 0)
		return 0;
	len = read(fd, ev, sizeof(ev));
	if (len < 0)
		die("read events: %s", strerror(errno));
	/* the request seqnos of several lines may be pushed out of order
	 * (one irq thread per line); each line's own seqnos may not */
	for (i = 0; i < (size_t)len / sizeof(ev[0]); i++) {
		uint32_t *last = &c->last[ev[i].offset % 64];

		if (*last && ev[i].line_seqno != *last + 1)
			c->gaps += (int32_t)(ev[i].line_seqno - *last - 1) > 0 ?
				   ev[i].line_seqno - *last - 1 : 1;
		*last = ev[i].line_seqno;
	}
	c->got += i;
	c->t_last = now_ns();
	return i;
}

struct reader {
	int fd;
	unsigned long want;	/* stop after this many events */
	volatile bool injector_done;
	struct evcount c;
};

/* Reads until @want events arrived, or 500 ms pass without one once the
 * injector is done. */
static void *reader_thread(void *arg)
{
	struct reader *rd = arg;

	while (rd->c.got < rd->want)
		if (!read_events(rd->fd, &rd->c, 500) && rd->injector_done)
			break;
	return NULL;
}

static void ev_sample(const char *key, const char *what, double v)
{
	char k[96];

	snprintf(k, sizeof(k), "ev.%s.%s", key, what);
	sample(k, v);
}

static int cmd_events(struct opts *o)
{
	const char *key = o->key ? o->key : "guse";
	unsigned int lines = o->lines ? o->lines : 1;
	struct injector inj = { .pull_fd = -1, .lines = lines };
	unsigned long lat_n = o->n / 4 + 1, inj_n = o->n / lines;
	uint64_t *lat = calloc(lat_n, sizeof(*lat));
	struct guse_chip *gchip = NULL;
	const char *chip = o->chip;
	pthread_t server_th, rth;
	char name[64];
	unsigned int r;
	int lfd;

	if (!lat)
		die("out of memory");
	if (lines > 64 || (o->chip && lines != 1))
		die("events: 1 to 64 lines, gpio-sim only 1");
	if (!chip) {
		/* the server is this process: chip served by a thread */
		struct guse_chip_config *cfg = guse_chip_config_new();

		guse_chip_config_set_label(cfg, "bench-events");
		guse_chip_config_set_num_lines(cfg, 64);
		gchip = guse_chip_new(cfg, NULL, 0, NULL);
		guse_chip_config_free(cfg);
		if (!gchip)
			die("guse_chip_new: %s", strerror(errno));
		if (pthread_create(&server_th, NULL, run_chip, gchip))
			die("pthread_create");
		snprintf(name, sizeof(name), "/dev/%s", guse_chip_get_name(gchip));
		chip = name;
		inj.chip = gchip;
		inj.level = 1;
		inject_toggle(&inj);	/* known level: low */
	} else {
		if (!o->pull)
			die("events: -c needs -p PULLFILE");
		inj.pull_fd = open(o->pull, O_WRONLY | O_CLOEXEC);
		if (inj.pull_fd < 0)
			die("open %s: %s", o->pull, strerror(errno));
		inj.level = 1;
		inject_toggle(&inj);	/* known level: low */
	}
	lfd = request_lines(chip, 0, lines, GPIO_V2_LINE_FLAG_INPUT |
			    GPIO_V2_LINE_FLAG_EDGE_RISING |
			    GPIO_V2_LINE_FLAG_EDGE_FALLING, EV_FIFO);

	for (r = 0; r < o->reps; r++) {
		struct reader rd = { .fd = lfd, .want = inj_n * lines };
		struct evcount c = { 0 };
		unsigned long i, lost = 0;
		uint64_t t0;

		/* 1. latency: inject one edge per line, block until read */
		for (i = 0; i < lat_n; i++) {
			unsigned long want = c.got + lines;

			t0 = now_ns();
			inject_toggle(&inj);
			while (c.got < want)
				if (!read_events(lfd, &c, 1000))
					break;
			if (c.got < want) {
				lost += want - c.got;
				c.got = want;
				lat[i] = 0;
				continue;
			}
			lat[i] = now_ns() - t0;
		}
		ev_sample(key, "lat_p50_us", (double)percentile(lat, lat_n, 50) / 1000.0);
		ev_sample(key, "lat_p99_us", (double)percentile(lat, lat_n, 99) / 1000.0);
		ev_sample(key, "lat_lost", (double)lost);
		while (read_events(lfd, &c, 50))
			;

		/* 2. throughput with a concurrent reader thread */
		if (pthread_create(&rth, NULL, reader_thread, &rd))
			die("pthread_create");
		t0 = now_ns();
		for (i = 0; i < inj_n; i++)
			inject_toggle(&inj);
		rd.injector_done = true;
		pthread_join(rth, NULL);
		ev_sample(key, "rate", rd.c.got && rd.c.t_last > t0 ?
			  (double)rd.c.got * 1e9 / (double)(rd.c.t_last - t0) : 0);
		ev_sample(key, "rate_lost", (double)(inj_n * lines - rd.c.got));
		ev_sample(key, "rate_seqno_gaps", (double)rd.c.gaps);
		while (read_events(lfd, &c, 50))
			;

		/* 3. a burst below the FIFO size, read only afterwards */
		memset(&c, 0, sizeof(c));
		t0 = now_ns();
		for (i = 0; i < EV_BURST / lines; i++)
			inject_toggle(&inj);
		while (read_events(lfd, &c, 200))
			;
		ev_sample(key, "burst_rate", c.got && c.t_last > t0 ?
			  (double)c.got * 1e9 / (double)(c.t_last - t0) : 0);
		ev_sample(key, "burst_lost", (double)(EV_BURST / lines * lines - c.got));
		ev_sample(key, "burst_seqno_gaps", (double)c.gaps);
	}
	info("ev.fifo_size", EV_FIFO);
	info("ev.burst_size", EV_BURST);
	close(lfd);
	if (gchip) {
		guse_chip_exit(gchip);
		pthread_join(server_th, NULL);
		guse_chip_free(gchip);
	} else {
		close(inj.pull_fd);
	}
	free(lat);
	return 0;
}

/* --- 1024 chips ------------------------------------------------------------- */

static const char *scale_key;	/* see below */

struct meminfo {
	long memfree, anon, cached, buffers, slab, sreclaim, sunreclaim;
	long percpu, vmalloc, kstack, pagetables;
};

static void read_meminfo(struct meminfo *m)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "MemFree:", offsetof(struct meminfo, memfree) },
		{ "AnonPages:", offsetof(struct meminfo, anon) },
		{ "Cached:", offsetof(struct meminfo, cached) },
		{ "Buffers:", offsetof(struct meminfo, buffers) },
		{ "Slab:", offsetof(struct meminfo, slab) },
		{ "SReclaimable:", offsetof(struct meminfo, sreclaim) },
		{ "SUnreclaim:", offsetof(struct meminfo, sunreclaim) },
		{ "Percpu:", offsetof(struct meminfo, percpu) },
		{ "VmallocUsed:", offsetof(struct meminfo, vmalloc) },
		{ "KernelStack:", offsetof(struct meminfo, kstack) },
		{ "PageTables:", offsetof(struct meminfo, pagetables) },
	};
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t i;

	memset(m, 0, sizeof(*m));
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			size_t l = strlen(fields[i].name);

			if (strncmp(line, fields[i].name, l) == 0)
				*(long *)((char *)m + fields[i].off) =
					strtol(line + l, NULL, 10);
		}
	}
	fclose(f);
}

/* Number of entries of /sys/bus/gpio/devices that are gpiochips. */
static int count_gpiochips(void)
{
	char path[64];
	int i, n = 0, miss = 0;

	/* cheap enough: stat /dev/gpiochipN until 64 misses in a row */
	for (i = 0; miss < 64; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "/dev/gpiochip%d", i);
		if (stat(path, &st) == 0) {
			n++;
			miss = 0;
		} else {
			miss++;
		}
	}
	return n;
}

struct slabinfo {
	unsigned int n;
	char name[512][48];
	long bytes[512];
};

static void read_slabinfo(struct slabinfo *si)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	long active, num, size;

	si->n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && si->n < 512) {
		if (sscanf(line, "%47s %ld %ld %ld", si->name[si->n], &active,
			   &num, &size) == 4)
			si->bytes[si->n++] = num * size;
	}
	fclose(f);
}

/* INFO lines for the slab caches that grew most, in bytes per chip */
static void slab_growth(const struct slabinfo *a, const struct slabinfo *b,
			unsigned int nchips)
{
	struct { long d; unsigned int i; } top[8] = { { 0, 0 } };
	unsigned int i, j, k;
	char key[96];

	for (i = 0; i < b->n; i++) {
		long before = 0, d;

		for (j = 0; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0)
				before = a->bytes[j];
		d = b->bytes[i] - before;
		for (k = 0; k < 8 && top[k].d >= d; k++)
			;
		if (k == 8)
			continue;
		memmove(&top[k + 1], &top[k], (7 - k) * sizeof(top[0]));
		top[k].d = d;
		top[k].i = i;
	}
	for (k = 0; k < 8 && top[k].d > 0; k++) {
		snprintf(key, sizeof(key), "%s.slab.%s", scale_key, b->name[top[k].i]);
		info(key, (double)top[k].d / (double)nchips);
	}
}

/* key prefix of the scale figures: "scale", or -k (e.g. "scale4k") */
static const char *scale_key = "scale";

static void ssample(const char *what, double v)
{
	char k[96];

	snprintf(k, sizeof(k), "%s.%s", scale_key, what);
	sample(k, v);
}

static void sinfo(const char *what, double v)
{
	char k[96];

	snprintf(k, sizeof(k), "%s.%s", scale_key, what);
	info(k, v);
}

/* --- the sysfs (kernfs) nodes of one chip, by the device they belong to --- */

#define KN_KINDS 6
static const char *const kn_kind[KN_KINDS] = {
	"guse class device (guseN)",
	"gpiolib gpio device (gpiochipN)",
	"gpiolib legacy sysfs (class gpio, gpiochipBASE)",
	"guse plain parent (gpio, 6.1)",
	"other device",
	"links in /sys/class, /sys/bus, /sys/dev",
};
static unsigned long kn_count[KN_KINDS];
static char kn_other[PATH_MAX];	/* the first "other device" seen */

/* The kind of the device whose directory holds @path (the deepest
 * directory with a uevent file), by its name and subsystem. */
static int kn_kind_of(const char *path)
{
	char dir[PATH_MAX], f[PATH_MAX + 16], link[PATH_MAX];
	const char *base;
	char *slash;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		struct stat st;

		snprintf(f, sizeof(f), "%s/uevent", dir);
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    access(f, F_OK) == 0)
			break;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return 4;
		*slash = '\0';
	}
	base = strrchr(dir, '/') + 1;
	snprintf(f, sizeof(f), "%s/subsystem", dir);
	n = readlink(f, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strncmp(base, "guse", 4) == 0)
		return 0;
	if (strncmp(base, "gpiochip", 8) == 0)
		return strstr(link, "bus/gpio") ? 1 : 2;
	if (strcmp(base, "gpio") == 0)
		return 3;
	if (!kn_other[0])
		snprintf(kn_other, sizeof(kn_other), "%s", dir);
	return 4;
}

static int kn_visit(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	kn_count[kn_kind_of(path)]++;
	return 0;
}

/* INFO lines: kernfs nodes of @chip under its class device, and its links
 * elsewhere; the total of the slab cache comes from the scale figures. */
static void kernfs_breakdown(struct guse_chip *chip)
{
	char path[PATH_MAX], real[PATH_MAX], key[128];
	const char *links[] = { "/sys/class/guse/%s", "/sys/bus/gpio/devices/%s",
				"/sys/class/gpio/gpiochip%u" };
	unsigned int i;
	struct stat st;

	memset(kn_count, 0, sizeof(kn_count));
	snprintf(path, sizeof(path), "/sys/class/guse/%s", guse_chip_get_dev_name(chip));
	if (!realpath(path, real))
		return;
	nftw(real, kn_visit, 32, FTW_PHYS);
	for (i = 0; i < 3; i++) {
		if (i == 2)
			snprintf(path, sizeof(path), links[i], guse_chip_get_base(chip));
		else
			snprintf(path, sizeof(path), links[i],
				 i ? guse_chip_get_name(chip) : guse_chip_get_dev_name(chip));
		if (lstat(path, &st) == 0)
			kn_count[5]++;
	}
	/* /sys/dev/char/MAJ:MIN of the character device */
	snprintf(path, sizeof(path), "/dev/%s", guse_chip_get_name(chip));
	if (stat(path, &st) == 0) {
		snprintf(path, sizeof(path), "/sys/dev/char/%u:%u",
			 major(st.st_rdev), minor(st.st_rdev));
		if (lstat(path, &st) == 0)
			kn_count[5]++;
	}
	if (kn_other[0])
		printf("NOTE %s.kernfs_other %s\n", scale_key, kn_other);
	for (i = 0; i < KN_KINDS; i++) {
		if (!kn_count[i])
			continue;
		snprintf(key, sizeof(key), "%s.kernfs.%s", scale_key, kn_kind[i]);
		for (char *c = key; *c; c++)
			if (*c == ' ')
				*c = '_';
		info(key, (double)kn_count[i]);
	}
}

static long slab_objs(const char *cache)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[64];
	long active = -1, num;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld", name, &num, &num) == 3 &&
		    strcmp(name, cache) == 0) {
			sscanf(line, "%63s %ld", name, &active);
			break;
		}
	fclose(f);
	return active;
}

static void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			(void)0;
		close(fd);
	}
	usleep(300000);
}

static struct guse_chip *new_chip(unsigned int nlines)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_chip *c;

	if (!cfg)
		die("out of memory");
	guse_chip_config_set_label(cfg, "bench-scale");
	guse_chip_config_set_num_lines(cfg, nlines);
	c = guse_chip_new(cfg, NULL, 0, NULL);
	guse_chip_config_free(cfg);
	return c;
}

/*
 * Closing a chip waits for gpiolib's SRCU grace periods (gpiochip_remove());
 * a server with many chips closes them from several threads, so that the
 * grace periods overlap.
 */
#define FREE_THREADS 8

struct free_slice {
	struct guse_chip **chips;
	unsigned int n;
};

static void *free_thread(void *arg)
{
	struct free_slice *sl = arg;
	unsigned int i;

	for (i = 0; i < sl->n; i++)
		guse_chip_free(sl->chips[i]);
	return NULL;
}

static void free_chips(struct guse_chip **chips, unsigned int n)
{
	struct free_slice sl[FREE_THREADS];
	pthread_t th[FREE_THREADS];
	unsigned int t, per = (n + FREE_THREADS - 1) / FREE_THREADS, done = 0;

	for (t = 0; t < FREE_THREADS; t++) {
		sl[t].chips = chips + done;
		sl[t].n = n - done < per ? n - done : per;
		done += sl[t].n;
		if (pthread_create(&th[t], NULL, free_thread, &sl[t]))
			die("pthread_create");
	}
	for (t = 0; t < FREE_THREADS; t++)
		pthread_join(th[t], NULL);
}

static int cmd_scale(struct opts *o)
{
	unsigned int nchips = (unsigned int)o->n, nlines = o->lines ? o->lines : 64;
	struct guse_chip **chips = calloc(nchips, sizeof(*chips));
	/* a libguse chip holds the /dev/guse file and a wake-up fd */
	rlim_t nofile = 4 * (rlim_t)nchips + 256;
	struct rlimit rl = { .rlim_cur = nofile, .rlim_max = nofile };
	static struct slabinfo sa, sb;
	struct meminfo a, b, u0, u1, first = { 0 };
	unsigned int r, i;
	long kn0;
	int base;

	if (!chips)
		die("out of memory");
	if (o->key)
		scale_key = o->key;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE, %lu): %s",
		    (unsigned long)nofile, strerror(errno));
	/* warm up the slab caches and device numbering */
	for (i = 0; i < 16; i++)
		if (!(chips[i] = new_chip(nlines)))
			die("guse_chip_new: %s", strerror(errno));
	for (i = 0; i < 16; i++)
		guse_chip_free(chips[i]);
	for (r = 0; r < o->reps; r++) {
		uint64_t t0, t1, t2, t3;
		double d;

		settle();
		base = count_gpiochips();
		read_meminfo(&a);
		if (r == 0)
			first = a;
		read_slabinfo(&sa);
		kn0 = slab_objs("kernfs_node_cache");
		t0 = now_ns();
		for (i = 0; i < nchips; i++)
			if (!(chips[i] = new_chip(nlines)))
				die("guse_chip_new #%u: %s", i, strerror(errno));
		t1 = now_ns();
		settle();
		read_meminfo(&b);
		read_slabinfo(&sb);
		if (kn0 >= 0)
			ssample("kernfs_nodes",
			       (double)(slab_objs("kernfs_node_cache") - kn0) /
			       (double)nchips);
		if (r == 0) {
			slab_growth(&sa, &sb, nchips);
			kernfs_breakdown(chips[0]);
		}
		if (count_gpiochips() != base + (int)nchips)
			die("%d gpiochips instead of %d", count_gpiochips(),
			    base + (int)nchips);
		t2 = now_ns();
		free_chips(chips, nchips);
		while (count_gpiochips() != base) {
			if (now_ns() - t2 > 60000000000ULL)
				die("chips not gone after 60 s");
			usleep(1000);
		}
		t3 = now_ns();
		ssample("create_s", (double)(t1 - t0) / 1e9);
		ssample("destroy_s", (double)(t3 - t2) / 1e9);
		ssample("total_s", (double)(t1 - t0 + t3 - t2) / 1e9);
#define PER_CHIP(f) ((double)(b.f - a.f) / (double)nchips)
		ssample("slab_kib", PER_CHIP(slab));
		ssample("sunreclaim_kib", PER_CHIP(sunreclaim));
		ssample("percpu_kib", PER_CHIP(percpu));
		ssample("vmalloc_kib", PER_CHIP(vmalloc));
		ssample("kernel_kib",
		       PER_CHIP(slab) + PER_CHIP(percpu) + PER_CHIP(vmalloc));
		/* all memory gone that is not user or page cache memory */
		d = (double)((a.memfree - b.memfree) - (b.anon - a.anon) -
			     (b.cached - a.cached) - (b.buffers - a.buffers) -
			     (b.pagetables - a.pagetables)) / (double)nchips;
		ssample("nonuser_kib", d);
		/* memory left behind after destroying them all */
		settle();
		read_meminfo(&u1);
		u0 = a;
		ssample("leftover_kib",
		       (double)((u1.slab + u1.percpu + u1.vmalloc) -
				(u0.slab + u0.percpu + u0.vmalloc)) /
		       (double)nchips);
	}
	/* memory that stays from one repetition to the next: a leak grows it */
	settle();
	read_meminfo(&u1);
	if (o->reps > 1)
		sinfo("growth_kib_per_chip_and_rep",
		     (double)((u1.slab + u1.percpu) - (first.slab + first.percpu)) /
		     (double)nchips / (double)o->reps);
	sinfo("free_threads", FREE_THREADS);
	sinfo("chips", nchips);
	sinfo("lines", nlines);
	free(chips);
	return 0;
}

/* --- concurrency ------------------------------------------------------------ */

struct worker {
	pthread_t th;
	const char *chip;
	unsigned int line;
	int lfd;
	volatile bool *go, *stop;
	unsigned long ops;
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	unsigned long ops = 0;

	while (!*w->go)
		;
	while (!*w->stop) {
		get_values(w->lfd, 1);
		ops++;
	}
	w->ops = ops;
	return NULL;
}

static const unsigned int thread_counts[] = { 1, 2, 4, 8 };

static int cmd_conc(struct opts *o)
{
	struct worker w[8];
	struct server one, sep;
	unsigned int r, t, i, mode;
	char k[96];

	server_start(&one, 1, 8);
	server_start(&sep, 8, 8);
	for (r = 0; r < o->reps; r++) {
		for (mode = 0; mode < 2; mode++) {
			for (t = 0; t < 4; t++) {
				unsigned int nt = thread_counts[t];
				volatile bool go = false, stop = false;
				unsigned long total = 0;
				uint64_t t0, t1;

				for (i = 0; i < nt; i++) {
					w[i].chip = mode ? sep.names[i] : one.names[0];
					w[i].line = mode ? 0 : i;
					w[i].lfd = request_lines(w[i].chip, w[i].line, 1,
								 GPIO_V2_LINE_FLAG_OUTPUT, 0);
					w[i].go = &go;
					w[i].stop = &stop;
					if (pthread_create(&w[i].th, NULL, worker_thread, &w[i]))
						die("pthread_create");
				}
				t0 = now_ns();
				go = true;
				usleep((useconds_t)o->n * 1000);
				stop = true;
				for (i = 0; i < nt; i++) {
					pthread_join(w[i].th, NULL);
					total += w[i].ops;
					close(w[i].lfd);
				}
				t1 = now_ns();
				snprintf(k, sizeof(k), "conc.%s.%u",
					 mode ? "sep" : "one", nt);
				sample(k, (double)total * 1e9 / (double)(t1 - t0));
			}
		}
	}
	server_stop(&one);
	server_stop(&sep);
	return 0;
}

/* --- exact round trips, for counting system calls ------------------------- */

static int cmd_sc(struct opts *o)
{
	const char *mode = o->key ? o->key : "guse";
	unsigned long i;
	struct server srv;
	int a[2], b[2], fd;
	pid_t pid;
	char c = 0;

	printf("INFO sc.pid %ld\n", (long)getpid());
	fflush(stdout);
	if (strcmp(mode, "pipe") == 0) {
		if (pipe(a) || pipe(b))
			die("pipe: %s", strerror(errno));
		pid = fork();
		if (pid == 0) {
			close(a[1]);
			close(b[0]);
			while (read(a[0], &c, 1) == 1)
				if (write(b[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(a[0]);
		close(b[1]);
		for (i = 0; i < o->n; i++)
			if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
				die("pipe ping-pong: %s", strerror(errno));
		close(a[1]);
		waitpid(pid, NULL, 0);
	} else if (strcmp(mode, "cuse") == 0) {
		struct bench_cuse_values v;

		if (!o->dev)
			die("sc cuse: -d DEV needed");
		fd = open(o->dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", o->dev, strerror(errno));
		for (i = 0; i < o->n; i++)
			if (ioctl(fd, BENCH_CUSE_IOC_GET, &v) < 0)
				die("CUSE ioctl: %s", strerror(errno));
		close(fd);
	} else if (strcmp(mode, "guse") == 0 || strcmp(mode, "cached") == 0) {
		server_output_cache = strcmp(mode, "cached") == 0;
		server_start(&srv, 1, 1);
		fd = request_lines(srv.names[0], 0, 1, GPIO_V2_LINE_FLAG_OUTPUT, 0);
		/* the marker: strace shows where the counted loop starts */
		if (write(STDOUT_FILENO, "", 0) < 0)
			(void)0;
		for (i = 0; i < o->n; i++)
			get_values(fd, 1);
		close(fd);
		server_stop(&srv);
	} else {
		die("sc: unknown mode %s", mode);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 2000, .reps = 1 };
	const char *cmd;

	if (argc < 2)
		die("usage: guse-bench pipe|lines|cuse|events|scale|conc [options]");
	cmd = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "scale") == 0)
		o.n = 1024;
	else if (strcmp(cmd, "conc") == 0)
		o.n = 300;	/* milliseconds per point */
	parse(argc - 1, argv + 1, &o);
	if (strcmp(cmd, "pipe") == 0)
		return cmd_pipe(&o);
	if (strcmp(cmd, "cuse") == 0)
		return cmd_cuse(&o);
	if (strcmp(cmd, "lines") == 0)
		return cmd_lines(&o);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(&o);
	if (strcmp(cmd, "scale") == 0)
		return cmd_scale(&o);
	if (strcmp(cmd, "conc") == 0)
		return cmd_conc(&o);
	if (strcmp(cmd, "sc") == 0)
		return cmd_sc(&o);
	die("unknown command %s", cmd);
}
