// SPDX-License-Identifier: LGPL-2.1-or-later
/* guse._ext: guse.Deferred, a request answered after its callback. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { EARLY_REPLY, EARLY_FAIL, EARLY_DEFAULT };

static void unlink_bound(struct gp_deferred *d)
{
	struct gp_chip *chip = d->chip;

	if (d->prev)
		d->prev->next = d->next;
	else
		chip->pending = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

/*
 * Take the request of a bound Deferred for answering: it becomes DONE.
 * Returns the request; *chip receives the reference the Deferred held.
 */
static struct guse_request *take(struct gp_deferred *d, struct gp_chip **chip)
{
	struct guse_request *req = d->req;

	unlink_bound(d);
	*chip = d->chip;
	d->chip = NULL;
	d->req = NULL;
	d->state = GP_DEF_DONE;
	return req;
}

/* Send @ans for a bound Deferred (GIL held on entry and exit).  True if
 * the kernel took it (or the request had timed out), False if the chip is
 * gone; NULL with guse.Error for other write errors. */
static PyObject *send(struct gp_deferred *d, const struct gp_answer *ans)
{
	struct gp_chip *chip;
	struct guse_request *req = take(d, &chip);
	int ret, err;

	Py_BEGIN_ALLOW_THREADS
	ret = gp_answer_send(req, ans);
	err = errno;
	Py_END_ALLOW_THREADS
	Py_DECREF(chip);
	if (!ret)
		Py_RETURN_TRUE;
	if (err == ENODEV)
		Py_RETURN_FALSE;
	return gp_raise_errno(err, "cannot answer the request", false);
}

/* An answer to a Deferred that is not bound: keep it for the binding. */
static PyObject *answer_early(struct gp_deferred *d, int how, PyObject *value,
			      int err)
{
	d->state = GP_DEF_EARLY;
	d->early.how = how;
	d->early.value = Py_XNewRef(value);
	d->early.err = err;
	Py_RETURN_TRUE;
}

/* Common checks of reply(), fail() and default(): NULL and raised, or
 * Py_None to go on, or the result (False) for a Deferred failed at
 * close. */
static PyObject *check_answerable(struct gp_deferred *d)
{
	if (d->state == GP_DEF_DONE) {
		if (d->closed)
			Py_RETURN_FALSE;
		PyErr_SetString(PyExc_RuntimeError,
				"the request was answered already");
		return NULL;
	}
	if (d->state == GP_DEF_EARLY) {
		PyErr_SetString(PyExc_RuntimeError,
				"the Deferred was answered already");
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *deferred_reply(struct gp_deferred *d, PyObject *args,
				PyObject *kwds)
{
	static char *kwlist[] = { "value", NULL };
	PyObject *value = Py_None, *r;
	struct gp_answer ans;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:reply", kwlist,
					 &value))
		return NULL;
	r = check_answerable(d);
	if (r != Py_None)
		return r;
	Py_DECREF(r);
	if (d->state == GP_DEF_NEW)
		return answer_early(d, EARLY_REPLY, value, 0);
	if (gp_answer_from(&ans, value, d->kind, d->mask, d->num_lines) < 0)
		return NULL;	/* still pending: the caller may try again */
	return send(d, &ans);
}

/* fail(error=errno.EIO): an errno, or an exception (a guse.Error's errno,
 * EIO for others). */
static int errno_arg(PyObject *obj)
{
	long v;

	if (!obj)
		return EIO;
	if (PyExceptionInstance_Check(obj)) {
		int err = gp_exception_errno(obj);

		return err ? err : EIO;
	}
	v = gp_int_value(obj, "error");
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v < 1 || v > 133) {
		PyErr_Format(PyExc_ValueError,
			     "error must be an errno value (1..133), not %ld", v);
		return -1;
	}
	return (int)v;
}

static PyObject *deferred_fail(struct gp_deferred *d, PyObject *args,
			       PyObject *kwds)
{
	static char *kwlist[] = { "error", NULL };
	PyObject *obj = NULL, *r;
	struct gp_answer ans = { .how = GP_ANS_ERROR };

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:fail", kwlist, &obj))
		return NULL;
	ans.err = errno_arg(obj);
	if (ans.err < 0)
		return NULL;
	r = check_answerable(d);
	if (r != Py_None)
		return r;
	Py_DECREF(r);
	if (d->state == GP_DEF_NEW)
		return answer_early(d, EARLY_FAIL, NULL, ans.err);
	return send(d, &ans);
}

