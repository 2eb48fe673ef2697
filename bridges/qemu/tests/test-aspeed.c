// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ASPEED controller (aspeed.c) against a fake QEMU serving QMP and
 * qtest on two socketpairs: the version refusal before any qtest command,
 * the probe (208 pins, names, base, a missing pin, a wrong --base), the
 * intercept and first register read, IRQ numbers (0 and out of range
 * ignored), a poll, and drives as QMP qom-set of the pin's property (with
 * its value).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bridge.h"
#include "check.h"


/* The fake QEMU: its version, registers, and what it was sent. */
static struct {
	int qmp_fd, qtest_fd;
	int major, minor;	/* its version */
	int drop_pin;		/* a pin property left out, -1 none */
	uint32_t regs[0x200 / 4];
	char qtest_log[8192];
	char qom_set[256];	/* the last qom-set: "gpioE2=true" */
} fake;

static void put(int fd, const char *s)
{
	size_t n = strlen(s);

	CHECK(write(fd, s, n) == (ssize_t)n);
}

static json_t *qom_list(void)
{
	json_t *a = json_array();
	char name[32];

	json_array_append_new(a, json_pack("{s:s, s:s}", "name", "type", "type", "string"));
	for (int i = 0; i < 208; i++) {
		if (i == fake.drop_pin)
			continue;
		snprintf(name, sizeof(name), "gpio%c%d", 'A' + i / 8, i % 8);
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", name, "type", "bool"));
	}
	for (int i = 0; i < 209; i++) {
		snprintf(name, sizeof(name), "sysbus-irq[%d]", i);
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", name, "type", "link<irq>"));
	}
	return a;
}

static void qmp_answer(const char *line)
{
	json_t *m = json_loads(line, 0, NULL), *ret = NULL, *args, *out;
	const char *cmd = json_string_value(json_object_get(m, "execute"));
	char *text;

	args = json_object_get(m, "arguments");
	if (cmd && !strcmp(cmd, "qom-list")) {
		ret = qom_list();
	} else if (cmd && !strcmp(cmd, "human-monitor-command")) {
		ret = json_string("address-space: memory\r\n"
				  "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\r\n"
				  "    000000001e780000-000000001e7807ff (prio 0, i/o): aspeed.gpio-ast2600"
				  " owner:{dev path=/machine/soc/gpio}\r\n");
	} else if (cmd && !strcmp(cmd, "qom-set")) {
		json_t *v = json_object_get(args, "value");

		snprintf(fake.qom_set, sizeof(fake.qom_set), "%s=%s",
			 json_string_value(json_object_get(args, "property")),
			 json_is_true(v) ? "true" : json_is_false(v) ? "false" : "?");
		ret = json_object();
	} else {
		ret = json_object();
	}
	out = json_pack("{s:o, s:O}", "return", ret, "id", json_object_get(m, "id"));
	text = json_dumps(out, JSON_COMPACT);
	put(fake.qmp_fd, text);
	put(fake.qmp_fd, "\r\n");
	free(text);
	json_decref(out);
	json_decref(m);
}

static void qtest_answer(const char *line)
{
	unsigned long long addr;
	char buf[64];

	snprintf(fake.qtest_log + strlen(fake.qtest_log),
		 sizeof(fake.qtest_log) - strlen(fake.qtest_log), "%s|", line);
	if (sscanf(line, "readl 0x%llx", &addr) == 1 && addr >= 0x1e780000 &&
	    addr < 0x1e780200) {
		snprintf(buf, sizeof(buf), "OK 0x%08x\n", fake.regs[(addr - 0x1e780000) / 4]);
		put(fake.qtest_fd, buf);
	} else if (!strncmp(line, "irq_intercept_out ", 18)) {
		put(fake.qtest_fd, "OK\n");
	} else {
		put(fake.qtest_fd, "FAIL unknown\n");
	}
}

