"""Built parsers kept on disk (grammar/prebuilt.py): a parser loaded from the cache reads what a
freshly built one reads; a broken or foreign file is rebuilt, never used; cached parse errors do
not keep the Earley chart alive."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from explicate.grammar import prebuilt
from explicate.grammar.explanation import parser
from explicate.grammar.explanation.parser import _parse_counted, clause_kinds, parse_symbols
from explicate.grammar.syntax import grammar_text
from tests.test_explanation_lookahead import _symbol_strings


def _explanation_build() -> Lark:
    """The explanation grammar's Earley parser through the cache (the options ``parser()``
    uses)."""
    lark = parser()
    return prebuilt.lark_parser("t-explanation", lark.source_grammar, parser="earley",
                                lexer="basic", ambiguity="explicit", propagate_positions=False,
                                start=lark.options.start)


def test_a_loaded_earley_parser_reads_what_a_built_one_reads(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setenv("EXPLICATE_CACHE", str(tmp_path))
    built = _explanation_build()
    files = list(tmp_path.glob("parsers-v*/t-explanation/t-explanation-*.pickle"))
    assert len(files) == 1
    loaded = _explanation_build()
    assert loaded is not built
    for text in _symbol_strings():
        start = clause_kinds(set(text.split()))
        try:
            want: object = built.parse(text, start=start)
        except UnexpectedInput as exc:
            want = (type(exc), getattr(exc, "pos_in_stream", None))
        try:
            got: object = loaded.parse(text, start=start)
        except UnexpectedInput as exc:
            got = (type(exc), getattr(exc, "pos_in_stream", None))
        assert got == want, text


def test_a_loaded_lalr_parser_reads_what_a_built_one_reads(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("EXPLICATE_CACHE", str(tmp_path))
    options = {"start": "statement", "parser": "lalr", "propagate_positions": True,
               "maybe_placeholders": False}
    built = prebuilt.lark_parser("t-dsl", grammar_text(), **options)
    loaded = prebuilt.lark_parser("t-dsl", grammar_text(), **options)
    assert loaded is not built
    text = 'lf a: text contains "x" and not (n > 3 or text matches /a+/) -> SPAM'
    assert loaded.parse(text) == built.parse(text)


def test_a_broken_or_foreign_file_is_rebuilt(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPLICATE_CACHE", str(tmp_path))
    options = {"start": "statement", "parser": "lalr"}
    prebuilt.lark_parser("t-dsl", grammar_text(), **options)
    (path,) = tmp_path.glob("parsers-v*/t-dsl/t-dsl-*.pickle")
    path.write_bytes(b"not a pickle")
    assert isinstance(prebuilt.lark_parser("t-dsl", grammar_text(), **options), Lark)
    # A pickle that names anything but lark's classes is refused, not run.
    path.write_bytes(pickle.dumps(print))
    assert prebuilt._load(path) is None
    assert not path.exists()


def test_caching_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPLICATE_CACHE", "off")
    assert prebuilt.cache_dir() is None
    prebuilt.lark_parser("t-dsl", grammar_text(), start="statement", parser="lalr")
    assert not list(tmp_path.iterdir())


def test_cached_parse_errors_do_not_keep_the_chart() -> None:
    # Ending too early, each fails after its whole chart is built.
    texts = ["QUOTE " + ", QUOTE " * (k % 10) + "BE between ENT and" +
             " ENT and QUOTE BE between ENT and" * (k // 10) for k in range(40)]
    for text in texts:  # the parser and its lazily filled tables, outside the count
        parse_symbols(text)
    _parse_counted.cache_clear()
    gc.collect()
    before = len(gc.get_objects())
    for text in texts:
        result = parse_symbols(text)  # cached, each
        assert isinstance(result, UnexpectedInput)
        assert result.__traceback__ is None and getattr(result, "considered_rules", None) is None
    gc.collect()
    # Each chart had thousands of items; what stays is the errors and their tokens.
    assert len(gc.get_objects()) - before < len(texts) * 100


def test_the_expected_words_re_parse_has_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    parser_mod = importlib.import_module("explicate.grammar.explanation.parser")
    text = "QUOTE BE between ENT and"
    _parse_counted.cache_clear()
    failed = parse_symbols(text)
    assert isinstance(failed, UnexpectedInput)
    assert parser_mod.full_error(failed).expected  # within the budget: every expected word
    monkeypatch.setattr(parser_mod, "MAX_ITEMS", 5)
    assert parser_mod.full_error(failed) is failed  # past it: the error as the parse left it


def test_built_parsers_are_counted_and_cleared_with_the_cache(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    from explicate.runtime import cache_admin

    monkeypatch.setenv("EXPLICATE_CACHE", str(tmp_path))
    prebuilt.lark_parser("t-dsl", grammar_text(), start="statement", parser="lalr")
    assert cache_admin.usage(tmp_path).kinds["parsers"][0] == 1
    cache_admin.clear(tmp_path)
    assert cache_admin.usage(tmp_path).total_entries == 0
    assert not list(tmp_path.rglob("*.pickle"))
