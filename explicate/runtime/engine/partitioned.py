"""The driver side of a partitioned run: ``apply_shards`` (rules over shard files → one int8 L
block per shard, summed :class:`VoteStats`, a manifest) and ``fit_shards`` (a label model fitted
on the summed statistics, probabilities predicted per shard). The label matrix is never
assembled on the driver: what comes back from the workers is row counts, hashes, problems and
statistics (one row per distinct vote pattern).

An L directory::

    manifest.json    format, labels, LF names, rows, the CSV column names given, the text
                     fields the rules read, and per shard: source, file, rows, offset (first
                     global row), sha256 of the block, problem count
    part-00000.npy   int8 [rows, m] of shard 0 (ABSTAIN = -1), rows in file order
    stats.npz        the summed VoteStats (patterns, counts)
    problems.jsonl   every row problem: shard, row (1-based in the shard), global row, field
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explicate.compiler import FieldKind
from explicate.errors import Diagnostic, ExplicateError
from explicate.ir import label_dtype as ir_label_dtype
from explicate.runtime.apply import compile_for, load_rules
from explicate.runtime.data import read_table
from explicate.runtime.engine.make import make_engine
from explicate.runtime.engine.registry import Engine
from explicate.runtime.engine.shards import (
    CHUNK_ROWS,
    PatternTable,
    PredictTask,
    ShardTask,
    add_stats,
    apply_shard,
    find_shards,
    part_name,
    predict_shard,
)
from explicate.runtime.label_model.stats import VoteStats

L_FORMAT = "explicate.shards/1"
P_FORMAT = "explicate.shard_probs/1"
MANIFEST = "manifest.json"
STATS = "stats.npz"
PROBLEMS = "problems.jsonl"


@contextmanager
def _using(engine: str | Engine, workers: int | None, scheduler: str | None) -> Iterator[Engine]:
    """The engine to run on: one made by name is closed after; one passed in stays open."""
    if not isinstance(engine, str):
        yield engine
        return
    eng = make_engine(engine, workers, scheduler)
    try:
        yield eng
    finally:
        eng.close()


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _clear(out: Path) -> None:
    """Remove what an earlier run wrote in ``out`` (its own files only)."""
    for f in out.glob("part-*.npy"):
        f.unlink()
    for name in (MANIFEST, STATS, PROBLEMS, "label_model.npz"):
        (out / name).unlink(missing_ok=True)


def _first_shard(data: str | Path, columns: Sequence[str] | None
                 ) -> tuple[list[Path], Any]:
    """The shard files of ``data`` and the first one's rows (its schema is the run's)."""
    shards = find_shards(data)
    return shards, read_table(shards[0], columns)


@dataclass
class ShardRun:
    """What ``apply_shards`` did: the manifest written, the summed statistics, seconds."""

    manifest: dict[str, Any]
    stats: VoteStats
    seconds: float
    # Where the seconds went on the driver: "prepare" (rules read and compiled, first shard's
    # schema), "shards" (the engine's map: every shard applied), "finish" (files written).
    phases: dict[str, float] = field(default_factory=dict)


def apply_shards(rules: str | Path, data: str | Path, out: str | Path, *,
                 engine: Engine | str = "serial", workers: int | None = None,
                 scheduler: str | None = None, columns: Sequence[str] | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> ShardRun:
    """Apply a rule file to every shard of ``data`` (directory, glob or file) on ``engine``;
    write the L directory ``out``. The schema is inferred from the first shard (every shard
    must have its columns). Shards that cannot be read or applied are reported together (one
    ExplicateError, each diagnostic naming its shard); then no manifest is written."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(1, thread_name_prefix="explicate-first") as pool:
        # The first shard is found and read while the rules are parsed: Arrow's Parquet reader
        # releases the GIL, the parser holds it, so this takes the driver's serial "prepare"
        # from their sum towards the longer of the two. Errors keep their order: the rules'
        # first (raised here), then the data's (raised by ``result``).
        reading = pool.submit(_first_shard, data, columns)
        source = load_rules(rules)
        shards, first = reading.result()
    program, schema = compile_for(source, first)
    assert schema is not None
    del first
    if program.cardinality > 127:
        raise ExplicateError([Diagnostic("E803", f"{program.cardinality} labels: partitioned "
                                         "runs keep votes in int8 (at most 127 labels)")])
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    cols = tuple(columns) if columns else None
    tasks = [ShardTask(i, str(p), str(out_dir), cols, chunk_rows) for i, p in enumerate(shards)]
    t1 = time.perf_counter()
    with _using(engine, workers, scheduler) as eng:
        results, total = eng.map_reduce(apply_shard, tasks, add_stats, program=program,
                                        schema=schema)
    t2 = time.perf_counter()
    errors = [d for r in results for d in r.errors]
    if errors:
        raise ExplicateError(errors)
    assert total is not None
    offset = 0
    entries = []
    with open(out_dir / f".{PROBLEMS}.tmp", "w", encoding="utf-8") as fh:
        for r in results:
            for p in r.problems:
                fh.write(json.dumps({"shard": r.index, "source": r.source, "row": p.row,
                                     "global_row": offset + p.row, "field": p.field,
                                     "problem": p.problem}) + "\n")
            entries.append({"index": r.index, "source": r.source, "file": r.file,
                            "rows": r.rows, "offset": offset, "sha256": r.sha256,
                            "problems": len(r.problems),
                            "seconds": {k: round(v, 4) for k, v in r.seconds.items()}})
            offset += r.rows
    os.replace(out_dir / f".{PROBLEMS}.tmp", out_dir / PROBLEMS)
    if total.n_rows != offset:
        raise RuntimeError(f"statistics cover {total.n_rows} rows, shards {offset}")
    with open(out_dir / f".{STATS}.tmp", "wb") as sf:
        np.savez(sf, patterns=total.patterns, counts=total.counts,
                 cardinality=np.array(total.cardinality))
    os.replace(out_dir / f".{STATS}.tmp", out_dir / STATS)
    manifest = {"format": L_FORMAT, "rules": str(rules), "data": str(data),
                "engine": eng.name, "labels": list(program.labels),
                "lf_names": list(program.names), "cardinality": program.cardinality,
                "rows": offset, "patterns": total.n_patterns, "dtype": "int8",
                "columns": list(cols) if cols else None, "text_fields": [
                    f for f, kind in program.field_kinds.items() if kind is FieldKind.TEXT],
                "stats": STATS, "problems": PROBLEMS, "shards": entries}
    _write_text(out_dir / MANIFEST, json.dumps(manifest, indent=1))
    t3 = time.perf_counter()
    return ShardRun(manifest, total, t3 - t0, {"prepare": t1 - t0, "shards": t2 - t1,
                                               "finish": t3 - t2})


