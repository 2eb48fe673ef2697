// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QMP client against a fake QEMU on a socketpair: the line splitter,
 * message kinds, the greeting and capabilities negotiation, answers
 * matched by id with events in between, errors and the end of the
 * connection.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../qmp.h"
#include "check.h"


static void test_lines(void)
{
	struct qmp_lines l = { 0 };
	char *line, *big;
	int err;

	CHECK(qmp_lines_feed(&l, "{\"a\":", 5) == 0);
	CHECK(qmp_lines_next(&l, &err) == NULL && err == 0);
	CHECK(qmp_lines_feed(&l, "1}\r\n{\"b\":2}\n{\"c\"", 17) == 0);
	line = qmp_lines_next(&l, &err);
	CHECK(line && !strcmp(line, "{\"a\":1}"));
	free(line);
	line = qmp_lines_next(&l, &err);
	CHECK(line && !strcmp(line, "{\"b\":2}"));
	free(line);
	CHECK(qmp_lines_next(&l, &err) == NULL);
	qmp_lines_free(&l);

	big = malloc(QMP_MESSAGE_MAX + 1);
	CHECK(big != NULL);
	memset(big, ' ', QMP_MESSAGE_MAX + 1);
	CHECK(qmp_lines_feed(&l, big, QMP_MESSAGE_MAX + 1) < 0 && errno == EMSGSIZE);
	free(big);
	qmp_lines_free(&l);
}

static int kind(const char *text, long long *id)
{
	json_t *m = json_loads(text, 0, NULL);
	int k = qmp_message_kind(m, id);

	json_decref(m);
	return k;
}

static void test_kinds(void)
{
	long long id;

	CHECK(kind("{\"return\": {}, \"id\": 7}", &id) == 1 && id == 7);
	CHECK(kind("{\"return\": []}", &id) == 1 && id == -1);
	CHECK(kind("{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 3}", &id) == 1 && id == 3);
	CHECK(kind("{\"event\": \"RESET\", \"data\": {}}", &id) == 2);
	CHECK(kind("{\"QMP\": {\"version\": {}}}", &id) == 3);
	CHECK(kind("{\"something\": 1}", &id) == 0);
	CHECK(kind("[1, 2]", &id) == 0);
	CHECK(qmp_message_kind(NULL, &id) == 0);
}

static char seen[1024];

