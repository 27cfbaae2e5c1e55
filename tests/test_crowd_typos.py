"""Slips in words copied from the example ("delicous" for "delicious") in crowd explanations."""

from __future__ import annotations

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.crowd_typos import nearest_example_word
from explicate.grammar.explanation.lexicon import Context

CTX = Context(("BAD", "GOOD"), {"dish": "review"}, ("review",), {"praise": ("tasty", "great")},
              {"review": "The risotto was delicious, the app crashes and the staff were rude.",
               "dish": "risotto"})


def _complete(text: str, ctx: Context = CTX) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def test_a_slip_in_an_example_word_reads_as_that_word() -> None:
    assert nearest_example_word("delicous", CTX) == "delicious"  # a letter left out
    assert nearest_example_word("rsiotto", CTX) == "risotto"  # two letters swapped
    assert 'review contains "delicious"' in _complete("the word delicous is in the review")


def test_other_forms_known_words_and_ties_are_not_corrected() -> None:
    # Another form of an example word may be meant as written: not a slip.
    assert nearest_example_word("crashed", CTX) is None
    assert nearest_example_word("crashing", CTX) is None


def test_a_slip_near_the_end_of_a_word_is_a_slip_unless_both_end_like_words() -> None:
    # Differing only in the last letters is another form only when each ending is a word
    # ending ("crashed" / "crashes"); "risotot", "speakr", "stoped" are slips.
    assert nearest_example_word("risotot", CTX) == "risotto"
    slips = Context(("A", "B"), {}, ("q",), {}, {"q": "My speaker stopped working"})
    assert nearest_example_word("speakr", slips) == "speaker"
    assert nearest_example_word("stoped", slips) == "stopped"
    assert nearest_example_word("speakers", slips) is None


def test_the_rest_is_never_corrected() -> None:
    # Words of the example, keywords, names and short words are never rewritten.
    assert nearest_example_word("delicious", CTX) is None
    assert nearest_example_word("between", CTX) is None
    assert nearest_example_word("praise", CTX) is None
    assert nearest_example_word("rude", CTX) is None
    # Two example words equally near: no guess.
    tie = Context(("BAD", "GOOD"), {}, ("review",), {}, {"review": "a tablet and a tables"})
    assert nearest_example_word("tablez", tie) is None


def test_a_word_far_from_every_example_word_is_left_alone() -> None:
    assert nearest_example_word("horrible", CTX) is None
    assert not any("horrible" in d or "delicious" in d
                   for d in _complete("the word horible is in the review"))
