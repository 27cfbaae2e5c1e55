"""The studio's state, in explicate's own objects: one featurized ``Batch`` per split (pool, dev),
the schema, the kept LFs with their vote columns, and the label model fitted on them.

A typed rule is parsed (DSL, else English), compiled against the cached schema and evaluated on
the cached batches; nothing is re-read or re-tokenized while typing. Keeping, removing, undo and
redo move between *states* (tuples of kept LFs); each state change rebuilds ``L`` from cached
columns, refits the label model and saves the rule file with its history.
"""

from __future__ import annotations

import copy
import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import Program, Schema, compile_rules
from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar import to_dsl
from explicate.runtime.apply import declared_spans, load_rules
from explicate.runtime.data import RowProblem, gold_ids, infer_schema, read_table
from explicate.runtime.features import Batch, build_batch
from explicate.runtime.matrix import majority_vote
from explicate.studio import figures
from explicate.studio.history import RuleHistory
from explicate.studio.reading import Reader, Reading
from explicate.studio.rulefile import RuleText
from explicate.studio.votes import LabelModelCache

ABSTAIN = ir.ABSTAIN
Progress = Callable[[str, float], None]
RECENT_STATES = 8  # states whose figures (L, label model, tables) are kept for undo/redo


def studio_error(message: str, *hints: str, code: str = "E702") -> ExplicateError:
    """A request the studio cannot serve (unknown row, label, LF, version): a coded diagnostic."""
    return ExplicateError([Diagnostic(code, message, hints=tuple(hints))])


@dataclass
class Split:
    """One data split, featurized once: rows, their batch, gold labels (dev) and row problems."""

    name: str
    df: pd.DataFrame
    batch: Batch
    problems: list[RowProblem]
    gold: np.ndarray | None = None
    haystack: np.ndarray | None = None  # lower-cased text fields joined, for search

    @property
    def n(self) -> int:
        return len(self.df)


@dataclass(frozen=True)
class Kept:
    """A kept LF: as written (printing), lowered (evaluation), and what the expert typed."""

    lf: ir.LF
    lowered: ir.LF
    source: str
    kind: str = "dsl"  # or "english": then the sentence is written above it in the rule file

    @property
    def key(self) -> tuple[ir.Expr, int | None]:
        return (self.lowered.when, self.lowered.label.id)


@dataclass
class StateFigures:
    """What one state of kept LFs does: L per split, and the label model's view."""

    L: dict[str, np.ndarray]
    lm: LabelModelCache
    version: str | None = None
    problems: dict[str, list[RowProblem]] = field(default_factory=dict)  # per split, when asked
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # the LF table per split


