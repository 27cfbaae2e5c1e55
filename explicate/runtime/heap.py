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
"""

from __future__ import annotations

import ctypes
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
