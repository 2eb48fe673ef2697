# SPDX-License-Identifier: LGPL-2.1-or-later
"""pip installs the bindings from the tree, without network: the extension
with libguse compiled in, the package, py.typed and the pytest11 entry
point."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import bound

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOP = os.path.abspath(os.path.join(SRC, "..", ".."))


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ASAN_", "UBSAN_", "PYTHON", "PYTEST", "LD_PRELOAD", "GUSE_"))}
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.skipif(subprocess.run([sys.executable, "-m", "pip", "--version"],
                                   capture_output=True).returncode != 0,
                    reason="no pip (python3-pip)")
def test_pip_install_from_the_tree(tmp_path):
    # a copy: pip builds in the tree it is given
    top = tmp_path / "guse"
    shutil.copytree(os.path.join(TOP, "lib"), top / "lib",
                    ignore=shutil.ignore_patterns("*.o", "*.lo", ".libs", ".deps", "tests"))
    shutil.copytree(os.path.join(TOP, "include"), top / "include")
    shutil.copytree(SRC, top / "bindings" / "python", symlinks=True,
                    ignore=shutil.ignore_patterns("pylib", "build", ".libs", ".deps", "*.lo",
                                                  "*.la", "*.log", "*.trs", "Makefile*",
                                                  "*.egg-info", "__pycache__"))
    site = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
         "--no-index", "--target", str(site), str(top / "bindings" / "python")],
        capture_output=True, text=True, env=clean_env(), timeout=bound(300), cwd=str(tmp_path),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    env = clean_env()
    env["PYTHONPATH"] = str(site)
    check = (
        "import guse, guse._ext, importlib.metadata as m, os\n"
        "assert guse._ext.__file__.startswith(%r), guse._ext.__file__\n"
        "assert os.path.exists(os.path.join(os.path.dirname(guse.__file__), 'py.typed'))\n"
        "eps = [e.value for e in m.entry_points(group='pytest11') if e.name == 'guse']\n"
        "assert eps == ['guse.pytest_plugin'], eps\n"
        "print(guse.__version__, guse.libguse_version)\n" % str(site)
    )
    r = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                       env=env, cwd="/", timeout=bound(60))
    assert r.returncode == 0, r.stderr
    import guse
    assert r.stdout.split() == [guse.__version__, guse.libguse_version]