/* Serve both sockets, a line at a time, until both close. */
static void *fake_qemu(void *arg)
{
	char qbuf[65536], tbuf[4096];
	size_t qlen = 0, tlen = 0;
	char greeting[256];

	(void)arg;
	snprintf(greeting, sizeof(greeting), "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0,"
		 " \"minor\": %d, \"major\": %d}, \"package\": \"\"}, \"capabilities\": []}}\r\n",
		 fake.minor, fake.major);
	put(fake.qmp_fd, greeting);
	for (;;) {
		struct pollfd p[2] = { { fake.qmp_fd, POLLIN, 0 }, { fake.qtest_fd, POLLIN, 0 } };
		char *nl;
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			break;
		if (p[0].revents) {
			n = read(fake.qmp_fd, qbuf + qlen, sizeof(qbuf) - 1 - qlen);
			if (n <= 0)
				break;
			qlen += n;
			qbuf[qlen] = '\0';
			while ((nl = strchr(qbuf, '\n'))) {
				*nl = '\0';
				qmp_answer(qbuf);
				qlen -= nl + 1 - qbuf;
				memmove(qbuf, nl + 1, qlen + 1);
			}
		}
		if (p[1].revents) {
			n = read(fake.qtest_fd, tbuf + tlen, sizeof(tbuf) - 1 - tlen);
			if (n <= 0)
				break;
			tlen += n;
			tbuf[tlen] = '\0';
			while ((nl = strchr(tbuf, '\n'))) {
				*nl = '\0';
				qtest_answer(tbuf);
				tlen -= nl + 1 - tbuf;
				memmove(tbuf, nl + 1, tlen + 1);
			}
		}
	}
	return NULL;
}

static struct bridge bridge;
static pthread_t thread;

/* A bridge connected to a fake QEMU @major.@minor, without pin @drop_pin. */
static struct bridge *start(int major, int minor, int drop_pin)
{
	struct bridge *b = &bridge;
	int qs[2], ts[2];
	char err[256];

	memset(b, 0, sizeof(*b));
	memset(&fake, 0, sizeof(fake));
	for (unsigned int i = 0; i < BRIDGE_LINES_MAX; i++) {
		b->lines[i].guest_dir = GUSE_LINE_DIRECTION_INPUT;
		b->lines[i].host_drive = -1;
	}
	fake.major = major;
	fake.minor = minor;
	fake.drop_pin = drop_pin;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, qs) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, ts) == 0);
	fake.qmp_fd = qs[1];
	fake.qtest_fd = ts[1];
	CHECK(pthread_create(&thread, NULL, fake_qemu, NULL) == 0);
	b->qmp = qmp_connect_fd(qs[0], 2000, err, sizeof(err));
	b->qt = qtest_new_fd(ts[0]);
	CHECK(b->qmp && b->qt);
	b->ops = &aspeed_controller;
	snprintf(b->path, sizeof(b->path), "/machine/soc/gpio");
	return b;
}

static void stop(struct bridge *b)
{
	bridge_destroy(b);
	close(fake.qmp_fd);
	close(fake.qtest_fd);
	pthread_join(thread, NULL);
}

static void done(struct bridge *b, void *arg, int err)
{
	(void)b;
	*(int *)arg = err ? err : -1;
}

/* Dispatch QMP until *@flag is set. */
static void wait_qmp(struct bridge *b, int *flag)
{
	for (int i = 0; i < 200 && !*flag; i++) {
		struct pollfd p = { qmp_get_fd(b->qmp), POLLIN, 0 };

		if (poll(&p, 1, 10) > 0 && qmp_dispatch(b->qmp) < 0)
			break;
	}
}

static void test_old_qemu(void)
{
	struct bridge *b = start(7, 2, -1);

	CHECK(aspeed_controller.probe(b) == -1);
	CHECK(strstr(b->err, "QEMU 7.2.0") && strstr(b->err, "needs QEMU 10.0 or later"));
	/* nothing went to qtest */
	CHECK(fake.qtest_log[0] == '\0');
	stop(b);
}

static void test_missing_pin(void)
{
	struct bridge *b = start(10, 0, 207);

	CHECK(aspeed_controller.probe(b) == -1);
	CHECK(strstr(b->err, "no pin property gpioZ7") != NULL);
	stop(b);
}

