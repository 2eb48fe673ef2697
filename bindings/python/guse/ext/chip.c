// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * guse._ext.Chip: one libguse chip.  The pure-Python guse.Chip owns one
 * and is the object whose on_*() methods are the callbacks.
 *
 * Threads: one thread at a time serves the chip (dispatch() or run());
 * injections, device-side changes, getters and Deferred answers come from
 * any thread.  Calls that write to the kernel run without the GIL (an
 * injection can wait for consumers whose requests a Python callback
 * answers) and count as users, for which close() waits.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

/* The main thread's ident: run() there wakes up to deliver signals. */
static unsigned long main_ident;
static bool main_ident_known;

static void note_main_thread(void)
{
	PyObject *threading, *main_thread, *ident;

	if (main_ident_known)
		return;
	threading = PyImport_ImportModule("threading");
	main_thread = threading ? PyObject_CallMethod(threading, "main_thread",
						      NULL) : NULL;
	ident = main_thread ? PyObject_GetAttrString(main_thread, "ident") :
			      NULL;
	if (ident && PyLong_Check(ident)) {
		main_ident = PyLong_AsUnsignedLong(ident);
		main_ident_known = !PyErr_Occurred();
	}
	PyErr_Clear();
	Py_XDECREF(ident);
	Py_XDECREF(main_thread);
	Py_XDECREF(threading);
}

PyObject *gp_chip_owner(struct gp_chip *self)
{
	PyObject *owner = NULL;

	if (!self || !self->owner)
		return NULL;
#if PY_VERSION_HEX >= 0x030D0000
	if (PyWeakref_GetRef(self->owner, &owner) < 0)
		PyErr_Clear();
#else
	owner = PyWeakref_GetObject(self->owner);
	if (owner == Py_None)
		owner = NULL;
	Py_XINCREF(owner);
#endif
	return owner;
}

void gp_chip_report(struct gp_chip *self, const char *where)
{
	PyObject *exc = gp_fetch_exception(), *owner, *res;

	if (!exc)
		return;
	owner = gp_chip_owner(self);
	if (owner) {
		res = PyObject_CallMethod(owner, "_guse_report", "Os", exc,
					  where ? where : "");
		Py_DECREF(owner);
		if (res) {
			Py_DECREF(res);
			Py_DECREF(exc);
			return;
		}
		PyErr_WriteUnraisable((PyObject *)self);
	}
	gp_restore_exception(exc);
	PyErr_WriteUnraisable(self ? (PyObject *)self : Py_None);
}

/* ------------------------------------------------------------------------ */
/* users, serving, closing */

/* A call into libguse without the GIL: the chip, or NULL raised. */
static struct guse_chip *enter(struct gp_chip *self)
{
	struct guse_chip *c = self->chip;

	if (!c)
		return gp_raise_closed(), NULL;
	pthread_mutex_lock(&self->state_lock);
	if (self->closing) {
		pthread_mutex_unlock(&self->state_lock);
		return gp_raise_closed(), NULL;
	}
	self->users++;
	pthread_mutex_unlock(&self->state_lock);
	return c;
}

static void leave(struct gp_chip *self)
{
	pthread_mutex_lock(&self->state_lock);
	self->users--;
	pthread_cond_broadcast(&self->state_cond);
	pthread_mutex_unlock(&self->state_lock);
}

static struct guse_chip *serve_begin(struct gp_chip *self)
{
	struct guse_chip *c = self->chip;

	if (!c)
		return gp_raise_closed(), NULL;
	pthread_mutex_lock(&self->state_lock);
	if (self->closing) {
		pthread_mutex_unlock(&self->state_lock);
		return gp_raise_closed(), NULL;
	}
	if (self->serving) {
		pthread_mutex_unlock(&self->state_lock);
		PyErr_SetString(PyExc_RuntimeError,
				"the chip is being served already (by another "
				"thread, a running run(), or the callback "
				"calling this)");
		return NULL;
	}
	self->serving = true;
	self->server = pthread_self();
	pthread_mutex_unlock(&self->state_lock);
	return c;
}

