"""Guards against PySide6 6.12.0's reference-count bug on Python 3.10 and 3.11.

PySide6 6.12.0 (an abi3 wheel) returns `None` from every void method, and `True` from
`SignalInstance.emit`, without taking a reference, as if they were immortal; they are
immortal only from Python 3.12. On 3.11 each such call costs `None` (or `True`) one reference,
and after some tens of thousands of calls (a play loop makes hundreds a second) CPython aborts
with "Fatal Python error: none_dealloc" (or "bool_dealloc"). PySide6 6.11.3 does not have it.

`install()` measures whether the running PySide6 drops those references and, only then, gives
`None`, `True` and `False` a reference count so large that no session can exhaust it, which is
what Python 3.12 does for them. Importing any app module that uses Qt installs it (idempotent).
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

_PROBES = 8
# 2**40 references: at a million dropped references a second, twelve days of running.
_BOOST = 1 << 40
_installed = False


class _Probe(QObject):
    ping = Signal()


def drops_references() -> bool:
    """Whether void Qt calls or signal emits here lose a reference to None or True."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
        probe.ping.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    return lost_none >= _PROBES or lost_true >= _PROBES


def install() -> None:
    """Make None, True and False effectively immortal when this PySide6 needs it."""
    global _installed
    if _installed:
        return
    _installed = True
    if sys.version_info >= (3, 12) or not drops_references():
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in CPython release builds.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BOOST
    log.warning("this PySide6 drops references to None/True; guarded (use PySide6 < 6.12 "
                "or Python 3.12+ to avoid it)")