static void on_reply(void *arg, json_t *ret, const char *err)
{
	char tmp[256];
	char *text = ret ? json_dumps(ret, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	snprintf(tmp, sizeof(tmp), "[%s:%s]", (const char *)arg, ret ? text : err);
	free(text);
	strncat(seen, tmp, sizeof(seen) - strlen(seen) - 1);
}

static void on_event(void *arg, const char *event, json_t *data)
{
	char tmp[64];

	(void)arg;
	snprintf(tmp, sizeof(tmp), "<%s%s>", event, data ? "+data" : "");
	strncat(seen, tmp, sizeof(seen) - strlen(seen) - 1);
}

/* The next line the client sent, parsed. */
static json_t *sent(FILE *f)
{
	char line[4096];

	if (!fgets(line, sizeof(line), f))
		return NULL;
	return json_loads(line, 0, NULL);
}

static void put(int fd, const char *s)
{
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

/* A fake QEMU's opening: the greeting, then the capabilities answer. */
struct opening {
	int fd;
	const char *greeting;
};

static void *open_session(void *arg)
{
	struct opening *o = arg;
	char c;

	put(o->fd, o->greeting);
	/* the client's qmp_capabilities, to its newline */
	while (read(o->fd, &c, 1) == 1 && c != '\n')
		;
	put(o->fd, "{\"return\": {}, \"id\": 0}\r\n");
	return NULL;
}

static struct qmp *connect_fake(int sv[2], const char *greeting, char *err, size_t size)
{
	struct opening o = { sv[1], greeting };
	struct qmp *q;
	pthread_t t;

	CHECK(pthread_create(&t, NULL, open_session, &o) == 0);
	q = qmp_connect_fd(sv[0], 2000, err, size);
	pthread_join(t, NULL);
	return q;
}

static void test_session(void)
{
	struct qmp *q;
	FILE *peer;
	json_t *m, *r;
	char err[256];
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	q = connect_fake(sv, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2,"
			 " \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n",
			 err, sizeof(err));
	peer = fdopen(dup(sv[1]), "r");
	CHECK(q != NULL);
	if (!q) {
		fprintf(stderr, "connect: %s\n", err);
		return;
	}
	CHECK(qmp_get_version(q) == 70222);
	qmp_set_event_handler(q, on_event, NULL);

	/* a synchronous call: an event first, then its answer */
	put(sv[1], "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n"
	    "{\"return\": \"pl061\", \"id\": 1}\r\n");
	r = qmp_call(q, 1000, err, sizeof(err), "qom-get",
		     json_pack("{s:s, s:s}", "path", "/machine/x", "property", "type"));
	CHECK(r && json_is_string(r) && !strcmp(json_string_value(r), "pl061"));
	json_decref(r);
	CHECK(!strcmp(seen, "<RESUME>"));
	m = sent(peer);
	CHECK(m && json_integer_value(json_object_get(m, "id")) == 1 &&
	      !strcmp(json_string_value(json_object_get(json_object_get(m, "arguments"), "path")),
		      "/machine/x"));
	json_decref(m);

	/* an error answer */
	put(sv[1], "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device '/x' not found\"},"
	    " \"id\": 2}\r\n");
	r = qmp_call(q, 1000, err, sizeof(err), "qom-get", NULL);
	CHECK(!r && errno == EREMOTEIO && !strcmp(err, "Device '/x' not found"));
	json_decref(sent(peer));

	/* asynchronous commands answered out of order, by id */
	seen[0] = '\0';
	CHECK(qmp_send(q, "a", NULL, on_reply, "a") == 0);
	CHECK(qmp_send(q, "b", NULL, on_reply, "b") == 0);
	put(sv[1], "{\"return\": 1, \"id\": 4}\n{\"event\": \"RESET\", \"data\": {\"guest\": true}}\n"
	    "{\"return\": {}, \"id\": 99}\n{\"return\": 0, \"id\": 3}\n");
	CHECK(qmp_dispatch(q) == 0);
	CHECK(!strcmp(seen, "[b:1]<RESET+data>[a:0]"));
	if (strcmp(seen, "[b:1]<RESET+data>[a:0]"))
		fprintf(stderr, "seen %s\n", seen);

	/* no answer in time */
	r = qmp_call(q, 50, err, sizeof(err), "slow", NULL);
	CHECK(!r && errno == ETIMEDOUT && strstr(err, "no answer"));

	/* not JSON: the connection is over, waiting commands fail */
	seen[0] = '\0';
	CHECK(qmp_send(q, "c", NULL, on_reply, "c") == 0);
	put(sv[1], "{not json\n");
	CHECK(qmp_dispatch(q) < 0 && errno == EPROTO);
	CHECK(!strncmp(seen, "[c:", 3));
	CHECK(qmp_send(q, "d", NULL, on_reply, "d") < 0 && errno == EPIPE);
	qmp_free(q);
	fclose(peer);
	close(sv[1]);

	/* QEMU goes away */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	q = connect_fake(sv, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0,"
			 " \"major\": 10}}}}\n", err, sizeof(err));
	CHECK(q && qmp_get_version(q) == 100000);
	seen[0] = '\0';
	CHECK(qmp_send(q, "e", NULL, on_reply, "e") == 0);
	close(sv[1]);
	CHECK(qmp_dispatch(q) < 0 && errno == ECONNRESET);
	CHECK(!strncmp(seen, "[e:", 3));
	qmp_free(q);

	/* no greeting */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	q = qmp_connect_fd(sv[0], 50, err, sizeof(err));
	CHECK(!q && errno == ETIMEDOUT && strstr(err, "greeting"));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	test_lines();
	test_kinds();
	test_session();
	if (!failures)
		printf("test-qmp: all checks passed\n");
	return check_status("test-qmp");
}
