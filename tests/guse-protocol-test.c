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
#include <pthread.h>
#include <sched.h>
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

/* The 1.1 notifications, well-formed, are refused before CREATE too. */
TEST_F_TIMEOUT(fresh, device_notifications_einval, TIMEOUT_S)
{
	struct guse_ready ready;

	EXPECT_EQ(-EINVAL, raw_line_direction(self->fd, 0,
					      GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_EQ(-EINVAL, raw_claim(self->fd, 0, "early"));
	EXPECT_EQ(-EINVAL, raw_unclaim(self->fd, 0));
	/* and leave the file fresh */
	ASSERT_EQ(0, raw_create_chip(self->fd, "after-early", 4, 0, 0, &ready));
	EXPECT_EQ(0, raw_claim(self->fd, 0, "late"));
}

/* ---- CREATE messages the kernel must refuse ---------------------------- */

enum { NAMES_NONE, NAMES_TRUNCATED, NAMES_UNTERMINATED, NAMES_VALID };

/*
 * The line state of a 4-line CREATE (1.1): INIT_VALID is line 0 an output,
 * line 1 a hog, line 2 invalid, line 3 an input held high; the others
 * break one thing of it.
 */
enum {
	INIT_NONE, INIT_VALID, INIT_UNKNOWN_FLAG, INIT_RESERVED,
	INIT_INVALID_AND_OUTPUT, INIT_INVALID_AND_VALUE, INIT_INVALID_AND_HOG,
	INIT_HOG_LABEL_MISSING, INIT_HOG_LABEL_EXTRA, INIT_HOG_LABEL_EMPTY,
	INIT_HOG_LABEL_UNTERMINATED, INIT_TRUNCATED, INIT_NOTHING,
};

#define BAD_INIT_SIZE	(4 * sizeof(struct guse_line_init) + 2 * GUSE_NAME_SIZE)

FIXTURE(bad_create) {
	int fd;
	struct raw_create a;
	char names[4 * GUSE_NAME_SIZE];
	uint8_t init[BAD_INIT_SIZE];
};

FIXTURE_VARIANT(bad_create) {
	int errnum;
	bool no_lines;		/* else num_lines, or 4 if that is 0 */
	uint32_t version, num_lines, timeout_ms, flags, reserved0;
	const char *label;
	int names;
	int init;
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
/* a 1.0 server cannot mean the flags 1.1 added */
FIXTURE_VARIANT_ADD(bad_create, line_init_from_a_1_0_server) {
	.errnum = EINVAL, .version = GUSE_VERSION_MAJOR << 16,
	.flags = GUSE_CREATE_F_LINE_INIT, .init = INIT_VALID,
};
/* nor a 1.1 server the flag 1.2 added */
FIXTURE_VARIANT_ADD(bad_create, output_cache_from_a_1_1_server) {
	.errnum = EINVAL, .version = GUSE_VERSION_MAJOR << 16 | 1,
	.flags = GUSE_CREATE_F_OUTPUT_CACHE,
};
FIXTURE_VARIANT_ADD(bad_create, output_cache_from_a_1_0_server) {
	.errnum = EINVAL, .version = GUSE_VERSION_MAJOR << 16,
	.flags = GUSE_CREATE_F_OUTPUT_CACHE,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_unknown_flag) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_UNKNOWN_FLAG,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_nonzero_reserved) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_RESERVED,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_invalid_and_output) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_INVALID_AND_OUTPUT,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_invalid_and_value) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_INVALID_AND_VALUE,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_invalid_and_hog) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_INVALID_AND_HOG,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_hog_label_missing) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_HOG_LABEL_MISSING,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_hog_label_extra) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_HOG_LABEL_EXTRA,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_hog_label_empty) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_HOG_LABEL_EMPTY,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_hog_label_unterminated) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_HOG_LABEL_UNTERMINATED,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_truncated) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_TRUNCATED,
};
FIXTURE_VARIANT_ADD(bad_create, line_init_missing) {
	.errnum = EINVAL, .flags = GUSE_CREATE_F_LINE_INIT,
	.init = INIT_NOTHING,
};
/* line state without the flag is 40 bytes too many */
FIXTURE_VARIANT_ADD(bad_create, line_init_without_the_flag) {
	.errnum = EINVAL, .init = INIT_VALID,
};
/* the names come first: line state alone does not stand for them */
FIXTURE_VARIANT_ADD(bad_create, line_init_without_announced_names) {
	.errnum = EINVAL,
	.flags = GUSE_CREATE_F_LINE_NAMES | GUSE_CREATE_F_LINE_INIT,
	.init = INIT_VALID,
};

/* The line state of @kind into @buf; returns its length. */
static size_t bad_line_init(int kind, uint8_t *buf)
{
	uint32_t flags[4] = {
		GUSE_LINE_INIT_F_OUTPUT, GUSE_LINE_INIT_F_HOG,
		GUSE_LINE_INIT_F_INVALID, GUSE_LINE_INIT_F_VALUE,
	};
	static const char *const labels[4] = { NULL, "hog", NULL, NULL };
	struct guse_line_init *init = (void *)buf;
	char *label = (char *)(init + 4);
	size_t len;

	if (kind == INIT_NONE || kind == INIT_NOTHING)
		return 0;
	if (kind == INIT_INVALID_AND_OUTPUT)
		flags[2] |= GUSE_LINE_INIT_F_OUTPUT;
	else if (kind == INIT_INVALID_AND_VALUE)
		flags[2] |= GUSE_LINE_INIT_F_VALUE;
	else if (kind == INIT_INVALID_AND_HOG)
		flags[2] |= GUSE_LINE_INIT_F_HOG;	/* with a label for it */
	len = raw_line_init(buf, BAD_INIT_SIZE, 4, flags, labels);
	switch (kind) {
	case INIT_INVALID_AND_HOG:
		memcpy(label + GUSE_NAME_SIZE, "hog2", 5);
		break;
	case INIT_UNKNOWN_FLAG:
		init[3].flags |= GUSE_LINE_INIT_F_ALL + 1;
		break;
	case INIT_RESERVED:
		init[0].reserved = 1;
		break;
	case INIT_HOG_LABEL_MISSING:
		len -= GUSE_NAME_SIZE;
		break;
	case INIT_HOG_LABEL_EXTRA:
		memcpy(label + GUSE_NAME_SIZE, "more", 5);
		len += GUSE_NAME_SIZE;
		break;
	case INIT_HOG_LABEL_EMPTY:
		memset(label, 0, GUSE_NAME_SIZE);
		break;
	case INIT_HOG_LABEL_UNTERMINATED:
		memset(label, 'h', GUSE_NAME_SIZE);
		break;
	case INIT_TRUNCATED:	/* three lines' state and the label */
		memmove(init + 3, label, GUSE_NAME_SIZE);
		len -= sizeof(*init);
		break;
	}
	return len;
}

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
	a->init_len = bad_line_init(variant->init, self->init);
	a->init = self->init;
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

/*
 * The line state the bad_create variants break is itself valid: with the
 * names (which come first), and without them.
 */
