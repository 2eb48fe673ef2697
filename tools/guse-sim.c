// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-sim: a scriptable GPIO chip simulator and traffic tracer.
 *
 * Creates one or more guse chips answered from libguse's built-in line
 * state, whose lines behave as the kernel's gpio-sim's, prints one trace
 * line per request and reads commands (set the lines' pulls, wait for
 * driven values, ...) from stdin and an optional unix control socket.  See
 * guse-sim(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <guse.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define MAX_CHIPS	64
#define TIMEOUT_MAX_MS	600000
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define MAX_CLIENTS	32
#define MAX_LINE_OPTS	64
#define LINE_MAX_LEN	4096
#define WAIT_DEFAULT_MS	10000

enum src_state { S_IDLE, S_SLEEP, S_WAIT, S_PULSE };

struct source {
	int fd;			/* input */
	int out;		/* where replies go */
	bool is_stdin;
	bool eof;
	char buf[LINE_MAX_LEN];
	size_t len;
	enum src_state state;
	int64_t deadline_ns;	/* -1: none */
	unsigned int chip, line;
	int value;
};

static struct {
	const char *label;
	unsigned int num_lines;
	const char *line_names;
	unsigned int timeout_ms;
	unsigned int nchips;
	bool json, quiet, daemon;
	const char *socket_path;
	const char *ready_file;
	bool decline_config, decline_request, trace_reads, hold_outputs;
	bool output_cache;
	/* line state at creation: the option arguments, applied per chip */
	const char *line_opts[MAX_LINE_OPTS];
	int line_opt_kind[MAX_LINE_OPTS];
	unsigned int num_line_opts;
} opt = { .label = "guse-sim", .num_lines = 8, .nchips = 1 };

static struct guse_chip *chips[MAX_CHIPS];
static struct source stdin_src;
static struct source clients[MAX_CLIENTS];
static int listen_fd = -1;
static bool quit;

/* ------------------------------------------------------------------------ */
/* output */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((format(printf, 2, 3)))
static void out(int fd, const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;
	int n;
	size_t off = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = write(fd, buf + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static int chip_index(struct guse_chip *chip)
{
	return (int)(intptr_t)guse_chip_get_user_data(chip);
}

/* Escape a name for "..." (names are short; JSON-safe too). */
static void quote(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(dst + o, size - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/*
 * Print a trace line.  @event is the first word; @fields are "key=value"
 * pairs separated by spaces, where a value in double quotes is a string and
 * a bare word without '=' is a flag.  In JSON mode the same data becomes one
 * object per line.
 */
__attribute__((format(printf, 3, 4)))
static void trace(struct guse_chip *chip, const char *event,
		  const char *fmt, ...)
{
	char fields[1024], json[2048];
	char *tok, *save = NULL;
	va_list ap;
	size_t o;

	if (opt.quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(fields, sizeof(fields), fmt, ap);
	va_end(ap);
	if (!opt.json) {
		if (opt.nchips > 1)
			out(STDOUT_FILENO, "chip=%d %s %s", chip_index(chip),
			    event, fields);
		else
			out(STDOUT_FILENO, "%s %s", event, fields);
		return;
	}
	o = (size_t)snprintf(json, sizeof(json),
			     "{\"event\":\"%s\",\"chip\":\"%s\",\"index\":%d",
			     event, guse_chip_get_name(chip),
			     chip_index(chip));
	for (tok = strtok_r(fields, " ", &save); tok && o < sizeof(json) - 64;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			o += (size_t)snprintf(json + o, sizeof(json) - o,
					      ",\"%s\":true", tok);
			continue;
		}
		*eq = '\0';
		if (eq[1] == '"' || (eq[1] == '-' && !eq[2]))
			o += (size_t)snprintf(json + o, sizeof(json) - o,
					      ",\"%s\":%s", tok, eq + 1);
		else if (eq[1] >= '0' && eq[1] <= '9' && !strchr(eq + 1, 'x') &&
			 !strchr(eq + 1, ','))
			o += (size_t)snprintf(json + o, sizeof(json) - o,
					      ",\"%s\":%s", tok, eq + 1);
		else
			o += (size_t)snprintf(json + o, sizeof(json) - o,
					      ",\"%s\":\"%s\"", tok, eq + 1);
	}
	snprintf(json + o, sizeof(json) - o, "}");
	out(STDOUT_FILENO, "%s", json);
}

/* A line bitmap as one hexadecimal number (line 0 = least significant). */
static void bitmap_hex(char *dst, size_t size, const uint64_t *w,
		       unsigned int nw)
{
	size_t o;
	int i = (int)nw - 1;

	while (i > 0 && !w[i])
		i--;
	o = (size_t)snprintf(dst, size, "0x%" PRIx64, w[i]);
	for (i--; i >= 0 && o < size; i--)
		o += (size_t)snprintf(dst + o, size - o, "%016" PRIx64, w[i]);
}

static const char *param_name(enum guse_line_param p)
{
	switch (p) {
	case GUSE_LINE_PARAM_BIAS_DISABLE: return "bias-disable";
	case GUSE_LINE_PARAM_BIAS_PULL_UP: return "bias-pull-up";
	case GUSE_LINE_PARAM_BIAS_PULL_DOWN: return "bias-pull-down";
	case GUSE_LINE_PARAM_DRIVE_PUSH_PULL: return "drive-push-pull";
	case GUSE_LINE_PARAM_DRIVE_OPEN_DRAIN: return "drive-open-drain";
	case GUSE_LINE_PARAM_DRIVE_OPEN_SOURCE: return "drive-open-source";
	case GUSE_LINE_PARAM_INPUT_DEBOUNCE: return "debounce";
	}
	return "unknown";
}

static const char *irq_name(int t)
{
	switch (t) {
	case GUSE_LINE_IRQ_NONE: return "none";
	case GUSE_LINE_IRQ_EDGE_RISING: return "edge-rising";
	case GUSE_LINE_IRQ_EDGE_FALLING: return "edge-falling";
	case GUSE_LINE_IRQ_EDGE_BOTH: return "edge-both";
	case GUSE_LINE_IRQ_LEVEL_HIGH: return "level-high";
	case GUSE_LINE_IRQ_LEVEL_LOW: return "level-low";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------ */
/* callbacks: trace, then answer from the built-in state */

static void cb_request(struct guse_request *req, unsigned int line,
		       const char *consumer)
{
	char q[GUSE_NAME_SIZE * 6];

	quote(q, sizeof(q), consumer);
	trace(guse_request_get_chip(req), "request",
	      "line=%u consumer=\"%s\"%s", line, q,
	      opt.decline_request ? " declined" : "");
	if (opt.decline_request)
		guse_reply_error(req, EBUSY);
	else
		guse_reply_default(req);
}

static void cb_free(struct guse_request *req, unsigned int line)
{
	trace(guse_request_get_chip(req), "free", "line=%u", line);
	guse_reply_default(req);
}

static void cb_consumer(struct guse_chip *chip, unsigned int line,
			const char *consumer)
{
	char q[GUSE_NAME_SIZE * 6];

	quote(q, sizeof(q), consumer);
	trace(chip, "consumer", "line=%u consumer=\"%s\"", line, q);
}

static void cb_get_direction(struct guse_request *req, unsigned int line)
{
	struct guse_chip *chip = guse_request_get_chip(req);

	trace(chip, "get-direction", "line=%u %s", line,
	      guse_chip_get_direction(chip, line) == GUSE_LINE_DIRECTION_OUTPUT ?
	      "output" : "input");
	guse_reply_default(req);
}

static void cb_direction_input(struct guse_request *req, unsigned int line)
{
	trace(guse_request_get_chip(req), "direction", "line=%u input", line);
	guse_reply_default(req);
}

static void cb_direction_output(struct guse_request *req, unsigned int line,
				int value)
{
	trace(guse_request_get_chip(req), "direction",
	      "line=%u output value=%d", line, value);
	guse_reply_default(req);
}

static void cb_get_values(struct guse_request *req, const uint64_t *mask)
{
	struct guse_chip *chip = guse_request_get_chip(req);
	unsigned int nw = guse_chip_get_num_words(chip), i;
	uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
	char m[300], v[300];

	for (i = 0; i < guse_chip_get_num_lines(chip); i++)
		if ((mask[i / 64] & GUSE_BIT_MASK(i)) &&
		    guse_chip_get_value(chip, i) == 1)
			vals[i / 64] |= GUSE_BIT_MASK(i);
	bitmap_hex(m, sizeof(m), mask, nw);
	bitmap_hex(v, sizeof(v), vals, nw);
	trace(chip, "get", "mask=%s values=%s", m, v);
	guse_reply_values(req, vals);
}

static void cb_set_values(struct guse_request *req, const uint64_t *mask,
			  const uint64_t *values)
{
	struct guse_chip *chip = guse_request_get_chip(req);
	unsigned int i;

	for (i = 0; i < guse_chip_get_num_lines(chip); i++)
		if (mask[i / 64] & GUSE_BIT_MASK(i))
			trace(chip, "set", "line=%u value=%d", i,
			      !!(values[i / 64] & GUSE_BIT_MASK(i)));
	guse_reply_default(req);
}

static void cb_set_config(struct guse_request *req, unsigned int line,
			  enum guse_line_param param, uint32_t arg)
{
	struct guse_chip *chip = guse_request_get_chip(req);
	/* the library's default declines drive modes, as gpio-sim: gpiolib
	 * emulates them */
	bool declined = opt.decline_config ||
			param == GUSE_LINE_PARAM_DRIVE_OPEN_DRAIN ||
			param == GUSE_LINE_PARAM_DRIVE_OPEN_SOURCE;
	const char *d = declined ? " declined" : "";

	if (param == GUSE_LINE_PARAM_INPUT_DEBOUNCE)
		trace(chip, "config", "line=%u debounce=%" PRIu32 " declined",
		      line, arg);
	else
		trace(chip, "config", "line=%u %s%s", line, param_name(param),
		      d);
	/* the default declines debounce so that gpiolib debounces */
	if (opt.decline_config)
		guse_reply_error(req, EOPNOTSUPP);
	else
		guse_reply_default(req);
}

static void cb_irq_config(struct guse_request *req, unsigned int line,
			  enum guse_line_irq_type type, uint32_t flags)
{
	trace(guse_request_get_chip(req), "irq", "line=%u %s %s", line,
	      irq_name(type),
	      flags & GUSE_LINE_IRQ_F_ENABLED ? "enabled" : "disabled");
	guse_reply_default(req);
}

/* Without --trace-reads the kernel reads input lines itself (exact edges). */
static struct guse_chip_ops sim_ops = {
	.request = cb_request,
	.free = cb_free,
	.consumer = cb_consumer,
	.get_direction = cb_get_direction,
	.direction_input = cb_direction_input,
	.direction_output = cb_direction_output,
	.get_values = cb_get_values,
	.set_values = cb_set_values,
	.set_config = cb_set_config,
	.irq_config = cb_irq_config,
};

/* ------------------------------------------------------------------------ */
/* commands */

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 0);
	return !errno && !*end && *v <= max;
}

static bool parse_value(const char *s, int *v)
{
	if (!s)
		return false;
	if (!strcmp(s, "1") || !strcmp(s, "high") || !strcmp(s, "on")) {
		*v = 1;
		return true;
	}
	if (!strcmp(s, "0") || !strcmp(s, "low") || !strcmp(s, "off")) {
		*v = 0;
		return true;
	}
	return false;
}

/* "LINE" or "CHIP:LINE"; a line name works too. */
static bool parse_line(const char *s, unsigned int def_chip,
		       unsigned int *chip, unsigned int *line)
{
	const char *colon;
	unsigned long v;
	unsigned int i;

	if (!s)
		return false;
	*chip = def_chip;
	colon = strchr(s, ':');
	if (colon) {
		char tmp[16];
		size_t n = (size_t)(colon - s);

		if (n >= sizeof(tmp))
			return false;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (!parse_uint(tmp, opt.nchips - 1, &v))
			return false;
		*chip = (unsigned int)v;
		s = colon + 1;
	}
	if (parse_uint(s, guse_chip_get_num_lines(chips[*chip]) - 1, &v)) {
		*line = (unsigned int)v;
		return true;
	}
	for (i = 0; i < guse_chip_get_num_lines(chips[*chip]); i++) {
		if (!strcmp(guse_chip_get_line_name(chips[*chip], i), s)) {
			*line = i;
			return true;
		}
	}
	return false;
}

static void reply_line_state(struct source *src, unsigned int c,
			     unsigned int line)
{
	struct guse_chip *chip = chips[c];
	char consumer[GUSE_NAME_SIZE], q[GUSE_NAME_SIZE * 6];
	int bias = guse_chip_get_bias(chip, line);
	int drive = guse_chip_get_drive(chip, line);
	uint32_t flags;
	int irq = guse_chip_get_irq_type(chip, line, &flags);

	guse_chip_get_consumer(chip, line, consumer, sizeof(consumer));
	quote(q, sizeof(q), consumer);
	out(src->out,
	    "ok chip=%u line=%u value=%d direction=%s output=%d input=%d "
	    "requested=%d claimed=%d consumer=\"%s\" bias=%s drive=%s "
	    "debounce=%ld irq=%s%s",
	    c, line, guse_chip_get_value(chip, line),
	    guse_chip_get_direction(chip, line) == GUSE_LINE_DIRECTION_OUTPUT ?
	    "output" : "input",
	    guse_chip_get_output_value(chip, line),
	    guse_chip_get_input_level(chip, line),
	    guse_chip_is_requested(chip, line),
	    guse_chip_is_claimed(chip, line), q,
	    bias ? param_name(bias) + 5 : "as-is",
	    drive ? param_name(drive) + 6 : "as-is",
	    guse_chip_get_debounce_us(chip, line), irq_name(irq),
	    flags & GUSE_LINE_IRQ_F_ENABLED ? ",enabled" : "");
}

static bool wait_done(struct source *src)
{
	struct guse_chip *chip = chips[src->chip];

	return guse_chip_get_direction(chip, src->line) ==
		       GUSE_LINE_DIRECTION_OUTPUT &&
	       guse_chip_get_output_value(chip, src->line) == src->value;
}

static void inject(struct source *src, unsigned int c, unsigned int line,
		   int value)
{
	if (guse_chip_set_input(chips[c], line, value) < 0)
		out(src->out, "error set: %s", strerror(errno));
	else
		out(src->out, "ok chip=%u line=%u value=%d", c, line, value);
}

/*
 * A device-side change (dir, claim, unclaim): traced as "device ...", with
 * "refused=ERRNO-NAME" when the kernel did not take it (a host consumer
 * holds the line: EBUSY), and answered.
 */
static void device_change(struct source *src, unsigned int c, unsigned int l,
			  int ret, const char *what)
{
	char consumer[GUSE_NAME_SIZE], q[GUSE_NAME_SIZE * 6];
	int err = errno;

	if (!ret) {
		trace(chips[c], "device", "line=%u %s", l, what);
		out(src->out, "ok chip=%u line=%u %s", c, l, what);
		return;
	}
	trace(chips[c], "device", "line=%u %s refused=%s", l, what,
	      err == EBUSY ? "busy" : err == EINVAL ? "invalid" : "error");
	if (err == EBUSY) {
		guse_chip_get_consumer(chips[c], l, consumer, sizeof(consumer));
		quote(q, sizeof(q), consumer);
		out(src->out, "error busy: line %u is held by %s \"%s\"", l,
		    guse_chip_is_claimed(chips[c], l) ? "the device" :
		    "a consumer", q);
		return;
	}
	out(src->out, "error %s: %s", what, strerror(err));
}

static const char help_text[] =
	"ok commands: set LINE PULL | setm LINE=VALUE... | toggle LINE | "
	"pulse LINE USEC | get LINE | wait LINE VALUE [TIMEOUT_MS] | "
	"dir LINE in|out [VALUE] | claim LINE LABEL | unclaim LINE | "
	"sleep MS | chips | help | quit; LINE is N, NAME or CHIP:N; "
	"chip=N as first word selects the chip";

static void run_command(struct source *src, char *line)
{
	char *argv[GUSE_LINES_MAX + 4];
	unsigned int argc = 0, c = 0, l, def_chip = 0, i;
	char *tok, *save = NULL;
	unsigned long v;
	int value;

	for (tok = strtok_r(line, " \t\r", &save);
	     tok && argc < sizeof(argv) / sizeof(argv[0]) - 1;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (!argc || argv[0][0] == '#')
		return;
	if (!strncmp(argv[0], "chip=", 5)) {
		if (!parse_uint(argv[0] + 5, opt.nchips - 1, &v)) {
			out(src->out, "error bad chip: %s", argv[0] + 5);
			return;
		}
		def_chip = (unsigned int)v;
		memmove(argv, argv + 1, argc * sizeof(argv[0]));
		if (!--argc)
			return;
	}

	if (!strcmp(argv[0], "set") && argc == 3) {
		if (!parse_line(argv[1], def_chip, &c, &l) ||
		    !parse_value(argv[2], &value))
			goto usage;
		inject(src, c, l, value);
	} else if (!strcmp(argv[0], "setm") && argc >= 2) {
		uint64_t mask[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
		uint64_t vals[GUSE_BITMAP_WORDS(GUSE_LINES_MAX)] = { 0 };
		int chip_of = -1;

		for (i = 1; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (!eq)
				goto usage;
			*eq = '\0';
			if (!parse_line(argv[i], def_chip, &c, &l) ||
			    !parse_value(eq + 1, &value))
				goto usage;
			if (chip_of >= 0 && (unsigned int)chip_of != c) {
				out(src->out, "error setm: lines of one chip only");
				return;
			}
			chip_of = (int)c;
			mask[l / 64] |= GUSE_BIT_MASK(l);
			if (value)
				vals[l / 64] |= GUSE_BIT_MASK(l);
		}
		if (guse_chip_set_inputs(chips[c], mask, vals) < 0)
			out(src->out, "error setm: %s", strerror(errno));
		else
			out(src->out, "ok chip=%u lines=%u", c, argc - 1);
	} else if (!strcmp(argv[0], "toggle") && argc == 2) {
		if (!parse_line(argv[1], def_chip, &c, &l))
			goto usage;
		inject(src, c, l, !guse_chip_get_input_level(chips[c], l));
	} else if (!strcmp(argv[0], "pulse") && argc == 3) {
		if (!parse_line(argv[1], def_chip, &c, &l) ||
		    !parse_uint(argv[2], 3600000000UL, &v))
			goto usage;
		value = guse_chip_get_input_level(chips[c], l);
		if (guse_chip_set_input(chips[c], l, !value) < 0) {
			out(src->out, "error pulse: %s", strerror(errno));
			return;
		}
		src->state = S_PULSE;
		src->chip = c;
		src->line = l;
		src->value = value;
		src->deadline_ns = now_ns() + (int64_t)v * 1000;
	} else if (!strcmp(argv[0], "get") && argc == 2) {
		if (!parse_line(argv[1], def_chip, &c, &l))
			goto usage;
		reply_line_state(src, c, l);
	} else if (!strcmp(argv[0], "wait") && (argc == 3 || argc == 4)) {
		unsigned long t = WAIT_DEFAULT_MS;

		if (!parse_line(argv[1], def_chip, &c, &l) ||
		    !parse_value(argv[2], &value) ||
		    (argc == 4 && !parse_uint(argv[3], INT_MAX, &t)))
			goto usage;
		src->state = S_WAIT;
		src->chip = c;
		src->line = l;
		src->value = value;
		src->deadline_ns = t ? now_ns() + (int64_t)t * 1000000 : -1;
	} else if (!strcmp(argv[0], "dir") && (argc == 3 || argc == 4)) {
		char what[48];
		bool output = !strcmp(argv[2], "out") ||
			      !strcmp(argv[2], "output");

		value = 0;
		if (!parse_line(argv[1], def_chip, &c, &l) ||
		    (!output && strcmp(argv[2], "in") &&
		     strcmp(argv[2], "input")) ||
		    (argc == 4 && (!output || !parse_value(argv[3], &value))))
			goto usage;
		snprintf(what, sizeof(what), output ? "output value=%d" :
			 "input", value);
		device_change(src, c, l,
			      guse_chip_set_direction(chips[c], l,
				output ? GUSE_LINE_DIRECTION_OUTPUT :
					 GUSE_LINE_DIRECTION_INPUT, value),
			      what);
	} else if (!strcmp(argv[0], "claim") && argc == 3) {
		char what[GUSE_NAME_SIZE * 6 + 24], q[GUSE_NAME_SIZE * 6];
		int r;

		if (!parse_line(argv[1], def_chip, &c, &l))
			goto usage;
		r = guse_chip_claim_line(chips[c], l, argv[2]);
		quote(q, sizeof(q), argv[2]);
		snprintf(what, sizeof(what), "claim consumer=\"%s\"", q);
		device_change(src, c, l, r, what);
	} else if (!strcmp(argv[0], "unclaim") && argc == 2) {
		if (!parse_line(argv[1], def_chip, &c, &l))
			goto usage;
		device_change(src, c, l, guse_chip_unclaim_line(chips[c], l),
			      "unclaim");
	} else if (!strcmp(argv[0], "sleep") && argc == 2) {
		if (!parse_uint(argv[1], INT_MAX, &v))
			goto usage;
		src->state = S_SLEEP;
		src->deadline_ns = now_ns() + (int64_t)v * 1000000;
	} else if (!strcmp(argv[0], "chips") && argc == 1) {
		for (i = 0; i < opt.nchips; i++)
			out(src->out, "chip=%u %s %s %s %u", i,
			    guse_chip_get_name(chips[i]),
			    guse_chip_get_dev_name(chips[i]),
			    guse_chip_get_label(chips[i]),
			    guse_chip_get_num_lines(chips[i]));
		out(src->out, "ok chips=%u", opt.nchips);
	} else if (!strcmp(argv[0], "help")) {
		out(src->out, "%s", help_text);
	} else if (!strcmp(argv[0], "quit") && argc == 1) {
		out(src->out, "ok bye");
		quit = true;
	} else {
		goto usage;
	}
	return;
usage:
	out(src->out, "error bad command (try: help)");
}

/* Finish a blocking command if its condition or deadline came. */
static void check_blocked(struct source *src, int64_t now)
{
	bool expired = src->deadline_ns >= 0 && now >= src->deadline_ns;

	switch (src->state) {
	case S_IDLE:
		return;
	case S_SLEEP:
		if (!expired)
			return;
		out(src->out, "ok");
		break;
	case S_PULSE:
		if (!expired)
			return;
		if (guse_chip_set_input(chips[src->chip], src->line,
					src->value) < 0)
			out(src->out, "error pulse: %s", strerror(errno));
		else
			out(src->out, "ok chip=%u line=%u value=%d", src->chip,
			    src->line, src->value);
		break;
	case S_WAIT:
		if (wait_done(src))
			out(src->out, "ok chip=%u line=%u value=%d", src->chip,
			    src->line, src->value);
		else if (expired)
			out(src->out, "error timeout chip=%u line=%u value=%d",
			    src->chip, src->line,
			    guse_chip_get_output_value(chips[src->chip],
						       src->line));
		else
			return;
		break;
	}
	src->state = S_IDLE;
}

/* Run the complete command lines buffered in @src while it is idle. */
static void process(struct source *src)
{
	for (;;) {
		char *nl;

		check_blocked(src, now_ns());
		if (src->state != S_IDLE || quit)
			return;
		nl = memchr(src->buf, '\n', src->len);
		if (!nl) {
			if (src->eof && src->len) {
				src->buf[src->len] = '\0';
				src->len = 0;
				run_command(src, src->buf);
				continue;
			}
			if (src->len == sizeof(src->buf) - 1) {
				out(src->out, "error line too long");
				src->len = 0;
			}
			return;
		}
		*nl = '\0';
		{
			char cmd[LINE_MAX_LEN];
			size_t n = (size_t)(nl - src->buf) + 1;

			memcpy(cmd, src->buf, n);
			memmove(src->buf, src->buf + n, src->len - n);
			src->len -= n;
			run_command(src, cmd);
		}
	}
}

static void read_source(struct source *src)
{
	ssize_t n = read(src->fd, src->buf + src->len,
			 sizeof(src->buf) - 1 - src->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		src->eof = true;
	else
		src->len += (size_t)n;
	process(src);
}

/* ------------------------------------------------------------------------ */
/* setup */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: guse-sim [OPTIONS]\n"
"Create GPIO chips served from a simulated line state, trace the requests\n"
"consumers make and take commands from stdin (and a control socket).\n"
"\n"
"Options:\n"
"  -l, --label LABEL          chip label (default: guse-sim)\n"
"  -n, --num-lines N          number of lines (default: 8)\n"
"  -N, --line-names A,B,...   line names (empty entries: unnamed)\n"
"  -t, --timeout-ms MS        request timeout (default: kernel's, 5000)\n"
"      --chips N              create N identical chips, labels LABEL-0...\n"
"  -j, --json                 trace as JSON lines\n"
"  -q, --quiet                no trace lines\n"
"  -s, --control-socket PATH  also accept commands on a unix stream socket\n"
"  -r, --ready-file PATH      write the chip names there once ready\n"
"  -d, --daemon               keep serving after EOF on stdin\n"
"      --decline-config       decline every SET_CONFIG (EOPNOTSUPP)\n"
"      --decline-request      refuse every line request (EBUSY)\n"
"      --trace-reads          serve (and trace) reads of input lines too;\n"
"                             injections are then applied at once\n"
"      --hold-outputs         released outputs keep driving (as most\n"
"                             hardware), not revert to their pull\n"
"      --output-cache         the kernel answers reads of driven outputs\n"
"                             itself (protocol 1.2; untraced then)\n"
"      --output L=V[,L=V...]  lines that start as outputs driving V\n"
"      --pull L=V[,L=V...]    initial pulls (default 0)\n"
"      --hog L:NAME:DIR       line L held by the chip as NAME from the start;\n"
"                             DIR is input, output-high or output-low\n"
"      --invalid LIST         lines missing from the valid mask (1,4-6)\n"
"  -h, --help                 this help\n"
"  -V, --version              print the version\n"
"\n"
"Commands (one per line; replies start with \"ok\" or \"error\"):\n"
"  set LINE 0|1          set the pull: what the line reads when nothing\n"
"                        drives it\n"
"  setm L=V [L=V...]     set several pulls at once\n"
"  toggle LINE           invert the pull\n"
"  pulse LINE USEC       invert the pull for USEC microseconds\n"
"  get LINE              print the state of a line\n"
"  wait LINE 0|1 [MS]    wait until a consumer drives the value (default\n"
"                        timeout 10000 ms, 0: forever)\n"
"  dir LINE in|out [V]   the device makes the line an input or an output\n"
"                        driving V (gpioinfo shows it)\n"
"  claim LINE LABEL      the device takes the line (gpioinfo: used, LABEL)\n"
"  unclaim LINE          the device gives it back\n"
"  sleep MS              pause this command stream\n"
"  chips, help, quit\n"
"LINE is an offset, a line name or CHIP:OFFSET; a first word chip=N\n"
"selects the chip for the whole command.\n");
}

static int write_ready_file(void)
{
	char tmp[PATH_MAX];
	unsigned int i;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", opt.ready_file) >=
	    (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (i = 0; i < opt.nchips; i++)
		fprintf(f, "%s\n", guse_chip_get_name(chips[i]));
	if (fclose(f) || rename(tmp, opt.ready_file)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int open_control_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(opt.socket_path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, opt.socket_path);
	if (!lstat(opt.socket_path, &st) && S_ISSOCK(st.st_mode))
		unlink(opt.socket_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 8) < 0)
		return -1;
	return 0;
}

static void accept_client(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned int i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd < 0) {
			memset(&clients[i], 0, sizeof(clients[i]));
			clients[i].fd = fd;
			clients[i].out = fd;
			clients[i].deadline_ns = -1;
			return;
		}
	}
	out(fd, "error too many clients");
	close(fd);
}

static int64_t next_deadline(struct source *src, int64_t best)
{
	if (src->fd >= 0 && src->state != S_IDLE && src->deadline_ns >= 0 &&
	    (best < 0 || src->deadline_ns < best))
		return src->deadline_ns;
	return best;
}

enum {
	OPT_CHIPS = 256, OPT_DECLINE_CONFIG, OPT_DECLINE_REQUEST,
	OPT_TRACE_READS, OPT_HOLD_OUTPUTS, OPT_OUTPUT, OPT_PULL, OPT_HOG,
	OPT_INVALID, OPT_OUTPUT_CACHE,
};

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "num-lines", required_argument, NULL, 'n' },
		{ "line-names", required_argument, NULL, 'N' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "chips", required_argument, NULL, OPT_CHIPS },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "control-socket", required_argument, NULL, 's' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "decline-config", no_argument, NULL, OPT_DECLINE_CONFIG },
		{ "decline-request", no_argument, NULL, OPT_DECLINE_REQUEST },
		{ "trace-reads", no_argument, NULL, OPT_TRACE_READS },
		{ "hold-outputs", no_argument, NULL, OPT_HOLD_OUTPUTS },
		{ "output-cache", no_argument, NULL, OPT_OUTPUT_CACHE },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "pull", required_argument, NULL, OPT_PULL },
		{ "hog", required_argument, NULL, OPT_HOG },
		{ "invalid", required_argument, NULL, OPT_INVALID },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *range = NULL;
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "l:n:N:t:jqs:r:dhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.label = optarg;
			break;
		case 'n':
			if (!parse_uint(optarg, GUSE_LINES_MAX, &v) || !v) {
				range = "1 to " STR(GUSE_LINES_MAX);
				goto bad;
			}
			opt.num_lines = (unsigned int)v;
			break;
		case 'N':
			opt.line_names = optarg;
			break;
		case 't':
			if (!parse_uint(optarg, TIMEOUT_MAX_MS, &v)) {
				range = "0 (the kernel's default) to "
					STR(TIMEOUT_MAX_MS) " ms";
				goto bad;
			}
			opt.timeout_ms = (unsigned int)v;
			break;
		case OPT_CHIPS:
			if (!parse_uint(optarg, MAX_CHIPS, &v) || !v) {
				range = "1 to " STR(MAX_CHIPS);
				goto bad;
			}
			opt.nchips = (unsigned int)v;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 's':
			opt.socket_path = optarg;
			break;
		case 'r':
			opt.ready_file = optarg;
			break;
		case 'd':
			opt.daemon = true;
			break;
		case OPT_DECLINE_CONFIG:
			opt.decline_config = true;
			break;
		case OPT_DECLINE_REQUEST:
			opt.decline_request = true;
			break;
		case OPT_TRACE_READS:
			opt.trace_reads = true;
			break;
		case OPT_HOLD_OUTPUTS:
			opt.hold_outputs = true;
			break;
		case OPT_OUTPUT_CACHE:
			opt.output_cache = true;
			break;
		case OPT_OUTPUT:
		case OPT_PULL:
		case OPT_HOG:
		case OPT_INVALID:
			if (opt.num_line_opts == MAX_LINE_OPTS) {
				fprintf(stderr, "guse-sim: at most %d line "
					"state options\n", MAX_LINE_OPTS);
				return -1;
			}
			opt.line_opts[opt.num_line_opts] = optarg;
			opt.line_opt_kind[opt.num_line_opts++] = c;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("guse-sim %s (libguse %s)\n", PACKAGE_VERSION,
			       guse_version_string());
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "guse-sim: unexpected argument: %s\n",
			argv[optind]);
		return -1;
	}
	return 0;
