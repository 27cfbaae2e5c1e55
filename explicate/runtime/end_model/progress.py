"""A rich progress bar for the end models' long loops (training epochs, embedding)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """A rich progress bar (on a terminal, or when asked) yielding an ``advance(k)`` function."""

    def __init__(self, show: bool | None, total: int, what: str):
        show = sys.stderr.isatty() if show is None else show
        self.bar = RichProgress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[note]}"), disable=not show, transient=True)
        self.task = self.bar.add_task(what, total=total, note="")

    def __enter__(self) -> Callable[..., None]:
        self.bar.__enter__()

        def advance(k: int = 1, note: str = "") -> None:
            self.bar.update(self.task, advance=k, note=note)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


