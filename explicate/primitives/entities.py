"""Named-entity primitives: ``person2 is a PERSON``, ``a PERSON between person1 and person2``,
``text contains an ORG``, ``count(a GPE in text)``; ``a GPE/LOC`` is either type.

Entities come from the entity recognizer of the ``ner`` extra (``runtime.entities``), run only
over the text fields a program reads through these primitives. An entity is a token range of its
text: every token its character range overlaps. Types are the OntoNotes names spaCy's English
models use (``ENTITY_TYPES``); ``ENGLISH`` maps the words an explanation uses ("a location",
"people") to them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from explicate import ir
from explicate.primitives.registry import CheckEnv, primitive
from explicate.primitives.text import (
    Batch,
    Row,
    _field_name,
    _inside_pair,
    _ref_ordered,
    _two_mentions,
    rows_with,
)

# The entity types (OntoNotes 5, as spaCy's English pipelines label them) and what each means.
ENTITY_TYPES: dict[str, str] = {
    "PERSON": "people, including fictional",
    "NORP": "nationalities, religious or political groups",
    "FAC": "buildings, airports, highways, bridges",
    "ORG": "companies, agencies, institutions",
    "GPE": "countries, cities, states",
    "LOC": "non-GPE locations: mountain ranges, bodies of water",
    "PRODUCT": "objects, vehicles, foods (not services)",
    "EVENT": "named hurricanes, battles, wars, sports events",
    "WORK_OF_ART": "titles of books, songs",
    "LAW": "named documents made into laws",
    "LANGUAGE": "any named language",
    "DATE": "absolute or relative dates or periods",
    "TIME": "times smaller than a day",
    "PERCENT": "percentages",
    "MONEY": "monetary values",
    "QUANTITY": "measurements (weight, distance)",
    "ORDINAL": "first, second, ...",
    "CARDINAL": "numerals that are not another type",
}

# English words for entity types (singular and plural), as explanations say them.
ENGLISH: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("person", "people", "persons"), ("PERSON",)),
    **dict.fromkeys(("location", "locations", "place", "places"), ("GPE", "LOC", "FAC")),
    **dict.fromkeys(("country", "countries", "city", "cities", "state", "states"), ("GPE",)),
    **dict.fromkeys(("organization", "organizations", "organisation", "organisations",
                     "company", "companies"), ("ORG",)),
    **dict.fromkeys(("date", "dates"), ("DATE",)),
    **dict.fromkeys(("nationality", "nationalities"), ("NORP",)),
}


def english_types(word: str) -> tuple[str, ...] | None:
    """The entity types an English word names ("location" -> GPE, LOC, FAC), or None."""
    return ENGLISH.get(word.lower())


def article(label: str) -> str:
    """``a`` or ``an`` before an entity type as the DSL prints it (``an ORG``)."""
    return "an" if label[:1] in "AEIOU" else "a"


class EntityPrimitive(ir.Primitive):
    """A primitive that reads named entities (``runtime.entities`` computes them only for
    programs that have one)."""

    __slots__ = ()
    needs_entities: ClassVar[bool] = True
    rule: ClassVar[str] = "predicate"
    types: ir.Expr

    def labels(self) -> tuple[str, ...]:
        assert isinstance(self.types, ir.EntityTypes), self.types
        return self.types.labels

    def check_types(self, env: CheckEnv) -> None:
        for label in self.labels():
            if label not in ENTITY_TYPES:
                close = difflib.get_close_matches(label, list(ENTITY_TYPES), n=1, cutoff=0.5)
                hint = f"did you mean '{close[0]}'? " if close else ""
                env.error("E220", f"unknown entity type '{label}': {hint}the types are "
                          + ", ".join(ENTITY_TYPES), self.types, "not an entity type")


@primitive
@dataclass(frozen=True, slots=True)
class IsEntity(EntityPrimitive):
    """True where the last token of mention ``target`` (the head of an English name) is inside
    an entity of one of ``types``."""

    syntax: ClassVar[tuple[Any, ...]] = ("{target:value} is {types:ENTITY_TYPES}",)
    target: ir.Expr
    types: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.target, ir.Type.SPAN, "the mention whose entity type is asked")
        self.check_types(env)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        m = batch.span(_field_name(self.target))
        ents = batch.entities(m.text)
        sel = ents.of_types(self.labels())
        rows, start, end = ents.row[sel], ents.start[sel], ents.end[sel]
        last = m.end[rows] - 1
        ok = (start <= last) & (last < end)
        return rows_with(batch.n, rows[ok]) & m.found

    def reference(self, row: Row) -> bool:
        m = row.mention(_field_name(self.target))
        if m is None:
            return False
        last = m[2] - 1
        return any(s <= last < e and t in self.labels() for s, e, t in row.entities(m[0]))


@primitive
@dataclass(frozen=True, slots=True)
class EntityBetween(EntityPrimitive):
    """True where an entity of one of ``types`` lies entirely between two mentions of the same
    text (in either order)."""

    syntax: ClassVar[tuple[Any, ...]] = (
        "{types:ENTITY_TYPES} between {left:value} and {right:value}",)
    types: ir.Expr
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "between")
        self.check_types(env)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        ents = batch.entities(a.text)
        sel = ents.of_types(self.labels())
        return _inside_pair(batch.n, a, b, ents.row[sel], ents.start[sel], ents.end[sel])

    def reference(self, row: Row) -> bool:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        if a is None or b is None:
            return False
        _, lo, hi, _ = _ref_ordered(a, b)
        return any(s >= lo and e <= hi and t in self.labels() for s, e, t in row.entities(a[0]))


@primitive
@dataclass(frozen=True, slots=True)
class HasEntity(EntityPrimitive):
    """True where ``text`` has an entity of one of ``types`` (a mention used as a text is
    recognized on its own, as every text primitive reads it on its own)."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} contains {types:ENTITY_TYPES}",)
    text: ir.Expr
    types: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, "the text that 'contains a TYPE' looks in")
        self.check_types(env)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        ents = batch.entities(_field_name(self.text))
        return rows_with(batch.n, ents.row[ents.of_types(self.labels())])

    def reference(self, row: Row) -> bool:
        return any(t in self.labels() for _, _, t in row.entities(_field_name(self.text)))


@primitive
@dataclass(frozen=True, slots=True)
class EntityCount(EntityPrimitive):
    """The number of entities of one of ``types`` in ``text``."""

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = ("count ( {types:ENTITY_TYPES} in {text:value} )",)
    types: ir.Expr
    text: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, "the text whose entities 'count' counts")
        self.check_types(env)
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        ents = batch.entities(_field_name(self.text))
        rows = ents.row[ents.of_types(self.labels())]
        return np.bincount(rows, minlength=batch.n).astype(np.float64)

    def reference(self, row: Row) -> float:
        ents = row.entities(_field_name(self.text))
        return float(sum(t in self.labels() for _, _, t in ents))
