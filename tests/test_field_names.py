"""Fields and mentions named by the words of their names (grammar/explanation/field_names.py).

The tasks and sentences here are written for these tests: a schema names things in code
(``email_subject``, ``paper1``), people name them in words."""

from __future__ import annotations

import pandas as pd
import pytest

from explicate import explain
from explicate.grammar.explanation.field_names import name_words

EMAIL = [
    {"email_subject": "Urgent: please review the budget",
     "email_body": "Hi team, could you please reply by Friday with your numbers. Thanks"},
    {"email_subject": "Lunch menu", "email_body": "The cafeteria has pizza today."},
    {"email_subject": "Minutes", "email_body": "Attached are the minutes, no action needed."},
    {"email_subject": "Reply needed", "email_body": "Nothing urgent here."},
]
CITATION = [
    {"citing_sentence": "We extend the parser of Smith to handle the corpus of Jones.",
     "paper1": "Smith", "paper2": "Jones"},
    {"citing_sentence": "Unlike Lee, we follow Kim in all respects.", "paper1": "Kim",
     "paper2": "Lee"},
    {"citing_sentence": "Park and Choi disagree about the extend operator.", "paper1": "Park",
     "paper2": "Choi"},
]
HOTEL = [
    {"stay_remark": "The pool was dirty and the staff rude.", "amenity": "pool"},
    {"stay_remark": "Lovely breakfast and a clean pool.", "amenity": "breakfast"},
    {"stay_remark": "The wifi kept dropping, dirty rooms too.", "amenity": "wifi"},
]


def kept(rows: list[dict[str, str]], sentence: str, labels: tuple[str, str]) -> list[str]:
    one = pd.DataFrame([{"label": labels[1], "explanation": sentence, **rows[0]}])
    result = explain(one, list(labels), pool=pd.DataFrame(rows))
    return list(result.explained[0].as_json()["kept"])


def test_name_words_split_at_underscores_and_case() -> None:
    assert name_words("email_subject") == ("email", "subject")
    assert name_words("caseSummary") == ("case", "summary")
    assert name_words("paper1") == ("paper1",)


@pytest.mark.parametrize(("sentence", "dsl"), [
    ("The subject contains 'Urgent'.", 'email_subject contains "Urgent"'),
    ("The subject line contains the word 'Urgent'.", 'email_subject contains "Urgent"'),
    ("'Urgent' appears in the subject of the email.", 'email_subject contains "Urgent"'),
    ("The email subject starts with 'Urgent'.", 'email_subject starts with "Urgent"'),
    ("The email body contains 'reply by'.", 'email_body contains "reply by"'),
    ("The word 'please' is in the body.", 'email_body contains "please"'),
    ("The body of the email contains 'reply'.", 'email_body contains "reply"'),
    ("'reply' occurs in the body but not in the subject.",
     'email_body contains "reply" and not email_subject contains "reply"'),
])
def test_a_text_field_is_named_by_a_word_of_its_name(sentence: str, dsl: str) -> None:
    assert kept(EMAIL, sentence, ("FYI", "ACTION")) == [dsl]


def test_a_word_both_fields_share_names_neither() -> None:
    """On email_subject/email_body "the email" says no one field: nothing is read as one."""
    got = kept(EMAIL, "The email contains 'Friday'.", ("FYI", "ACTION"))
    assert not any(g.startswith("email_subject") for g in got)


@pytest.mark.parametrize(("sentence", "dsl"), [
    ("'extend' is before the first paper.", '"extend" left of paper1'),
    ("The word 'extend' comes before paper 1.", '"extend" left of paper1'),
    ("'corpus' appears within two words before the second paper.",
     '"corpus" within 2 words left of paper2'),
    ("Paper 2 comes after 'corpus of'.", '"corpus of" left of paper2'),
])
def test_a_numbered_mention_is_named_by_its_stem_and_number(sentence: str, dsl: str) -> None:
    assert kept(CITATION, sentence, ("OTHER", "BUILDS_ON")) == [dsl]


@pytest.mark.parametrize("noun", ["remark", "review", "comment"])
def test_a_noun_for_a_whole_text_names_the_one_text_field(noun: str) -> None:
    assert kept(HOTEL, f"The {noun} contains 'dirty'.", ("PRAISE", "COMPLAINT")) == [
        'stay_remark contains "dirty"']


class _Lx:
    """A lexeme as the scanner gives it (kind, text, value, offsets)."""

    def __init__(self, kind: str, text: str, start: int, value: object = None) -> None:
        self.kind, self.text, self.start, self.end = kind, text, start, start + len(text)
        self.value = value if value is not None else text


def _scan(*parts: tuple[str, str, int]) -> list[_Lx]:
    out, at = [], 0
    for kind, text, gap in parts:
        at += gap
        out.append(_Lx(kind, text, at, int(text) if kind == "num" else None))
        at += len(text)
    return out


def test_numbered_mentions_in_every_form_and_a_count_is_no_name() -> None:
    from explicate.grammar.explanation.field_names import numbered_mention_at

    names = {"party1": "party1", "party2": "party2"}
    second = _scan(("word", "the", 0), ("num", "2", 1), ("word", "nd", 0), ("word", "party", 1))
    assert numbered_mention_at(second, 1, names) == ("party2", 3)
    spelled = _scan(("word", "party", 0), ("word", "one", 1))
    assert numbered_mention_at(spelled, 0, names) == ("party1", 2)
    ordinal = _scan(("word", "First", 0), ("word", "Party", 1))
    assert numbered_mention_at(ordinal, 0, names) == ("party1", 2)
    count = _scan(("word", "one", 0), ("word", "party", 1))
    assert numbered_mention_at(count, 0, names) is None
    apart = _scan(("num", "2", 0), ("word", "nd", 1), ("word", "party", 1))  # "2 nd": not "2nd"
    assert numbered_mention_at(apart, 0, names) is None
