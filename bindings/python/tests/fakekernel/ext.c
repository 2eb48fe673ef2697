// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * _guse_fake_kernel: libguse's unit-test fake kernel (lib/tests/
 * fake-kernel.c, linked in unchanged) for the host tests of the Python
 * bindings.  One FakeKernel is one SOCK_SEQPACKET socketpair: the test
 * plays the kernel on one end, guse.Chip(_fd=...) gets the other.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <endian.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"

typedef struct {
	PyObject_HEAD
	struct fk fk;
	bool open;
	bool server_taken;	/* the server end belongs to a chip */
} FakeKernel;

static int fkobj_init(FakeKernel *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { NULL };

	if (!PyArg_ParseTupleAndKeywords(args, kwds, ":FakeKernel", kwlist))
		return -1;
	if (self->open) {
		PyErr_SetString(PyExc_RuntimeError, "already open");
		return -1;
	}
	fk_open(&self->fk);
	self->open = true;
	return 0;
}

static void fkobj_close_all(FakeKernel *self)
{
	if (!self->open)
		return;
	if (!self->server_taken && self->fk.sfd >= 0)
		close(self->fk.sfd);
	fk_close(&self->fk);
	self->open = false;
}

static void fkobj_dealloc(FakeKernel *self)
{
	fkobj_close_all(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *check_open(FakeKernel *self)
{
	if (self->open && self->fk.kfd >= 0)
		return Py_None;
	PyErr_SetString(PyExc_ValueError, "the fake kernel is closed");
	return NULL;
}

/* take_server_fd() -> int: the end for guse.Chip(_fd=...), which owns it */
static PyObject *fkobj_take_server_fd(FakeKernel *self,
				      PyObject *Py_UNUSED(ignored))
{
	if (!check_open(self))
		return NULL;
	if (self->server_taken) {
		PyErr_SetString(PyExc_RuntimeError, "the server end was taken");
		return NULL;
	}
	self->server_taken = true;
	return PyLong_FromLong(self->fk.sfd);
}

/* send_ready(num_lines, chip="gpiochip7", dev="guse3") */
static PyObject *fkobj_send_ready(FakeKernel *self, PyObject *args)
{
	const char *chip = "gpiochip7", *dev = "guse3";
	unsigned int n;

	if (!PyArg_ParseTuple(args, "I|ss", &n, &chip, &dev) || !check_open(self))
		return NULL;
	fk_send_ready(&self->fk, n, chip, dev);
	Py_RETURN_NONE;
}

/* send(op, id, payload=b"") */
static PyObject *fkobj_send(FakeKernel *self, PyObject *args)
{
	unsigned short op;
	unsigned long long id;
	Py_buffer p = { 0 };

	if (!PyArg_ParseTuple(args, "HK|y*", &op, &id, &p))
		return NULL;
	if (!check_open(self) || p.len > GUSE_MSG_SIZE_MAX - 24) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_ValueError, "payload too long");
		PyBuffer_Release(&p);
		return NULL;
	}
	fk_send(&self->fk, op, id, p.buf, (size_t)p.len);
	PyBuffer_Release(&p);
	Py_RETURN_NONE;
}

/* send_raw(length, op, flags, id, error, payload=b""): length 0: computed */
static PyObject *fkobj_send_raw(FakeKernel *self, PyObject *args)
{
	unsigned int len, error;
	unsigned short op, flags;
	unsigned long long id;
	Py_buffer p = { 0 };

	if (!PyArg_ParseTuple(args, "IHHKI|y*", &len, &op, &flags, &id, &error,
			      &p))
		return NULL;
	if (!check_open(self) || p.len > GUSE_MSG_SIZE_MAX - 24) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_ValueError, "payload too long");
		PyBuffer_Release(&p);
		return NULL;
	}
	fk_send_raw(&self->fk, len, op, flags, id, error, p.buf, (size_t)p.len);
	PyBuffer_Release(&p);
	Py_RETURN_NONE;
}

