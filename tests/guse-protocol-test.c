// SPDX-License-Identifier: GPL-2.0-only
/*
 * guse-protocol-test: speaks the raw /dev/guse protocol (no libguse) to
 * check that the kernel validates every message from a server, answers with
 * the documented errno and changes nothing, and that timeouts, late replies
 * and server death behave as documented.  The consumers are libgpiod users
 * in child processes.  Runs inside the test VM with the modules loaded;
 * kselftest harness, KTAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/guse.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpiod-user.h"
#include "guse-kselftest.h"
#include "raw-guse.h"

#define CONSUMER "proto-test"
/* bounded waits inside a test stay well below its harness timeout */
#define TIMEOUT_S 20

/*
 * A consumer in a child process: requests @line of @chip with @dir and
 * reports the errno (0 for success) through a pipe, then releases.  It
 * lives from consumer_start() to consumer_end().
 */
struct consumer {
	pid_t pid;
	int result_fd;
};

static int consumer_start(struct consumer *c, const char *chip,
			  unsigned int line, enum gpiod_line_direction dir)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		struct user_req r = { .first = line, .num = 1,
				      .direction = dir, .consumer = CONSUMER };
		int err;

		/* drop inherited /dev/guse files: the server's death is tested */
		close(p[0]);
		if (p[1] > 3)
			close_range(3, p[1] - 1, 0);
		close_range(p[1] + 1, ~0U, 0);
		err = user_request_once(chip, &r);
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	c->result_fd = p[0];
	return 0;
}

/* Waits for the consumer's errno; -ETIMEDOUT if it does not come. */
static int consumer_result(struct consumer *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->result_fd, .events = POLLIN };
	int err = -ETIMEDOUT;

	if (poll(&pfd, 1, timeout_ms) == 1 &&
	    read(c->result_fd, &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	return err;
}

static void consumer_end(struct consumer *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->result_fd);
	c->pid = 0;
}

/* Serves until the consumer reports; returns its errno. */
static int serve(int fd, struct consumer *c, struct raw_seen *s,
		 int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_msg m;
	int ret;

	while (raw_now_ms() < deadline) {
		ret = consumer_result(c, 0);
		if (ret != -ETIMEDOUT)
			return ret;
		ret = raw_recv(fd, &m, 20);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			return ret;
		raw_answer(fd, &m, s);
	}
	return -ETIMEDOUT;
}

/* Reads messages, answering all but the first @opcode, which it returns. */
static int wait_for(int fd, uint16_t opcode, struct raw_msg *m, int timeout_ms)
{
	int deadline = raw_now_ms() + timeout_ms;
	struct raw_seen s = { 0 };
	int ret;

	while (raw_now_ms() < deadline) {
		ret = raw_recv(fd, m, 50);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			return ret;
		if (m->hdr.opcode == opcode)
			return 0;
		raw_answer(fd, m, &s);
	}
	return -ETIMEDOUT;
}

static bool chardev_exists(const char *name)
{
	char path[64];
	struct stat st;

	if (snprintf(path, sizeof(path), "/dev/%s", name) >= (int)sizeof(path))
		return false;
	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

/* ---- a /dev/guse file before CREATE ------------------------------------ */

FIXTURE(fresh) {
	int fd;
};

FIXTURE_SETUP(fresh)
{
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
}

FIXTURE_TEARDOWN(fresh)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(fresh, read_would_block, TIMEOUT_S)
{
	char buf[GUSE_READ_SIZE_MIN];
	int flags = fcntl(self->fd, F_GETFL);

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F_TIMEOUT(fresh, write_shorter_than_header_einval, TIMEOUT_S)
{
	struct guse_msg_header hdr = { 0 };

	EXPECT_EQ(-EINVAL, raw_send(self->fd, &hdr, sizeof(hdr) - 1));
}

TEST_F_TIMEOUT(fresh, header_length_mismatch_einval, TIMEOUT_S)
{
	struct guse_msg_header hdr = {
		.len = sizeof(hdr) + 4, .opcode = GUSE_OP_SET_INPUTS,
	};

	EXPECT_EQ(-EINVAL, raw_send(self->fd, &hdr, sizeof(hdr)));
}

TEST_F_TIMEOUT(fresh, write_above_msg_size_max_einval, TIMEOUT_S)
{
	struct guse_msg_header *big = calloc(1, GUSE_MSG_SIZE_MAX + 8);

	ASSERT_NE(NULL, big);
	big->len = GUSE_MSG_SIZE_MAX + 8;
	big->opcode = GUSE_OP_SET_INPUTS;
	EXPECT_EQ(-EINVAL, raw_send(self->fd, big, GUSE_MSG_SIZE_MAX + 8));
	free(big);
}

TEST_F_TIMEOUT(fresh, notification_einval, TIMEOUT_S)
{
	struct guse_bitmap bm = { .num_words = 1 };

	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_SET_INPUTS, 0, 0,
					&bm, sizeof(bm)));
}

