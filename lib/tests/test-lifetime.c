// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests: the lifetime of requests and chips.  A callback answers, or
 * defers and answers later from any thread; one that does neither gets EIO
 * answered for it.  Deferred requests outlive guse_chip_free(): their
 * replies fail with ENODEV.  A callback may free its own chip.  Run under
 * valgrind and ASan (make check), these also catch leaks and use after free.
 */

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAXREQ 64

static struct guse_chip *new_chip(struct fk *fk, unsigned int n,
				  const struct guse_chip_ops *ops,
				  size_t ops_size, void *data)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	struct guse_chip *chip;

	CHECK_EQ(guse_chip_config_set_num_lines(cfg, n), 0);
	chip = fk_chip(fk, cfg, n, ops, ops_size, data, NULL, 0);
	guse_chip_config_free(cfg);
	return chip;
}

static void send_dir_in(struct fk *fk, uint64_t id, unsigned int line)
{
	struct guse_line l = pl_line(line);

	fk_send(fk, GUSE_OP_DIRECTION_INPUT, id, &l, sizeof(l));
}

/* Every message the fake kernel got until the chip's end closed or 200 ms
 * passed without one; their ids and errors go to @ids and @errs. */
static int drain(struct fk *fk, uint64_t *ids, uint32_t *errs, int max)
{
	uint8_t buf[GUSE_READ_SIZE_MIN];
	int n = 0;

	for (;;) {
		const struct guse_msg_header *h = (const void *)buf;
		int len = fk_recv(fk, buf, sizeof(buf), 200);

		if (len < (int)sizeof(*h))
			return n;	/* nothing, or end of file */
		if (n < max) {
			ids[n] = le64toh(h->id);
			errs[n] = le32toh(h->error);
		}
		n++;
	}
}

/* --- what a callback does with its request ---------------------------------- */

enum action { DO_NOTHING, DO_DEFER, DO_REPLY_TWICE, DO_DEFER_AND_REPLY };

static enum action action;
static struct guse_request *kept[MAXREQ];
static int nkept, second_reply_ret, second_reply_errno;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep(struct guse_request *req)
{
	pthread_mutex_lock(&kept_lock);
	CHECK(nkept < MAXREQ);
	if (nkept < MAXREQ)
		kept[nkept++] = req;
	pthread_mutex_unlock(&kept_lock);
}

static void act(struct guse_request *req, unsigned int line)
{
	(void)line;
	switch (action) {
	case DO_NOTHING:
		break;
	case DO_DEFER:
		guse_request_defer(req);
		keep(req);
		break;
	case DO_REPLY_TWICE:
		CHECK_EQ(guse_reply_ok(req), 0);
		errno = 0;
		second_reply_ret = guse_reply_ok(req);
		second_reply_errno = errno;
		break;
	case DO_DEFER_AND_REPLY:
		guse_request_defer(req);
		CHECK_EQ(guse_reply_ok(req), 0);
		break;
	}
}

static const struct guse_chip_ops act_ops = { .direction_input = act };

static void test_defer(void)
{
	struct guse_chip *chip;
	uint64_t ids[8];
	uint32_t errs[8];
	struct fk fk;

	chip = new_chip(&fk, 4, &act_ops, sizeof(act_ops), NULL);
	action = DO_DEFER;
	nkept = 0;
	send_dir_in(&fk, 1, 0);
	send_dir_in(&fk, 2, 1);
	CHECK_EQ(guse_chip_dispatch(chip), 2);
	CHECK_EQ(nkept, 2);
	CHECK(fk_nothing(&fk, 0));		/* deferred: not answered */
	CHECK_EQ(guse_request_get_type(kept[1]),
		 GUSE_REQUEST_DIRECTION_INPUT);
	CHECK_EQ(guse_reply_error(kept[1], EBUSY), 0);
	CHECK_EQ(guse_reply_ok(kept[0]), 0);
	CHECK_EQ(drain(&fk, ids, errs, 8), 2);
	CHECK_EQ(ids[0], 2);
	CHECK_EQ(errs[0], EBUSY);
	CHECK_EQ(ids[1], 1);
	CHECK_EQ(errs[1], 0);

	/* deferring and answering in the callback is fine too */
	action = DO_DEFER_AND_REPLY;
	send_dir_in(&fk, 3, 2);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 3, 0, NULL, 0);
	CHECK(fk_nothing(&fk, 0));

	guse_chip_free(chip);
	fk_close(&fk);
}

