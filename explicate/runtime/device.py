"""Where tensors live and how many threads work on them.

``device="auto"`` means CUDA when present, else the CPU.

Threads: torch's default (one OpenMP thread per core, spin-waiting between parallel regions)
is slow whenever the CPU is shared: each region wakes every thread, and on a loaded machine the
waiting threads spin instead of yielding (on a 2-core machine at load ~3.5 the label model spent
89% of its time in the barrier spin); on an idle machine, though, the cores make the same work
up to 2x faster. So the threads are chosen per region (:func:`thread_policy`, around a fit, a
prediction, an embedding batch) from the work and from how busy the machine is now:

- work below :data:`MIN_PARALLEL_WORK` elements runs on one thread (torch would not split it);
- else ``EXPLICATE_THREADS`` (or ``explicate --threads N``) where set: the user's choice wins;
- else the cores this process may run on (``os.sched_getaffinity``) that other work leaves
  free: :func:`busy_cores` is the other processes' CPU time on those cores, from
  ``/proc/stat`` less this process's own (``/proc/self/stat``), averaged since the previous
  reading when that was 0.2-5 s ago, else the run queue now (``/proc/loadavg``'s running count
  less this process's running threads); read at most once a second (about 50 us a reading).
  ``os.getloadavg()`` is not used: a 1-minute average lags a load that starts or stops;
- where ``/proc`` cannot be read (not Linux), one thread below :data:`SMALL_WORK`, else the
  cores.

OpenMP's wait policy is left at its default (a short spin, then sleep): with one thread per region
on a busy machine nothing spins for a core another process needs, and on idle cores the short
spin keeps back-to-back regions fast; ``OMP_WAIT_POLICY=PASSIVE`` (which the command line set
before) made them 1.1-1.3x slower on an idle machine. A user may still set it before torch loads.

Start-up: torch takes about 2 s and 200 MB to import, and spaCy's ``thinc.compat`` imports it
whenever it is installed. :func:`import_spacy` loads spaCy with torch hidden from thinc, so the
commands that only tokenize (``check``, ``apply``, ``summary``) never load torch; this module
itself imports torch only when a function here needs it.

Figures: ``benchmarks/threads.py``, ``benchmarks/startup.py``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

MIN_PARALLEL_WORK = 1 << 15
"""Elements (rows x columns) below which a region runs on one thread whatever the load: torch
splits an operation among threads only above 32,768 elements (``at::internal::GRAIN_SIZE``), so
below it more threads only wake up and wait."""

SMALL_WORK = 1 << 23
"""Where the load cannot be read (no ``/proc``): elements below which a region runs on one
thread (safe on a busy machine; up to 2x slower than the cores on an idle one)."""

FREE_SHARE = 0.6
"""A core counts as free for another thread when at least this share of it is idle. Threads
that share cores with other work wait for each other at every barrier: here, with one other
busy process on 2 cores, two threads (torch's defaults) made the label model's fit + predict
6.5x slower than one thread, though MiniLM's large products ran 1.8x faster
(``benchmarks/threads.py``); one thread is the choice that is never far off."""

LOAD_TTL = 1.0
"""Seconds a load reading is reused (regions come in runs: a fit's steps, then its prediction)."""

WINDOW = (0.2, 5.0)
"""Shortest and longest window (seconds) over which CPU time is averaged; outside it the
instantaneous run-queue count is used (the kernel counts CPU time in 10 ms ticks, so a shorter
window is too coarse, and a longer one is stale)."""

ENV = "EXPLICATE_THREADS"


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` means CUDA where it is available, else CPU; anything else is passed to torch."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _affinity() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return set(range(os.cpu_count() or 1))


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    return max(1, len(_affinity()))


def thread_setting() -> int | None:
    """``EXPLICATE_THREADS`` (a positive integer), or None when it is not set."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ENV} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{ENV} must be a positive integer, got {raw!r}")
    return value


def max_threads() -> int:
    """The thread budget: ``EXPLICATE_THREADS`` when set, else the usable cores."""
    setting = thread_setting()
    return usable_cores() if setting is None else setting


# ----------------------------------------------------------------------- how busy the cores are
@dataclass(frozen=True)
class CpuTicks:
    """Cumulative CPU time, in kernel ticks (``os.sysconf("SC_CLK_TCK")``, 100 a second)."""

    at: float
    """``time.monotonic()`` when read."""
    busy: int
    """Non-idle ticks summed over the cores this process may run on (``/proc/stat``)."""
    own: int
    """This process's user and system ticks, all its threads (``/proc/self/stat``)."""


def busy_ticks(proc_stat: str, cpus: set[int]) -> int:
    """Non-idle ticks (all but ``idle`` and ``iowait``) summed over the ``cpuN`` lines of
    ``/proc/stat`` whose N is in ``cpus``."""
    busy = 0
    for line in proc_stat.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or not name[3:].isdigit() or int(name[3:]) not in cpus:
            continue
        # user nice system idle iowait irq softirq steal (guest time is inside user)
        ticks = [int(x) for x in rest.split()[:8]]
        busy += sum(ticks) - ticks[3] - ticks[4]
    return busy


def own_ticks(self_stat: str) -> int:
    """User plus system ticks from a ``/proc/<pid>/stat`` line (fields 14 and 15)."""
    fields = self_stat[self_stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def runnable_tasks(loadavg: str) -> int:
    """Tasks running or waiting for a core now, machine-wide: the ``R/T`` field of
    ``/proc/loadavg``."""
    return int(loadavg.split()[3].partition("/")[0])


def _read(path: str) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def read_ticks() -> CpuTicks | None:
    """The CPU time counters now, or None where ``/proc`` cannot be read."""
    try:
        return CpuTicks(time.monotonic(), busy_ticks(_read("/proc/stat"), _affinity()),
                        own_ticks(_read("/proc/self/stat")))
    except (OSError, ValueError, IndexError):
        return None


def others_runnable() -> float | None:
    """Runnable tasks of other processes now, scaled to this process's cores (the machine's
    run queue less this process's running threads); None where ``/proc`` cannot be read."""
    try:
        tasks = runnable_tasks(_read("/proc/loadavg"))
        own = 0
        for tid in os.listdir("/proc/self/task"):
            with suppress(OSError):  # a thread that just ended
                stat = _read(f"/proc/self/task/{tid}/stat")
                own += stat[stat.rindex(")") + 2] == "R"
    except (OSError, ValueError, IndexError):
        return None
    share = usable_cores() / max(os.cpu_count() or 1, 1)
    return max(0, tasks - max(own, 1)) * share


def busy_from(before: CpuTicks, after: CpuTicks, hz: float) -> float:
    """Cores' worth of CPU that other processes used between two readings (this process's
    own time taken out)."""
    seconds = after.at - before.at
    other = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, other / hz / seconds) if seconds > 0 else 0.0


def _reader() -> float | None:
    """Cores' worth of other work on this process's cores: CPU time averaged since the
    previous reading when that was :data:`WINDOW` ago, else the run queue now."""
    global _TICKS
    now = read_ticks()
    before, _TICKS = _TICKS, now
    if now is not None and before is not None and WINDOW[0] <= now.at - before.at <= WINDOW[1]:
        return busy_from(before, now, float(os.sysconf("SC_CLK_TCK")))
    return others_runnable()


_TICKS: CpuTicks | None = read_ticks()  # so that the first region already has a window
_LOAD: tuple[float, float | None] | None = None  # (monotonic time, reading)


def busy_cores() -> float | None:
    """How many of this process's cores other work keeps busy (0.0 on an idle machine, about
    the core count when every core is taken), read at most once per :data:`LOAD_TTL`; None
    where it cannot be read."""
    global _LOAD
    now = time.monotonic()
    if _LOAD is None or now - _LOAD[0] >= LOAD_TTL:
        _LOAD = (now, _reader())
    return _LOAD[1]


def threads_for(work: int) -> int:
    """Threads for a parallel region of ``work`` elements.

    One below :data:`MIN_PARALLEL_WORK`; else ``EXPLICATE_THREADS`` where set; else the usable
    cores that other work leaves free (:data:`FREE_SHARE`), at least one; where the load
    cannot be read, one below :data:`SMALL_WORK` and the cores above it.
    """
    if work < MIN_PARALLEL_WORK:
        return 1
    setting = thread_setting()
    if setting is not None:
        return setting
    cores = usable_cores()
    busy = busy_cores()
    if busy is None:
        return 1 if work < SMALL_WORK else cores
    free = math.floor(cores - busy + (1.0 - FREE_SHARE) + 1e-9)
    return max(1, min(cores, free))


@contextmanager
def thread_policy(work: int) -> Iterator[int]:
    """Run the block with :func:`threads_for` ``(work)`` torch threads and as many BLAS threads
    (numpy's OpenBLAS, through ``threadpoolctl``), restoring both after.

    Meant around a loop of similar regions (all prediction blocks, all EM steps, a whole
    L-BFGS run, one embedding batch), not around each small operation: entering costs about
    30 us (measured on 2 cores), plus a load reading at most once per :data:`LOAD_TTL`. The
    choice holds for the whole block, so a block that runs for minutes should be split.
    """
    import torch

    want = threads_for(work)
    before = torch.get_num_threads()
    if want != before:
        torch.set_num_threads(want)
    try:
        with blas_threads(want):
            yield want
    finally:
        if want != before:
            torch.set_num_threads(before)


_CONTROLLER: tuple[int, Any] | None = None


def _blas_controller() -> Any:
    """A ``threadpoolctl.ThreadpoolController`` of the loaded libraries (finding them costs
    about 5 ms, so it is kept, and found again only after more modules were imported, which may
    have loaded another BLAS); None without threadpoolctl."""
    global _CONTROLLER
    loaded = len(sys.modules)
    if _CONTROLLER is None or _CONTROLLER[0] != loaded:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a core dependency
            return None
        _CONTROLLER = (len(sys.modules), ThreadpoolController())
    return _CONTROLLER[1]


@contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Cap the BLAS libraries' threads (numpy's OpenBLAS) at ``n`` inside the block.

    OpenBLAS's threads busy-wait between calls whatever ``OMP_WAIT_POLICY`` says; on a loaded
    2-core machine scipy's L-BFGS-B (its vector updates are BLAS calls) ran 20x slower with two
    of them than with one. Without ``threadpoolctl`` installed the block runs unchanged.
    """
    controller = _blas_controller()
    if controller is None:  # pragma: no cover - a core dependency
        yield
        return
    with controller.limit(limits=n, user_api="blas"):
        yield


class _HideTorch(importlib.abc.MetaPathFinder):
    """An import hook under which ``import torch`` fails (as if torch were not installed)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "torch" or fullname.startswith("torch."):
            raise ImportError(f"{fullname} is not loaded for thinc (explicate.runtime.device)")
        return None


class _WithoutTorch(importlib.abc.Loader):
    """Runs another loader's module with torch hidden."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hook = _HideTorch()
        sys.meta_path.insert(0, hook)
        try:
            self.inner.exec_module(module)
        finally:
            sys.meta_path.remove(hook)


class _ThincWithoutTorch(importlib.abc.MetaPathFinder):
    """Finds ``thinc.compat`` as usual but loads it with torch hidden (while torch is not
    loaded): thinc's probe then records "no torch" instead of importing it."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "thinc.compat" or "torch" in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _WithoutTorch(spec.loader)
        return spec


def keep_torch_out_of_spacy() -> None:
    """Make a later ``import spacy`` leave torch unloaded (a command-line start-up setting).

    spaCy imports thinc, whose ``thinc.compat`` imports torch whenever it is installed (about
    2 s and 200 MB); explicate uses spaCy only to tokenize. After this call thinc loads without
    its torch interop (``thinc.compat.has_torch`` is false) in this process, and explicate's own
    torch code imports torch normally when a command needs it. Meant for processes explicate
    owns (the ``explicate`` command), not for a library import: a program that also runs spaCy
    models on torch should not call it.
    """
    if not any(isinstance(f, _ThincWithoutTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _ThincWithoutTorch())
