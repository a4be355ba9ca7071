"""Giving freed heap memory back to the system (glibc's `malloc_trim`).

Frames of about 100 kB (an Atari screen) are allocated from the heap, not mapped one by one;
once freed, glibc keeps their pages for later allocations, so a process that freed a gigabyte
of them still holds it. `give_back_freed_memory` returns every whole free page; elsewhere (macOS,
Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def give_back_freed_memory() -> None:
    """Return the free pages of the heap to the system, where the C library can (glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass  # another C library: nothing to trim this way