static PyObject *deferred_default(struct gp_deferred *d,
				  PyObject *Py_UNUSED(ignored))
{
	struct gp_answer ans = { .how = GP_ANS_DEFAULT };
	PyObject *r = check_answerable(d);

	if (r != Py_None)
		return r;
	Py_DECREF(r);
	if (d->state == GP_DEF_NEW)
		return answer_early(d, EARLY_DEFAULT, NULL, 0);
	return send(d, &ans);
}

int gp_deferred_bind(struct gp_deferred *d, struct gp_chip *chip,
		     struct guse_request *req, int kind, unsigned int line,
		     const uint64_t *mask)
{
	struct gp_answer ans;
	int ret;

	if (d->state == GP_DEF_BOUND || d->state == GP_DEF_DONE) {
		PyErr_SetString(PyExc_RuntimeError,
				"a Deferred answers one request: this one was returned before");
		return -1;
	}
	d->kind = kind;
	d->line = line;
	d->num_lines = chip->num_lines;
	if (mask)
		memcpy(d->mask, mask, chip->num_words * 8);
	if (d->state == GP_DEF_EARLY) {
		/* answered before its callback returned */
		PyObject *value = d->early.value;

		d->early.value = NULL;
		d->state = GP_DEF_DONE;
		switch (d->early.how) {
		case EARLY_REPLY:
			ret = gp_answer_from(&ans, value, kind, d->mask,
					     d->num_lines);
			Py_XDECREF(value);
			if (ret < 0)
				return -1;
			break;
		case EARLY_FAIL:
			ans.how = GP_ANS_ERROR;
			ans.err = d->early.err;
			break;
		default:
			ans.how = GP_ANS_DEFAULT;
			break;
		}
		Py_BEGIN_ALLOW_THREADS
		gp_answer_send(req, &ans);
		Py_END_ALLOW_THREADS
		return 0;
	}
	guse_request_defer(req);
	d->req = req;
	d->chip = chip;
	Py_INCREF(chip);
	d->prev = NULL;
	d->next = chip->pending;
	if (d->next)
		d->next->prev = d;
	chip->pending = d;
	d->state = GP_DEF_BOUND;
	return 0;
}

int gp_deferred_take_all(struct gp_chip *chip, struct gp_taken *t)
{
	struct gp_deferred *d;
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	for (d = chip->pending; d; d = d->next)
		n++;
	if (!n)
		return 0;
	t->reqs = calloc(n, sizeof(*t->reqs));
	t->defs = calloc(n, sizeof(*t->defs));
	if (!t->reqs || !t->defs) {
		free(t->reqs);
		free(t->defs);
		memset(t, 0, sizeof(*t));
		PyErr_NoMemory();
		return -1;
	}
	while ((d = chip->pending)) {
		struct gp_chip *ref;

		Py_INCREF(d);
		t->defs[t->n] = d;
		t->reqs[t->n] = take(d, &ref);
		d->closed = true;
		/* the chip's reference: the caller still holds one */
		Py_DECREF(ref);
		t->n++;
	}
	return 0;
}

void gp_deferred_fail_taken(struct gp_taken *t, int err)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		guse_reply_error(t->reqs[i], err);
}

