# SPDX-License-Identifier: LGPL-2.1-or-later
"""The version of the guse Python bindings (that of guse itself)."""

__version__ = "0.1.0"
