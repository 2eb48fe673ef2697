// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstate: kernel log, slab counts and stuck tasks, for the kernel tests.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kstate.h"

/* /proc/<pid>/task/<name>: any directory entry name fits */
#define KST_PATH	(64 + 256)

int64_t kst_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- kernel log ---------------------------------------------------------- */

static const char *const kmsg_patterns[] = {
	"WARNING:", "BUG:", "Oops", "general protection fault",
	"Call Trace:", "lockdep", "possible recursive locking",
	"possible circular locking", "KASAN", "UBSAN", "kernel BUG",
	"sleeping function called from invalid context",
	"blocked for more than", "Trying to free already-free IRQ",
	"remove_proc_entry", "kmemleak",
};

/* Records shown after a matching one: the call trace of a report. */
#define KMSG_TRACE_LINES	14

bool kst_kmsg_open(struct kst_kmsg *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return false;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		close(k->fd);
		k->fd = -1;
		return false;
	}
	return true;
}

static bool kmsg_matches(const char *msg)
{
	for (size_t i = 0; i < sizeof(kmsg_patterns) / sizeof(*kmsg_patterns);
	     i++)
		if (strstr(msg, kmsg_patterns[i]))
			return true;
	return false;
}

unsigned int kst_kmsg_scan(struct kst_kmsg *k, const char *tag,
			   unsigned int max_print)
{
	unsigned int found = 0;
	char rec[8192];
	char *msg, *nl;
	ssize_t n;

	if (k->fd < 0)
		return 0;
	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,time,flags;message\n KEY=value..." */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (kmsg_matches(msg)) {
			found++;
			k->trace_left = KMSG_TRACE_LINES;
		} else if (k->trace_left > 0) {
			k->trace_left--;
		} else {
			continue;
		}
		if (k->printed < max_print) {
			k->printed++;
			printf("# %skernel: %s\n", tag, msg);
		}
	}
	fflush(stdout);
	k->found += found;
	return found;
}

void kst_kmsg_close(struct kst_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/* ---- slab counts --------------------------------------------------------- */

static const char *const slab_fixed[] = {
	"proc_dir_entry", "kernfs_node_cache", "task_struct",
};

/* kmalloc-8 ... kmalloc-8k, not the -cg-, -rcl- or dma- variants. */
static bool slab_is_plain_kmalloc(const char *name)
{
	const char *p = name + strlen("kmalloc-");

	if (strncmp(name, "kmalloc-", strlen("kmalloc-")) || !isdigit(*p))
		return false;
	while (isdigit(*p))
		p++;
	return !*p || (p[0] == 'k' && !p[1]);
}

static bool slab_watched(const char *name)
{
	for (size_t i = 0; i < sizeof(slab_fixed) / sizeof(*slab_fixed); i++)
		if (!strcmp(name, slab_fixed[i]))
			return true;
	return slab_is_plain_kmalloc(name);
}

static void slab_shrink(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1) {
		/* not fatal: the counts are just less exact */
	}
	close(fd);
}

/* Reads /proc/slabinfo into @s; picks the caches when @s->n is 0. */
static bool slab_parse(struct kst_slab *s)
{
	bool pick = s->n == 0;
	char line[512], name[KST_SLAB_NAME];
	unsigned int i;
	long active;
	FILE *f;

	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return false;
	for (i = 0; i < s->n; i++)
		s->objs[i] = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &active) != 2)
			continue;
		if (pick) {
			if (!slab_watched(name) || s->n == KST_SLAB_MAX)
				continue;
			snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
			s->objs[s->n++] = active;
			continue;
		}
		for (i = 0; i < s->n; i++)
			if (!strcmp(s->name[i], name))
				s->objs[i] = active;
	}
	fclose(f);
	for (i = 0; i < s->n; i++)
		if (s->objs[i] < 0)
			return false;
	return s->n > 0;
}

bool kst_slab_read(struct kst_slab *s)
{
	unsigned int i;

	if (!s->n && !slab_parse(s))
		return false;
	for (i = 0; i < s->n; i++)
		slab_shrink(s->name[i]);
	return slab_parse(s);
}

bool kst_slab_calm(struct kst_slab *s, int ms)
{
	struct kst_slab next;

	if (!kst_slab_read(s))
		return false;
	for (int t = 0; t < ms; t += 200) {
		usleep(200000);
		next = *s;
		if (!kst_slab_read(&next))
			return false;
		for (unsigned int i = 0; i < s->n; i++)
			if (next.objs[i] < s->objs[i])
				s->objs[i] = next.objs[i];
	}
	return true;
}

