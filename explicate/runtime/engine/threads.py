"""``threads``: tasks on a pool of threads in this process. numpy kernels and batch building
(``runtime.tokens``: chunks found in Arrow's bytes, Arrow hashing, the chunk store looked up by
Arrow without a lock) release the GIL. What holds it (``benchmarks/gil_share.py`` measures it,
phase by phase): once per process, loading spaCy (~0.2 s, one thread while the others wait)
and analysing the chunks no thread has seen (one thread at a time, under the store's lock;
letters-and-digits chunks skip spaCy, ``tokens.PLAIN``); per batch, the Python between the
numpy calls of ``Program.apply`` and the phrase kernels: ~50 ms of a warm 25k-row SMS shard,
0.19-0.23 of its time since the phrase kernels' numpy work shrank (py-spy, 200k rows in 8
shards; ``features.KEPT_SHARE``), so two threads can run at most ~1.65x one."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from explicate.runtime.engine.registry import LocalEngine, engines

R = TypeVar("R")


class ThreadEngine(LocalEngine):
    name = "threads"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="explicate")

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        futures = [self._pool.submit(fn, item, **shared) for item in items]
        return [f.result() for f in futures]  # task order, whatever order they finish in

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@engines.register("threads")
def _threads(workers: int | None, scheduler: str | None) -> ThreadEngine:
    return ThreadEngine(workers)
