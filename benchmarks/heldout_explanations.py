"""Held-out explanations: does the English front end read what people nobody tuned on wrote?

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/heldout_explanations.py [--fixture DIR] [--show N]``.

A fixture (``tests/fixtures/heldout/``, the default; ``tests/fixtures/heldout2/``, a second one by
another writer, over seven other task shapes; ``heldout3/`` to ``heldout6/``, four more, over
eight task shapes each) was written without reading the English grammar or the project's corpus:
``tasks.json`` holds its task shapes (field names, mentions, word lists,
labels, the labeled examples the explanations talk about, and probe rows), and
``explanations.tsv`` one explanation per row with the expected DSL condition a careful reader
would compile, or ``unsupported: why`` where the DSL cannot say it. Two styles: ``graduate``
(careful, complete sentences) and ``crowd`` (Mechanical Turk style: lowercase, typos, no quotes).

Each explanation is explained on its own (``explicate.explain`` with its example as the only row,
the task's word lists, and the task's probe rows plus examples as the pool), and reported per style
and per task (``--rows FILE`` writes every row's outcome, to compare two grammars row by row):

- parse %: at least one reading;
- kept %: at least one LF kept;
- full kept %: an LF kept from a reading that dropped nothing with content (not partial);
- correct %: for an expressible explanation, at least one LF is kept and *every* kept LF votes
  exactly as the expected DSL's LF on every probe row and example of the task; for an
  ``unsupported`` one, nothing is kept and the parser said why (an ``unsupported`` note or a
  diagnostic);
- said unsupported %: the parser's report names the sentence (or a part of it) ``unsupported``;
- ``graduate expressible`` / ``crowd expressible``: a style's rows without the ``unsupported``
  ones (where keeping nothing is the right answer), the denominator of the issue's targets;
- wrong %: something was kept that votes otherwise than expected (a reading that says something
  else than the sentence) or, for an unsupported one, anything kept at all.

Also the parser's latency on these rows alone (no filters): median, p99, max.

A fixture may also hold ``spouse.tsv``: explanations about real rows of the shared Spouse dev set,
named by row index and ``doc_id`` (the text is read from ``$EXPLICATE_DATA/spouse`` at run time,
never stored in the fixture). They are explained together, with the dev set as the pool, and the
majority vote of the LFs kept from them is scored on Spouse test (SPOUSE precision, recall, F1);
without the shared data this part is skipped with the reason.

Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's explicate, not an installed copy

from explicate import apply_rules, explain  # noqa: E402
from explicate.grammar.explanation import Context, parse_explanation  # noqa: E402
from explicate.runtime.data import read_table  # noqa: E402
from explicate.runtime.explain import ExplainResult, votes  # noqa: E402
from explicate.runtime.metrics import precision_recall_f1  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "heldout"
# every held-out fixture
FIXTURES = (FIXTURE, *(ROOT / "tests" / "fixtures" / f"heldout{k}" for k in (2, 3, 4)))
STYLES = ("graduate", "crowd")
COLUMNS = ("task", "example", "style", "explanation", "expected")
UNSUPPORTED = "unsupported:"
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
SPOUSE_COLUMNS = ("row", "doc_id", "label", "style", "explanation")
SPOUSE_DATA_COLUMNS = ["sentence", "person1", "person2", "doc_id", "gold"]
SPOUSE_LABELS = ("NOT_SPOUSE", "SPOUSE")


@dataclass(frozen=True)
class Task:
    """One task shape: its fields, mentions, word lists, labels, examples and probe rows."""

    name: str
    labels: tuple[str, ...]
    text_fields: tuple[str, ...]
    mentions: dict[str, str]  # mention field -> the text field it lies in
    numbers: tuple[str, ...]
    lists: dict[str, tuple[str, ...]]
    examples: dict[str, dict[str, Any]]  # id -> fields and "label"
    probes: tuple[dict[str, Any], ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.text_fields, *self.mentions, *self.numbers)

    def frame(self) -> pd.DataFrame:
        """The rows votes are compared on: the probe rows, then the examples (without labels)."""
        rows = [*self.probes, *self.examples.values()]
        return pd.DataFrame([{f: r[f] for f in self.fields} for r in rows],
                            columns=list(self.fields))

    def rules(self, condition: str, label: str) -> str:
        """A rule file with this task's declarations and one LF ``expected``."""
        lines = [f"labels: {', '.join(self.labels)}"]
        for name, words in self.lists.items():
            lines.append(f"words {name} = " + ", ".join(json.dumps(w) for w in words))
        by_text: dict[str, list[str]] = {}
        for mention, text in self.mentions.items():
            by_text.setdefault(text, []).append(mention)
        lines += [f"spans: {', '.join(ms)} in {text}" for text, ms in by_text.items()]
        lines.append(f"lf expected: {condition} -> {label}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Row:
    """One held-out explanation and what a careful reader would compile from it."""

    line: int  # line of explanations.tsv (the header is line 1)
    task: str
    example: str
    style: str
    text: str
    expected: str  # a DSL condition, or "unsupported: why"

    @property
    def unsupported(self) -> bool:
        return self.expected.startswith(UNSUPPORTED)


def load_tasks(path: Path = FIXTURE / "tasks.json") -> dict[str, Task]:
    raw = json.loads(path.read_text(encoding="utf-8"))["tasks"]
    return {name: Task(name, tuple(t["labels"]), tuple(t["text_fields"]), dict(t["mentions"]),
                       tuple(t.get("numbers", ())),
                       {k: tuple(v) for k, v in t["lists"].items()}, dict(t["examples"]),
                       tuple(t["probes"]))
            for name, t in raw.items()}


def load_rows(path: Path = FIXTURE / "explanations.tsv") -> list[Row]:
    # QUOTE_NONE: explanations and DSL are full of quotes that are part of the text.
    with path.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if tuple(lines[0]) != COLUMNS:
        raise ValueError(f"{path}: the header must be {COLUMNS}, not {lines[0]}")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not cells or cells[0].startswith("#"):
            continue
        if len(cells) != len(COLUMNS):
            raise ValueError(f"{path}:{number}: {len(cells)} fields, expected {len(COLUMNS)}")
        rows.append(Row(number, *(c.strip() for c in cells)))
    return rows


def expected_votes(task: Task, row: Row) -> np.ndarray:
    """The expected LF's votes on the task's frame (label ids, ABSTAIN = -1)."""
    label = task.examples[row.example]["label"]
    applied = apply_rules(task.rules(row.expected, label), task.frame())
    return np.asarray(applied.L[:, 0])


@dataclass
class Outcome:
    """What the front end made of one row."""

    row: Row
    parsed: bool
    kept: bool
    full: bool
    correct: bool
    wrong: bool
    said_unsupported: bool = False  # the parser named the sentence (or a part) unsupported
    kept_dsl: list[str] = field(default_factory=list)
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"line": self.row.line, "task": self.row.task, "style": self.row.style,
                "explanation": self.row.text, "expected": self.row.expected,
                "parsed": self.parsed, "kept": self.kept, "full": self.full,
                "correct": self.correct, "wrong": self.wrong,
                "said_unsupported": self.said_unsupported, "kept_dsl": self.kept_dsl,
                "note": self.note}


