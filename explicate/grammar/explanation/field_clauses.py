"""Fields beyond one text in English explanations: numeric fields and several text fields.

- "the section number is greater than 14", "the number of links is at least three": the field
  is a number in any comparison (``section > 14``, ``links >= 3``);
- "the email has more than 2 links", "there are two links", "the email has no links": the field
  counts things, so a count said of it compares the field (``links > 2``, ``links == 2``,
  ``links == 0``);
- two text fields said of one word: "both the subject and the message contain 'now'", "neither
  the headline nor the story mentions 'match'", "the subject or the body says 'win'";
- a letter case said of a quote: "'NOW' in capitals" (``case "NOW"``), "'ok' in lower case",
  "'iPhone' with exactly that capitalization", "'dirty' is capitalized" (``Dirty``).

The grammar alternatives are ``number_field``, ``field_count``, ``field_none`` and
``texts_contain_*`` in ``explanation.lark``; ``FieldClauses`` is mixed into
``to_ir.ExplanationToIR``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token

from explicate import ir
from explicate.grammar.explanation.lexicon import Symbol
from explicate.grammar.explanation.roles import Parts, combine, over_words
from explicate.primitives import text as prim


@dataclass(frozen=True)
class NumField:
    """A reference to a numeric field (kept apart from text fields, which are ``ir.Field``)."""

    name: str


class FieldClauses:
    """The numeric-field and text-pair constructions (a mixin of ``ExplanationToIR``)."""

    def _sym(self, tok: Token) -> Symbol:  # provided by ExplanationToIR
        raise NotImplementedError

    def NFIELD(self, tok: Token) -> NumField:  # noqa: N802 - lark calls terminals by name
        return NumField(str(self._sym(tok).value))

    def NWORDS(self, tok: Token) -> NumField:  # noqa: N802 - a numeric field named by words
        return NumField(str(self._sym(tok).value))

    def number_field(self, c: list[Any]) -> ir.Expr:
        (nf,) = [x for x in c if isinstance(x, NumField)]
        return ir.Field(name=nf.name)

    def field_count(self, c: list[Any]) -> ir.Expr:  # the email has more than 2 links
        (nf,) = [x for x in c if isinstance(x, NumField)]
        p = Parts.of(c)
        return ir.Compare(op=p.op(), left=ir.Field(name=nf.name),
                          right=ir.Num(value=float(p.numbers[0])))

    def field_between(self, c: list[Any]) -> ir.Expr:  # it costs between 10 and 20
        (nf,) = [x for x in c if isinstance(x, NumField)]
        lo, hi = sorted(float(n) for n in Parts.of(c).numbers)
        return combine("all", [
            ir.Compare(op=">=", left=ir.Field(name=nf.name), right=ir.Num(value=lo)),
            ir.Compare(op="<=", left=ir.Field(name=nf.name), right=ir.Num(value=hi))])

    def field_none(self, c: list[Any]) -> ir.Expr:  # the email has no links
        (nf,) = [x for x in c if isinstance(x, NumField)]
        return ir.Compare(op="==", left=ir.Field(name=nf.name), right=ir.Num(value=0.0))

    def field_some(self, c: list[Any]) -> ir.Expr:  # the email contains a link
        (nf,) = [x for x in c if isinstance(x, NumField)]
        return ir.Compare(op=">=", left=ir.Field(name=nf.name), right=ir.Num(value=1.0))

    def _each_text(self, c: list[Any]) -> list[ir.Expr]:
        p = Parts.of(c)

        def contains(t: ir.Field) -> Callable[[ir.Expr], ir.Expr]:
            return lambda w: prim.Contains(text=t, words=w)
        return [p.maybe_not(over_words(p.words[0], contains(t))) for t in p.texts]

    def texts_contain_all(self, c: list[Any]) -> ir.Expr:  # both the subject and the body say Q
        return combine("all", self._each_text(c))

    def texts_contain_any(self, c: list[Any]) -> ir.Expr:  # the subject or the body says Q
        return combine("any", self._each_text(c))

    def texts_contain_neither(self, c: list[Any]) -> ir.Expr:  # neither the title nor the body
        return combine("all", [ir.Not(arg=e) for e in self._each_text(c)])


    def quoted_upper(self, c: list[Any]) -> ir.Expr:  # 'now' in capitals
        (q,) = Parts.of(c).phrases
        return ir.Phrase(text=q.text.upper(), case_sensitive=True)

    def quoted_capitalized(self, c: list[Any]) -> ir.Expr:  # 'dirty' is capitalized
        (q,) = Parts.of(c).phrases
        return ir.Phrase(text=q.text[:1].upper() + q.text[1:], case_sensitive=True)

    def quoted_lower(self, c: list[Any]) -> ir.Expr:  # 'ok' in lower case
        (q,) = Parts.of(c).phrases
        return ir.Phrase(text=q.text.lower(), case_sensitive=True)

    def quoted_exact(self, c: list[Any]) -> ir.Expr:  # 'iPhone' with exactly that case
        (q,) = Parts.of(c).phrases
        return ir.Phrase(text=q.text, case_sensitive=True)