static void test_unanswered_gets_eio(void)
{
	struct guse_line_value lv = { htole32(2), htole32(1) };
	struct guse_chip *chip;
	struct fk fk;

	chip = new_chip(&fk, 4, &act_ops, sizeof(act_ops), NULL);
	action = DO_NOTHING;
	send_dir_in(&fk, 1, 0);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 1, EIO, NULL, 0);
	CHECK(fk_nothing(&fk, 0));

	/* the EIO changes no state: line 2 made an output by default, then
	 * a failed DIRECTION_INPUT leaves it an output */
	fk_send(&fk, GUSE_OP_DIRECTION_OUTPUT, 2, &lv, sizeof(lv));
	send_dir_in(&fk, 3, 2);
	CHECK_EQ(guse_chip_dispatch(chip), 2);
	fk_expect(&fk, GUSE_OP_DIRECTION_OUTPUT, 2, 0, NULL, 0);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 3, EIO, NULL, 0);
	CHECK_EQ(guse_chip_get_direction(chip, 2), GUSE_LINE_DIRECTION_OUTPUT);

	guse_chip_free(chip);
	fk_close(&fk);
}

static void test_second_reply_in_callback(void)
{
	struct guse_chip *chip;
	struct fk fk;

	chip = new_chip(&fk, 4, &act_ops, sizeof(act_ops), NULL);
	action = DO_REPLY_TWICE;
	send_dir_in(&fk, 1, 0);
	CHECK_EQ(guse_chip_dispatch(chip), 1);
	CHECK_EQ(second_reply_ret, -1);
	CHECK_EQ(second_reply_errno, EINVAL);
	fk_expect(&fk, GUSE_OP_DIRECTION_INPUT, 1, 0, NULL, 0);
	CHECK(fk_nothing(&fk, 0));
	guse_chip_free(chip);
	fk_close(&fk);
}

/* --- deferred requests outlive the chip ------------------------------------- */

static void test_reply_after_free(void)
{
	struct guse_chip *chip;
	int data, i, n;
	uint64_t ids[MAXREQ];
	uint32_t errs[MAXREQ];
	struct fk fk;

	chip = new_chip(&fk, 4, &act_ops, sizeof(act_ops), &data);
	action = DO_DEFER;
	nkept = 0;
	for (i = 0; i < 6; i++)
		send_dir_in(&fk, (uint64_t)i + 1, (unsigned int)i % 4);
	CHECK_EQ(guse_chip_dispatch(chip), 6);
	CHECK_EQ(nkept, 6);
	CHECK_EQ(guse_reply_ok(kept[0]), 0);
	guse_chip_free(chip);
	/* the request and its chip's user data stay valid until the reply */
	CHECK(guse_request_get_user_data(kept[1]) == &data);
	CHECK_EQ(guse_request_get_type(kept[1]),
		 GUSE_REQUEST_DIRECTION_INPUT);
	for (i = 1; i < 6; i++) {
		errno = 0;
		CHECK_EQ(i % 2 ? guse_reply_ok(kept[i]) :
				 guse_reply_error(kept[i], EBUSY), -1);
		CHECK_EQ(errno, ENODEV);
	}
	/* the kernel got the one reply sent before free, then end of file */
	n = drain(&fk, ids, errs, MAXREQ);
	CHECK_EQ(n, 1);
	CHECK_EQ(ids[0], 1);
	fk_close(&fk);
}

/* Threads answer deferred requests while the chip is being freed. */
struct race {
	int first, step;
	int ok, gone;	/* replies that went out / failed with ENODEV */
	pthread_barrier_t *start;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	int i;

	pthread_barrier_wait(r->start);
	for (i = r->first; i < MAXREQ; i += r->step) {
		int ret = guse_reply_ok(kept[i]);

		if (!ret)
			r->ok++;
		else if (errno == ENODEV)
			r->gone++;
		else
			CHECK(!"unexpected reply error");
	}
	return NULL;
}

static void test_free_races_replies(void)
{
	uint64_t ids[MAXREQ];
	uint32_t errs[MAXREQ];
	struct race r[3];
	pthread_barrier_t start;
	pthread_t t[3];
	struct guse_chip *chip;
	int round, i, sent;
	struct fk fk;

	for (round = 0; round < 20; round++) {
		chip = new_chip(&fk, 8, &act_ops, sizeof(act_ops), NULL);
		action = DO_DEFER;
		nkept = 0;
		for (i = 0; i < MAXREQ; i++)
			send_dir_in(&fk, (uint64_t)i + 1, (unsigned int)i % 8);
		CHECK_EQ(guse_chip_dispatch(chip), MAXREQ);
		CHECK_EQ(nkept, MAXREQ);
		pthread_barrier_init(&start, NULL, 4);
		for (i = 0; i < 3; i++) {
			r[i] = (struct race){ .first = i, .step = 3,
					      .start = &start };
			pthread_create(&t[i], NULL, race_thread, &r[i]);
		}
		pthread_barrier_wait(&start);
		if (round % 2)
			usleep(100);	/* let some replies go first */
		guse_chip_free(chip);
		sent = 0;
		for (i = 0; i < 3; i++) {
			pthread_join(t[i], NULL);
			sent += r[i].ok;
			CHECK_EQ(r[i].ok + r[i].gone,
				 (MAXREQ - i + 2) / 3);
		}
		pthread_barrier_destroy(&start);
		/* every reply that succeeded reached the kernel, no other */
		CHECK_EQ(drain(&fk, ids, errs, MAXREQ), sent);
		fk_close(&fk);
	}
}

