# SPDX-License-Identifier: LGPL-2.1-or-later
"""Enumerations; their values are libguse's (and so the protocol's)."""

from enum import IntEnum

from . import _ext

__all__ = ["Direction", "EventKind", "Param", "IrqType"]


class Direction(IntEnum):
    """Line direction, with the values of libgpiod v2's (``gpiod.line.Direction``)."""

    INPUT = _ext.DIRECTION_INPUT
    OUTPUT = _ext.DIRECTION_OUTPUT


class EventKind(IntEnum):
    """What a request (or a trace event) is; the values are the protocol opcodes."""

    REQUEST = _ext.REQUEST_REQUEST
    FREE = _ext.REQUEST_FREE
    CONSUMER = _ext.REQUEST_CONSUMER
    GET_DIRECTION = _ext.REQUEST_GET_DIRECTION
    DIRECTION_INPUT = _ext.REQUEST_DIRECTION_INPUT
    DIRECTION_OUTPUT = _ext.REQUEST_DIRECTION_OUTPUT
    GET_VALUES = _ext.REQUEST_GET_VALUES
    SET_VALUES = _ext.REQUEST_SET_VALUES
    SET_CONFIG = _ext.REQUEST_SET_CONFIG
    IRQ_CONFIG = _ext.REQUEST_IRQ_CONFIG


class Param(IntEnum):
    """A line configuration of ``on_set_config``."""

    BIAS_DISABLE = _ext.PARAM_BIAS_DISABLE
    BIAS_PULL_UP = _ext.PARAM_BIAS_PULL_UP
    BIAS_PULL_DOWN = _ext.PARAM_BIAS_PULL_DOWN
    DRIVE_PUSH_PULL = _ext.PARAM_DRIVE_PUSH_PULL
    DRIVE_OPEN_DRAIN = _ext.PARAM_DRIVE_OPEN_DRAIN
    DRIVE_OPEN_SOURCE = _ext.PARAM_DRIVE_OPEN_SOURCE
    #: The argument is the debounce period in microseconds (0: off).
    INPUT_DEBOUNCE = _ext.PARAM_INPUT_DEBOUNCE


class IrqType(IntEnum):
    """An interrupt trigger (the values of virtio-gpio's IRQ types)."""

    NONE = _ext.IRQ_NONE
    EDGE_RISING = _ext.IRQ_EDGE_RISING
    EDGE_FALLING = _ext.IRQ_EDGE_FALLING
    EDGE_BOTH = _ext.IRQ_EDGE_BOTH
    LEVEL_HIGH = _ext.IRQ_LEVEL_HIGH
    LEVEL_LOW = _ext.IRQ_LEVEL_LOW