TEST_F_TIMEOUT(fresh, create_with_line_init, TIMEOUT_S)
{
	char names[4 * GUSE_NAME_SIZE] = "n0";
	uint8_t init[BAD_INIT_SIZE];
	struct raw_create a = {
		.label = "init", .num_lines = 4,
		.flags = GUSE_CREATE_F_LINE_NAMES | GUSE_CREATE_F_LINE_INIT,
		.names = names, .names_len = sizeof(names), .init = init,
	};
	struct guse_ready ready;
	int fd;

	a.init_len = bad_line_init(INIT_VALID, init);
	ASSERT_EQ(0, raw_create_chip_with(self->fd, &a, &ready));
	fd = raw_open();
	ASSERT_LE(0, fd);
	a.flags = GUSE_CREATE_F_LINE_INIT;
	a.names_len = 0;
	EXPECT_EQ(0, raw_create_chip_with(fd, &a, &ready));
	close(fd);
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

/* ---- WAKEUP (1.2) ---- */

/* A WAKEUP comes back as one message to read: no payload, no reply. */
TEST_F_TIMEOUT(chip, wakeup_comes_back, TIMEOUT_S)
{
	struct raw_msg *m = &self->m;

	EXPECT_EQ(-ETIMEDOUT, raw_recv(self->fd, m, 0));
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0, NULL, 0));
	ASSERT_EQ((int)sizeof(m->hdr), raw_recv(self->fd, m, 2000));
	EXPECT_EQ((uint32_t)sizeof(m->hdr), m->hdr.len);
	EXPECT_EQ(GUSE_OP_WAKEUP, m->hdr.opcode);
	EXPECT_EQ(GUSE_MSG_F_NOREPLY, m->hdr.flags);
	EXPECT_EQ(0ULL, m->hdr.id);
	EXPECT_EQ(0U, m->hdr.error);
	EXPECT_EQ(-ETIMEDOUT, raw_recv(self->fd, m, 0));
}

/* Unread WAKEUPs do not pile up: the queue holds one at most. */
TEST_F_TIMEOUT(chip, wakeups_coalesce, TIMEOUT_S)
{
	int i;

	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0,
					  NULL, 0));
	ASSERT_EQ((int)sizeof(self->m.hdr), raw_recv(self->fd, &self->m, 2000));
	EXPECT_EQ(GUSE_OP_WAKEUP, self->m.hdr.opcode);
	EXPECT_EQ(-ETIMEDOUT, raw_recv(self->fd, &self->m, 200));
	/* once read, the next one is queued again */
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0, NULL, 0));
	EXPECT_EQ((int)sizeof(self->m.hdr), raw_recv(self->fd, &self->m, 2000));
}

TEST_F_TIMEOUT(chip, wakeup_with_payload_einval, TIMEOUT_S)
{
	uint8_t p[8] = { 0 };

	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0, p,
					sizeof(p)));
	EXPECT_EQ(-EINVAL, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, EIO,
					NULL, 0));
	EXPECT_EQ(-ETIMEDOUT, raw_recv(self->fd, &self->m, 200));
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

struct blocked_reader {
	int fd;
	ssize_t n;
	struct raw_msg m;
};

static void *blocked_read(void *arg)
{
	struct blocked_reader *b = arg;

	b->n = read(b->fd, &b->m, sizeof(b->m));
	return NULL;
}

/*
 * The point of WAKEUP: another thread ends a blocking read(), and the
 * WAKEUP is read ahead of a request queued before it.
 */
TEST_F_TIMEOUT(chip, wakeup_ends_blocking_read, TIMEOUT_S)
{
	struct blocked_reader b = { .fd = self->fd, .n = -2 };
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_read, &b));
	/* it may not be blocked yet: the WAKEUP ends the read either way */
	usleep(100 * 1000);
	EXPECT_EQ(-2, b.n);
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0, NULL, 0));
	pthread_join(t, NULL);
	ASSERT_EQ((ssize_t)sizeof(b.m.hdr), b.n);
	EXPECT_EQ(GUSE_OP_WAKEUP, b.m.hdr.opcode);

	/* a consumer's REQUEST waits in the queue, then a WAKEUP */
	ASSERT_EQ(0, consumer_start(&self->c, self->ready.chip_name, 3,
				    GPIOD_LINE_DIRECTION_INPUT));
	for (i = 0; i < 250 && !readable(self->fd); i++)
		usleep(20 * 1000);
	ASSERT_TRUE(readable(self->fd));
	ASSERT_EQ(0, raw_send_msg(self->fd, GUSE_OP_WAKEUP, 0, 0, NULL, 0));
	ASSERT_EQ((int)sizeof(self->m.hdr), raw_recv(self->fd, &self->m, 2000));
	EXPECT_EQ(GUSE_OP_WAKEUP, self->m.hdr.opcode);
	ASSERT_LT(0, raw_recv(self->fd, &self->m, 2000));
	EXPECT_NE(GUSE_OP_WAKEUP, self->m.hdr.opcode);
	EXPECT_NE(0ULL, self->m.hdr.id);
	/* answered as a server would, so that the consumer ends */
	EXPECT_EQ(0, raw_answer(self->fd, &self->m, &self->seen));
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

/* ---- protocol 1.1: the device side -------------------------------------- */

/* What GPIO_V2_GET_LINEINFO says about a line, through libgpiod. */
struct info {
	bool used, output;
	char consumer[GUSE_NAME_SIZE], name[GUSE_NAME_SIZE];
};

static int line_info(struct gpiod_chip *chip, unsigned int line,
		     struct info *out)
{
	struct gpiod_line_info *li = gpiod_chip_get_line_info(chip, line);
	const char *s;

	memset(out, 0, sizeof(*out));
	if (!li)
		return -errno;
	out->used = gpiod_line_info_is_used(li);
	out->output = gpiod_line_info_get_direction(li) ==
		      GPIOD_LINE_DIRECTION_OUTPUT;
	s = gpiod_line_info_get_consumer(li);
	if (s)
		snprintf(out->consumer, sizeof(out->consumer), "%s", s);
	s = gpiod_line_info_get_name(li);
	if (s)
		snprintf(out->name, sizeof(out->name), "%s", s);
	gpiod_line_info_free(li);
	return 0;
}

/*
 * The line info of @line is: used by @consumer (NULL: not used), @output.
 * A macro, so that a failure names the caller's line.
 */
#define EXPECT_LINE(chip_, line_, label_, output_) do {			\
	struct info i_;							\
	const char *c_ = (label_);					\
	unsigned int l_ = (line_);					\
									\
	ASSERT_EQ(0, line_info((chip_), l_, &i_));			\
	EXPECT_EQ(c_ != NULL, i_.used) TH_LOG("line %u", l_);		\
	if (c_)								\
		EXPECT_STREQ(c_, i_.consumer);				\
	EXPECT_EQ((output_), i_.output) TH_LOG("line %u", l_);		\
} while (0)

/* Reads one line through libgpiod: 0 or 1, or -1 with errno. */
static int get_value(struct gpiod_line_request *req, unsigned int line)
{
	enum gpiod_line_value v = gpiod_line_request_get_value(req, line);

	return v == GPIOD_LINE_VALUE_ERROR ? -1 : v == GPIOD_LINE_VALUE_ACTIVE;
}

#define DEV_LINES	70
enum {
	L_INVALID = 10,		/* left out of the valid mask */
	L_HOG_IN = 11,		/* a hog, input */
	L_HOG_OUT = 12,		/* a hog, output driving high */
	L_OUT_LOW = 13,		/* outputs */
	L_OUT_HIGH = 14,
	L_IN_HIGH = 15,		/* an input the kernel holds high */
	L_IN_LOW = 16,
	L_FREE = 20,		/* plain inputs */
	L_FREE2 = 21,
	L_LAST = DEV_LINES - 1,
};

/*
 * A 70-line chip of a 1.1 server (GUSE_CREATE_F_REQUEST, line names and
 * line state), served by a thread, and a libgpiod consumer in this
 * process: @chip, and @req while it holds a line.
 */
