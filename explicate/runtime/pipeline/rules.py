"""A pipeline's rules: every rule file and explanation file compiled against the train split
(:class:`RuleSet`), applied to a split (cached by content), and the end model's input fields
read from them."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import FieldKind, Program, Schema
from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar import to_dsl
from explicate.grammar.parse import parse_partial
from explicate.runtime.apply import RuleSource, apply_program, compile_for
from explicate.runtime.data import RowProblem, infer_schema
from explicate.runtime.end_model import TextSpec
from explicate.runtime.engine import Engine, apply_frame
from explicate.runtime.explain import explain, word_lists_from_file
from explicate.runtime.pipeline.artifacts import write_atomic
from explicate.runtime.pipeline.config import E_CONFIG, PipelineConfig
from explicate.runtime.pipeline.splits import gold_labels

Log = Callable[[str], None]


@dataclass
class RuleSet:
    """The rules of every source, compiled against the train split's schema."""

    labels: tuple[str, ...]
    programs: list[tuple[str, Program]]  # (source name, program)
    dependencies: list[tuple[int, int]]  # pairs of LF columns (from one explanation)
    # The train split's schema per source: every split is read with it (same columns), so a
    # mention detected on train stays a mention on dev and test.
    schemas: dict[str, Schema] = field(default_factory=dict)
    explain_reports: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Sketch files: per file the fill report (with how the dev labels were used), and per filled
    # LF (by its final name) the sketch it fills, as written.
    sketch_reports: dict[str, Any] = field(default_factory=dict)
    sketch_of: dict[str, str] = field(default_factory=dict)

    @property
    def lf_names(self) -> tuple[str, ...]:
        return tuple(n for _, p in self.programs for n in p.names)

    def dsl(self) -> str:
        """All LFs used, as one canonical rule file (word lists expanded)."""
        lines = ["# rules.lf: every LF this pipeline used, canonical DSL (word lists expanded).",
                 f"labels: {', '.join(self.labels)}"]
        spans: dict[str, list[str]] = {}
        for _, program in self.programs:
            for s, t in program.spans.items():
                if s not in spans.get(t, []):
                    spans.setdefault(t, []).append(s)
        lines += [f"spans: {', '.join(s)} in {t}" for t, s in spans.items()]
        for name, program in self.programs:
            lines.append(f"\n# from {name}")
            last = None
            for lf in program.lowered:
                sketch = self.sketch_of.get(lf.name)
                if sketch is not None and sketch != last:
                    lines.append(f"# sketch: {sketch}")
                last = sketch
                lines.append(to_dsl(lf))
        return "\n".join(lines) + "\n"

    def sketch_names(self) -> dict[str, str]:
        """The name of the sketch each filled LF fills (plain LFs are not in it)."""
        return {lf: re.sub(r"^lf\s+([^:]+):.*$", r"\1", dsl, flags=re.S)
                for lf, dsl in self.sketch_of.items()}


@dataclass
class _Sources:
    """What compiling the sources collects, before the LF names are made unique."""

    programs: list[tuple[str, Program]] = field(default_factory=list)
    schemas: dict[str, Schema] = field(default_factory=dict)
    dependencies: list[tuple[int, int]] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)
    sketch_reports: dict[str, Any] = field(default_factory=dict)
    sketch_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, LF) -> sketch

    def add(self, name: str, program: Program, schema: Schema | None) -> None:
        assert schema is not None
        self.programs.append((name, program))
        self.schemas[name] = schema


def _parse_listed(cfg: PipelineConfig, f: Path, kind: str, key: str, diags: list[Diagnostic]
                  ) -> tuple[ir.RuleFile, list[Diagnostic]] | None:
    """A file named in ``[rules] key``, parsed (syntax errors kept for the compiler); a missing
    one is a diagnostic pointing at that key."""
    if not f.is_file():
        diags.append(Diagnostic(E_CONFIG, f"[rules] {kind} file '{f}' not found",
                                cfg.where("rules", key)))
        return None
    return parse_partial(f.read_text(encoding="utf-8"), str(f))