/* --- a callback frees its own chip ------------------------------------------ */

enum free_how { FREE_THEN_REPLY, FREE_NO_REPLY, DEFER_FREE_REPLY_LATER };

static enum free_how free_how;
static int free_calls, late_reply_ret, late_reply_errno;
static struct guse_request *late_req;

static void free_own(struct guse_request *req, unsigned int line)
{
	struct guse_chip *chip = guse_request_get_chip(req);

	(void)line;
	free_calls++;
	if (free_how == DEFER_FREE_REPLY_LATER) {
		guse_request_defer(req);
		late_req = req;
	}
	guse_chip_free(chip);
	if (free_how == FREE_THEN_REPLY) {
		errno = 0;
		late_reply_ret = guse_reply_ok(req);
		late_reply_errno = errno;
	}
}

static const struct guse_chip_ops free_ops = { .direction_input = free_own };

static void test_free_in_callback(void)
{
	uint64_t ids[8];
	uint32_t errs[8];
	struct guse_chip *chip;
	struct fk fk;

	for (free_how = FREE_THEN_REPLY; free_how <= DEFER_FREE_REPLY_LATER;
	     free_how++) {
		chip = new_chip(&fk, 4, &free_ops, sizeof(free_ops), NULL);
		free_calls = 0;
		send_dir_in(&fk, 1, 0);
		send_dir_in(&fk, 2, 1);
		/* the second request is never read: the chip is gone */
		CHECK_EQ(guse_chip_dispatch(chip), 1);
		CHECK_EQ(free_calls, 1);
		if (free_how == FREE_THEN_REPLY) {
			CHECK_EQ(late_reply_ret, -1);
			CHECK_EQ(late_reply_errno, ENODEV);
		}
		if (free_how == DEFER_FREE_REPLY_LATER) {
			errno = 0;
			CHECK_EQ(guse_reply_ok(late_req), -1);
			CHECK_EQ(errno, ENODEV);
		}
		CHECK_EQ(drain(&fk, ids, errs, 8), 0);
		fk_close(&fk);
	}
}

static void test_free_in_callback_run(void)
{
	struct guse_chip *chip;
	struct fk fk;

	chip = new_chip(&fk, 4, &free_ops, sizeof(free_ops), NULL);
	free_how = FREE_NO_REPLY;
	free_calls = 0;
	send_dir_in(&fk, 1, 0);
	CHECK_EQ(guse_chip_run(chip), 0);
	CHECK_EQ(free_calls, 1);
	fk_close(&fk);
}

/* Two chips in one loop, both readable; the first callback frees both. */
static struct guse_chip *loop_chips[2];
static struct guse_loop *the_loop;

static void free_both(struct guse_request *req, unsigned int line)
{
	(void)line;
	free_calls++;
	CHECK_EQ(guse_reply_ok(req), 0);
	guse_chip_free(loop_chips[0]);
	guse_chip_free(loop_chips[1]);
	guse_loop_exit(the_loop);
}

static const struct guse_chip_ops free_both_ops = {
	.direction_input = free_both,
};

static void test_free_in_callback_loop(void)
{
	struct fk fk[2];
	int i;

	the_loop = guse_loop_new();
	CHECK(the_loop);
	for (i = 0; i < 2; i++) {
		loop_chips[i] = new_chip(&fk[i], 4, &free_both_ops,
					 sizeof(free_both_ops), NULL);
		CHECK_EQ(guse_loop_add_chip(the_loop, loop_chips[i]), 0);
		send_dir_in(&fk[i], 1, 0);
	}
	free_calls = 0;
	CHECK_EQ(guse_loop_run(the_loop), 0);
	CHECK_EQ(free_calls, 1);
	guse_loop_free(the_loop);
	for (i = 0; i < 2; i++)
		fk_close(&fk[i]);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "defer", test_defer },
		{ "unanswered_gets_eio", test_unanswered_gets_eio },
		{ "second_reply_in_callback", test_second_reply_in_callback },
		{ "reply_after_free", test_reply_after_free },
		{ "free_races_replies", test_free_races_replies },
		{ "free_in_callback", test_free_in_callback },
		{ "free_in_callback_run", test_free_in_callback_run },
		{ "free_in_callback_loop", test_free_in_callback_loop },
	};

	return run_tests(tests, ARRAY_SIZE(tests));
}
