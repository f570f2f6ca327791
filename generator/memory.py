"""Memory a build holds: given back to the system, and kept out of the garbage
collector's way.

A build's peak memory is what its processes hold at one moment. A worker that laid out
a long document (the contents of a catalogue, an index) and the main process once it has
closed the booklet's parts hold heaps of freed memory that glibc keeps for later:
`malloc_trim` returns the free pages of the heap. Costs a millisecond or two; does
nothing where it is not glibc.

Python's cyclic garbage collector, each time it runs through its oldest generation,
visits every object that can hold others: WeasyPrint's modules, fonts and parsed
stylesheet in a worker, the edition in the build's process. A layout or an assembly
allocates enough to set it off again and again. What lives as long as the process, or
the build, is left out of those passes (gc.freeze): it is never garbage meanwhile.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from contextlib import contextmanager


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


def settle() -> None:
    """Leave what this process holds now out of the collector's passes for good, once
    what is garbage already is collected: a worker, once WeasyPrint is loaded, and once
    its first render with a stylesheet has filled WeasyPrint's caches."""
    gc.collect()
    gc.freeze()


@contextmanager
def long_lived():
    """The objects alive as the block starts stay out of the collector's passes until it
    ends (the edition, during a build's renders): a process that builds again and again
    (the live preview) gets them back to collect."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
