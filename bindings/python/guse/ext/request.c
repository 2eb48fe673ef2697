// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * guse._ext: the libguse callbacks.  Every request is traced; a request
 * kind without a Python callback is answered from libguse's built-in state
 * without taking the GIL, the others call the owner's method.
 */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* What a callback is called with, taken from the libguse callback. */
struct req_info {
	int kind;
	unsigned int line;
	int value;			/* DIRECTION_OUTPUT */
	uint32_t param, arg;		/* SET_CONFIG; IRQ_CONFIG: type, flags */
	const char *consumer;		/* REQUEST, CONSUMER */
	const uint64_t *mask, *values;	/* GET_VALUES, SET_VALUES */
};

static const char *const callback_names[GP_KIND_LAST - GP_KIND_FIRST + 1] = {
	[GUSE_REQUEST_REQUEST - GP_KIND_FIRST] = "on_request",
	[GUSE_REQUEST_FREE - GP_KIND_FIRST] = "on_free",
	[GP_KIND_CONSUMER - GP_KIND_FIRST] = "on_consumer",
	[GUSE_REQUEST_GET_DIRECTION - GP_KIND_FIRST] = "on_get_direction",
	[GUSE_REQUEST_DIRECTION_INPUT - GP_KIND_FIRST] = "on_direction_input",
	[GUSE_REQUEST_DIRECTION_OUTPUT - GP_KIND_FIRST] = "on_direction_output",
	[GUSE_REQUEST_GET_VALUES - GP_KIND_FIRST] = "on_get_values",
	[GUSE_REQUEST_SET_VALUES - GP_KIND_FIRST] = "on_set_values",
	[GUSE_REQUEST_SET_CONFIG - GP_KIND_FIRST] = "on_set_config",
	[GUSE_REQUEST_IRQ_CONFIG - GP_KIND_FIRST] = "on_irq_config",
};

const char *gp_kind_callback(int kind)
{
	if (kind < GP_KIND_FIRST || kind > GP_KIND_LAST)
		return NULL;
	return callback_names[kind - GP_KIND_FIRST];
}

PyObject *gp_lines_tuple(const uint64_t *mask, unsigned int num_lines)
{
	PyObject *t, *v;
	unsigned int i, n = 0;

	for (i = 0; i < num_lines; i++)
		n += !!(mask[i / 64] & GUSE_BIT_MASK(i));
	t = PyTuple_New(n);
	if (!t)
		return NULL;
	for (i = 0, n = 0; i < num_lines; i++) {
		if (!(mask[i / 64] & GUSE_BIT_MASK(i)))
			continue;
		v = PyLong_FromUnsignedLong(i);
		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, n++, v);
	}
	return t;
}

/* ------------------------------------------------------------------------ */
/* answers */

/* GET_VALUES: a mapping line -> level, or a sequence of levels in the
 * order of the lines. */
static int values_from(struct gp_answer *ans, PyObject *res,
		       const uint64_t *mask, unsigned int num_lines)
{
	PyObject *lines = gp_lines_tuple(mask, num_lines), *seq = NULL, *v;
	Py_ssize_t i, n;
	int ret = -1, level;

	if (!lines)
		return -1;
	n = PyTuple_GET_SIZE(lines);
	memset(ans->values, 0, sizeof(ans->values));
	if (PyMapping_Check(res) && !PySequence_Check(res)) {
		if (PyMapping_Size(res) != n) {
			if (!PyErr_Occurred())
				PyErr_Format(PyExc_ValueError,
					     "on_get_values must answer exactly the lines %R",
					     lines);
			goto out;
		}
		for (i = 0; i < n; i++) {
			PyObject *line = PyTuple_GET_ITEM(lines, i);

			v = PyObject_GetItem(res, line);
			if (!v) {
				if (PyErr_ExceptionMatches(PyExc_KeyError)) {
					PyErr_Clear();
					PyErr_Format(PyExc_ValueError,
						     "on_get_values did not answer line %R (asked: %R)",
						     line, lines);
				}
				goto out;
			}
			level = gp_level(v, "a line value");
			Py_DECREF(v);
			if (level < 0)
				goto out;
			if (level) {
				unsigned long l = PyLong_AsUnsignedLong(line);

				ans->values[l / 64] |= GUSE_BIT_MASK(l);
			}
		}
	} else {
		seq = PySequence_Fast(res, "on_get_values must return a mapping "
				      "line -> value or a sequence of values");
		if (!seq)
			goto out;
		if (PySequence_Fast_GET_SIZE(seq) != n) {
			PyErr_Format(PyExc_ValueError,
				     "on_get_values returned %zd values for the %zd lines %R",
				     PySequence_Fast_GET_SIZE(seq), n, lines);
			goto out;
		}
		for (i = 0; i < n; i++) {
			level = gp_level(PySequence_Fast_GET_ITEM(seq, i),
					 "a line value");
			if (level < 0)
				goto out;
			if (level) {
				unsigned long l = PyLong_AsUnsignedLong(
					PyTuple_GET_ITEM(lines, i));

				ans->values[l / 64] |= GUSE_BIT_MASK(l);
			}
		}
	}
	ans->how = GP_ANS_VALUES;
	ret = 0;
out:
	Py_XDECREF(seq);
	Py_DECREF(lines);
	return ret;
}

