// SPDX-License-Identifier: GPL-2.0-or-later
/* QOM queries over QMP and qtest set-up calls for the controllers: see bridge.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

/* Objects visited at most when looking for a controller. */
#define QOM_WALK_MAX 8192

static json_t *call(struct bridge *b, const char *cmd, json_t *args)
{
	char err[256];
	json_t *r = qmp_call(b->qmp, BRIDGE_CALL_MS, err, sizeof(err), cmd, args);

	if (!r)
		bridge_error(b, "%s", err);
	return r;
}

int qom_get_type(struct bridge *b, const char *path, char *type, size_t size)
{
	json_t *r = call(b, "qom-get", json_pack("{s:s, s:s}", "path", path,
						  "property", "type"));

	if (!r)
		return bridge_error(b, "QOM path %s: %s", path, b->err);
	if (!json_is_string(r)) {
		json_decref(r);
		return bridge_error(b, "QOM path %s: its type is not a string", path);
	}
	snprintf(type, size, "%s", json_string_value(r));
	json_decref(r);
	return 0;
}

int qom_type_is(struct bridge *b, const char *type, const char *base)
{
	json_t *r, *t;
	size_t i;
	int found = 0;

	if (!strcmp(type, base))
		return 1;
	r = call(b, "qom-list-types", json_pack("{s:s, s:b}", "implements", base,
						 "abstract", 1));
	if (!r)
		return -1;
	json_array_foreach(r, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));

		if (name && !strcmp(name, type))
			found = 1;
	}
	json_decref(r);
	return found;
}

/* Every concrete type that is one of @types or derives from one. */
static json_t *subtypes(struct bridge *b, const char *const *types)
{
	json_t *set = json_object(), *r, *t;
	size_t i;

	for (; set && *types; types++) {
		json_object_set_new(set, *types, json_true());
		r = call(b, "qom-list-types", json_pack("{s:s}", "implements", *types));
		if (!r) {
			/* a type this QEMU does not have is no error */
			b->err[0] = '\0';
			continue;
		}
		json_array_foreach(r, i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));

			if (name)
				json_object_set_new(set, name, json_true());
		}
		json_decref(r);
	}
	return set;
}

int qom_find(struct bridge *b, const char *const *types, char (*paths)[256], int max)
{
	json_t *want = subtypes(b, types);
	char (*queue)[256] = calloc(QOM_WALK_MAX, 256);
	int head = 0, tail = 0, found = 0;

	if (!want || !queue) {
		json_decref(want);
		free(queue);
		return bridge_error(b, "out of memory");
	}
	snprintf(queue[tail++], 256, "/machine");
	while (head < tail) {
		const char *path = queue[head++];
		json_t *r = call(b, "qom-list", json_pack("{s:s}", "path", path)), *p;
		size_t i;

		if (!r) {
			found = -1;
			break;
		}
		json_array_foreach(r, i, p) {
			const char *name = json_string_value(json_object_get(p, "name"));
			const char *t = json_string_value(json_object_get(p, "type"));
			char child[256], ctype[128];
			size_t n;

			if (!name || !t || strncmp(t, "child<", 6))
				continue;
			n = strlen(t);
			if (n - 7 >= sizeof(ctype) || t[n - 1] != '>')
				continue;
			memcpy(ctype, t + 6, n - 7);
			ctype[n - 7] = '\0';
			/* leaves with many siblings that are never controllers */
			if (!strcmp(ctype, "irq") || !strcmp(ctype, "memory-region"))
				continue;
			if (snprintf(child, sizeof(child), "%s/%s", path, name) >= (int)sizeof(child))
				continue;
			if (json_object_get(want, ctype)) {
				if (found < max)
					snprintf(paths[found], 256, "%s", child);
				found++;
			}
			if (tail < QOM_WALK_MAX)
				memcpy(queue[tail++], child, sizeof(child));
		}
		json_decref(r);
	}
	json_decref(want);
	free(queue);
	return found;
}

int qom_count_array(struct bridge *b, const char *path, const char *prefix)
{
	json_t *r = call(b, "qom-list", json_pack("{s:s}", "path", path)), *p;
	size_t i, n = strlen(prefix);
	int count = 0;

	if (!r)
		return -1;
	/* the largest N with every PREFIX[0..N-1] present */
	for (;;) {
		char want[128];
		int seen = 0;

		snprintf(want, sizeof(want), "%s[%d]", prefix, count);
		json_array_foreach(r, i, p) {
			const char *name = json_string_value(json_object_get(p, "name"));

			if (name && !strncmp(name, prefix, n) && !strcmp(name, want))
				seen = 1;
		}
		if (!seen)
			break;
		count++;
	}
	json_decref(r);
	return count;
}

