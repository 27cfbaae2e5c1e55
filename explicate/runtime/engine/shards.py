"""Shards and the work done on them: finding the shard files, applying a program to one shard
(on a worker) and predicting one shard's probabilities by vote-pattern lookup.

A shard is one data file read by the reader registry (``runtime.data.formats``). The task
functions here run where the engine puts them; they read and write files themselves and return
only small results (row counts, hashes, :class:`VoteStats`, row problems, diagnostics), so no
shard's rows or label-matrix block travel through the driver.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explicate.compiler import FieldKind, Program, Schema
from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.data import RowProblem, read_problems, read_table, readers
from explicate.runtime.features import build_batch, iter_chunks
from explicate.runtime.heap import tune_heap
from explicate.runtime.label_model.stats import VoteStats, row_keys

CHUNK_ROWS = 50_000
GLOB_CHARS = re.compile(r"[*?\[]")


def _natural(path: str) -> list[object]:
    """Sort key: digit runs compare as numbers (part-2 before part-10)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", Path(path).name)] + [path]


def find_shards(data: str | Path) -> list[Path]:
    """The shard files of ``data``: a directory (its data files, by natural name order), a glob
    (``shards/*.parquet``) or one file. None found is an E801 diagnostic."""
    text = str(data)
    p = Path(text)
    if p.is_dir():
        known = set(readers.get_all())
        found = [str(f) for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                 and f.suffix.lower() in known]
        where = f"directory '{text}'"
    elif GLOB_CHARS.search(text):
        found = [f for f in glob.glob(text) if Path(f).is_file()]
        where = f"pattern '{text}'"
    elif p.is_file():
        return [p]
    else:
        raise ExplicateError([Diagnostic("E801", f"no data at '{text}'", None, "",
                                         ("give a file, a directory of shards or a glob such as"
                                          " 'shards/*.parquet'",))])
    if not found:
        known_s = ", ".join(sorted(readers.get_all()))
        raise ExplicateError([Diagnostic("E801", f"no data shards in {where}", None, "",
                                         (f"shards are files ending in {known_s}",))])
    return [Path(f) for f in sorted(found, key=_natural)]


def part_name(index: int) -> str:
    return f"part-{index:05d}.npy"


def save_atomic(path: Path, array: np.ndarray) -> None:
    """``np.save`` to a temporary name, then rename (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
    os.replace(tmp, path)


def content_hash(block: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(block).reshape(-1).view(np.uint8).data).hexdigest()


@dataclass(frozen=True)
class ShardTask:
    """Apply the program to shard ``index`` (file ``source``) and write its L block in ``out``."""

    index: int
    source: str
    out: str
    columns: tuple[str, ...] | None = None
    chunk_rows: int = CHUNK_ROWS


@dataclass
class ShardResult:
    """What a worker reports about one shard (``errors``: it could not be applied)."""

    index: int
    source: str
    file: str = ""
    rows: int = 0
    sha256: str = ""
    problems: list[RowProblem] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # read, label, write: on the worker


def _missing_fields(program: Program, schema: Schema, columns: list[str]) -> list[str]:
    """Fields the program reads that this shard lacks (mentions given by offsets excepted)."""
    span_of = {**schema.span_of, **program.spans}
    have = set(columns)
    missing = []
    for name, kind in program.field_kinds.items():
        if name in have:
            continue
        if kind is FieldKind.SPAN and f"{name}_start" in have and f"{name}_end" in have \
                and span_of.get(name) in have:
            continue
        missing.append(name)
    return missing


def apply_shard(task: ShardTask, *, program: Program, schema: Schema
                ) -> tuple[ShardResult, VoteStats | None]:
    """Read one shard, featurize it chunk by chunk (each field tokenized once), apply the
    program, write the int8 block ``part-NNNNN.npy`` and summarize it as :class:`VoteStats`.
    Row problems are numbered 1-based within the shard."""
    tune_heap()  # in the worker's process: once there (``runtime.heap``)
    result = ShardResult(task.index, task.source)
    t0 = time.perf_counter()
    try:
        df = read_table(task.source, list(task.columns) if task.columns else None)
    except ExplicateError as exc:
        result.errors = [_in_shard(d, task.source) for d in exc.diagnostics]
        return result, None
    missing = _missing_fields(program, schema, [str(c) for c in df.columns])
    if missing:
        result.errors = [Diagnostic(
            "E803", f"shard '{task.source}' has no column {', '.join(repr(m) for m in missing)}"
            " (the rules read it)", None, "",
            ("every shard needs the columns of the first one",))]
        return result, None
    n, m = len(df), len(program.lfs)
    t1 = time.perf_counter()
    L = np.full((n, m), -1, dtype=np.int8)
    problems = read_problems(df)
    for start, chunk in iter_chunks(df, task.chunk_rows):
        batch = build_batch(chunk, program, schema, base=start, problems=problems)
        L[start : start + len(chunk)] = program.apply(batch)
    del df
    problems.sort(key=lambda p: (p.row, p.field))
    name = part_name(task.index)
    t2 = time.perf_counter()
    save_atomic(Path(task.out) / name, L)
    result.file, result.rows, result.sha256 = name, n, content_hash(L)
    result.problems = problems
    stats = VoteStats.from_matrix(L, program.cardinality)
    result.seconds = {"read": t1 - t0, "label": t2 - t1, "write": time.perf_counter() - t2}
    return result, stats


def _in_shard(d: Diagnostic, source: str) -> Diagnostic:
    if source in d.message:
        return d
    return Diagnostic(d.code, f"{d.message} (shard '{source}')", d.span, d.label, d.hints)


def add_stats(a: VoteStats | None, b: VoteStats | None) -> VoteStats | None:
    """``a + b``, where a shard that failed contributes nothing."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


