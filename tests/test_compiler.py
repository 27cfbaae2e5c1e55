"""Resolve, typecheck and normalize: clear errors for every user mistake, all at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from explicate import ir
from explicate.compiler import FieldKind, Schema, compile_rules
from explicate.errors import CompileError, ExplicateError
from explicate.grammar import parse, parse_lf
from explicate.runtime.apply import compile_for, load_rules
from explicate.runtime.data import read_table

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = Schema({"title": FieldKind.TEXT, "body": FieldKind.TEXT, "score": FieldKind.NUM,
                 "sentence": FieldKind.TEXT, "p1": FieldKind.SPAN, "p2": FieldKind.SPAN},
                {"p1": "sentence", "p2": "sentence"})


def _errors(text: str, schema: Schema | None = SCHEMA) -> list[str]:
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse(text, "r.lf"), schema)
    return [d.render() for d in info.value.diagnostics]


def test_compile_broken_file_matches_golden_diagnostics() -> None:
    source = load_rules(FIXTURES / "broken.lf")
    df = read_table(FIXTURES / "broken_data.csv")
    with pytest.raises(ExplicateError) as info:
        compile_for(source, df)
    rendered = str(info.value).replace(str(FIXTURES / "broken.lf"), "broken.lf")
    expected = (FIXTURES / "broken.expected").read_text()
    assert rendered + "\n" == expected


def test_unknown_field_lists_fields_and_suggests() -> None:
    [msg] = _errors('labels: A\nlf x: titel contains "a" -> A')
    assert "error[E201]: unknown field 'titel'" in msg
    assert "did you mean 'title'? fields: body, p1, p2, score, sentence, title" in msg


def test_type_errors_name_both_sides() -> None:
    [msg] = _errors('labels: A\nlf x: count(p1) contains "x" -> A')
    assert "E301" in msg and "`count(p1)` is a number" in msg
    [msg] = _errors('labels: A\nlf x: "wife" between title and p2 -> A')
    assert "must be a mention" in msg and "spans:" in msg
    [msg] = _errors('labels: A\nlf x: title > 3 -> A')
    assert "the left side of '>' must be a number" in msg


def test_without_schema_field_kinds_are_inferred_from_use() -> None:
    program = compile_rules(parse('labels: A\nlf x: t contains "a" and n > 2 -> A'))
    assert program.field_kinds == {"t": FieldKind.TEXT, "n": FieldKind.NUM}
    [msg] = _errors('labels: A\nlf x: t contains "a" -> A\nlf y: t > 2 -> A', schema=None)
    assert "field 't' is used both as a number and as text" in msg


def test_duplicates_and_missing_labels_are_errors() -> None:
    msgs = _errors('labels: A\nlf x: title contains "a" -> A\nlf x: title contains "b" -> A')
    assert any("LF 'x' is defined twice" in m for m in msgs)
    msgs = _errors('lf x: title contains "a" -> A')
    assert any("no 'labels:' declaration" in m for m in msgs)


def test_mentions_of_different_texts_cannot_be_compared() -> None:
    schema = Schema({"s": FieldKind.TEXT, "t": FieldKind.TEXT, "a": FieldKind.SPAN,
                     "b": FieldKind.SPAN}, {"a": "s", "b": "t"})
    [msg] = _errors('labels: A\nlf x: a and b within 3 words -> A', schema)
    assert "same text" in msg


def test_word_list_file_is_read_relative_to_rules(tmp_path: Path) -> None:
    (tmp_path / "fam.txt").write_text("# family words\nbrother\nsister in law\n\n")
    rules = parse('labels: A\nwords fam from "fam.txt"\nlf x: title contains @fam -> A')
    program = compile_rules(rules, SCHEMA, tmp_path)
    assert program.word_lists["fam"] == (ir.Phrase("brother"), ir.Phrase("sister in law"))
    with pytest.raises(CompileError) as info:
        compile_rules(parse('labels: A\nwords fam from "nope.txt"\nlf x: title contains @fam -> A'),
                      SCHEMA, tmp_path)
    assert "E207" in str(info.value)


def test_normalize_flattens_and_dedupes() -> None:
    from explicate.compiler import normalize

    lf = parse_lf('lf x: (a contains "1" and (b contains "2" and a contains "1")) '
                  'or not not c contains any of ("3") -> A')
    from explicate.grammar import to_dsl

    assert to_dsl(normalize(lf)) == ('lf x: a contains "1" and b contains "2" or '
                                     'c contains "3" -> A')


def test_spans_declaration_must_name_real_fields() -> None:
    df = pd.DataFrame({"sentence": ["a b"], "p": ["a"]})
    rules = parse('labels: A\nspans: p, q in sentense\nlf x: p is capitalized -> A')
    with pytest.raises(ExplicateError) as info:
        compile_for(rules, df)
    text = str(info.value)
    assert "unknown text field 'sentense'" in text and "unknown mention field 'q'" in text
