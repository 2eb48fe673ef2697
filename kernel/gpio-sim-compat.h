/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gpio-sim-compat.h - state shared by the parts of the gpio-sim compatible
 * module (gpio-sim.ko, built only for kernels without CONFIG_GPIO_SIM): the
 * configfs tree (gpio-sim-configfs.c) and the banks it makes live
 * (gpio-sim-bank.c), each a guse chip served by an in-kernel line model
 * over a kernel connection of guse.ko.
 */
#ifndef _GPIO_SIM_COMPAT_H
#define _GPIO_SIM_COMPAT_H

#include <linux/completion.h>
#include <linux/guse.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct device;
struct guse_conn;

/** Largest number of lines of a bank (as a guse chip). */
#define GSC_LINES_MAX	GUSE_LINES_MAX

/**
 * struct gsc_line_cfg - configuration of one line (configfs lineN)
 * @offset: N
 * @name: line name, "" for none
 * @valid: whether the line is in the valid mask
 * @hog: whether lineN/hog exists
 * @hog_name: its consumer name
 * @hog_dir: GPIOD_IN, GPIOD_OUT_LOW or GPIOD_OUT_HIGH as 0, 1, 2
 * @node: entry in the bank's list
 */
struct gsc_line_cfg {
	unsigned int offset;
	char name[GUSE_NAME_SIZE];
	bool valid;
	bool hog;
	char hog_name[GUSE_NAME_SIZE];
	int hog_dir;
	struct list_head node;
};

/** enum gsc_hog_dir - values of lineN/hog/direction */
enum gsc_hog_dir {
	GSC_HOG_INPUT,
	GSC_HOG_OUTPUT_LOW,
	GSC_HOG_OUTPUT_HIGH,
};

/**
 * struct gsc_bank - one bank: its configuration and, while live, its chip
 *
 * @label: configured label, "" for the default (the device name and the
 *	bank's index, as gpio-sim's "gpio-sim.N-nodeM")
 * @num_lines: configured number of lines (default 1)
 * @lines: the lineN groups, struct gsc_line_cfg
 * @index: M, the bank's position when the device went live
 * @conn: the kernel connection serving the chip, while live
 * @gpio_dev: the chip's gpio_device ("gpiochipK"), referenced, while live
 * @chip_name: "gpiochipK" while live
 * @ready: completed by the READY message
 * @lock: protects the line model below against the server callback, the
 *	sysfs attributes and the injection
 * @ngpio: number of lines of the live chip
 * @pull: per line, the simulated pull (0 pull-down, 1 pull-up)
 * @output: per line, the value a consumer drives
 * @is_output: per line, the direction
 * @requested: per line, a consumer holds it
 * @hogged: per line, a hog holds it (drives like a consumer)
 * @attr_groups: the sim_gpioN attribute groups, NULL-terminated
 */
struct gsc_bank {
	char label[GUSE_NAME_SIZE];
	unsigned int num_lines;
	struct list_head lines;
	unsigned int index;

	struct guse_conn *conn;
	struct device *gpio_dev;
	char chip_name[GUSE_NAME_SIZE];
	struct completion ready;

	struct mutex lock;	/* see the kernel-doc above */
	unsigned int ngpio;
	unsigned long *pull;
	unsigned long *output;
	unsigned long *is_output;
	unsigned long *requested;
	unsigned long *hogged;
	const struct attribute_group **attr_groups;
};

/**
 * gsc_bank_start() - make a bank live: create its chip and sysfs attributes
 * @bank: the bank, configured
 * @parent: the platform device "gpio-sim.N"
 * @dev_name: its name, for the default label
 *
 * Return: 0 or a negative errno (nothing is left behind).
 */
int gsc_bank_start(struct gsc_bank *bank, struct device *parent,
		   const char *dev_name);

/**
 * gsc_bank_stop() - remove a live bank's chip
 * @bank: a bank gsc_bank_start() succeeded for
 */
void gsc_bank_stop(struct gsc_bank *bank);

#endif /* _GPIO_SIM_COMPAT_H */