@dataclass
class Studio:
    """A labeling session over ``data`` (the unlabeled pool) and optionally ``dev`` with gold.

    Call :meth:`load` once (it reads, featurizes and applies the rule file); every other method
    is fast and thread-safe (one lock).
    """

    data: str | Path | pd.DataFrame
    dev: str | Path | pd.DataFrame | None = None
    gold: str | None = None
    gold_map: dict[str, str] | None = None
    rules: str | Path | None = None
    labels: Sequence[str] | None = None
    columns: Sequence[str] | None = None
    label_model: str = "auto"
    positive: str | None = None
    seed: int = 0
    ready: bool = field(default=False, init=False)
    stage: str = field(default="starting", init=False)
    fraction: float = field(default=0.0, init=False)
    load_error: str | None = field(default=None, init=False)
    _bom: str = field(default="", init=False, repr=False)  # the rule file's byte-order mark

    # ------------------------------------------------------------------ loading
    def load(self, progress: Progress | None = None) -> Studio:
        """Read the data and the rule file, featurize each split once, apply the kept LFs and
        fit the label model. Raises ``ExplicateError`` on bad input."""
        self._lock = threading.RLock()

        def step(stage: str, fraction: float) -> None:
            self.stage, self.fraction = stage, fraction
            if progress:
                progress(stage, fraction)

        step("reading data", 0.02)
        pool_df = self._frame(self.data)
        dev_df = self._frame(self.dev) if self.dev is not None else None
        self.rules_path = Path(self.rules) if self.rules is not None else None
        step("reading rules", 0.05)
        header, lfs, self.rule_file = self._read_rules()
        self.header = header
        self.base_dir = self.rules_path.parent if self.rules_path else Path(".")
        self.schema: Schema = infer_schema(pool_df, declared_spans(ir.RuleFile(tuple(header))))
        program = compile_rules(ir.RuleFile((*header, *lfs)), self.schema, self.base_dir)
        self.labels_ = program.labels
        if len(self.labels_) < 2:
            raise studio_error("the studio needs at least two labels", "give --labels A,B or a "
                               "'labels:' line in the rule file", code="E205")
        self.positive_id = self._positive()
        self.spans = {**self.schema.span_of, **program.spans}
        self.word_lists = {name: tuple(p.text for p in items)
                           for name, items in program.word_lists.items()}
        universal = Program(self.labels_, (), (), dict(self.schema.kinds), dict(program.spans), {})
        step("tokenizing the pool", 0.1)
        self.splits: dict[str, Split] = {"pool": self._split("pool", pool_df, universal)}
        if dev_df is not None:
            missing = [c for c in self.schema.kinds if c not in dev_df.columns]
            if missing:
                raise studio_error(f"the dev data lacks field(s) of the pool: {', '.join(missing)}",
                                   code="E401")
            step("tokenizing dev", 0.6)
            split = self._split("dev", dev_df, universal)
            if self.gold is not None:
                if self.gold not in dev_df.columns:
                    raise studio_error(f"gold column '{self.gold}' not in the dev data",
                                       f"columns: {', '.join(map(str, dev_df.columns))}",
                                       code="E403")
                split.gold = gold_ids(dev_df[self.gold], self.labels_, self.gold_map,
                                      what=f"gold column '{self.gold}'")
            self.splits["dev"] = split
        self.reader = Reader(self.header, self.schema, self.base_dir, self.labels_,
                             self.word_lists)
        self._columns: dict[tuple[ir.Expr, int | None], dict[str, np.ndarray]] = {}
        step("applying the rules", 0.8)
        kept = tuple(Kept(lf, low, to_dsl(lf)) for lf, low in
                     zip(program.lfs, program.lowered, strict=True))
        self.loaded = kept
        self._cache_columns(program, kept)
        self.history = RuleHistory(self.rules_path) if self.rules_path else None
        self.states: list[tuple[Kept, ...]] = [kept]
        self.ops: list[str] = ["load"]
        self.at = 0
        self._rng = np.random.default_rng(self.seed)
        self._seen: set[tuple[str, int]] = set()
        step("fitting the label model", 0.9)
        self._figures = self._state_figures(kept)
        self._recent: dict[int, StateFigures] = {0: self._figures}  # by state, most recent last
        if self.history is not None:
            self._figures.version = self.history.save(self.rule_text(kept), "load",
                                                      tuple(k.lf.name for k in kept),
                                                      self.metrics()).hash
        step("warming up", 0.95)
        self._warm_up()
        # What is loaded lives as long as the session: out of the collector's sight, a full
        # collection (200+ ms over the ~350k objects of a 100k-row session) cannot land in the
        # middle of a keystroke's answer.
        gc.collect()
        gc.freeze()
        step("ready", 1.0)
        self.ready = True
        return self

    def _warm_up(self) -> None:
        """Build the English grammar and run one label model fit now, not on the first
        keystroke (both are one-time costs of the process)."""
        values = self._values("pool", 0) if self.splits["pool"].n else None
        self.reader.read("the word 'a' occurs", self.labels_[0], values, set())
        dev = self.splits.get("dev")
        if dev is not None and dev.gold is not None and self.splits["pool"].n:
            col = np.full(self.splits["pool"].n, ABSTAIN, dtype=np.int8)
            col[:1] = 0
            self._figures.lm.change(col, np.full(dev.n, ABSTAIN, dtype=np.int8), dev.gold,
                                    self.labels_, self.positive_id)

    def _frame(self, source: str | Path | pd.DataFrame) -> pd.DataFrame:
        if isinstance(source, pd.DataFrame):
            return source.reset_index(drop=True)
        return read_table(source, self.columns)

    def _read_rules(self) -> tuple[list[ir.Expr], list[ir.LF], RuleText]:
        labels_decl: list[ir.Expr] = [ir.LabelsDecl(tuple(self.labels))] if self.labels else []
        path = self.rules_path
        if path is None or not path.exists():
            if not labels_decl:
                raise studio_error("no labels: a new rule file needs --labels A,B", code="E205")
            return labels_decl, [], RuleText((to_dsl(labels_decl[0]) + "\n\n",), ())
        source = load_rules(path)
        if source.syntax_errors:
            raise ExplicateError(list(source.syntax_errors))
        raw = path.read_bytes()
        # A byte-order mark is not part of the text (load_rules drops it: same offsets) but is
        # written back, so saving an unchanged file keeps every byte.
        self._bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
        text = raw.decode("utf-8-sig")
        header = [s for s in source.rules.statements if not isinstance(s, ir.LF)]
        lfs = list(source.rules.lfs)
        shift = 0
        if not any(isinstance(s, ir.LabelsDecl) for s in header):
            if not labels_decl:
                raise studio_error(f"'{path}' has no 'labels:' line", "give --labels A,B",
                                   code="E205")
            header = labels_decl + header
            line = to_dsl(labels_decl[0]) + "\n"
            text, shift = line + text, len(line)
        # The file's own text is kept (comments, blank lines, declarations as written): saving
        # leaves out removed LFs and appends kept ones (rulefile.RuleText).
        spans = [(lf.span.start + shift, lf.span.end + shift) for lf in lfs if lf.span]
        assert len(spans) == len(lfs), "every LF read from a file has its span"
        return header, lfs, RuleText.of(text, spans)

    def _positive(self) -> int:
        if self.positive is None:
            return 1
        if self.positive not in self.labels_:
            raise studio_error(f"--positive names unknown label '{self.positive}'",
                               f"labels: {', '.join(self.labels_)}", code="E202")
        return self.labels_.index(self.positive)

    def _split(self, name: str, df: pd.DataFrame, universal: Program) -> Split:
        problems: list[RowProblem] = []
        batch = build_batch(df, universal, self.schema, problems=problems)
        texts = [np.strings.lower(batch.texts[f].strings) for f in self.schema.kinds
                 if f in batch.texts and f not in self.spans]
        hay = texts[0] if texts else np.zeros(len(df), dtype=np.dtypes.StringDType())
        for t in texts[1:]:
            hay = np.strings.add(np.strings.add(hay, "\n"), t)
        return Split(name, df, batch, problems, haystack=hay)

    # ------------------------------------------------------------------ columns and states
    def _cache_columns(self, program: Program, kept: Sequence[Kept]) -> None:
        todo = [(j, k) for j, k in enumerate(kept) if k.key not in self._columns]
        if not todo:
            return
        for split in self.splits.values():
            L = program.apply(split.batch)
            for j, k in todo:
                self._columns.setdefault(k.key, {})[split.name] = L[:, j]

    def _matrix(self, kept: Sequence[Kept], split: str) -> np.ndarray:
        n = self.splits[split].n
        if not kept:
            return np.full((n, 0), ABSTAIN, dtype=np.int8)
        return np.ascontiguousarray(np.column_stack([self._columns[k.key][split] for k in kept]))

    def _state_figures(self, kept: tuple[Kept, ...], warm: Any = None) -> StateFigures:
        L = {name: self._matrix(kept, name) for name in self.splits}
        lm = LabelModelCache(L["pool"], L.get("dev"), len(self.labels_), self.label_model,
                             self.seed, warm)
        return StateFigures(L, lm)

    @property
    def kept(self) -> tuple[Kept, ...]:
        return self.states[self.at]

    def rule_text(self, kept: Sequence[Kept]) -> str:
        """The rule file of a state: the loaded file's text without the LFs the state dropped,
        then each LF kept since (an English one under its sentence as a comment)."""
        present = [k in kept for k in self.loaded]
        added = []
        for k in kept:
            if k in self.loaded:
                continue
            dsl = to_dsl(k.lf)
            added.append(f"# {' '.join(k.source.split())}\n{dsl}" if k.kind == "english"
                         else dsl)
        return self._bom + self.rule_file.render(present, added)

    def _move(self, kept: tuple[Kept, ...] | None, op: str, at: int | None = None) -> dict[str, Any]:
        warm = None
        if kept is not None and len(kept) == len(self.kept) + 1 and kept[:-1] == self.kept:
            # Keeping an LF that was tried: its label model was fitted then, on these votes.
            warm = self._figures.lm.next.get(kept[-1].key)
        if kept is not None:
            del self.states[self.at + 1 :]
            del self.ops[self.at + 1 :]
            for i in [i for i in self._recent if i > self.at]:
                del self._recent[i]
            self.states.append(kept)
            self.ops.append(op)
            self.at = len(self.states) - 1
        else:
            assert at is not None
            self.at = at
        # Undo and redo return to a state seen lately: its L, label model and tables stand.
        fig = self._recent.pop(self.at, None) or self._state_figures(self.kept, warm)
        self._recent[self.at] = self._figures = fig
        while len(self._recent) > RECENT_STATES:
            del self._recent[next(iter(self._recent))]
        if self.history is not None:
            self._figures.version = self.history.save(self.rule_text(self.kept), op,
                                                      tuple(k.lf.name for k in self.kept),
                                                      self.metrics()).hash
        return self.summary()

    # ------------------------------------------------------------------ operations
    def try_rule(self, text: str, example: int | None = None, split: str = "pool",
                 label: str | None = None, label_model: bool = True) -> dict[str, Any]:
        """Every reading of ``text`` (DSL, else English) with what it does: see the README.
        ``label_model=False`` leaves out the label model's change (the page asks for it with
        :meth:`impact` after painting the rest)."""
        with self._lock:
            t0 = time.perf_counter()
            row = self._row(split, example) if example is not None else None
            values = self._values(split, row) if row is not None else None
            label = self._label(label)
            taken = {k.lf.name for k in self.kept}
            result = self.reader.read(text, label, values, taken)
            out_readings = [self._figures_of(r, split, row, label_model) for r in result.readings]
            return {"text": text, "kind": result.kind, "readings": out_readings,
                    "errors": result.errors, "notes": result.notes,
                    "ms": round((time.perf_counter() - t0) * 1000, 2)}

    def impact(self, text: str, example: int | None = None, split: str = "pool",
               label: str | None = None) -> dict[str, Any]:
        """The label model's change on dev for each reading of ``text`` (a refit on the pool's
        vote statistics with the reading's column; memoized per state and reading). The fit runs
        outside the lock, so a keystroke's ``try`` is not kept waiting behind it."""
        t0 = time.perf_counter()
        with self._lock:
            row = self._row(split, example) if example is not None else None
            values = self._values(split, row) if row is not None else None
            result = self.reader.read(text, self._label(label), values,
                                      {k.lf.name for k in self.kept})
            jobs: list[Kept | None] = []
            for r in result.readings:
                if r.program is None:
                    jobs.append(None)
                    continue
                k = Kept(r.lf, r.lowered, r.source)
                self._cache_columns(r.program, [k])
                jobs.append(k)
            lm, columns = self._figures.lm, dict(self._columns)
        out = [self._change(k, lm, columns) if k is not None else None for k in jobs]
        return {"text": text, "label_model": out,
                "ms": round((time.perf_counter() - t0) * 1000, 2)}

    def _change(self, k: Kept, lm: LabelModelCache | None = None,
                columns: dict[tuple[ir.Expr, int | None], dict[str, np.ndarray]] | None = None
                ) -> dict[str, Any] | None:
        dev = self.splits.get("dev")
        if dev is None or dev.gold is None:
            return None
        cols = (columns or self._columns)[k.key]
        return (lm or self._figures.lm).change(cols["pool"], cols["dev"], dev.gold, self.labels_,
                                               self.positive_id, key=k.key)

    def _figures_of(self, r: Reading, split: str, row: int | None, label_model: bool = True
                    ) -> dict[str, Any]:
        out: dict[str, Any] = {"dsl": r.dsl, "name": r.lf.name, "label": r.lf.label.name,
                               "note": r.note}
        if r.program is None:
            return out
        kept_tmp = Kept(r.lf, r.lowered, r.source)
        self._cache_columns(r.program, [kept_tmp])
        cols = self._columns[kept_tmp.key]
        names = [k.lf.name for k in self.kept]
        L = self._figures.L
        out["pool"] = figures.pool_figures(cols["pool"], L["pool"], names, self.labels_)
        if row is not None:
            vote = int(cols[split][row])
            out["vote"] = None if vote == ABSTAIN else self.labels_[vote]
            batch = self.splits[split].batch
            out["marks"] = [m.as_json() for m in figures.matches(r.lowered, batch, row,
                                                                   self.spans)]
        dev = self.splits.get("dev")
        if dev is not None and dev.gold is not None:
            out["dev"] = figures.dev_figures(cols["dev"], dev.gold)
            if label_model:
                out["label_model"] = self._change(kept_tmp)
        return out

    def keep(self, text: str, example: int | None = None, split: str = "pool",
             label: str | None = None, reading: int = 0, name: str | None = None
             ) -> dict[str, Any]:
        """Keep reading ``reading`` of ``text`` as a new LF (optionally renamed)."""
        with self._lock:
            row = self._row(split, example) if example is not None else None
            values = self._values(split, row) if row is not None else None
            taken = {k.lf.name for k in self.kept}
            result = self.reader.read(text, self._label(label), values, taken, name)
            usable = [r for r in result.readings if r.program is not None]
            if not usable:
                raise ExplicateError(result.diagnostics or [Diagnostic(
                    "E702", "nothing to keep: the text has no reading that compiles")])
            if not 0 <= reading < len(result.readings) or result.readings[reading].program is None:
                raise studio_error(f"reading {reading} cannot be kept",
                                   f"readings that compile: "
                                   f"{[i for i, r in enumerate(result.readings) if r.program]}")
            r = result.readings[reading]
            if r.lf.name in taken:
                raise studio_error(f"an LF named '{r.lf.name}' is kept already",
                                   "give another name", code="E204")
            new = Kept(r.lf, r.lowered, text, result.kind)
            assert r.program is not None
            self._cache_columns(r.program, [new])
            return self._move((*self.kept, new), f"keep {r.lf.name}")

    def remove(self, name: str) -> dict[str, Any]:
        """Drop a kept LF (undoable)."""
        with self._lock:
            left = tuple(k for k in self.kept if k.lf.name != name)
            if len(left) == len(self.kept):
                raise self._unknown_lf(name)
            return self._move(left, f"remove {name}")

    def undo(self) -> dict[str, Any]:
        with self._lock:
            if self.at == 0:
                raise studio_error("nothing to undo", code="E703")
            return self._move(None, f"undo {self.ops[self.at]}", self.at - 1)

    def redo(self) -> dict[str, Any]:
        with self._lock:
            if self.at + 1 >= len(self.states):
                raise studio_error("nothing to redo", code="E703")
            return self._move(None, f"redo {self.ops[self.at + 1]}", self.at + 1)

    # ------------------------------------------------------------------ reading the state
    def summary(self) -> dict[str, Any]:
        """The LF table per split (Snorkel's summary columns, as ``explicate summary --json``
        prints them), majority vote, label model metrics, undo/redo availability."""
        with self._lock:
            names = tuple(k.lf.name for k in self.kept)
            out: dict[str, Any] = {"labels": list(self.labels_), "version": self._figures.version,
                                   "can_undo": self.at > 0,
                                   "can_redo": self.at + 1 < len(self.states),
                                   "undo": self.ops[self.at] if self.at > 0 else None,
                                   "redo": self.ops[self.at + 1] if self.at + 1 < len(self.ops)
                                   else None,
                                   "rules": [{"name": k.lf.name, "dsl": to_dsl(k.lf),
                                              "source": k.source} for k in self.kept],
                                   "metrics": self.metrics()}
            lm = self._figures.lm
            tables = self._figures.tables
            for name, split in self.splits.items():
                if name not in tables:
                    tables[name] = figures.summarize(
                        self._figures.L[name], names, self.labels_, split.gold,
                        lm.accuracies if name == "pool" else None)
                    tables[name]["problems"] = len(self._problems(split))
                out[name] = copy.deepcopy(tables[name])
            return out

    def metrics(self) -> dict[str, Any]:
        """Dev figures of the current state: majority vote and label model accuracy/F1."""
        fig = self._figures
        dev = self.splits.get("dev")
        out: dict[str, Any] = {"lfs": fig.L["pool"].shape[1],
                               "pool_coverage": figures.coverage(fig.L["pool"])}
        if dev is not None and dev.gold is not None:
            k = len(self.labels_)
            mv = majority_vote(fig.L["dev"], k)
            out["dev_majority"] = figures.dev_scores(mv, dev.gold, k, self.positive_id)
            out["dev_label_model"] = figures.dev_scores(fig.lm.dev_pred(), dev.gold, k,
                                                        self.positive_id)
        return figures.clean(out)

    def example(self, split: str, row: int) -> dict[str, Any]:
        """One example: its fields, mentions, the kept LFs' votes, gold and the model's view."""
        with self._lock:
            row = self._row(split, row)
            s = self.splits[split]
            self._seen.add((split, row))
            L = self._figures.L[split]
            votes = [{"lf": k.lf.name, "label": self.labels_[int(L[row, j])]}
                     for j, k in enumerate(self.kept) if L[row, j] != ABSTAIN]
            probs = self._figures.lm.proba(split, row)
            return {"split": split, "row": row, "rows": s.n, "fields": self._values(split, row),
                    "marks": [m.as_json() for m in figures.mention_marks(s.batch, row)],
                    "votes": votes,
                    "gold": None if s.gold is None or s.gold[row] == ABSTAIN
                    else self.labels_[int(s.gold[row])],
                    "gold_column": self.gold if s.gold is not None else None,
                    "probs": None if probs is None else
                    {lab: round(float(p), 4) for lab, p in zip(self.labels_, probs, strict=True)},
                    "problems": [str(p) for p in self._problems(s) if p.row == row + 1]}

    def next_example(self, split: str = "pool", order: str = "random", filter: str = "all",
                     query: str = "", after: int | None = None) -> dict[str, Any]:
        """The next example to look at: ``order`` random / uncertain (label model) / conflict /
        sequential, among rows passing ``filter`` (all, uncovered, conflicting, wrong: dev
        rows the label model gets wrong) and containing ``query``."""
        with self._lock:
            if split not in self.splits:
                raise self._unknown_split(split)
            s = self.splits[split]
            L = self._figures.L[split]
            mask = np.ones(s.n, dtype=bool)
            voted = L != ABSTAIN
            conflicting = figures.conflicts(L)
            if filter == "uncovered":
                mask &= ~voted.any(axis=1)
            elif filter == "conflicting":
                mask &= conflicting
            elif filter == "wrong":
                if s.gold is None:
                    raise studio_error("'wrong' needs a split with gold labels (dev)")
                mask &= (self._figures.lm.pred(split) != s.gold) & (s.gold != ABSTAIN)
            elif filter != "all":
                raise studio_error(f"unknown filter '{filter}'",
                                   "filters: all, uncovered, conflicting, wrong")
            if query.strip():
                assert s.haystack is not None
                mask &= np.strings.find(s.haystack, query.strip().lower()) >= 0
            rows = np.flatnonzero(mask)
            total = len(rows)
            if not total:
                return {"split": split, "row": None, "matching": 0}
            unseen = np.array([(split, int(r)) not in self._seen for r in rows], dtype=bool) \
                if len(self._seen) else np.ones(total, dtype=bool)
            pick_from = rows[unseen] if unseen.any() else rows
            if order == "random":
                row = int(self._rng.choice(pick_from))
            elif order == "uncertain":
                margin = self._figures.lm.margin(split)[pick_from]
                row = int(pick_from[np.argmin(margin)])
            elif order == "conflict":
                disagree = (voted & (majority_vote(L, len(self.labels_))[:, None] != L)).sum(1)
                row = int(pick_from[np.argmax(disagree[pick_from])])
            elif order == "sequential":
                start = -1 if after is None else after
                later = rows[rows > start]
                row = int(later[0] if len(later) else rows[0])
            else:
                raise studio_error(f"unknown order '{order}'",
                                   "orders: random, uncertain, conflict, sequential")
            out = self.example(split, row)
            out["matching"] = total
            return out

    def export(self, fmt: str = "csv") -> tuple[bytes, str]:
        """Probabilistic labels of every pool row (with its row id), as CSV or Parquet."""
        with self._lock:
            probs = self._figures.lm.pool_proba()
            pool = self.splits["pool"].df
            ids = pool["id"].to_numpy() if "id" in pool.columns else np.arange(len(pool))
            frame = pd.DataFrame({"row_id": ids})
            for j, lab in enumerate(self.labels_):
                frame[f"p_{lab}"] = probs[:, j]
            frame["label"] = [self.labels_[int(i)] if i != ABSTAIN else "" for i in
                              self._figures.lm.pred("pool")]
            if fmt == "csv":
                return frame.to_csv(index=False).encode("utf-8"), "text/csv"
            if fmt == "parquet":
                return frame.to_parquet(index=False), "application/vnd.apache.parquet"
            raise studio_error(f"unknown export format '{fmt}'", "formats: csv, parquet")

    def versions(self) -> list[dict[str, Any]]:
        return [v.as_json() for v in self.history.versions()] if self.history else []

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """Two saved versions side by side: rules added, removed and changed, each LF's pool
        votes that differ, and the metrics recorded at each save."""
        with self._lock:
            if self.history is None:
                raise studio_error("no rule file: start the studio with --rules to keep history",
                                   code="E701")
            va, vb = self.history.resolve(a), self.history.resolve(b)
            ra, rb = self._version_rules(va.hash), self._version_rules(vb.hash)
            changes = []
            for name in dict.fromkeys([*ra, *rb]):
                ka, kb = ra.get(name), rb.get(name)
                if ka is not None and kb is not None and ka.key == kb.key:
                    continue
                ca = self._columns[ka.key]["pool"] if ka else None
                cb = self._columns[kb.key]["pool"] if kb else None
                differ = int((ca != cb).sum()) if ca is not None and cb is not None else None
                changes.append({"lf": name, "change": "added" if ka is None else "removed"
                                if kb is None else "changed",
                                "before": to_dsl(ka.lf) if ka else None,
                                "after": to_dsl(kb.lf) if kb else None,
                                "coverage_before": figures.coverage(ca[:, None]) if ca is not None
                                else None,
                                "coverage_after": figures.coverage(cb[:, None]) if cb is not None
                                else None,
                                "votes_differ": differ})
            return {"a": va.as_json(), "b": vb.as_json(), "rules": changes}

    def _version_rules(self, h: str) -> dict[str, Kept]:
        assert self.history is not None
        text = self.history.text(h)
        from explicate.grammar.parse import parse_partial

        rules, problems = parse_partial(text, f"version {h}")
        if problems:
            raise ExplicateError(problems)
        program = compile_rules(rules, self.schema, self.base_dir)
        kept = [Kept(lf, low, to_dsl(lf)) for lf, low in
                zip(program.lfs, program.lowered, strict=True)]
        self._cache_columns(program, kept)
        return {k.lf.name: k for k in kept}

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ready": self.ready, "stage": self.stage, "fraction": self.fraction,
                               "error": self.load_error}
        if self.ready:
            out["splits"] = {n: {"rows": s.n, "problems": len(s.problems),
                                 "gold": s.gold is not None} for n, s in self.splits.items()}
            out["labels"] = list(self.labels_)
            out["fields"] = {n: k.value for n, k in self.schema.kinds.items()}
        return out

    # ------------------------------------------------------------------ helpers
    def _problems(self, split: Split) -> list[RowProblem]:
        """Row problems of the fields the kept LFs read (a column no rule reads, such as a
        list of votes, is not a problem)."""
        memo = self._figures.problems
        if split.name not in memo:
            read: set[str] = set()
            for k in self.kept:
                for f in ir.fields_read(k.lowered.when):
                    read.update((f, self.spans.get(f, f)))
            memo[split.name] = [p for p in split.problems if p.field in read]
        return memo[split.name]

    def _row(self, split: str, row: int) -> int:
        if split not in self.splits:
            raise self._unknown_split(split)
        n = self.splits[split].n
        if not 0 <= row < n:
            raise studio_error(f"row {row} is not in {split} (rows 0..{n - 1})")
        return row

    def _values(self, split: str, row: int) -> dict[str, Any]:
        rec = self.splits[split].df.iloc[row].to_dict()
        return {str(k): (None if _missing(v) else v.item() if hasattr(v, "item") else v)
                for k, v in rec.items() if _plain(v)}

    def _label(self, label: str | None) -> str | None:
        if label in (None, ""):
            return None
        assert label is not None
        by_name = {lab.lower(): lab for lab in self.labels_}
        if label.lower() not in by_name:
            raise studio_error(f"unknown label '{label}'", f"labels: {', '.join(self.labels_)}",
                               code="E202")
        return by_name[label.lower()]

    def _unknown_split(self, split: str) -> ExplicateError:
        return studio_error(f"unknown split '{split}'", f"splits: {', '.join(self.splits)}")

    def _unknown_lf(self, name: str) -> ExplicateError:
        from explicate.errors import did_you_mean

        return studio_error(f"no kept LF named '{name}'",
                            *did_you_mean(name, [k.lf.name for k in self.kept], "LFs"))


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool | np.generic) or _missing(v)