def _bad_dir(message: str, *hints: str) -> ExplicateError:
    return ExplicateError([Diagnostic("E804", message, None, "", hints)])


def read_manifest(l_dir: str | Path, fmt: str = L_FORMAT) -> dict[str, Any]:
    """The manifest of an L directory (E804 where it is missing or not one)."""
    path = Path(l_dir) / MANIFEST
    if not path.is_file():
        raise _bad_dir(f"'{l_dir}' has no {MANIFEST}", "write it with `explicate apply RULES "
                       "--data SHARDS -o DIR`")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad_dir(f"'{path}' is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise _bad_dir(f"'{path}' is not a manifest of format {fmt}")
    return manifest


def read_stats(l_dir: str | Path) -> VoteStats:
    """The summed statistics of an L directory."""
    manifest = read_manifest(l_dir)
    try:
        with np.load(Path(l_dir) / manifest["stats"], allow_pickle=False) as z:
            stats = VoteStats(int(z["cardinality"]), z["patterns"], z["counts"])
    except (OSError, ValueError, KeyError) as exc:
        raise _bad_dir(f"cannot read the statistics of '{l_dir}': {exc}") from None
    if stats.n_rows != manifest["rows"] or stats.n_lfs != len(manifest["lf_names"]):
        raise _bad_dir(f"the statistics of '{l_dir}' do not match its manifest")
    return stats


def read_blocks(l_dir: str | Path, fmt: str = L_FORMAT) -> np.ndarray:
    """The blocks of an L (or probabilities) directory stacked in row order. This assembles the
    whole matrix in memory: for tests and small data; partitioned work never calls it."""
    manifest = read_manifest(l_dir, fmt)
    blocks = [np.load(Path(l_dir) / s["file"], allow_pickle=False) for s in manifest["shards"]]
    if not blocks:
        return np.zeros((0, len(manifest.get("lf_names", ()))), dtype=np.int8)
    return np.concatenate(blocks)


def fit_shards(l_dir: str | Path, out: str | Path, *, method: str = "auto",
               engine: Engine | str = "serial", workers: int | None = None,
               scheduler: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Fit a label model on the summed statistics of an L directory (on the driver: the cost
    grows with the distinct vote patterns, not the rows), then predict every shard's
    probabilities on ``engine`` by pattern lookup; write ``out/part-NNNNN.npy`` (float32
    [rows, k]), ``out/label_model.npz`` and ``out/manifest.json``. Returns a report."""
    from explicate.runtime.label_model import LabelModel  # torch: the driver only, not workers

    manifest = read_manifest(l_dir)
    stats = read_stats(l_dir)
    if stats.n_rows == 0:
        raise ExplicateError([Diagnostic("E603", f"'{l_dir}' holds no rows to fit on")])
    t0 = time.perf_counter()
    model = LabelModel(cardinality=stats.cardinality, method=method, seed=seed).fit(stats)
    fit_seconds = time.perf_counter() - t0
    table = PatternTable.build(stats, model.predict_proba(stats.patterns))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    tasks = [PredictTask(s["index"], str(Path(l_dir) / s["file"]), s["rows"], s["sha256"],
                         str(out_dir / part_name(s["index"]))) for s in manifest["shards"]]
    t1 = time.perf_counter()
    with _using(engine, workers, scheduler) as eng:
        results = eng.map(predict_shard, tasks, table=table)
    errors = [d for r in results for d in r.errors]
    if errors:
        raise ExplicateError(errors)
    predict_seconds = time.perf_counter() - t1
    model.save(out_dir / "label_model.npz")
    assert model.accuracies is not None and model.class_balance is not None
    shards = [{"index": s["index"], "file": r.file, "rows": r.rows, "offset": s["offset"]}
              for s, r in zip(manifest["shards"], results, strict=True)]
    _write_text(out_dir / MANIFEST, json.dumps({
        "format": P_FORMAT, "labels": manifest["labels"], "rows": manifest["rows"],
        "l_dir": str(l_dir), "method": method, "model": "label_model.npz", "shards": shards},
        indent=1))
    return {
        "method": method, "n": manifest["rows"], "m": stats.n_lfs,
        "cardinality": stats.cardinality, "shards": len(shards), "patterns": stats.n_patterns,
        "stats_bytes": int(stats.patterns.nbytes + stats.counts.nbytes),
        "fit_seconds": round(fit_seconds, 4), "predict_seconds": round(predict_seconds, 4),
        "engine": eng.name, "class_balance": [round(float(x), 4) for x in model.class_balance],
        "learned_accuracy": {n: round(float(a), 4) for n, a in
                             zip(manifest["lf_names"], model.accuracies, strict=True)},
        "labels": manifest["labels"], "out": str(out_dir),
    }


def _apply_chunk(item: tuple[int, Any], *, program: Any, schema: Any
                 ) -> tuple[np.ndarray, list[Any]]:
    """L and row problems of one chunk of a frame (rows numbered from the chunk's start)."""
    from explicate.runtime.features import build_batch
    from explicate.runtime.heap import tune_heap

    tune_heap()  # in the worker's process: once there (``runtime.heap``)
    start, chunk = item
    problems: list[Any] = []
    batch = build_batch(chunk, program, schema, base=start, problems=problems)
    return program.apply(batch), problems


def apply_frame(program: Any, df: Any, schema: Any, engine: Engine,
                chunk_rows: int = CHUNK_ROWS) -> Any:
    """``apply_program`` with the frame's row chunks run on ``engine`` (a frame already in
    memory, as the pipeline's splits are; the chunks travel to the workers). Same L and
    problems as ``apply_program``, rows in order."""
    from explicate.runtime.apply import Applied
    from explicate.runtime.data import read_problems
    from explicate.runtime.features import iter_chunks
    from explicate.runtime.matrix import LabelMatrix

    items = list(iter_chunks(df, chunk_rows))
    parts = engine.map(_apply_chunk, items, program=program, schema=schema)
    problems = read_problems(df) + [p for _, found in parts for p in found]
    problems.sort(key=lambda p: (p.row, p.field))
    m = len(program.lfs)
    dtype = ir_label_dtype(program.cardinality)
    L = np.concatenate([b for b, _ in parts]) if parts else np.zeros((0, m), dtype=dtype)
    return Applied(LabelMatrix(L, program.names, program.labels), problems)
