// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-list: list the GPIO chips served from userspace through /dev/guse.
 * Reads the attributes chip_name, label, num_lines, server_pid and timeout_ms
 * of every /sys/class/guse/guseN device.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

static const char *attrs[] = {
	"chip_name", "label", "num_lines", "server_pid", "timeout_ms",
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

static void read_attr(const char *dir, const char *dev, const char *attr,
		      char *buf, size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, dev, attr);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name + 4) - atoi((*b)->d_name + 4);
}

static int is_guse(const struct dirent *d)
{
	return !strncmp(d->d_name, "guse", 4) && d->d_name[4];
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: guse-list [OPTIONS]\n"
"List the GPIO chips implemented in userspace (from /sys/class/guse).\n"
"One line per chip: DEVICE CHIP LABEL LINES PID TIMEOUT_MS\n"
"\n"
"  -j, --json     one JSON object per chip, one per line\n"
"  -h, --help     this help\n"
"  -V, --version  print the version\n"
"\n"
"GUSE_SYSFS overrides the directory (default /sys/class/guse).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("GUSE_SYSFS");
	struct dirent **list;
	bool json = false;
	int c, n, i;
	size_t a;

	while ((c = getopt_long(argc, argv, "jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("guse-list %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!dir || !*dir)
		dir = "/sys/class/guse";
	n = scandir(dir, &list, is_guse, by_number);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;	/* module not loaded: no chips */
		fprintf(stderr, "guse-list: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		char val[NATTRS][256];

		for (a = 0; a < NATTRS; a++)
			read_attr(dir, list[i]->d_name, attrs[a], val[a],
				  sizeof(val[a]));
		if (json) {
			printf("{\"device\":");
			json_str(list[i]->d_name);
			for (a = 0; a < NATTRS; a++) {
				printf(",\"%s\":", attrs[a]);
				if (a >= 2 && val[a][0] &&
				    strspn(val[a], "0123456789") == strlen(val[a]))
					printf("%s", val[a]);
				else
					json_str(val[a]);
			}
			printf("}\n");
		} else {
			printf("%s %s \"%s\" %s %s %s\n", list[i]->d_name,
			       val[0][0] ? val[0] : "-", val[1],
			       val[2][0] ? val[2] : "-",
			       val[3][0] ? val[3] : "-",
			       val[4][0] ? val[4] : "-");
		}
		free(list[i]);
	}
	free(list);
	if (fflush(stdout)) {
		fprintf(stderr, "guse-list: writing the list: %s\n",
			strerror(errno));
		return 1;
	}
	return 0;
}
