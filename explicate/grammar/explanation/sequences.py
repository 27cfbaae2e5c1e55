"""Sequences of mentions and words, in the phrasings people use for them (a mixin of
``to_ir.ExplanationToIR``):

- a phrase between two mentions in order: "the amount is followed by 'of' and then the
  ingredient" (between them, the first before the second; with "immediately" the sentence is
  left to the core constructions, as writers differ on what the adverb covers);
- order and distance together: "the amount comes before the ingredient, at most one word
  apart", "the ingredient directly follows the amount, with no word in between";
- order and what separates the two: "the symptom comes after the condition, separated from
  it by a comma" (the words between them, the order as said);
- the other mention left unsaid: "... and the protein follows within five words" (of the
  task's two mentions, the one not named);
- ellipsis with "no": "a complaint word appears in the comment and no praise word does";
- two phrases together: "'disaster' is used together with 'traffic'" (both in the text);
- a kind of string at an edge of a text: "the headline starts with a number".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explicate import ir
from explicate.grammar.explanation.lexicon import Context
from explicate.grammar.explanation.roles import (
    Parts,
    Unsupported,
    over_pairs,
    over_words,
)
from explicate.primitives import text as prim


@dataclass(frozen=True)
class Gap:
    """How many words may stand between two mentions: ``distance op n``."""

    op: str
    n: int


def _order(side: str, x: ir.Field, y: ir.Field) -> ir.Expr:
    """``x`` before (side "left") or after ``y``."""
    return prim.Precedes(left=x, right=y) if side == "left" else prim.Precedes(left=y, right=x)


class SequenceClauses:
    """The sequence constructions (see the module docstring)."""

    ctx: Context  # provided by ExplanationToIR

    def gap_most(self, c: list[Any]) -> Gap:  # at most one word apart
        p = Parts.of(c)
        return Gap("<" if "less_than" in p.marks else "<=", p.word_count)

    def gap_none(self, c: list[Any]) -> Gap:  # with no word in between
        return Gap("==", 0)

    def mention_order_gap(self, c: list[Any]) -> ir.Expr:  # X comes before Y, one word apart
        p = Parts.of(c)
        (gap,) = [x for x in c if isinstance(x, Gap)]
        a, b = p.mentions
        side = p.side()
        if side not in ("left", "right"):
            raise Unsupported("which mention comes first? say 'before' or 'after'")

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            first, second = (x, y) if side == "left" else (y, x)
            return ir.And(args=(_order(side, x, y), ir.Compare(
                op=gap.op, left=prim.Distance(left=first, right=second),
                right=ir.Num(value=float(gap.n)))))
        return p.maybe_not(over_pairs(a, b, one))

    def mention_order_sep(self, c: list[Any]) -> ir.Expr:  # X is after Y, separated by ','
        p = Parts.of(c)
        a, b, *again = p.mentions
        if any(m.names not in (a.names, b.names) for m in again):
            raise Unsupported("separated from which mention? say 'separated from X by ...'")
        side = p.side()
        if side not in ("left", "right"):
            raise Unsupported("which mention comes first? say 'before' or 'after'")
        w = p.words[0]

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            return ir.And(args=(_order(side, x, y), over_words(
                w, lambda v: prim.Between(words=v, left=x, right=y))))
        return over_pairs(a, b, one)

    def mention_then_words(self, c: list[Any]) -> ir.Expr:  # X is followed by W and then Y
        p = Parts.of(c)
        a, b = p.mentions
        w = p.words[0]

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            return ir.And(args=(prim.Precedes(left=x, right=y),
                                over_words(w, lambda v: prim.Between(words=v, left=x, right=y))))
        return over_pairs(a, b, one)

    def mention_follows_other(self, c: list[Any]) -> ir.Expr:  # ... and Y follows within 5 words
        return self._unnamed_other(c, follows=True)

    def mention_precedes_other(self, c: list[Any]) -> ir.Expr:  # ... and Y precedes by 2 words
        return self._unnamed_other(c, follows=False)

    def _unnamed_other(self, c: list[Any], follows: bool) -> ir.Expr:
        p = Parts.of(c)
        (name,) = p.ents
        others = [m for m in self.ctx.spans if m != name]
        if len(others) != 1:
            raise Unsupported(f"'{name}' follows what? name the other mention")
        x, y = ir.Field(name=name), ir.Field(name=others[0])
        first, second = (y, x) if follows else (x, y)
        within = p.within
        order = prim.Precedes(left=first, right=second)
        if within is None:
            return order
        return ir.And(args=(order, ir.Compare(op="<=", left=prim.Distance(left=first, right=second),
                                              right=ir.Num(value=float(within)))))

    def words_not_at_but_other(self, c: list[Any]) -> ir.Expr:  # no W is at P, but V is
        p = Parts.of(c)
        place = p.places[0]
        return ir.And(args=(ir.Not(arg=over_words(p.words[0], place)),
                            over_words(p.words[1], place)))

    def words_together(self, c: list[Any]) -> ir.Expr:  # 'a' is used together with 'b'
        p = Parts.of(c)
        if p.texts:
            text = p.texts[0]
        elif self.ctx.default_text is not None:
            text = ir.Field(name=self.ctx.default_text)
        else:
            raise Unsupported("which text? name the field ('the sentence contains ...')")
        items = [e for e in p.exprs if not isinstance(e, ir.Field)]
        return ir.And(args=tuple(prim.Contains(text=text, words=w) for w in items))

    def text_starts_kind(self, c: list[Any]) -> ir.Expr:  # the headline starts with a number
        return self._kind_at_edge(c, "^(?:{})")

    def text_ends_kind(self, c: list[Any]) -> ir.Expr:  # the title ends with a digit
        return self._kind_at_edge(c, "(?:{})$")

    def _kind_at_edge(self, c: list[Any], edge: str) -> ir.Expr:
        p = Parts.of(c)
        kinds = [x.pattern for x in p.exprs if isinstance(x, ir.Regex)]
        kind = kinds[0] if kinds else "[0-9]"
        regex = ir.Regex(pattern=edge.format(kind) if "|" in kind else
                         edge.replace("(?:{})", kind))
        return p.maybe_not(prim.Matches(text=p.texts[0] if p.texts else self._default_text(),
                                        regex=regex))

    def _default_text(self) -> ir.Field:  # provided by ExplanationToIR
        raise NotImplementedError

