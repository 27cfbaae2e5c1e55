"""Row pieces shared between this process and forked children, writing into shared memory.

What ``apply_program(jobs=N)`` runs on: the rows are cut into pieces; this process and N - 1
forked children take the next unclaimed piece from a shared counter until none is left (so a
child that starts late or a core busy with other work gets fewer pieces, not the same share);
each piece's array is written straight into an anonymous shared mapping at its rows (nothing
big is pickled), and only the small extras (row problems) come back through a pipe, once per
child. Measured on 2 cores at 100k documents: a ``ProcessPoolExecutor`` spent ~30 ms before its
workers started and another ~20 ms joining them, and its workers' half of the rows ran no faster
than this process's whole (copy-on-write faults in a fresh process, waiting on each other);
the parent working too and dynamic claiming are what brings two processes near 2x.

Children are forked (they inherit the data, the compiled program and spaCy's state), leave the
parent's objects alone (``gc.freeze`` first, so their collections never touch those pages),
give back their copy of the parent's free heap memory before their first piece
(``release_heap``: the parent's first writes there then take their pages back instead of
copying them) and end with ``os._exit`` (no interpreter teardown writing to every inherited
object).

What two processes cost beyond the work (measured at 100k rows, ``Phases`` per phase): the fork
itself (8-25 ms in this process, by how much anonymous memory it holds: about half of it is
torch, which spaCy's thinc imports when installed), and in each process the first piece after
the fork, which faults in its working set page by page (copy on write: about 6k pages for a
10k-row piece, 4k for 5k rows, 13k for 25k rows; later pieces reuse those pages). So pieces are
kept near 10k rows: smaller ones add a few milliseconds of fixed work each.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import mmap
import os
import pickle
import resource
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.tokens import fork_context

T = TypeVar("T")

Work = Callable[[int, int], tuple[np.ndarray, T]]
"""What is done to rows ``[lo, hi)``: their block of the output and a small picklable extra."""


SERIAL = ("inputs", "shared L", "warm piece", "gc.freeze", "fork")
"""The phases of ``run_forked`` (and ``apply_program``) before the children start working."""


class Phases:
    """Where a process's time goes, by named phase: wall seconds, CPU seconds and minor page
    faults (``getrusage``) between one ``mark`` and the next, summed per name; ``rows``: the
    rows this process did. ``children`` holds the forked children's own ``Phases`` (sent back
    with their extras)."""

    def __init__(self) -> None:
        self.split: dict[str, list[float]] = {}
        self.rows = 0
        self.children: list[Phases] = []
        self._last = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), ru.ru_utime + ru.ru_stime, float(ru.ru_minflt)

    def start(self) -> None:
        """From now on (what came before is no phase)."""
        self._last = self._now()

    def mark(self, name: str, rows: int = 0) -> None:
        """What was spent since the last mark goes to ``name`` (and ``rows`` were done)."""
        self.rows += rows
        now = self._now()
        got = self.split.setdefault(name, [0.0, 0.0, 0.0])
        for k in range(3):
            got[k] += now[k] - self._last[k]
        self._last = now

    def idle_wall(self) -> float:
        """The wall seconds the run would take on idle cores, from CPU seconds alone: what this
        process did before the children could start (``SERIAL``), then every process's pieces
        shared evenly among them, then what it did after. For a loaded machine, where the wall
        seconds say more about the other work than about this one (an estimate: it leaves out
        the last piece's imbalance and counts CPU seconds as the load inflates them)."""
        cpu = {name: got[1] for name, got in self.split.items()}
        # A child's every phase (its pieces, and the heap it gives back before them) runs
        # beside this process's pieces.
        pieces = cpu.pop("pieces", 0.0) + sum(got[1] for c in self.children
                                              for got in c.split.values())
        before = sum(cpu.pop(name, 0.0) for name in SERIAL)
        return before + pieces / (1 + len(self.children)) + sum(cpu.values())


TRIM_CHILD = True
"""A forked child first gives back the free pages of its C heap (``release_heap``)."""


@functools.cache
def _libc() -> Any:
    """glibc's ``malloc_trim``, or None where it is not there (another libc, another OS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_heap() -> None:
    """Give the free pages of this process's C heap back to the kernel (``malloc_trim``; no-op
    without glibc). Why a child does it first: after a fork every page of the parent's heap is
    shared, free ones included, and the pieces in both processes allocate their arrays from
    that free memory, so each process's first write to each such page faults. While both hold a
    page that fault copies it (~3 us a page measured here, ~6k pages a process at 100k rows);
    once the child has let go of its copy, the parent's fault only takes the page back (~1.2
    us), and the child's own fault is a fresh zeroed page (~2.8 us) either way. Measured
    (the parent's 50k rows after a fork, the child holding its pages, 15 runs): 135 ms with no
    child, 158 ms, 152 ms after the child's ``malloc_trim``."""
    trim = _libc()
    if trim is not None:
        trim(0)


def mark(phases: Phases | None, name: str, rows: int = 0) -> None:
    """``phases.mark(name, rows)`` when phases are being recorded."""
    if phases is not None:
        phases.mark(name, rows)


def pieces(n: int, jobs: int, least: int, most: int, first: int = 0) -> list[tuple[int, int]]:
    """Row ranges for ``jobs`` processes, shrinking as the rows run out (each a ``2 * jobs``-th
    of the rows left, at least ``least`` and at most ``most`` rows, ``most`` winning; the last
    may be shorter): big pieces first keep the per-batch costs few, small ones last let the
    processes end together. ``first`` > 0: the first piece is rows ``[0, first)`` (at most
    ``n``; what ``run_forked(first_alone=True)`` does before forking), the rest as above."""
    out: list[tuple[int, int]] = [(0, min(first, n))] if first > 0 and n else []
    lo = out[0][1] if out else 0
    while lo < n:
        size = max(1, min(most, max(least, -(-(n - lo) // (2 * jobs)))))
        out.append((lo, min(lo + size, n)))
        lo += size
    return out


def run_forked(work: Work[T], bounds: Sequence[tuple[int, int]], shape: tuple[int, int],
               dtype: npt.DTypeLike, fill: int, jobs: int,
               done: Callable[[int], None] | None = None, first_alone: bool = False,
               phases: Phases | None = None) -> tuple[np.ndarray, list[T]]:
    """``work`` over every piece in ``bounds`` (row ranges of the output, in order) by this
    process and ``jobs - 1`` forked children: the output array (``shape``, ``dtype``, rows no
    piece covers left at ``fill``; a private copy, not the shared mapping) and the extras in
    piece order. ``done(rows)`` is called as rows are finished (this process's pieces at once,
    a child's when it ends). An exception in a piece is raised here (the first, by piece).
    ``first_alone``: this process does the first piece before it forks, so the children inherit
    what the work warmed (the tokenizer's cache of the common words) instead of each learning
    it again. ``phases``: where this process's time went is marked there (and each child's, in
    ``phases.children``)."""
    ctx = fork_context()
    assert ctx is not None, "run_forked needs the fork start method"
    _libc()  # looked up here, once, so the children need not
    size = max(1, int(np.prod(shape)) * np.dtype(dtype).itemsize)
    area = mmap.mmap(-1, size)  # anonymous and MAP_SHARED: the children's writes land here
    out = np.frombuffer(area, dtype=dtype, count=int(np.prod(shape))).reshape(shape)
    # Not filled here: every piece writes its rows (its pages fault in whichever process does
    # it, in parallel); the rows no piece covers are filled at the end.
    claimed = ctx.RawValue("q", 0)
    lock = ctx.Lock()
    mark(phases, "shared L")

    def claim() -> int:
        with lock:
            i = int(claimed.value)
            claimed.value = i + 1
        return i

    def loop(report: Callable[[int], None] | None, once: bool = False,
             timer: Phases | None = None) -> list[tuple[int, Any]]:
        mine: list[tuple[int, Any]] = []
        while (i := claim()) < len(bounds):
            lo, hi = bounds[i]
            try:
                part, extra = work(lo, hi)
                out[lo:hi] = part
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, by piece
                with lock:
                    claimed.value = len(bounds)  # nobody starts another piece
                mine.append((i, _Failure.of(exc)))
                break
            mine.append((i, extra))
            mark(timer, "pieces", hi - lo)
            if report is not None:
                report(hi - lo)
            if once:
                break
        return mine

    children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    extras: dict[int, Any] = {}
    if first_alone:
        extras.update(loop(done, once=True))
        mark(phases, "warm piece", sum(bounds[i][1] - bounds[i][0] for i in extras))
    gc.freeze()  # the children's collections then leave the parent's objects (and pages) alone
    mark(phases, "gc.freeze")
    try:
        for _ in range(jobs - 1):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: its pieces, its extras through the pipe, then gone
                status = 0
                try:
                    os.close(r)
                    timer = None if phases is None else Phases()
                    if TRIM_CHILD:
                        release_heap()
                        mark(timer, "heap")
                    got = loop(None, timer=timer)
                    payload = _dumps(got, timer)
                    with os.fdopen(w, "wb") as sink:
                        sink.write(payload)
                except BaseException:  # noqa: BLE001 - a child never returns into the caller
                    status = 1
                finally:
                    os._exit(status)
            os.close(w)
            children.append((pid, r))
        mark(phases, "fork")
        extras.update(loop(done, timer=phases))
        for pid, r in children:
            with os.fdopen(r, "rb") as fh:
                data = fh.read()
            mark(phases, "waiting")
            if not data:
                _, status = os.waitpid(pid, 0)
                extras[-1 - pid] = _Failure(f"a worker process (pid {pid}) ended with status "
                                            f"{status} before reporting")
                continue
            # Its report is in; its exit (unmapping a copy of this process: ~10 ms at 450 MB)
            # need not be waited for here. A thread reaps it.
            threading.Thread(target=os.waitpid, args=(pid, 0), daemon=True).start()
            got, child = pickle.loads(data)
            if phases is not None and child is not None:
                phases.children.append(child)
            for i, extra in got:
                extras[i] = extra
            if done is not None:
                done(sum(bounds[i][1] - bounds[i][0] for i, e in got
                         if not isinstance(e, _Failure)))
            mark(phases, "collecting")
        children.clear()
    finally:
        for pid, r in children:  # only when this process's own pieces raised
            try:
                os.close(r)
                os.waitpid(pid, 0)
            except OSError:
                pass
        gc.unfreeze()
        mark(phases, "gc.unfreeze")
    failures = sorted((i, e) for i, e in extras.items() if isinstance(e, _Failure))
    if failures:
        failures[0][1].reraise()
    missing = [i for i in range(len(bounds)) if i not in extras]
    if missing:
        raise RuntimeError(f"pieces {missing} of the rows were not done by any process")
    # A private copy: a later fork must not share the caller's array (the mapping goes with
    # the last view of it).
    copy = out.copy()
    covered = np.zeros(shape[0], dtype=bool)
    for lo, hi in bounds:
        covered[lo:hi] = True
    copy[~covered] = fill
    mark(phases, "copy of L")
    return copy, [extras[i] for i in range(len(bounds))]


class _Failure:
    """An exception in a piece, carried across the pipe: the exception itself when it pickles
    (and unpickles), else its text."""

    def __init__(self, text: str, exc: BaseException | None = None,
                 diagnostics: list[Diagnostic] | None = None) -> None:
        self.text = text
        self.exc = exc
        self.diagnostics = diagnostics
        self.kind: type[ExplicateError] = ExplicateError

    def __lt__(self, other: _Failure) -> bool:
        return False

    @classmethod
    def of(cls, exc: BaseException) -> _Failure:
        text = "".join(traceback.format_exception(exc))
        if isinstance(exc, ExplicateError):  # does not pickle; its diagnostics do
            failure = cls(text, None, list(exc.diagnostics))
            failure.kind = type(exc)
            return failure
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - any failure to round-trip means: send the text
            return cls(text)
        return cls(text, exc)

    def reraise(self) -> None:
        if self.diagnostics is not None:
            raise self.kind(self.diagnostics)
        if self.exc is not None:
            raise self.exc
        raise RuntimeError(f"a worker process failed:\n{self.text}")


def _dumps(extras: list[tuple[int, Any]], phases: Phases | None) -> bytes:
    """A child's report: its extras by piece and its phases (None when not recorded)."""
    try:
        return pickle.dumps((extras, phases), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an extra that does not pickle is a failure
        first = extras[0][0] if extras else 0
        return pickle.dumps(([(first, _Failure.of(exc))], phases),
                            protocol=pickle.HIGHEST_PROTOCOL)
