// SPDX-License-Identifier: LGPL-2.1-or-later
/* guse._ext: the module, its constants and shared helpers. */

#include <errno.h>
#include <string.h>

#include "internal.h"

PyObject *gp_error_type;
PyObject *gp_closed_type;
PyObject *gp_default;

PyObject *gp_raise_errno(int err, const char *what, bool with_hint)
{
	PyObject *type = gp_error_type ? gp_error_type : PyExc_OSError;
	const char *hint = with_hint ? guse_error_hint(err) : NULL;
	PyObject *exc;

	if (what)
		exc = hint ?
		      PyObject_CallFunction(type, "iN", err,
			      PyUnicode_FromFormat("%s: %s (%s)", what,
						   strerror(err), hint)) :
		      PyObject_CallFunction(type, "iN", err,
			      PyUnicode_FromFormat("%s: %s", what,
						   strerror(err)));
	else
		exc = PyObject_CallFunction(type, "is", err, strerror(err));
	if (exc) {
		PyErr_SetObject(type, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

PyObject *gp_raise_closed(void)
{
	PyErr_SetString(gp_closed_type ? gp_closed_type : PyExc_ValueError,
			"the chip is closed");
	return NULL;
}

long gp_int_value(PyObject *obj, const char *what)
{
	PyObject *v;
	long ret;

	if (PyLong_Check(obj))
		return PyLong_AsLong(obj);
	/* an enum member: libgpiod's enums are not IntEnums */
	v = PyObject_GetAttrString(obj, "value");
	if (!v || !PyLong_Check(v)) {
		Py_XDECREF(v);
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s",
			     what, Py_TYPE(obj)->tp_name);
		return -1;
	}
	ret = PyLong_AsLong(v);
	Py_DECREF(v);
	return ret;
}

int gp_level(PyObject *obj, const char *what)
{
	long v = gp_int_value(obj, what);

	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v != 0 && v != 1) {
		PyErr_Format(PyExc_ValueError, "%s must be 0 or 1, not %ld",
			     what, v);
		return -1;
	}
	return (int)v;
}

PyObject *gp_fetch_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	return PyErr_GetRaisedException();
#else
	PyObject *type, *value, *tb;

	PyErr_Fetch(&type, &value, &tb);
	if (!type)
		return NULL;
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	return value;
#endif
}

void gp_restore_exception(PyObject *exc)
{
	if (!exc)
		return;
#if PY_VERSION_HEX >= 0x030C0000
	PyErr_SetRaisedException(exc);
#else
	PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc,
		      PyException_GetTraceback(exc));
#endif
}

int gp_exception_errno(PyObject *exc)
{
	PyObject *v;
	long err;

	if (!exc || !gp_error_type || !PyObject_TypeCheck(exc,
			(PyTypeObject *)gp_error_type))
		return 0;
	v = PyObject_GetAttrString(exc, "errno");
	if (!v) {
		PyErr_Clear();
		return 0;
	}
	err = PyLong_Check(v) ? PyLong_AsLong(v) : -1;
	Py_DECREF(v);
	if (err < 1 || err > 133) {
		PyErr_Clear();
		return 0;
	}
	return (int)err;
}

/* _init(Error, ChipClosedError, DEFAULT): the Python layer's classes. */
static PyObject *mod_init(PyObject *Py_UNUSED(mod), PyObject *args)
{
	PyObject *err, *closed, *def;

	if (!PyArg_ParseTuple(args, "OOO", &err, &closed, &def))
		return NULL;
	if (!PyType_Check(err) || !PyType_Check(closed) ||
	    !PyType_IsSubtype((PyTypeObject *)err,
			      (PyTypeObject *)PyExc_OSError)) {
		PyErr_SetString(PyExc_TypeError, "_init(Error, ChipClosedError, DEFAULT)");
		return NULL;
	}
	Py_INCREF(err);
	Py_INCREF(closed);
	Py_INCREF(def);
	Py_XSETREF(gp_error_type, err);
	Py_XSETREF(gp_closed_type, closed);
	Py_XSETREF(gp_default, def);
	Py_RETURN_NONE;
}

/* error_hint(errno): guse_error_hint() */
static PyObject *mod_error_hint(PyObject *Py_UNUSED(mod), PyObject *args)
{
	const char *hint;
	int err;

	if (!PyArg_ParseTuple(args, "i", &err))
		return NULL;
	hint = guse_error_hint(err);
	if (!hint)
		Py_RETURN_NONE;
	return PyUnicode_FromString(hint);
}