bad:
	if (c < 256)
		fprintf(stderr, "guse-sim: bad value for option -%c: %s (%s)\n",
			c, optarg, range);
	else
		fprintf(stderr, "guse-sim: bad value for option --chips: %s "
			"(%s)\n", optarg, range);
	return -1;
}

/* Why chip @idx could not be created, and what to do about it. */
static void create_error(unsigned int idx, int err)
{
	const char *hint = guse_error_hint(err);

	if (opt.nchips > 1)
		fprintf(stderr, "guse-sim: cannot create chip %u of %u: %s\n",
			idx, opt.nchips, strerror(err));
	else
		fprintf(stderr, "guse-sim: cannot create chip: %s\n",
			strerror(err));
	if (hint)
		fprintf(stderr, "guse-sim: %s\n", hint);
}

/* "L=V,L=V": --output and --pull. */
static int apply_line_values(struct guse_chip_config *cfg, char *arg, int kind)
{
	char *item, *save = NULL, *eq;
	unsigned long line;
	int value;

	for (item = strtok_r(arg, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		if (!parse_uint(item, opt.num_lines - 1, &line) ||
		    !parse_value(eq + 1, &value))
			return -1;
		if (kind == OPT_PULL ?
		    guse_chip_config_set_line_pull(cfg, line, value) :
		    guse_chip_config_set_line_direction(cfg, line,
				GUSE_LINE_DIRECTION_OUTPUT, value))
			return -1;
	}
	return 0;
}

/* "L:NAME:input|output-high|output-low": --hog, as gpio-sim's hogs. */
static int apply_hog(struct guse_chip_config *cfg, char *arg)
{
	char *name = strchr(arg, ':'), *dir;
	unsigned long line;
	int direction = GUSE_LINE_DIRECTION_OUTPUT, value = 0;

	if (!name)
		return -1;
	*name++ = '\0';
	dir = strrchr(name, ':');
	if (!dir || !parse_uint(arg, opt.num_lines - 1, &line))
		return -1;
	*dir++ = '\0';
	if (!strcmp(dir, "input"))
		direction = GUSE_LINE_DIRECTION_INPUT;
	else if (!strcmp(dir, "output-high"))
		value = 1;
	else if (strcmp(dir, "output-low"))
		return -1;
	return guse_chip_config_set_line_hog(cfg, line, name, direction, value);
}

/* "1,4-6": --invalid. */
static int apply_invalid(struct guse_chip_config *cfg, char *arg)
{
	char *item, *save = NULL, *dash;
	unsigned long first, last;

	for (item = strtok_r(arg, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		dash = strchr(item, '-');
		if (dash)
			*dash++ = '\0';
		if (!parse_uint(item, opt.num_lines - 1, &first) ||
		    (dash && !parse_uint(dash, opt.num_lines - 1, &last)))
			return -1;
		if (!dash)
			last = first;
		for (; first <= last; first++)
			if (guse_chip_config_set_line_valid(cfg, first, false))
				return -1;
	}
	return 0;
}

static int apply_line_opts(struct guse_chip_config *cfg)
{
	static const char *const names[] = {
		[OPT_OUTPUT - OPT_OUTPUT] = "--output",
		[OPT_PULL - OPT_OUTPUT] = "--pull",
		[OPT_HOG - OPT_OUTPUT] = "--hog",
		[OPT_INVALID - OPT_OUTPUT] = "--invalid",
	};
	unsigned int i;

	for (i = 0; i < opt.num_line_opts; i++) {
		int kind = opt.line_opt_kind[i], ret;
		char *arg = strdup(opt.line_opts[i]);

		if (!arg) {
			perror("guse-sim");
			return -1;
		}
		if (kind == OPT_HOG)
			ret = apply_hog(cfg, arg);
		else if (kind == OPT_INVALID)
			ret = apply_invalid(cfg, arg);
		else
			ret = apply_line_values(cfg, arg, kind);
		free(arg);
		if (ret) {
			fprintf(stderr, "guse-sim: bad value for option %s: %s "
				"(lines 0 to %u; see guse-sim(1))\n",
				names[kind - OPT_OUTPUT], opt.line_opts[i],
				opt.num_lines - 1);
			return -1;
		}
	}
	return 0;
}

static struct guse_chip_config *make_config(unsigned int idx)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	char label[GUSE_NAME_SIZE + 16];

	if (!cfg) {
		perror("guse-sim");
		return NULL;
	}
	if (opt.nchips > 1)
		snprintf(label, sizeof(label), "%s-%u", opt.label, idx);
	else
		snprintf(label, sizeof(label), "%s", opt.label);
	if (guse_chip_config_set_label(cfg, label) < 0) {
		fprintf(stderr, "guse-sim: bad label \"%s\" (1 to %d characters)\n",
			label, GUSE_NAME_SIZE - 1);
		goto err;
	}
	guse_chip_config_set_num_lines(cfg, opt.num_lines);
	guse_chip_config_set_timeout_ms(cfg, opt.timeout_ms);
	guse_chip_config_set_hold_outputs(cfg, opt.hold_outputs);
	guse_chip_config_set_output_cache(cfg, opt.output_cache);
	if (opt.line_names) {
		char *names = strdup(opt.line_names), *p, *next;
		unsigned int line = 0;

		if (!names) {
			perror("guse-sim");
			goto err;
		}
		for (p = names; p; p = next, line++) {
			next = strchr(p, ',');
			if (next)
				*next++ = '\0';
			if (line >= opt.num_lines ||
			    guse_chip_config_set_line_name(cfg, line, p) < 0) {
				fprintf(stderr, "guse-sim: bad line name \"%s\" "
					"(too long or too many names)\n", p);
				free(names);
				goto err;
			}
		}
		free(names);
	}
	if (apply_line_opts(cfg))
		goto err;
	return cfg;
err:
	guse_chip_config_free(cfg);
	return NULL;
}

int main(int argc, char **argv)
{
	int sfd = -1, ret = 1;
	unsigned int i;
	sigset_t sigs;

	if (parse_args(argc, argv) < 0)
		return 2;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("guse-sim: signalfd");
		return 1;
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;

	for (i = 0; i < opt.nchips; i++) {
		struct guse_chip_config *cfg = make_config(i);

		if (!cfg)
			goto out;
		if (opt.trace_reads)
			guse_chip_config_set_serve_input_reads(cfg, true);
		else
			sim_ops.get_values = NULL;	/* outputs: untraced */
		chips[i] = guse_chip_new(cfg, &sim_ops, sizeof(sim_ops),
					 (void *)(intptr_t)i);
		guse_chip_config_free(cfg);
		if (!chips[i]) {
			create_error(i, errno);
			goto out;
		}
	}
	if (opt.socket_path && open_control_socket() < 0) {
		fprintf(stderr, "guse-sim: control socket %s: %s%s\n",
			opt.socket_path, strerror(errno),
			errno == EADDRINUSE ?
			" (a file that is not a socket is in the way)" : "");
		goto out;
	}
	for (i = 0; i < opt.nchips; i++) {
		if (opt.json)
			out(STDOUT_FILENO,
			    "{\"event\":\"ready\",\"chip\":\"%s\",\"index\":%u,"
			    "\"dev\":\"%s\",\"label\":\"%s\",\"num_lines\":%u}",
			    guse_chip_get_name(chips[i]), i,
			    guse_chip_get_dev_name(chips[i]),
			    guse_chip_get_label(chips[i]),
			    guse_chip_get_num_lines(chips[i]));
		else
			out(STDOUT_FILENO, "ready %s %s %s %u",
			    guse_chip_get_name(chips[i]),
			    guse_chip_get_dev_name(chips[i]),
			    guse_chip_get_label(chips[i]),
			    guse_chip_get_num_lines(chips[i]));
	}
	if (opt.ready_file && write_ready_file() < 0) {
		fprintf(stderr, "guse-sim: ready file %s: %s\n",
			opt.ready_file, strerror(errno));
		goto out;
	}

	stdin_src.fd = STDIN_FILENO;
	stdin_src.out = STDOUT_FILENO;
	stdin_src.is_stdin = true;
	stdin_src.deadline_ns = -1;

	while (!quit) {
		struct pollfd pfd[MAX_CHIPS + MAX_CLIENTS + 3];
		struct source *who[MAX_CHIPS + MAX_CLIENTS + 3] = { NULL };
		unsigned int n = 0, nch;
		int64_t dl = -1;
		struct timespec ts, *tsp = NULL;

		for (i = 0; i < opt.nchips; i++)
			pfd[n++] = (struct pollfd){ guse_chip_get_fd(chips[i]),
						    POLLIN, 0 };
		nch = n;
		pfd[n++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (listen_fd >= 0)
			pfd[n++] = (struct pollfd){ listen_fd, POLLIN, 0 };
		if (!stdin_src.eof && stdin_src.state == S_IDLE) {
			who[n] = &stdin_src;
			pfd[n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i].fd >= 0 && clients[i].state == S_IDLE &&
			    !clients[i].eof) {
				who[n] = &clients[i];
				pfd[n++] = (struct pollfd){ clients[i].fd,
							    POLLIN, 0 };
			}
		}
		dl = next_deadline(&stdin_src, -1);
		for (i = 0; i < MAX_CLIENTS; i++)
			dl = next_deadline(&clients[i], dl);
		if (dl >= 0) {
			int64_t left = dl - now_ns();

			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}
		if (ppoll(pfd, n, tsp, NULL) < 0 && errno != EINTR) {
			perror("guse-sim: poll");
			goto out;
		}
		for (i = 0; i < nch; i++) {
			if (pfd[i].revents &&
			    guse_chip_dispatch(chips[i]) < 0) {
				fprintf(stderr, "guse-sim: %s: connection to "
					"the kernel lost: %s\n",
					guse_chip_get_name(chips[i]),
					strerror(errno));
				goto out;
			}
		}
		if (pfd[nch].revents) {
			ret = 0;	/* SIGINT or SIGTERM */
			goto out;
		}
		if (listen_fd >= 0 && pfd[nch + 1].revents)
			accept_client();
		for (i = nch + 1; i < n; i++)
			if (who[i] && pfd[i].revents)
				read_source(who[i]);
		/* timers and waits: every source, blocked or not */
		process(&stdin_src);
		for (i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i].fd < 0)
				continue;
			process(&clients[i]);
			if (clients[i].eof && clients[i].state == S_IDLE &&
			    !memchr(clients[i].buf, '\n', clients[i].len)) {
				close(clients[i].fd);
				clients[i].fd = -1;
			}
		}
		if (stdin_src.eof && !opt.daemon && stdin_src.state == S_IDLE &&
		    !stdin_src.len)
			break;
	}
	ret = 0;
out:
	for (i = 0; i < opt.nchips; i++)
		guse_chip_free(chips[i]);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			close(clients[i].fd);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(opt.socket_path);
	}
	if (sfd >= 0)
		close(sfd);
	return ret;
}
