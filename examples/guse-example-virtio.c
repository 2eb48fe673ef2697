// SPDX-License-Identifier: MIT
/*
 * A virtio-gpio backend served as a guse chip through libguse's adapter.
 *
 * The backend below implements the virtio-gpio request set (GET_NAMES,
 * GET_DIRECTION, SET_DIRECTION, GET_VALUE, SET_VALUE, IRQ_TYPE) on a small
 * array, as a vhost-user-gpio device or an emulator's virtio-gpio model
 * would.  The adapter turns every guse request into those calls.  A
 * "hardware" thread toggles line 0 every second and raises its interrupt,
 * so `gpiomon -c gpiochipN 0` shows edges.  Stop it with SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <guse.h>

#define NGPIO 4

static struct {
	pthread_mutex_t lock;
	uint8_t dir[NGPIO];		/* GUSE_VIRTIO_DIRECTION_* */
	uint8_t value[NGPIO];
	uint8_t irq[NGPIO];		/* GUSE_VIRTIO_IRQ_TYPE_* */
} dev = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct guse_virtio *vio;
static volatile sig_atomic_t stop;

/* --- the virtio-gpio device: one function per request type ----------------- */

static int get_names(void *data, char *buf, size_t size)
{
	static const char names[] = "BUTTON\0LED\0\0RESET";	/* line 2 unnamed */

	(void)data;
	if (size < sizeof(names))
		return -ENOSPC;
	memcpy(buf, names, sizeof(names));
	return sizeof(names);
}

static int get_direction(void *data, unsigned int line)
{
	int d;

	(void)data;
	pthread_mutex_lock(&dev.lock);
	d = dev.dir[line];
	pthread_mutex_unlock(&dev.lock);
	return d;
}

static int set_direction(void *data, unsigned int line, uint8_t dir)
{
	(void)data;
	if (line == 0 && dir == GUSE_VIRTIO_DIRECTION_OUT)
		return -EPERM;		/* the button is input only */
	pthread_mutex_lock(&dev.lock);
	dev.dir[line] = dir;
	pthread_mutex_unlock(&dev.lock);
	return 0;
}

static int get_value(void *data, unsigned int line)
{
	int v;

	(void)data;
	pthread_mutex_lock(&dev.lock);
	v = dev.value[line];
	pthread_mutex_unlock(&dev.lock);
	return v;
}

static int set_value(void *data, unsigned int line, uint8_t value)
{
	(void)data;
	pthread_mutex_lock(&dev.lock);
	dev.value[line] = value;
	pthread_mutex_unlock(&dev.lock);
	if (line == 1)
		fprintf(stderr, "LED %s\n", value ? "on" : "off");
	return 0;
}

static int irq_type(void *data, unsigned int line, uint8_t type)
{
	(void)data;
	pthread_mutex_lock(&dev.lock);
	dev.irq[line] = type;
	pthread_mutex_unlock(&dev.lock);
	return 0;
}

static const struct guse_virtio_ops backend = {
	.get_names = get_names,
	.get_direction = get_direction,
	.set_direction = set_direction,
	.get_value = get_value,
	.set_value = set_value,
	.irq_type = irq_type,
};

/* --- "hardware": the button toggles every second --------------------------- */

static void *button_thread(void *arg)
{
	(void)arg;
	while (!stop) {
		sleep(1);
		pthread_mutex_lock(&dev.lock);
		dev.value[0] ^= 1;
		pthread_mutex_unlock(&dev.lock);
		/* like a virtio-gpio interrupt event: the adapter reads the
		 * value and delivers it (thread-safe) */
		guse_virtio_inject_irq(vio, 0);
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
	guse_chip_exit(guse_virtio_get_chip(vio));
}

int main(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	pthread_t hw;
	int ret;

	guse_chip_config_set_label(cfg, "virtio-gpio");
	guse_chip_config_set_num_lines(cfg, NGPIO);
	dev.dir[0] = GUSE_VIRTIO_DIRECTION_IN;
	vio = guse_virtio_new(cfg, &backend, sizeof(backend), NULL);
	guse_chip_config_free(cfg);
	if (!vio) {
		const char *hint = guse_error_hint(errno);

		perror("guse_virtio_new");
		if (hint)
			fprintf(stderr, "%s\n", hint);	/* e.g. modprobe */
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ret = pthread_create(&hw, NULL, button_thread, NULL);
	if (ret) {
		fprintf(stderr, "pthread_create: %s\n", strerror(ret));
		guse_virtio_free(vio);
		return 1;
	}
	printf("ready %s\n", guse_chip_get_name(guse_virtio_get_chip(vio)));
	fflush(stdout);

	ret = guse_chip_run(guse_virtio_get_chip(vio));
	if (ret)
		perror("guse_chip_run");

	stop = 1;
	pthread_join(hw, NULL);
	guse_virtio_free(vio);
	return ret ? 1 : 0;
}
