// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * avr-host: the host side of guse-avr's tests, a libgpiod v2 program as a
 * developer would write against the board.
 *
 *   avr-host proto CHIP COUNT [SEED]
 *	exchanges COUNT random commands of firmware/proto.h with the proto
 *	firmware (CLK PB0, DATA PB1), then asks for the frame count; prints
 *	"proto messages=N errors=N ms=N" and fails on any error.
 *   avr-host echo CHIP IN OUT COUNT
 *	drives IN COUNT times to the opposite level and waits for OUT to
 *	follow (the echo firmware); prints the latency from the set call to
 *	the kernel's timestamp of OUT's edge, "echo samples=N errors=N
 *	min_us=N median_us=N max_us=N".
 *
 * Exit status: 0 no error, 1 errors, 2 usage or set-up failure.
 */
#include <errno.h>
#include <gpiod.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../firmware/proto.h"

#define EVENT_TIMEOUT_NS	(5 * 1000000000LL)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "avr-host: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct gpiod_chip *open_chip(const char *name)
{
	char path[64];
	struct gpiod_chip *chip;

	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/dev/",
		 name);
	chip = gpiod_chip_open(path);
	if (!chip)
		die(path);
	return chip;
}

static unsigned int offset_of(struct gpiod_chip *chip, const char *name)
{
	int off = gpiod_chip_get_line_offset_from_name(chip, name);

	if (off < 0)
		die(name);
	return (unsigned int)off;
}

/* One line requested as an output at @value or an input with @edges. */
static struct gpiod_line_request *request(struct gpiod_chip *chip,
					  unsigned int off, bool output,
					  int value, bool edges)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req;

	if (!s || !lc || !rc)
		die("libgpiod");
	gpiod_request_config_set_consumer(rc, "avr-host");
	gpiod_line_settings_set_direction(s, output ?
		GPIOD_LINE_DIRECTION_OUTPUT : GPIOD_LINE_DIRECTION_INPUT);
	if (output)
		gpiod_line_settings_set_output_value(s, value ?
			GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
	if (edges)
		gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH);
	if (gpiod_line_config_add_line_settings(lc, &off, 1, s))
		die("line config");
	req = gpiod_chip_request_lines(chip, rc, lc);
	if (!req)
		die("request");
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(s);
	return req;
}

/* Makes the one line of @req an output at @value, or an input. */
static void reconfigure(struct gpiod_line_request *req, unsigned int off,
			bool output, int value)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();

	if (!s || !lc)
		die("libgpiod");
	gpiod_line_settings_set_direction(s, output ?
		GPIOD_LINE_DIRECTION_OUTPUT : GPIOD_LINE_DIRECTION_INPUT);
	if (output)
		gpiod_line_settings_set_output_value(s, value ?
			GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
	if (gpiod_line_config_add_line_settings(lc, &off, 1, s) ||
	    gpiod_line_request_reconfigure_lines(req, lc))
		die("reconfigure");
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(s);
}

static void set(struct gpiod_line_request *req, unsigned int off, int value)
{
	if (gpiod_line_request_set_value(req, off, value ?
			GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE))
		die("set value");
}

static int get(struct gpiod_line_request *req, unsigned int off)
{
	int v = gpiod_line_request_get_value(req, off);

	if (v < 0)
		die("get value");
	return v == GPIOD_LINE_VALUE_ACTIVE;
}

/* ------------------------------------------------------------------------ */
/* proto */

struct bus {
	struct gpiod_line_request *clk, *data;
	unsigned int clk_off, data_off;
	int data_level;		/* what the host drives on DATA */
};

static void set_data(struct bus *b, int level)
{
	if (level != b->data_level)
		set(b->data, b->data_off, level);
	b->data_level = level;
}

/*
 * One frame, entered with CLK high and DATA an input (the end of the last
 * frame, or the start of the bus): DATA back to an output at 1, the start
 * (DATA falls while CLK is high), the command, the turn-around, the reply,
 * and the end's rising edge, after which the AVR has let DATA go.
 */
static uint16_t transfer(struct bus *b, uint8_t cmd, uint8_t arg)
{
	uint16_t out = (uint16_t)(cmd << 8 | arg), in = 0;
	int i;

	reconfigure(b->data, b->data_off, true, 1);
	b->data_level = 1;
	set_data(b, 0);				/* start */
	set(b->clk, b->clk_off, 0);
	for (i = 15; i >= 0; i--) {
		set_data(b, out >> i & 1);
		set(b->clk, b->clk_off, 1);
		set(b->clk, b->clk_off, 0);
	}
	reconfigure(b->data, b->data_off, false, 0);	/* turn */
	for (i = 0; i < 16; i++) {
		set(b->clk, b->clk_off, 1);
		in = (uint16_t)(in << 1 | get(b->data, b->data_off));
		set(b->clk, b->clk_off, 0);
	}
	set(b->clk, b->clk_off, 1);		/* end: the AVR lets DATA go */
	return in;
}

