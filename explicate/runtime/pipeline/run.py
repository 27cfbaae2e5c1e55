"""The whole loop in one call: data → rules (DSL files and English explanations) → label matrix →
label model → end model → metrics and a report (``explicate run PIPELINE.toml``).

Everything that can be checked is checked before the label model and the end model start: the
file's keys and values, that files exist and read, that columns exist, that the rules compile, and
that some LF votes on some row. Problems are raised together as one ``ExplicateError``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import FieldKind
from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.data import RowProblem
from explicate.runtime.end_model import EndModel, TextSpec, kinds
from explicate.runtime.engine import make_engine
from explicate.runtime.label_model import LabelModel
from explicate.runtime.label_model.warnings import collapse_warnings, worse_than_majority
from explicate.runtime.matrix import LabelMatrix, majority_vote
from explicate.runtime.metrics import scores
from explicate.runtime.pipeline import artifacts
from explicate.runtime.pipeline.config import (
    E_CONFIG,
    E_NO_VOTES,
    PipelineConfig,
    check_choices,
    load_config,
)
from explicate.runtime.pipeline.report import lf_table, write_report
from explicate.runtime.pipeline.results import PipelineResult
from explicate.runtime.pipeline.rules import (
    Log,
    RuleSet,
    apply_all,
    compile_sources,
    content_key,
    text_spec,
)
from explicate.runtime.pipeline.splits import all_gold, check_columns, read_splits
from explicate.runtime.progress import Progress


@dataclass
class _Run:
    """A run's state as it passes through the stages."""

    cfg: PipelineConfig
    say: Log
    progress: bool | None
    timings: dict[str, float] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # with the gold column
    visible: dict[str, pd.DataFrame] = field(default_factory=dict)  # what the rules see
    gold: dict[str, np.ndarray] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    rules: RuleSet | None = None
    spec: TextSpec | None = None
    positive: int = 1
    kind: str = "linear"
    em_args: dict[str, Any] = field(default_factory=dict)
    Ls: dict[str, np.ndarray] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)  # split -> data problems found
    warnings: list[str] = field(default_factory=list)  # about the fitted label model
    reused: list[str] = field(default_factory=list)  # stages taken from the cache unchanged

    @property
    def ruleset(self) -> RuleSet:
        assert self.rules is not None
        return self.rules

    def timed(self, stage: str, t: float) -> None:
        self.timings[stage] = time.perf_counter() - t


def _read(run: _Run, diags: list[Diagnostic]) -> None:
    """Read the splits; hide the gold column from the rules."""
    cfg = run.cfg
    diags += check_choices(cfg)
    run.kind = str(cfg.end_model.get("kind", "linear"))
    run.frames = read_splits(cfg, diags)
    check_columns(cfg, run.frames, diags)
    if "train" not in run.frames:
        raise ExplicateError(diags)
    gold_col = cfg.label_column
    if gold_col and gold_col not in run.frames["train"].columns:
        run.say(f"note: the train data has no gold column '{gold_col}': no supervised upper bound")
    # The rules never see gold labels.
    run.visible = {s: df.drop(columns=[gold_col]) if gold_col and gold_col in df.columns else df
                   for s, df in run.frames.items()}