def _rule_files(cfg: PipelineConfig, pool: pd.DataFrame, found: _Sources,
                diags: list[Diagnostic]) -> None:
    for f in cfg.rule_files:
        if (parsed := _parse_listed(cfg, f, "rule", "files", diags)) is None:
            continue
        rules, syntax = parsed
        try:
            program, schema = compile_for(RuleSource(rules, tuple(syntax), f.parent), pool)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
            continue
        found.add(f.name, program, schema)


def _explanation_files(cfg: PipelineConfig, labels: tuple[str, ...], pool: pd.DataFrame,
                       found: _Sources, log: Log, diags: list[Diagnostic]) -> None:
    word_lists: dict[str, tuple[str, ...]] = {}
    if cfg.word_lists is not None:
        try:
            word_lists = word_lists_from_file(cfg.word_lists)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
    for f in cfg.explanations:
        if not f.is_file():
            diags.append(Diagnostic(E_CONFIG, f"[rules] explanation file '{f}' not found",
                                    cfg.where("rules", "explanations")))
            continue
        try:
            result = explain(f, labels, pool=pool, word_lists=word_lists,
                             label_map=cfg.explanation_label_map or None, keep=cfg.keep)
            rules, syntax = parse_partial(result.dsl, f"{f.name} (explained)")
            program, schema = compile_for(RuleSource(rules, tuple(syntax), f.parent), pool)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
            continue
        totals = result.totals
        log(f"explanations {f.name}: {totals['explanations']} read, {totals['parsed']} "
            f"parsed, {totals['lfs']} LFs kept")
        offset = sum(len(p.lfs) for _, p in found.programs)
        found.dependencies += [(offset + a, offset + b) for a, b in result.dependencies]
        found.reports[f.name] = result.report
        found.add(f"{f.name} (explanations)", program, schema)


def _sketch_files(cfg: PipelineConfig, labels: tuple[str, ...] | None, pool: pd.DataFrame,
                  dev: pd.DataFrame | None, found: _Sources, log: Log,
                  diags: list[Diagnostic]) -> None:
    """Fill every sketch file from the pool (train) and the dev split's gold labels."""
    from explicate.runtime.sketch import fill

    gold_col = cfg.label_column
    for f in cfg.sketch_files:
        if (parsed := _parse_listed(cfg, f, "sketch", "sketches", diags)) is None:
            continue
        rules, syntax = parsed
        file_labels = labels or rules.labels
        if dev is None or gold_col is None or gold_col not in dev.columns or not file_labels:
            continue  # reported by the config and column checks
        try:
            gold = gold_labels(dev, gold_col, file_labels, cfg.label_map, "dev")
            result = fill(rules, pool, dev.drop(columns=[gold_col]), gold,
                          seed=cfg.label_model_seed, base_dir=f.parent,
                          syntax_errors=tuple(syntax))
            program, schema = compile_for(RuleSource(result.rules, (), f.parent), pool)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
            continue
        source = f"{f.name} (sketches)"
        sketches = {lf.name: to_dsl(lf) for lf in result.source.lfs}
        for fl in result.fills:
            found.sketch_of[(source, fl.name)] = sketches[fl.sketch]
        offset = sum(len(p.lfs) for _, p in found.programs)
        index = {lf.name: i for i, lf in enumerate(program.lfs)}
        if cfg.sketch_dependencies:
            found.dependencies += [(offset + index[a], offset + index[b])
                                   for a, b in result.dependencies]
        labeled = int((gold != ir.ABSTAIN).sum())
        found.sketch_reports[f.name] = {
            "dev_rows": len(dev), "dev_rows_labeled": labeled,
            "dev_labels_used_for": "filling the sketches (choosing their values)",
            "dev_labels_train_end_model": False,
            "dev_labels_pick_end_model_epoch": True,
            "dependencies_declared": cfg.sketch_dependencies,
            **result.report()}
        log(f"sketches {f.name}: {len(result.sketches)} sketches, {len(result.fills)} fills "
            f"chosen on {labeled} labeled dev rows ({result.seconds:.1f}s)")
        found.add(source, program, schema)


