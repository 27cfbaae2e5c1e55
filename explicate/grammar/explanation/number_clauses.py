"""Numbers and literal strings in English explanations (a mixin of ``to_ir.ExplanationToIR``).

- numbers: "the number of words between X and Y is less than 25", "there are 2 commas in the
  title", "the length of the chemical is over 5 characters", "all of (2, 3, 4) are greater than 1";
- literal strings, evaluated while parsing: "'blueberry' starts with 'blue'".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explicate import ir
from explicate.grammar.explanation.lexicon import Context
from explicate.grammar.explanation.roles import (
    CountWords,
    Literals,
    Numbers,
    Parts,
    Unsupported,
    Values,
    combine,
)
from explicate.primitives import text as prim
from explicate.primitives import text_extra as extra


def size(p: Parts, text: ir.Expr) -> ir.Expr:
    """The length of a text or mention, in words or (when said) characters."""
    return prim.Chars(text=text) if p.chars else prim.Count(text=text)


class NumberClauses:
    """The number and literal-string constructions."""

    ctx: Context  # provided by ExplanationToIR

    @staticmethod
    def _distance(p: Parts, x: ir.Field, y: ir.Field) -> ir.Expr:
        """Words (or characters, when said) between two mentions."""
        if p.chars:
            return extra.CharDistance(left=x, right=y)
        return prim.Distance(left=x, right=y)

    # numbers
    def _target(self, p: Parts) -> ir.Field | None:
        """The text or mention a count is of."""
        if p.texts:
            return p.texts[0]
        return ir.Field(name=p.mentions[0].names[0]) if p.mentions else None

    def literal(self, c: list[Any]) -> ir.Expr:
        return ir.Num(value=float(c[0]))

    def gap(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        return self._distance(p, *p.two())

    def length(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        target = self._target(p)
        if target is None:
            raise Unsupported("the length of what?")
        return size(p, target)

    def occurrences(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        target = self._target(p)
        if target is None and self.ctx.default_text:
            target = ir.Field(name=self.ctx.default_text)
        if target is None:
            raise Unsupported("count in which text?")
        return prim.CountOf(words=p.counted[0].words, text=target)

    def count_words(self, c: list[Any]) -> CountWords:
        x = c[0]
        if isinstance(x, str):
            word = x[:-1] if x.endswith("s") and len(x) > 3 else x
            return CountWords(words=ir.Phrase(text=word))
        return CountWords(words=x)

    def num_one(self, c: list[Any]) -> Numbers:
        return Numbers(items=(c[0],), mode="one")

    def num_any(self, c: list[Any]) -> Numbers:
        return Numbers(items=tuple(c), mode="any")

    def num_all(self, c: list[Any]) -> Numbers:
        return Numbers(items=tuple(c), mode="all")

    def num_all_of(self, c: list[Any]) -> Numbers:
        return Numbers(items=Parts.of(c).values[0].items, mode="all")

    def num_any_of(self, c: list[Any]) -> Numbers:
        return Numbers(items=Parts.of(c).values[0].items, mode="any")

    def num_none_of(self, c: list[Any]) -> Numbers:
        return Numbers(items=Parts.of(c).values[0].items, mode="none")

    def ntuple(self, c: list[Any]) -> Values:
        return Values(items=tuple(c))

    def num_compare(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        subj, obj = p.numerics
        op = p.op()
        return p.maybe_not(combine(subj.mode, [combine(obj.mode, [
            ir.Compare(op=op, left=s, right=o) for o in obj.items]) for s in subj.items]))

    def num_compare_chars(self, c: list[Any]) -> ir.Expr:  # the length of X is over 5 characters
        expr = self.num_compare(c)
        out = ir.transform(expr, lambda n: prim.Chars(text=n.text) if isinstance(n, prim.Count)
                           else n)
        if out == expr:
            raise Unsupported("only a length can be said in characters")
        return out

    def num_equal(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        n = ir.Num(value=float(int(p.numbers[0])))
        return p.maybe_not(combine(p.numerics[0].mode, [
            ir.Compare(op="==", left=s, right=n) for s in p.numerics[0].items]))

    def num_between(self, c: list[Any]) -> ir.Expr:  # the salary is between 40000 and 90000
        p = Parts.of(c)
        lo, hi = sorted(float(n) for n in p.numbers[-2:])
        return p.maybe_not(combine(p.numerics[0].mode, [combine("all", [
            ir.Compare(op=">=", left=s, right=ir.Num(value=lo)),
            ir.Compare(op="<=", left=s, right=ir.Num(value=hi))]) for s in p.numerics[0].items]))

    def num_in(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        subj, values = p.numerics[0], p.values[0].items
        return p.maybe_not(combine(subj.mode, [combine("any", [
            ir.Compare(op="==", left=s, right=v) for v in values]) for s in subj.items]))

    def tuple_contains(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        values, obj = p.values[0].items, p.numerics[0]
        return p.maybe_not(combine(obj.mode, [combine("any", [
            ir.Compare(op="==", left=o, right=v) for v in values]) for o in obj.items]))

    def length_count(self, c: list[Any]) -> ir.Expr:  # there are fewer than 20 words in X
        p = Parts.of(c)
        target = self._target(p)
        assert target is not None  # the grammar requires a text or a mention
        return ir.Compare(op=p.op(), left=size(p, target), right=p.amount)

    def occurrence_count(self, c: list[Any]) -> ir.Expr:  # there are 2 commas in X
        p = Parts.of(c)
        target = self._target(p)
        if target is None and self.ctx.default_text:  # "there are two '#'": in the text
            target = ir.Field(name=self.ctx.default_text)
        assert target is not None
        return p.maybe_not(ir.Compare(
            op=p.op(), left=prim.CountOf(words=p.counted[0].words, text=target),
            right=ir.Num(value=float(int(p.numbers[0])))))


    # literal strings: evaluated now
    def lit_or(self, c: list[Any]) -> Literals:
        return Literals(mode="any", values=tuple(q.text for q in Parts.of(c).phrases))

    def lit_and(self, c: list[Any]) -> Literals:
        return Literals(mode="all", values=tuple(q.text for q in Parts.of(c).phrases))

    @staticmethod
    def _lit(c: list[Any], test: Callable[[str, str], bool]) -> ir.Expr:
        p = Parts.of(c)
        subject, lit = p.phrases[0].text, p.literals[0]
        agg = any if lit.mode == "any" else all
        return prim.Truth(value=agg(test(subject, v) for v in lit.values) != p.negated)

    def lit_equals(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s == v)

    def lit_starts(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s.startswith(v))

    def lit_ends(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s.endswith(v))

    def lit_contains(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: v in s)

    def lit_in(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        lit, container = p.literals[0], p.phrases[-1].text
        agg = any if lit.mode == "any" else all
        return prim.Truth(value=agg(v in container for v in lit.values) != p.negated)

    def lit_in_list(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        items = {str(w).lower() for w in self.ctx.word_lists.get(p.lists[0].name, ())}
        agg = any if p.literals[0].mode == "any" else all
        return prim.Truth(value=agg(v.lower() in items for v in p.literals[0].values) != p.negated)