static PyMethodDef module_methods[] = {
	{ "_init", mod_init, METH_VARARGS,
	  "Register guse.Error, guse.ChipClosedError and guse.DEFAULT." },
	{ "error_hint", mod_error_hint, METH_VARARGS,
	  "error_hint(errno) -> str | None\n\n"
	  "The cause and the way out of a chip creation error (libguse's\n"
	  "guse_error_hint())." },
	{ }
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "guse._ext",
	.m_doc = "libguse bindings (internal: use the guse package).",
	.m_size = -1,
	.m_methods = module_methods,
};

static const struct {
	const char *name;
	long value;
} constants[] = {
	{ "NAME_SIZE", GUSE_NAME_SIZE },
	{ "LINES_MAX", GUSE_LINES_MAX },
	{ "DIRECTION_INPUT", GUSE_LINE_DIRECTION_INPUT },
	{ "DIRECTION_OUTPUT", GUSE_LINE_DIRECTION_OUTPUT },
	{ "REQUEST_REQUEST", GUSE_REQUEST_REQUEST },
	{ "REQUEST_FREE", GUSE_REQUEST_FREE },
	{ "REQUEST_CONSUMER", GP_KIND_CONSUMER },
	{ "REQUEST_GET_DIRECTION", GUSE_REQUEST_GET_DIRECTION },
	{ "REQUEST_DIRECTION_INPUT", GUSE_REQUEST_DIRECTION_INPUT },
	{ "REQUEST_DIRECTION_OUTPUT", GUSE_REQUEST_DIRECTION_OUTPUT },
	{ "REQUEST_GET_VALUES", GUSE_REQUEST_GET_VALUES },
	{ "REQUEST_SET_VALUES", GUSE_REQUEST_SET_VALUES },
	{ "REQUEST_SET_CONFIG", GUSE_REQUEST_SET_CONFIG },
	{ "REQUEST_IRQ_CONFIG", GUSE_REQUEST_IRQ_CONFIG },
	{ "PARAM_BIAS_DISABLE", GUSE_LINE_PARAM_BIAS_DISABLE },
	{ "PARAM_BIAS_PULL_UP", GUSE_LINE_PARAM_BIAS_PULL_UP },
	{ "PARAM_BIAS_PULL_DOWN", GUSE_LINE_PARAM_BIAS_PULL_DOWN },
	{ "PARAM_DRIVE_PUSH_PULL", GUSE_LINE_PARAM_DRIVE_PUSH_PULL },
	{ "PARAM_DRIVE_OPEN_DRAIN", GUSE_LINE_PARAM_DRIVE_OPEN_DRAIN },
	{ "PARAM_DRIVE_OPEN_SOURCE", GUSE_LINE_PARAM_DRIVE_OPEN_SOURCE },
	{ "PARAM_INPUT_DEBOUNCE", GUSE_LINE_PARAM_INPUT_DEBOUNCE },
	{ "IRQ_NONE", GUSE_LINE_IRQ_NONE },
	{ "IRQ_EDGE_RISING", GUSE_LINE_IRQ_EDGE_RISING },
	{ "IRQ_EDGE_FALLING", GUSE_LINE_IRQ_EDGE_FALLING },
	{ "IRQ_EDGE_BOTH", GUSE_LINE_IRQ_EDGE_BOTH },
	{ "IRQ_LEVEL_HIGH", GUSE_LINE_IRQ_LEVEL_HIGH },
	{ "IRQ_LEVEL_LOW", GUSE_LINE_IRQ_LEVEL_LOW },
	{ "IRQ_F_ENABLED", GUSE_LINE_IRQ_F_ENABLED },
};

PyMODINIT_FUNC PyInit__ext(void)
{
	PyObject *mod;
	size_t i;

	if (PyType_Ready(&gp_chip_type) < 0 ||
	    PyType_Ready(&gp_deferred_type) < 0)
		return NULL;
	mod = PyModule_Create(&module_def);
	if (!mod)
		return NULL;
	if (PyModule_AddType(mod, &gp_chip_type) < 0 ||
	    PyModule_AddType(mod, &gp_deferred_type) < 0 ||
	    PyModule_AddStringConstant(mod, "libguse_version",
				       guse_version_string()) < 0)
		goto err;
	for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (PyModule_AddIntConstant(mod, constants[i].name,
					    constants[i].value) < 0)
			goto err;
	return mod;
err:
	Py_DECREF(mod);
	return NULL;
}
