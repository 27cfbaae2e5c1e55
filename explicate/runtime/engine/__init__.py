"""Partitioned runs: rules applied shard by shard on an engine, the label model fitted on the
summed statistics, probabilities predicted shard by shard; the label matrix never sits whole on
the driver.

Modules::

    registry     Engine (map, map_reduce, close), the ``engines`` registry, tree_reduce
    make         make_engine, engine_names (the built-in backends registered)
    serial       every task in turn (the reference)
    threads      a thread pool in this process
    processes    a spawned process pool on this machine
    dask_engine  a Dask distributed cluster (``scheduler`` address or a LocalCluster)
    shards       find_shards, the worker tasks (apply_shard, predict_shard), PatternTable
    partitioned  apply_shards, fit_shards, read_manifest / read_stats / read_blocks;
                 apply_frame (a frame in memory, its row chunks on an engine: the pipeline)
    train        train_shards, predict_shards: the end model from shards, streamed (it
                 imports torch, so it is not imported here: workers applying rules stay
                 torch-free)
"""

from explicate.runtime.engine.make import engine_names, make_engine
from explicate.runtime.engine.partitioned import (
    ShardRun,
    apply_frame,
    apply_shards,
    fit_shards,
    read_blocks,
    read_manifest,
    read_stats,
)
from explicate.runtime.engine.registry import Engine, engines, tree_reduce
from explicate.runtime.engine.shards import find_shards

__all__ = [
    "Engine",
    "ShardRun",
    "apply_frame",
    "apply_shards",
    "engine_names",
    "engines",
    "find_shards",
    "fit_shards",
    "make_engine",
    "read_blocks",
    "read_manifest",
    "read_stats",
    "tree_reduce",
]