def judge(task: Task, row: Row, expected: np.ndarray | None) -> Outcome:
    """Explain one row on its own and compare what was kept with what was expected."""
    example = task.examples[row.example]
    one = pd.DataFrame([{"label": example["label"], "explanation": row.text,
                         **{f: example[f] for f in task.fields}}])
    frame = task.frame()
    result = explain(one, task.labels, pool=frame, word_lists=task.lists)
    e = result.explained[0]
    report = e.as_json()
    kept_dsl = list(report["kept"])
    if row.unsupported:
        said = bool(report["unsupported"]) or bool(report["errors"])
        correct = not e.kept and said
        wrong = bool(e.kept)
        note = "; ".join(report["unsupported"] or report["errors"])[:160]
    else:
        matches = _matches(result, frame, expected)
        correct = bool(matches) and all(matches)
        wrong = not all(matches)
        note = "; ".join(r["code"] for r in report["rejected"])
    return Outcome(row, bool(e.readings), bool(e.kept), e.full, correct, wrong,
                   bool(report["unsupported"]), kept_dsl, note)


def _matches(result: ExplainResult, frame: pd.DataFrame, expected: np.ndarray | None) -> list[bool]:
    if not result.lfs or expected is None:
        return []
    got = votes(result, frame)
    return [bool(np.array_equal(got[:, j], expected)) for j in range(got.shape[1])]


def parse_ms(tasks: dict[str, Task], rows: list[Row]) -> list[float]:
    """Milliseconds to parse each row (the parser alone, no filters), after one warm-up parse.

    Every row's text is distinct within its task, so no row is served from the parser's cache."""
    def context(task: Task, row: Row) -> Context:
        example = {f: task.examples[row.example][f] for f in task.fields}
        return Context(task.labels, dict(task.mentions), task.text_fields, dict(task.lists),
                       example, ())

    if rows:
        parse_explanation("warm up the parser", context(tasks[rows[0].task], rows[0]))
    out = []
    for r in rows:
        ctx = context(tasks[r.task], r)
        t0 = time.perf_counter()
        parse_explanation(r.text, ctx)
        out.append(1000.0 * (time.perf_counter() - t0))
    return out


