// SPDX-License-Identifier: LGPL-2.1-or-later
/* guse._ext: the trace, a bounded queue of the requests a chip received. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int gp_trace_init(struct gp_trace *t, unsigned int size)
{
	pthread_condattr_t attr;

	memset(t, 0, sizeof(*t));
	if (size) {
		t->ring = calloc(size, sizeof(*t->ring));
		if (!t->ring)
			return -1;
	}
	t->size = size;
	pthread_mutex_init(&t->lock, NULL);
	/* timed waits on the monotonic clock: immune to clock changes */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	return 0;
}

void gp_trace_destroy(struct gp_trace *t)
{
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t->ring);
	t->ring = NULL;
}

void gp_trace_add(struct gp_trace *t, const struct gp_event *ev)
{
	if (!t->size)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->count == t->size) {
		/* full: the oldest event goes */
		t->head = (t->head + 1) % t->size;
		t->count--;
		t->dropped++;
	}
	t->ring[(t->head + t->count) % t->size] = *ev;
	t->count++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void gp_trace_close(struct gp_trace *t)
{
	pthread_mutex_lock(&t->lock);
	t->closed = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

int gp_trace_take(struct gp_trace *t, struct gp_event *ev, int64_t timeout_ns)
{
	struct timespec deadline;
	int ret = 0;

	if (timeout_ns > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ns / 1000000000;
		deadline.tv_nsec += timeout_ns % 1000000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&t->lock);
	while (!t->count && !t->closed && timeout_ns) {
		if (timeout_ns < 0)
			pthread_cond_wait(&t->cond, &t->lock);
		else if (pthread_cond_timedwait(&t->cond, &t->lock,
						&deadline) == ETIMEDOUT)
			break;
	}
	if (t->count) {
		*ev = t->ring[t->head];
		t->head = (t->head + 1) % t->size;
		t->count--;
		ret = 1;
	} else if (t->closed) {
		ret = -1;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

void gp_trace_clear(struct gp_trace *t)
{
	pthread_mutex_lock(&t->lock);
	t->head = 0;
	t->count = 0;
	pthread_mutex_unlock(&t->lock);
}

void gp_trace_stats(struct gp_trace *t, unsigned int *count, uint64_t *dropped)
{
	pthread_mutex_lock(&t->lock);
	*count = t->count;
	*dropped = t->dropped;
	pthread_mutex_unlock(&t->lock);
}

/* (kind, line, value, consumer, lines, param, arg, timestamp_ns); None for
 * what the kind does not have. */
PyObject *gp_event_tuple(const struct gp_event *ev, unsigned int num_lines)
{
	PyObject *line, *value, *consumer, *lines, *param, *arg;

	line = ev->line >= 0 ? PyLong_FromLong(ev->line) : Py_NewRef(Py_None);
	value = ev->value >= 0 ? PyLong_FromLong(ev->value) : Py_NewRef(Py_None);
	consumer = ev->kind == GUSE_REQUEST_REQUEST ||
		   ev->kind == GP_KIND_CONSUMER ?
		   PyUnicode_DecodeUTF8(ev->consumer, strlen(ev->consumer),
					"replace") :
		   Py_NewRef(Py_None);
	lines = ev->kind == GUSE_REQUEST_GET_VALUES ?
		gp_lines_tuple(ev->mask, num_lines) : Py_NewRef(Py_None);
	if (ev->kind == GUSE_REQUEST_SET_CONFIG ||
	    ev->kind == GUSE_REQUEST_IRQ_CONFIG) {
		param = PyLong_FromUnsignedLong(ev->param);
		arg = PyLong_FromUnsignedLong(ev->arg);
	} else {
		param = Py_NewRef(Py_None);
		arg = Py_NewRef(Py_None);
	}
	if (!line || !value || !consumer || !lines || !param || !arg) {
		Py_XDECREF(line);
		Py_XDECREF(value);
		Py_XDECREF(consumer);
		Py_XDECREF(lines);
		Py_XDECREF(param);
		Py_XDECREF(arg);
		return NULL;
	}
	return Py_BuildValue("iNNNNNNK", ev->kind, line, value, consumer, lines,
			     param, arg, (unsigned long long)ev->timestamp_ns);
}