int gp_answer_from(struct gp_answer *ans, PyObject *res, int kind,
		   const uint64_t *mask, unsigned int num_lines)
{
	const char *name = gp_kind_callback(kind);
	long dir;

	if (res == gp_default) {
		ans->how = GP_ANS_DEFAULT;
		return 0;
	}
	switch (kind) {
	case GUSE_REQUEST_GET_DIRECTION:
		if (res == Py_None) {
			PyErr_SetString(PyExc_TypeError,
					"on_get_direction must return a guse.Direction");
			return -1;
		}
		dir = gp_int_value(res, "the direction");
		if (dir == -1 && PyErr_Occurred())
			return -1;
		if (dir != GUSE_LINE_DIRECTION_INPUT &&
		    dir != GUSE_LINE_DIRECTION_OUTPUT) {
			PyErr_Format(PyExc_ValueError,
				     "on_get_direction returned %R, not a guse.Direction",
				     res);
			return -1;
		}
		ans->how = GP_ANS_DIRECTION;
		ans->direction = (int)dir;
		return 0;
	case GUSE_REQUEST_GET_VALUES:
		if (res == Py_None) {
			PyErr_SetString(PyExc_TypeError,
					"on_get_values must return the values");
			return -1;
		}
		return values_from(ans, res, mask, num_lines);
	default:
		if (res != Py_None) {
			PyErr_Format(PyExc_TypeError,
				     "%s must return None, guse.DEFAULT or a guse.Deferred, not %.100s",
				     name, Py_TYPE(res)->tp_name);
			return -1;
		}
		ans->how = GP_ANS_OK;
		return 0;
	}
}

int gp_answer_send(struct guse_request *req, const struct gp_answer *ans)
{
	switch (ans->how) {
	case GP_ANS_OK:
		return guse_reply_ok(req);
	case GP_ANS_ERROR:
		return guse_reply_error(req, ans->err);
	case GP_ANS_DIRECTION:
		return guse_reply_direction(req, ans->direction);
	case GP_ANS_VALUES:
		return guse_reply_values(req, ans->values);
	default:
		return guse_reply_default(req);
	}
}

/* ------------------------------------------------------------------------ */
/* the callbacks */

static void trace(struct gp_chip *self, const struct req_info *ri)
{
	struct gp_event ev;
	struct timespec ts;
	unsigned int i;

	if (!self->trace.size)
		return;
	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.timestamp_ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	ev.kind = (uint8_t)ri->kind;
	ev.line = (int32_t)ri->line;
	ev.value = ri->kind == GUSE_REQUEST_DIRECTION_OUTPUT ? ri->value : -1;
	ev.param = ri->param;
	ev.arg = ri->arg;
	if (ri->consumer)
		snprintf(ev.consumer, sizeof(ev.consumer), "%s", ri->consumer);
	if (ri->kind == GUSE_REQUEST_GET_VALUES) {
		ev.line = -1;
		memcpy(ev.mask, ri->mask, self->num_words * 8);
	}
	if (ri->kind != GUSE_REQUEST_SET_VALUES) {
		gp_trace_add(&self->trace, &ev);
		return;
	}
	/* one event per line set */
	for (i = 0; i < self->num_lines; i++) {
		if (!(ri->mask[i / 64] & GUSE_BIT_MASK(i)))
			continue;
		ev.line = (int32_t)i;
		ev.value = !!(ri->values[i / 64] & GUSE_BIT_MASK(i));
		gp_trace_add(&self->trace, &ev);
	}
}