static void serve_end(struct gp_chip *self)
{
	pthread_mutex_lock(&self->state_lock);
	self->serving = false;
	pthread_cond_broadcast(&self->state_cond);
	pthread_mutex_unlock(&self->state_lock);
}

static void wake_run(struct gp_chip *self)
{
	uint64_t one = 1;

	if (self->exit_fd >= 0 && write(self->exit_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: run() wakes anyway */
	}
}

/*
 * Close: no new users, stop a run(), wait for the server and the users
 * (unless this thread is the server: a callback closes its own chip, which
 * libguse allows), fail the pending Deferreds with ENODEV, free the chip.
 * GIL held on entry and exit.
 */
static int close_chip(struct gp_chip *self)
{
	struct gp_taken taken;
	struct guse_chip *c;
	bool own;
	int ret;

	if (!self->chip)
		return 0;
	pthread_mutex_lock(&self->state_lock);
	own = self->serving && pthread_equal(self->server, pthread_self());
	self->closing = true;
	pthread_mutex_unlock(&self->state_lock);
	wake_run(self);
	Py_BEGIN_ALLOW_THREADS
	pthread_mutex_lock(&self->state_lock);
	while (self->users || (self->serving && !own))
		pthread_cond_wait(&self->state_cond, &self->state_lock);
	pthread_mutex_unlock(&self->state_lock);
	Py_END_ALLOW_THREADS
	c = self->chip;
	if (!c)
		return 0;	/* a callback closed it meanwhile */
	self->chip = NULL;
	/* out of memory: the Deferreds stay bound, their answers then fail
	 * with ENODEV */
	ret = gp_deferred_take_all(self, &taken);
	gp_trace_close(&self->trace);
	Py_BEGIN_ALLOW_THREADS
	gp_deferred_fail_taken(&taken, ENODEV);
	guse_chip_free(c);
	Py_END_ALLOW_THREADS
	gp_deferred_release_taken(&taken);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* creation */

static unsigned long arg_uint(PyObject *obj, const char *what,
			      unsigned long max, bool *ok)
{
	unsigned long v;

	if (!PyLong_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s",
			     what, Py_TYPE(obj)->tp_name);
		*ok = false;
		return 0;
	}
	v = PyLong_AsUnsignedLong(obj);
	if (PyErr_Occurred() || v > max) {
		PyErr_Clear();
		PyErr_Format(PyExc_ValueError, "%s out of range: %R", what, obj);
		*ok = false;
		return 0;
	}
	return v;
}

/* Apply one sequence of tuples to the configuration. */
static int config_lines(struct guse_chip_config *cfg, PyObject *seq,
			const char *what, int kind)
{
	PyObject *fast;
	Py_ssize_t i, n;
	int ret = 0;

	if (!seq || seq == Py_None)
		return 0;
	fast = PySequence_Fast(seq, what);
	if (!fast)
		return -1;
	n = PySequence_Fast_GET_SIZE(fast);
	for (i = 0; i < n && !ret; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
		unsigned int line;
		const char *name;
		int dir, value;

		switch (kind) {
		case 'o':	/* (line, direction, value) */
			if (!PyArg_ParseTuple(item, "Iii", &line, &dir, &value))
				ret = -1;
			else if (guse_chip_config_set_line_direction(cfg, line,
								     dir, value))
				ret = 1;
			break;
		case 'p':	/* (line, pull) */
			if (!PyArg_ParseTuple(item, "Ii", &line, &value))
				ret = -1;
			else if (guse_chip_config_set_line_pull(cfg, line,
								value))
				ret = 1;
			break;
		case 'h':	/* (line, consumer, direction, value) */
			if (!PyArg_ParseTuple(item, "Isii", &line, &name, &dir,
					      &value))
				ret = -1;
			else if (guse_chip_config_set_line_hog(cfg, line, name,
							       dir, value))
				ret = 1;
			break;
		default:	/* invalid line */
			line = (unsigned int)arg_uint(item, what, UINT32_MAX,
						      &(bool){ true });
			if (PyErr_Occurred())
				ret = -1;
			else if (guse_chip_config_set_line_valid(cfg, line,
								 false))
				ret = 1;
			break;
		}
		if (ret > 0)
			PyErr_Format(PyExc_ValueError, "bad %s entry %R: %s",
				     what, item, strerror(errno));
	}
	Py_DECREF(fast);
	return ret ? -1 : 0;
}

static struct guse_chip_config *make_config(PyObject *label,
					    unsigned int num_lines,
					    PyObject *names,
					    unsigned int timeout_ms,
					    PyObject *device, int serve_reads,
					    int hold, int cache,
					    PyObject *outputs,
					    PyObject *pulls, PyObject *hogs,
					    PyObject *invalid)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	PyObject *fast;
	Py_ssize_t i;

	if (!cfg)
		return (void *)PyErr_NoMemory();
	if (label != Py_None &&
	    guse_chip_config_set_label(cfg, PyUnicode_AsUTF8(label))) {
		PyErr_Format(PyExc_ValueError,
			     "the label must have 1 to %d bytes: %R",
			     GUSE_NAME_SIZE - 1, label);
		goto err;
	}
	if (guse_chip_config_set_num_lines(cfg, num_lines)) {
		PyErr_Format(PyExc_ValueError,
			     "num_lines must be 1 to %d, not %u",
			     GUSE_LINES_MAX, num_lines);
		goto err;
	}
	if (guse_chip_config_set_timeout_ms(cfg, timeout_ms)) {
		PyErr_Format(PyExc_ValueError,
			     "the timeout must be at most 600 s, not %u ms",
			     timeout_ms);
		goto err;
	}
	if (device != Py_None &&
	    guse_chip_config_set_device_path(cfg, PyUnicode_AsUTF8(device))) {
		PyErr_NoMemory();
		goto err;
	}
	guse_chip_config_set_serve_input_reads(cfg, serve_reads);
	guse_chip_config_set_hold_outputs(cfg, hold);
	guse_chip_config_set_output_cache(cfg, cache);
	if (names != Py_None) {
		fast = PySequence_Fast(names, "line_names must be a sequence");
		if (!fast)
			goto err;
		for (i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
			PyObject *n = PySequence_Fast_GET_ITEM(fast, i);
			const char *s;

			if (n == Py_None)
				continue;
			s = PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
			if (!s || guse_chip_config_set_line_name(cfg,
							(unsigned int)i, s)) {
				if (!PyErr_Occurred())
					PyErr_Format(PyExc_ValueError,
						     "bad name of line %zd: %R (a str of at most %d bytes)",
						     i, n, GUSE_NAME_SIZE - 1);
				Py_DECREF(fast);
				goto err;
			}
		}
		Py_DECREF(fast);
	}
	if (config_lines(cfg, outputs, "outputs", 'o') ||
	    config_lines(cfg, pulls, "pulls", 'p') ||
	    config_lines(cfg, hogs, "hogs", 'h') ||
	    config_lines(cfg, invalid, "invalid", 'i'))
		goto err;
	return cfg;
err:
	guse_chip_config_free(cfg);
	return NULL;
}

