"""Where tensors live and how many threads work on them.

``device="auto"`` means CUDA when present, else the CPU.

Threads: torch's default (one OpenMP thread per core, spin-waiting between parallel regions)
is slow whenever the CPU is shared: each small region wakes every thread, and on a loaded
machine the waiting threads spin instead of yielding (on a 2-core machine at load ~3.5 the label
model spent 89% of its time in the barrier spin). The policy here:

- one setting, ``EXPLICATE_THREADS`` (or ``explicate --threads N``): the most threads a large
  region may use; default: the cores this process may run on;
- work below :data:`SMALL_WORK` elements per region (a 16k-row prediction block, an EM step on
  the vote patterns, a mini-batch) runs on one thread: it cannot gain from more and is where the
  spinning happens;
- larger regions use up to ``EXPLICATE_THREADS``, and the command line asks OpenMP to wait
  passively (``OMP_WAIT_POLICY=PASSIVE`` unless set) so idle threads sleep instead of spinning.

Start-up: torch takes about 2 s and 200 MB to import, and spaCy's ``thinc.compat`` imports it
whenever it is installed. :func:`import_spacy` loads spaCy with torch hidden from thinc, so the
commands that only tokenize (``check``, ``apply``, ``summary``) never load torch; this module
itself imports torch only when a function here needs it.

Figures: ``benchmarks/threads.py``, ``benchmarks/startup.py``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

SMALL_WORK = 1 << 23
"""Elements (rows x columns) below which a parallel region runs on one thread."""

ENV = "EXPLICATE_THREADS"


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` means CUDA where it is available, else CPU; anything else is passed to torch."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def max_threads() -> int:
    """The thread budget: ``EXPLICATE_THREADS`` when set (a positive integer), else the cores."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return usable_cores()
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ENV} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{ENV} must be a positive integer, got {raw!r}")
    return value


def threads_for(work: int) -> int:
    """Threads for a parallel region of ``work`` elements: 1 when small, else the budget."""
    return 1 if work < SMALL_WORK else max_threads()


@contextmanager
def thread_policy(work: int) -> Iterator[int]:
    """Run the block with :func:`threads_for` ``(work)`` torch threads and as many BLAS threads
    (numpy's OpenBLAS, through ``threadpoolctl``), restoring both after.

    Meant around a loop of similar regions (all prediction blocks, all EM steps, a whole
    L-BFGS run), not around each small operation: changing the thread counts costs about a
    millisecond.
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


def use_thread_setting() -> None:
    """Apply ``EXPLICATE_THREADS``, where set, as torch's thread count for the whole process
    (the regions that do not choose their own, e.g. end-model training)."""
    if os.environ.get(ENV, "").strip():
        import torch

        torch.set_num_threads(max_threads())


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