static PyObject *call_args(struct gp_chip *self, const struct req_info *ri)
{
	PyObject *d, *k, *v;
	unsigned int i;

	switch (ri->kind) {
	case GUSE_REQUEST_REQUEST:
	case GP_KIND_CONSUMER:
		return Py_BuildValue("(IN)", ri->line,
				     PyUnicode_DecodeUTF8(ri->consumer,
							  strlen(ri->consumer),
							  "replace"));
	case GUSE_REQUEST_DIRECTION_OUTPUT:
		return Py_BuildValue("(Ii)", ri->line, ri->value);
	case GUSE_REQUEST_GET_VALUES:
		return Py_BuildValue("(N)", gp_lines_tuple(ri->mask,
							   self->num_lines));
	case GUSE_REQUEST_SET_VALUES:
		d = PyDict_New();
		if (!d)
			return NULL;
		for (i = 0; i < self->num_lines; i++) {
			if (!(ri->mask[i / 64] & GUSE_BIT_MASK(i)))
				continue;
			k = PyLong_FromUnsignedLong(i);
			v = PyLong_FromLong(!!(ri->values[i / 64] &
					       GUSE_BIT_MASK(i)));
			if (!k || !v || PyDict_SetItem(d, k, v) < 0) {
				Py_XDECREF(k);
				Py_XDECREF(v);
				Py_DECREF(d);
				return NULL;
			}
			Py_DECREF(k);
			Py_DECREF(v);
		}
		return Py_BuildValue("(N)", d);
	case GUSE_REQUEST_SET_CONFIG:
	case GUSE_REQUEST_IRQ_CONFIG:
		return Py_BuildValue("(IkI)", ri->line, (unsigned long)ri->param,
				     ri->arg);
	default:
		return Py_BuildValue("(I)", ri->line);
	}
}

/*
 * Call the owner's _guse_invoke(name, args): the callback's result (a new
 * reference) or NULL with the exception raised.
 */
static PyObject *invoke(struct gp_chip *self, const struct req_info *ri)
{
	PyObject *owner, *args, *res;

	owner = gp_chip_owner(self);
	if (!owner)
		return gp_raise_closed();
	args = call_args(self, ri);
	res = args ? PyObject_CallMethod(owner, "_guse_invoke", "sO",
					 gp_kind_callback(ri->kind), args) :
		     NULL;
	Py_XDECREF(args);
	Py_DECREF(owner);
	return res;
}

/* The raised exception as an answer: a guse.Error's errno, or EIO and
 * the exception reported. */
static void answer_exception(struct gp_chip *self, const struct req_info *ri,
			     struct gp_answer *ans)
{
	PyObject *exc = gp_fetch_exception();
	int err = gp_exception_errno(exc);

	ans->how = GP_ANS_ERROR;
	if (err) {
		ans->err = err;
		Py_XDECREF(exc);
		return;
	}
	ans->err = EIO;
	if (exc && !PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_Exception)) {
		/* KeyboardInterrupt, SystemExit: for the serving call to raise */
		if (!self->raise_later)
			self->raise_later = exc;
		else
			Py_DECREF(exc);
		return;
	}
	if (exc && gp_closed_type &&
	    PyObject_TypeCheck(exc, (PyTypeObject *)gp_closed_type)) {
		/* the owner is gone: the chip is closing */
		ans->err = ENODEV;
		Py_DECREF(exc);
		return;
	}
	gp_restore_exception(exc);
	gp_chip_report(self, gp_kind_callback(ri->kind));
}

/* A request kind with a Python callback; GIL held. */
static void call_python(struct gp_chip *self, struct guse_request *req,
			const struct req_info *ri)
{
	struct gp_answer ans;
	PyObject *res;
	int ret;

	res = invoke(self, ri);
	if (!res) {
		answer_exception(self, ri, &ans);
	} else if (Py_IS_TYPE(res, &gp_deferred_type)) {
		ret = gp_deferred_bind((struct gp_deferred *)res, self, req,
				       ri->kind, ri->line, ri->mask);
		Py_DECREF(res);
		if (!ret)
			return;
		answer_exception(self, ri, &ans);
	} else {
		ret = gp_answer_from(&ans, res, ri->kind, ri->mask,
				     self->num_lines);
		Py_DECREF(res);
		if (ret < 0)
			answer_exception(self, ri, &ans);
	}
	Py_BEGIN_ALLOW_THREADS
	gp_answer_send(req, &ans);
	Py_END_ALLOW_THREADS
}