int qom_get_int(struct bridge *b, const char *path, const char *prop, long long *v)
{
	json_t *r = call(b, "qom-get", json_pack("{s:s, s:s}", "path", path,
						  "property", prop));

	if (!r)
		return bridge_error(b, "%s property %s: %s", path, prop, b->err);
	if (json_is_integer(r))
		*v = json_integer_value(r);
	else if (json_is_boolean(r))
		*v = json_is_true(r);
	else {
		json_decref(r);
		return bridge_error(b, "%s property %s is not a number", path, prop);
	}
	json_decref(r);
	return 0;
}

/* The answer of an asynchronous qom-set. */
struct qom_set {
	struct bridge *b;
	bridge_done_fn done;
	void *arg;
};

static void qom_set_reply(void *arg, json_t *ret, const char *err)
{
	struct qom_set *s = arg;

	if (!ret)
		bridge_trace(s->b, "qom-set failed: %s", err);
	if (s->done)
		s->done(s->b, s->arg, ret ? 0 : EIO);
	free(s);
}

int qom_set_bool(struct bridge *b, const char *path, const char *prop, bool v,
		 bridge_done_fn done, void *arg)
{
	struct qom_set *s = malloc(sizeof(*s));

	if (!s)
		return -1;
	*s = (struct qom_set){ b, done, arg };
	if (qmp_send(b->qmp, "qom-set",
		     json_pack("{s:s, s:s, s:b}", "path", path, "property", prop,
			       "value", v),
		     qom_set_reply, s) < 0) {
		free(s);
		return -1;
	}
	return 0;
}

int mtree_find_base(struct bridge *b, const char *path, uint64_t *base)
{
	json_t *r = call(b, "human-monitor-command",
			 json_pack("{s:s}", "command-line", "info mtree -o"));
	char owner[300];
	const char *text, *line;
	int in_memory = 0, found = -1;

	if (!r)
		return -1;
	text = json_string_value(r);
	snprintf(owner, sizeof(owner), "owner:{dev path=%s}", path);
	/* "address-space: memory" lists the system memory map */
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[512];
		unsigned long long start;
		const char *o;

		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* HMP ends its lines with \r\n */
		if (len && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if (!strncmp(buf, "address-space: ", 15)) {
			in_memory = !strcmp(buf + 15, "memory");
			continue;
		}
		if (!in_memory)
			continue;
		/* the owner ends the line */
		o = strstr(buf, owner);
		if (!o || strcmp(o, owner))
			continue;
		if (sscanf(buf, " %llx-", &start) == 1) {
			*base = start;
			found = 0;
			break;
		}
	}
	json_decref(r);
	if (found < 0)
		return bridge_error(b, "%s owns no region of the system memory map"
				    " (give its address with --base)", path);
	return 0;
}

int bridge_readl(struct bridge *b, uint64_t addr, uint32_t *v)
{
	char buf[64];
	uint64_t val;
	int r = qtest_call(b->qt, BRIDGE_CALL_MS, buf, sizeof(buf), "readl 0x%" PRIx64, addr);

	if (r < 0)
		return bridge_error(b, "readl 0x%" PRIx64 ": %s", addr, strerror(errno));
	if (r == 0 || qtest_parse_value(buf, &val) < 0)
		return bridge_error(b, "readl 0x%" PRIx64 ": QEMU answered %s", addr, buf);
	*v = val;
	return 0;
}

int bridge_intercept_out(struct bridge *b, const char *list)
{
	char buf[256];
	int r = qtest_call(b->qt, BRIDGE_CALL_MS, buf, sizeof(buf), "irq_intercept_out %s%s%s",
			   b->path, list ? " " : "", list ? list : "");

	if (r < 0)
		return bridge_error(b, "irq_intercept_out: %s", strerror(errno));
	if (r == 0)
		return bridge_error(b, "QEMU refused to intercept the outputs of %s: %s%s",
				    b->path, buf, strstr(buf, "already") ?
				    " (one device per QEMU process, and it cannot be undone:"
				    " restart QEMU)" : "");
	return 0;
}