TEST_F_TIMEOUT(fresh, reply_einval, TIMEOUT_S)
{
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_REQUEST, 1, 0,
					NULL, 0));
}

/* ---- CREATE messages the kernel must refuse ---------------------------- */

enum { NAMES_NONE, NAMES_TRUNCATED, NAMES_UNTERMINATED };

FIXTURE(bad_create) {
	int fd;
	struct raw_create a;
	char names[4 * GUSE_NAME_SIZE];
};

FIXTURE_VARIANT(bad_create) {
	int errnum;
	bool no_lines;		/* else num_lines, or 4 if that is 0 */
	uint32_t version, num_lines, timeout_ms, flags, reserved0;
	const char *label;
	int names;
};

FIXTURE_VARIANT_ADD(bad_create, another_major_version) {
	.errnum = EPROTONOSUPPORT, .version = (GUSE_VERSION_MAJOR + 1) << 16,
};
FIXTURE_VARIANT_ADD(bad_create, zero_lines) {
	.errnum = EINVAL, .no_lines = true,
};
FIXTURE_VARIANT_ADD(bad_create, more_than_lines_max) {
	.errnum = EINVAL, .num_lines = GUSE_LINES_MAX + 1,
};
FIXTURE_VARIANT_ADD(bad_create, empty_label) {
	.errnum = EINVAL, .label = "",
};
FIXTURE_VARIANT_ADD(bad_create, unterminated_label) {
	.errnum = EINVAL, .label = "0123456789abcdef0123456789abcdef",
};
FIXTURE_VARIANT_ADD(bad_create, unknown_feature_flag) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_ALL + 1,
};
FIXTURE_VARIANT_ADD(bad_create, nonzero_reserved) {
	.errnum = EINVAL, .reserved0 = 1,
};
FIXTURE_VARIANT_ADD(bad_create, timeout_above_max) {
	.errnum = EINVAL, .timeout_ms = GUSE_TIMEOUT_MAX_MS + 1,
};
FIXTURE_VARIANT_ADD(bad_create, truncated_line_names) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_NAMES,
	.names = NAMES_TRUNCATED,
};
FIXTURE_VARIANT_ADD(bad_create, unterminated_line_name) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_NAMES,
	.names = NAMES_UNTERMINATED,
};

/* A valid 4-line CREATE, with the one thing the variant breaks. */
FIXTURE_SETUP(bad_create)
{
	struct raw_create *a = &self->a;

	*a = (struct raw_create){
		.label = variant->label ? variant->label : "bad",
		.num_lines = variant->no_lines ? 0 :
			     variant->num_lines ? variant->num_lines : 4,
		.version = variant->version, .timeout_ms = variant->timeout_ms,
		.flags = variant->flags, .reserved0 = variant->reserved0,
	};
	if (variant->names == NAMES_TRUNCATED) {
		memset(self->names, 0, sizeof(self->names));
		a->names = self->names;
		a->names_len = 3 * GUSE_NAME_SIZE;
	} else if (variant->names == NAMES_UNTERMINATED) {
		memset(self->names, 'x', sizeof(self->names));
		a->names = self->names;
		a->names_len = sizeof(self->names);
	}
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
}

FIXTURE_TEARDOWN(bad_create)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(bad_create, rejected, TIMEOUT_S)
{
	EXPECT_EQ(-variant->errnum, raw_send_create(self->fd, &self->a));
}

/* Rejected creates, many of them, leave the file fresh. */
TEST_F_TIMEOUT(bad_create, file_stays_usable, TIMEOUT_S)
{
	struct guse_ready ready;
	int i;

	for (i = 0; i < 100; i++)
		ASSERT_EQ(-variant->errnum, raw_send_create(self->fd, &self->a));
	ASSERT_EQ(0, raw_create_chip(self->fd, "after-bad", 4, 0, 0, &ready));
	EXPECT_TRUE(chardev_exists(ready.chip_name));
}

/* ---- a live 70-line chip ------------------------------------------------ */

FIXTURE(chip) {
	int fd;
	struct guse_ready ready;
	struct consumer c;
	struct raw_seen seen;
	struct raw_msg m;
};

