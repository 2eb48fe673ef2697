// SPDX-License-Identifier: LGPL-2.1-or-later
/* libguse: what an error of chip creation means and how to get past it. */

#include <errno.h>
#include <stddef.h>

#include "internal.h"

GUSE_API const char *guse_error_hint(int errnum)
{
	switch (errnum) {
	case ENOENT:
		return "/dev/guse does not exist: the guse kernel modules are "
		       "not loaded (`modprobe gpio-guse` loads them and creates "
		       "/dev/guse), or GUSE_DEVICE names another path";
	case ENODEV:
	case ENXIO:
		return "the gpio-guse kernel module is not loaded: run "
		       "`modprobe gpio-guse`";
	case EACCES:
	case EPERM:
		return "no permission to open /dev/guse, which is root-only by "
		       "default: run as root, or install the udev rule "
		       "kernel/60-guse.rules (it gives /dev/guse to the guse "
		       "group), create that group (groupadd --system guse) and "
		       "add the user to the guse group";
	case EEXIST:
		return "this /dev/guse file descriptor serves a chip already: "
		       "open /dev/guse once for every chip";
	case EINVAL:
		return "the chip description was refused: the number of lines "
		       "must be 1 to 1024 and at most the max_lines parameter "
		       "of gpio-guse (/sys/module/gpio_guse/parameters/"
		       "max_lines), the label 1 to 31 characters, line names "
		       "at most 31 characters and only for existing lines, the "
		       "timeout at most 600000 ms";
	case EPROTONOSUPPORT:
		return "the guse kernel modules speak another major version of "
		       "the protocol than this libguse: install matching "
		       "versions of libguse and the modules";
	case EPROTO:
		return "the kernel answered the chip creation with something "
		       "this libguse does not understand: libguse and the guse "
		       "kernel modules do not match";
	case ENOSPC:
		return "the kernel's limit of chips is reached: the max_chips "
		       "parameter of gpio-guse "
		       "(/sys/module/gpio_guse/parameters/max_chips)";
	case ETIMEDOUT:
		return "the kernel did not confirm the chip within 10 seconds";
	default:
		return NULL;
	}
}
