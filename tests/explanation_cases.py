"""Shared context for explanation tests: a spouse-like example the project writes itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from explicate.grammar.explanation import Context

SENTENCE = ("Mr John Smith and his wife, Mary Smith, were married in 2008; "
            "her sisters and John's dad came from Boston.")
EXAMPLE = {"sentence": SENTENCE, "person1": "John Smith", "person2": "Mary Smith"}
CONTEXT = Context(
    labels=("NOT_SPOUSE", "SPOUSE"),
    spans={"person1": "sentence", "person2": "sentence"},
    texts=("sentence",),
    word_lists={"spouse": ("wife", "husband", "spouse")},
)


def render(text: str, ctx: Context = CONTEXT) -> str:
    """The golden-file block for one explanation: every reading (or why there is none)."""
    from explicate.grammar import to_dsl
    from explicate.grammar.explanation import parse_explanation

    parsed = parse_explanation(text, ctx)
    lines = [f"> {text}"]
    for r in parsed.readings:
        label = f"[{r.label}] " if r.label else ""
        skipped = f"   (skipped: {' '.join(r.skipped)})" if r.skipped else ""
        if r.partial:
            skipped += f" PARTIAL, dropped: {' | '.join(r.dropped)}"
        lines.append(f"  {label}{to_dsl(r.when)}{skipped}")
    lines += [f"  unsupported: {u}" for u in parsed.unsupported]
    lines += [f"  error: {d.message} at {d.span.start if d.span else '?'}"
              for d in parsed.diagnostics]
    return "\n".join(lines)


# --- the corpus: phrasings per primitive over several task shapes -----------------------------

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS_TASKS = FIXTURES / "explanations.corpus.json"
CORPUS_ROWS = FIXTURES / "explanations.corpus.tsv"
# Held-out style: new task shapes, written before the grammar was changed for them
# (explanations.newtasks[_<batch>].{json,tsv}; see _new_files).


@dataclass(frozen=True)
class CorpusRow:
    """One corpus explanation: its task shape, the example it is about, what it exercises."""

    task: str
    example: str
    primitive: str
    label: str
    text: str


def corpus() -> list[CorpusRow]:
    lines = CORPUS_ROWS.read_text(encoding="utf-8").splitlines()[1:]
    return [CorpusRow(*ln.split("\t")) for ln in lines if ln.strip()]


def corpus_tasks() -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = json.loads(CORPUS_TASKS.read_text())["tasks"]
    return tasks


def corpus_context(row: CorpusRow | NewRow) -> Context:
    """The context a corpus row is parsed in: its task's fields, lists, labels and example."""
    tasks = new_tasks() if isinstance(row, NewRow) else corpus_tasks()
    task = tasks[row.task]
    return Context(tuple(task["labels"]), task["spans"], tuple(task["texts"]),
                   {k: tuple(v) for k, v in task["lists"].items()},
                   task["examples"][row.example])


def corpus_frames() -> dict[str, pd.DataFrame]:
    """Per task, the explanations table ``explain`` reads (label, explanation, example fields)."""
    tasks = corpus_tasks()
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in corpus():
        example = tasks[r.task]["examples"][r.example]
        rows.setdefault(r.task, []).append({"label": r.label, "explanation": r.text, **example})
    return {t: pd.DataFrame(v) for t, v in rows.items()}


def render_corpus(task: str | None = None) -> str:
    """The corpus golden file: every reading of every corpus row (of ``task``, or all), in its
    task's context."""
    blocks = [f"[{r.task}/{r.example}/{r.primitive}] {r.label}\n" + render(r.text, corpus_context(r))
              for r in corpus() if task is None or r.task == task]
    return "\n\n".join(blocks) + "\n"


# --- new task shapes: what each explanation should read as ----------------------------------


@dataclass(frozen=True)
class NewRow:
    """One explanation of the new-task fixture: its task and example, who would write it that
    way (``grad`` or ``crowd``), its batch (1: used to find the general causes; 2: written after
    those changes, measured before any change for it), its label, and the DSL condition it should
    read as."""

    task: str
    example: str
    style: str
    batch: str
    label: str
    text: str
    expected: str


def _new_files(suffix: str) -> list[Path]:
    """The fixture's files: ``explanations.newtasks.<suffix>`` and any later batch written as
    ``explanations.newtasks_<name>.<suffix>`` (so batches written apart never edit one file)."""
    return [FIXTURES / f"explanations.newtasks.{suffix}",
            *sorted(FIXTURES.glob(f"explanations.newtasks_*.{suffix}"))]


def _scope(path: Path) -> str:
    """The prefix of a file's task names: none in the first file; ``<name>/`` in a later batch
    ``explanations.newtasks_<name>.*``, so batches written apart may reuse a task's name."""
    stem = path.name.split(".")[1]
    return stem.removeprefix("newtasks_") + "/" if stem.startswith("newtasks_") else ""


def new_rows() -> list[NewRow]:
    rows: list[NewRow] = []
    for path in _new_files("tsv"):
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        for row in (NewRow(*ln.split("\t")) for ln in lines if ln.strip()):
            rows.append(replace(row, task=_scope(path) + row.task))
    return rows


def new_tasks() -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = {}
    for path in _new_files("json"):
        for bare, task in json.loads(path.read_text())["tasks"].items():
            name = _scope(path) + bare
            if name in tasks:
                raise ValueError(f"{path.name}: task {name!r} is defined twice in the fixture")
            tasks[name] = task
    return tasks


def new_verdict(row: NewRow) -> str:
    """How the grammar reads one new-task row: ``right`` (a complete reading is the expected
    condition), ``wrong`` (complete readings, none of them expected), ``partial`` (only readings
    that dropped content) or ``none``."""
    from explicate.grammar.explanation import parse_explanation, simplify
    from explicate.grammar.parse import parse_lf

    expected = simplify(parse_lf(f"lf r: {row.expected} -> L").when)
    parsed = parse_explanation(row.text, corpus_context(row))
    complete = [r.when for r in parsed.readings if not r.partial]
    if expected in complete:
        return "right"
    if complete:
        return "wrong"
    return "partial" if parsed.readings else "none"