/* recv(timeout_ms=2000) -> (op, flags, id, error, payload) | None (nothing
 * in time) | b"" (the other end closed) */
static PyObject *fkobj_recv(FakeKernel *self, PyObject *args)
{
	uint8_t *buf;
	const struct guse_msg_header *h;
	int timeout = 2000, n;
	PyObject *ret = NULL;

	if (!PyArg_ParseTuple(args, "|i", &timeout) || !check_open(self))
		return NULL;
	buf = PyMem_RawMalloc(GUSE_MSG_SIZE_MAX);
	if (!buf)
		return PyErr_NoMemory();
	h = (const void *)buf;
	Py_BEGIN_ALLOW_THREADS
	n = fk_recv(&self->fk, buf, GUSE_MSG_SIZE_MAX, timeout);
	Py_END_ALLOW_THREADS
	if (n < 0)
		ret = Py_NewRef(Py_None);
	else if (n == 0)
		ret = PyBytes_FromStringAndSize("", 0);
	else if ((size_t)n < sizeof(*h))
		PyErr_Format(PyExc_AssertionError, "short message (%d bytes)", n);
	else if (le32toh(h->len) != (uint32_t)n)
		PyErr_Format(PyExc_AssertionError,
			     "message length %u, read %d bytes",
			     le32toh(h->len), n);
	else
		ret = Py_BuildValue("HHKIy#", le16toh(h->opcode),
				    le16toh(h->flags),
				    (unsigned long long)le64toh(h->id),
				    le32toh(h->error), (const char *)(h + 1),
				    (Py_ssize_t)(n - (int)sizeof(*h)));
	PyMem_RawFree(buf);
	return ret;
}

