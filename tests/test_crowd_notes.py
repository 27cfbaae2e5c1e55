"""Terse crowd notes: an excerpt of the example and a remark (crowd_notes)."""

from __future__ import annotations

from explicate import ir, to_dsl
from explicate.grammar.explanation import parse_explanation, speech
from explicate.grammar.explanation.lexicon import Context, scan

PAIR = Context(("NO", "SIBLINGS"), {"sis": "bio", "bro": "bio"}, ("bio",), {"kin": ("brother",)},
               {"bio": "Ines Roy and her twin brother Marc Roy opened a bakery in Lyon.",
                "sis": "Ines Roy", "bro": "Marc Roy"})
TWO = Context(("OK", "SCAM"), {}, ("heading", "details"), {"pressure": ("wire",)},
              {"heading": "Quiet loft near the river",
               "details": "Send a gift card today and the keys follow by courier."})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def _remark(text: str, ctx: Context) -> str:
    """The conclusion ``speech`` cuts off (what the parser reports as the reason)."""
    lexemes, _ = scan(text, ir.Source("<test>", text))
    return speech.split_conclusion(speech.normalize(lexemes, ctx))[1]


def test_a_remark_after_equals_or_means_is_the_reason_not_a_condition() -> None:
    assert _complete("gift card today = classic scam", TWO) == [
        'details contains "gift card today"']
    assert _complete("opened a bakery means they work together", PAIR) == [
        'bio contains "opened a bakery"']
    assert _remark("gift card today = classic scam", TWO) == "= classic scam"


def test_a_remark_that_says_nothing_of_the_example_is_cut_after_an_excerpt() -> None:
    assert _complete("keys follow by courier lol", TWO) == [
        'details contains "keys follow by courier"']
    assert _complete("send a gift card is always a scam", TWO) == [
        'details contains "send a gift card"']
    assert _complete("quiet loft, sounds fine", TWO) == ['heading contains "quiet loft"']
    assert _remark("keys follow by courier lol", TWO) == "lol"


def test_a_tail_with_content_is_never_a_remark() -> None:
    # A negation, a list or field name, a word of the example, a conjunction or letter case:
    # none is cut, so no reading keeps the excerpt alone as if it were all.
    for text in ("send a gift card, not the keys", "send a gift card and courier",
                 "quiet loft in caps", "send a gift card, no pressure words"):
        assert 'details contains "send a gift card"' not in _complete(text, TWO), text
        assert 'heading contains "quiet loft"' not in _complete(text, TWO), text


def test_a_bare_excerpt_is_quoted_in_the_one_text_that_has_it() -> None:
    assert _complete("keys follow by courier", TWO) == ['details contains "keys follow by courier"']
    assert _complete("quiet loft near the river", TWO) == [
        'heading contains "quiet loft near the river"']
    # Words that are not the example's in that order are not an excerpt; each is a word the
    # example has, so the domain-statement reading (statements.py) requires both, and says so.
    assert 'details contains "courier keys"' not in _complete("courier keys", TWO)
    assert _complete("courier keys", TWO) == [
        'details contains "courier" and details contains "keys"']


def test_a_bare_excerpt_between_two_mentions_is_between_them() -> None:
    assert _complete("her twin brother", PAIR) == ['"her twin brother" between sis and bro']
    # One word, or said with "it says", or followed by a remark: the words the text has.
    assert _complete("bakery", PAIR) == ['bio contains "bakery"']
    assert _complete("because it says her twin brother", PAIR) == [
        'bio contains "her twin brother"']
    assert _complete("her twin brother = siblings", PAIR) == ['bio contains "her twin brother"']


def test_a_bare_says_before_an_excerpt_with_a_mention_reads_the_mention() -> None:
    assert _complete("says bakery in lyon", Context(
        ("NO", "YES"), {"shop": "bio"}, ("bio",), {},
        {"bio": "They opened a bakery in Lyon.", "shop": "bakery"})) == [
        '"in lyon" within 0 words right of shop']


def test_equals_before_a_number_compares() -> None:
    links = Context(("HAM", "SPAM"), {}, ("body",), {}, {"body": "click here now", "links": 3})
    assert _complete("links = 3", links) == ["links == 3"]
    assert _complete("click here = spam", links) == ['body contains "click here"']


def test_words_that_go_on_from_an_excerpt_without_a_remark_word_are_no_remark() -> None:
    # "sister" is not the example's: the sentence is no excerpt, and nothing is dropped.
    assert _complete("Ines Roy and her sister", PAIR) == []
