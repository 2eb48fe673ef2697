// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests: guse_loop and guse_chip_run, exit from signals and threads. */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct guse_loop *sig_loop;
static struct guse_chip *sig_chip;

static void on_signal(int sig)
{
	(void)sig;
	if (sig_loop)
		guse_loop_exit(sig_loop);
	if (sig_chip)
		guse_chip_exit(sig_chip);
}

static struct guse_chip *new_chip(struct fk *fk, unsigned int n)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_chip *chip;

	guse_chip_config_set_num_lines(cfg, n);
	chip = fk_chip(fk, cfg, n, NULL, 0, NULL, NULL, 0);
	guse_chip_config_free(cfg);
	return chip;
}

struct driver {
	struct fk *fk;
	int nfk;
	pid_t pid;
	bool use_signal;
	struct guse_loop *loop;
	struct guse_chip *chip;
};

/* The "kernel" thread: sends requests to every chip, checks the replies,
 * then stops the loop from a signal (or directly). */
static void *driver_thread(void *arg)
{
	struct driver *d = arg;
	int i, k;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < d->nfk; i++) {
			struct guse_line l = pl_line((unsigned int)k);
			struct guse_direction dir = {
				.direction = htole32(GUSE_DIRECTION_INPUT) };

			fk_send(&d->fk[i], GUSE_OP_GET_DIRECTION, 10 + k, &l,
				sizeof(l));
			fk_expect(&d->fk[i], GUSE_OP_GET_DIRECTION, 10 + k, 0,
				  &dir, sizeof(dir));
		}
	}
	if (d->use_signal)
		kill(d->pid, SIGUSR1);
	else if (d->loop)
		guse_loop_exit(d->loop);
	else
		guse_chip_exit(d->chip);
	return NULL;
}

static void test_loop_two_chips_signal(void)
{
	struct fk fk[2];
	struct guse_chip *chip[2];
	struct driver d = { .fk = fk, .nfk = 2, .use_signal = true };
	struct sigaction sa;
	pthread_t t;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	/* the signal must hit the loop thread: block it elsewhere */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);

	chip[0] = new_chip(&fk[0], 4);
	chip[1] = new_chip(&fk[1], 70);
	d.loop = guse_loop_new();
	CHECK(d.loop);
	sig_loop = d.loop;
	d.pid = getpid();
	CHECK_EQ(guse_loop_add_chip(d.loop, chip[0]), 0);
	CHECK_EQ(guse_loop_add_chip(d.loop, chip[1]), 0);
	CHECK(guse_loop_add_chip(d.loop, chip[1]) < 0 && errno == EBUSY);

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&t, NULL, driver_thread, &d);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	CHECK_EQ(guse_loop_run(d.loop), 0);
	pthread_join(t, NULL);
	sig_loop = NULL;

	/* removing: the chip is not served any more */
	CHECK_EQ(guse_loop_remove_chip(d.loop, chip[1]), 0);
	CHECK(guse_loop_remove_chip(d.loop, chip[1]) < 0 && errno == ENOENT);
	/* exit before run: returns at once */
	guse_loop_exit(d.loop);
	CHECK_EQ(guse_loop_run(d.loop), 0);

	/* guse_chip_free removes the chip from its loop */
	guse_chip_free(chip[0]);
	guse_chip_free(chip[1]);
	guse_loop_free(d.loop);
	fk_close(&fk[0]);
	fk_close(&fk[1]);
	signal(SIGUSR1, SIG_DFL);
}

static void test_loop_exit_thread(void)
{
	struct fk fk;
	struct guse_chip *chip = new_chip(&fk, 8);
	struct driver d = { .fk = &fk, .nfk = 1 };
	pthread_t t;

	d.loop = guse_loop_new();
	guse_loop_add_chip(d.loop, chip);
	pthread_create(&t, NULL, driver_thread, &d);
	CHECK_EQ(guse_loop_run(d.loop), 0);
	pthread_join(t, NULL);
	guse_loop_free(d.loop);	/* chip still in it: must not crash */
	guse_chip_free(chip);
	fk_close(&fk);
}

static void test_loop_chip_gone(void)
{
	struct fk fk;
	struct guse_chip *chip = new_chip(&fk, 8);
	struct guse_loop *loop = guse_loop_new();

	guse_loop_add_chip(loop, chip);
	fk_close(&fk);
	CHECK(guse_loop_run(loop) < 0 && errno == ENODEV);
	guse_loop_remove_chip(loop, chip);
	guse_loop_free(loop);
	guse_chip_free(chip);
}