/* A --base other than the memory map's: refused before any qtest read. */
static void test_wrong_base(void)
{
	struct bridge *b = start(10, 0, -1);

	b->base = 0x40461000;
	b->base_given = true;
	CHECK(aspeed_controller.probe(b) == -1);
	CHECK(strstr(b->err, "--base 0x40461000: /machine/soc/gpio is at 0x1e780000") != NULL);
	CHECK(fake.qtest_log[0] == '\0');
	stop(b);
}

static void test_bridge(void)
{
	struct bridge *b = start(10, 0, -1);
	int flag = 0;

	CHECK(aspeed_controller.probe(b) == 0);
	CHECK(b->num_lines == 208);
	CHECK(b->base == 0x1e780000);
	CHECK(!strcmp(b->label, "qemu-aspeed@1e780000"));
	CHECK(!strcmp(b->names[0], "GPIOA0") && !strcmp(b->names[34], "GPIOE2") &&
	      !strcmp(b->names[198], "GPIOY6") && !strcmp(b->names[207], "GPIOZ7"));

	/* A0, B1 outputs (A0 high); E2 an input the host drives high; Z7 high */
	fake.regs[0x004 / 4] = 0x201;
	fake.regs[0x000 / 4] = 0x001;
	fake.regs[0x020 / 4] = 0x004;
	fake.regs[0x1e4 / 4] = 0x8000;
	fake.regs[0x1e0 / 4] = 0x8000;
	CHECK(aspeed_controller.attach(b) == 0);
	CHECK(!strncmp(fake.qtest_log, "irq_intercept_out /machine/soc/gpio sysbus-irq|", 47));
	CHECK(strstr(fake.qtest_log, "readl 0x1e7801e4|readl 0x1e7801e0|") != NULL);
	CHECK(b->lines[0].guest_dir == GUSE_LINE_DIRECTION_OUTPUT && b->lines[0].level == 1);
	CHECK(b->lines[9].guest_dir == GUSE_LINE_DIRECTION_OUTPUT && b->lines[9].level == 0);
	/* an input's line reads its idle level, 0 */
	CHECK(b->lines[34].guest_dir == GUSE_LINE_DIRECTION_INPUT && b->lines[34].level == 0);
	CHECK(b->lines[207].guest_dir == GUSE_LINE_DIRECTION_OUTPUT && b->lines[207].level == 1);

	/* IRQ N is pin N - 1; 0 (the controller's interrupt) and 209 are no pin */
	b->fatal = ESHUTDOWN;	/* no poll yet */
	aspeed_controller.irq(b, 0, 1);
	aspeed_controller.irq(b, 209, 1);
	aspeed_controller.irq(b, 10, 1);
	CHECK(b->lines[9].level == 1);
	CHECK(b->lines[208].level == 0);
	b->fatal = 0;

	/* a poll: Y6 became an output driving 1, which raises no IRQ */
	fake.regs[0x1e4 / 4] = 0x8040;
	fake.regs[0x1e0 / 4] = 0x8040;
	bridge_poll_request(b);
	for (int i = 0; i < 200 && b->polling; i++) {
		struct pollfd p = { qtest_get_fd(b->qt), POLLIN, 0 };

		if (poll(&p, 1, 10) > 0 && qtest_dispatch(b->qt) < 0)
			break;
	}
	CHECK(!b->polling);
	CHECK(b->lines[198].guest_dir == GUSE_LINE_DIRECTION_OUTPUT && b->lines[198].level == 1);

	/* drives: the pin's property with its value; a release sets it to 0 */
	errno = 0;
	CHECK(aspeed_controller.drive(b, 208, 1, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(aspeed_controller.drive(b, 34, 1, done, &flag) == 0);
	wait_qmp(b, &flag);
	CHECK(flag == -1 && !strcmp(fake.qom_set, "gpioE2=true"));
	flag = 0;
	CHECK(aspeed_controller.drive(b, 34, -1, done, &flag) == 0);
	wait_qmp(b, &flag);
	CHECK(flag == -1 && !strcmp(fake.qom_set, "gpioE2=false"));
	stop(b);
}

int main(void)
{
	test_old_qemu();
	test_missing_pin();
	test_wrong_base();
	test_bridge();
	return check_status("test-aspeed");
}