static int run_proto(const char *chipname, unsigned long count,
		     unsigned int seed)
{
	struct gpiod_chip *chip = open_chip(chipname);
	struct bus b;
	unsigned long i, errors = 0;
	uint16_t sum = 0, frames = 0, got, want;
	int64_t t0;

	b.clk_off = offset_of(chip, "PB0");
	b.data_off = offset_of(chip, "PB1");
	/* the bus as a frame leaves it: CLK high, DATA not driven */
	b.data = request(chip, b.data_off, false, 0, false);
	b.clk = request(chip, b.clk_off, true, 1, false);
	srand(seed);
	t0 = now_ns();
	for (i = 0; i <= count; i++) {
		/* the last one asks how many frames the firmware saw */
		uint8_t cmd = i == count ? PROTO_CMD_COUNT :
			      (uint8_t)(rand() % 4 + 1);
		uint8_t arg = (uint8_t)rand();

		frames++;
		switch (cmd) {
		case PROTO_CMD_ECHO:
			want = (uint16_t)(arg << 8 | (uint8_t)~arg);
			break;
		case PROTO_CMD_ADD:
			sum = (uint16_t)(sum + arg);
			want = sum;
			break;
		case PROTO_CMD_COUNT:
			want = frames;
			break;
		default:
			want = PROTO_UNKNOWN;
		}
		got = transfer(&b, cmd, arg);
		if (got != want) {
			errors++;
			fprintf(stderr, "avr-host: message %lu: command 0x%02x "
				"arg 0x%02x: reply 0x%04x, expected 0x%04x\n",
				i, cmd, arg, got, want);
		}
	}
	set(b.clk, b.clk_off, 0);
	printf("proto messages=%lu errors=%lu ms=%" PRId64 "\n", count + 1,
	       errors, (now_ns() - t0) / 1000000);
	gpiod_line_request_release(b.clk);
	gpiod_line_request_release(b.data);
	gpiod_chip_close(chip);
	return errors ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* echo */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_echo(const char *chipname, const char *in, const char *out,
		    unsigned long count)
{
	struct gpiod_chip *chip = open_chip(chipname);
	unsigned int in_off = offset_of(chip, in), out_off = offset_of(chip, out);
	struct gpiod_edge_event_buffer *buf = gpiod_edge_event_buffer_new(16);
	struct gpiod_line_request *rin, *rout;
	int64_t *lat = calloc(count ? count : 1, sizeof(*lat));
	unsigned long i, n = 0, errors = 0;
	int level;

	if (!buf || !lat)
		die("memory");
	rout = request(chip, out_off, false, 0, true);
	level = get(rout, out_off);
	rin = request(chip, in_off, true, level, false);
	for (i = 0; i < count; i++) {
		struct gpiod_edge_event *ev;
		int64_t t0;
		int r;

		level = !level;
		t0 = now_ns();
		set(rin, in_off, level);
		r = gpiod_line_request_wait_edge_events(rout, EVENT_TIMEOUT_NS);
		if (r <= 0 || gpiod_line_request_read_edge_events(rout, buf, 1) != 1) {
			errors++;
			fprintf(stderr, "avr-host: %s did not follow %s to %d\n",
				out, in, level);
			continue;
		}
		ev = gpiod_edge_event_buffer_get_event(buf, 0);
		if ((gpiod_edge_event_get_event_type(ev) ==
		     GPIOD_EDGE_EVENT_RISING_EDGE) != level) {
			errors++;
			fprintf(stderr, "avr-host: %s: wrong edge for %d\n", out,
				level);
			continue;
		}
		lat[n++] = (int64_t)gpiod_edge_event_get_timestamp_ns(ev) - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_i64);
	printf("echo samples=%lu errors=%lu min_us=%" PRId64 " median_us=%"
	       PRId64 " max_us=%" PRId64 "\n", n, errors,
	       n ? lat[0] / 1000 : -1, n ? lat[n / 2] / 1000 : -1,
	       n ? lat[n - 1] / 1000 : -1);
	free(lat);
	gpiod_edge_event_buffer_free(buf);
	gpiod_line_request_release(rin);
	gpiod_line_request_release(rout);
	gpiod_chip_close(chip);
	return errors || n != count ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "proto"))
		return run_proto(argv[2], strtoul(argv[3], NULL, 0),
				 argc == 5 ? (unsigned int)strtoul(argv[4], NULL, 0) : 1);
	if (argc == 6 && !strcmp(argv[1], "echo"))
		return run_echo(argv[2], argv[3], argv[4],
				strtoul(argv[5], NULL, 0));
	fprintf(stderr, "usage: avr-host proto CHIP COUNT [SEED]\n"
		"       avr-host echo CHIP IN OUT COUNT\n");
	return 2;
}