static uint32_t callback_set(PyObject *names)
{
	PyObject *fast = PySequence_Fast(names, "callbacks must be a sequence");
	uint32_t set = 0;
	Py_ssize_t i;
	int k;

	if (!fast)
		return UINT32_MAX;
	for (i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
		PyObject *n = PySequence_Fast_GET_ITEM(fast, i);
		const char *s = PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : "";

		for (k = GP_KIND_FIRST; k <= GP_KIND_LAST; k++)
			if (gp_kind_callback(k) && s &&
			    !strcmp(gp_kind_callback(k), s))
				break;
		if (k > GP_KIND_LAST) {
			PyErr_Format(PyExc_ValueError, "no callback %R", n);
			Py_DECREF(fast);
			return UINT32_MAX;
		}
		set |= GP_KIND_BIT(k);
	}
	Py_DECREF(fast);
	return set;
}

static PyObject *chip_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	struct gp_chip *self = (struct gp_chip *)PyType_GenericNew(type, args,
								   kwds);

	if (self)
		self->exit_fd = -1;
	return (PyObject *)self;
}

static int chip_init(struct gp_chip *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "num_lines", "label", "line_names",
				  "timeout_ms", "device", "fd",
				  "serve_input_reads", "hold_outputs",
				  "output_cache", "outputs", "pulls", "hogs", "invalid",
				  "callbacks", "owner", "trace_size", NULL };
	PyObject *label = Py_None, *names = Py_None, *device = Py_None;
	PyObject *outputs = NULL, *pulls = NULL, *hogs = NULL, *invalid = NULL;
	PyObject *callbacks = NULL, *owner = Py_None;
	unsigned int num_lines, timeout_ms = 0, trace_size = 4096;
	int fd = -1, serve_reads = 0, hold = 0, cache = 0, err;
	struct guse_chip_config *cfg;
	struct guse_chip *c;

	if (self->sync_ok) {
		PyErr_SetString(PyExc_RuntimeError, "Chip.__init__ called twice");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "I|$OOIOipppOOOOOOI:Chip",
					 kwlist, &num_lines, &label, &names,
					 &timeout_ms, &device, &fd,
					 &serve_reads, &hold, &cache,
					 &outputs, &pulls,
					 &hogs, &invalid, &callbacks, &owner,
					 &trace_size))
		return -1;
	if ((label != Py_None && !PyUnicode_Check(label)) ||
	    (device != Py_None && !PyUnicode_Check(device))) {
		PyErr_SetString(PyExc_TypeError, "label and device must be str");
		return -1;
	}
	if (trace_size > 1 << 20) {
		PyErr_SetString(PyExc_ValueError, "trace_size is at most 1048576");
		return -1;
	}
	if (callbacks) {
		self->callbacks = callback_set(callbacks);
		if (self->callbacks == UINT32_MAX)
			return -1;
	}
	if (self->callbacks && owner == Py_None) {
		PyErr_SetString(PyExc_ValueError, "callbacks need an owner");
		return -1;
	}
	if (owner != Py_None) {
		self->owner = PyWeakref_NewRef(owner, NULL);
		if (!self->owner)
			return -1;
	}
	note_main_thread();

	self->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (self->exit_fd < 0) {
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
	if (gp_trace_init(&self->trace, trace_size) < 0) {
		close(self->exit_fd);
		self->exit_fd = -1;
		PyErr_NoMemory();
		return -1;
	}
	pthread_mutex_init(&self->state_lock, NULL);
	pthread_cond_init(&self->state_cond, NULL);
	self->sync_ok = true;

	cfg = make_config(label, num_lines, names, timeout_ms, device,
			  serve_reads, hold, cache, outputs, pulls, hogs,
			  invalid);
	if (!cfg)
		return -1;	/* a failure leaves fd to the caller */
	/* creation waits for the kernel's READY (up to 10 s) */
	Py_BEGIN_ALLOW_THREADS
	c = fd >= 0 ? guse_chip_new_fd(fd, cfg, &gp_chip_ops,
				       sizeof(gp_chip_ops), self) :
		      guse_chip_new(cfg, &gp_chip_ops, sizeof(gp_chip_ops),
				    self);
	err = errno;
	Py_END_ALLOW_THREADS
	guse_chip_config_free(cfg);
	if (!c) {
		gp_raise_errno(err, "cannot create the chip", true);
		return -1;
	}
	self->chip = c;
	self->num_lines = guse_chip_get_num_lines(c);
	self->num_words = guse_chip_get_num_words(c);
	self->base = guse_chip_get_base(c);
	self->timeout_ms = guse_chip_get_timeout_ms(c);
	snprintf(self->name, sizeof(self->name), "%s", guse_chip_get_name(c));
	snprintf(self->dev_name, sizeof(self->dev_name), "%s",
		 guse_chip_get_dev_name(c));
	snprintf(self->label, sizeof(self->label), "%s",
		 guse_chip_get_label(c));
	return 0;
}