FIXTURE_SETUP(chip)
{
	int ret;

	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
	ret = raw_create_chip(self->fd, "proto", 70, 0,
			      GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_SET_CONFIG,
			      &self->ready);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(chip)
{
	consumer_end(&self->c);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(chip, ready_names_the_new_chardev, TIMEOUT_S)
{
	const struct guse_ready *r = &self->ready;

	ksft_print_msg("chip %s device %s base %u\n", r->chip_name,
		       r->dev_name, r->base);
	EXPECT_EQ(0, strncmp(r->chip_name, "gpiochip", 8));
	EXPECT_EQ(70U, r->num_lines);
	EXPECT_TRUE(chardev_exists(r->chip_name));
	EXPECT_EQ((uint32_t)GUSE_VERSION, r->version);
	EXPECT_EQ((uint32_t)GUSE_TIMEOUT_DEFAULT_MS, r->timeout_ms);
}

TEST_F_TIMEOUT(chip, second_create_eexist, TIMEOUT_S)
{
	struct raw_create a = { .label = "again", .num_lines = 1 };

	EXPECT_EQ(-EEXIST, raw_send_create(self->fd, &a));
}

TEST_F_TIMEOUT(chip, reply_to_unknown_id_enoent, TIMEOUT_S)
{
	EXPECT_EQ(-ENOENT, raw_send_msg(self->fd, GUSE_OP_REQUEST, 12345, 0,
					NULL, 0));
}

TEST_F_TIMEOUT(chip, unknown_notification_eopnotsupp, TIMEOUT_S)
{
	EXPECT_EQ(-EOPNOTSUPP, raw_send_msg(self->fd, 999, 0, 0, NULL, 0));
}

/* SET_INPUTS for 70 lines carries two words of mask, two of values. */
TEST_F_TIMEOUT(chip, set_inputs_wrong_word_count, TIMEOUT_S)
{
	uint8_t buf[sizeof(struct guse_bitmap) + 4 * 8] = { 0 };
	struct guse_bitmap *bm = (void *)buf;

	bm->num_words = 1;
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_SET_INPUTS, 0, 0,
					bm, sizeof(*bm) + 2 * 8));
}

TEST_F_TIMEOUT(chip, set_inputs_bit_beyond_last_line, TIMEOUT_S)
{
	uint8_t buf[sizeof(struct guse_bitmap) + 4 * 8] = { 0 };
	struct guse_bitmap *bm = (void *)buf;

	bm->num_words = 2;
	bm->words[1] = 1ULL << 6;	/* line 70: beyond the last line */
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_SET_INPUTS, 0, 0,
					bm, sizeof(*bm) + 4 * 8));
}

TEST_F_TIMEOUT(chip, set_inputs_needs_two_bitmaps, TIMEOUT_S)
{
	uint8_t buf[sizeof(struct guse_bitmap) + 4 * 8] = { 0 };
	struct guse_bitmap *bm = (void *)buf;

	bm->num_words = 2;
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_SET_INPUTS, 0, 0,
					bm, sizeof(*bm) + 3 * 8));
	EXPECT_EQ(0, raw_send_msg(self->fd, GUSE_OP_SET_INPUTS, 0, 0,
				  bm, sizeof(*bm) + 4 * 8));
}

/* A consumer's request, direction and release reach the server. */
TEST_F_TIMEOUT(chip, request_reaches_server_with_label, TIMEOUT_S)
{
	struct raw_seen *s = &self->seen;

	ASSERT_EQ(0, consumer_start(&self->c, self->ready.chip_name, 65,
				    GPIOD_LINE_DIRECTION_OUTPUT));
	EXPECT_EQ(0, serve(self->fd, &self->c, s, 5000));
	consumer_end(&self->c);
	/* the release happens after the child exits */
	while (!s->frees && raw_recv(self->fd, &self->m, 1000) > 0)
		raw_answer(self->fd, &self->m, s);
	EXPECT_EQ(1U, s->requests);
	EXPECT_TRUE((s->is_output[1] & 2) != 0);
	EXPECT_EQ(1U, s->frees);
	EXPECT_STREQ(CONSUMER, s->consumer);
}

/* Starts a consumer of line 3 and reads its REQUEST into self->m. */
static int pending_request(FIXTURE_DATA(chip) *self)
{
	int ret = consumer_start(&self->c, self->ready.chip_name, 3,
				 GPIOD_LINE_DIRECTION_INPUT);

	return ret ? ret : wait_for(self->fd, GUSE_OP_REQUEST, &self->m, 3000);
}

/*
 * A malformed reply changes nothing: it is rejected with EINVAL and the
 * request stays pending until the real reply, whose errno (EBUSY) is the
 * one the consumer gets.
 */
static void malformed_reply(struct __test_metadata *_metadata,
			    FIXTURE_DATA(chip) *self, uint16_t opcode,
			    uint32_t error, size_t payload_len)
{
	uint8_t payload[8] = { 0 };
	uint64_t id;

	ASSERT_EQ(0, pending_request(self));
	id = self->m.hdr.id;
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, opcode, id, error, payload,
					payload_len));
	EXPECT_EQ(-ETIMEDOUT, consumer_result(&self->c, 0));
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_REQUEST, id, EBUSY,
				  NULL, 0));
	EXPECT_EQ(EBUSY, consumer_result(&self->c, 3000));
}