def _check_against_rules(run: _Run, diags: list[Diagnostic]) -> None:
    """The fields the rules read exist in every split; positive, gold values and the end model's
    settings are valid."""
    cfg, rules = run.cfg, run.ruleset
    labels = rules.labels
    for split, df in run.visible.items():
        read = {f for _, p in rules.programs for f, kind in p.field_kinds.items()
                if not (kind is FieldKind.SPAN and f"{f}_start" in df.columns)}
        absent = sorted(f for f in read if f not in df.columns)
        if absent:
            diags.append(Diagnostic(E_CONFIG, f"the {split} data lacks fields the rules read: "
                                    f"{', '.join(absent)}", cfg.where("data", split), "",
                                    (f"its columns: {', '.join(map(str, df.columns))}",)))
    if cfg.positive is not None and cfg.positive not in labels:
        diags.append(Diagnostic(E_CONFIG, f"[data] positive names unknown label '{cfg.positive}'",
                                cfg.where("data", "positive"), "",
                                (f"labels: {', '.join(labels)}",)))
    run.positive = labels.index(cfg.positive) if cfg.positive in labels else 1
    if cfg.class_balance is not None and len(cfg.class_balance) != len(labels):
        diags.append(Diagnostic(E_CONFIG, f"[label_model] class_balance has "
                                f"{len(cfg.class_balance)} shares for {len(labels)} labels",
                                cfg.where("label_model", "class_balance"), "",
                                (f"labels: {', '.join(labels)}",)))
    train_gold = bool(cfg.label_column) and cfg.label_column in run.frames["train"].columns
    run.gold = all_gold(cfg, run.frames, labels, train_gold, diags)
    try:
        run.spec = text_spec(cfg, rules, run.visible["train"])
    except ValueError as exc:
        diags.append(Diagnostic(E_CONFIG, f"end model input: {exc}", cfg.where("data", "text"), "",
                                ("name the fields with [data] text = [\"...\"]",)))
    run.em_args = {key: v for key, v in cfg.end_model.items() if key != "kind"}
    try:
        EndModel(kind=run.kind if run.kind in kinds() else "linear", cardinality=len(labels),
                 **run.em_args)
    except (TypeError, ValueError, RuntimeError) as exc:
        diags.append(Diagnostic(E_CONFIG, f"[end_model]: {exc}", None))


def _label_matrices(run: _Run) -> np.ndarray:
    """L of every split (the last check: some LF must vote somewhere); the train rows covered."""
    rules, cache = run.ruleset, run.cfg.output / "cache"
    t = time.perf_counter()
    problems: dict[str, list[RowProblem]] = {}
    cfg = run.cfg
    engine = None if cfg.engine == "serial" else make_engine(cfg.engine, cfg.engine_workers,
                                                              cfg.engine_scheduler)
    try:
        for split, df in run.visible.items():
            problems[split] = []
            run.Ls[split] = apply_all(rules, df, cache, problems[split], engine)
    finally:
        if engine is not None:
            engine.close()
    run.timed("apply", t)
    covered = (run.Ls["train"] != ir.ABSTAIN).any(axis=1)
    if not covered.any():
        raise ExplicateError([Diagnostic(
            E_NO_VOTES, f"no LF votes on any of the {len(covered)} train rows", None, "",
            (f"LFs: {', '.join(rules.lf_names)}", "check the fields and words the rules look "
             "for against the data (explicate summary RULES.lf --data FILE)"))])
    for split, found in problems.items():
        if found:
            run.say(f"warning: {len(found)} data problem(s) in the {split} split; the LFs "
                    f"reading those fields abstain there (rows kept). First: {found[0]}")
    for note in rules.notes:
        run.say(f"note: {note}")
    run.problems = {s: len(p) for s, p in problems.items()}
    return covered


def _write_matrices(run: _Run) -> None:
    out, rules = run.cfg.output, run.ruleset
    out.mkdir(parents=True, exist_ok=True)
    artifacts.begin(out)  # from here until the manifest is written, the folder is unfinished
    artifacts.write_text_atomic(out / "rules.lf", rules.dsl())
    run.files["rules"] = "rules.lf"
    for split, L in run.Ls.items():
        name = "L.npz" if split == "train" else f"L_{split}.npz"
        matrix = LabelMatrix(L, rules.lf_names, rules.labels)
        artifacts.write_atomic(out / name, matrix.save)
        run.files["L" if split == "train" else f"L_{split}"] = name


def _label_model(run: _Run, covered: np.ndarray) -> tuple[LabelModel, np.ndarray]:
    cfg, out = run.cfg, run.cfg.output
    t = time.perf_counter()
    key = content_key("label_model", run.Ls["train"], cfg.method, cfg.label_model_seed,
                      run.ruleset.dependencies, cfg.class_balance, len(run.ruleset.labels))
    cached = out / "cache" / f"label_model-{key}.npz"
    lm = _load_cached(cached, LabelModel.load)
    if lm is None:
        lm = LabelModel(cardinality=len(run.ruleset.labels), method=cfg.method,
                        seed=cfg.label_model_seed)
        with Progress(run.progress, 1, f"fitting the label model ({cfg.method})") as advance:
            lm.fit(run.Ls["train"], dependencies=run.ruleset.dependencies or None,
                   class_balance=cfg.class_balance)
            advance()
        artifacts.write_atomic(cached, lm.save)
    else:
        run.reused.append("label_model")
    probs = lm.predict_proba(run.Ls["train"])
    run.timed("label_model", t)
    artifacts.write_atomic(out / "probs.npy", lambda tmp: np.save(tmp, probs))
    artifacts.write_atomic(out / "label_model.npz", lm.save)
    run.files["probs"], run.files["label_model"] = "probs.npy", "label_model.npz"
    again = " (reused: same votes and settings)" if "label_model" in run.reused else ""
    run.say(f"label model ({cfg.method}): {int(covered.sum())}/{len(covered)} train rows "
            f"covered{again}")
    return lm, probs


