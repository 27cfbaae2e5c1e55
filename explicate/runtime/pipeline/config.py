"""The pipeline file: one dataclass per TOML section, the key/type schema read from them, and the
checks that name the file's line for every mistake (code E501).

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
    sketches = ["sketches.lf"]            # LFs with holes, filled from the dev split's gold labels
    explanations = ["explanations.csv"]   # English; needs `labels` unless a rule file gives them
    labels = ["NOT_SPOUSE", "SPOUSE"]
    explanation_label_map = { "1" = "SPOUSE", "2" = "NOT_SPOUSE" }
    word_lists = "words.lf"               # `words` lines the explanations may name

    [label_model]
    method = "auto"              # a registered label model method
    class_balance = [0.7, 0.3]   # optional: P(label) in label order (unset: learned)

    [end_model]
    kind = "linear"              # a registered end model kind ("linear", "minilm", ...)
    epochs = 30                  # and lr, batch_size, seed, device, confidence_weighted,
                                 # include_uncovered, finetune, patience
    gold_upper_bound = true      # also train it on the train split's gold labels

    [engine]
    kind = "threads"             # serial (default), threads, processes, dask: where the row
    workers = 2                  #   chunks of each split are labeled; dask: workers of a local
    scheduler = "tcp://host:8786"  # cluster, or a running scheduler's address (not both)

    [output]
    dir = "out"
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explicate import ir
from explicate.errors import Diagnostic, ExplicateError, did_you_mean
from explicate.runtime.end_model import get_kind, kinds
from explicate.runtime.engine import engine_names
from explicate.runtime.label_model import METHODS

SPLITS = ("train", "dev", "test")
# code for a pipeline file's own mistakes; E502: the rules vote on no row.
E_CONFIG, E_NO_VOTES = "E501", "E502"


def _key(meaning: str, default: Any = None) -> Any:
    """A section key: its default and what it means (shown in type mistakes)."""
    return field(default=default, metadata={"meaning": meaning})


# ---------------------------------------------------------------------------- the sections
@dataclass
class DataSection:
    """``[data]``: the splits and how to read them."""

    train: str | None = _key("the pool the rules label")
    dev: str | None = _key("a labeled split for early stopping")
    test: str | None = _key("a labeled split for the comparison")
    columns: list[str] | None = _key("column names for files without a header")
    label_column: str | None = _key("the gold label column")
    label_map: dict[str, str] | None = _key("gold value -> label name")
    positive: str | None = _key("the positive label for P/R/F1")
    text: list[str] | None = _key("the text fields the end model reads")
    mentions: list[str] | None = _key("two mention fields (relation candidates)")


@dataclass
class RulesSection:
    """``[rules]``: rule files and English explanations."""

    files: list[str] | None = _key(".lf rule files")
    sketches: list[str] | None = _key(".lf files of sketches (LFs with holes), filled from the "
                                      "[data] dev split's gold labels")
    sketch_dependencies: bool = _key("declare the fills of one sketch dependent to the label "
                                     "model", True)
    explanations: list[str] | None = _key("English explanation files")
    labels: list[str] | None = _key("label names in id order")
    explanation_label_map: dict[str, str] | None = _key("explanation label value -> label name")
    word_lists: str | None = _key("a file of `words` lines for the explanations")
    keep: str = _key("'all' or 'best' readings of an explanation", "all")


@dataclass
class LabelModelSection:
    """``[label_model]``."""

    method: str = _key("the label model method", "auto")
    seed: int = _key("random seed", 0)
    class_balance: list[float] | None = _key("P(label), one share per label in id order, "
                                             "summing to 1 (unset: learned)")


@dataclass
class EndModelSection:
    """``[end_model]``: the kind and its training settings (unset: the kind's defaults)."""

    kind: str = _key("a registered end model kind", "linear")
    epochs: int | None = _key("training epochs (at most, with a dev split)")
    lr: float | None = _key("learning rate")
    batch_size: int | None = _key("rows per step")
    weight_decay: float | None = _key("weight decay")
    seed: int | None = _key("random seed")
    device: str | None = _key("auto, cpu or cuda")
    confidence_weighted: bool | None = _key("weight rows by the label model's confidence")
    include_uncovered: bool | None = _key("also train on rows no LF votes on")
    finetune: bool | str | None = _key("train the encoder too (minilm; 'auto': on a GPU)")
    patience: int | None = _key("epochs without dev improvement before stopping")
    gold_upper_bound: bool = _key("also train on the train split's gold labels", True)


@dataclass
class EngineSection:
    """``[engine]``: where the rules run over each split's row chunks."""

    kind: str = _key("a registered engine: serial, threads, processes, dask", "serial")
    workers: int | None = _key("workers (threads, processes, local Dask worker processes)")
    scheduler: str | None = _key("a running Dask scheduler's address (kind = \"dask\")")


@dataclass
class OutputSection:
    """``[output]``."""

    dir: str = _key("the output folder", "explicate-out")


SECTIONS: dict[str, type] = {"data": DataSection, "rules": RulesSection,
                             "label_model": LabelModelSection, "end_model": EndModelSection,
                             "engine": EngineSection, "output": OutputSection}


@dataclass(frozen=True)
class KeySpec:
    """One key of the schema: the types its value may have and what it means."""

    types: tuple[type, ...]
    meaning: str
    item: type = str  # what a list holds
    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return bool in self.types
        if isinstance(value, int) and float in self.types:
            return True  # an int where a float is asked is fine (lr = 1)
        if not isinstance(value, self.types):
            return False
        if isinstance(value, list):
            if self.item is float:
                return all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            return all(isinstance(v, str) for v in value)
        return True

    def wanted(self) -> str:
        if self.types == (float,):
            return "float or int"
        if len(self.types) > 1:
            return " or ".join(t.__name__ for t in self.types)
        names: dict[type, str] = {list: "a list of numbers" if self.item is float
                                  else "a list of strings", dict: "a table", str: "a string"}
        return names.get(self.types[0], self.types[0].__name__)


def _types(hint: Any) -> tuple[type, ...]:
    """The runtime types of a section field's annotation (``None`` dropped: it means unset)."""
    parts = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return tuple(typing.get_origin(p) or p for p in parts if p is not type(None))


def _item(hint: Any) -> type:
    """What a ``list[...]`` annotation holds (``str`` unless it says ``float``)."""
    parts = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for p in parts:
        if typing.get_origin(p) is list and typing.get_args(p) == (float,):
            return float
    return str


def _schema(cls: type) -> dict[str, KeySpec]:
    hints = typing.get_type_hints(cls)
    return {f.name: KeySpec(_types(hints[f.name]), f.metadata["meaning"], _item(hints[f.name]))
            for f in dataclasses.fields(cls)}


SCHEMA: dict[str, dict[str, KeySpec]] = {name: _schema(cls) for name, cls in SECTIONS.items()}


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
    sketch_files: tuple[Path, ...] = ()
    sketch_dependencies: bool = True
    explanations: tuple[Path, ...] = ()
    labels: tuple[str, ...] | None = None
    explanation_label_map: dict[str, str] = field(default_factory=dict)
    word_lists: Path | None = None
    keep: str = "all"
    method: str = "auto"
    label_model_seed: int = 0
    class_balance: tuple[float, ...] | None = None
    end_model: dict[str, Any] = field(default_factory=dict)  # [end_model] keys that are set
    gold_upper_bound: bool = True
    engine: str = "serial"
    engine_workers: int | None = None
    engine_scheduler: str | None = None
    output: Path = Path("explicate-out")
    source: ir.Source | None = None

    def split_paths(self) -> dict[str, Path]:
        return {s: p for s, p in (("train", self.train), ("dev", self.dev), ("test", self.test))
                if p is not None}

    def where(self, section: str, key: str | None = None) -> ir.Span | None:
        """Where ``key`` (or ``[section]``) is written in the pipeline file, if it was read."""
        return locate(self.source, section, key) if self.source is not None else None


def locate(source: ir.Source, section: str, key: str | None) -> ir.Span | None:
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


def _check_tables(raw: Mapping[str, Any], bad: Callable[..., None]) -> dict[str, dict[str, Any]]:
    """The well-typed keys of every known section; every unknown or ill-typed one reported."""
    tables: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for section, table in raw.items():
        if section not in SCHEMA:
            bad(section, None, f"unknown section [{section}]",
                *did_you_mean(section, SCHEMA, "sections"))
            continue
        if not isinstance(table, dict):
            bad(section, None, f"'{section}' must be a table ([{section}])")
            continue
        for key, value in table.items():
            spec = SCHEMA[section].get(key)
            if spec is None:
                bad(section, key, f"unknown key '{key}' in [{section}]",
                    *did_you_mean(key, SCHEMA[section], "keys"))
            elif not spec.accepts(value):
                bad(section, key, f"[{section}] {key} must be {spec.wanted()} ({spec.meaning}), "
                    f"got {value!r}")
            else:
                tables[section][key] = value
    return tables


def config_from_dict(raw: Mapping[str, Any], base: str | Path = ".",
                     source: ir.Source | None = None) -> PipelineConfig:
    """A config from the pipeline file's tables (relative paths resolved against ``base``)."""
    base = Path(base)
    diags: list[Diagnostic] = []

    def bad(section: str, key: str | None, message: str, *hints: str) -> None:
        span = locate(source, section, key) if source is not None else None
        diags.append(Diagnostic(E_CONFIG, message, span, "", hints))

    tables = _check_tables(raw, bad)
    data = DataSection(**tables["data"])
    rules = RulesSection(**tables["rules"])
    lm = LabelModelSection(**tables["label_model"])
    em = EndModelSection(**tables["end_model"])
    out = OutputSection(**tables["output"])
    eng = EngineSection(**tables["engine"])
    raw_data = raw.get("data")
    if not isinstance(raw_data, dict) or "train" not in raw_data:
        bad("data", None, "[data] needs 'train': the data file the rules label")
    if not rules.files and not rules.explanations and not rules.sketches:
        bad("rules", None, "[rules] needs 'files' (.lf rule files), 'sketches' or 'explanations'")
    if rules.sketches and (data.dev is None or data.label_column is None):
        bad("rules", "sketches", "[rules] sketches are filled from the gold labels of the dev "
            "split, but " + ("[data] has no 'dev'" if data.dev is None else
                             "[data] names no 'label_column'"),
            'set [data] dev = "dev.csv" and label_column = "label" (the labeled rows that fill '
            "the holes)")
    if data.mentions is not None and len(data.mentions) != 2:
        bad("data", "mentions", "[data] mentions must name exactly two fields")
    _check_ranges(tables, bad)
    if diags or data.train is None:
        raise ExplicateError(diags)

    def path(v: str) -> Path:
        return (base / v).resolve()

    end_model = {k: v for k, v in tables["end_model"].items() if k != "gold_upper_bound"}
    return PipelineConfig(
        train=path(data.train),
        dev=path(data.dev) if data.dev is not None else None,
        test=path(data.test) if data.test is not None else None,
        columns=tuple(data.columns) if data.columns is not None else None,
        label_column=data.label_column,
        label_map={str(k): str(v) for k, v in (data.label_map or {}).items()},
        positive=data.positive,
        text=tuple(data.text) if data.text is not None else None,
        mentions=(data.mentions[0], data.mentions[1]) if data.mentions is not None else None,
        rule_files=tuple(path(f) for f in rules.files or ()),
        sketch_files=tuple(path(f) for f in rules.sketches or ()),
        sketch_dependencies=rules.sketch_dependencies,
        explanations=tuple(path(f) for f in rules.explanations or ()),
        labels=tuple(rules.labels) if rules.labels is not None else None,
        explanation_label_map={str(k): str(v)
                               for k, v in (rules.explanation_label_map or {}).items()},
        word_lists=path(rules.word_lists) if rules.word_lists is not None else None,
        keep=rules.keep,
        method=lm.method,
        label_model_seed=lm.seed,
        class_balance=tuple(float(x) for x in lm.class_balance)
        if lm.class_balance is not None else None,
        end_model=end_model,
        gold_upper_bound=em.gold_upper_bound,
        engine=eng.kind,
        engine_workers=eng.workers,
        engine_scheduler=eng.scheduler,
        output=path(out.dir),
        source=source,
    )


# [end_model] numbers: (smallest allowed, whether the smallest itself is allowed, what it means).
RANGES: dict[str, tuple[float, bool, str]] = {
    "lr": (0.0, False, "a learning rate above 0"),
    "epochs": (1, True, "at least 1 epoch"),
    "batch_size": (1, True, "at least 1 row per step"),
    "weight_decay": (0.0, True, "0 or more"),
    "patience": (0, True, "0 or more epochs"),
}
DEVICES = ("auto", "cpu", "cuda")


def _check_ranges(tables: dict[str, dict[str, Any]], bad: Callable[..., None]) -> None:
    """Every number in range and finite, the device one that exists, before any work starts."""
    em = tables["end_model"]
    for key, (low, inclusive, meaning) in RANGES.items():
        value = em.get(key)
        if value is None:
            continue
        ok = math.isfinite(value) and (value >= low if inclusive else value > low)
        if not ok:
            bad("end_model", key, f"[end_model] {key} must be {meaning}, got {value!r}")
    device = em.get("device")
    if device is not None and device not in DEVICES and not str(device).startswith("cuda:"):
        bad("end_model", "device", f"[end_model] device must be auto, cpu or cuda, got "
            f"{device!r}", *did_you_mean(str(device), DEVICES, "devices"))
    elif device is not None and str(device).startswith("cuda") and not _cuda_available():
        bad("end_model", "device", f"[end_model] device = {device!r}, but this torch has no "
            "CUDA device", 'use device = "auto" (a GPU when there is one) or "cpu"')
    balance = tables["label_model"].get("class_balance")
    if balance is not None:
        labels = tables["rules"].get("labels")
        if any(not math.isfinite(v) or v < 0 for v in balance) or \
                abs(sum(balance) - 1.0) > 1e-6:
            bad("label_model", "class_balance", "[label_model] class_balance must be "
                f"non-negative shares summing to 1, got {balance!r}")
        elif labels is not None and len(labels) != len(balance):
            bad("label_model", "class_balance", f"[label_model] class_balance has "
                f"{len(balance)} shares, [rules] labels names {len(labels)}")


def _cuda_available() -> bool:
    import torch  # only when a pipeline asks for CUDA

    return bool(torch.cuda.is_available())


def check_choices(cfg: PipelineConfig) -> list[Diagnostic]:
    """The values that must name something: the label model method and the end model kind (both
    read from their registries), ``keep`` and ``finetune``."""
    diags: list[Diagnostic] = []
    if cfg.method not in METHODS:
        diags.append(Diagnostic(E_CONFIG, f"unknown label model method '{cfg.method}'",
                                cfg.where("label_model", "method"), "",
                                did_you_mean(cfg.method, METHODS, "methods")))
    kind = str(cfg.end_model.get("kind", "linear"))
    known = kinds()
    if kind not in known:
        diags.append(Diagnostic(E_CONFIG, f"unknown end model kind '{kind}'",
                                cfg.where("end_model", "kind"), "",
                                did_you_mean(kind, known, "kinds")))
    else:
        missing = get_kind(kind).unavailable()
        if missing is not None:
            diags.append(Diagnostic(E_CONFIG, f"the {kind} end model needs {missing[0]}",
                                    cfg.where("end_model", "kind"), "",
                                    (f"{missing[1]}, or kind = \"linear\"",)))
    if cfg.engine not in engine_names():
        diags.append(Diagnostic(E_CONFIG, f"unknown engine '{cfg.engine}'",
                                cfg.where("engine", "kind"), "",
                                did_you_mean(cfg.engine, engine_names(), "engines")))
    if cfg.engine_workers is not None and cfg.engine_workers < 1:
        diags.append(Diagnostic(E_CONFIG, f"[engine] workers must be at least 1, got "
                                f"{cfg.engine_workers}", cfg.where("engine", "workers")))
    if cfg.engine_workers is not None and cfg.engine_scheduler:
        diags.append(Diagnostic(E_CONFIG, "[engine] give workers or scheduler, not both",
                                cfg.where("engine", "scheduler"), "",
                                ("a running cluster has its own workers",)))
    if cfg.keep not in ("all", "best"):
        diags.append(Diagnostic(E_CONFIG, f"[rules] keep must be 'all' or 'best', got "
                                f"'{cfg.keep}'", cfg.where("rules", "keep")))
    finetune = cfg.end_model.get("finetune", "auto")
    if isinstance(finetune, str) and finetune != "auto":
        diags.append(Diagnostic(E_CONFIG, f"[end_model] finetune must be true, false or \"auto\", "
                                f"got '{finetune}'", cfg.where("end_model", "finetune")))
    return diags
