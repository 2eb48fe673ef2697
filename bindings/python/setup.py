# SPDX-License-Identifier: LGPL-2.1-or-later
"""setuptools build of the guse Python bindings (pip install bindings/python).

The top-level build (./configure; make; make install) builds and installs
the same package with automake; this file is for pip:

    pip install --no-build-isolation bindings/python

libguse comes from pkg-config (an installed libguse) or, in a guse source
tree without one, is compiled into the extension from ../../lib (so the
installed module needs nothing else).  GUSE_LIBGUSE=system or =vendored
chooses.  Nothing is downloaded.
"""

import glob
import os
import shlex
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.normpath(os.path.join(here, "..", ".."))

with open(os.path.join(here, "guse", "version.py")) as f:
    version_ns: dict = {}
    exec(f.read(), version_ns)
version = version_ns["__version__"]

# the project's warning flags: the extension builds with -Werror
cflags = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-pthread"]


def pkg_config(*args):
    try:
        out = subprocess.run(
            ["pkg-config", *args, "libguse"], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


def libguse():
    """(sources, include_dirs, libraries, library_dirs, macros, extra flags)."""
    choice = os.environ.get("GUSE_LIBGUSE", "")
    in_tree = os.path.exists(os.path.join(top, "lib", "guse.h"))
    system = pkg_config("--cflags", "--libs") if choice != "vendored" else None
    if system is not None and choice != "vendored":
        incs = [a[2:] for a in system if a.startswith("-I")]
        libdirs = [a[2:] for a in system if a.startswith("-L")]
        libs = [a[2:] for a in system if a.startswith("-l")]
        return [], incs, libs, libdirs, [], []
    if choice == "system":
        raise SystemExit("GUSE_LIBGUSE=system: pkg-config finds no libguse")
    if not in_tree:
        raise SystemExit("libguse not found: install it (pkg-config libguse) or build from a guse tree")
    # absolute paths: setuptools places the objects under build/ by them
    srcs = sorted(glob.glob(os.path.join(top, "lib", "*.c")))
    macros = [("_GNU_SOURCE", "1"), ("PACKAGE_VERSION", f'"{version}"'), ("GUSE_API", "")]
    incs = [os.path.join(top, "lib"), os.path.join(top, "include", "uapi")]
    return srcs, incs, [], [], macros, []


srcs, incs, libs, libdirs, macros, extra = libguse()

ext = Extension(
    "guse._ext",
    sources=sorted(glob.glob(os.path.join("guse", "ext", "*.c"))) + srcs,
    depends=glob.glob(os.path.join("guse", "ext", "*.h")),
    include_dirs=incs,
    libraries=libs,
    library_dirs=libdirs,
    define_macros=macros,
    extra_compile_args=cflags + extra,
    extra_link_args=["-pthread"],
)

with open(os.path.join(here, "README.md")) as f:
    long_description = f.read()

setup(
    name="guse",
    version=version,
    description="GPIO chips implemented in userspace: Python bindings and pytest plugin",
    long_description=long_description,
    long_description_content_type="text/markdown",
    license="LGPL-2.1-or-later",
    platforms=["linux"],
    python_requires=">=3.9",
    packages=["guse"],
    package_data={"guse": ["py.typed", "_ext.pyi"]},
    ext_modules=[ext],
    entry_points={"pytest11": ["guse = guse.pytest_plugin"]},
    classifiers=[
        "Framework :: Pytest",
        "Operating System :: POSIX :: Linux",
        "Topic :: System :: Hardware",
        "Topic :: Software Development :: Testing",
    ],
)
