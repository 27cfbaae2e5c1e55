"""``processes``: tasks on a pool of worker processes on this machine (spawned: no fork of a
process holding torch or OpenMP threads). Tasks get their arguments pickled; shards are read by
the workers, so only small results (statistics, problems) travel back. Each worker loads spaCy
without torch (``keep_torch_out_of_spacy``, as the command does): applying rules needs neither,
and torch costs a worker about 2 s and 200 MB to import."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from explicate.runtime.device import keep_torch_out_of_spacy
from explicate.runtime.engine.registry import LocalEngine, engines

R = TypeVar("R")


class ProcessEngine(LocalEngine):
    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(self.workers,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=keep_torch_out_of_spacy)

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        futures = [self._pool.submit(fn, item, **shared) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@engines.register("processes")
def _processes(workers: int | None, scheduler: str | None) -> ProcessEngine:
    return ProcessEngine(workers)