# ------------------------------------------------------------------------------ prediction
@dataclass(frozen=True)
class PatternTable:
    """Every vote pattern of the statistics with its probabilities, sorted by row key: a row's
    probabilities are found by binary search on its key (then checked against the pattern)."""

    cardinality: int
    keys: np.ndarray  # int64 [p], sorted
    patterns: np.ndarray  # int8 [p, m]
    probs: np.ndarray  # float32 [p, k]

    @classmethod
    def build(cls, stats: VoteStats, probs: np.ndarray) -> PatternTable:
        keys = row_keys(stats.patterns, stats.cardinality)
        order = np.argsort(keys, kind="stable")
        return cls(stats.cardinality, keys[order], stats.patterns[order],
                   np.ascontiguousarray(probs[order], dtype=np.float32))

    def lookup(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(probs [n, k], rows whose pattern is not in the table)``."""
        n = block.shape[0]
        if self.keys.shape[0] == 0:
            return np.zeros((n, self.probs.shape[1]), np.float32), np.arange(n)
        keys = row_keys(block, self.cardinality)
        idx = np.minimum(np.searchsorted(self.keys, keys), self.keys.shape[0] - 1)
        ok = self.keys[idx] == keys
        ok[ok] = np.all(self.patterns[idx[ok]] == block[ok], axis=1)
        bad = np.flatnonzero(~ok)
        if bad.size:  # a hash shared by two patterns: find those rows' patterns exactly
            where = {p.tobytes(): i for i, p in enumerate(self.patterns)}
            for r in bad.tolist():
                hit = where.get(block[r].tobytes())
                if hit is not None:
                    idx[r] = hit
                    ok[r] = True
            bad = np.flatnonzero(~ok)
        return self.probs[idx], bad


@dataclass(frozen=True)
class PredictTask:
    index: int
    l_file: str  # the shard's L block
    rows: int
    sha256: str
    out: str  # the probabilities file to write


@dataclass
class PredictResult:
    index: int
    file: str = ""
    rows: int = 0
    errors: list[Diagnostic] = field(default_factory=list)


def predict_shard(task: PredictTask, *, table: PatternTable) -> PredictResult:
    """Load one L block, check it is the one the manifest describes, look up each row's
    probabilities and write them (float32 [rows, k])."""
    result = PredictResult(task.index)
    try:
        block = np.load(task.l_file, allow_pickle=False)
    except (OSError, ValueError) as exc:
        result.errors = [Diagnostic("E804", f"cannot read L block '{task.l_file}': {exc}")]
        return result
    if block.ndim != 2 or block.shape[0] != task.rows or block.dtype != np.int8 \
            or block.shape[1] != table.patterns.shape[1] or content_hash(block) != task.sha256:
        result.errors = [Diagnostic("E804", f"L block '{task.l_file}' is not the one the "
                                    "manifest lists (changed since `explicate apply`)", None, "",
                                    ("apply the rules again",))]
        return result
    probs, bad = table.lookup(block)
    if bad.size:
        result.errors = [Diagnostic("E804", f"{bad.size} row(s) of '{task.l_file}' (first: row "
                                    f"{int(bad[0]) + 1}) have votes the statistics do not hold")]
        return result
    save_atomic(Path(task.out), probs)
    result.file, result.rows = Path(task.out).name, block.shape[0]
    return result