static void chip_dealloc(struct gp_chip *self)
{
	PyObject *saved = gp_fetch_exception();

	if (self->weakreflist)
		PyObject_ClearWeakRefs((PyObject *)self);
	if (self->chip && close_chip(self) < 0)
		PyErr_WriteUnraisable((PyObject *)self);
	if (self->sync_ok) {
		gp_trace_destroy(&self->trace);
		pthread_mutex_destroy(&self->state_lock);
		pthread_cond_destroy(&self->state_cond);
	}
	if (self->exit_fd >= 0)
		close(self->exit_fd);
	Py_CLEAR(self->owner);
	Py_CLEAR(self->raise_later);
	gp_restore_exception(saved);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ------------------------------------------------------------------------ */
/* serving */

static PyObject *chip_close(struct gp_chip *self, PyObject *Py_UNUSED(ignored))
{
	if (close_chip(self) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *chip_fileno(struct gp_chip *self, PyObject *Py_UNUSED(ignored))
{
	if (!self->chip)
		return gp_raise_closed();
	return PyLong_FromLong(guse_chip_get_fd(self->chip));
}

/* Raise what a callback left for the serving call (true if there was). */
static bool raise_later(struct gp_chip *self)
{
	PyObject *exc = self->raise_later;

	if (!exc)
		return false;
	self->raise_later = NULL;
	gp_restore_exception(exc);
	return true;
}

static PyObject *chip_dispatch(struct gp_chip *self,
			       PyObject *Py_UNUSED(ignored))
{
	struct guse_chip *c = serve_begin(self);
	int ret, err;

	if (!c)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = guse_chip_dispatch(c);
	err = errno;
	Py_END_ALLOW_THREADS
	serve_end(self);
	if (raise_later(self))
		return NULL;
	if (ret < 0)
		return gp_raise_errno(err, "cannot serve the chip", false);
	return PyLong_FromLong(ret);
}

static PyObject *chip_run(struct gp_chip *self, PyObject *Py_UNUSED(ignored))
{
	struct guse_chip *c = serve_begin(self);
	bool in_main = main_ident_known &&
		       PyThread_get_thread_ident() == main_ident;
	PyObject *ret = NULL;
	uint64_t v;
	int n, err;

	if (!c)
		return NULL;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = guse_chip_get_fd(c), .events = POLLIN },
			{ .fd = self->exit_fd, .events = POLLIN },
		};

		/* in the main thread, wake up for KeyboardInterrupt */
		Py_BEGIN_ALLOW_THREADS
		n = poll(pfd, 2, in_main ? 200 : -1);
		err = errno;
		Py_END_ALLOW_THREADS
		if (n < 0 && err != EINTR) {
			gp_raise_errno(err, "poll", false);
			break;
		}
		if (in_main && PyErr_CheckSignals() < 0)
			break;
		if (n <= 0)
			continue;
		if (pfd[1].revents) {
			if (read(self->exit_fd, &v, sizeof(v)) < 0) {
				/* nothing to reset */
			}
			ret = Py_NewRef(Py_None);
			break;
		}
		Py_BEGIN_ALLOW_THREADS
		n = guse_chip_dispatch(c);
		err = errno;
		Py_END_ALLOW_THREADS
		if (raise_later(self))
			break;
		if (n < 0) {
			gp_raise_errno(err, "cannot serve the chip", false);
			break;
		}
		if (!self->chip) {
			/* a callback closed the chip */
			ret = Py_NewRef(Py_None);
			break;
		}
	}
	serve_end(self);
	return ret;
}