static void handle(struct guse_request *req, const struct req_info *ri)
{
	struct gp_chip *self = guse_request_get_user_data(req);
	PyGILState_STATE gil;

	trace(self, ri);
	if (!(self->callbacks & GP_KIND_BIT(ri->kind))) {
		guse_reply_default(req);
		return;
	}
	gil = PyGILState_Ensure();
	call_python(self, req, ri);
	PyGILState_Release(gil);
}

static void cb_request(struct guse_request *req, unsigned int line,
		       const char *consumer)
{
	struct req_info ri = { .kind = GUSE_REQUEST_REQUEST, .line = line,
			       .consumer = consumer };

	handle(req, &ri);
}

static void cb_free(struct guse_request *req, unsigned int line)
{
	struct req_info ri = { .kind = GUSE_REQUEST_FREE, .line = line };

	handle(req, &ri);
}

/* Information only: no request to answer. */
static void cb_consumer(struct guse_chip *chip, unsigned int line,
			const char *consumer)
{
	struct gp_chip *self = guse_chip_get_user_data(chip);
	struct req_info ri = { .kind = GP_KIND_CONSUMER, .line = line,
			       .consumer = consumer };
	PyGILState_STATE gil;
	PyObject *res;

	trace(self, &ri);
	if (!(self->callbacks & GP_KIND_BIT(GP_KIND_CONSUMER)))
		return;
	gil = PyGILState_Ensure();
	res = invoke(self, &ri);
	if (res) {
		Py_DECREF(res);
	} else {
		PyObject *exc = gp_fetch_exception();

		/* nothing to answer: a closed owner is no news */
		if (exc && !(gp_closed_type &&
			     PyObject_TypeCheck(exc, (PyTypeObject *)gp_closed_type))) {
			gp_restore_exception(exc);
			gp_chip_report(self, "on_consumer");
		} else {
			Py_XDECREF(exc);
		}
	}
	PyGILState_Release(gil);
}

static void cb_get_direction(struct guse_request *req, unsigned int line)
{
	struct req_info ri = { .kind = GUSE_REQUEST_GET_DIRECTION,
			       .line = line };

	handle(req, &ri);
}

static void cb_direction_input(struct guse_request *req, unsigned int line)
{
	struct req_info ri = { .kind = GUSE_REQUEST_DIRECTION_INPUT,
			       .line = line };

	handle(req, &ri);
}

static void cb_direction_output(struct guse_request *req, unsigned int line,
				int value)
{
	struct req_info ri = { .kind = GUSE_REQUEST_DIRECTION_OUTPUT,
			       .line = line, .value = value };

	handle(req, &ri);
}

static void cb_get_values(struct guse_request *req, const uint64_t *mask)
{
	struct req_info ri = { .kind = GUSE_REQUEST_GET_VALUES, .mask = mask };

	handle(req, &ri);
}

static void cb_set_values(struct guse_request *req, const uint64_t *mask,
			  const uint64_t *values)
{
	struct req_info ri = { .kind = GUSE_REQUEST_SET_VALUES, .mask = mask,
			       .values = values };

	handle(req, &ri);
}

static void cb_set_config(struct guse_request *req, unsigned int line,
			  enum guse_line_param param, uint32_t arg)
{
	struct req_info ri = { .kind = GUSE_REQUEST_SET_CONFIG, .line = line,
			       .param = param, .arg = arg };

	handle(req, &ri);
}

static void cb_irq_config(struct guse_request *req, unsigned int line,
			  enum guse_line_irq_type type, uint32_t flags)
{
	struct req_info ri = { .kind = GUSE_REQUEST_IRQ_CONFIG, .line = line,
			       .param = type, .arg = flags };

	handle(req, &ri);
}

/*
 * Every callback is set, so that every request is traced (and the kernel
 * sends requests, releases, configuration and interrupt configuration, as
 * to guse-sim); those without a Python callback get libguse's answer.
 */
const struct guse_chip_ops gp_chip_ops = {
	.request = cb_request,
	.free = cb_free,
	.consumer = cb_consumer,
	.get_direction = cb_get_direction,
	.direction_input = cb_direction_input,
	.direction_output = cb_direction_output,
	.get_values = cb_get_values,
	.set_values = cb_set_values,
	.set_config = cb_set_config,
	.irq_config = cb_irq_config,
};
