"""Importing this module registers the built-in engines."""

from explicate.runtime.engine import dask_engine, processes, serial, threads

BUILTIN_ENGINES = (serial, threads, processes, dask_engine)