static PyObject *chip_exit(struct gp_chip *self, PyObject *Py_UNUSED(ignored))
{
	wake_run(self);
	Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ */
/* lines */

static int line_arg(struct gp_chip *self, PyObject *obj, unsigned int *line)
{
	bool ok = true;
	unsigned long v;

	if (!self->chip) {
		gp_raise_closed();
		return -1;
	}
	v = arg_uint(obj, "the line", UINT32_MAX, &ok);
	if (!ok)
		return -1;
	if (v >= self->num_lines) {
		PyErr_Format(PyExc_ValueError,
			     "line %lu out of range: the chip has %u lines",
			     v, self->num_lines);
		return -1;
	}
	*line = (unsigned int)v;
	return 0;
}

/* set_inputs(mapping line -> level): one injection */
static PyObject *chip_set_inputs(struct gp_chip *self, PyObject *arg)
{
	uint64_t mask[GP_WORDS_MAX] = { 0 }, values[GP_WORDS_MAX] = { 0 };
	PyObject *items, *key, *val;
	struct guse_chip *c;
	Py_ssize_t i;
	int ret, err;

	if (!self->chip)
		return gp_raise_closed();
	if (!PyMapping_Check(arg)) {
		PyErr_SetString(PyExc_TypeError,
				"set_inputs() takes a mapping line -> value");
		return NULL;
	}
	items = PyMapping_Items(arg);
	if (!items)
		return NULL;
	for (i = 0; i < PyList_GET_SIZE(items); i++) {
		unsigned int line;
		int level;

		if (!PyArg_ParseTuple(PyList_GET_ITEM(items, i), "OO", &key,
				      &val) ||
		    line_arg(self, key, &line) < 0 ||
		    (level = gp_level(val, "a value")) < 0) {
			Py_DECREF(items);
			return NULL;
		}
		mask[line / 64] |= GUSE_BIT_MASK(line);
		if (level)
			values[line / 64] |= GUSE_BIT_MASK(line);
	}
	Py_DECREF(items);
	c = enter(self);
	if (!c)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = guse_chip_set_inputs(c, mask, values);
	err = errno;
	Py_END_ALLOW_THREADS
	leave(self);
	if (ret < 0)
		return gp_raise_errno(err, "cannot set the inputs", false);
	Py_RETURN_NONE;
}

static PyObject *chip_set_direction(struct gp_chip *self, PyObject *args)
{
	PyObject *line_obj, *dir_obj, *val_obj = NULL;
	struct guse_chip *c;
	unsigned int line;
	int value = 0, ret, err;
	long dir;

	if (!PyArg_ParseTuple(args, "OO|O:set_direction", &line_obj, &dir_obj,
			      &val_obj) ||
	    line_arg(self, line_obj, &line) < 0)
		return NULL;
	dir = gp_int_value(dir_obj, "the direction");
	if (dir == -1 && PyErr_Occurred())
		return NULL;
	if (dir != GUSE_LINE_DIRECTION_INPUT && dir != GUSE_LINE_DIRECTION_OUTPUT) {
		PyErr_Format(PyExc_ValueError, "not a guse.Direction: %R",
			     dir_obj);
		return NULL;
	}
	if (val_obj && (value = gp_level(val_obj, "the value")) < 0)
		return NULL;
	c = enter(self);
	if (!c)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = guse_chip_set_direction(c, line, (int)dir, value);
	err = errno;
	Py_END_ALLOW_THREADS
	leave(self);
	if (ret < 0)
		return gp_raise_errno(err, "cannot change the direction", false);
	Py_RETURN_NONE;
}

static PyObject *chip_claim(struct gp_chip *self, PyObject *args)
{
	PyObject *line_obj;
	const char *label;
	struct guse_chip *c;
	unsigned int line;
	int ret, err;

	if (!PyArg_ParseTuple(args, "Os:claim", &line_obj, &label) ||
	    line_arg(self, line_obj, &line) < 0)
		return NULL;
	c = enter(self);
	if (!c)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = guse_chip_claim_line(c, line, label);
	err = errno;
	Py_END_ALLOW_THREADS
	leave(self);
	if (ret < 0)
		return gp_raise_errno(err, "cannot claim the line", false);
	Py_RETURN_NONE;
}

static PyObject *chip_unclaim(struct gp_chip *self, PyObject *arg)
{
	struct guse_chip *c;
	unsigned int line;
	int ret, err;

	if (line_arg(self, arg, &line) < 0)
		return NULL;
	c = enter(self);
	if (!c)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = guse_chip_unclaim_line(c, line);
	err = errno;
	Py_END_ALLOW_THREADS
	leave(self);
	if (ret < 0)
		return gp_raise_errno(err, "cannot unclaim the line", false);
	Py_RETURN_NONE;
}

/*
 * state(line) -> (direction, output, pull, value, requested, claimed,
 * consumer, bias, drive, debounce_us, irq_type, irq_flags).  The getters
 * take libguse's lock briefly: called with the GIL, which close() needs
 * before it frees the chip.
 */
static PyObject *chip_state(struct gp_chip *self, PyObject *arg)
{
	struct guse_chip *c = self->chip;
	char consumer[GUSE_NAME_SIZE];
	unsigned int line;
	uint32_t flags = 0;
	int irq;

	if (line_arg(self, arg, &line) < 0)
		return NULL;
	guse_chip_get_consumer(c, line, consumer, sizeof(consumer));
	irq = guse_chip_get_irq_type(c, line, &flags);
	return Py_BuildValue("iiiiOONiilik",
			     guse_chip_get_direction(c, line),
			     guse_chip_get_output_value(c, line),
			     guse_chip_get_input_level(c, line),
			     guse_chip_get_value(c, line),
			     guse_chip_is_requested(c, line) > 0 ? Py_True : Py_False,
			     guse_chip_is_claimed(c, line) > 0 ? Py_True : Py_False,
			     PyUnicode_DecodeUTF8(consumer, strlen(consumer),
						  "replace"),
			     guse_chip_get_bias(c, line),
			     guse_chip_get_drive(c, line),
			     guse_chip_get_debounce_us(c, line), irq,
			     (unsigned long)flags);
}

/* One line-state getter: int(getter(chip, line)). */
#define INT_GETTER(pyname, fn)						\
static PyObject *chip_##pyname(struct gp_chip *self, PyObject *arg)	\
{									\
	unsigned int line;						\
									\
	if (line_arg(self, arg, &line) < 0)				\
		return NULL;						\
	return PyLong_FromLong(fn(self->chip, line));			\
}

INT_GETTER(get_value, guse_chip_get_value)
INT_GETTER(get_pull, guse_chip_get_input_level)
INT_GETTER(get_output, guse_chip_get_output_value)
INT_GETTER(get_direction, guse_chip_get_direction)

static PyObject *chip_line_name(struct gp_chip *self, PyObject *arg)
{
	unsigned int line;
	const char *name;

	if (line_arg(self, arg, &line) < 0)
		return NULL;
	name = guse_chip_get_line_name(self->chip, line);
	return PyUnicode_DecodeUTF8(name, strlen(name), "replace");
}

/* ------------------------------------------------------------------------ */
/* the trace */

/* trace_take(timeout=None) -> tuple | None: the oldest event, waiting up
 * to timeout seconds (None: forever); None on timeout or when the chip is
 * closed and nothing is left. */
static PyObject *chip_trace_take(struct gp_chip *self, PyObject *args)
{
	PyObject *timeout = Py_None;
	struct gp_event ev;
	int64_t ns = -1;
	int ret;

	if (!PyArg_ParseTuple(args, "|O:trace_take", &timeout))
		return NULL;
	if (!self->sync_ok)
		return gp_raise_closed();
	if (timeout != Py_None) {
		double t = PyFloat_AsDouble(timeout);

		if (t == -1.0 && PyErr_Occurred())
			return NULL;
		ns = t <= 0 ? 0 : (int64_t)(t * 1e9);
	}
	/* the trace lives as long as self, which this call holds */
	Py_BEGIN_ALLOW_THREADS
	ret = gp_trace_take(&self->trace, &ev, ns);
	Py_END_ALLOW_THREADS
	if (ret <= 0)
		Py_RETURN_NONE;
	return gp_event_tuple(&ev, self->num_lines);
}

static PyObject *chip_trace_clear(struct gp_chip *self,
				  PyObject *Py_UNUSED(ignored))
{
	if (self->sync_ok)
		gp_trace_clear(&self->trace);
	Py_RETURN_NONE;
}

static PyObject *chip_trace_stats(struct gp_chip *self,
				  PyObject *Py_UNUSED(ignored))
{
	unsigned int count = 0;
	uint64_t dropped = 0;

	if (self->sync_ok)
		gp_trace_stats(&self->trace, &count, &dropped);
	return Py_BuildValue("IK", count, (unsigned long long)dropped);
}

/* ------------------------------------------------------------------------ */
/* the type */

#define STR_GETTER(field)						\
static PyObject *chip_get_##field(struct gp_chip *self,		\
				  void *Py_UNUSED(closure))		\
{									\
	return PyUnicode_FromString(self->field);			\
}
#define UINT_GETTER(field)						\
static PyObject *chip_get_##field(struct gp_chip *self,		\
				  void *Py_UNUSED(closure))		\
{									\
	return PyLong_FromUnsignedLong(self->field);			\
}

