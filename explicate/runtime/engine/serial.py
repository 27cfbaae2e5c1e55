"""``serial``: every task in this thread, one after another (the reference the others match)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from explicate.runtime.engine.registry import LocalEngine, engines

R = TypeVar("R")


class SerialEngine(LocalEngine):
    name = "serial"

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        return [fn(item, **shared) for item in items]


@engines.register("serial")
def _serial(workers: int | None, scheduler: str | None) -> SerialEngine:
    return SerialEngine()
