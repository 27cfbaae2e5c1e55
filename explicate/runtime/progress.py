"""One progress bar for every long step (apply, explain, fill, fit, embed, training).

Shown on a terminal only: silent when stderr is not a TTY, when ``EXPLICATE_QUIET`` is set
(``explicate --quiet``), or when the caller passes ``show=False``; ``show=True`` forces it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

QUIET_ENV = "EXPLICATE_QUIET"


def shown(show: bool | None, work: int = 1, least: int = 0) -> bool:
    """Whether a bar is drawn: ``show`` when given, else on a terminal, not quiet, and for at
    least ``least`` units of ``work``."""
    if show is not None:
        return show
    return sys.stderr.isatty() and not os.environ.get(QUIET_ENV) and work >= least


class Progress:
    """``with Progress(show, total, "what") as advance: ... advance(k, note="")``."""

    def __init__(self, show: bool | None, total: int, what: str, least: int = 0):
        self.bar = RichProgress(TextColumn(what), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.fields[note]}"),
                                disable=not shown(show, total, least), transient=True)
        self.task = self.bar.add_task(what, total=total, note="")

    def __enter__(self) -> Callable[..., None]:
        self.bar.__enter__()

        def advance(k: int = 1, note: str = "") -> None:
            self.bar.update(self.task, advance=k, note=note)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)
