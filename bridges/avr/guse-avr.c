// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-avr: runs AVR firmware in simavr and serves the MCU's I/O ports as
 * one guse chip, lines PB0..PB7, PC0..., so that stock GPIO tools and any
 * program using the GPIO character device talk to the firmware as to a
 * real microcontroller wired to the host.  See guse-avr(1) and
 * Documentation/guse-avr.rst.
 *
 * This file: options, loading, the chip, and the main thread, which
 * serves the chip (host.c) while the simulation runs in its own (sim.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <avr_ioport.h>

#include "guse-avr.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* Exit statuses (guse-avr(1)). */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_CRASHED = 3 };

/* simavr's table of MCUs (sim_core_decl.h defines it, exported). */
extern avr_kind_t *avr_kind[];

static struct bridge bridge = {
	.realtime = true,
	.settle_us = 100,
	.quantum_us = 100,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake_fd = -1,
};

static struct {
	const char *firmware;
	const char *mcu;
	unsigned long freq;
	const char *ports;
	const char *label;
	const char *pulls;
	unsigned int timeout_ms;
} opt;

/* The MCU as the firmware or --mcu names it (simavr's own name may be
 * shorter: atmega328p is its atmega328). */
static const char *mcu_name;

/* Quiets simavr's own logging while we report the error ourselves. */
static bool simavr_quiet;
static volatile sig_atomic_t got_signal;

void trace(const struct bridge *b, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (level > b->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one call per line: the two threads' lines do not mix */
	if (level == 0)
		fprintf(stderr, "guse-avr: %s\n", buf);
	else
		fprintf(stdout, "%s\n", buf);
}

/* simavr's messages: errors always, warnings with -v, its trace with -vv. */
static void simavr_log(avr_t *avr, const int level, const char *fmt,
		       va_list ap)
{
	char buf[512];
	size_t n;

	(void)avr;
	if (simavr_quiet || (level > LOG_ERROR && level - LOG_ERROR >
			     bridge.verbose))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (level == LOG_OUTPUT)	/* the firmware's console */
		fprintf(stdout, "console %s\n", buf);
	else
		fprintf(stderr, "simavr: %s\n", buf);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("guse-avr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERROR);
}

__attribute__((format(printf, 1, 2), noreturn))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("guse-avr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'guse-avr --help'.\n", stderr);
	exit(EXIT_USAGE);
}

static void usage(void)
{
	printf("Usage: guse-avr [OPTION]... FIRMWARE\n"
"Run AVR FIRMWARE (ELF or Intel HEX) in simavr and serve the MCU's I/O\n"
"ports as one GPIO chip with lines named PB0..PB7, PC0, ...\n"
"\n"
"  -m, --mcu=NAME       the MCU (default: from the ELF's .mmcu section)\n"
"  -f, --freq=HZ        its clock (default: from the ELF's .mmcu section)\n"
"  -p, --ports=LIST     the ports to serve, e.g. B,C,D (default: all)\n"
"  -l, --label=LABEL    the chip's label (default: the MCU's name)\n"
"      --pull=LINE=V[,LINE=V]...\n"
"                       the board pulls LINE up (1) or down (0)\n"
"      --fast           run as fast as possible, not in real time\n"
"      --settle=US      simulated time a host change gets before its\n"
"                       request returns (default 100)\n"
"      --quantum=US     real-time step: the longest a host change waits\n"
"                       to reach the AVR (default 100)\n"
"      --hold-outputs   released host outputs keep driving\n"
"      --level-interrupts  low-level external interrupts repeat while the\n"
"                       pin is low (simavr polls them every cycle)\n"
"  -t, --timeout-ms=MS  the kernel's request timeout (default 10000)\n"
"  -v, --verbose        trace pins, directions and host requests;\n"
"                       twice: simavr's warnings, and so on\n"
"      --list-mcus      the MCUs simavr knows\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Prints \"ready gpiochipN ...\" when the chip is up and an \"exit ...\" line\n"
"with counters at the end.  Exit status: 0 after a signal or when the\n"
"firmware sleeps with interrupts off, 1 on errors, 2 on bad usage, 3 when\n"
"the firmware crashed.  See guse-avr(1).\n");
}

static void list_mcus(void)
{
	unsigned int i, j;

	for (i = 0; avr_kind[i]; i++) {
		for (j = 0; j < 4 && avr_kind[i]->names[j]; j++)
			printf("%s%s", j ? " " : "", avr_kind[i]->names[j]);
		printf("\n");
	}
}

static unsigned long parse_ulong(const char *s, unsigned long min,
				 unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		usage_error("bad %s '%s' (%lu to %lu)", what, s, min, max);
	return v;
}

static void parse_options(int argc, char **argv)
{
	enum { O_PULL = 256, O_FAST, O_SETTLE, O_QUANTUM, O_HOLD, O_LEVEL, O_LIST };
	static const struct option longopts[] = {
		{ "mcu", required_argument, NULL, 'm' },
		{ "freq", required_argument, NULL, 'f' },
		{ "ports", required_argument, NULL, 'p' },
		{ "label", required_argument, NULL, 'l' },
		{ "pull", required_argument, NULL, O_PULL },
		{ "fast", no_argument, NULL, O_FAST },
		{ "settle", required_argument, NULL, O_SETTLE },
		{ "quantum", required_argument, NULL, O_QUANTUM },
		{ "hold-outputs", no_argument, NULL, O_HOLD },
		{ "level-interrupts", no_argument, NULL, O_LEVEL },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list-mcus", no_argument, NULL, O_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	opt.timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "m:f:p:l:t:vhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'm': opt.mcu = optarg; break;
		case 'f':
			opt.freq = parse_ulong(optarg, 1000, 100000000,
					       "frequency");
			break;
		case 'p': opt.ports = optarg; break;
		case 'l': opt.label = optarg; break;
		case O_PULL: opt.pulls = optarg; break;
		case O_FAST: bridge.realtime = false; break;
		case O_SETTLE:
			bridge.settle_us = (unsigned int)parse_ulong(optarg, 0,
					1000000, "settle time");
			break;
		case O_QUANTUM:
			bridge.quantum_us = (unsigned int)parse_ulong(optarg, 10,
					100000, "quantum");
			break;
		case O_HOLD: bridge.hold_outputs = true; break;
		case O_LEVEL: bridge.level_interrupts = true; break;
		case 't':
			opt.timeout_ms = (unsigned int)parse_ulong(optarg, 1,
					600000, "timeout");
			break;
		case 'v': bridge.verbose++; break;
		case O_LIST: list_mcus(); exit(EXIT_OK);
		case 'h': usage(); exit(EXIT_OK);
		case 'V': printf("guse-avr %s\n", PACKAGE_VERSION); exit(EXIT_OK);
		default: fputs("Try 'guse-avr --help'.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc - 1)
		usage_error(optind == argc ? "no firmware file given" :
			    "one firmware file only");
	opt.firmware = argv[optind];
}

/* ------------------------------------------------------------------------ */
/* the MCU and its ports */

static bool has_port(avr_t *avr, char name)
{
	return avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(name), 0) != NULL;
}

/* "B C D" for messages. */
static const char *port_list(avr_t *avr, char *buf, size_t size)
{
	size_t o = 0;
	char c;

	buf[0] = '\0';
	for (c = 'A'; c <= 'L' && o + 3 < size; c++)
		if (has_port(avr, c))
			o += (size_t)snprintf(buf + o, size - o, "%s%c",
					      o ? " " : "", c);
	return buf;
}

/* --ports, or every port of the MCU, in order. */
static void choose_ports(struct bridge *b, avr_t *avr)
{
	char avail[32];
	const char *s;
	char c;

	b->num_ports = 0;
	if (!opt.ports) {
		for (c = 'A'; c <= 'L'; c++)
			if (has_port(avr, c))
				b->ports[b->num_ports++].name = c;
		if (!b->num_ports)
			die("the %s has no I/O ports simavr models", mcu_name);
		return;
	}
	for (s = opt.ports; *s; s++) {
		unsigned int i;

		if (*s == ',' || *s == ' ')
			continue;
		c = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
		if (c < 'A' || c > 'L' || !has_port(avr, c))
			die("the %s has no port '%c' (its ports: %s)", mcu_name,
			    *s, port_list(avr, avail, sizeof(avail)));
		for (i = 0; i < b->num_ports; i++)
			if (b->ports[i].name == c)
				usage_error("port %c given twice", c);
		b->ports[b->num_ports++].name = c;
	}
	if (!b->num_ports)
		usage_error("--ports names no port");
}

/* The line named @name ("PB5"), or -1. */
static int find_line(const struct bridge *b, const char *name, size_t len)
{
	unsigned int i;
	char c;

	if (len != 3 || (name[0] != 'P' && name[0] != 'p') ||
	    name[2] < '0' || name[2] > '7')
		return -1;
	c = (char)(name[1] >= 'a' && name[1] <= 'z' ? name[1] - 'a' + 'A' :
		   name[1]);
	for (i = 0; i < b->num_ports; i++)
		if (b->ports[i].name == c)
			return (int)(i * 8 + (unsigned int)(name[2] - '0'));
	return -1;
}

/* --pull PB1=1,PD2=0 */
static void parse_pulls(struct bridge *b)
{
	const char *s = opt.pulls;

	while (s && *s) {
		size_t len = strcspn(s, ",");
		const char *eq = memchr(s, '=', len);
		int line = eq ? find_line(b, s, (size_t)(eq - s)) : -1;

		if (line < 0 || eq + 2 != s + len || (eq[1] != '0' && eq[1] != '1'))
			usage_error("bad --pull '%.*s' (LINE=0 or LINE=1, LINE "
				    "a served pin such as PB1)", (int)len, s);
		b->lines[line].board = (int8_t)(eq[1] - '0');
		s += len;
		if (*s)
			s++;
	}
}

/*
 * Pins simavr models but the package does not have: PC7 of the
 * ATmega48/88/168/328 family (PC6 is RESET, there is no PC7).
 */
static bool pin_missing(char port, unsigned int bit)
{
	static const char *const family[] = {
		"atmega48", "atmega88", "atmega168", "atmega328",
	};
	unsigned int i;

	for (i = 0; i < sizeof(family) / sizeof(*family); i++)
		if (!strncmp(mcu_name, family[i], strlen(family[i])))
			return port == 'C' && bit == 7;
	return false;
}

static struct guse_chip *make_chip(struct bridge *b)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_chip *chip;
	unsigned int i;
	char name[4];
	int err;

	if (!cfg)
		die("out of memory");
	if (guse_chip_config_set_label(cfg, opt.label ? opt.label : mcu_name))
		usage_error("bad label '%s' (1 to %d characters)",
			    opt.label ? opt.label : mcu_name,
			    GUSE_NAME_SIZE - 1);
	guse_chip_config_set_num_lines(cfg, b->num_lines);
	guse_chip_config_set_timeout_ms(cfg, opt.timeout_ms);
	for (i = 0; i < b->num_lines; i++) {
		guse_chip_config_set_line_name(cfg, i, line_name(b, i, name));
		if (b->lines[i].injected)
			guse_chip_config_set_line_pull(cfg, i, 1);
		if (pin_missing(b->ports[i / 8].name, i % 8))
			guse_chip_config_set_line_valid(cfg, i, false);
	}
	chip = guse_chip_new(cfg, &host_ops, sizeof(host_ops), b);
	err = errno;
	guse_chip_config_free(cfg);
	if (!chip) {
		const char *hint = guse_error_hint(err);

		fprintf(stderr, "guse-avr: cannot create the chip: %s\n",
			strerror(err));
		if (hint)
			fprintf(stderr, "guse-avr: %s\n", hint);
		exit(EXIT_ERROR);
	}
	return chip;
}

/* The firmware into a new MCU; exits with the reason on failure. */
static avr_t *make_avr(struct firmware *fw)
{
	char err[256];
	avr_t *avr;

	if (firmware_read(opt.firmware, fw, err, sizeof(err)))
		die("%s: %s", opt.firmware, err);
	if (opt.mcu) {
		if (strlen(opt.mcu) >= sizeof(fw->elf.mmcu))
			usage_error("unknown MCU '%s'", opt.mcu);
		strcpy(fw->elf.mmcu, opt.mcu);
	}
	if (opt.freq)
		fw->elf.frequency = (uint32_t)opt.freq;
	if (!fw->elf.mmcu[0])
		die("%s: no MCU named (no .mmcu section, see simavr's "
		    "AVR_MCU()): give --mcu", opt.firmware);
	if (!fw->elf.frequency)
		die("%s: no clock frequency (no .mmcu section, see simavr's "
		    "AVR_MCU()): give --freq", opt.firmware);
	simavr_quiet = true;
	avr = avr_make_mcu_by_name(fw->elf.mmcu);
	simavr_quiet = false;
	if (!avr)
		die("unknown MCU '%s' (guse-avr --list-mcus lists the ones "
		    "simavr knows)", fw->elf.mmcu);
	mcu_name = fw->elf.mmcu;
	if (avr_init(avr))
		die("simavr cannot set up the %s", fw->elf.mmcu);
	if (firmware_fits(fw, avr, err, sizeof(err)))
		die("%s: %s", opt.firmware, err);
	avr_load_firmware(avr, &fw->elf);
	if (fw->elf.flashbase)		/* a bootloader: start and reset there */
		avr->pc = avr->reset_pc = fw->elf.flashbase;
	avr->gdb_port = 0;		/* a crash ends the run, no gdb server */
	return avr;
}

/* ------------------------------------------------------------------------ */

static void on_signal(int sig)
{
	got_signal = sig;
	atomic_store(&bridge.stop, true);
	host_wake(&bridge);
	if (bridge.chip)
		guse_chip_exit(bridge.chip);
}

static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void print_exit(const struct bridge *b, const char *reason,
		       unsigned long long cycles, uint32_t freq)
{
	const struct stats *s = &b->stats;

	printf("exit reason=%s sim_ms=%llu cycles=%llu pin_changes=%lu "
	       "injections=%lu directions=%lu refused=%lu contentions=%lu "
	       "host_requests=%lu host_reads=%lu busy_outputs=%lu slips=%lu "
	       "slipped_ms=%llu max_lag_us=%llu\n", reason,
	       cycles / (freq / 1000), cycles, s->pin_changes, s->injections,
	       s->directions, s->refused, s->contentions, s->host_requests,
	       s->host_reads, s->busy_outputs, s->slips,
	       (unsigned long long)(s->slipped_ns / 1000000),
	       (unsigned long long)(s->max_lag_ns / 1000));
}

int main(int argc, char **argv)
{
	struct bridge *b = &bridge;
	struct firmware fw;
	unsigned long long cycles;
	const char *reason;
	pthread_t thread;
	unsigned int i;
	int ret, err, status = EXIT_OK;
	uint32_t freq;
	char ports[AVR_PORTS_MAX + 1] = "";
	avr_t *avr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	avr_global_logger_set(simavr_log);
	parse_options(argc, argv);
	avr = make_avr(&fw);

	choose_ports(b, avr);
	b->num_lines = b->num_ports * 8;
	for (i = 0; i < b->num_ports; i++) {
		b->ports[i].first = i * 8;
		ports[i] = b->ports[i].name;
	}
	for (i = 0; i < b->num_lines; i++)
		b->lines[i].bias = b->lines[i].board = PULL_NONE;
	parse_pulls(b);
	for (i = 0; i < b->num_lines; i++)
		b->lines[i].injected = (int8_t)line_level(b, i);

	b->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->wake_fd < 0)
		die("eventfd: %s", strerror(errno));
	b->avr = avr;
	handle_signals();
	b->chip = make_chip(b);
	printf("ready %s mcu=%s freq=%u ports=%s lines=%u\n",
	       guse_chip_get_name(b->chip), mcu_name, avr->frequency, ports,
	       b->num_lines);

	err = sim_start(b, &thread);
	if (err)
		die("cannot start the simulation: %s", strerror(err));
	ret = guse_chip_run(b->chip);
	err = errno;
	atomic_store(&b->stop, true);
	host_wake(b);
	pthread_join(thread, NULL);
	sim_answer_pending(b, ENODEV);

	switch (atomic_load(&b->end)) {
	case SIM_DONE:
		reason = "firmware-done";
		break;
	case SIM_CRASHED:
		reason = "crashed";
		fprintf(stderr, "guse-avr: the firmware crashed at pc 0x%04x\n",
			b->crash_pc);
		status = EXIT_CRASHED;
		break;
	default:
		reason = got_signal ? "signal" : "error";
		break;
	}
	if (ret && !got_signal) {
		fprintf(stderr, "guse-avr: serving the chip failed: %s\n",
			strerror(err));
		reason = "error";
		status = EXIT_ERROR;
	}
	cycles = avr->cycle;
	freq = avr->frequency;
	guse_chip_free(b->chip);
	b->chip = NULL;
	print_exit(b, reason, cycles, freq);
	sim_unhook(b);
	avr_terminate(avr);
	free(avr);
	firmware_release(&fw);
	close(b->wake_fd);
	return status;
}