/* guse_loop_run() says which chip failed; the others keep working. */
static void test_loop_failed_chip(void)
{
	struct fk fk[2];
	struct guse_chip *chip[2];
	struct driver d = { .fk = fk, .nfk = 1 };
	struct guse_loop *loop = guse_loop_new();
	pthread_t t;

	chip[0] = new_chip(&fk[0], 4);
	chip[1] = new_chip(&fk[1], 4);
	CHECK_EQ(guse_loop_add_chip(loop, chip[0]), 0);
	CHECK_EQ(guse_loop_add_chip(loop, chip[1]), 0);
	CHECK(!guse_loop_get_failed_chip(loop));
	fk_close(&fk[1]);	/* the kernel side of chip 1 goes away */
	errno = 0;
	CHECK_EQ(guse_loop_run(loop), -1);
	CHECK_EQ(errno, ENODEV);
	CHECK(guse_loop_get_failed_chip(loop) == chip[1]);
	/* the server drops the failed chip; the loop serves the other */
	guse_chip_free(chip[1]);
	CHECK(!guse_loop_get_failed_chip(loop));
	d.loop = loop;
	pthread_create(&t, NULL, driver_thread, &d);
	CHECK_EQ(guse_loop_run(loop), 0);
	pthread_join(t, NULL);
	CHECK(!guse_loop_get_failed_chip(loop));
	guse_chip_free(chip[0]);
	guse_loop_free(loop);
	fk_close(&fk[0]);
}

/*
 * A chip that always has another message does not starve the others: chip
 * A's consumer callback queues the next CONSUMER message for A (up to
 * FLOOD), chip B has one request, whose callback stops the loop.
 */
#define FLOOD 5000

struct flood {
	struct fk *fk;
	int count, count_at_b;
	struct guse_loop *loop;
};

static void flood_consumer(struct guse_chip *chip, unsigned int line,
			   const char *consumer)
{
	struct flood *f = guse_chip_get_user_data(chip);
	struct guse_line_consumer lc = pl_consumer(line, consumer);

	if (++f->count < FLOOD)
		fk_send_raw(f->fk, 0, GUSE_OP_CONSUMER, GUSE_MSG_F_NOREPLY, 0,
			    0, &lc, sizeof(lc));
}

static void b_get_direction(struct guse_request *req, unsigned int line)
{
	struct flood *f = guse_request_get_user_data(req);

	(void)line;
	f->count_at_b = f->count;
	guse_loop_exit(f->loop);
	guse_reply_default(req);
}

static void test_loop_round_robin(void)
{
	static const struct guse_chip_ops a_ops = { .consumer = flood_consumer };
	static const struct guse_chip_ops b_ops = {
		.get_direction = b_get_direction };
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_line_consumer lc = pl_consumer(0, "flood");
	struct guse_line l0 = pl_line(0);
	struct guse_chip *a, *b;
	struct fk fk[2];
	struct flood f = { .fk = &fk[0], .count_at_b = -1 };

	f.loop = guse_loop_new();
	guse_chip_config_set_num_lines(cfg, 4);
	a = fk_chip(&fk[0], cfg, 4, &a_ops, sizeof(a_ops), &f, NULL, 0);
	b = fk_chip(&fk[1], cfg, 4, &b_ops, sizeof(b_ops), &f, NULL, 0);
	guse_chip_config_free(cfg);
	CHECK_EQ(guse_loop_add_chip(f.loop, a), 0);
	CHECK_EQ(guse_loop_add_chip(f.loop, b), 0);
	fk_send_raw(&fk[0], 0, GUSE_OP_CONSUMER, GUSE_MSG_F_NOREPLY, 0, 0, &lc,
		    sizeof(lc));
	fk_send(&fk[1], GUSE_OP_GET_DIRECTION, 1, &l0, sizeof(l0));
	CHECK_EQ(guse_loop_run(f.loop), 0);
	/* B was served after a bounded number of A's messages (at most two
	 * turns of A), not after all of them */
	CHECK(f.count_at_b >= 0);
	CHECK(f.count_at_b <= 64);
	CHECK(f.count < FLOOD);
	guse_chip_free(a);
	guse_chip_free(b);
	guse_loop_free(f.loop);
	fk_close(&fk[0]);
	fk_close(&fk[1]);
}

static void test_chip_run_signal(void)
{
	struct fk fk;
	struct guse_chip *chip = new_chip(&fk, 3);
	struct driver d = { .fk = &fk, .nfk = 1, .use_signal = true };
	struct sigaction sa;
	pthread_t t;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sig_chip = chip;
	d.pid = getpid();
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&t, NULL, driver_thread, &d);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	CHECK_EQ(guse_chip_run(chip), 0);
	pthread_join(t, NULL);
	sig_chip = NULL;

	/* exit from another thread, and exit before run */
	d.use_signal = false;
	d.chip = chip;
	pthread_create(&t, NULL, driver_thread, &d);
	CHECK_EQ(guse_chip_run(chip), 0);
	pthread_join(t, NULL);
	guse_chip_exit(chip);
	CHECK_EQ(guse_chip_run(chip), 0);

	fk_close(&fk);
	CHECK(guse_chip_run(chip) < 0 && errno == ENODEV);
	guse_chip_free(chip);
	signal(SIGUSR1, SIG_DFL);
}

struct rt {
	struct fk *fk;
	unsigned long n;
	bool wait_poll;
	bool poll_timeout;
	unsigned long before[FK_NR_MAX], after[FK_NR_MAX];
	struct guse_chip *chip;
};

static unsigned long nr_syscalls(int k)
{
	return __atomic_load_n(&fk_syscalls[k], __ATOMIC_RELAXED);
}

