"""Apply rule files to data: read → schema → compile → featurize (in chunks) → label matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import Program, Schema
from explicate.grammar.parse import parse_partial
from explicate.runtime.batch_cache import FROM_ENV, CacheChoice
from explicate.runtime.data import RowProblem, read_problems, read_table
from explicate.runtime.features import build_batch, iter_chunks
from explicate.runtime.forks import Phases, mark, pieces, run_forked
from explicate.runtime.heap import tune_heap
from explicate.runtime.matrix import LabelMatrix
from explicate.runtime.progress import Progress
from explicate.runtime.result_cache import CachedProgram
from explicate.runtime.result_cache import resolve as results_of
from explicate.runtime.rules import RuleSource, compile_for, declared_spans, load_rules
from explicate.runtime.tokens import chunk_store, default_jobs, fork_context

__all__ = ["Applied", "RuleSource", "apply_file", "apply_program", "apply_rules", "compile_for",
           "declared_spans", "load_rules"]  # the rule-file half lives in runtime.rules

CHUNK_ROWS = 10_000
"""Rows featurized and evaluated at a time in one process (and the most of a piece shared
between processes). Measured at 100k documents, one process: 10k rows 1.46x faster than 50k
(0.315 s against 0.459 s CPU; 5k 0.340 s, 20k 0.329 s, 2k 0.457 s): a batch's arrays then fit
in memory this process has already touched instead of fresh pages (1.6k minor page faults a
run against 14k), and per batch a few milliseconds of fixed work stay few."""


@dataclass
class Applied:
    """The result of applying a program: ``L`` plus every row some LF could not read."""

    matrix: LabelMatrix
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def L(self) -> np.ndarray:  # noqa: N802 - Snorkel's name
        return self.matrix.L


PARALLEL_ROWS = 50_000
"""Below this many rows ``apply_program`` runs in one process whatever ``jobs`` says: the fork
and each process's first piece cost ~40-60 ms of CPU whatever the rows, so (measured, the
idle-core model of ``benchmarks/jobs_variants.py``) two processes were 0.95x one at 20k rows,
1.1x at 30k, 1.5x at 50k."""

WARM_ROWS = 2_000
"""Rows this process featurizes and evaluates alone before it forks (``runtime.forks``,
``first_alone``) when it has tokenized nothing yet (its ``tokens.chunk_store()`` is empty, as in
a new ``explicate apply``): the children inherit the tokenizer's cache of the words they share
instead of each learning it again. A process that has tokenized before (the studio, a notebook,
a second call) forks at once: the warm piece was measured 8.7 ms there, all of it with the
other core idle."""


def warm_rows(n: int) -> int:
    """The rows of ``n`` this process does alone before forking (see ``WARM_ROWS``)."""
    return min(WARM_ROWS, n // 10) if len(chunk_store()) == 0 else 0


PIECE_ROWS = 5_000
"""The fewest rows of a piece shared between processes (``runtime.forks``; the most is
``chunk_rows``): per piece a batch costs ~3 ms of fixed work, while the larger a piece, the more
pages each process faults in after the fork."""

_JOB: tuple[CachedProgram, pd.DataFrame, Schema, CacheChoice] | None = None  # forked ones read it


def _apply_rows(lo: int, hi: int) -> tuple[np.ndarray, list[RowProblem]]:
    """Rows ``[lo, hi)`` of the job: featurize and evaluate (here or in a forked child)."""
    assert _JOB is not None
    runner, df, schema, cache = _JOB
    problems: list[RowProblem] = []
    batch = build_batch(df.iloc[lo:hi], runner.program, schema, base=lo, problems=problems,
                        jobs=1, cache=cache, lazy_text=True)
    return runner.apply(batch), problems


def apply_program(program: Program, df: pd.DataFrame, schema: Schema, *,
                  progress: bool | None = None, chunk_rows: int = CHUNK_ROWS,
                  jobs: int | None = None, cache: CacheChoice = FROM_ENV,
                  lf_cache: bool = True, phases: Phases | None = None) -> Applied:
    """Run a compiled program over every row of ``df`` (rows are never dropped). The problems are
    the records the reader could not read (see ``read_problems``) and every field some LF could
    not read, all of them, by row. With ``jobs`` > 1 (None: ``EXPLICATE_JOBS``, else one)
    and at least ``PARALLEL_ROWS`` rows, pieces of rows are featurized and evaluated by this
    process and ``jobs - 1`` forked ones (``runtime.forks``); ``L`` and the problems are the
    same. ``cache``: see ``build_batch``; with
    ``lf_cache`` each LF's votes are kept beside it too (``runtime.result_cache``), so a run with
    unchanged rules on unchanged data evaluates nothing, and one with a new rule only that one.
    ``phases``: where this process's time goes is marked there (``runtime.forks.Phases``)."""
    global _JOB
    tune_heap()  # once per process (``runtime.heap``): batch arrays reuse the heap's pages
    if phases is not None:
        phases.start()
    n = len(df)
    dtype = ir.label_dtype(len(program.labels))
    problems: list[RowProblem] = read_problems(df)
    workers = default_jobs() if jobs is None else max(1, jobs)
    forked = workers > 1 and n >= PARALLEL_ROWS and fork_context() is not None
    with Progress(progress, n, f"applying {len(program.lfs)} LFs (rows)",
                  least=chunk_rows + 1) as advance:
        runner = CachedProgram(program, results_of(cache) if lf_cache else None)
        mark(phases, "inputs")
        if forked:
            _JOB = (runner, df, schema, cache)
            try:
                warm = warm_rows(n)
                L, found = run_forked(_apply_rows,
                                      pieces(n, workers, PIECE_ROWS, chunk_rows, first=warm),
                                      (n, len(program.lfs)), dtype, ir.ABSTAIN, workers,
                                      advance, first_alone=warm > 0, phases=phases)
            finally:
                _JOB = None
            for part in found:
                problems.extend(part)
        else:
            L = np.full((n, len(program.lfs)), ir.ABSTAIN, dtype=dtype)
            for start, chunk in iter_chunks(df, chunk_rows):
                batch = build_batch(chunk, program, schema, base=start, problems=problems,
                                    jobs=jobs, cache=cache, lazy_text=True)
                L[start : start + len(chunk)] = runner.apply(batch)
                advance(len(chunk))
                mark(phases, "pieces", len(chunk))
    problems.sort(key=lambda p: (p.row, p.field))
    mark(phases, "problems")
    return Applied(LabelMatrix(L, program.names, program.labels), problems)


def apply_file(rules_path: str | Path, data_path: str | Path,
               columns: Sequence[str] | None = None, progress: bool | None = None) -> Applied:
    """Apply a rule file to a data file."""
    rules = load_rules(rules_path)
    df = read_table(data_path, columns)
    program, schema = compile_for(rules, df)
    assert schema is not None
    return apply_program(program, df, schema, progress=progress)


def apply_rules(text: str, df: pd.DataFrame, base_dir: str | Path = ".") -> Applied:
    """Apply rules given as DSL text to a DataFrame (the Python API)."""
    rules, problems = parse_partial(text)
    program, schema = compile_for(RuleSource(rules, tuple(problems), Path(base_dir)), df)
    assert schema is not None
    return apply_program(program, df, schema, progress=False)