def _end_models(run: _Run, probs: np.ndarray, covered: np.ndarray
                ) -> tuple[EndModel, EndModel | None]:
    """The end model on the label model's labels, and on gold (the supervised upper bound)."""
    cfg, k = run.cfg, len(run.ruleset.labels)
    dev_args: dict[str, Any] = {}
    if "dev" in run.frames and "dev" in run.gold:
        dev_args = {"dev_df": run.frames["dev"], "dev_y": run.gold["dev"]}
    t = time.perf_counter()
    common = {"kind": run.kind, "cardinality": k, "spec": run.spec, "positive": run.positive,
              "cache_dir": cfg.output / "cache" / "embeddings", "progress": run.progress,
              **run.em_args}
    end = _end_model(run, common, probs, covered, dev_args, "end_model")
    run.timed("end_model", t)
    run.timings["end_model_features"] = end.fit_info.get("features_seconds", 0.0)
    artifacts.write_atomic(cfg.output / "end_model.pt", end.save)
    run.files["end_model"] = "end_model.pt"
    again = " (reused: same labels, data and settings)" if "end_model" in run.reused else ""
    run.say(f"end model ({run.kind}): {len(end.history)} epochs{again}")
    y = run.gold.get("train")
    if not cfg.gold_upper_bound or y is None or not (y >= 0).any():
        return end, None
    t = time.perf_counter()
    known = y >= 0
    onehot = np.zeros((len(y), k), dtype=np.float32)
    onehot[np.flatnonzero(known), y[known]] = 1.0
    upper = _end_model(run, {**common, "include_uncovered": False}, onehot, known, dev_args,
                       "gold_end_model")
    run.timed("gold_end_model", t)
    return end, upper


def _load_cached(path: Path, load: Any) -> Any:
    """A model saved in the run cache, or None when there is none or it does not load (a bad
    entry is removed and rebuilt)."""
    if not path.is_file():
        return None
    try:
        return load(path)
    except Exception:  # noqa: BLE001 - any unreadable entry is simply fitted again
        path.unlink(missing_ok=True)
        return None


def _end_model(run: _Run, args: dict[str, Any], targets: np.ndarray, covered: np.ndarray,
               dev_args: dict[str, Any], stage: str) -> EndModel:
    """An end model fitted on ``targets``, or the one fitted on the same inputs before."""
    key = content_key(stage, targets, covered, run.frames["train"], dev_args.get("dev_df"),
                      dev_args.get("dev_y"), {k: v for k, v in args.items()
                                              if k not in ("cache_dir", "progress", "spec")},
                      run.spec.to_json() if run.spec is not None else None)
    cached = run.cfg.output / "cache" / f"{stage}-{key}.pt"
    model = _load_cached(cached, lambda p: EndModel.load(p, cache_dir=args.get("cache_dir")))
    if model is not None:
        run.reused.append(stage)
        return model
    model = EndModel(**args).fit(run.frames["train"], targets, covered=covered, **dev_args)
    artifacts.write_atomic(cached, model.save)
    return model


