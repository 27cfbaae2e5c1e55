"""Run-on crowd notes of the example's words: "has benefits and 401k so legit".

Three causes made such notes read nothing or something else: a number with letters typed onto
it ("401k", "3pm") was cut by the scanner into a number and a word the example lacks; a run of
example words ending in "and" was quoted whole ("benefits and"), leaving the second word to be
skipped as unknown; and "has" opening the note, or "so <remark>" closing it, was not filler.
Over task shapes of this file's own."""

from __future__ import annotations

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

JOBS = Context(("FAKE", "REAL"), {}, ("title", "ad"), {},
               {"title": "Night Nurse", "ad": "Full 403b match and dental cover; RN license and "
                "2nd shift pay. Call at 9am."})
MENU = Context(("BAD", "GOOD"), {}, ("review",), {},
               {"review": "Crisp fries, a 3rd helping of gravy and cold soda for free."})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def _all(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings]


def test_a_number_glued_to_letters_is_the_examples_word() -> None:
    assert _complete("403b match", JOBS) == ['ad contains "403b match"']
    assert _complete("call at 9am", JOBS) == ['ad contains "call at 9am"']
    assert _complete("3rd helping", MENU) == ['review contains "3rd helping"']


def test_has_and_so_around_a_run_on_of_example_words() -> None:
    assert _complete("has dental cover and 403b so legit", JOBS) == [
        'ad contains "dental cover" and ad contains "403b"']
    assert _complete("has dental cover and 2nd shift pay", JOBS) == [
        'ad contains "dental cover" and ad contains "2nd shift pay"']
    assert _complete("crisp fries and cold soda so yummy", MENU) == [
        'review contains "crisp fries" and review contains "cold soda"']


def test_no_reading_quotes_a_run_that_ends_in_a_conjunction() -> None:
    # "gravy and" is verbatim in the example, but the note names "gravy" and "soda".
    for text in ("has gravy and soda so yummy", "has 403b and dental so legit"):
        for dsl in _all(text, MENU if "gravy" in text else JOBS):
            assert ' and"' not in dsl and '"and ' not in dsl, (text, dsl)
