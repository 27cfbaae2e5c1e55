"""Clauses as crowd workers say them (crowd_clauses)."""

from __future__ import annotations

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

PAIR = Context(("NO", "FOUNDED"), {"founder": "snippet", "company": "snippet"}, ("snippet",),
               {"start": ("founded", "started")},
               {"snippet": "In 1998 Larry Page started Google with a friend.",
                "founder": "Larry Page", "company": "Google"})
ONE = Context(("BAD", "GOOD"), {"part": "opinion"}, ("opinion",), {"flaws": ("slow", "dim")},
              {"opinion": "Honestly the screen looks dim outdoors but the keyboard is fine.",
               "part": "screen"})
TWO = Context(("LEGIT", "SCAM"), {}, ("heading", "details"), {"urgent": ("urgent", "now")},
              {"heading": "Urgent: room for rent", "details": "Pay the fee now by wire."})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def test_a_mention_written_as_its_own_word_next_to_a_word_of_place_is_the_mention() -> None:
    # Read as quoted words these would say '"started" followed by "google"': something else.
    assert _complete("started comes right before google", PAIR) == [
        '"started" within 0 words left of company']
    assert _complete("started is between larry and google", PAIR) == [
        '"started" between founder and company']
    assert _complete("looks dim is after the screen", ONE) == ['"looks dim" right of part']


def test_a_mention_written_out_whole_keeps_all_its_words() -> None:
    assert _complete("started is between larry page and google", PAIR) == [
        '"started" between founder and company']


def test_words_said_of_a_mention_with_is_stand_after_it_unless_they_are_its_value() -> None:
    assert _complete("the screen is dim", ONE) == ['"dim" right of part']
    assert _complete("the part is the screen", ONE) == ['part is "screen"']
    # The example's own words in order are an excerpt, read as such.
    assert _complete("the keyboard is fine", ONE) == ['opinion contains "the keyboard is fine"']


def test_order_and_place_words_of_two_mentions() -> None:
    assert _complete("started is between them and the founder is first", PAIR) == [
        '"started" between founder and company and founder before company']
    assert _complete("the company comes last", PAIR) == ["founder before company"]
    assert _complete("started is in between", PAIR) == ['"started" between founder and company']
    assert _complete("there is started between the names", PAIR) == [
        '"started" between founder and company']


def test_two_words_both_in_a_field_are_said_once_each() -> None:
    assert _complete("fee and wire r both in the details", TWO) == [
        'details contains "fee" and details contains "wire"']
    # A word the field does not have: not rewritten.
    assert 'details contains "rent"' not in _complete("fee and rent are both in the details",
                                                      TWO)


def test_says_an_excerpt_reads_the_one_field_that_has_it() -> None:
    assert _complete("it says pay the fee", TWO) == ['details contains "pay the fee"']


def test_a_negated_saying_quotes_its_word_even_when_the_example_lacks_it() -> None:
    assert _complete("it doesnt say acquired", PAIR) == ['not snippet contains "acquired"']
    # A list's name said after a negated verb is the word; "no X words" is the list.
    assert _complete("the opinion doesnt say flaws", ONE) == ['not opinion contains "flaws"']
    assert _complete("no flaws words", ONE) == ["not opinion contains any of @flaws"]


def test_a_bare_list_name_that_is_the_examples_word_is_that_word() -> None:
    assert _complete("urgent in the heading", TWO) == ['heading contains "urgent"']
    assert _complete("an urgent word in the heading", TWO) == [
        "heading contains any of @urgent"]


def test_a_letter_case_said_without_is() -> None:
    assert _complete("founder name in all caps", PAIR) == ["founder is upper"]
    # A field's whole value written out stands for the field.
    heading = Context(("A", "B"), {}, ("heading", "body"), {},
                      {"heading": "TERMINATION", "body": "We may end this at any time."})
    assert _complete("TERMINATION in caps", heading) == ["heading is upper"]
    assert _complete("the word end in caps", heading) == []


def test_a_first_name_in_lower_case_is_the_mention_only_when_the_example_has_it_nowhere_else(
        ) -> None:
    assert _complete("larry started google", PAIR) == ['"started" between founder and company']
    twice = Context(("NO", "YES"), {"founder": "snippet", "company": "snippet"}, ("snippet",), {},
                    {"snippet": "Larry Page started Google, said larry.",
                     "founder": "Larry Page", "company": "Google"})
    assert '"started" between founder and company' not in _complete("larry started google",
                                                                    twice)


def test_an_example_word_before_word_is_that_word_a_list_name_is_the_list() -> None:
    assert _complete("dim word is in the opinion", ONE) == ['opinion contains "dim"']
    assert _complete("a flaws word is in the opinion", ONE) == [
        "opinion contains any of @flaws"]


def test_they_with_a_verb_of_saying_are_the_writers_not_the_mentions() -> None:
    # Read as the two mentions, "they use started" would say both names contain "started".
    assert _complete("they use started", PAIR) == ['snippet contains "started"']
    assert _complete("larry is first", PAIR) == ["founder before company"]
