"""Explanations → labeling functions: parse every reading, then filter (BabbleLabble's filter bank).

For each explanation (one English sentence about one labeled example) the semantic parser returns
every reading. Readings are then dropped, each with a typed reason (``select.Reason``), by the
filter bank of ``runtime.select``: compile, semantic (it must vote its label on its own example),
uniform (it must vote on some but not all of the pool), duplicate meaning, duplicate signature.

Policy: every reading that survives is kept (as BabbleLabble does); readings of one explanation
are correlated, so their pairs are returned as ``dependencies`` for the label model. With
``keep="best"`` only the first surviving reading (the simplest derivation) is kept. A *partial*
reading (one that had to leave out a quote, mention, negation, relation or comparison word) is
rejected as ``partial`` unless ``keep="partial"``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import Schema, compile_rules
from explicate.compiler.schema import FieldKind
from explicate.errors import DataError, Diagnostic, ExplicateError
from explicate.grammar import to_dsl
from explicate.grammar.explanation import Context, Parsed, parse_explanation
from explicate.runtime import entities as ner
from explicate.runtime.apply import apply_program
from explicate.runtime.concepts import Concept, Similar, Unfilled, concept_names, fill_concepts
from explicate.runtime.data import infer_schema, label_of, read_table
from explicate.runtime.progress import Progress
from explicate.runtime.select import (
    Candidate,
    FilterBank,
    Reason,
    Rejection,
    compile_filter,
    declarations,
    vote_tables,
)

RESERVED = ("label", "explanation", "name")
# What survives the filters: every reading that dropped no content ("all"), the first of those
# per explanation ("best"), or also readings that dropped content ("partial").
KEEP = ("all", "best", "partial")


@dataclass
class Explained:
    """What happened to one explanation."""

    index: int  # 1-based row of the explanations file
    text: str
    label: str | None
    parsed: Parsed
    readings: list[str] = field(default_factory=list)  # DSL
    kept: list[ir.LF] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    partial_kept: list[str] = field(default_factory=list)  # names of kept LFs from partial readings

    @property
    def full(self) -> bool:
        """An LF was kept from a reading that dropped no content."""
        return any(lf.name not in self.partial_kept for lf in self.kept)

    @property
    def full_represented(self) -> bool:
        """A complete reading of it is kept: its own LF, or one rejected only as a duplicate of
        a kept LF."""
        return self.full or any(r.reason.duplicate for r in self.rejections)

    @property
    def rejected(self) -> list[dict[str, str]]:
        """The rejections as report rows: ``reading``, ``reason`` (a message) and ``code``."""
        return [r.as_json() for r in self.rejections]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "explanation": self.text,
            "label": self.label,
            "readings": self.readings,
            "kept": [to_dsl(lf.when) for lf in self.kept],
            "kept_names": [lf.name for lf in self.kept],
            "rejected": self.rejected,
            "skipped_words": sorted({w for r in self.parsed.readings for w in r.skipped}),
            "partial": sorted({w for r in self.parsed.readings for w in r.dropped}),
            "unsupported": self.parsed.unsupported,
            "warnings": self.parsed.warnings,
            "errors": [d.render() for d in self.parsed.diagnostics],
        }


@dataclass
class ExplainResult:
    """Kept LFs as a rule file (``dsl``), and a report of every explanation."""

    labels: tuple[str, ...]
    explained: list[Explained]
    word_lists: dict[str, tuple[str, ...]]
    spans: dict[str, str]
    seconds: float
    pool_rows: int
    # Concepts the readings named ("indication of marriage"), filled from the data.
    concepts: dict[str, Concept] = field(default_factory=dict)

    @property
    def lfs(self) -> list[ir.LF]:
        return [lf for e in self.explained for lf in e.kept]

    @property
    def dependencies(self) -> list[tuple[int, int]]:
        """Pairs of kept LFs (indices into ``lfs``) that came from one explanation."""
        out: list[tuple[int, int]] = []
        k = 0
        for e in self.explained:
            ids = list(range(k, k + len(e.kept)))
            out.extend((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
            k += len(e.kept)
        return out

    @property
    def totals(self) -> dict[str, Any]:
        n = len(self.explained)
        parsed = sum(1 for e in self.explained if e.readings)
        kept = sum(1 for e in self.explained if e.kept)
        full = sum(1 for e in self.explained if e.full)
        full_represented = sum(1 for e in self.explained if e.full_represented)
        # Explanations whose meaning is kept: their own LF, or one rejected only as a duplicate.
        represented = sum(1 for e in self.explained if e.kept or any(
            r.reason.duplicate for r in e.rejections))
        readings = sum(len(e.readings) for e in self.explained)
        return {
            "explanations": n,
            "parsed": parsed,
            "kept": kept,
            "parse_rate": parsed / n if n else 0.0,
            "kept_rate": kept / n if n else 0.0,
            "full_kept": full,
            "full_kept_rate": full / n if n else 0.0,
            "full_represented": full_represented,
            "full_represented_rate": full_represented / n if n else 0.0,
            "represented": represented,
            "represented_rate": represented / n if n else 0.0,
            "readings": readings,
            "readings_per_explanation": readings / n if n else 0.0,
            "lfs": len(self.lfs),
            "pool_rows": self.pool_rows,
            "seconds": round(self.seconds, 3),
        }

    @property
    def report(self) -> dict[str, Any]:
        out = {"explanations": [e.as_json() for e in self.explained], "totals": self.totals}
        if self.concepts:
            out["concepts"] = {k: c.as_json() for k, c in self.concepts.items()}
        return out

    @property
    def dsl(self) -> str:
        """A complete rule file: labels, word lists, mentions and every kept LF, each under the
        explanation it came from."""
        used = {n.name for lf in self.lfs for n in ir.walk(lf.when) if isinstance(n, ir.WordList)}
        lists = {k: v for k, v in self.word_lists.items() if k in used}
        lines = [f"# Generated by `explicate explain`: {len(self.explained)} explanations, "
                 f"{len(self.lfs)} LFs kept."]
        lines += [to_dsl(d) for d in declarations(self.labels, lists, self.spans)]
        for e in self.explained:
            if not e.kept:
                continue
            lines.append("")
            lines.append(f"# [{e.index}] {' '.join(e.text.split())}")
            lines += [to_dsl(lf) for lf in e.kept]
        return "\n".join(lines) + "\n"




def explain(
    explanations: str | Path | pd.DataFrame,
    labels: Sequence[str],
    *,
    pool: pd.DataFrame | str | Path | None = None,
    word_lists: Mapping[str, Sequence[str]] | None = None,
    label_map: Mapping[str, str] | None = None,
    keep: str = "all",
    columns: Sequence[str] | None = None,
    similar: Similar | None = None,
) -> ExplainResult:
    """Turn explanations into labeling functions.

    ``explanations`` is a table (CSV/TSV/JSONL path or DataFrame) with a ``label`` column (a
    label name, or a 1-based index into ``labels``), an ``explanation`` column, and the example's
    own fields. ``pool`` is unlabeled data for the uniform and duplicate-signature filters
    (``columns`` names its columns when it has no header). ``label_map`` rewrites label values
    first (``{"1": "SPOUSE", "2": "NOT_SPOUSE"}``). A reading that names a concept ("no
    indication of marriage") gets a word list from the pool's words nearest the concept
    (``runtime.concepts``; ``similar`` replaces the MiniLM similarity).
    """
    t0 = time.perf_counter()
    labels = tuple(labels)
    if len(labels) < 2:
        raise DataError([Diagnostic("E205", "explain needs at least two labels", None, "",
                                    ("pass them in id order, e.g. NOT_SPOUSE,SPOUSE",))])
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}")
    df = explanations if isinstance(explanations, pd.DataFrame) else read_table(explanations)
    missing = [c for c in ("label", "explanation") if c not in df.columns]
    if missing:
        raise DataError([Diagnostic("E403", f"the explanations have no {' or '.join(missing)} "
                                    "column", None, "",
                                    (f"columns are: {', '.join(map(str, df.columns))}",))])
    pool_df = None
    if pool is not None:
        pool_df = pool if isinstance(pool, pd.DataFrame) else read_table(pool, columns)
    examples = df.drop(columns=[c for c in RESERVED if c in df.columns]).reset_index(drop=True)
    schema = infer_schema(pool_df if pool_df is not None else examples)
    schema = _restrict(schema, examples)
    lists = {k: tuple(str(w) for w in v) for k, v in (word_lists or {}).items()}
    texts = tuple(n for n, k in schema.kinds.items() if k is FieldKind.TEXT)
    objects = tuple(n for n, k in schema.kinds.items() if k is FieldKind.OBJECTS)
    lmap = {str(k): str(v) for k, v in (label_map or {}).items()}

    explained: list[Explained] = []
    with Progress(None, len(df), "reading explanations", least=50) as advance:
        for i, row in enumerate(df.itertuples(index=False)):
            explained.append(_explain_row(i, row, df, labels, lmap, schema, texts, lists,
                                          objects))
            advance()

    source = pool_df if pool_df is not None else examples
    names = concept_names((r.when for e in explained for r in e.parsed.readings), lists)
    concepts, unfilled = fill_concepts(names, source, [t for t in texts if t in source.columns],
                                       similar=similar)
    lists.update({name: c.words for name, c in concepts.items()})
    _filter(explained, labels, lists, schema, examples, pool_df, keep, unfilled)
    return ExplainResult(labels, explained, lists, dict(schema.span_of),
                         time.perf_counter() - t0, 0 if pool_df is None else len(pool_df),
                         concepts)


def _explain_row(i: int, row: tuple[Any, ...], df: pd.DataFrame, labels: tuple[str, ...],
                 lmap: dict[str, str], schema: Schema, texts: tuple[str, ...],
                 lists: dict[str, tuple[str, ...]], objects: tuple[str, ...]) -> Explained:
    """One row of an explanations table, read in the context of its example."""
    values = dict(zip(map(str, df.columns), row, strict=True))
    label = label_of(values["label"], labels, lmap, f"row {i + 1}") if pd.notna(values["label"]) \
        else None
    text = str(values["explanation"]) if pd.notna(values["explanation"]) else ""
    example = {k: v for k, v in values.items() if k not in RESERVED}
    ctx = Context(labels, dict(schema.span_of), texts, lists, example, objects)
    parsed = parse_explanation(text, ctx, name=f"explanation {i + 1}")
    return Explained(i + 1, text, label, parsed)


def _restrict(schema: Schema, examples: pd.DataFrame) -> Schema:
    # Only fields the examples have can be checked by the semantic filter.
    kinds = {k: v for k, v in schema.kinds.items() if k in examples.columns}
    span_of = {k: v for k, v in schema.span_of.items() if k in kinds and v in kinds}
    return Schema(kinds, span_of, schema.other, schema.columns)


def _filter(explained: list[Explained], labels: tuple[str, ...], lists: dict[str, tuple[str, ...]],
            schema: Schema, examples: pd.DataFrame, pool: pd.DataFrame | None, keep: str,
            unfilled: Mapping[str, Unfilled] | None = None) -> None:
    """Run every reading through the filter bank (``runtime.select``), recording on each
    explanation what was kept and why the rest was dropped."""
    decls = declarations(labels, lists, {})
    gaps = dict(unfilled or {})  # concepts the data did not fill
    candidates: list[Candidate] = []
    for e in explained:
        seen: set[str] = set()
        for k, reading in enumerate(e.parsed.readings):
            dsl = to_dsl(reading.when)
            if dsl in seen:
                continue
            seen.add(dsl)
            e.readings.append(dsl)
            label = e.label or reading.label
            if label is None:
                e.rejections.append(Rejection(dsl, Reason.NO_LABEL, "no label: give one in the "
                                              "label column or say 'label X because ...'"))
                continue
            if e.label and reading.label and reading.label != e.label:
                e.rejections.append(Rejection(dsl, Reason.LABEL_CONFLICT, "the sentence says "
                                              f"{reading.label} but the label column says "
                                              f"{e.label}"))
                continue
            if reading.partial and keep != "partial":
                dropped = ", ".join(reading.dropped)
                e.rejections.append(Rejection(dsl, Reason.PARTIAL, f"partial: the reading leaves "
                                              f"out {dropped} (keep them with --keep partial)"))
                continue
            name = f"e{e.index}" if k == 0 else f"e{e.index}_{k + 1}"
            if reading.partial:
                e.partial_kept.append(name)
            candidate = Candidate(e.index, ir.LF(name, ir.Label(label), reading.when), dsl)
            concept = next((gaps[n.name] for n in ir.walk(reading.when) if isinstance(
                n, ir.WordList) and n.name in gaps), None)
            if concept is not None:
                e.rejections.append(Rejection(dsl, Reason.NEEDS_EXTRA if concept.missing_extra
                                              else Reason.COMPILE, concept.message))
                continue
            rejection = compile_filter(candidate, decls, schema)
            missing = ner.missing_for(candidate.lf)
            if rejection is None and missing is not None:
                rejection = Rejection(dsl, Reason.NEEDS_EXTRA, missing)
            if rejection is not None:
                e.rejections.append(rejection)
                continue
            candidates.append(candidate)
    if not candidates:
        return
    on_examples, on_pool = vote_tables(candidates, decls, schema, examples, pool)
    bank = FilterBank(labels, on_examples, on_pool, keep_best=keep == "best")
    for j, c in enumerate(candidates):
        e = explained[c.index - 1]
        rejection = bank.judge(j, c)
        if rejection is None:
            e.kept.append(c.lf)
        else:
            e.rejections.append(rejection)


def votes(result: ExplainResult, data: pd.DataFrame) -> np.ndarray:
    """The kept LFs' label matrix on ``data`` (rows in order, ABSTAIN = -1)."""
    decls = declarations(result.labels, result.word_lists, result.spans)
    if not result.lfs:
        return np.full((len(data), 0), ir.ABSTAIN, dtype=np.int8)
    schema = infer_schema(data, dict(result.spans))
    program = compile_rules(ir.RuleFile((*decls, *result.lfs)), schema)
    return apply_program(program, data, schema, progress=False).L


def word_lists_from_file(path: str | Path) -> dict[str, tuple[str, ...]]:
    """Word lists from a rule file's ``words NAME = "a", "b"`` (or ``from FILE``) lines."""
    from explicate.compiler.resolve import read_word_file
    from explicate.runtime.apply import load_rules

    source = load_rules(path)
    if source.syntax_errors:
        raise ExplicateError(list(source.syntax_errors))
    out: dict[str, tuple[str, ...]] = {}
    for stmt in source.rules.statements:
        if isinstance(stmt, ir.WordsDecl):
            if stmt.path is not None:
                word_file = source.base_dir / stmt.path
                if not word_file.is_file():
                    raise ExplicateError([Diagnostic("E207", f"word file '{stmt.path}' not found",
                                                     stmt.span, "")])
                out[stmt.name] = tuple(p.text for p in read_word_file(word_file))
            else:
                out[stmt.name] = tuple(p.text for p in stmt.items)
    return out
