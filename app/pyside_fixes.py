"""Works around a PySide6 6.12.0 reference-count bug in `SignalInstance.emit`.

`emit()` returns `True` without taking a reference, so every emit of a Python-defined signal
costs `True` one reference; after a few hundred emits (a play loop does 50 a second) CPython
aborts with "Fatal Python error: bool_dealloc". `install()` measures whether the running PySide6
has the bug and, only then, wraps `emit` to give the reference back. Importing any app module
that defines signals installs it (idempotent).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

log = logging.getLogger(__name__)

_PROBES = 8
_installed = False


class _Probe(QObject):
    ping = Signal()


def emit_drops_a_reference() -> bool:
    """Whether `SignalInstance.emit` as installed now loses a reference to its result."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    return sys.getrefcount(True) - before <= -_PROBES


def install() -> None:
    """Patch `SignalInstance.emit` when this PySide6 has the bug; a no-op otherwise."""
    global _installed
    if _installed:
        return
    _installed = True
    if not emit_drops_a_reference():
        return
    original = SignalInstance.emit
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if result is True or result is False:
            incref(result)
        return result

    SignalInstance.emit = emit
    log.info("patched PySide6 SignalInstance.emit (reference-count bug)")