TEST_F_TIMEOUT(chip, reply_with_unexpected_payload_einval, TIMEOUT_S)
{
	malformed_reply(_metadata, self, GUSE_OP_REQUEST, 0, 8);
}

TEST_F_TIMEOUT(chip, reply_with_another_opcode_einval, TIMEOUT_S)
{
	malformed_reply(_metadata, self, GUSE_OP_FREE, 0, 0);
}

TEST_F_TIMEOUT(chip, reply_errno_above_max_errno_einval, TIMEOUT_S)
{
	malformed_reply(_metadata, self, GUSE_OP_REQUEST, 5000, 0);
}

TEST_F_TIMEOUT(chip, server_errno_reaches_consumer, TIMEOUT_S)
{
	ASSERT_EQ(0, pending_request(self));
	EXPECT_EQ(0, raw_send_msg(self->fd, GUSE_OP_REQUEST, self->m.hdr.id,
				  EBUSY, NULL, 0));
	EXPECT_EQ(EBUSY, consumer_result(&self->c, 3000));
}

TEST_F_TIMEOUT(chip, kernel_internal_errno_becomes_eio, TIMEOUT_S)
{
	ASSERT_EQ(0, pending_request(self));
	EXPECT_EQ(0, raw_send_msg(self->fd, GUSE_OP_REQUEST, self->m.hdr.id,
				  512, NULL, 0));
	EXPECT_EQ(EIO, consumer_result(&self->c, 3000));
}

/* ---- a chip with a 300 ms timeout whose server does not answer ---------- */

FIXTURE(silent) {
	int fd;
	struct guse_ready ready;
	struct consumer c;
	struct raw_msg m;
	int t0;
};

/* A consumer of line 1 waits; its REQUEST is read and left unanswered. */
FIXTURE_SETUP(silent)
{
	int ret;

	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
	ret = raw_create_chip(self->fd, "timeout", 4, 300,
			      GUSE_CREATE_F_REQUEST, &self->ready);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	ASSERT_EQ(0, consumer_start(&self->c, self->ready.chip_name, 1,
				    GPIOD_LINE_DIRECTION_INPUT));
	self->t0 = raw_now_ms();
	ASSERT_EQ(0, wait_for(self->fd, GUSE_OP_REQUEST, &self->m, 3000));
}

FIXTURE_TEARDOWN(silent)
{
	consumer_end(&self->c);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(silent, request_etimedout_after_chip_timeout, TIMEOUT_S)
{
	EXPECT_EQ(ETIMEDOUT, consumer_result(&self->c, 5000));
	EXPECT_GT(3000, raw_now_ms() - self->t0);
}

TEST_F_TIMEOUT(silent, late_reply_enoent, TIMEOUT_S)
{
	ASSERT_EQ(ETIMEDOUT, consumer_result(&self->c, 5000));
	EXPECT_EQ(-ENOENT, raw_send_msg(self->fd, GUSE_OP_REQUEST,
					self->m.hdr.id, 0, NULL, 0));
}

/* ---- a server closing with a request pending --------------------------- */

FIXTURE(dying) {
	int fd;
	struct guse_ready ready;
	struct consumer c;
	struct raw_msg m;
	int err, ms;		/* the consumer's errno, ms after the close */
};

/* The server reads a consumer's REQUEST of line 2 and closes its file. */
FIXTURE_SETUP(dying)
{
	int ret, t0;

	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
	ret = raw_create_chip(self->fd, "death", 4, 60000,
			      GUSE_CREATE_F_REQUEST, &self->ready);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	ASSERT_EQ(0, consumer_start(&self->c, self->ready.chip_name, 2,
				    GPIOD_LINE_DIRECTION_INPUT));
	ASSERT_EQ(0, wait_for(self->fd, GUSE_OP_REQUEST, &self->m, 3000));
	t0 = raw_now_ms();
	close(self->fd);
	self->fd = -1;
	self->err = consumer_result(&self->c, 5000);
	self->ms = raw_now_ms() - t0;
}

FIXTURE_TEARDOWN(dying)
{
	consumer_end(&self->c);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(dying, waiting_consumer_enodev_at_once, TIMEOUT_S)
{
	EXPECT_EQ(ENODEV, self->err);
	EXPECT_GT(1000, self->ms);
}

TEST_F_TIMEOUT(dying, chip_removed, TIMEOUT_S)
{
	EXPECT_FALSE(chardev_exists(self->ready.chip_name));
}

GUSE_HARNESS_MAIN(GUSE_NEED_DEVICE())
