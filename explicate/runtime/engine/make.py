"""Making engines by name: the built-in backends registered, then looked up in ``engines``."""

from __future__ import annotations

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.engine import dask_engine, processes, serial, threads
from explicate.runtime.engine.registry import Engine, engines

BUILTIN_ENGINES = (serial, threads, processes, dask_engine)  # imported: they register


def engine_names() -> tuple[str, ...]:
    """The registered engine names (the built-in ones and any from entry points)."""
    return tuple(sorted(engines.get_all()))


def make_engine(kind: str = "serial", workers: int | None = None,
                scheduler: str | None = None) -> Engine:
    """The engine registered as ``kind``; an unknown name is an E802 diagnostic naming them."""
    if workers is not None and workers < 1:
        raise ExplicateError([Diagnostic("E802", f"--workers must be at least 1, got {workers}")])
    if kind not in engines:
        raise ExplicateError([Diagnostic("E802", f"unknown engine '{kind}'", None, "",
                                         (f"engines: {', '.join(engine_names())}",))])
    engine: Engine = engines.get(kind)(workers, scheduler)
    return engine
