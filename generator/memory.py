"""Giving freed memory back to the system, where the C library allows it.

A build's peak memory is what its processes hold at one moment. A worker that laid out
a long document (the contents of a catalogue, an index) and the main process once it has
closed the booklet's parts hold heaps of freed memory that glibc keeps for later:
`malloc_trim` returns the free pages of the heap. Costs a millisecond or two; does
nothing where it is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.lru_cache(maxsize=1)
def _trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim)."""
    trim = _trim()
    if trim is not None:
        trim(0)