@dataclass(frozen=True)
class SpouseRow:
    """An explanation about one row of the shared Spouse dev set (named, not copied)."""

    line: int  # line of spouse.tsv (the header is line 1)
    row: int  # 0-based row of spouse/dev.tsv
    doc_id: str  # that row's doc_id, to check the row is the one the writer read
    label: str  # SPOUSE or NOT_SPOUSE: the row's gold label, which the explanation justifies
    style: str
    text: str


def load_spouse_rows(path: Path) -> list[SpouseRow]:
    """The Spouse rows of a fixture (``spouse.tsv``); none when the fixture has no such file."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if tuple(lines[0]) != SPOUSE_COLUMNS:
        raise ValueError(f"{path}: the header must be {SPOUSE_COLUMNS}, not {lines[0]}")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not cells or cells[0].startswith("#"):
            continue
        if len(cells) != len(SPOUSE_COLUMNS):
            raise ValueError(f"{path}:{number}: {len(cells)} fields, expected {len(SPOUSE_COLUMNS)}")
        row, doc_id, label, style, text = (c.strip() for c in cells)
        rows.append(SpouseRow(number, int(row), doc_id, label, style, text))
    return rows


def spouse_data(data: Path = DATA) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """Spouse (dev, test) from the shared data, or why they cannot be read."""
    dev, test = data / "spouse" / "dev.tsv", data / "spouse" / "test.tsv"
    missing = [str(p) for p in (dev, test) if not p.is_file()]
    if missing:
        return f"shared Spouse data not found ({', '.join(missing)}; set EXPLICATE_DATA)"
    return read_table(dev, SPOUSE_DATA_COLUMNS), read_table(test, SPOUSE_DATA_COLUMNS)


def spouse_examples(rows: list[SpouseRow], dev: pd.DataFrame) -> pd.DataFrame:
    """The explanations joined to the dev rows they name; a row that moved or whose label is
    not the explanation's stops the run (the fixture would talk about another example)."""
    out = []
    for r in rows:
        if not 0 <= r.row < len(dev):
            raise ValueError(f"spouse.tsv:{r.line}: dev has no row {r.row}")
        d = dev.iloc[r.row]
        gold = "SPOUSE" if int(d["gold"]) == 1 else "NOT_SPOUSE"
        if str(d["doc_id"]) != r.doc_id or gold != r.label:
            raise ValueError(f"spouse.tsv:{r.line}: dev row {r.row} is doc {d['doc_id']} "
                             f"labeled {gold}, not doc {r.doc_id} labeled {r.label}")
        out.append({"label": r.label, "explanation": r.text, "sentence": d["sentence"],
                    "person1": d["person1"], "person2": d["person2"]})
    return pd.DataFrame(out)


def spouse_figures(rows: list[SpouseRow], dev: pd.DataFrame, test: pd.DataFrame
                   ) -> dict[str, Any]:
    """Explain the Spouse rows together (pool: dev) and score the kept LFs' majority vote on
    test: ties and rows without votes abstain, abstaining counts as NOT_SPOUSE for recall."""
    fields = ["sentence", "person1", "person2"]
    result = explain(spouse_examples(rows, dev), SPOUSE_LABELS, pool=dev[fields])
    totals = result.totals
    L = votes(result, test[fields])
    gold = np.where(test["gold"].to_numpy(dtype=np.int64) == 1, 1, 0)
    pos, neg = (L == 1).sum(axis=1), (L == 0).sum(axis=1)
    mv = np.where(pos > neg, 1, np.where(neg > pos, 0, -1))
    p, r, f1 = precision_recall_f1(gold, mv, 1)
    by_style = {}
    for style in STYLES:
        mine = [e for e, row in zip(result.explained, rows, strict=True) if row.style == style]
        if mine:
            by_style[style] = {"n": len(mine),
                               "kept": round(100.0 * sum(bool(e.kept) for e in mine) / len(mine), 1),
                               "full_kept": round(100.0 * sum(e.full for e in mine) / len(mine), 1)}
    return {"n": len(rows), "kept": round(100.0 * totals["kept_rate"], 1),
            "full_kept": round(100.0 * totals["full_kept_rate"], 1), "by_style": by_style,
            "lfs": totals["lfs"], "mv_coverage_test": round(float((mv != -1).mean()), 3),
            "mv_precision_test": round(p, 3), "mv_recall_test": round(r, 3),
            "mv_f1_test": round(f1, 3)}