FIXTURE(device) {
	struct raw_server srv;
	bool started;
	struct gpiod_chip *chip;
	struct gpiod_line_request *req;
	char names[DEV_LINES * GUSE_NAME_SIZE];
	uint8_t init[DEV_LINES * (sizeof(struct guse_line_init) +
				  GUSE_NAME_SIZE)];
};

FIXTURE_SETUP(device)
{
	static const char *labels[DEV_LINES] = {
		[L_HOG_IN] = "hog-in", [L_HOG_OUT] = "hog-out",
	};
	uint32_t flags[DEV_LINES] = {
		[L_INVALID] = GUSE_LINE_INIT_F_INVALID,
		[L_HOG_IN] = GUSE_LINE_INIT_F_HOG,
		[L_HOG_OUT] = GUSE_LINE_INIT_F_HOG | GUSE_LINE_INIT_F_OUTPUT |
			      GUSE_LINE_INIT_F_VALUE,
		[L_OUT_LOW] = GUSE_LINE_INIT_F_OUTPUT,
		[L_OUT_HIGH] = GUSE_LINE_INIT_F_OUTPUT | GUSE_LINE_INIT_F_VALUE,
		[L_IN_HIGH] = GUSE_LINE_INIT_F_VALUE,
	};
	struct raw_create a = {
		.label = "device", .num_lines = DEV_LINES,
		.flags = GUSE_CREATE_F_REQUEST | GUSE_CREATE_F_LINE_NAMES |
			 GUSE_CREATE_F_LINE_INIT,
		.names = self->names, .names_len = sizeof(self->names),
		.init = self->init,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < DEV_LINES; i++)
		snprintf(self->names + i * GUSE_NAME_SIZE, GUSE_NAME_SIZE,
			 "line%u", i);
	a.init_len = raw_line_init(self->init, sizeof(self->init), DEV_LINES,
				   flags, labels);
	ASSERT_NE(0U, a.init_len);
	ret = raw_server_start_with(&self->srv, &a);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	self->started = true;
	/* the server's own view of its outputs */
	raw_server_preset(&self->srv, L_HOG_OUT, true, true);
	raw_server_preset(&self->srv, L_OUT_LOW, true, false);
	raw_server_preset(&self->srv, L_OUT_HIGH, true, true);
	self->chip = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, self->chip) TH_LOG("open: %m");
}

FIXTURE_TEARDOWN(device)
{
	if (self->req)
		gpiod_line_request_release(self->req);
	if (self->chip)
		gpiod_chip_close(self->chip);
	if (self->started)
		raw_server_stop(&self->srv, true);
}

/* The consumer requests @line as an input (with @edge); 0 or errno. */
static int hold(FIXTURE_DATA(device) *self, unsigned int line,
		enum gpiod_line_edge edge)
{
	struct user_req r = {
		.first = line, .num = 1, .direction = GPIOD_LINE_DIRECTION_INPUT,
		.edge = edge, .consumer = CONSUMER,
	};

	if (self->req)
		gpiod_line_request_release(self->req);
	self->req = user_request(self->chip, &r);
	return self->req ? 0 : errno;
}

static void release(FIXTURE_DATA(device) *self)
{
	if (self->req)
		gpiod_line_request_release(self->req);
	self->req = NULL;
}

/* A request of @line that is released at once: 0 or errno. */
static int try_request(FIXTURE_DATA(device) *self, unsigned int line)
{
	int ret = hold(self, line, 0);

	release(self);
	return ret;
}

/* A payload of @len bytes of the 16-byte @d (zero-padded). */
static int send_direction(int fd, const struct guse_device_direction *d,
			  size_t len)
{
	uint8_t buf[64] = { 0 };

	memcpy(buf, d, len < sizeof(*d) ? len : sizeof(*d));
	return raw_send_msg(fd, GUSE_OP_LINE_DIRECTION, 0, 0, buf, len);
}

TEST_F_TIMEOUT(device, ready_reports_1_2, TIMEOUT_S)
{
	EXPECT_EQ((uint32_t)(GUSE_VERSION_MAJOR << 16 | 2),
		  self->srv.ready.version);
	EXPECT_EQ((uint32_t)DEV_LINES, self->srv.ready.num_lines);
}

/* ---- line state at creation ---- */

TEST_F_TIMEOUT(device, names_and_line_state_together, TIMEOUT_S)
{
	struct info i;

	ASSERT_EQ(0, line_info(self->chip, 3, &i));
	EXPECT_STREQ("line3", i.name);
	ASSERT_EQ(0, line_info(self->chip, L_OUT_HIGH, &i));
	EXPECT_STREQ("line14", i.name);
	EXPECT_TRUE(i.output);
	ASSERT_EQ(0, line_info(self->chip, L_LAST, &i));
	EXPECT_STREQ("line69", i.name);
}

TEST_F_TIMEOUT(device, initial_outputs_in_line_info, TIMEOUT_S)
{
	EXPECT_LINE(self->chip, L_OUT_LOW, NULL, true);
	EXPECT_LINE(self->chip, L_OUT_HIGH, NULL, true);
	EXPECT_LINE(self->chip, L_IN_HIGH, NULL, false);
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	EXPECT_LINE(self->chip, 0, NULL, false);
}

/* Without GET_INPUTS the kernel answers input reads with its own levels. */
TEST_F_TIMEOUT(device, initial_input_level_read, TIMEOUT_S)
{
	static const unsigned int lines[] = { L_IN_HIGH, L_IN_LOW };
	struct user_req r = {
		.offsets = lines, .num = 2,
		.direction = GPIOD_LINE_DIRECTION_INPUT, .consumer = CONSUMER,
	};
	struct raw_seen seen;

	self->req = user_request(self->chip, &r);
	ASSERT_NE(NULL, self->req) TH_LOG("request: %m");
	EXPECT_EQ(1, get_value(self->req, L_IN_HIGH));
	EXPECT_EQ(0, get_value(self->req, L_IN_LOW));
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(0U, seen.get_values);
}

TEST_F_TIMEOUT(device, hogs_used_from_the_start, TIMEOUT_S)
{
	struct raw_seen seen;

	EXPECT_LINE(self->chip, L_HOG_IN, "hog-in", false);
	EXPECT_LINE(self->chip, L_HOG_OUT, "hog-out", true);
	EXPECT_EQ(EBUSY, try_request(self, L_HOG_IN));
	EXPECT_EQ(EBUSY, try_request(self, L_HOG_OUT));
	/* the device holds them: the server was never asked */
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(0U, seen.requests);
	/* UNCLAIM gives a hog back */
	ASSERT_EQ(0, raw_unclaim(self->srv.fd, L_HOG_IN));
	EXPECT_LINE(self->chip, L_HOG_IN, NULL, false);
	EXPECT_EQ(0, try_request(self, L_HOG_IN));
	EXPECT_EQ(-EINVAL, raw_unclaim(self->srv.fd, L_HOG_IN));
	EXPECT_LINE(self->chip, L_HOG_OUT, "hog-out", true);
}

TEST_F_TIMEOUT(device, invalid_line_used_and_refused, TIMEOUT_S)
{
	struct info i;

	ASSERT_EQ(0, line_info(self->chip, L_INVALID, &i));
	EXPECT_TRUE(i.used);
	EXPECT_EQ(EINVAL, try_request(self, L_INVALID));
	/* its neighbours are ordinary lines */
	EXPECT_EQ(0, try_request(self, L_INVALID - 1));
	EXPECT_LINE(self->chip, L_INVALID - 1, NULL, false);
}

