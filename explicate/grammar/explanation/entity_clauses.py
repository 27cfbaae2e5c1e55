"""Entity types and concepts in English (a mixin of ``to_ir.ExplanationToIR``).

- entity types (the ``ner`` extra): "person2 is a location", "there are no people between X and
  Y", "there are at least 2 people in the sentence";
- concepts without quoted words: "words related to marriage", "they are married" read as a word
  list named for the concept, which ``runtime.concepts`` fills from the data.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from explicate import ir
from explicate.grammar.explanation.lexicon import Symbol
from explicate.grammar.explanation.roles import Parts, Unsupported, over_mentions
from explicate.primitives import entities
from explicate.primitives import text as prim


class EntityClauses:
    """The entity-type and concept constructions."""

    def _sym(self, tok: Token) -> Symbol:  # provided by ExplanationToIR
        raise NotImplementedError

    def _default_text(self) -> ir.Field:  # provided by ExplanationToIR
        raise NotImplementedError

    def concept(self, c: list[Any]) -> ir.Expr:  # words related to marriage
        """A word list named for the concept, filled from the data (``runtime.concepts``)."""
        return ir.WordList(name=Parts.of(c).plain[-1].lower())

    def pair_concept(self, c: list[Any]) -> ir.Expr:  # they are married
        p = Parts.of(c)
        left, right = p.two()
        concept = ir.WordList(name=p.plain[-1].lower())
        return p.maybe_not(prim.Between(words=concept, left=left, right=right))

    # entity types (the `ner` extra): "person2 is a location", "no people between X and Y"
    def ENTTYPE(self, tok: Token) -> Tree[Any]:  # noqa: N802
        return Tree("enttype", [str(self._sym(tok).value)])

    def ent_type(self, c: list[Any]) -> ir.EntityTypes:
        word = str(c[0].children[0])
        types = entities.english_types(word)
        if types is None:
            raise Unsupported(f"'{word}' is not an entity type explicate knows")
        return ir.EntityTypes(labels=types)

    def entity_type(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        types = next(e for e in p.exprs if isinstance(e, ir.EntityTypes))
        return p.maybe_not(over_mentions(p.mentions[0],
                                         lambda m: entities.IsEntity(target=m, types=types)))

    def entity_count(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        types = next(e for e in p.exprs if isinstance(e, ir.EntityTypes))
        if p.pairs:
            if p.numbers:
                raise Unsupported("a number of entities between two mentions")
            left, right = p.two()
            return p.maybe_not(entities.EntityBetween(types=types, left=left, right=right))
        t = p.texts[0] if p.texts else self._default_text()
        if p.numbers:
            return p.maybe_not(ir.Compare(op=p.op(), left=entities.EntityCount(
                types=types, text=t), right=p.amount))
        return p.maybe_not(entities.HasEntity(text=t, types=types))

    def entity_near(self, c: list[Any]) -> ir.Expr:  # there is a date after person2
        raise Unsupported("an entity type before or after a mention (only between two mentions "
                          "or in a text: 'a DATE between X and Y', 'the text contains a DATE')")

    def entity_none(self, c: list[Any]) -> ir.Expr:
        return ir.Not(arg=self.entity_count(c))