STR_GETTER(name)
STR_GETTER(dev_name)
STR_GETTER(label)
UINT_GETTER(num_lines)
UINT_GETTER(base)
UINT_GETTER(timeout_ms)

static PyObject *chip_get_closed(struct gp_chip *self,
				 void *Py_UNUSED(closure))
{
	return PyBool_FromLong(!self->chip);
}

static PyGetSetDef chip_getset[] = {
	{ "name", (getter)chip_get_name, NULL, "e.g. gpiochip3", NULL },
	{ "dev_name", (getter)chip_get_dev_name, NULL, "e.g. guse0", NULL },
	{ "label", (getter)chip_get_label, NULL, "the chip label", NULL },
	{ "num_lines", (getter)chip_get_num_lines, NULL, "lines", NULL },
	{ "base", (getter)chip_get_base, NULL, "sysfs GPIO base", NULL },
	{ "timeout_ms", (getter)chip_get_timeout_ms, NULL,
	  "the request timeout in force", NULL },
	{ "closed", (getter)chip_get_closed, NULL, "closed?", NULL },
	{ }
};

static PyMethodDef chip_methods[] = {
	{ "close", (PyCFunction)chip_close, METH_NOARGS, NULL },
	{ "fileno", (PyCFunction)chip_fileno, METH_NOARGS, NULL },
	{ "dispatch", (PyCFunction)chip_dispatch, METH_NOARGS, NULL },
	{ "run", (PyCFunction)chip_run, METH_NOARGS, NULL },
	{ "exit", (PyCFunction)chip_exit, METH_NOARGS, NULL },
	{ "set_inputs", (PyCFunction)chip_set_inputs, METH_O, NULL },
	{ "set_direction", (PyCFunction)chip_set_direction, METH_VARARGS, NULL },
	{ "claim", (PyCFunction)chip_claim, METH_VARARGS, NULL },
	{ "unclaim", (PyCFunction)chip_unclaim, METH_O, NULL },
	{ "state", (PyCFunction)chip_state, METH_O, NULL },
	{ "get_value", (PyCFunction)chip_get_value, METH_O, NULL },
	{ "get_pull", (PyCFunction)chip_get_pull, METH_O, NULL },
	{ "get_output", (PyCFunction)chip_get_output, METH_O, NULL },
	{ "get_direction", (PyCFunction)chip_get_direction, METH_O, NULL },
	{ "line_name", (PyCFunction)chip_line_name, METH_O, NULL },
	{ "trace_take", (PyCFunction)chip_trace_take, METH_VARARGS, NULL },
	{ "trace_clear", (PyCFunction)chip_trace_clear, METH_NOARGS, NULL },
	{ "trace_stats", (PyCFunction)chip_trace_stats, METH_NOARGS, NULL },
	{ }
};

PyTypeObject gp_chip_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "guse._ext.Chip",
	.tp_basicsize = sizeof(struct gp_chip),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "The libguse chip under guse.Chip (internal).",
	.tp_new = chip_new,
	.tp_init = (initproc)chip_init,
	.tp_dealloc = (destructor)chip_dealloc,
	.tp_weaklistoffset = offsetof(struct gp_chip, weakreflist),
	.tp_methods = chip_methods,
	.tp_getset = chip_getset,
};
