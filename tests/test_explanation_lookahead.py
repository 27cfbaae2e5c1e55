"""The Earley parser with one symbol of lookahead (explanation/lookahead.py) reads exactly what
the plain Earley parser reads: the same forest for every sentence that parses, a failure at the
same symbol (with the full expected set on demand) for every one that does not."""

from __future__ import annotations

from pathlib import Path

from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.parsers import earley

from explicate.grammar.explanation import classify, parser, render, scan
from explicate.grammar.explanation.lookahead import LookaheadEarley, full_error
from explicate.grammar.explanation.parser import _parse_counted, clause_kinds, parse_symbols
from explicate.grammar.explanation.parser import full_error as parse_error
from tests.explanation_cases import CONTEXT

FIXTURES = Path(__file__).parent / "fixtures"


def _symbol_strings() -> list[str]:
    lines = [ln.strip() for ln in (FIXTURES / "explanations.txt").read_text().splitlines()
             if ln.strip()]
    out = []
    for text in lines:
        lexemes, diags = scan(text, None)
        if not diags:
            out.append(render(classify(lexemes, CONTEXT))[0])
    # Prefixes fail part-way (or at the end): the failure must be found at the same place.
    out += [" ".join(s.split()[:k]) for s in out[:12] for k in (1, 3, 5)]
    return out


def _plain(text: str) -> object:
    """The parse by lark's own Earley parser over the same tables."""
    lark = parser()
    inner = lark.parser.parser
    assert isinstance(inner, LookaheadEarley)
    plain = object.__new__(earley.Parser)
    plain.__dict__.update(inner.__dict__)
    plain.__dict__.pop("predict_and_complete", None)  # the budget's wrapper of the lookahead one
    plain.predictions = inner._full
    try:
        return plain.parse(lark.parser._make_lexer_thread(text), clause_kinds(set(text.split())))
    except UnexpectedInput as exc:
        return exc


def test_lookahead_reads_what_the_plain_parser_reads() -> None:
    _parse_counted.cache_clear()
    strings = _symbol_strings()
    assert len(strings) > 40
    failures = 0
    for text in strings:
        fast, plain = parse_symbols(text), _plain(text)
        if isinstance(plain, UnexpectedInput):
            failures += 1
            assert isinstance(fast, UnexpectedInput), text
            assert type(fast) is type(plain), text
            if isinstance(plain, UnexpectedToken):
                assert isinstance(fast, UnexpectedToken)
                assert fast.token.start_pos == plain.token.start_pos, text
            # The full expected set comes back on demand.
            again = parse_error(fast)
            assert set(getattr(again, "expected", ())) == set(getattr(plain, "expected", ()))
        else:
            assert fast == plain, text
    assert failures >= 5  # the prefixes exercise the failure path


def test_full_error_is_none_for_a_sentence_that_parses() -> None:
    text = "QUOTE BE between ENT and ENT"
    assert full_error(parser(), text, clause_kinds(set(text.split()))) is None