TEST_F_TIMEOUT(device, set_inputs_of_invalid_line_einval, TIMEOUT_S)
{
	uint64_t mask[2] = { 1ULL << L_INVALID | 1ULL << L_IN_LOW };
	uint64_t values[2] = { 1ULL << L_IN_LOW };

	EXPECT_EQ(-EINVAL, raw_set_inputs(self->srv.fd, DEV_LINES, mask,
					  values));
	/* nothing changed; without the invalid line it is taken */
	ASSERT_EQ(0, hold(self, L_IN_LOW, 0));
	EXPECT_EQ(0, get_value(self->req, L_IN_LOW));
	mask[0] = 1ULL << L_IN_LOW;
	ASSERT_EQ(0, raw_set_inputs(self->srv.fd, DEV_LINES, mask, values));
	EXPECT_EQ(1, get_value(self->req, L_IN_LOW));
}

/* ---- LINE_DIRECTION ---- */

TEST_F_TIMEOUT(device, line_direction_in_line_info, TIMEOUT_S)
{
	struct raw_seen seen;

	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_FREE,
					       GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_LINE(self->chip, L_FREE, NULL, true);
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_OUT_LOW,
					       GUSE_DIRECTION_INPUT, 0));
	EXPECT_LINE(self->chip, L_OUT_LOW, NULL, false);
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_FREE,
					       GUSE_DIRECTION_INPUT, 0));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	/* the server told the kernel: the kernel tells it nothing */
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(0U, seen.requests + seen.frees + seen.others);
}

TEST_F_TIMEOUT(device, line_direction_input_level_read, TIMEOUT_S)
{
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_FREE,
					       GUSE_DIRECTION_INPUT, 1));
	ASSERT_EQ(0, hold(self, L_FREE, 0));
	EXPECT_EQ(1, get_value(self->req, L_FREE));
	release(self);
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_IN_HIGH,
					       GUSE_DIRECTION_INPUT, 0));
	ASSERT_EQ(0, hold(self, L_IN_HIGH, 0));
	EXPECT_EQ(0, get_value(self->req, L_IN_HIGH));
}

TEST_F_TIMEOUT(device, line_direction_of_claimed_line, TIMEOUT_S)
{
	ASSERT_EQ(0, raw_claim(self->srv.fd, L_FREE, "dev"));
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_FREE,
					       GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_LINE(self->chip, L_FREE, "dev", true);
	ASSERT_EQ(0, raw_server_line_direction(&self->srv, L_HOG_OUT,
					       GUSE_DIRECTION_INPUT, 1));
	EXPECT_LINE(self->chip, L_HOG_OUT, "hog-out", false);
}

TEST_F_TIMEOUT(device, line_direction_line_out_of_range, TIMEOUT_S)
{
	int fd = self->srv.fd;

	EXPECT_EQ(-EINVAL, raw_line_direction(fd, DEV_LINES,
					      GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, GUSE_LINES_MAX,
					      GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, 0xffffffff,
					      GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, DEV_LINES + 64,
					      GUSE_DIRECTION_INPUT, 0));
	/* the last line is in range */
	EXPECT_LINE(self->chip, L_LAST, NULL, false);
	EXPECT_EQ(0, raw_line_direction(fd, L_LAST, GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_LINE(self->chip, L_LAST, NULL, true);
}

TEST_F_TIMEOUT(device, line_direction_invalid_line_einval, TIMEOUT_S)
{
	int fd = self->srv.fd;

	EXPECT_EQ(-EINVAL, raw_line_direction(fd, L_INVALID,
					      GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, L_INVALID,
					      GUSE_DIRECTION_INPUT, 0));
	EXPECT_LINE(self->chip, L_INVALID, "", false);
	EXPECT_EQ(EINVAL, try_request(self, L_INVALID));
}

TEST_F_TIMEOUT(device, line_direction_bad_direction_einval, TIMEOUT_S)
{
	static const uint32_t dirs[] = { 2, 3, 0x100, 0xffffffff };
	struct guse_device_direction d = { .line = L_FREE };
	unsigned int i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		d.direction = dirs[i];
		EXPECT_EQ(-EINVAL, send_direction(self->srv.fd, &d, sizeof(d)))
			TH_LOG("direction %#x", dirs[i]);
	}
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	d.direction = GUSE_DIRECTION_OUTPUT;
	EXPECT_EQ(0, send_direction(self->srv.fd, &d, sizeof(d)));
	EXPECT_LINE(self->chip, L_FREE, NULL, true);
}

TEST_F_TIMEOUT(device, line_direction_bad_value_einval, TIMEOUT_S)
{
	int fd = self->srv.fd;

	EXPECT_EQ(-EINVAL, raw_line_direction(fd, L_FREE,
					      GUSE_DIRECTION_OUTPUT, 2));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, L_FREE,
					      GUSE_DIRECTION_OUTPUT, 0xffffffff));
	EXPECT_EQ(-EINVAL, raw_line_direction(fd, L_FREE,
					      GUSE_DIRECTION_INPUT, 2));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	/* nor was the input level taken */
	ASSERT_EQ(0, hold(self, L_FREE, 0));
	EXPECT_EQ(0, get_value(self->req, L_FREE));
}

TEST_F_TIMEOUT(device, line_direction_nonzero_reserved_einval, TIMEOUT_S)
{
	struct guse_device_direction d = {
		.line = L_FREE, .direction = GUSE_DIRECTION_OUTPUT,
		.reserved = 1,
	};

	EXPECT_EQ(-EINVAL, send_direction(self->srv.fd, &d, sizeof(d)));
	d.reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, send_direction(self->srv.fd, &d, sizeof(d)));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
}

TEST_F_TIMEOUT(device, line_direction_wrong_size_einval, TIMEOUT_S)
{
	static const size_t sizes[] = { 0, 4, 8, 12, 15, 17, 20, 32 };
	struct guse_device_direction d = {
		.line = L_FREE, .direction = GUSE_DIRECTION_OUTPUT,
	};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		EXPECT_EQ(-EINVAL, send_direction(self->srv.fd, &d, sizes[i]))
			TH_LOG("%zu bytes", sizes[i]);
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
}