def _evaluate(run: _Run, lm: LabelModel, end: EndModel, upper: EndModel | None
              ) -> dict[str, dict[str, dict[str, float]]]:
    """Every method's scores on every split with gold labels, side by side."""
    t = time.perf_counter()
    k, positive = len(run.ruleset.labels), run.positive
    metrics: dict[str, dict[str, dict[str, float]]] = {
        "majority_vote": {}, "label_model": {}, "end_model": {}}
    if upper is not None:
        metrics["gold_end_model"] = {}
    for split, df in run.frames.items():
        if split not in run.gold:
            continue
        y, L = run.gold[split], run.Ls[split]
        metrics["majority_vote"][split] = scores(y, majority_vote(L, k), k, positive)
        lm_pred = np.asarray(lm.predict(L, tie_break="random"))
        metrics["label_model"][split] = scores(y, lm_pred, k, positive)
        metrics["end_model"][split] = scores(y, end.predict(df), k, positive)
        if upper is not None:
            metrics["gold_end_model"][split] = scores(y, upper.predict(df), k, positive)
    run.timed("evaluate", t)
    # A collapsed or worse-than-majority label model is reported, not silently used.
    L = run.Ls["train"]
    run.warnings = collapse_warnings(np.asarray(lm.predict(L, tie_break="random")),
                                     majority_vote(L, k), run.ruleset.labels, run.cfg.method)
    for split, by_split in metrics["label_model"].items():
        run.warnings += worse_than_majority(by_split.get("accuracy"),
                                            metrics["majority_vote"][split].get("accuracy"),
                                            run.cfg.method, split)
    for w in run.warnings:
        run.say(f"warning: {w}")
    return metrics


def _finish(run: _Run, metrics: dict[str, dict[str, dict[str, float]]], lm: LabelModel,
            end: EndModel, covered: np.ndarray, t0: float) -> PipelineResult:
    """The result, ``report.md`` and ``metrics.json``."""
    rules, out = run.ruleset, run.cfg.output
    labels = rules.labels
    assert run.spec is not None
    info = {
        "labels": list(labels),
        "positive": labels[run.positive] if len(labels) == 2 else None,
        "rows": {s: len(df) for s, df in run.frames.items()},
        "lfs": len(rules.lf_names),
        "train_coverage": float(covered.mean()),
        "label_model": {"method": run.cfg.method, "fit": lm.fit_info},
        "end_model": {"kind": run.kind, "epochs_run": len(end.history), "fit": end.fit_info,
                      "spec": run.spec.to_json(), "history": end.history},
        "explanations": {n: r["totals"] for n, r in rules.explain_reports.items()},
        "sketches": rules.sketch_reports,
        "problems": run.problems,
        "warnings": run.warnings,
        "reused": run.reused,
    }
    run.timings["total"] = time.perf_counter() - t0
    table = lf_table(run.Ls["train"], rules.lf_names, labels, run.gold.get("train"),
                     rules.sketch_names())
    result = PipelineResult(metrics, table, run.timings, labels, out, run.files, info)
    t = time.perf_counter()
    write_report(result, rules.dsl())
    run.timed("report", t)
    artifacts.write_text_atomic(out / "metrics.json", json.dumps(
        {"metrics": metrics, "timings": {k: round(v, 3) for k, v in run.timings.items()},
         **info}, indent=2, default=float))
    run.files.update({"metrics": "metrics.json", "report": "report.md"})
    if (out / "lf_plot.png").is_file():
        run.files.setdefault("plot", "lf_plot.png")
    # Written last: its presence says every artifact above is from this run and complete.
    artifacts.finish(out, run.files, {"inputs": {s: str(p) for s, p in
                                                 run.cfg.split_paths().items()}})
    return result


def run_pipeline(config: PipelineConfig | str | Path, *, log: Log | None = None,
                 progress: bool | None = None) -> PipelineResult:
    """Run a pipeline (a file or a :class:`PipelineConfig`); write its output folder and return
    the metrics. Every configuration mistake is raised before any training starts."""
    cfg = config if isinstance(config, PipelineConfig) else load_config(config)
    run = _Run(cfg, log or (lambda _msg: None), progress)
    t0 = time.perf_counter()
    diags: list[Diagnostic] = []
    _read(run, diags)
    run.timed("read", t0)
    t = time.perf_counter()
    run.rules = compile_sources(cfg, run.visible["train"], run.say, diags, run.frames.get("dev"))
    run.timed("rules", t)
    if diags or run.rules is None:
        raise ExplicateError(diags)
    _check_against_rules(run, diags)
    if diags:
        raise ExplicateError(diags)
    with artifacts.locked(cfg.output):
        covered = _label_matrices(run)
        _write_matrices(run)
        lm, probs = _label_model(run, covered)
        end, upper = _end_models(run, probs, covered)
        metrics = _evaluate(run, lm, end, upper)
        return _finish(run, metrics, lm, end, covered, t0)
