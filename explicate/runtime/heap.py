"""How this process's C heap hands out and gives back memory while rules are applied.

Applying rules allocates and frees the same few-megabyte arrays batch after batch (token ids,
offsets, masks, one vote column per LF). glibc serves an allocation above its mmap threshold
(128 kB at first, raised as such blocks are freed, at most 32 MB) with a fresh mapping and
unmaps it on free, and trims the top of the heap when more than its trim threshold is free: so
each batch's arrays fault their pages in again, one minor fault (~3 us on this VM) per 4 kB.
Measured (200k rows in 8 shards, serial, warm): 89.7k minor faults and 1.49 s CPU as glibc
ships, 16.6k and 1.23 s with the thresholds below (threads 56k -> 32k faults).

``tune_heap`` sets them once per process, where rules are applied (``apply_program``, the
partitioned engines), not at import: a program that imports explicate for something else keeps
its own malloc settings. It only ever raises what glibc would use, and ``EXPLICATE_MALLOC=off``
(or ``0``) leaves glibc's settings alone. Not glibc (macOS, musl): nothing is done.

The cost: memory freed after a big batch stays in the heap (up to ``TRIM_BYTES``) instead of
going back to the kernel; the next batch reuses it. A forked ``--jobs`` child gives its copy of
the free heap back before its first piece either way (``forks.release_heap``: ``malloc_trim``
ignores the trim threshold).

``huge_heap`` (Linux): the heap in 2 MB pages where the kernel allows them on request
(``transparent_hugepage`` ``madvise`` or ``always``): at least ``HUGE_BYTES`` of free address
space kept at the heap's top and the whole heap marked ``MADV_HUGEPAGE``, so a batch's arrays
fault in one 2 MB page at a time instead of 512 small ones, and after a ``--jobs`` fork this
process takes a huge page back with one fault once the child has let go of it. Called by
``apply_program`` before it works and by a forked child after ``release_heap`` (whose trim
gave the heap's top back: growth after that is a new mapping, not marked).
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from typing import Any

MMAP_BYTES = 32 * 1024 * 1024
"""``M_MMAP_THRESHOLD``: blocks below this come from the heap, so a freed batch's arrays are
reused by the next batch instead of unmapped (32 MB: glibc's own ceiling on 64-bit)."""

TRIM_BYTES = 1024 * 1024 * 1024
"""``M_TRIM_THRESHOLD``: free memory at the top of the heap kept for reuse, up to this."""

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h> parameter numbers
_M_MMAP_THRESHOLD = -3

_lock = threading.Lock()
_state: dict[str, bool] = {}


def _mallopt() -> Any:
    """glibc's ``mallopt``, or None where there is none (another libc, another OS)."""
    try:
        fn = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def enabled() -> bool:
    """Whether ``tune_heap`` may change malloc's settings (``EXPLICATE_MALLOC`` not off)."""
    return os.environ.get("EXPLICATE_MALLOC", "").strip().lower() not in ("off", "0", "no",
                                                                          "false")


def tune_heap() -> bool:
    """Set the heap thresholds above, once per process (later calls do nothing); True when
    they are set (now or before), False when switched off or not glibc."""
    with _lock:
        if "done" in _state:
            return _state["done"]
        ok = False
        if enabled():
            fn = _mallopt()
            if fn is not None:
                # mallopt returns 1 on success; both or the first alone still help.
                ok = bool(fn(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(
                    fn(_M_TRIM_THRESHOLD, TRIM_BYTES))
        _state["done"] = ok
        return ok


HUGE = True
"""``huge_heap`` marks the heap for 2 MB pages (False: it does nothing; a switch for benchmarks)."""

HUGE_BYTES = 64 * 1024 * 1024
"""Free address space ``huge_heap`` keeps at the heap's top, marked for huge pages with the rest:
more than a 10k-row batch's arrays (~24 MB at 100k documents). Address space only: a page
costs memory once written."""

_MADV_HUGEPAGE = 14  # <sys/mman.h>
_BLOCK = 16 * 1024 * 1024  # below MMAP_BYTES: malloc serves it from the heap


@functools.cache
def _libc() -> Any:
    """glibc's ``malloc``, ``free``, ``sbrk`` and ``madvise``, or None where they are not."""
    try:
        libc = ctypes.CDLL(None)
        fns = (libc.malloc, libc.free, libc.sbrk, libc.madvise)
    except (OSError, AttributeError):
        return None
    fns[0].restype, fns[0].argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    fns[1].restype, fns[1].argtypes = None, [ctypes.c_void_p]
    fns[2].restype, fns[2].argtypes = ctypes.c_void_p, [ctypes.c_ssize_t]
    fns[3].restype = ctypes.c_int
    fns[3].argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return libc


def _heap_start() -> int | None:
    """Where this process's heap (``[heap]`` in ``/proc/self/maps``) begins, or None."""
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                if line.rstrip().endswith("[heap]"):
                    return int(line.split("-", 1)[0], 16)
    except OSError:
        pass
    return None


def huge_heap() -> bool:
    """Keep ``HUGE_BYTES`` of free space at the heap's top and mark the heap, from its start to
    the break, for huge pages (see the module's docstring); True when marked. Only with the
    thresholds set (``tune_heap``), so the space stays in the heap when freed."""
    if not HUGE or not _state.get("done"):
        return False
    libc = _libc()
    start = _heap_start()
    if libc is None or start is None:
        return False
    # Blocks taken from the top and given back at once: the break moves up, nothing is
    # written but their headers, and the trim threshold keeps the space in the heap.
    blocks = [libc.malloc(_BLOCK) for _ in range(HUGE_BYTES // _BLOCK)]
    end = int(libc.sbrk(0))
    for block in reversed(blocks):
        libc.free(block)
    return end > start and libc.madvise(start, end - start, _MADV_HUGEPAGE) == 0