TEST_F_TIMEOUT(device, line_direction_requested_line_ebusy, TIMEOUT_S)
{
	ASSERT_EQ(0, hold(self, L_FREE, 0));
	EXPECT_EQ(-EBUSY, raw_server_line_direction(&self->srv, L_FREE,
						    GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_EQ(-EBUSY, raw_server_line_direction(&self->srv, L_FREE,
						    GUSE_DIRECTION_INPUT, 1));
	/* the consumer keeps its line as it was */
	EXPECT_LINE(self->chip, L_FREE, CONSUMER, false);
	EXPECT_EQ(0, get_value(self->req, L_FREE));
	release(self);
	EXPECT_EQ(0, raw_server_line_direction(&self->srv, L_FREE,
					       GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_LINE(self->chip, L_FREE, NULL, true);
}

/* A line with edge detection is requested and an interrupt. */
TEST_F_TIMEOUT(device, line_direction_edge_line_ebusy, TIMEOUT_S)
{
	ASSERT_EQ(0, hold(self, L_FREE, GPIOD_LINE_EDGE_BOTH));
	EXPECT_EQ(-EBUSY, raw_server_line_direction(&self->srv, L_FREE,
						    GUSE_DIRECTION_OUTPUT, 0));
	EXPECT_LINE(self->chip, L_FREE, CONSUMER, false);
}

/* ---- CLAIM and UNCLAIM ---- */

/* A payload of @len bytes of the 40-byte @lc (zero-padded). */
static int send_claim(int fd, const struct guse_line_consumer *lc, size_t len)
{
	uint8_t buf[64] = { 0 };

	memcpy(buf, lc, len < sizeof(*lc) ? len : sizeof(*lc));
	return raw_send_msg(fd, GUSE_OP_CLAIM, 0, 0, buf, len);
}

TEST_F_TIMEOUT(device, claim_used_and_refuses_requests, TIMEOUT_S)
{
	struct raw_seen seen;

	ASSERT_EQ(0, raw_claim(self->srv.fd, L_FREE, "modem"));
	EXPECT_LINE(self->chip, L_FREE, "modem", false);
	EXPECT_EQ(EBUSY, try_request(self, L_FREE));
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(0U, seen.requests + seen.frees + seen.others);
	ASSERT_EQ(0, raw_unclaim(self->srv.fd, L_FREE));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(0U, seen.requests + seen.frees + seen.others);
	EXPECT_EQ(0, try_request(self, L_FREE));
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(1U, seen.requests);
}

/* A claim keeps the line's direction (GPIOD_ASIS). */
TEST_F_TIMEOUT(device, claim_keeps_direction, TIMEOUT_S)
{
	ASSERT_EQ(0, raw_claim(self->srv.fd, L_OUT_HIGH, "out"));
	EXPECT_LINE(self->chip, L_OUT_HIGH, "out", true);
	ASSERT_EQ(0, raw_unclaim(self->srv.fd, L_OUT_HIGH));
	EXPECT_LINE(self->chip, L_OUT_HIGH, NULL, true);
}

TEST_F_TIMEOUT(device, claim_twice_ebusy, TIMEOUT_S)
{
	ASSERT_EQ(0, raw_claim(self->srv.fd, L_FREE, "first"));
	EXPECT_EQ(-EBUSY, raw_claim(self->srv.fd, L_FREE, "second"));
	EXPECT_LINE(self->chip, L_FREE, "first", false);
	EXPECT_EQ(-EBUSY, raw_claim(self->srv.fd, L_HOG_IN, "second"));
	EXPECT_LINE(self->chip, L_HOG_IN, "hog-in", false);
}

TEST_F_TIMEOUT(device, claim_requested_line_ebusy, TIMEOUT_S)
{
	ASSERT_EQ(0, hold(self, L_FREE, 0));
	EXPECT_EQ(-EBUSY, raw_claim(self->srv.fd, L_FREE, "modem"));
	EXPECT_LINE(self->chip, L_FREE, CONSUMER, false);
	/* nor was it claimed behind the consumer's back */
	EXPECT_EQ(-EINVAL, raw_unclaim(self->srv.fd, L_FREE));
	EXPECT_LINE(self->chip, L_FREE, CONSUMER, false);
	ASSERT_EQ(0, hold(self, L_FREE2, GPIOD_LINE_EDGE_RISING));
	EXPECT_EQ(-EBUSY, raw_claim(self->srv.fd, L_FREE2, "modem"));
	EXPECT_LINE(self->chip, L_FREE2, CONSUMER, false);
	release(self);
	EXPECT_EQ(0, raw_claim(self->srv.fd, L_FREE2, "modem"));
	EXPECT_LINE(self->chip, L_FREE2, "modem", false);
}

TEST_F_TIMEOUT(device, claim_line_out_of_range, TIMEOUT_S)
{
	int fd = self->srv.fd;

	EXPECT_EQ(-EINVAL, raw_claim(fd, DEV_LINES, "x"));
	EXPECT_EQ(-EINVAL, raw_claim(fd, GUSE_LINES_MAX, "x"));
	EXPECT_EQ(-EINVAL, raw_claim(fd, 0xffffffff, "x"));
	EXPECT_EQ(0, raw_claim(fd, L_LAST, "x"));
	EXPECT_LINE(self->chip, L_LAST, "x", false);
}

TEST_F_TIMEOUT(device, claim_invalid_line_einval, TIMEOUT_S)
{
	EXPECT_EQ(-EINVAL, raw_claim(self->srv.fd, L_INVALID, "x"));
	EXPECT_EQ(-EINVAL, raw_unclaim(self->srv.fd, L_INVALID));
}

TEST_F_TIMEOUT(device, claim_nonzero_reserved_einval, TIMEOUT_S)
{
	struct guse_line_consumer lc = {
		.line = L_FREE, .reserved = 1, .consumer = "x",
	};

	EXPECT_EQ(-EINVAL, send_claim(self->srv.fd, &lc, sizeof(lc)));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	lc.reserved = 0;
	EXPECT_EQ(0, send_claim(self->srv.fd, &lc, sizeof(lc)));
	EXPECT_LINE(self->chip, L_FREE, "x", false);
}

TEST_F_TIMEOUT(device, claim_wrong_size_einval, TIMEOUT_S)
{
	static const size_t sizes[] = { 0, 8, 16, 39, 41, 48 };
	struct guse_line_consumer lc = { .line = L_FREE, .consumer = "x" };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		EXPECT_EQ(-EINVAL, send_claim(self->srv.fd, &lc, sizes[i]))
			TH_LOG("%zu bytes", sizes[i]);
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
}

TEST_F_TIMEOUT(device, claim_empty_label_einval, TIMEOUT_S)
{
	struct guse_line_consumer lc = { .line = L_FREE };

	EXPECT_EQ(-EINVAL, send_claim(self->srv.fd, &lc, sizeof(lc)));
	/* a label is a string: what follows its NUL is not looked at */
	memcpy(lc.consumer, "\0junk", 5);
	EXPECT_EQ(-EINVAL, send_claim(self->srv.fd, &lc, sizeof(lc)));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
}

TEST_F_TIMEOUT(device, claim_unterminated_label_einval, TIMEOUT_S)
{
	struct guse_line_consumer lc = { .line = L_FREE };

	memset(lc.consumer, 'c', sizeof(lc.consumer));
	EXPECT_EQ(-EINVAL, send_claim(self->srv.fd, &lc, sizeof(lc)));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
	/* 31 characters are the longest label */
	lc.consumer[GUSE_NAME_SIZE - 1] = 0;
	EXPECT_EQ(0, send_claim(self->srv.fd, &lc, sizeof(lc)));
	EXPECT_LINE(self->chip, L_FREE, "ccccccccccccccccccccccccccccccc",
		    false);
}

TEST_F_TIMEOUT(device, unclaim_not_claimed_einval, TIMEOUT_S)
{
	EXPECT_EQ(-EINVAL, raw_unclaim(self->srv.fd, L_FREE));
	ASSERT_EQ(0, raw_claim(self->srv.fd, L_FREE, "x"));
	EXPECT_EQ(0, raw_unclaim(self->srv.fd, L_FREE));
	EXPECT_EQ(-EINVAL, raw_unclaim(self->srv.fd, L_FREE));
	EXPECT_LINE(self->chip, L_FREE, NULL, false);
}

TEST_F_TIMEOUT(device, unclaim_malformed_einval, TIMEOUT_S)
{
	struct guse_line l = { .line = L_FREE, .reserved = 1 };
	uint8_t buf[16] = { 0 };
	int fd = self->srv.fd;

	ASSERT_EQ(0, raw_claim(fd, L_FREE, "x"));
	EXPECT_EQ(-EINVAL, raw_send_msg(fd, GUSE_OP_UNCLAIM, 0, 0, &l,
					sizeof(l)));
	l.reserved = 0;
	memcpy(buf, &l, sizeof(l));
	EXPECT_EQ(-EINVAL, raw_send_msg(fd, GUSE_OP_UNCLAIM, 0, 0, buf, 4));
	EXPECT_EQ(-EINVAL, raw_send_msg(fd, GUSE_OP_UNCLAIM, 0, 0, buf, 12));
	EXPECT_EQ(-EINVAL, raw_send_msg(fd, GUSE_OP_UNCLAIM, 0, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, raw_unclaim(fd, DEV_LINES));
	EXPECT_EQ(-EINVAL, raw_unclaim(fd, 0xffffffff));
	EXPECT_LINE(self->chip, L_FREE, "x", false);
	EXPECT_EQ(0, raw_unclaim(fd, L_FREE));
}

/* A consumer requesting line 3 of the chip named by @arg: 0 or errno. */
static void *request_line3(void *arg)
{
	struct user_req r = {
		.first = 3, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_INPUT, .consumer = CONSUMER,
	};

	return (void *)(intptr_t)user_request_once(arg, &r);
}

/*
 * A host request in progress (the server read REQUEST and did not answer
 * yet) holds the line: the device side cannot change or claim it.  Before
 * the fix LINE_DIRECTION went through (only CLAIM was refused) and the
 * consumer's own direction then silently replaced it.
 */
TEST_F_TIMEOUT(fresh, device_side_request_in_progress_ebusy, TIMEOUT_S)
{
	struct guse_ready ready;
	struct raw_msg m;
	pthread_t consumer;
	int fd = self->fd, n;
	void *res;

	ASSERT_EQ(0, raw_create_chip(fd, "inprogress", 8, 10000,
				     GUSE_CREATE_F_REQUEST, &ready));
	ASSERT_EQ(0, pthread_create(&consumer, NULL, request_line3,
				    ready.chip_name));
	do {
		n = raw_recv(fd, &m, 10000);
		ASSERT_GT(n, 0);
	} while (le16toh(m.hdr.opcode) != GUSE_OP_REQUEST);
	EXPECT_EQ(-EBUSY, raw_line_direction(fd, 3, GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_EQ(-EBUSY, raw_claim(fd, 3, "device"));
	/* the other lines are free */
	EXPECT_EQ(0, raw_line_direction(fd, 4, GUSE_DIRECTION_OUTPUT, 1));
	/* the server goes: the request fails, the consumer returns */
	close(fd);
	self->fd = -1;
	ASSERT_EQ(0, pthread_join(consumer, &res));
	EXPECT_NE(0, (intptr_t)res);
}

/*
 * A device-side direction change or claim sent the moment the server reads
 * a FREE.  gpiolib (6.9 and later) writes a copy of the line's flags back
 * after gc->free has returned; a direction set before that was lost: the
 * server had made the line an output, gpiolib went on showing an input,
 * for good (guse-qemu showed a guest's output as an input after a host
 * gpioget), and a claim failed with EBUSY.  The kernel now waits for
 * gpiolib to finish the release, and the change goes through at the first
 * try.  To hit the window every time, the server
 * runs at real-time priority on the consumer's CPU with full preemption:
 * the FREE's wake-up switches to the server inside gc->free.
 */
#define PREEMPT_FILE "/sys/kernel/debug/sched/preempt"
#define RACE_ROUNDS 20

FIXTURE(release_race) {
	int fd;
	char mode[16];	/* the preemption mode to restore, "" if unchanged */
};

/* What the device does at the FREE: a direction change or a claim. */
FIXTURE_VARIANT(release_race) {
	bool claim;
};

FIXTURE_VARIANT_ADD(release_race, direction) {
	.claim = false,
};

/* before the fix a claim right after a FREE failed with EBUSY */
FIXTURE_VARIANT_ADD(release_race, claim) {
	.claim = true,
};

FIXTURE_SETUP(release_race)
{
	char buf[128], *open_p, *close_p;
	FILE *f = fopen(PREEMPT_FILE, "r+");

	self->mode[0] = '\0';
	self->fd = -1;
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		SKIP(return, "no %s (needs debugfs, PREEMPT_DYNAMIC and CONFIG_SCHED_DEBUG)",
		     PREEMPT_FILE);
	}
	/* "none voluntary (full) lazy": the current mode in parentheses */
	open_p = strchr(buf, '(');
	close_p = open_p ? strchr(open_p, ')') : NULL;
	if (!close_p || close_p - open_p - 1 >= (int)sizeof(self->mode)) {
		fclose(f);
		SKIP(return, "cannot parse %s: %s", PREEMPT_FILE, buf);
	}
	memcpy(self->mode, open_p + 1, close_p - open_p - 1);
	self->mode[close_p - open_p - 1] = '\0';
	rewind(f);
	ASSERT_LT(0, fprintf(f, "full\n"));
	ASSERT_EQ(0, fclose(f)) TH_LOG("full preemption: %s", strerror(errno));
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/guse: %s", strerror(errno));
}

FIXTURE_TEARDOWN(release_race)
{
	FILE *f;

	if (self->fd >= 0)
		close(self->fd);
	if (self->mode[0]) {
		f = fopen(PREEMPT_FILE, "w");
		if (f) {
			fprintf(f, "%s\n", self->mode);
			fclose(f);
		}
	}
}

static int pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* request_line3() on CPU 0, below the server (it inherits SCHED_FIFO) */
static void *request_line3_cpu0(void *arg)
{
	struct sched_param sp = { .sched_priority = 0 };
	int err = pin_to_cpu0();

	if (!err && pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp))
		err = -EPERM;
	return err ? (void *)(intptr_t)-err : request_line3(arg);
}

TEST_F_TIMEOUT(release_race, device_change_at_free, TIMEOUT_S * 3)
{
	struct sched_param sp = { .sched_priority = 10 };
	unsigned int round, tries, refused = 0;
	struct raw_seen seen = { 0 };
	struct guse_ready ready;
	struct gpiod_chip *chip;
	pthread_t consumer;
	struct raw_msg m;
	struct info in;
	void *res;
	int fd = self->fd, ret;

	ASSERT_EQ(0, raw_create_chip(fd, "freerace", 8, 10000,
				     GUSE_CREATE_F_REQUEST, &ready));
	chip = user_chip_open(ready.chip_name);
	ASSERT_NE(NULL, chip);
	ASSERT_EQ(0, pin_to_cpu0());
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &sp))
		TH_LOG("SCHED_FIFO: %s", strerror(errno));
	for (round = 0; round < RACE_ROUNDS; round++) {
		/* a consumer takes line 3 as an input and releases it */
		ASSERT_EQ(0, pthread_create(&consumer, NULL, request_line3_cpu0,
					    ready.chip_name));
		do {
			ASSERT_LT(0, raw_recv(fd, &m, 10000));
			ASSERT_EQ(0, raw_answer(fd, &m, &seen));
		} while (le16toh(m.hdr.opcode) != GUSE_OP_FREE);
		/* the device takes it at once, as guse-qemu did */
		for (tries = 0; tries < 10000; tries++) {
			ret = variant->claim ? raw_claim(fd, 3, "device") :
				raw_line_direction(fd, 3, GUSE_DIRECTION_OUTPUT, 1);
			if (ret != -EBUSY)
				break;
			refused++;
			usleep(500);	/* lets the consumer finish its release */
		}
		ASSERT_EQ(0, ret) TH_LOG("round %u: %s", round, strerror(-ret));
		ASSERT_EQ(0, pthread_join(consumer, &res));
		ASSERT_EQ(0, (intptr_t)res);
		ASSERT_EQ(0, line_info(chip, 3, &in));
		if (variant->claim) {
			EXPECT_TRUE(in.used);
			EXPECT_STREQ("device", in.consumer);
			ASSERT_EQ(0, raw_unclaim(fd, 3));
			continue;
		}
		EXPECT_FALSE(in.used);
		EXPECT_TRUE(in.output)
			TH_LOG("round %u: the server's output shows as an input", round);
		if (!in.output)
			break;
	}
	/* no EBUSY: the change after a FREE is never refused */
	EXPECT_EQ(0U, refused);
	ksft_print_msg("%u rounds held, the %s refused %u times while gpiolib released the line\n",
		       round, variant->claim ? "claim" : "direction change", refused);
	gpiod_chip_close(chip);
}

/* ---- a chip whose CREATE is larger than 1.0's 64 KiB limit ---- */

/* 1024 named lines, all hogs: 80 + 1024 * (32 + 8 + 32) payload bytes. */
TEST_F_TIMEOUT(fresh, create_above_64k, TIMEOUT_S)
{
	static uint32_t flags[GUSE_LINES_MAX];
	static char names[GUSE_LINES_MAX * GUSE_NAME_SIZE];
	static char label_buf[GUSE_LINES_MAX][GUSE_NAME_SIZE];
	static const char *labels[GUSE_LINES_MAX];
	static uint8_t init[GUSE_LINES_MAX * (8 + GUSE_NAME_SIZE)];
	struct raw_create a = {
		.label = "big", .num_lines = GUSE_LINES_MAX,
		.flags = GUSE_CREATE_F_LINE_NAMES | GUSE_CREATE_F_LINE_INIT,
		.names = names, .names_len = sizeof(names), .init = init,
	};
	struct guse_ready ready;
	struct gpiod_chip *chip;
	unsigned int i;
	struct info in;

	if (raw_read_uint("/sys/module/gpio_guse/parameters/max_lines",
			  GUSE_LINES_MAX) < GUSE_LINES_MAX)
		SKIP(return, "gpio-guse max_lines is below %u", GUSE_LINES_MAX);
	for (i = 0; i < GUSE_LINES_MAX; i++) {
		flags[i] = GUSE_LINE_INIT_F_HOG | (i & 1 ? GUSE_LINE_INIT_F_OUTPUT : 0);
		snprintf(names + i * GUSE_NAME_SIZE, GUSE_NAME_SIZE, "n%u", i);
		snprintf(label_buf[i], GUSE_NAME_SIZE, "hog%u", i);
		labels[i] = label_buf[i];
	}
	a.init_len = raw_line_init(init, sizeof(init), GUSE_LINES_MAX, flags,
				   labels);
	ASSERT_LT(65536U, sizeof(struct guse_msg_header) +
			  sizeof(struct guse_create) + a.names_len + a.init_len);
	ASSERT_EQ(0, raw_create_chip_with(self->fd, &a, &ready));
	chip = user_chip_open(ready.chip_name);
	ASSERT_NE(NULL, chip);
	for (i = 0; i < GUSE_LINES_MAX; i += 341) {
		ASSERT_EQ(0, line_info(chip, i, &in));
		EXPECT_TRUE(in.used);
		EXPECT_STREQ(label_buf[i], in.consumer);
		EXPECT_EQ(i & 1, in.output) TH_LOG("line %u", i);
	}
	ASSERT_EQ(0, line_info(chip, GUSE_LINES_MAX - 1, &in));
	EXPECT_STREQ("n1023", in.name);
	EXPECT_STREQ("hog1023", in.consumer);
	gpiod_chip_close(chip);
	close(self->fd);
	self->fd = -1;
	for (i = 0; i < 500 && chardev_exists(ready.chip_name); i++)
		usleep(10000);
	EXPECT_FALSE(chardev_exists(ready.chip_name));
}

/* ---- a 1.0 server on the 1.1 kernel ------------------------------------- */

#define V10_LINES	8

/* ---- GUSE_CREATE_F_OUTPUT_CACHE (1.2) ---- */

#define CACHE_LINES	8

/*
 * Two chips served by threads that count the GET_VALUES they answer: one
 * with GUSE_CREATE_F_OUTPUT_CACHE, one without.
 */
FIXTURE(cache) {
	struct raw_server srv[2];	/* [0] with the flag */
	bool started[2];
	struct gpiod_chip *chip[2];
};

FIXTURE_SETUP(cache)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = raw_server_start(&self->srv[i], i ? "nocache" : "cache",
				       CACHE_LINES,
				       GUSE_CREATE_F_REQUEST |
				       (i ? 0 : GUSE_CREATE_F_OUTPUT_CACHE));
		ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
		self->started[i] = true;
		self->chip[i] = user_chip_open(self->srv[i].ready.chip_name);
		ASSERT_NE(NULL, self->chip[i]);
	}
}

FIXTURE_TEARDOWN(cache)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->chip[i])
			gpiod_chip_close(self->chip[i]);
		if (self->started[i])
			raw_server_stop(&self->srv[i], true);
	}
}