def rates(outcomes: Iterable[Outcome]) -> dict[str, float]:
    out = list(outcomes)
    n = len(out)

    def pct(k: int) -> float:
        return round(100.0 * k / n, 1) if n else 0.0

    return {"n": n, "parse": pct(sum(o.parsed for o in out)), "kept": pct(sum(o.kept for o in out)),
            "full_kept": pct(sum(o.full for o in out)),
            "correct": pct(sum(o.correct for o in out)), "wrong": pct(sum(o.wrong for o in out)),
            "said_unsupported": pct(sum(o.said_unsupported for o in out))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", type=Path, default=FIXTURE,
                    help="the fixture directory (tasks.json, explanations.tsv); default: %(default)s")
    ap.add_argument("--show", type=int, default=0, help="print N rows that are not correct")
    ap.add_argument("--task", default=None, help="only this task")
    ap.add_argument("--rows", type=Path, default=None,
                    help="write every row's outcome here (JSON lines), to compare two grammars")
    args = ap.parse_args()
    tasks = load_tasks(args.fixture / "tasks.json")
    rows = [r for r in load_rows(args.fixture / "explanations.tsv") if args.task in (None, r.task)]
    latency = sorted(parse_ms(tasks, rows))
    t0 = time.perf_counter()
    outcomes = []
    for r in rows:
        task = tasks[r.task]
        outcomes.append(judge(task, r, None if r.unsupported else expected_votes(task, r)))
    seconds = time.perf_counter() - t0

    print(f"{len(rows)} held-out explanations over {len(tasks)} task shapes in {args.fixture.name} "
          f"({seconds:.1f} s)\n")
    print(f"{'':24} {'n':>4} {'parse%':>7} {'kept%':>7} {'full%':>7} {'correct%':>9} "
          f"{'wrong%':>7} {'unsup%':>7}")
    figures: dict[str, Any] = {}
    groups: list[tuple[str, list[Outcome]]] = [("all", outcomes)]
    groups += [(f"style={s}", [o for o in outcomes if o.row.style == s]) for s in STYLES]
    groups += [(f"task={t}", [o for o in outcomes if o.row.task == t]) for t in tasks]
    groups += [(f"{t}/{s}", [o for o in outcomes if o.row.task == t and o.row.style == s])
               for t in tasks for s in STYLES]
    groups += [("expressible rows", [o for o in outcomes if not o.row.unsupported]),
               ("unsupported rows", [o for o in outcomes if o.row.unsupported])]
    # The style targets are about explanations a reading can exist for: an ``unsupported`` row
    # kept in full would be wrong, so it is left out of the denominator here.
    groups += [(f"{s} expressible",
                [o for o in outcomes if o.row.style == s and not o.row.unsupported])
               for s in STYLES]
    for name, group in groups:
        if not group:
            continue
        fig = rates(group)
        figures[name] = fig
        print(f"{name:24} {fig['n']:>4} {fig['parse']:>7} {fig['kept']:>7} {fig['full_kept']:>7} "
              f"{fig['correct']:>9} {fig['wrong']:>7} {fig['said_unsupported']:>7}")
    if args.show:
        print(f"\nnot correct (first {args.show}):")
        for o in [o for o in outcomes if not o.correct][: args.show]:
            print(f"  [{o.row.line} {o.row.task}/{o.row.style}] {o.row.text}\n"
                  f"      expected {o.row.expected}\n      kept {o.kept_dsl} {o.note}")
    if args.rows is not None:
        args.rows.write_text("".join(json.dumps(o.as_json()) + "\n" for o in outcomes),
                             encoding="utf-8")
    if latency:
        figures["parse_ms"] = {"median": round(statistics.median(latency), 1),
                               "p99": round(latency[min(len(latency) - 1,
                                                         int(0.99 * len(latency)))], 1),
                               "max": round(latency[-1], 1)}
        print(f"\nparse latency (parser alone): median {figures['parse_ms']['median']} ms, "
              f"p99 {figures['parse_ms']['p99']} ms, max {figures['parse_ms']['max']} ms")
    figures["seconds"] = round(seconds, 1)
    spouse_rows = load_spouse_rows(args.fixture / "spouse.tsv")
    if spouse_rows and args.task in (None, "spouse_dev"):
        data = spouse_data()
        if isinstance(data, str):
            print(f"\nSpouse rows ({len(spouse_rows)}): skipped: {data}")
        else:
            sp = spouse_figures(spouse_rows, *data)
            figures["spouse_dev"] = sp
            print(f"\nSpouse rows ({sp['n']}, pool dev, scored on test): kept {sp['kept']}%, "
                  f"full kept {sp['full_kept']}% ({sp['by_style']}), {sp['lfs']} LFs; majority "
                  f"vote covers {sp['mv_coverage_test']}, SPOUSE P/R/F1 {sp['mv_precision_test']} "
                  f"/ {sp['mv_recall_test']} / {sp['mv_f1_test']}")
    print(json.dumps({args.fixture.name: figures}, sort_keys=True))


if __name__ == "__main__":
    main()