void kst_slab_watch_init(struct kst_slab_watch *w, long tol, long step)
{
	memset(w, 0, sizeof(*w));
	w->tol = tol;
	w->step = step;
}

bool kst_slab_take(struct kst_slab_watch *w)
{
	if (w->n == KST_SLAB_READINGS)
		return false;
	if (w->n)
		w->r[w->n] = w->r[0];	/* the same caches */
	if (!kst_slab_calm(&w->r[w->n], 400))
		return false;
	w->n++;
	return true;
}

unsigned int kst_slab_leaks(struct kst_slab_watch *w)
{
	const struct kst_slab *first = &w->r[0], *last;
	unsigned int i, k, n = 0;

	if (w->n < 2)
		return 0;
	last = &w->r[w->n - 1];
	for (i = 0; i < first->n; i++) {
		w->leaking[i] = last->objs[i] - first->objs[i] > w->tol;
		for (k = 1; k < w->n; k++)
			if (w->r[k].objs[i] - w->r[k - 1].objs[i] <= w->step)
				w->leaking[i] = false;
		n += w->leaking[i];
	}
	return n;
}

bool kst_slab_settle(struct kst_slab_watch *w, int timeout_ms)
{
	int64_t deadline = kst_now_ns() + (int64_t)timeout_ms * 1000000;
	struct kst_slab *last;

	if (!w->n || w->n == KST_SLAB_READINGS)
		return false;	/* no first reading, or no room for the last */
	last = &w->r[w->n++];
	*last = w->r[0];
	for (;;) {
		if (!kst_slab_read(last))
			return false;
		if (!kst_slab_leaks(w) || kst_now_ns() > deadline)
			return true;
		usleep(200000);
	}
}

void kst_slab_print(const struct kst_slab_watch *w)
{
	const struct kst_slab *r = w->r;
	char line[1024];
	size_t len = 0;

	if (!w->n)
		return;
	for (unsigned int i = 0; i < r[0].n; i++) {
		len += snprintf(line + len, sizeof(line) - len, " %s",
				r[0].name[i]);
		for (unsigned int k = 1; k < w->n; k++)
			len += snprintf(line + len, sizeof(line) - len, "%s%+ld",
					k > 1 ? "," : " ",
					r[k].objs[i] - r[k - 1].objs[i]);
		len += snprintf(line + len, sizeof(line) - len, "%s",
				w->leaking[i] ? "(!)" : "");
		if (len > sizeof(line) - 160 || i == r[0].n - 1) {
			printf("# slab changes between %u readings:%s\n", w->n,
			       line);
			len = 0;
		}
	}
	fflush(stdout);
}

/* ---- stuck tasks --------------------------------------------------------- */

static void read_small(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* The state letter of /proc/.../stat ("pid (comm) S ..."). */
static char task_state(const char *dir)
{
	char path[KST_PATH + 16], buf[512], *p;

	snprintf(path, sizeof(path), "%s/stat", dir);
	read_small(path, buf, sizeof(buf));
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void dump_one(const char *dir, const char *why)
{
	char path[KST_PATH + 16], comm[64], wchan[128], stack[4096];
	char *line, *save;

	snprintf(path, sizeof(path), "%s/comm", dir);
	read_small(path, comm, sizeof(comm));
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/wchan", dir);
	read_small(path, wchan, sizeof(wchan));
	snprintf(path, sizeof(path), "%s/stack", dir);
	read_small(path, stack, sizeof(stack));
	printf("# %s: %s (%s) state %c wchan %s\n", why, dir, comm,
	       task_state(dir), wchan[0] ? wchan : "-");
	for (line = strtok_r(stack, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("#     %s\n", line);
}

void kst_dump_task(pid_t pid, const char *why)
{
	char dir[64], path[KST_PATH];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d) {
		printf("# %s: pid %d is gone\n", why, (int)pid);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		dump_one(path, why);
	}
	closedir(d);
	fflush(stdout);
}

void kst_dump_irq_threads(void)
{
	char path[KST_PATH], comm[64];
	unsigned int idle = 0;
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!isdigit(de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		read_small(path, comm, sizeof(comm));
		if (strncmp(comm, "irq/", 4))
			continue;
		snprintf(path, sizeof(path), "/proc/%s", de->d_name);
		if (task_state(path) == 'S')
			idle++;
		else
			dump_one(path, "interrupt thread");
	}
	closedir(d);
	printf("# %u idle interrupt threads\n", idle);
	fflush(stdout);
}

unsigned int kst_count_dir(const char *path)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

bool kst_exists(const char *fmt, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), fmt, name);
	return stat(path, &st) == 0;
}

void kst_child_init(pid_t parent)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	close_range(3, ~0U, 0);
}