static unsigned int get_values_seen(struct raw_server *srv)
{
	struct raw_seen seen;

	raw_server_seen(srv, &seen);
	return seen.get_values;
}

/* Requests @line as an output driving @value. */
static struct gpiod_line_request *cache_output(struct gpiod_chip *chip,
					       unsigned int line, int value)
{
	enum gpiod_line_value v = value ? GPIOD_LINE_VALUE_ACTIVE :
					  GPIOD_LINE_VALUE_INACTIVE;
	struct user_req r = { .first = line, .num = 1, .values = &v,
			      .direction = GPIOD_LINE_DIRECTION_OUTPUT,
			      .consumer = CONSUMER };

	return user_request(chip, &r);
}

/*
 * With the flag, reads of a requested output are answered by the kernel
 * from the value set: no GET_VALUES reaches the server, neither for the
 * initial value nor after a set; without it every read does.
 */
TEST_F_TIMEOUT(cache, output_reads_answered_by_the_kernel, TIMEOUT_S)
{
	struct gpiod_line_request *req;
	unsigned int before;
	int i, k;

	for (i = 0; i < 2; i++) {
		req = cache_output(self->chip[i], 3, 1);
		ASSERT_NE(NULL, req) TH_LOG("request: %s", strerror(errno));
		before = get_values_seen(&self->srv[i]);
		for (k = 0; k < 10; k++)
			EXPECT_EQ(GPIOD_LINE_VALUE_ACTIVE,
				  gpiod_line_request_get_value(req, 3));
		EXPECT_EQ(0, gpiod_line_request_set_value(req, 3,
						GPIOD_LINE_VALUE_INACTIVE));
		for (k = 0; k < 10; k++)
			EXPECT_EQ(GPIOD_LINE_VALUE_INACTIVE,
				  gpiod_line_request_get_value(req, 3));
		EXPECT_EQ(i ? 20U : 0U, get_values_seen(&self->srv[i]) - before);
		gpiod_line_request_release(req);
	}
}

