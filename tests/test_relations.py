"""Image relations come from one table (primitives.image.RELATIONS): the DSL, the English grammar
and the printer read it, so every relation is sayable both ways and prints back."""

from __future__ import annotations

import pytest

from explicate import ir
from explicate.grammar import parse_lf, to_dsl
from explicate.grammar.explanation import Context, parse_explanation
from explicate.primitives.image import RELATIONS, Related

PHRASINGS = [(name, phrase) for name, r in RELATIONS.items() for phrase in r.english]


@pytest.mark.parametrize("name", sorted(RELATIONS))
def test_every_relation_reads_and_prints_in_the_dsl(name: str) -> None:
    lf = parse_lf(f'lf r: any "person" {name} any "bike" -> YES')
    assert isinstance(lf.when, Related) and lf.when.relations == (name,)
    assert to_dsl(lf.when) == f'any "person" {name} any "bike"'


@pytest.mark.parametrize(("name", "phrase"), PHRASINGS, ids=[p for _, p in PHRASINGS])
def test_every_english_phrasing_of_a_relation_reads_as_it(name: str, phrase: str) -> None:
    ctx = Context(("NO", "YES"), {}, (), {"person": ("person",), "bike": ("bike",)}, {},
                  ("objects",))
    parsed = parse_explanation(f"label yes because a person is {phrase} a bike", ctx)
    found = [node for reading in parsed.readings for node in ir.walk(reading.when)
             if isinstance(node, Related)]
    assert any(node.relations == (name,) for node in found), (phrase, parsed)


def test_every_relation_has_an_english_phrasing() -> None:
    assert all(r.english for r in RELATIONS.values())