/* nothing(timeout_ms) -> bool: no message arrives in time */
static PyObject *fkobj_nothing(FakeKernel *self, PyObject *args)
{
	int timeout;
	bool r;

	if (!PyArg_ParseTuple(args, "i", &timeout) || !check_open(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	r = fk_nothing(&self->fk, timeout);
	Py_END_ALLOW_THREADS
	return PyBool_FromLong(r);
}

/* expect(op, id, error, payload=b""): the next message, byte for byte, or
 * AssertionError (fake-kernel.c prints both hexdumps to stderr) */
static PyObject *fkobj_expect(FakeKernel *self, PyObject *args)
{
	unsigned short op;
	unsigned long long id;
	unsigned int error;
	Py_buffer p = { 0 };
	int before = test_failures;

	if (!PyArg_ParseTuple(args, "HKI|y*", &op, &id, &error, &p))
		return NULL;
	if (!check_open(self)) {
		PyBuffer_Release(&p);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	fk_expect(&self->fk, op, id, error, p.buf, (size_t)p.len);
	Py_END_ALLOW_THREADS
	PyBuffer_Release(&p);
	if (test_failures != before) {
		PyErr_Format(PyExc_AssertionError,
			     "unexpected message instead of op %u id %llu error %u "
			     "(hexdumps on stderr)", op, id, error);
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *fkobj_close(FakeKernel *self, PyObject *Py_UNUSED(ignored))
{
	fkobj_close_all(self);
	Py_RETURN_NONE;
}

static PyObject *fkobj_get_kfd(FakeKernel *self, void *Py_UNUSED(closure))
{
	return PyLong_FromLong(self->open ? self->fk.kfd : -1);
}

static PyMethodDef fkobj_methods[] = {
	{ "take_server_fd", (PyCFunction)fkobj_take_server_fd, METH_NOARGS, NULL },
	{ "send_ready", (PyCFunction)fkobj_send_ready, METH_VARARGS, NULL },
	{ "send", (PyCFunction)fkobj_send, METH_VARARGS, NULL },
	{ "send_raw", (PyCFunction)fkobj_send_raw, METH_VARARGS, NULL },
	{ "recv", (PyCFunction)fkobj_recv, METH_VARARGS, NULL },
	{ "nothing", (PyCFunction)fkobj_nothing, METH_VARARGS, NULL },
	{ "expect", (PyCFunction)fkobj_expect, METH_VARARGS, NULL },
	{ "close", (PyCFunction)fkobj_close, METH_NOARGS, NULL },
	{ }
};

static PyGetSetDef fkobj_getset[] = {
	{ "kfd", (getter)fkobj_get_kfd, NULL, "the kernel end", NULL },
	{ }
};

static PyTypeObject fkobj_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_guse_fake_kernel.FakeKernel",
	.tp_basicsize = sizeof(FakeKernel),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)fkobj_init,
	.tp_dealloc = (destructor)fkobj_dealloc,
	.tp_methods = fkobj_methods,
	.tp_getset = fkobj_getset,
};

/* Payload builders of fake-kernel.c. */

static PyObject *mod_line(PyObject *Py_UNUSED(m), PyObject *args)
{
	struct guse_line l;
	unsigned int n;

	if (!PyArg_ParseTuple(args, "I", &n))
		return NULL;
	l = pl_line(n);
	return PyBytes_FromStringAndSize((const char *)&l, sizeof(l));
}

static PyObject *mod_consumer(PyObject *Py_UNUSED(m), PyObject *args)
{
	struct guse_line_consumer c;
	const char *name;
	unsigned int n;

	if (!PyArg_ParseTuple(args, "Is", &n, &name))
		return NULL;
	c = pl_consumer(n, name);
	return PyBytes_FromStringAndSize((const char *)&c, sizeof(c));
}

static int words_arg(PyObject *seq, uint64_t *w, unsigned int nw)
{
	PyObject *fast = PySequence_Fast(seq, "a sequence of words");
	unsigned int i;

	if (!fast)
		return -1;
	if (PySequence_Fast_GET_SIZE(fast) != nw) {
		Py_DECREF(fast);
		PyErr_SetString(PyExc_ValueError, "wrong number of words");
		return -1;
	}
	for (i = 0; i < nw; i++) {
		w[i] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(fast, i));
		if (PyErr_Occurred()) {
			Py_DECREF(fast);
			return -1;
		}
	}
	Py_DECREF(fast);
	return 0;
}

/* bitmap(num_words, a, b=None) -> bytes */
static PyObject *mod_bitmap(PyObject *Py_UNUSED(m), PyObject *args)
{
	uint64_t a[16], b[16];
	uint8_t buf[8 + 2 * 16 * 8];
	PyObject *ao, *bo = Py_None;
	unsigned int nw;
	size_t n;

	if (!PyArg_ParseTuple(args, "IO|O", &nw, &ao, &bo))
		return NULL;
	if (nw < 1 || nw > 16) {
		PyErr_SetString(PyExc_ValueError, "1 to 16 words");
		return NULL;
	}
	if (words_arg(ao, a, nw) < 0 || (bo != Py_None && words_arg(bo, b, nw) < 0))
		return NULL;
	n = pl_bitmap(buf, nw, a, bo != Py_None ? b : NULL);
	return PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)n);
}

static PyMethodDef module_methods[] = {
	{ "line", mod_line, METH_VARARGS, "struct guse_line" },
	{ "consumer", mod_consumer, METH_VARARGS, "struct guse_line_consumer" },
	{ "bitmap", mod_bitmap, METH_VARARGS, "struct guse_bitmap (+ words)" },
	{ }
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "_guse_fake_kernel",
	.m_doc = "libguse's fake kernel for the host tests of the bindings.",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__guse_fake_kernel(void)
{
	PyObject *mod;

	if (PyType_Ready(&fkobj_type) < 0)
		return NULL;
	mod = PyModule_Create(&module_def);
	if (!mod)
		return NULL;
	if (PyModule_AddType(mod, &fkobj_type) < 0 ||
	    PyModule_AddIntConstant(mod, "VERSION", GUSE_VERSION) < 0) {
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}