/* Several lines in one read: the cached ones need no round trip either. */
TEST_F_TIMEOUT(cache, multi_line_reads, TIMEOUT_S)
{
	static const enum gpiod_line_value v[4] = {
		GPIOD_LINE_VALUE_ACTIVE, GPIOD_LINE_VALUE_INACTIVE,
		GPIOD_LINE_VALUE_ACTIVE, GPIOD_LINE_VALUE_ACTIVE,
	};
	struct user_req r = { .first = 4, .num = 4, .values = v,
			      .direction = GPIOD_LINE_DIRECTION_OUTPUT,
			      .consumer = CONSUMER };
	enum gpiod_line_value got[4];
	struct gpiod_line_request *req;
	unsigned int before;

	req = user_request(self->chip[0], &r);
	ASSERT_NE(NULL, req) TH_LOG("request: %s", strerror(errno));
	before = get_values_seen(&self->srv[0]);
	ASSERT_EQ(0, gpiod_line_request_get_values(req, got));
	EXPECT_EQ(0, memcmp(v, got, sizeof(got)));
	EXPECT_EQ(0U, get_values_seen(&self->srv[0]) - before);
	gpiod_line_request_release(req);
}

/*
 * A released line's value is the server's again: a line requested "as
 * is" afterwards is an output the kernel did not set, read from the server.
 */
