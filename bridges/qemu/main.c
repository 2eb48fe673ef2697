// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-qemu: a stock QEMU's emulated GPIO controller as a host GPIO chip,
 * through QEMU's qtest protocol and QMP (see guse-qemu(1)).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

const struct controller_ops *const controllers[] = {
	&pl061_controller,
	&aspeed_controller,
	NULL,
};

static struct {
	const char *qtest, *qmp, *path, *controller, *names;
	int poll_ms;
	bool resume;
} opt = { .poll_ms = 50 };

static void usage(FILE *f)
{
	fputs("usage: guse-qemu --qmp PATH [--qtest PATH] [OPTIONS]\n"
"Bridge a QEMU emulated GPIO controller to a host GPIO chip.\n"
"  -m, --qmp PATH          QEMU's QMP socket (-qmp unix:PATH,server=on,wait=off)\n"
"  -t, --qtest PATH        QEMU's qtest socket (-qtest unix:PATH,server=on,wait=off);\n"
"                          without it one is added to the running QEMU over QMP\n"
"  -p, --path QOM-PATH     the controller (default: found by type under /machine)\n"
"  -c, --controller NAME   the controller model: pl061, aspeed (default: any known)\n"
"  -b, --base ADDR         register base (default: from QEMU's memory map)\n"
"  -l, --label LABEL       chip label (default: qemu-CONTROLLER@BASE)\n"
"  -N, --line-names A,B,.. host line names in line order\n"
"  -i, --poll-ms MS        read the direction registers this often (default 50)\n"
"  -r, --resume            start a QEMU paused by -S once the chip is up\n"
"  -v, --verbose           trace the traffic on standard error\n"
"  -h, --help, -V, --version\n", f);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A QOM path goes into qtest's space-separated words: nothing else may. */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= 256)
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* The controller driving QOM type @type, or NULL (b->err says why). */
static const struct controller_ops *controller_for(struct bridge *b, const char *type)
{
	for (const struct controller_ops *const *c = controllers; *c; c++) {
		if (opt.controller && strcmp(opt.controller, (*c)->name))
			continue;
		for (const char *const *t = (*c)->qom_types; *t; t++) {
			int r = qom_type_is(b, type, *t);

			if (r < 0)
				return NULL;
			if (r)
				return *c;
		}
	}
	bridge_error(b, "%s is a %s, not a GPIO controller guse-qemu drives%s%s", b->path,
		     type, opt.controller ? " as " : "", opt.controller ? opt.controller : "");
	return NULL;
}

/* Find the controller: the given path, or the only one of a known type. */
static int find_controller(struct bridge *b)
{
	char found[8][256];
	const char *types[16];
	char list[8 * 257 + 1] = "";
	int n = 0, count;

	if (opt.path) {
		if (!path_ok(opt.path))
			return bridge_error(b, "bad QOM path '%s'", opt.path);
		snprintf(b->path, sizeof(b->path), "%s", opt.path);
		if (qom_get_type(b, b->path, b->type, sizeof(b->type)) < 0)
			return -1;
		b->ops = controller_for(b, b->type);
		return b->ops ? 0 : -1;
	}
	for (const struct controller_ops *const *c = controllers; *c; c++) {
		if (opt.controller && strcmp(opt.controller, (*c)->name))
			continue;
		for (const char *const *t = (*c)->qom_types; *t && n < 15; t++)
			types[n++] = *t;
	}
	types[n] = NULL;
	if (!n)
		return bridge_error(b, "unknown controller %s", opt.controller);
	count = qom_find(b, types, found, 8);
	if (count < 0)
		return -1;
	if (count == 0) {
		char machine[64] = "?";

		qom_get_type(b, "/machine", machine, sizeof(machine));
		return bridge_error(b, "no %s controller under /machine (machine %s)",
				    opt.controller ? opt.controller : "known GPIO (pl061, aspeed)",
				    machine);
	}
	if (count > 1) {
		for (int i = 0; i < count && i < 8; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s", found[i]);
		return bridge_error(b, "%d GPIO controllers:%s; choose one with --path",
				    count, list);
	}
	snprintf(b->path, sizeof(b->path), "%s", found[0]);
	if (!path_ok(b->path))
		return bridge_error(b, "QOM path '%s' cannot be sent over qtest", b->path);
	if (qom_get_type(b, b->path, b->type, sizeof(b->type)) < 0)
		return -1;
	b->ops = controller_for(b, b->type);
	return b->ops ? 0 : -1;
}

/* No qtest socket given: add a qtest server to the running QEMU. */
static int add_qtest(struct bridge *b, char *dir, char *sock)
{
	char err[256];
	json_t *r;

	strcpy(dir, "/tmp/guse-qemu.XXXXXX");
	if (!mkdtemp(dir))
		return bridge_error(b, "mkdtemp: %s", strerror(errno));
	snprintf(sock, 108, "%s/qtest.sock", dir);
	r = qmp_call(b->qmp, BRIDGE_CALL_MS, err, sizeof(err), "chardev-add",
		     json_pack("{s:s, s:{s:s, s:{s:{s:s, s:{s:s}}, s:b, s:b}}}",
			       "id", "guse-qemu-qtest", "backend", "type", "socket",
			       "data", "addr", "type", "unix", "data", "path", sock,
			       "server", 1, "wait", 0));
	if (!r)
		return bridge_error(b, "chardev-add: %s", err);
	json_decref(r);
	r = qmp_call(b->qmp, BRIDGE_CALL_MS, err, sizeof(err), "object-add",
		     json_pack("{s:s, s:s, s:s, s:s}", "qom-type", "qtest",
			       "id", "guse-qemu-qtest", "chardev", "guse-qemu-qtest",
			       "log", "/dev/null"));
	if (!r)
		return bridge_error(b, "object-add qtest: %s%s", err,
				    strstr(err, "one instance") ?
				    " (QEMU has a qtest socket: give it with --qtest)" : "");
	json_decref(r);
	return 0;
}

static int connect_qemu(struct bridge *b)
{
	char err[256], dir[64] = "", sock[108] = "", buf[64];
	int r;

	b->qmp = qmp_connect(opt.qmp, BRIDGE_CALL_MS, err, sizeof(err));
	if (!b->qmp)
		return bridge_error(b, "QMP: %s", err);
	if (!opt.qtest && add_qtest(b, dir, sock) < 0)
		return -1;
	b->qt = qtest_connect(opt.qtest ? opt.qtest : sock);
	r = errno;
	if (dir[0]) {
		/* nobody else gets to connect to it */
		unlink(sock);
		rmdir(dir);
	}
	if (!b->qt)
		return bridge_error(b, "cannot connect to the qtest socket %s: %s",
				    opt.qtest ? opt.qtest : sock, strerror(r));
	/* a harmless command: is QEMU answering this connection? */
	r = qtest_call(b->qt, BRIDGE_CALL_MS, buf, sizeof(buf), "endianness");
	if (r != 1)
		return bridge_error(b, "no answer on the qtest socket (%s): is another"
				    " qtest client connected?", r < 0 ? strerror(errno) : buf);
	return 0;
}

static void on_irq(void *arg, unsigned int irq, int level)
{
	struct bridge *b = arg;

	bridge_trace(b, "qtest: IRQ %s %u", level ? "raise" : "lower", irq);
	b->ops->irq(b, irq, level);
}

static void on_event(void *arg, const char *event, json_t *data)
{
	struct bridge *b = arg;

	(void)data;
	bridge_trace(b, "qmp: event %s", event);
	if (!strcmp(event, "RESET"))
		bridge_poll_request(b);
}

static int set_names(struct bridge *b)
{
	const char *p = opt.names;
	unsigned int i = 0;

	while (p && i < b->num_lines) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n >= GUSE_NAME_SIZE)
			return bridge_error(b, "line name '%.*s' too long", (int)n, p);
		memcpy(b->names[i], p, n);
		b->names[i][n] = '\0';
		i++;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* Serve until QEMU goes away (0), a signal (0) or a failure (1). */
/* QEMU went away: its socket was closed under a read, or under a write */
static bool qemu_gone(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

static int serve(struct bridge *b, int sfd)
{
	long long next_poll = now_ms() + opt.poll_ms;

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = guse_chip_get_fd(b->chip), .events = POLLIN },
			{ .fd = qtest_get_fd(b->qt), .events = POLLIN },
			{ .fd = qmp_get_fd(b->qmp), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		long long left = next_poll - now_ms();

		if (qtest_wants_write(b->qt))
			p[1].events |= POLLOUT;
		if (qmp_wants_write(b->qmp))
			p[2].events |= POLLOUT;
		if (poll(p, 4, left > 0 ? (int)left : 0) < 0 && errno != EINTR) {
			perror("guse-qemu: poll");
			return 1;
		}
		if (p[3].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				fprintf(stderr, "guse-qemu: %s: removing %s\n",
					strsignal(si.ssi_signo), guse_chip_get_name(b->chip));
				return 0;
			}
		}
		if (p[1].revents && qtest_dispatch(b->qt) < 0) {
			if (!qemu_gone(errno)) {
				fprintf(stderr, "guse-qemu: qtest: %s\n", strerror(errno));
				return 1;
			}
			fprintf(stderr, "guse-qemu: QEMU closed the qtest connection: removing %s\n",
				guse_chip_get_name(b->chip));
			return 0;
		}
		if (p[2].revents && qmp_dispatch(b->qmp) < 0) {
			if (errno != ECONNRESET) {
				fprintf(stderr, "guse-qemu: QMP: %s\n", strerror(errno));
				return 1;
			}
			fprintf(stderr, "guse-qemu: QEMU closed the QMP connection: removing %s\n",
				guse_chip_get_name(b->chip));
			return 0;
		}
		if (p[0].revents && guse_chip_dispatch(b->chip) < 0) {
			fprintf(stderr, "guse-qemu: %s: %s\n", guse_chip_get_name(b->chip),
				strerror(errno));
			return 1;
		}
		if (now_ms() >= next_poll) {
			bridge_poll_request(b);
			next_poll = now_ms() + opt.poll_ms;
		}
		bridge_sync(b);
		if (b->fatal) {
			/* a write found QEMU gone before a read did */
			if (qemu_gone(qtest_failed(b->qt))) {
				fprintf(stderr, "guse-qemu: QEMU closed the qtest connection: removing %s\n",
					guse_chip_get_name(b->chip));
				return 0;
			}
			fprintf(stderr, "guse-qemu: %s\n", b->err);
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qmp", required_argument, NULL, 'm' },
		{ "qtest", required_argument, NULL, 't' },
		{ "path", required_argument, NULL, 'p' },
		{ "controller", required_argument, NULL, 'c' },
		{ "base", required_argument, NULL, 'b' },
		{ "label", required_argument, NULL, 'l' },
		{ "line-names", required_argument, NULL, 'N' },
		{ "poll-ms", required_argument, NULL, 'i' },
		{ "resume", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bridge bridge;
	struct bridge *b = &bridge;
	sigset_t sigs;
	char *end;
	int c, sfd, ret;

	while ((c = getopt_long(argc, argv, "m:t:p:c:b:l:N:i:rvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': opt.qmp = optarg; break;
		case 't': opt.qtest = optarg; break;
		case 'p': opt.path = optarg; break;
		case 'c': opt.controller = optarg; break;
		case 'N': opt.names = optarg; break;
		case 'r': opt.resume = true; break;
		case 'v': b->verbose++; break;
		case 'b':
			errno = 0;
			b->base = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				fprintf(stderr, "guse-qemu: bad address '%s'\n", optarg);
				return 2;
			}
			b->base_given = true;
			break;
		case 'l':
			if (!*optarg || strlen(optarg) >= GUSE_NAME_SIZE) {
				fprintf(stderr, "guse-qemu: the label needs 1 to %d characters\n",
					GUSE_NAME_SIZE - 1);
				return 2;
			}
			snprintf(b->label, sizeof(b->label), "%s", optarg);
			break;
		case 'i':
			opt.poll_ms = strtol(optarg, &end, 10);
			if (*end || opt.poll_ms < 1 || opt.poll_ms > 60000) {
				fprintf(stderr, "guse-qemu: --poll-ms wants 1 to 60000\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("guse-qemu %s (libguse %s)\n", PACKAGE_VERSION, guse_version_string());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !opt.qmp) {
		usage(stderr);
		return 2;
	}
	if (opt.controller) {
		const struct controller_ops *const *k = controllers;

		while (*k && strcmp((*k)->name, opt.controller))
			k++;
		if (!*k) {
			fprintf(stderr, "guse-qemu: unknown controller %s (known: pl061, aspeed)\n",
				opt.controller);
			return 2;
		}
	}
	for (unsigned int i = 0; i < BRIDGE_LINES_MAX; i++) {
		b->lines[i].guest_dir = GUSE_LINE_DIRECTION_INPUT;
		b->lines[i].host_drive = -1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("guse-qemu: signalfd");
		return 1;
	}
	ret = 1;
	if (connect_qemu(b) < 0 || find_controller(b) < 0)
		goto out;
	qmp_set_event_handler(b->qmp, on_event, b);
	if (b->ops->probe(b) < 0 || set_names(b) < 0)
		goto out;
	qtest_set_irq_handler(b->qt, on_irq, b);
	if (b->ops->attach(b) < 0 || bridge_create_chip(b) < 0)
		goto out;
	printf("ready %s %s %s 0x%" PRIx64 " %u\n", guse_chip_get_name(b->chip),
	       b->label, b->path, b->base, b->num_lines);
	fflush(stdout);
	if (opt.resume) {
		char err[256];
		json_t *r = qmp_call(b->qmp, BRIDGE_CALL_MS, err, sizeof(err), "cont", NULL);

		if (!r) {
			bridge_error(b, "cont: %s", err);
			goto out;
		}
		json_decref(r);
	}
	ret = serve(b, sfd);
	b->err[0] = '\0';
out:
	if (b->err[0])
		fprintf(stderr, "guse-qemu: %s\n", b->err);
	bridge_destroy(b);
	close(sfd);
	return ret;
}
