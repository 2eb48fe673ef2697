// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest client against a fake QEMU on a socketpair: line parsing,
 * answers matched to commands in order across split reads, IRQ lines in
 * between, protocol errors and the end of the connection failing every
 * waiting command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../qtest.h"
#include "check.h"


static void test_parse(void)
{
	struct qtest_line l;
	uint64_t v;

	CHECK(qtest_parse_line("OK", &l) == QTEST_LINE_OK && !strcmp(l.text, ""));
	CHECK(qtest_parse_line("OK 0x0000000000000083", &l) == QTEST_LINE_OK &&
	      !strcmp(l.text, "0x0000000000000083"));
	CHECK(qtest_parse_line("OK little", &l) == QTEST_LINE_OK && !strcmp(l.text, "little"));
	CHECK(qtest_parse_line("FAIL Unknown device", &l) == QTEST_LINE_FAIL &&
	      !strcmp(l.text, "Unknown device"));
	CHECK(qtest_parse_line("FAIL", &l) == QTEST_LINE_FAIL && !strcmp(l.text, ""));
	CHECK(qtest_parse_line("ERR invalid argument size", &l) == QTEST_LINE_FAIL &&
	      !strcmp(l.text, "invalid argument size"));
	CHECK(qtest_parse_line("IRQ raise 3", &l) == QTEST_LINE_IRQ && l.irq == 3 && l.level == 1);
	CHECK(qtest_parse_line("IRQ lower 255", &l) == QTEST_LINE_IRQ && l.irq == 255 && l.level == 0);
	CHECK(qtest_parse_line("IRQ raise 2147483647", &l) == QTEST_LINE_IRQ);
	/* what QEMU does not send */
	CHECK(qtest_parse_line("IRQ raise 2147483648", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise 99999999999999999999", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise ", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise -1", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise +1", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise 3x", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ raise 3 4", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("IRQ up 3", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("OKAY", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("FAILED", &l) == QTEST_LINE_BAD);
	CHECK(qtest_parse_line("", &l) == QTEST_LINE_BAD);

	CHECK(qtest_parse_value("0x0000000000000083", &v) == 0 && v == 0x83);
	CHECK(qtest_parse_value("0xffffffffffffffff", &v) == 0 && v == UINT64_MAX);
	CHECK(qtest_parse_value("0x1F", &v) == 0 && v == 0x1f);
	CHECK(qtest_parse_value("0x", &v) < 0);
	CHECK(qtest_parse_value("83", &v) < 0);
	CHECK(qtest_parse_value("0x8g", &v) < 0);
	CHECK(qtest_parse_value("0x-1", &v) < 0);
	CHECK(qtest_parse_value("0x10000000000000000", &v) < 0);
	CHECK(qtest_parse_value("", &v) < 0);
}

/* What the callbacks saw, in order. */
static char seen[1024];

static void note(const char *fmt, const char *a, int b)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), fmt, a, b);
	strncat(seen, tmp, sizeof(seen) - strlen(seen) - 1);
}

static void on_reply(void *arg, int ok, const char *text)
{
	note("[%s:%d:", arg, ok);
	note("%s]", text, 0);
}

static void on_irq(void *arg, unsigned int irq, int level)
{
	(void)arg;
	note("<%s%d>", level ? "+" : "-", irq);
}

/* Read what the client wrote, exactly @n bytes. */
static void expect_sent(int fd, const char *want)
{
	char buf[512] = "";
	size_t n = strlen(want), got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			break;
		got += r;
	}
	buf[got] = '\0';
	if (strcmp(buf, want))
		fprintf(stderr, "sent '%s', expected '%s'\n", buf, want);
	CHECK(!strcmp(buf, want));
}

