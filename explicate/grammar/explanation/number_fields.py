"""Numeric fields of the example ("links", "section") in English explanations.

- "the section number is greater than 14", "the number of links is at least three": the field
  is a number in any comparison (``section > 14``, ``links >= 3``);
- "the email has more than 2 links", "there are two links", "the email has no links": the field
  counts things, so a count said of it compares the field (``links > 2``, ``links == 2``,
  ``links == 0``).

The grammar alternatives are ``number_field``, ``field_count`` and ``field_none`` in
``explanation.lark``; ``NumberFieldClauses`` is mixed into ``to_ir.ExplanationToIR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token

from explicate import ir
from explicate.grammar.explanation.lexicon import Symbol
from explicate.grammar.explanation.roles import Parts


@dataclass(frozen=True)
class NumField:
    """A reference to a numeric field (kept apart from text fields, which are ``ir.Field``)."""

    name: str


class NumberFieldClauses:
    """The numeric-field constructions (a mixin of ``ExplanationToIR``)."""

    def _sym(self, tok: Token) -> Symbol:  # provided by ExplanationToIR
        raise NotImplementedError

    def NFIELD(self, tok: Token) -> NumField:  # noqa: N802 - lark calls terminals by name
        return NumField(str(self._sym(tok).value))

    def number_field(self, c: list[Any]) -> ir.Expr:
        (nf,) = [x for x in c if isinstance(x, NumField)]
        return ir.Field(name=nf.name)

    def field_count(self, c: list[Any]) -> ir.Expr:  # the email has more than 2 links
        (nf,) = [x for x in c if isinstance(x, NumField)]
        p = Parts.of(c)
        return ir.Compare(op=p.op(), left=ir.Field(name=nf.name),
                          right=ir.Num(value=float(p.numbers[0])))

    def field_none(self, c: list[Any]) -> ir.Expr:  # the email has no links
        (nf,) = [x for x in c if isinstance(x, NumField)]
        return ir.Compare(op="==", left=ir.Field(name=nf.name), right=ir.Num(value=0.0))
