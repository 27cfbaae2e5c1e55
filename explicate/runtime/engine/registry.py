"""The executor seam: an :class:`Engine` maps a function over tasks (results in task order) and
tree-reduces what the tasks return; backends register by name in :data:`engines`.

A backend is one module registering a factory ``(workers, scheduler) -> Engine``::

    @engines.register("ray")
    def _ray(workers: int | None, scheduler: str | None) -> Engine: ...

Third-party packages can add engines through the ``explicate_engines`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import catalogue

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

engines = catalogue.create("explicate", "engines", entry_points=True)
"""Name -> factory ``(workers, scheduler) -> Engine``."""


class Engine(Protocol):
    """Runs tasks; ``map`` returns results in task order whatever order they finish in."""

    name: str

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        """``[fn(item, **shared) for item in items]``; ``shared`` values go to every task once."""
        ...

    def map_reduce(self, fn: Callable[..., tuple[R, S]], items: Sequence[Any],
                   combine: Callable[[S, S], S], **shared: Any) -> tuple[list[R], S]:
        """Run ``fn`` on every item; return the first parts in order and the second parts
        tree-reduced with ``combine`` (where the tasks ran: only the sum comes back)."""
        ...

    def close(self) -> None: ...


def tree_reduce(values: Sequence[S], combine: Callable[[S, S], S]) -> S:
    """Pairwise reduction in a balanced tree (neighbours first; the order of ``values`` kept)."""
    level = list(values)
    if not level:
        raise ValueError("nothing to reduce")
    while len(level) > 1:
        nxt = [combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class LocalEngine:
    """Base of the in-process engines: ``map_reduce`` maps, then reduces on the driver (the
    values are already in this process)."""

    name = "local"

    def map(self, fn: Callable[..., R], items: Sequence[Any], **shared: Any) -> list[R]:
        raise NotImplementedError

    def map_reduce(self, fn: Callable[..., tuple[R, S]], items: Sequence[Any],
                   combine: Callable[[S, S], S], **shared: Any) -> tuple[list[R], S]:
        pairs = self.map(fn, items, **shared)
        return [p[0] for p in pairs], tree_reduce([p[1] for p in pairs], combine)

    def close(self) -> None:
        return None
