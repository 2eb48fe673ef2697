// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ASPEED AST2600 3.3 V GPIO controller (QEMU's "aspeed.gpio-ast2600", at
 * /machine/soc/gpio on -M ast2600-evb and the other AST2600 boards).
 *
 * Its 208 pins are A0..Z7, pin number set * 32 + group * 8 + n (A0 0,
 * B0 8, E0 32, Y0 192); each is a bool QOM property "gpioA0".."gpioZ7"
 * that reads the pin and, while the guest has it as an input, sets the
 * level the guest reads (writes to an output pin are ignored by QEMU).
 * QEMU's model has no pulls: a pin nobody drives reads 0 (the reset
 * value), so a host release sets the pin back to 0.  The outputs are the
 * named GPIO list "sysbus-irq": entry 0 is the controller's interrupt,
 * entry pin + 1 the pin's level while it is an output; the intercept
 * passes every level on to the line's old connection, so the guest's GIC
 * still gets the interrupt.  Registers, per set of 32 pins: data (the
 * pins' levels) and direction (1: output).  The base must be the one in
 * QEMU's memory map: a qtest readl of the AST2600's GIC crashes QEMU 10.0
 * (no current CPU), so guse-qemu reads nothing else.
 *
 * QEMU 7.2's qtest intercepts no named GPIO list: irq_intercept_out
 * answers OK and no output ever arrives (measured).  guse-qemu refuses
 * this controller on QEMU older than 10.0, the oldest measured to work
 * (8.x and 9.x are not measured; the named intercept is in qtest since
 * 8.2).  The AST2600's 1.8 V controller (aspeed.gpio-ast2600-1_8v) and
 * the AST2400/2500/2700/1030 ones lay their pins and registers out
 * otherwise and are not driven.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define ASPEED_SETS 7
#define ASPEED_LINES 208
/* the oldest QEMU whose qtest intercepts named GPIO lists, as measured */
#define ASPEED_QEMU_MIN 100000

/* Data and direction register of each set of 32 pins (YZ has 16). */
static const uint16_t set_data[ASPEED_SETS] = { 0x000, 0x020, 0x070, 0x078, 0x080, 0x088, 0x1e0 };
static const uint16_t set_dir[ASPEED_SETS] = { 0x004, 0x024, 0x074, 0x07c, 0x084, 0x08c, 0x1e4 };

struct aspeed {
	char props[ASPEED_LINES][8];	/* "gpioA0"... */
	/* one poll: the direction and data registers, set by set */
	uint32_t dir[ASPEED_SETS], data[ASPEED_SETS];
	int answers;
	int failed;
};

static const char *const aspeed_types[] = { "aspeed.gpio-ast2600", NULL };

/* Whether the qom-list answer @list has a bool property @name. */
static bool has_bool(json_t *list, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(list, i, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		const char *t = json_string_value(json_object_get(p, "type"));

		if (n && t && !strcmp(n, name) && !strcmp(t, "bool"))
			return true;
	}
	return false;
}

/* How many properties of @list look like a pin: "gpio" + letters + digit. */
static unsigned int count_pins(json_t *list)
{
	unsigned int count = 0;
	size_t i;
	json_t *p;

	json_array_foreach(list, i, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		const char *t = json_string_value(json_object_get(p, "type"));
		size_t len = n ? strlen(n) : 0;

		if (t && !strcmp(t, "bool") && len >= 6 && !strncmp(n, "gpio", 4) &&
		    n[4] >= 'A' && n[4] <= 'Z' && n[len - 1] >= '0' && n[len - 1] <= '7')
			count++;
	}
	return count;
}

static int aspeed_probe(struct bridge *b)
{
	struct aspeed *a = calloc(1, sizeof(*a));
	int version = qmp_get_version(b->qmp), irqs;
	uint64_t base;
	char err[256];
	json_t *list;
	unsigned int i, pins;

	if (!a)
		return bridge_error(b, "out of memory");
	b->priv = a;
	if (version < ASPEED_QEMU_MIN)
		return bridge_error(b, "%s: QEMU %d.%d.%d is too old for the ASPEED GPIO"
				    " controller: guse-qemu needs QEMU %d.%d or later (7.2's qtest"
				    " intercepts no named GPIO list: it answers, and no output ever"
				    " arrives; 8.x and 9.x are not measured)", b->path,
				    version / 10000, version / 100 % 100, version % 100,
				    ASPEED_QEMU_MIN / 10000, ASPEED_QEMU_MIN / 100 % 100);
	list = qmp_call(b->qmp, BRIDGE_CALL_MS, err, sizeof(err), "qom-list",
			json_pack("{s:s}", "path", b->path));
	if (!list)
		return bridge_error(b, "qom-list %s: %s", b->path, err);
	for (i = 0; i < ASPEED_LINES; i++) {
		snprintf(a->props[i], sizeof(a->props[i]), "gpio%c%u", 'A' + i / 8, i % 8);
		if (!has_bool(list, a->props[i])) {
			json_decref(list);
			return bridge_error(b, "%s has no pin property %s: not the AST2600 3.3 V"
					    " controller guse-qemu knows", b->path, a->props[i]);
		}
	}
	pins = count_pins(list);
	json_decref(list);
	irqs = qom_count_array(b, b->path, "sysbus-irq");
	if (irqs < 0)
		return -1;
	/* every IRQ number intercepted is checked against these */
	if (pins != ASPEED_LINES || irqs != ASPEED_LINES + 1)
		return bridge_error(b, "%s has %u pins and %d outputs, an AST2600 3.3 V"
				    " controller %d and %d", b->path, pins, irqs,
				    ASPEED_LINES, ASPEED_LINES + 1);
	b->num_lines = ASPEED_LINES;
	/* a qtest read elsewhere may crash QEMU (the AST2600's GIC does) */
	if (mtree_find_base(b, b->path, &base) < 0)
		return -1;
	if (b->base_given && b->base != base)
		return bridge_error(b, "--base 0x%" PRIx64 ": %s is at 0x%" PRIx64 " (guse-qemu"
				    " reads no other address: a qtest read of another device"
				    " can crash QEMU)", b->base, b->path, base);
	b->base = base;
	for (i = 0; i < ASPEED_LINES; i++)
		snprintf(b->names[i], GUSE_NAME_SIZE, "GPIO%c%u", 'A' + i / 8, i % 8);
	if (!b->label[0])
		snprintf(b->label, sizeof(b->label), "qemu-aspeed@%" PRIx64, b->base);
	return 0;
}

/* The registers of one poll, reported to the bridge. */
static void aspeed_report(struct bridge *b)
{
	struct aspeed *a = b->priv;

	for (unsigned int i = 0; i < ASPEED_LINES; i++) {
		uint32_t m = 1U << (i % 32);
		bool out = a->dir[i / 32] & m;

		bridge_guest_direction(b, i, out ? GUSE_LINE_DIRECTION_OUTPUT :
						   GUSE_LINE_DIRECTION_INPUT);
		/* an input's own level is the idle one: QEMU has no pulls */
		bridge_guest_level(b, i, out && (a->data[i / 32] & m));
	}
}

static int aspeed_attach(struct bridge *b)
{
	struct aspeed *a = b->priv;

	if (bridge_intercept_out(b, "sysbus-irq") < 0)
		return -1;
	for (unsigned int s = 0; s < ASPEED_SETS; s++)
		if (bridge_readl(b, b->base + set_dir[s], &a->dir[s]) < 0 ||
		    bridge_readl(b, b->base + set_data[s], &a->data[s]) < 0)
			return -1;
	/* a pin may already be high: the bridge starts from the registers */
	for (unsigned int i = 0; i < ASPEED_LINES; i++) {
		uint32_t m = 1U << (i % 32);

		b->lines[i].level = (a->dir[i / 32] & m) && (a->data[i / 32] & m);
	}
	aspeed_report(b);
	return 0;
}

static void aspeed_irq(struct bridge *b, unsigned int n, int level)
{
	/* 0 is the controller's interrupt to the guest's GIC */
	if (n == 0)
		return;
	if (n > ASPEED_LINES) {
		bridge_trace(b, "IRQ %u: not an ASPEED GPIO output", n);
		return;
	}
	bridge_guest_level(b, n - 1, level);
	/* the guest may have changed a direction first */
	bridge_poll_request(b);
}

static void aspeed_answer(void *arg, int ok, const char *text)
{
	struct bridge *b = arg;
	struct aspeed *a = b->priv;
	uint64_t v = 0;
	int n = a->answers++;

	if (ok != 1 || qtest_parse_value(text, &v) < 0) {
		if (ok >= 0)
			bridge_fatal(b, EPROTO, "reading the ASPEED GPIO registers: %s", text);
		a->failed = 1;
	}
	/* the answers come as sent: dir, data of set 0, then of set 1... */
	if (n % 2)
		a->data[n / 2] = v;
	else
		a->dir[n / 2] = v;
	if (a->answers < 2 * ASPEED_SETS)
		return;
	a->answers = 0;
	if (!a->failed)
		aspeed_report(b);
	a->failed = 0;
	bridge_poll_done(b);
}

static int aspeed_poll(struct bridge *b)
{
	for (unsigned int s = 0; s < ASPEED_SETS; s++)
		if (qtest_send(b->qt, aspeed_answer, b, "readl 0x%" PRIx64, b->base + set_dir[s]) < 0 ||
		    qtest_send(b->qt, aspeed_answer, b, "readl 0x%" PRIx64, b->base + set_data[s]) < 0)
			return -1;
	return 0;
}

static int aspeed_drive(struct bridge *b, unsigned int line, int level,
			bridge_done_fn done, void *arg)
{
	struct aspeed *a = b->priv;

	if (line >= ASPEED_LINES) {
		errno = EINVAL;
		return -1;
	}
	/* released: the pin reads 0 again, QEMU's reset level */
	return qom_set_bool(b, b->path, a->props[line], level > 0, done, arg);
}

static void aspeed_free(struct bridge *b)
{
	free(b->priv);
	b->priv = NULL;
}

const struct controller_ops aspeed_controller = {
	.name = "aspeed",
	.qom_types = aspeed_types,
	.probe = aspeed_probe,
	.attach = aspeed_attach,
	.irq = aspeed_irq,
	.poll = aspeed_poll,
	.drive = aspeed_drive,
	.free = aspeed_free,
};
