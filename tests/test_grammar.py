"""The DSL: the issue's example files compile, print back canonically, and errors point at text."""

from __future__ import annotations

from pathlib import Path

import pytest

from explicate import ir
from explicate.errors import ExplicateError, ParseError
from explicate.grammar import parse, parse_lf, to_dsl
from explicate.grammar.syntax import grammar_text, keywords
from explicate.primitives import registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples/spam/spam.lf", ROOT / "examples/spouse/spouse.lf",
            ROOT / "explicate/demo/ads.lf"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_parse_example_files_round_trip(path: Path) -> None:
    rules = parse(path.read_text(), path.name)
    printed = to_dsl(rules)
    assert parse(printed) == rules
    assert to_dsl(parse(printed)) == printed  # printing is canonical (a fixed point)


def test_parse_spam_builds_the_expected_ir() -> None:
    rules = parse((ROOT / "examples/spam/spam.lf").read_text())
    assert rules.labels == ("HAM", "SPAM")
    lfs = {lf.name: lf for lf in rules.lfs}
    assert len(lfs) == 11
    from explicate.primitives.text import Contains, CountOf, FollowedBy, Matches

    assert lfs["subscribe"].when == Contains(ir.Field("text"), ir.Phrase("subscribe"))
    assert lfs["thats_nice"].when == FollowedBy(ir.Phrase("thats"), ir.Phrase("nice"),
                                                ir.Field("text"), within=1)
    assert lfs["calls"].when == ir.Compare(">=", CountOf(ir.Phrase("call"), ir.Field("text")),
                                           ir.Num(2.0))
    assert lfs["check_out"].when == Matches(ir.Field("text"),
                                            ir.Regex(r"check\s+(it|this)\s+out", "i"))
    song = lfs["song"].when
    assert isinstance(song, ir.And) and isinstance(song.args[1], ir.Not)
    words = next(s for s in rules.statements if isinstance(s, ir.WordsDecl))
    assert words.items == (ir.Phrase("cash"), ir.Phrase("prize"), ir.Phrase("£"))


def test_parse_keeps_spans_pointing_at_source() -> None:
    lf = parse_lf('lf a: title contains "job" -> JOB', "x.lf")
    assert lf.span is not None and lf.span.text.startswith("lf a:")
    field = lf.when.text  # type: ignore[attr-defined]
    assert field.span.text == "title" and (field.span.line, field.span.column) == (1, 7)


def test_parse_spans_are_not_part_of_equality() -> None:
    a = parse_lf('lf a: title contains "job" -> JOB')
    b = parse_lf('lf a:   title   contains  "job"   ->   JOB')
    assert a == b and hash(a) == hash(b)


@pytest.mark.parametrize(
    "text",
    [
        'lf a: text contains case "URGENT" -> X',
        "lf a: `my field` contains 'it''s' -> X".replace("''", "\\'"),
        'lf a: not (text contains "a" or text contains "b") and chars(text) >= 10 -> X',
        'lf a: (text contains "a" or text contains "b") and not not text is upper -> X',
        'lf a: "x" within 2 words of p1 or "y" right of p2 or "z" before p1 -> X',
        'lf a: text matches /a\\/b/ism -> X',
        'lf a: text contains "say \\"hi\\"\\n" -> X',
        'lf a: score != -2.5 -> X',
    ],
)
def test_parse_print_parse_is_identity(text: str) -> None:
    lf = parse_lf(text)
    assert parse_lf(to_dsl(lf)) == lf


def test_print_adds_only_needed_parentheses() -> None:
    lf = parse_lf('lf a: (a contains "x" and b contains "y") or not (c contains "z" or d is lower) -> X')
    assert to_dsl(lf) == ('lf a: a contains "x" and b contains "y" or '
                          'not (c contains "z" or d is lower) -> X')


def test_keywords_are_case_insensitive_and_names_may_start_with_keywords() -> None:
    lf = parse_lf('LF a: notes CONTAINS "x" And counter > 1 -> X')
    assert to_dsl(lf) == 'lf a: notes contains "x" and counter > 1 -> X'
    assert to_dsl(parse_lf('lf a: `count` > 1 -> X')) == "lf a: `count` > 1 -> X"


def test_grammar_has_an_alternative_for_every_registered_phrasing() -> None:
    text = grammar_text()
    for reg in registry.REGISTRY.values():
        for i in range(len(reg.alts)):
            assert f"-> {reg.alias(i)}" in text


def test_parse_reports_every_syntax_error_with_line_and_caret() -> None:
    src = 'labels: A\nlf x: text contans "a" -> A\nlf y: text contains "b" -> A\nlf z: ( -> A\n'
    with pytest.raises(ParseError) as info:
        parse(src, "r.lf")
    diags = info.value.diagnostics
    assert [(d.span.line, d.span.column) for d in diags if d.span] == [(2, 12), (4, 9)]
    first = diags[0].render()
    assert "r.lf:2:12" in first and "^^^^^^^" in first and "did you mean 'contains'?" in first


def test_parse_unterminated_string_hints_at_missing_quote() -> None:
    with pytest.raises(ExplicateError) as info:
        parse('labels: A\nlf x: text contains "abc -> A\n')
    assert "closing quote" in str(info.value)


def test_statements_may_continue_on_following_lines() -> None:
    rules = parse('labels: A\nlf x: text contains "a"\n   or text contains "b"\n   -> A\n')
    assert to_dsl(rules.lfs[0]) == 'lf x: text contains "a" or text contains "b" -> A'


@pytest.mark.parametrize("word", sorted(keywords()))
def test_every_keyword_as_a_name_prints_as_dsl_that_parses(word: str) -> None:
    """A field, label, word list or LF named like a keyword prints in backticks and reads back."""
    lf = ir.LF(word, ir.Label(word), ir.Compare(">", ir.Field(word), ir.Num(1.0)))
    rules = ir.RuleFile((ir.LabelsDecl((word, "OTHER")),
                         ir.WordsDecl(word, (ir.Phrase("x"),)), lf))
    printed = to_dsl(rules)
    assert parse(printed) == rules, printed


def test_keywords_are_read_from_the_grammar() -> None:
    assert {"true", "false", "contains", "lf", "between", "overlaps"} <= keywords()
