"""Fuzz suites (hypothesis, seeded, bounded): whatever a user feeds the DSL parser and compiler,
the English parser, the data readers or the pipeline config, only coded diagnostics come out."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from explicate.compiler import compile_rules
from explicate.errors import ExplicateError
from explicate.grammar.explanation import Context, parse_explanation
from explicate.grammar.parse import parse_partial
from explicate.runtime.data import read_table
from explicate.runtime.pipeline.config import config_from_dict

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

SEED_LF = '''labels: HAM, SPAM
words money = "cash", "prize", 'it\\'s'
let n = count(text)
lf a: text contains @money and not text ends with "now" -> SPAM
lf b: n > 3.5 or text matches /win+/i -> HAM
lf c: "wife" between person1 and person2 -> SPAM
'''
PIECES = ["lf", "labels:", "words", "let", "spans:", "->", "(", ")", "not", "and", "or", '"',
          "'", "\\", "\\x", "\\u12", "1e999", "9" * 30, "^", "-", "@", "`", "/", "#", "\n",
          "contains", "within", "words", "of", "count(", "chars(", "\ufeff", "\x00", "é", " "]


@st.composite
def mutated(draw: Any, seed: str, pieces: list[str]) -> str:
    """The seed text with a few pieces inserted, deleted or repeated at drawn places."""
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(pieces)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        else:
            piece = draw(st.sampled_from(pieces))
            text = text[:at] + piece * draw(st.integers(2, 300)) + text[at:]
    return text


@FUZZ
@given(mutated(SEED_LF, PIECES))
def test_dsl_fuzz_gives_only_coded_diagnostics(text: str) -> None:
    rules, problems = parse_partial(text, "fuzz.lf")
    try:
        compile_rules(rules, None, ".", problems)
    except ExplicateError as exc:
        assert exc.diagnostics and all(d.code.startswith("E") for d in exc.diagnostics)
        str(exc)  # rendering never fails either


SEED_EN = "label SPOUSE because the word 'wife' is between person1 and person2"
EN_PIECES = ["'", '"', "within", "3.7", "9" * 40, "words", "of", "and", "or", "not", ",",
             "!!!!", "person1", "person2", "left", "right", "\ufeff", "the", "X", " "]


@FUZZ
@given(mutated(SEED_EN, EN_PIECES))
def test_english_fuzz_gives_only_coded_diagnostics(text: str) -> None:
    parsed = parse_explanation(text)
    assert all(d.code.startswith("E") for d in parsed.diagnostics)


# The same in a task's context: mentions, a word list and an example, so readings, partial
# readings (the clause cover) and spelling corrections run too.
SPOUSE = Context(labels=("NOT_SPOUSE", "SPOUSE"),
                 spans={"person1": "sentence", "person2": "sentence"}, texts=("sentence",),
                 word_lists={"spouse": ("wife", "husband")},
                 example={"sentence": "John and his wife Mary married in 2008.",
                          "person1": "John", "person2": "Mary"})


@settings(FUZZ, max_examples=40)
@given(mutated(SEED_EN, EN_PIECES))
def test_english_fuzz_in_a_task_context_gives_only_coded_diagnostics(text: str) -> None:
    parsed = parse_explanation(text, SPOUSE)
    assert all(d.code.startswith("E") for d in parsed.diagnostics)
    for d in parsed.diagnostics:
        d.render()


ROWS = ["text,label\n", "a,b\n", "a,b,\n", '"open,b\n', "\n", "x\x00y,1\n", ",,,,\n",
        '{"text": "a"}\n', "[1, 2]\n", "{bad\n", '"a""b",c\n', "\ufeff", "\xff"]


@FUZZ
@given(st.sampled_from([".csv", ".tsv", ".jsonl", ".json", ".txt"]),
       st.lists(st.sampled_from(ROWS), max_size=12), st.booleans())
def test_reader_fuzz_gives_only_coded_diagnostics(suffix: str, rows: list[str],
                                                  named: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"d{suffix}"
        path.write_bytes("".join(rows).encode("utf-8", "surrogateescape")
                         .replace("\xff".encode(), b"\xff"))
        try:
            df = read_table(path, ["text", "label"] if named else None)
        except ExplicateError as exc:
            assert exc.diagnostics
            return
        assert len(df.columns) >= 0


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                   st.text(max_size=5), st.lists(st.text(max_size=3), max_size=3),
                   st.lists(st.floats(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                       st.text(max_size=3),
                                                                       max_size=2))
KEYS = ["train", "dev", "columns", "label_map", "files", "labels", "keep", "method",
        "class_balance", "kind", "epochs", "lr", "batch_size", "weight_decay", "device",
        "patience", "finetune", "dir", "bogus"]


@FUZZ
@given(st.dictionaries(st.sampled_from(["data", "rules", "label_model", "end_model", "output",
                                        "nope"]),
                       st.dictionaries(st.sampled_from(KEYS),
                                       VALUES.filter(lambda v: v is not None), max_size=5),
                       max_size=5))
def test_pipeline_config_fuzz_gives_only_coded_diagnostics(raw: dict[str, Any]) -> None:
    try:
        config_from_dict(raw, ".")
    except ExplicateError as exc:
        assert exc.diagnostics and all(d.code == "E501" for d in exc.diagnostics)
