// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ARM PrimeCell PL061 (QEMU's "pl061", e.g. on -M virt at 0x09030000).
 *
 * QEMU's model has 8 unnamed GPIO outputs, the level of each pin as the
 * PL061 puts it on the board (an output's data bit, an input's pull-up or
 * pull-down, unchanged for a floating input), and 8 unnamed GPIO inputs,
 * which the guest reads in GPIODATA while the pin is an input.  The pulls
 * are the "pullups" and "pulldowns" properties (virt pulls every pin down).
 * Registers: GPIODATA at 0x000-0x3fc (address bits 9:2 mask the access),
 * GPIODIR at 0x400 (1: output), GPIOAFSEL at 0x420 (1: the pin belongs to
 * a peripheral, shown as a guest-side claim).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define PL061_LINES 8
#define PL061_DATA 0x3fc	/* all eight bits */
#define PL061_DIR 0x400
#define PL061_AFSEL 0x420

struct pl061 {
	uint8_t pullups, pulldowns;
	/* one poll: its three answers in order */
	uint32_t dir, afsel, data;
	int answers;
	int failed;
};

static const char *const pl061_types[] = { "pl061", NULL };

static int pl061_probe(struct bridge *b)
{
	struct pl061 *p = calloc(1, sizeof(*p));
	long long v;
	int outs, ins;
	unsigned int i;

	if (!p)
		return bridge_error(b, "out of memory");
	b->priv = p;
	outs = qom_count_array(b, b->path, "unnamed-gpio-out");
	ins = qom_count_array(b, b->path, "unnamed-gpio-in");
	if (outs < 0 || ins < 0)
		return -1;
	if (outs != PL061_LINES || ins != PL061_LINES)
		return bridge_error(b, "%s has %d GPIO outputs and %d inputs, a PL061 %d",
				    b->path, outs, ins, PL061_LINES);
	b->num_lines = PL061_LINES;
	/* QEMU before 6.2 has no pull properties: its pins float */
	if (qom_get_int(b, b->path, "pullups", &v) == 0)
		p->pullups = v;
	if (qom_get_int(b, b->path, "pulldowns", &v) == 0)
		p->pulldowns = v;
	b->err[0] = '\0';
	if (!b->base_given && mtree_find_base(b, b->path, &b->base) < 0)
		return -1;
	for (i = 0; i < PL061_LINES; i++)
		snprintf(b->names[i], GUSE_NAME_SIZE, "GPIO%u", i);
	if (!b->label[0])
		snprintf(b->label, sizeof(b->label), "qemu-pl061@%" PRIx64, b->base);
	return 0;
}

/* The registers of one poll, reported to the bridge. */
static void pl061_report(struct bridge *b)
{
	struct pl061 *p = b->priv;
	unsigned int i;

	for (i = 0; i < PL061_LINES; i++) {
		unsigned int m = 1U << i;
		int level = b->lines[i].level;

		if (p->dir & m)
			level = !!(p->data & m);
		else if (p->pullups & m)
			level = 1;
		else if (p->pulldowns & m)
			level = 0;
		/* a floating input keeps the level it had */
		bridge_guest_direction(b, i, p->dir & m ? GUSE_LINE_DIRECTION_OUTPUT :
						       GUSE_LINE_DIRECTION_INPUT);
		bridge_guest_claim(b, i, p->afsel & m ? "guest:afsel" : NULL);
		bridge_guest_level(b, i, level);
	}
}

static int pl061_attach(struct bridge *b)
{
	struct pl061 *p = b->priv;

	if (bridge_intercept_out(b, NULL) < 0)
		return -1;
	if (bridge_readl(b, b->base + PL061_DIR, &p->dir) < 0 ||
	    bridge_readl(b, b->base + PL061_AFSEL, &p->afsel) < 0 ||
	    bridge_readl(b, b->base + PL061_DATA, &p->data) < 0)
		return -1;
	/* a pin may already be high: the bridge starts from the registers */
	for (unsigned int i = 0; i < PL061_LINES; i++)
		b->lines[i].level = (p->dir >> i) & 1 ? (p->data >> i) & 1 : (p->pullups >> i) & 1;
	pl061_report(b);
	return 0;
}

static void pl061_irq(struct bridge *b, unsigned int n, int level)
{
	if (n >= PL061_LINES) {
		bridge_trace(b, "IRQ %u: not a PL061 output", n);
		return;
	}
	bridge_guest_level(b, n, level);
	/* the guest may have changed a direction first */
	bridge_poll_request(b);
}

static void pl061_answer(void *arg, int ok, const char *text)
{
	struct bridge *b = arg;
	struct pl061 *p = b->priv;
	uint64_t v = 0;

	if (ok != 1 || qtest_parse_value(text, &v) < 0) {
		if (ok >= 0)
			bridge_fatal(b, EPROTO, "reading the PL061 registers: %s", text);
		p->failed = 1;
	}
	switch (p->answers++) {
	case 0:
		p->dir = v;
		return;
	case 1:
		p->afsel = v;
		return;
	}
	p->data = v;
	p->answers = 0;
	if (!p->failed)
		pl061_report(b);
	p->failed = 0;
	bridge_poll_done(b);
}

static int pl061_poll(struct bridge *b)
{
	static const unsigned int regs[] = { PL061_DIR, PL061_AFSEL, PL061_DATA };

	for (unsigned int i = 0; i < 3; i++)
		if (qtest_send(b->qt, pl061_answer, b, "readl 0x%" PRIx64, b->base + regs[i]) < 0)
			return -1;
	return 0;
}

/* The answer of a set_irq_in. */
struct pl061_drive {
	struct bridge *b;
	bridge_done_fn done;
	void *arg;
};

static void pl061_driven(void *arg, int ok, const char *text)
{
	struct pl061_drive *d = arg;

	if (ok == 0)
		bridge_fatal(d->b, EPROTO, "set_irq_in: %s", text);
	if (d->done)
		d->done(d->b, d->arg, ok == 1 ? 0 : EIO);
	free(d);
}

static int pl061_drive(struct bridge *b, unsigned int line, int level,
		       bridge_done_fn done, void *arg)
{
	struct pl061 *p = b->priv;
	struct pl061_drive *d;

	if (line >= PL061_LINES) {
		errno = EINVAL;
		return -1;
	}
	if (level < 0) {
		/* released: the pull, if the pin has one */
		if ((p->pullups | p->pulldowns) & (1U << line)) {
			level = (p->pullups >> line) & 1;
		} else {
			if (done)
				done(b, arg, 0);
			return 0;
		}
	}
	d = malloc(sizeof(*d));
	if (!d)
		return -1;
	*d = (struct pl061_drive){ b, done, arg };
	if (qtest_send(b->qt, pl061_driven, d, "set_irq_in %s unnamed-gpio-in %u %d",
		       b->path, line, level) < 0) {
		free(d);
		return -1;
	}
	return 0;
}

static void pl061_free(struct bridge *b)
{
	free(b->priv);
	b->priv = NULL;
}

const struct controller_ops pl061_controller = {
	.name = "pl061",
	.qom_types = pl061_types,
	.probe = pl061_probe,
	.attach = pl061_attach,
	.irq = pl061_irq,
	.poll = pl061_poll,
	.drive = pl061_drive,
	.free = pl061_free,
};
