"""Row pieces shared with forked children (``runtime.forks``): every row done once, in place,
extras in piece order, and a failure in any process raised in the caller."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pytest

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime import forks
from explicate.runtime.forks import SERIAL, Phases, pieces, release_heap, run_forked
from explicate.runtime.tokens import fork_context

pytestmark = pytest.mark.skipif(fork_context() is None, reason="no fork start method on this OS")


@pytest.mark.parametrize(("n", "jobs", "least", "most"),
                         [(100_000, 2, 5_000, 50_000), (20_000, 3, 5_000, 50_000), (7, 2, 1, 3),
                          (1, 4, 5, 5), (0, 2, 1, 1), (1_000, 2, 5_000, 7)])
def test_pieces_cover_the_rows_once_and_shrink(n: int, jobs: int, least: int, most: int) -> None:
    got = pieces(n, jobs, least, most)
    assert [lo for lo, _ in got] == ([0] + [hi for _, hi in got[:-1]] if n else [])
    assert (got[-1][1] if got else 0) == n
    sizes = [hi - lo for lo, hi in got]
    assert all(0 < s <= most for s in sizes)
    assert all(s >= min(least, most) for s in sizes[:-1])
    assert sizes == sorted(sizes, reverse=True) or sizes[:-1] == sorted(sizes[:-1], reverse=True)


@pytest.mark.parametrize(("n", "first"), [(10_000, 200), (150, 200), (0, 5), (1_000, 0)])
def test_a_first_piece_then_the_rest_as_if_the_rows_began_after_it(n: int, first: int) -> None:
    got = pieces(n, 2, 100, 1_000, first=first)
    head = min(first, n)
    if head:
        assert got[0] == (0, head)
        got = got[1:]
    assert got == [(lo + head, hi + head) for lo, hi in pieces(n - head, 2, 100, 1_000)]


def _square(lo: int, hi: int) -> tuple[np.ndarray, list[int]]:
    rows = np.arange(lo, hi, dtype=np.int64)
    return np.stack([rows, rows * rows], axis=1), [os.getpid(), lo]


@pytest.mark.parametrize("jobs", [2, 3])
def test_every_piece_lands_at_its_rows_with_its_extra(jobs: int) -> None:
    n = 10_000
    bounds = pieces(n, jobs, 100, 1_000)
    seen: list[int] = []
    out, extras = run_forked(_square, bounds, (n, 2), np.int64, -1, jobs, seen.append)
    rows = np.arange(n)
    assert np.array_equal(out, np.stack([rows, rows * rows], axis=1))
    assert [lo for _pid, lo in extras] == [lo for lo, _ in bounds]
    assert sum(seen) == n
    assert len({pid for pid, _lo in extras}) >= 1
    out[0, 0] = 99  # a private array
    assert out[0, 0] == 99


_WARMED: list[int] = []


def _square_warming(lo: int, hi: int) -> tuple[np.ndarray, list[int]]:
    """``_square``, and what this process has done so far (what a child inherits)."""
    _WARMED.append(lo)
    time.sleep(0.005)  # slow enough that the child takes pieces too
    part, extra = _square(lo, hi)
    return part, [*extra, len(_WARMED)]


def test_the_first_piece_alone_is_done_here_before_the_fork() -> None:
    """``first_alone``: this process does piece 0 before forking, so a child's first piece
    already sees it done (a child inherits the warmed state: its count starts at 2)."""
    _WARMED.clear()
    n = 10_000
    bounds = pieces(n, 2, 100, 1_000, first=200)
    out, extras = run_forked(_square_warming, bounds, (n, 2), np.int64, -1, 2,
                             first_alone=True)
    rows = np.arange(n)
    assert np.array_equal(out, np.stack([rows, rows * rows], axis=1))
    assert extras[0] == [os.getpid(), 0, 1]
    children = [e for e in extras if e[0] != os.getpid()]
    assert children and all(done >= 2 for _pid, _lo, done in children)
    _WARMED.clear()


def test_rows_no_piece_covers_keep_the_fill() -> None:
    out, _ = run_forked(_square, [(0, 3)], (5, 2), np.int64, -7, 2)
    assert out[3:].tolist() == [[-7, -7], [-7, -7]]


def _fails_at(bad: int, how: str) -> Callable[[int, int], tuple[np.ndarray, None]]:
    def work(lo: int, hi: int) -> tuple[np.ndarray, None]:
        if lo <= bad < hi:
            if how == "value":
                raise ValueError(f"row {bad}")
            if how == "user":
                raise ExplicateError([Diagnostic("E605", f"row {bad} is wrong")])
            os._exit(3)  # a worker that dies without a word
        return np.zeros((hi - lo, 1), np.int8), None
    return work


@pytest.mark.parametrize("bad", [0, 5_500, 9_999])
def test_an_exception_in_any_process_is_raised_here(bad: int) -> None:
    bounds = pieces(10_000, 2, 500, 500)
    with pytest.raises(ValueError, match=f"row {bad}"):
        run_forked(_fails_at(bad, "value"), bounds, (10_000, 1), np.int8, 0, 2)
    with pytest.raises(ExplicateError, match=f"row {bad} is wrong") as info:
        run_forked(_fails_at(bad, "user"), bounds, (10_000, 1), np.int8, 0, 2)
    assert info.value.diagnostics[0].code == "E605"


def test_a_worker_that_dies_is_reported() -> None:
    # Only a child may die (here it would end the test run): every piece it claims ends it.
    parent = os.getpid()

    def work(lo: int, hi: int) -> tuple[np.ndarray, None]:
        if os.getpid() != parent:
            os._exit(3)
        time.sleep(0.05)  # leaves the child time to claim a piece
        return np.zeros((hi - lo, 1), np.int8), None

    with pytest.raises(RuntimeError, match="ended with status"):
        run_forked(work, [(i, i + 1) for i in range(20)], (20, 1), np.int8, 0, 2)


def test_phases_split_this_process_and_each_child() -> None:
    """``phases``: this process's time by phase (pieces among them) and a child's pieces, sent
    back with its extras; the work's own CPU shows up in the pieces."""
    def busy(lo: int, hi: int) -> tuple[np.ndarray, None]:
        t = time.process_time()
        while time.process_time() - t < 0.004:  # CPU, not sleep: it must be counted
            pass
        return np.zeros((hi - lo, 1), np.int8), None

    phases = Phases()
    bounds = pieces(4_000, 2, 100, 100, first=100)
    run_forked(busy, bounds, (4_000, 1), np.int8, 0, 2, first_alone=True, phases=phases)
    split = phases.split
    assert {"warm piece", "fork", "pieces", "collecting", "copy of L"} <= set(split)
    assert split["warm piece"][1] >= 0.003  # one piece's CPU
    assert all(wall >= 0 and faults >= 0 for wall, _cpu, faults in split.values())
    assert len(phases.children) == 1
    assert ("heap" in phases.children[0].split) == forks.TRIM_CHILD  # before its first piece
    child = phases.children[0].split["pieces"]
    ran = split["pieces"][1] + child[1] + split["warm piece"][1]
    assert ran >= 0.004 * len(bounds) * 0.9  # every piece's CPU, here or in the child
    # On idle cores: the serial part, then the pieces shared by the two processes.
    serial = sum(split.get(name, [0.0, 0.0, 0.0])[1] for name in SERIAL)
    assert serial <= phases.idle_wall() < serial + ran + 0.01
    assert phases.idle_wall() < sum(cpu for _w, cpu, _f in split.values()) + child[1]
    assert phases.rows + phases.children[0].rows == 4_000  # every row, by who did it
    assert phases.rows >= 100  # the warm piece at least


def _anon_kib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("RssAnon:"))


@pytest.mark.skipif(forks._libc() is None or not os.path.exists("/proc/self/status"),
                    reason="needs glibc's malloc_trim and /proc")
def test_release_heap_gives_the_free_heap_pages_back() -> None:
    """What a child does first (``release_heap``): the free memory inside the C heap (here 64
    MiB of 64 KiB blocks freed around live ones, so none of it is at the heap's top, where
    ``free`` would give it back anyway) leaves this process's resident set."""
    blocks = [bytearray(b"x" * (64 << 10)) for _ in range(1024)]
    kept = blocks[::8]
    del blocks
    before = _anon_kib()
    release_heap()
    assert before - _anon_kib() > 32 << 10  # KiB: most of the 56 MiB freed
    assert all(b[0] == ord("x") for b in kept)  # the live blocks are untouched