/*
 * Waits (up to 10 s) until the server has called poll() more than @seen
 * times; false if it never did.
 */
static bool wait_for_poll(unsigned long seen)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (nr_syscalls(FK_NR_POLL) > seen)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * The "kernel": @n requests, each sent once the last reply came and, with
 * @wait_poll, once the server has gone back to poll() (so that its read()
 * found nothing, whatever the scheduler does: valgrind's runs the server
 * until it blocks).
 */
static void *rt_thread(void *arg)
{
	struct rt *d = arg;
	struct guse_line l = pl_line(0);
	struct guse_direction dir = { .direction = htole32(GUSE_DIRECTION_INPUT) };
	unsigned long i, polls = 0;
	int k;

	for (i = 0; i < d->n; i++) {
		if (i == 1)	/* the first read() may be from before */
			for (k = 0; k < FK_NR_MAX; k++)
				d->before[k] = nr_syscalls(k);
		if (i >= 1 && d->wait_poll && !d->poll_timeout) {
			d->poll_timeout = !wait_for_poll(polls);
			polls = nr_syscalls(FK_NR_POLL);
		}
		fk_send(d->fk, GUSE_OP_GET_DIRECTION, 100 + i, &l, sizeof(l));
		fk_expect(d->fk, GUSE_OP_GET_DIRECTION, 100 + i, 0, &dir,
			  sizeof(dir));
	}
	for (k = 0; k < FK_NR_MAX; k++)
		d->after[k] = nr_syscalls(k);
	guse_chip_exit(d->chip);
	return NULL;
}

/*
 * guse_chip_run() makes no more system calls per request than a pipe echo:
 * one read() and one write() with a kernel that has GUSE_OP_WAKEUP (1.2),
 * exit from another thread included; with a 1.1 kernel it reads until
 * EAGAIN and then polls (and still exits).
 */
static void test_chip_run_syscalls(void)
{
	static const unsigned int versions[] = {
		GUSE_VERSION, GUSE_VERSION_MAJOR << 16 | 1,
	};
	unsigned int v;

	for (v = 0; v < ARRAY_SIZE(versions); v++) {
		struct fk fk;
		struct guse_chip *chip;
		struct rt d = { .fk = &fk, .n = 51 };
		pthread_t t;

		fk_ready_version = versions[v];
		chip = new_chip(&fk, 4);
		d.chip = chip;
		d.wait_poll = v == 1;
		pthread_create(&t, NULL, rt_thread, &d);
		CHECK_EQ(guse_chip_run(chip), 0);
		pthread_join(t, NULL);
		printf("# protocol 1.%u: %lu read(), %lu write(), %lu poll() for 50 requests\n",
		       versions[v] & 0xffff,
		       d.after[FK_NR_READ] - d.before[FK_NR_READ],
		       d.after[FK_NR_WRITE] - d.before[FK_NR_WRITE],
		       d.after[FK_NR_POLL] - d.before[FK_NR_POLL]);
		if (v == 0) {
			/*
			 * 50 requests: 50 read(), counted as they begin: 49
			 * when the one that returned request 1 had begun
			 * before the count, 51 when the one that waits for
			 * the next request began before the count ended
			 */
			CHECK(d.after[FK_NR_READ] - d.before[FK_NR_READ] >= 49 &&
			      d.after[FK_NR_READ] - d.before[FK_NR_READ] <= 51);
			CHECK_EQ(d.after[FK_NR_WRITE] - d.before[FK_NR_WRITE], 50);
			CHECK_EQ(d.after[FK_NR_POLL] - d.before[FK_NR_POLL], 0);
		} else {
			/*
			 * poll(), read(), write(), read() (EAGAIN): every
			 * request after the first found the server in poll()
			 */
			CHECK(!d.poll_timeout);
			CHECK(d.after[FK_NR_POLL] - d.before[FK_NR_POLL] >= 49);
			CHECK(d.after[FK_NR_READ] - d.before[FK_NR_READ] >= 98);
		}
		/* the file is as it was: non-blocking */
		CHECK(fcntl(fk.sfd, F_GETFL) & O_NONBLOCK);
		/* exit before run, then a run the next exit ends */
		guse_chip_exit(chip);
		CHECK_EQ(guse_chip_run(chip), 0);
		d.n = 2;
		d.wait_poll = false;
		pthread_create(&t, NULL, rt_thread, &d);
		CHECK_EQ(guse_chip_run(chip), 0);
		pthread_join(t, NULL);
		guse_chip_free(chip);
		fk_close(&fk);
	}
	fk_ready_version = GUSE_VERSION;
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "loop_two_chips_signal", test_loop_two_chips_signal },
		{ "loop_exit_thread", test_loop_exit_thread },
		{ "loop_chip_gone", test_loop_chip_gone },
		{ "loop_failed_chip", test_loop_failed_chip },
		{ "loop_round_robin", test_loop_round_robin },
		{ "chip_run_signal", test_chip_run_signal },
		{ "chip_run_syscalls", test_chip_run_syscalls },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