/* The fake QEMU's end: never blocks a failing test for long. */
static int peer_socketpair(int sv[2])
{
	struct timeval tv = { .tv_sec = 2 };

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	return setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void test_stream(void)
{
	const char *answers = "IRQ raise 0\nOK\r\nIRQ lower 0\nOK 0x0000000000000083\n"
			      "FAIL Unknown device\nIRQ raise 7\n";
	struct qtest *qt;
	int sv[2];

	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	CHECK(qt != NULL);
	qtest_set_irq_handler(qt, on_irq, NULL);
	CHECK(qtest_send(qt, on_reply, "a", "set_irq_in %s unnamed-gpio-in %u %d", "/m/d", 2, 1) == 0);
	CHECK(qtest_send(qt, on_reply, "b", "readl 0x%x", 0x9030400) == 0);
	CHECK(qtest_send(qt, on_reply, "c", "irq_intercept_out /nosuch") == 0);
	CHECK(qtest_pending(qt) == 3);
	CHECK(qtest_send(qt, on_reply, "x", "two\nlines") < 0 && errno == EINVAL);
	CHECK(qtest_pending(qt) == 3);
	expect_sent(sv[1], "set_irq_in /m/d unnamed-gpio-in 2 1\nreadl 0x9030400\n"
		    "irq_intercept_out /nosuch\n");
	/* the answers one byte at a time: lines cut anywhere */
	for (const char *p = answers; *p; p++) {
		CHECK(write(sv[1], p, 1) == 1);
		CHECK(qtest_dispatch(qt) == 0);
	}
	CHECK(!strcmp(seen, "<+0>[a:1:]<-0>[b:1:0x0000000000000083][c:0:Unknown device]<+7>"));
	if (strcmp(seen, "<+0>[a:1:]<-0>[b:1:0x0000000000000083][c:0:Unknown device]<+7>"))
		fprintf(stderr, "seen %s\n", seen);
	CHECK(qtest_pending(qt) == 0);

	/* a line QEMU never sends ends the connection; waiting commands fail */
	seen[0] = '\0';
	CHECK(qtest_send(qt, on_reply, "d", "readl 0") == 0);
	CHECK(write(sv[1], "garbage\n", 8) == 8);
	CHECK(qtest_dispatch(qt) < 0 && errno == EPROTO);
	CHECK(!strncmp(seen, "[d:-1:", 6));
	CHECK(qtest_send(qt, on_reply, "e", "readl 0") < 0 && errno == EPIPE);
	qtest_free(qt);
	close(sv[1]);
}

static void test_end(void)
{
	char big[QTEST_LINE_MAX + 16];
	struct qtest *qt;
	int sv[2];

	/* QEMU goes away with commands waiting */
	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	seen[0] = '\0';
	CHECK(qtest_send(qt, on_reply, "f", "readl 0") == 0);
	CHECK(qtest_send(qt, on_reply, "g", "readl 4") == 0);
	close(sv[1]);
	CHECK(qtest_dispatch(qt) < 0 && errno == ECONNRESET);
	CHECK(!strncmp(seen, "[f:-1:", 6) && strstr(seen, "[g:-1:"));
	qtest_free(qt);

	/*
	 * QEMU gone before the command is written: it is queued (0), and its
	 * callback alone reports the failure, once (guse-qemu answered a host
	 * request twice and freed it when this also returned -1)
	 */
	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	seen[0] = '\0';
	close(sv[1]);
	CHECK(qtest_send(qt, on_reply, "i", "readl 0") == 0);
	CHECK(!strncmp(seen, "[i:-1:", 6) && !strstr(seen + 1, "[i:"));
	CHECK(qtest_pending(qt) == 0);
	CHECK(qtest_send(qt, on_reply, "j", "readl 0") < 0 && errno == EPIPE);
	CHECK(!strstr(seen, "[j:"));
	qtest_free(qt);

	/* a line longer than any answer */
	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	memset(big, 'O', sizeof(big));
	CHECK(write(sv[1], big, sizeof(big)) == (ssize_t)sizeof(big));
	CHECK(qtest_dispatch(qt) < 0 && errno == EPROTO);
	qtest_free(qt);
	close(sv[1]);

	/* commands still waiting when the client is freed learn it */
	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	seen[0] = '\0';
	CHECK(qtest_send(qt, on_reply, "h", "readl 0") == 0);
	qtest_free(qt);
	CHECK(!strncmp(seen, "[h:-1:", 6));
	close(sv[1]);
}

static void test_call(void)
{
	struct qtest *qt;
	char buf[64];
	int sv[2];

	CHECK(peer_socketpair(sv) == 0);
	qt = qtest_new_fd(sv[0]);
	seen[0] = '\0';
	qtest_set_irq_handler(qt, on_irq, NULL);
	/* the answer is waiting in the socket before the command is sent */
	CHECK(write(sv[1], "IRQ raise 1\nOK little\n", 22) == 22);
	CHECK(qtest_call(qt, 1000, buf, sizeof(buf), "endianness") == 1 && !strcmp(buf, "little"));
	CHECK(!strcmp(seen, "<+1>"));
	CHECK(write(sv[1], "FAIL Unknown command 'x'\n", 25) == 25);
	CHECK(qtest_call(qt, 1000, buf, sizeof(buf), "x") == 0 && !strcmp(buf, "Unknown command 'x'"));
	expect_sent(sv[1], "endianness\nx\n");
	/* no answer: a timeout, after which the stream cannot be trusted */
	CHECK(qtest_call(qt, 50, buf, sizeof(buf), "readl 0") < 0 && errno == ETIMEDOUT);
	CHECK(qtest_send(qt, NULL, NULL, "readl 0") < 0 && errno == EPIPE);
	qtest_free(qt);
	close(sv[1]);
}

int main(void)
{
	test_parse();
	test_stream();
	test_end();
	test_call();
	if (!failures)
		printf("test-qtest: all checks passed\n");
	return check_status("test-qtest");
}
