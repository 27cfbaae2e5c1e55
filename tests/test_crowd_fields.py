"""Two text fields said together in a crowd explanation are each given the condition."""

from __future__ import annotations

import pytest

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

CTX = Context(("HAM", "SPAM"), {}, ("subject", "body"), {},
              {"subject": "Win a free prize now", "body": "Click here to claim your free prize."})


def _complete(text: str) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, CTX).readings if not r.partial]


@pytest.mark.parametrize("text", [
    'the word prize is in the subject and the body',
    '"prize" is in the subject and in the body',
    'the subject and the body contain "prize"',
])
def test_a_condition_of_two_fields_is_said_of_each(text: str) -> None:
    assert _complete(text) == ['subject contains "prize" and body contains "prize"']


def test_one_field_and_other_coordinations_are_left_as_written() -> None:
    assert _complete('"prize" is in the body') == ['body contains "prize"']
    # "and" that joins two conditions, not two fields.
    assert _complete('"free" is in the subject and "click" is in the body') == [
        'subject contains "free" and body contains "click"']


def test_a_negated_coordination_is_not_distributed() -> None:
    # Neither or not both: the writer's to say, so no reading says both fields lack it.
    assert 'not subject contains "prize" and not body contains "prize"' not in _complete(
        '"prize" is not in the subject and the body')
