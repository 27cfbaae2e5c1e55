"""English: numeric fields named by a unit, a people word or one word of the name; edges and
characters of a text without naming it; word lists named by examples or with "none of"."""

from __future__ import annotations

import pytest

from explicate.grammar import to_dsl
from explicate.grammar.explanation import Context, parse_explanation
from explicate.grammar.explanation.unit_fields import content_parts, names_part, part_names

# A parcel-delivery task: a note and several numbers with units in their names.
PARCEL = Context(
    labels=("LATE", "ON_TIME"),
    texts=("courier_note",),
    word_lists={"apology": ("sorry", "apologize", "regret"), "damage": ("crushed", "torn", "wet")},
    example={"courier_note": "Left at door, box crushed. Sorry!", "weight_kg": 3.5,
             "delay_days": 2, "fee_eur": 12, "signers": 1},
)
# A forum task: two texts, a people count and a points score.
FORUM = Context(
    labels=("TROLL", "OK"),
    texts=("thread_title", "post_body"),
    word_lists={"insult": ("idiot", "clown", "moron")},
    example={"thread_title": "Help: 2 questions", "post_body": "Why is this broken?",
             "viewers": 40, "karma_points": 7},
)
# Two fields a unit or a people word could each name.
CLINIC = Context(
    labels=("URGENT", "ROUTINE"),
    texts=("triage_text",),
    example={"triage_text": "waited long", "wait_hours": 3, "stay_hours": 9, "nurses": 2,
             "patients": 30},
)


def readings(text: str, ctx: Context) -> list[str]:
    parsed = parse_explanation(text, ctx)
    return [to_dsl(r.when) for r in parsed.readings if not r.partial]


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    # a unit after the number names the field holding it
    ("The parcel weighs more than 3 kilos.", PARCEL, "weight_kg > 3"),
    ("It arrived over 2 days late.", PARCEL, "delay_days > 2"),
    ("The fee is under 20 euros.", PARCEL, "fee_eur < 20"),
    # one word of one field's name, before a number
    ("The weight is at least 5.", PARCEL, "weight_kg >= 5"),
    ("The delay is between 1 and 4 days.", PARCEL, "delay_days >= 1 and delay_days <= 4"),
    ("The karma is below 10.", FORUM, "karma_points < 10"),
    # a people word for a kind-of-person field
    ("It was signed by exactly 2 people.", PARCEL, "signers == 2"),
    ("It was shown to more than 30 people.", FORUM, "viewers > 30"),
    ("The thread has fewer than 5 points.", FORUM, "karma_points < 5"),
    # the field's own name as a verb, and a range
    ("The parcel weighs between 2 and 6 kg.", PARCEL, "weight_kg >= 2 and weight_kg <= 6"),
    # a word for the same quantity
    ("The charge is above 15.", PARCEL, "fee_eur > 15"),
    ("The lateness is over 2.", PARCEL, "delay_days > 2"),
    ("It was delayed by more than 2 days.", PARCEL, "delay_days > 2"),
])
def test_numeric_field_by_unit_or_part(text: str, ctx: Context, expected: str) -> None:
    assert readings(text, ctx) == [expected]


def test_numeric_field_chosen_by_unit_is_reported() -> None:
    parsed = parse_explanation("It was shown to more than 30 people.", FORUM)
    assert any("'people' as the field viewers" in w for w in parsed.warnings)


@pytest.mark.parametrize("text", ["It took more than 4 hours.",
                                  "More than 10 people were there."])
def test_ambiguous_unit_reads_nothing_and_says_why(text: str) -> None:
    parsed = parse_explanation(text, CLINIC)
    assert not [r for r in parsed.readings if "hours" in to_dsl(r.when)
                or "nurses" in to_dsl(r.when) or "patients" in to_dsl(r.when)]
    assert any("could name" in w and "name the field" in w for w in parsed.warnings)


def test_unit_tables() -> None:
    assert content_parts("num_delay_days") == ["delay", "days"]
    assert names_part("bucks", "usd") and names_part("people", "recipients")
    assert not names_part("hours", "days") and not names_part("people", "points")
    # "hours" is in both clinic names, so neither is named by it alone
    assert "hours" not in part_names(CLINIC.numbers, CLINIC.texts, frozenset())
    assert part_names(CLINIC.numbers, CLINIC.texts, frozenset())["wait"] == "wait_hours"


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    ("The first word is 'Left'.", PARCEL, 'courier_note starts with "Left"'),
    ("'Sorry' is the last word.", PARCEL, 'courier_note ends with "Sorry"'),
    ("The last character is an exclamation mark.", PARCEL, r"courier_note matches /!\s*$/"),
    ("The first character of the title is not a digit.", FORUM,
     r"not thread_title matches /^\d/"),
    ("The first letter of the body is 'W'.", FORUM, "post_body matches /^W/"),
    ("At the end of the body there is a question mark.", FORUM, 'post_body ends with "?"'),
    ("The title ends with two question marks.", FORUM, 'thread_title ends with "??"'),
    ("The title contains a colon.", FORUM, 'thread_title contains ":"'),
])
def test_edges_and_characters(text: str, ctx: Context, expected: str) -> None:
    assert readings(text, ctx) == [expected]


def test_repeated_edge_is_symbols_only() -> None:
    parsed = parse_explanation("The title ends with two 'no'.", FORUM)
    assert all("nono" not in to_dsl(r.when) for r in parsed.readings)


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    ("Any word from the damage list appears.", PARCEL, "courier_note contains any of @damage"),
    ("None of the apology words appear.", PARCEL, "not courier_note contains any of @apology"),
    ("The note has none of the damage words.", PARCEL,
     "not courier_note contains any of @damage"),
    ("Nothing from the apology list.", PARCEL, "not courier_note contains any of @apology"),
    ("It has at least one of the damage words.", PARCEL, "courier_note contains any of @damage"),
    # examples of a list name that list; examples of no one list stay the examples
    ("It mentions words like torn or wet.", PARCEL, "courier_note contains any of @damage"),
    ("The body has a word such as 'clown' or 'moron'.", FORUM, "post_body contains any of @insult"),
    ("The body has a word such as 'broken' or 'why'.", FORUM,
     'post_body contains any of ("broken", "why")'),
])
def test_word_lists_named_other_ways(text: str, ctx: Context, expected: str) -> None:
    assert readings(text, ctx) == [expected]