void gp_deferred_release_taken(struct gp_taken *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		Py_DECREF(t->defs[i]);
	free(t->reqs);
	free(t->defs);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------------ */
/* the type */

static int deferred_init(struct gp_deferred *d, PyObject *args,
			 PyObject *kwds)
{
	static char *kwlist[] = { NULL };

	if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Deferred", kwlist))
		return -1;
	if (d->state != GP_DEF_NEW) {
		PyErr_SetString(PyExc_RuntimeError, "Deferred.__init__ called twice");
		return -1;
	}
	return 0;
}

/* Dropped while bound: the request fails with EIO at once (instead of
 * holding its consumer until the kernel's timeout), reported. */
static void deferred_dealloc(struct gp_deferred *d)
{
	PyObject *saved = gp_fetch_exception();

	if (d->state == GP_DEF_BOUND) {
		struct gp_chip *chip;
		struct guse_request *req = take(d, &chip);
		int kind = d->kind;

		guse_reply_error(req, EIO);
		PyErr_Format(PyExc_RuntimeError,
			     "a guse.Deferred of %s for line %u was dropped "
			     "unanswered: its request failed with EIO",
			     gp_kind_callback(kind), d->line);
		gp_chip_report(chip, gp_kind_callback(kind));
		Py_DECREF(chip);
	}
	Py_CLEAR(d->early.value);
	gp_restore_exception(saved);
	Py_TYPE(d)->tp_free((PyObject *)d);
}

static PyObject *deferred_get_done(struct gp_deferred *d,
				   void *Py_UNUSED(closure))
{
	return PyBool_FromLong(d->state == GP_DEF_DONE ||
			       d->state == GP_DEF_EARLY);
}

static PyObject *deferred_get_bound(struct gp_deferred *d,
				    void *Py_UNUSED(closure))
{
	return PyBool_FromLong(d->kind != 0);
}

static PyObject *deferred_get_closed(struct gp_deferred *d,
				     void *Py_UNUSED(closure))
{
	return PyBool_FromLong(d->closed);
}

static PyObject *deferred_get_kind(struct gp_deferred *d,
				   void *Py_UNUSED(closure))
{
	if (!d->kind)
		Py_RETURN_NONE;
	return PyLong_FromLong(d->kind);
}

static PyObject *deferred_get_line(struct gp_deferred *d,
				   void *Py_UNUSED(closure))
{
	if (!d->kind || d->kind == GUSE_REQUEST_GET_VALUES ||
	    d->kind == GUSE_REQUEST_SET_VALUES)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(d->line);
}

static PyObject *deferred_get_lines(struct gp_deferred *d,
				    void *Py_UNUSED(closure))
{
	if (d->kind != GUSE_REQUEST_GET_VALUES)
		Py_RETURN_NONE;
	return gp_lines_tuple(d->mask, d->num_lines);
}

static PyObject *deferred_repr(struct gp_deferred *d)
{
	static const char *const states[] = { "new", "answered", "pending",
					      "done" };
	const char *cb = gp_kind_callback(d->kind);

	if (!cb)
		return PyUnicode_FromFormat("<guse.Deferred %s>",
					    states[d->state]);
	return PyUnicode_FromFormat("<guse.Deferred %s of %s line=%u%s>",
				    states[d->state], cb, d->line,
				    d->closed ? " (failed at close)" : "");
}

static PyGetSetDef deferred_getset[] = {
	{ "done", (getter)deferred_get_done, NULL,
	  "True once answered (or failed because the chip closed).", NULL },
	{ "bound", (getter)deferred_get_bound, NULL,
	  "True once a callback returned it for a request.", NULL },
	{ "closed", (getter)deferred_get_closed, NULL,
	  "True if the chip closed before it was answered: the request\n"
	  "was failed with ENODEV.", NULL },
	{ "kind", (getter)deferred_get_kind, NULL,
	  "The request kind (an opcode, see guse.EventKind) once bound.",
	  NULL },
	{ "line", (getter)deferred_get_line, NULL,
	  "The request's line once bound (None for values requests).", NULL },
	{ "lines", (getter)deferred_get_lines, NULL,
	  "The lines a values read asks for, once bound.", NULL },
	{ }
};

static PyMethodDef deferred_methods[] = {
	{ "reply", (PyCFunction)(void (*)(void))deferred_reply,
	  METH_VARARGS | METH_KEYWORDS,
	  "reply(value=None) -> bool\n\n"
	  "Answer with success: None for most requests, a guse.Direction for\n"
	  "on_get_direction, the values (a mapping line -> value or a\n"
	  "sequence in the order of the lines) for on_get_values, or\n"
	  "guse.DEFAULT.  Thread-safe.  True if the kernel took the answer\n"
	  "(or the request had timed out already), False if the chip is gone.\n"
	  "A value that does not fit raises TypeError or ValueError and leaves\n"
	  "the request pending." },
	{ "fail", (PyCFunction)(void (*)(void))deferred_fail,
	  METH_VARARGS | METH_KEYWORDS,
	  "fail(error=errno.EIO) -> bool\n\n"
	  "Answer with an error: an errno value or an exception (the errno of\n"
	  "a guse.Error, EIO for others).  Thread-safe; returns as reply()." },
	{ "default", (PyCFunction)deferred_default, METH_NOARGS,
	  "default() -> bool\n\n"
	  "Answer as libguse's built-in line state would.  Thread-safe." },
	{ }
};

PyTypeObject gp_deferred_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "guse.Deferred",
	.tp_basicsize = sizeof(struct gp_deferred),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Deferred()\n\n"
		  "A request answered later.  A callback returns a new Deferred to\n"
		  "keep its request pending; any thread then answers it once with\n"
		  "reply(), fail() or default().  Answers given before the callback\n"
		  "returned are sent when it returns.  Dropped unanswered, it fails\n"
		  "its request with EIO (reported); a chip that closes fails the\n"
		  "pending ones with ENODEV.",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)deferred_init,
	.tp_dealloc = (destructor)deferred_dealloc,
	.tp_repr = (reprfunc)deferred_repr,
	.tp_methods = deferred_methods,
	.tp_getset = deferred_getset,
};
