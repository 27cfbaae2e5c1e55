"""A bare excerpt with both mentions in it: every word of it is said, none dropped.

The words between the two mentions are read as between them; words before the first mention or
after the second were dropped silently ("jaundice secondary to hepatitis b was noted" kept only
"secondary to" between the two). Over task shapes of this file's own."""

from __future__ import annotations

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

PARTS = Context(("OK", "FAULT"), {"part": "log", "cause": "log"}, ("log",), {},
                {"log": "Valve leak caused by a worn seal was reported at noon.",
                 "part": "Valve leak", "cause": "worn seal"})
TRADE = Context(("NO", "DEAL"), {"buyer": "wire", "seller": "wire"}, ("wire",), {},
                {"wire": "Shares rose after Acme agreed to buy Brill for cash, sources said.",
                 "buyer": "Acme", "seller": "Brill"})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def test_words_after_the_second_mention_are_said_of_it() -> None:
    assert _complete("valve leak caused by a worn seal was reported", PARTS) == [
        '"caused by a" between part and cause and "was reported" within 0 words right of cause']
    assert _complete("acme agreed to buy brill for cash", TRADE) == [
        '"agreed to buy" between buyer and seller and "for cash" within 0 words right of seller']


def test_words_before_the_first_mention_are_said_of_it() -> None:
    assert _complete("rose after acme agreed to buy brill", TRADE) == [
        '"agreed to buy" between buyer and seller and "rose after" within 0 words left of buyer']


def test_the_words_after_the_mention_run_on_past_a_comma() -> None:
    assert _complete("acme agreed to buy brill for cash, sources said", TRADE) == [
        '"agreed to buy" between buyer and seller'
        ' and "for cash, sources said" within 0 words right of seller']


def test_an_excerpt_that_ends_at_the_second_mention_is_the_words_between() -> None:
    assert _complete("acme agreed to buy brill", TRADE) == ['"agreed to buy" between buyer and seller']
    assert _complete("valve leak caused by a worn seal", PARTS) == [
        '"caused by a" between part and cause']


RX = Context(("NO", "DOSE"), {"drug": "order", "amount": "order"}, ("order",), {},
             {"order": "Give warfarin 5 mg nightly with food.", "drug": "warfarin",
              "amount": "5 mg"})


def test_two_mentions_side_by_side_with_words_around_are_the_piece_as_written() -> None:
    # Nothing lies between the mentions to relate them by: the words around them are not
    # dropped, the piece is read as it is written.
    assert _complete("give warfarin 5 mg", RX) == ['order contains "Give warfarin 5 mg"']
    assert _complete("warfarin 5 mg nightly", RX) == ['order contains "warfarin 5 mg nightly"']
    assert _complete("give warfarin 5 mg nightly with food", RX) == [
        'order contains "Give warfarin 5 mg nightly with food"']