TEST_F_TIMEOUT(cache, released_output_read_from_server, TIMEOUT_S)
{
	struct user_req r = { .first = 3, .num = 1, .consumer = CONSUMER };
	struct gpiod_line_request *req;
	unsigned int before;

	req = cache_output(self->chip[0], 3, 1);
	ASSERT_NE(NULL, req);
	gpiod_line_request_release(req);
	req = user_request(self->chip[0], &r);	/* as is: stays an output */
	ASSERT_NE(NULL, req) TH_LOG("request: %s", strerror(errno));
	before = get_values_seen(&self->srv[0]);
	EXPECT_LE(0, gpiod_line_request_get_value(req, 3));
	EXPECT_EQ(1U, get_values_seen(&self->srv[0]) - before);
	gpiod_line_request_release(req);
}

/* Inputs are read from the injected levels, with the flag as without. */
TEST_F_TIMEOUT(cache, input_reads_unchanged, TIMEOUT_S)
{
	struct user_req r = { .first = 2, .num = 1, .consumer = CONSUMER,
			      .direction = GPIOD_LINE_DIRECTION_INPUT };
	struct gpiod_line_request *req;
	unsigned int before;

	ASSERT_EQ(0, raw_server_set_input(&self->srv[0], 2, true));
	req = user_request(self->chip[0], &r);
	ASSERT_NE(NULL, req) TH_LOG("request: %s", strerror(errno));
	before = get_values_seen(&self->srv[0]);
	EXPECT_EQ(GPIOD_LINE_VALUE_ACTIVE, gpiod_line_request_get_value(req, 2));
	EXPECT_EQ(0U, get_values_seen(&self->srv[0]) - before);
	gpiod_line_request_release(req);
}

/*
 * A server that announces protocol 1.0 with every 1.0 feature and sends
 * only what 1.0 defines, served by a thread.
 */
FIXTURE(v10) {
	struct raw_server srv;
	bool started;
	char names[V10_LINES * GUSE_NAME_SIZE];
};

FIXTURE_SETUP(v10)
{
	struct raw_create a = {
		.label = "old", .version = GUSE_VERSION_MAJOR << 16 | 0,
		.num_lines = V10_LINES, .flags = GUSE_CREATE_F_ALL_1_0,
		.names = self->names, .names_len = sizeof(self->names),
	};
	int ret;

	memset(self->names, 0, sizeof(self->names));
	ret = raw_server_start_with(&self->srv, &a);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	self->started = true;
}

FIXTURE_TEARDOWN(v10)
{
	if (self->started)
		raw_server_stop(&self->srv, true);
}

TEST_F_TIMEOUT(v10, ready_reports_the_kernels_1_2, TIMEOUT_S)
{
	EXPECT_EQ((uint32_t)(GUSE_VERSION_MAJOR << 16 | 2),
		  self->srv.ready.version);
	EXPECT_EQ((uint32_t)GUSE_VERSION, self->srv.ready.version);
	EXPECT_EQ((uint32_t)V10_LINES, self->srv.ready.num_lines);
}

/* The 1.1 notifications do not exist for it, whatever their payload. */
TEST_F_TIMEOUT(v10, device_notifications_eopnotsupp, TIMEOUT_S)
{
	struct gpiod_chip *chip;
	int fd = self->srv.fd;

	EXPECT_EQ(-EOPNOTSUPP, raw_line_direction(fd, 1,
						  GUSE_DIRECTION_OUTPUT, 1));
	EXPECT_EQ(-EOPNOTSUPP, raw_claim(fd, 1, "x"));
	EXPECT_EQ(-EOPNOTSUPP, raw_unclaim(fd, 1));
	EXPECT_EQ(-EOPNOTSUPP, raw_send_msg(fd, GUSE_OP_LINE_DIRECTION, 0, 0,
					    NULL, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_line_direction(fd, 999, 7, 7));
	EXPECT_EQ(-EOPNOTSUPP, raw_claim(fd, 999, ""));
	/* nor does 1.2's WAKEUP */
	EXPECT_EQ(-EOPNOTSUPP, raw_send_msg(fd, GUSE_OP_WAKEUP, 0, 0, NULL, 0));
	chip = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, chip);
	EXPECT_LINE(chip, 1, NULL, false);
	gpiod_chip_close(chip);
}

/*
 * A libgpiod consumer drives an output and reads it back, then reads an
 * injected input: REQUEST, GET_DIRECTION, DIRECTION_OUTPUT, SET_VALUES,
 * GET_VALUES and FREE reach the old server, and nothing it does not know.
 */
TEST_F_TIMEOUT(v10, serves_libgpiod_consumer, TIMEOUT_S)
{
	static const unsigned int lines[] = { 5, 6 };
	static const enum gpiod_line_value high[] = { GPIOD_LINE_VALUE_ACTIVE };
	struct user_req out = {
		.offsets = lines, .num = 1, .values = high,
		.direction = GPIOD_LINE_DIRECTION_OUTPUT, .consumer = CONSUMER,
	};
	struct user_req in = {
		.offsets = lines + 1, .num = 1,
		.direction = GPIOD_LINE_DIRECTION_INPUT, .consumer = CONSUMER,
	};
	struct gpiod_line_request *req;
	struct gpiod_chip *chip;
	struct raw_seen seen;
	int v, deadline;

	chip = user_chip_open(self->srv.ready.chip_name);
	ASSERT_NE(NULL, chip);
	req = user_request(chip, &out);
	ASSERT_NE(NULL, req) TH_LOG("request: %m");
	raw_server_seen(&self->srv, &seen);
	EXPECT_EQ(1U, (seen.is_output[0] & seen.outputs[0]) >> 5 & 1);
	for (v = 0; v < 4; v++) {
		ASSERT_EQ(0, gpiod_line_request_set_value(req, 5, v & 1));
		raw_server_seen(&self->srv, &seen);
		EXPECT_EQ((uint64_t)(v & 1), seen.outputs[0] >> 5 & 1);
		EXPECT_EQ(v & 1, get_value(req, 5));
	}
	gpiod_line_request_release(req);
	req = user_request(chip, &in);
	ASSERT_NE(NULL, req) TH_LOG("request: %m");
	ASSERT_EQ(0, raw_server_set_input(&self->srv, 6, true));
	EXPECT_EQ(1, get_value(req, 6));
	gpiod_line_request_release(req);
	gpiod_chip_close(chip);
	/* FREE is sent without waiting */
	deadline = raw_now_ms() + 5000;
	do {
		raw_server_seen(&self->srv, &seen);
	} while (seen.frees < 2 && raw_now_ms() < deadline && !usleep(5000));
	EXPECT_EQ(2U, seen.requests);
	EXPECT_EQ(2U, seen.frees);
	EXPECT_STREQ(CONSUMER, seen.consumer);
	EXPECT_LE(4U, seen.set_values);
	EXPECT_LE(5U, seen.get_values);
	EXPECT_EQ(0U, seen.others);
}

GUSE_HARNESS_MAIN(GUSE_NEED_DEVICE())
