"""``dask``: tasks on a Dask ``distributed`` cluster: ``scheduler`` (``tcp://host:8786``) joins a
running one; otherwise a ``LocalCluster`` of ``workers`` processes (one thread each) starts on
loopback and stops with the engine. Dask is imported only here, when the engine is made
(``pip install 'explicate[dask]'``).

Reductions run on the cluster: each task's second part stays a future and neighbours are
combined by tasks, so only the final sum (and the first parts) come back to the driver.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.engine.registry import engines

R = TypeVar("R")
S = TypeVar("S")


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]


class DaskEngine:
    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, *,
                 processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExplicateError([Diagnostic(
                "E802", "the dask engine needs dask and distributed, which are not installed",
                None, "", ("pip install 'explicate[dask]'", "or use --engine threads"))]) from None
        self._cluster: Any = None
        if scheduler:
            try:
                self.client: Any = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExplicateError([Diagnostic(
                    "E805", f"no Dask scheduler at '{scheduler}': {exc}", None, "",
                    ("start one with `dask scheduler` and `dask worker ADDRESS`",
                     "or leave out --scheduler for a local cluster"))]) from None
        else:
            # Worker processes listen on loopback only; without processes they talk in-process.
            where = {"host": "127.0.0.1"} if processes else {}
            with warnings.catch_warnings():  # the scheduler's health routes: any free port
                warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
                self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                             threads_per_worker=1, processes=processes,
                                             dashboard_address=None, **where)
            self.client = Client(self._cluster)
            if processes:
                # Our own worker processes load spaCy without torch (applying rules needs
                # neither); a joined cluster's workers (and this process) are left alone.
                from explicate.runtime.device import keep_torch_out_of_spacy

                self.client.run(keep_torch_out_of_spacy)

    def _shared(self, shared: dict[str, Any]) -> dict[str, Any]:
        """Each shared value sent to the workers once (a future every task depends on)."""
        return {k: self.client.scatter(v, broadcast=True) for k, v in shared.items()}

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        if not items:
            return []
        futures = self.client.map(fn, list(items), pure=False, **self._shared(shared))
        results: list[R] = self.client.gather(futures)
        return results

    def map_reduce(self, fn: Callable[..., tuple[R, S]], items: Sequence[Any],
                   combine: Callable[[S, S], S], **shared: Any) -> tuple[list[R], S]:
        if not items:
            raise ValueError("nothing to reduce")
        c = self.client
        pairs = c.map(fn, list(items), pure=False, **self._shared(shared))
        firsts = c.map(_first, pairs, pure=False)
        level = c.map(_second, pairs, pure=False)
        while len(level) > 1:
            nxt = [c.submit(combine, level[i], level[i + 1], pure=False)
                   for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        metas: list[R] = c.gather(firsts)
        total: S = level[0].result()
        return metas, total

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


@engines.register("dask")
def _dask(workers: int | None, scheduler: str | None) -> DaskEngine:
    if workers is not None and scheduler:
        raise ExplicateError([Diagnostic("E802", "give --workers or --scheduler, not both", None,
                                         "", ("a running cluster has its own workers",))])
    return DaskEngine(workers, scheduler)