def _unique_names(programs: list[tuple[str, Program]], notes: list[str]
                  ) -> list[tuple[str, Program]]:
    """LF names unique across sources: later duplicates get their source's name in front."""
    seen: set[str] = set()
    renamed: list[tuple[str, Program]] = []
    for name, program in programs:
        stem = re.sub(r"\W+", "_", name.split(" ")[0].rsplit(".", 1)[0])
        lfs = []
        for lf, low in zip(program.lfs, program.lowered, strict=True):
            new = lf.name if lf.name not in seen else f"{stem}_{lf.name}"
            if new != lf.name:
                notes.append(f"LF '{lf.name}' of {name} renamed '{new}' (name used before)")
            seen.add(new)
            lfs.append((replace(lf, name=new), replace(low, name=new)))
        renamed.append((name, replace(program, lfs=tuple(a for a, _ in lfs),
                                      lowered=tuple(b for _, b in lfs))))
    return renamed


def compile_sources(cfg: PipelineConfig, pool: pd.DataFrame, log: Log,
                    diags: list[Diagnostic], dev: pd.DataFrame | None = None) -> RuleSet | None:
    """Compile every rule file, fill every sketch file from ``dev`` (the dev split with its
    gold column) and turn every explanation file into LFs (all errors at once; sketches and
    explanations, which take seconds, only when nothing else is wrong)."""
    found = _Sources()
    _rule_files(cfg, pool, found, diags)
    labels = cfg.labels or next((p.labels for _, p in found.programs), None)
    if cfg.sketch_files and not diags:
        _sketch_files(cfg, labels, pool, dev, found, log, diags)
        labels = labels or next((p.labels for _, p in found.programs), None)
    if cfg.explanations and not diags:
        if labels is None:
            diags.append(Diagnostic(E_CONFIG, "[rules] explanations need the labels",
                                    cfg.where("rules", "explanations"), "",
                                    ("add labels = [\"NEG\", \"POS\"] (id order) to [rules], or a "
                                     "rule file with a labels: line",)))
        else:
            _explanation_files(cfg, labels, pool, found, log, diags)
    if diags or labels is None:
        return None
    for name, program in found.programs:
        if program.labels != labels:
            diags.append(Diagnostic(E_CONFIG, f"{name} declares labels {', '.join(program.labels)}"
                                    f" but the pipeline's are {', '.join(labels)}", None, "",
                                    ("every rule file must list the same labels in the same "
                                     "order",)))
    notes: list[str] = []
    renamed = _unique_names(found.programs, notes)
    if not renamed:
        diags.append(Diagnostic(E_CONFIG, "no rules: the rule sources hold no LF"))
    sketch_of = {new.name: found.sketch_of[(name, old.name)]
                 for (name, before), (_, after) in zip(found.programs, renamed, strict=True)
                 for old, new in zip(before.lfs, after.lfs, strict=True)
                 if (name, old.name) in found.sketch_of}
    return RuleSet(labels, renamed, found.dependencies, found.schemas, found.reports, notes,
                   found.sketch_reports, sketch_of)


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with list and dict cells (WRENCH's weak_labels, image objects) as JSON text, which
    pandas can hash."""
    nested = [c for c in df.columns if df[c].dtype == object
              and df[c].map(lambda v: isinstance(v, list | dict | tuple)).any()]
    if not nested:
        return df
    out = df.copy()
    for c in nested:
        out[c] = out[c].map(lambda v: json.dumps(v, sort_keys=True, default=str)
                            if isinstance(v, list | dict | tuple) else v)
    return out


def content_key(*parts: Any) -> str:
    """A digest of data frames (their content and columns), files (their bytes) and values."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(_hashable(part), index=False).to_numpy().tobytes())
            h.update(",".join(map(str, part.columns)).encode())
        elif isinstance(part, Path):
            h.update(part.read_bytes())
        elif isinstance(part, np.ndarray):  # (repr would elide a large array)
            h.update(f"{part.dtype}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def apply_all(rules: RuleSet, df: pd.DataFrame, cache: Path | None,
              problems: list[RowProblem], engine: Engine | None = None) -> np.ndarray:
    """L of every source's LFs on ``df`` side by side (cached by rules + data content); with an
    ``engine``, row chunks run on it (same L)."""
    key = content_key(rules.dsl(), df)
    hit = cache / f"L-{key}.npz" if cache is not None else None
    if hit is not None and hit.is_file():
        cached = _read_cached(hit, len(df), len(rules.lf_names))
        if cached is not None:
            problems.extend(cached[1])
            return cached[0]
    parts = []
    seen: set[RowProblem] = set()
    for name, program in rules.programs:
        applied = apply_program(program, df, rules.schemas[name]) \
            if engine is None else apply_frame(program, df, rules.schemas[name], engine)
        parts.append(applied.L)
        # Each program reports the records the reader could not read; list those once.
        fresh = [p for p in applied.problems if p not in seen]
        seen.update(fresh)
        problems.extend(fresh)
    L = np.concatenate(parts, axis=1) if parts else np.zeros((len(df), 0), ir.label_dtype(len(rules.labels)))
    if hit is not None:
        write_atomic(hit, lambda tmp: np.savez_compressed(
            tmp, L=L, rows=np.array([p.row for p in problems], dtype=np.int64),
            fields=np.array([p.field for p in problems], dtype=str),
            problems=np.array([p.problem for p in problems], dtype=str)))
    return L


def _read_cached(path: Path, n: int, m: int) -> tuple[np.ndarray, list[RowProblem]] | None:
    """A cache entry if it is whole and fits (n rows, m LFs); a bad one is deleted (None: the
    caller rebuilds it). Entries are written by rename, but a disk can fill or a file be cut."""
    try:
        with np.load(path, allow_pickle=False) as z:
            L = z["L"]
            found = [RowProblem(int(r), str(f), str(p))
                     for r, f, p in zip(z["rows"], z["fields"], z["problems"], strict=True)]
        if L.shape == (n, m) and np.issubdtype(L.dtype, np.integer):
            return L, found
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass
    path.unlink(missing_ok=True)
    return None


def text_spec(cfg: PipelineConfig, rules: RuleSet, pool: pd.DataFrame) -> TextSpec:
    """What the end model reads: ``[data] text``/``mentions``, else the fields the rules read
    (two spans of one text: a relation candidate)."""
    spans: dict[str, str] = {}
    read: dict[str, None] = {}
    for name, program in rules.programs:
        span_of = {**rules.schemas[name].span_of, **program.spans}
        for fname, kind in program.field_kinds.items():
            if kind is FieldKind.SPAN:
                spans[fname] = span_of[fname]
                read.setdefault(span_of[fname], None)
            elif kind is FieldKind.TEXT:
                read.setdefault(fname, None)
    mentions = cfg.mentions
    if mentions is None and len(spans) == 2 and len(set(spans.values())) == 1:
        a, b = sorted(spans)
        mentions = (a, b)
    host = spans.get(mentions[0]) if mentions else None
    if mentions is not None and host is None:
        host = infer_schema(pool, {}).span_of.get(mentions[0])
    text = cfg.text or tuple(c for c in read if c not in (mentions or ()))
    if not text and host:
        text = (host,)
    return TextSpec(tuple(text), mentions, host)
