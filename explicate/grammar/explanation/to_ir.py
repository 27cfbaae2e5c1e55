"""Parse tree → IR: one method per construction of ``explanation.lark``.

A rule alternative's alias (``-> mention_within``) names the method that builds it. Each method
sorts its children by role (``roles.Parts``: the words, the mentions, the number, the direction,
the negation, ...) and builds IR nodes with keyword arguments, so the order in which a phrasing
says things does not matter: two alternatives with the same children build the same node.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Token, Transformer

from explicate import ir
from explicate.grammar.explanation.entity_clauses import EntityClauses
from explicate.grammar.explanation.field_clauses import FieldClauses
from explicate.grammar.explanation.lexicon import CONTENT_WORDS, Context, Symbol, in_example
from explicate.grammar.explanation.number_clauses import NumberClauses, size
from explicate.grammar.explanation.placement import PlacementClauses
from explicate.grammar.explanation.roles import (
    Ent,
    Mentions,
    Pair,
    Parts,
    Place,
    Relations,
    Unsupported,
    Words,
    over_mentions,
    over_pairs,
    over_words,
)
from explicate.grammar.explanation.say_clauses import SayClauses
from explicate.grammar.explanation.sequences import SequenceClauses
from explicate.grammar.explanation.sketches import SketchClauses
from explicate.primitives import image
from explicate.primitives import text as prim
from explicate.primitives import text_extra as extra

__all__ = ["ExplanationToIR", "Unsupported"]


def _plain_is_filler(p: Parts) -> None:
    """Unknown words a construction reads past (a topic, an addressee) must carry no content: a
    negation or relation word among them would be dropped silently."""
    words = [w for x in p.plain for w in x.lower().split()]
    if any(w in CONTENT_WORDS for w in words):
        raise Unsupported(f"'{' '.join(p.plain)}' says more than the reading can")


class ExplanationToIR(SketchClauses, EntityClauses, PlacementClauses, SequenceClauses,
                      FieldClauses, NumberClauses, SayClauses, Transformer[Token, Any]):
    """Builds ``(label or None, condition)`` from one derivation."""

    def __init__(self, at: dict[int, Symbol], ctx: Context):
        super().__init__()
        self.at = at
        self.ctx = ctx
        self._bare: set[int] = set()  # ids of phrases written without quotes

    def _sym(self, tok: Token) -> Symbol:
        return self.at[tok.start_pos or 0]

    # terminals
    def QUOTE(self, tok: Token) -> ir.Phrase:  # noqa: N802 - lark calls terminals by name
        return ir.Phrase(text=str(self._sym(tok).value))

    def NUM(self, tok: Token) -> int | float:  # noqa: N802
        value = self._sym(tok).value
        return value if isinstance(value, int | float) else int(value)

    def ENT(self, tok: Token) -> Ent:  # noqa: N802
        return Ent(self._sym(tok).value)

    def FIELD(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def LIST(self, tok: Token) -> ir.WordList:  # noqa: N802
        return ir.WordList(name=str(self._sym(tok).value))

    def OBJ(self, tok: Token) -> ir.Objects:  # noqa: N802
        kind, name = self._sym(tok).value
        words: ir.Expr = ir.WordList(name=name) if kind == "list" else ir.Phrase(text=name)
        return ir.Objects(names=words, field=ir.Field(name=self.ctx.objects[0]))

    def LABEL(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def WORD(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
        if data == "start" or re.fullmatch(r"start_\d+", str(data)):
            return children[0]
        return super().__default__(data, children, meta)

    # frames: (label, condition)
    def bare(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return None, c[-1]

    def labeled(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return c[0], c[-1]

    def bare_excerpt_frame(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return None, self.text_contains(c)

    def labeled_excerpt_frame(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return c[0], self.text_contains(c[1:])

    def label_ref(self, c: list[Any]) -> str:
        value = c[0]
        if isinstance(value, Token) and value.type in ("TRUE", "FALSE"):
            if len(self.ctx.labels) != 2:
                raise Unsupported("'true'/'false' as a label needs exactly two labels")
            return self.ctx.labels[1 if value.type == "TRUE" else 0]
        return str(value)

    # logic: the children are the operands, in the order said
    def or_(self, c: list[Any]) -> ir.Expr:
        return ir.Or(args=(c[0], c[-1]))

    def and_(self, c: list[Any]) -> ir.Expr:
        return ir.And(args=(c[0], c[-1]))

    def unless(self, c: list[Any]) -> ir.Expr:
        return ir.And(args=(c[0], ir.Not(arg=c[-1])))

    def not_(self, c: list[Any]) -> ir.Expr:
        return ir.Not(arg=c[-1])

    def nor(self, c: list[Any]) -> ir.Expr:
        return ir.And(args=(ir.Not(arg=c[0]), ir.Not(arg=c[1])))

    def true_(self, c: list[Any]) -> ir.Expr:
        return prim.Truth(value=True)

    def false_(self, c: list[Any]) -> ir.Expr:
        return prim.Truth(value=False)

    # words
    def quoted(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        _plain_is_filler(p)  # "mentions a death with the word 'died'": the topic is filler
        return p.phrases[-1]

    def word_list(self, c: list[Any]) -> ir.Expr:
        return Parts.of(c).lists[0]

    def unquoted(self, c: list[Any]) -> ir.Expr:
        words = " ".join(Parts.of(c).plain)
        listed = any(words.lower() in {str(w).lower() for w in ws}
                     for ws in self.ctx.word_lists.values())
        if self.ctx.example and not in_example(words, self.ctx) and not listed:
            raise Unsupported(f"unquoted words '{words}' do not occur in the example; quote them")
        phrase = ir.Phrase(text=words)
        self._bare.add(id(phrase))
        return phrase

    def one_word(self, c: list[Any]) -> Words:
        return Words(items=tuple(Parts.of(c).exprs[:1]), mode="one")

    def any_words(self, c: list[Any]) -> Words:
        return Words(items=tuple(Parts.of(c).exprs), mode="any")

    def example_words(self, c: list[Any]) -> Words:
        """Words named by examples ("words like refund or rude"): the one word list that holds
        every example, where there is one; else any of the examples."""
        items = tuple(Parts.of(c).exprs)
        said = {x.text.lower() for x in items if isinstance(x, ir.Phrase)}
        lists = [name for name, ws in self.ctx.word_lists.items()
                 if len(said) == len(items) and said <= {str(w).lower() for w in ws}]
        if len(lists) == 1:
            return Words(items=(ir.WordList(name=lists[0]),), mode="one")
        return Words(items=items, mode="any")

    def no_words(self, c: list[Any]) -> Words:
        return Words(items=tuple(Parts.of(c).exprs), mode="none")

    def but_not_words(self, c: list[Any]) -> Words:
        return Words(items=tuple(Parts.of(c).exprs), mode="but_not")

    def all_words(self, c: list[Any]) -> Words:
        return Words(items=tuple(Parts.of(c).exprs), mode="all")

    # mentions
    def one_mention(self, c: list[Any]) -> Mentions:
        return Mentions(names=tuple(Parts.of(c).ents[:1]), mode="one")

    def all_mentions(self, c: list[Any]) -> Mentions:
        return Mentions(names=tuple(Parts.of(c).ents), mode="all")

    def any_mentions(self, c: list[Any]) -> Mentions:
        return Mentions(names=tuple(Parts.of(c).ents), mode="any")

    def no_mentions(self, c: list[Any]) -> Mentions:  # neither X nor Y
        return Mentions(names=tuple(Parts.of(c).ents), mode="none")

    def pair(self, c: list[Any]) -> Pair:
        a, b = Parts.of(c).ents
        if a == b:
            raise Unsupported(f"'{a}' cannot be between itself")
        return Pair(left=a, right=b)

    def text(self, c: list[Any]) -> ir.Field:
        return ir.Field(name=c[0])

    # places: functions from words to a condition
    def between(self, c: list[Any]) -> Place:
        pair = Parts.of(c).pairs[0]
        return lambda w: prim.Between(words=w, left=ir.Field(name=pair.left),
                                      right=ir.Field(name=pair.right))

    @staticmethod
    def _near(side: str, within: int | None, m: Mentions) -> Place:
        return lambda w: over_mentions(
            m, lambda e: prim.Near(words=w, target=e, side=side, within=within))

    def near(self, c: list[Any]) -> Place:
        p = Parts.of(c)
        return self._near(p.side(), 0 if p.immediate else None, p.mentions[0])

    def near_within(self, c: list[Any]) -> Place:
        p = Parts.of(c)
        return self._near(p.side(), p.within, p.mentions[0])

    def near_cmp(self, c: list[Any]) -> Place:
        p = Parts.of(c)
        n = p.word_count
        op = p.op()
        if op not in ("<", "<="):
            raise Unsupported("'more than N words before/after' for words is not supported yet; "
                              "say 'within N words' or use 'not'")
        n -= 1 if op == "<" else 0
        return self._near(p.side(), max(n, 0), p.mentions[0])

    def next_to(self, c: list[Any]) -> Place:
        return self._near("any", 0, Parts.of(c).mentions[0])

    def both_sides(self, c: list[Any]) -> Place:  # before and after X, on both sides of X
        p = Parts.of(c)
        within = 0 if p.immediate else None
        return lambda w: over_mentions(p.mentions[0], lambda e: ir.And(args=(
            prim.Near(words=w, target=e, side="left", within=within),
            prim.Near(words=w, target=e, side="right", within=within))))

    def directly_between(self, c: list[Any]) -> Place:
        # "'and' is directly between X and Y": nothing else stands between them.
        x, y = Parts.of(c).two()

        def place(w: ir.Expr) -> ir.Expr:
            longest = ir.Num(value=float(self._longest(w)))
            return ir.And(args=(prim.Between(words=w, left=x, right=y), ir.Compare(
                op="<=", left=prim.Distance(left=x, right=y), right=longest)))
        return place

    def _longest(self, words: ir.Expr) -> int:
        """The most tokens one of ``words`` can have (as the DSL tokenizes, roughly)."""
        if isinstance(words, ir.WordList):
            texts = [str(t) for t in self.ctx.word_lists.get(words.name, ())]
        else:
            texts = [p.text for p in ir.phrases(words)]
        return max((len(re.findall(r"\w+|[^\w\s]", t)) for t in texts), default=1)

    def in_text(self, c: list[Any]) -> Place:
        p = Parts.of(c)
        if p.texts:
            t = p.texts[0]
            return lambda w: prim.Contains(text=t, words=w)
        m = p.mentions[0]
        return lambda w: over_mentions(m, lambda e: prim.Contains(text=e, words=w))

    def place_in(self, c: list[Any]) -> Place:
        return Parts.of(c).places[0]

    # clauses over words
    def words_at(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        _plain_is_filler(p)
        return over_words(p.words[0], p.places[-1])

    def words_not_at(self, c: list[Any]) -> ir.Expr:
        return ir.Not(arg=self.words_at(c))

    def words_at_not_other(self, c: list[Any]) -> ir.Expr:  # 'a' is between X and Y, 'b' is not
        p = Parts.of(c)
        place = p.places[0]
        return ir.And(args=(over_words(p.words[0], place),
                            ir.Not(arg=over_words(p.words[1], place))))

    def words_side_not_other(self, c: list[Any]) -> ir.Expr:  # 'a' follows X and 'b' does not
        p = Parts.of(c)
        place = self._near(p.side(), p.within, p.mentions[0])
        return ir.And(args=(over_words(p.words[0], place),
                            ir.Not(arg=over_words(p.words[1], place))))

    def words_side(self, c: list[Any]) -> ir.Expr:  # W precedes X (by at most 3 words)
        p = Parts.of(c)
        return p.maybe_not(over_words(p.words[0], self._near(p.side(), p.within, p.mentions[0])))

    def words_between(self, c: list[Any]) -> ir.Expr:  # W links X and Y; X and Y sandwich W
        p = Parts.of(c)
        x, y = p.two()
        return p.maybe_not(over_words(p.words[0], lambda w: prim.Between(words=w, left=x,
                                                                          right=y)))

    def _default_text(self) -> ir.Field:
        if self.ctx.default_text is None:
            raise Unsupported("which text? name the field ('the sentence contains ...')")
        return ir.Field(name=self.ctx.default_text)

    def words_anywhere(self, c: list[Any]) -> ir.Expr:  # 'wife' is mentioned
        t = self._default_text()
        return over_words(Parts.of(c).words[0], lambda w: prim.Contains(text=t, words=w))

    def words_nowhere(self, c: list[Any]) -> ir.Expr:  # 'husband' does not appear
        return ir.Not(arg=self.words_anywhere(c))

    def words_nowhere_quoted(self, c: list[Any]) -> ir.Expr:  # there is no 'husband'
        return ir.Not(arg=prim.Contains(text=self._default_text(), words=Parts.of(c).phrases[0]))

    # clauses over mentions
    def mention_after(self, c: list[Any]) -> ir.Expr:  # X is (not) preceded by W
        p = Parts.of(c)
        return p.maybe_not(over_words(p.words[0], self._near("left", p.within, p.mentions[0])))

    def mention_before(self, c: list[Any]) -> ir.Expr:  # X is (not) followed by W
        p = Parts.of(c)
        return p.maybe_not(over_words(p.words[0], self._near("right", p.within, p.mentions[0])))

    def mention_order(self, c: list[Any]) -> ir.Expr:  # X is before Y; X precedes Y
        p = Parts.of(c)
        a, b = p.mentions
        side, within = p.side(), p.within

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            order = prim.Precedes(left=x, right=y) if side == "left" \
                else prim.Precedes(left=y, right=x)
            if within is None:
                return order
            return ir.And(args=(order, prim.MentionsWithin(left=x, right=y, within=within)))
        return p.maybe_not(over_pairs(a, b, one))

    def _within_of(self, p: Parts, x: ir.Field, y: ir.Field) -> ir.Expr:
        if p.chars:
            return ir.Compare(op="<=", left=extra.CharDistance(left=x, right=y), right=p.amount)
        return prim.MentionsWithin(left=x, right=y, within=p.count)

    def mention_within(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        a, b = p.mentions
        return p.maybe_not(over_pairs(a, b, lambda x, y: self._within_of(p, x, y)))

    def pair_within(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        return p.maybe_not(self._within_of(p, *p.two()))

    def mention_gap(self, c: list[Any]) -> ir.Expr:  # X is more than 5 words from Y
        p = Parts.of(c)
        a, b = p.mentions
        n, op = p.amount, p.op()
        return p.maybe_not(over_pairs(a, b, lambda x, y: ir.Compare(
            op=op, left=self._distance(p, x, y), right=n)))

    def pair_gap(self, c: list[Any]) -> ir.Expr:  # X and Y are more than 5 words apart
        p = Parts.of(c)
        distance = self._distance(p, *p.two())
        return p.maybe_not(ir.Compare(op=p.op(), left=distance, right=p.amount))

    pair_gap_by = pair_gap
    gap_count = pair_gap  # there are fewer than 5 words between X and Y
    gap_count_at = pair_gap

    def same_edge_word(self, c: list[Any]) -> ir.Expr:  # they have the same surname
        p = Parts.of(c)
        x, y = p.two()
        return p.maybe_not(extra.SameWord(left=x, right=y, which=p.edge))

    def mentions_overlap(self, c: list[Any]) -> ir.Expr:  # X and Y are the same person
        p = Parts.of(c)
        x, y = p.two()
        return p.maybe_not(extra.Overlaps(left=x, right=y))

    def mention_word_starts(self, c: list[Any]) -> ir.Expr:  # X has a word starting with 'Mc'
        p = Parts.of(c)
        q = p.phrases[0]
        return p.maybe_not(over_mentions(p.mentions[0],
                                         lambda e: extra.WordStarts(text=e, words=q)))

    def mention_substring(self, c: list[Any]) -> ir.Expr:  # the chemical contains 'induc'
        p = Parts.of(c)
        pattern = ir.Regex(pattern=re.escape(p.phrases[0].text), flags="i")
        return p.maybe_not(over_mentions(p.mentions[0],
                                         lambda e: prim.Matches(text=e, regex=pattern)))

    def mention_gap_dir(self, c: list[Any]) -> ir.Expr:
        # "X is more than three words to the left of Y": X before Y, and that far apart.
        p = Parts.of(c)
        a, b = p.mentions
        side, n, op = p.side(), p.amount, p.op()

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            order = prim.Precedes(left=x, right=y) if side == "left" \
                else prim.Precedes(left=y, right=x)
            return ir.And(args=(order, ir.Compare(op=op, left=prim.Distance(left=x, right=y),
                                                  right=n)))
        return p.maybe_not(over_pairs(a, b, one))

    def mention_case(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        case = p.case
        return p.maybe_not(over_mentions(p.mentions[0], lambda e: case(text=e)))

    @staticmethod
    def _mention_words(c: list[Any], make: Callable[..., ir.Expr]) -> ir.Expr:
        p = Parts.of(c)
        return p.maybe_not(over_mentions(
            p.mentions[0], lambda e: over_words(p.words[0], lambda w: make(text=e, words=w))))

    def _mention_affix(self, c: list[Any], at_end: bool) -> ir.Expr | None:
        """"The drug ends with 'pril'": a quoted piece of one word that is not a whole word of
        the example's mention but ends (starts) it, read as characters (``matches /pril$/i``)."""
        p = Parts.of(c)
        names, items = p.mentions[0].names, p.words[0].items
        value = self.ctx.example.get(names[0]) if len(names) == 1 else None
        if len(items) != 1 or not isinstance(items[0], ir.Phrase) or not isinstance(value, str):
            return None
        piece, words = items[0].text, re.findall(r"\w+", value.lower())
        edge = words[-1 if at_end else 0] if words else ""
        low = piece.lower()
        if not re.fullmatch(r"\w+", piece) or edge == low or not (
                edge.endswith(low) if at_end else edge.startswith(low)):
            return None
        pattern = re.escape(piece) + "$" if at_end else "^" + re.escape(piece)
        return p.maybe_not(prim.Matches(text=ir.Field(name=names[0]),
                                        regex=ir.Regex(pattern=pattern, flags="i")))

    def mention_starts(self, c: list[Any]) -> ir.Expr:
        return self._mention_affix(c, False) or self._mention_words(c, prim.StartsWith)

    def mention_ends(self, c: list[Any]) -> ir.Expr:
        return self._mention_affix(c, True) or self._mention_words(c, prim.EndsWith)

    def mention_contains(self, c: list[Any]) -> ir.Expr:
        return self._mention_words(c, prim.Contains)

    def mention_equals(self, c: list[Any]) -> ir.Expr:
        # "the waiter was rude": unquoted words that are not the mention's own text describe it;
        # they do not name it (the reading "aspect is 'rude'" would be false on its example).
        p = Parts.of(c)
        value = self.ctx.example.get(p.mentions[0].names[0]) if p.mentions else None
        if isinstance(value, str) and any(
                id(w) in self._bare and isinstance(w, ir.Phrase)
                and w.text.lower() != value.strip().lower() for w in p.words[0].items):
            raise Unsupported("unquoted words after 'is' describe the mention; quote them to "
                              "say its text ('the aspect is \"waiter\"')")
        return self._mention_words(c, prim.Equals)

    def mention_same(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        a, b = p.mentions
        return p.maybe_not(over_pairs(a, b, lambda x, y: prim.SameText(left=x, right=y)))

    def mention_pair_same(self, c: list[Any]) -> ir.Expr:  # X and Y are the same
        p = Parts.of(c)
        left, right = p.two()
        return p.maybe_not(prim.SameText(left=left, right=right))

    def mention_pair_differ(self, c: list[Any]) -> ir.Expr:  # X and Y are different
        return ir.Not(arg=self.mention_pair_same(c))

    def mention_differ(self, c: list[Any]) -> ir.Expr:  # X is different from Y
        return ir.Not(arg=self.mention_same(c))

    def mention_length(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        n, op = p.amount, p.op()
        return p.maybe_not(over_mentions(
            p.mentions[0], lambda e: ir.Compare(op=op, left=size(p, e), right=n)))

    def implicit_between(self, c: list[Any]) -> ir.Expr:  # X is said to be 'wife' of Y
        p = Parts.of(c)
        a, b = p.ents[0], p.ents[-1]
        if a == b:
            raise Unsupported(f"'{a}' cannot be between itself")
        return prim.Between(words=p.phrases[0], left=ir.Field(name=a), right=ir.Field(name=b))

    def possessive(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        if len(p.ents) == 2:
            # "person1 is referred to as person2's 'wife'": the words describe person1, so they
            # stand next to it ("his wife, Della"; "Della, his wife").
            subject = ir.Field(name=p.ents[0])
            return over_words(p.words[0], lambda w: prim.Near(words=w, target=subject,
                                                              side="any", within=2))
        # "person2's 'wife'": the words follow the mention, after its "'s".
        owner = ir.Field(name=p.ents[-1])
        return over_words(p.words[0], lambda w: prim.Near(words=w, target=owner, side="right",
                                                          within=1))

    # clauses over a text
    def _text_words(self, c: list[Any], make: Callable[..., ir.Expr]) -> ir.Expr:
        p = Parts.of(c)
        t = p.texts[0] if p.texts else self._default_text()
        return p.maybe_not(over_words(p.words[0], lambda w: make(text=t, words=w)))

    def text_contains(self, c: list[Any]) -> ir.Expr:
        _plain_is_filler(Parts.of(c))  # "asks the reader to 'verify'"
        return self._text_words(c, prim.Contains)

    def text_contains_none(self, c: list[Any]) -> ir.Expr:  # the text has no promo words
        return ir.Not(arg=self._text_words(c, prim.Contains))

    def text_equals(self, c: list[Any]) -> ir.Expr:  # the title is "..."
        p = Parts.of(c)
        return p.maybe_not(prim.Equals(text=p.texts[0], words=p.phrases[0]))

    def words_then(self, c: list[Any], reverse: bool = False) -> ir.Expr:
        """'free' is followed by 'cruise' (in the body); ``reverse``: the second comes first."""
        p = Parts.of(c)
        t = p.texts[0] if p.texts else self._default_text()
        first, second = p.words[::-1] if reverse else p.words
        return p.maybe_not(over_words(first, lambda a: over_words(
            second, lambda b: prim.FollowedBy(first=a, second=b, text=t, within=p.within))))

    def words_after(self, c: list[Any]) -> ir.Expr:  # 'cruise' comes after 'claim'
        return self.words_then(c, reverse=True)

    def text_starts(self, c: list[Any]) -> ir.Expr:
        return self._text_words(c, prim.StartsWith)

    def text_ends(self, c: list[Any]) -> ir.Expr:
        return self._text_words(c, prim.EndsWith)

    def text_word_starts(self, c: list[Any]) -> ir.Expr:  # a word starting with 'improv'
        p = Parts.of(c)
        t = p.texts[0] if p.texts else self._default_text()
        return p.maybe_not(extra.WordStarts(text=t, words=p.phrases[0]))

    def text_substring(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        pattern = ir.Regex(pattern=re.escape(p.phrases[0].text), flags="i")
        return p.maybe_not(prim.Matches(text=p.texts[0], regex=pattern))

    def text_case(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        return p.maybe_not(p.case(text=p.texts[0]))

    def text_length(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        return p.maybe_not(ir.Compare(op=p.op(), left=size(p, p.texts[0]), right=p.amount))

    # image objects
    def thing(self, c: list[Any]) -> ir.Objects:
        return Parts.of(c).objects[0]

    def relations(self, c: list[Any]) -> Relations:
        return Relations(names=tuple(m.removeprefix("rel_").replace("_", " ")
                                      for m in Parts.of(c).marks))

    def things_related(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        a, b = p.objects
        rels = tuple(dict.fromkeys(r for x in p.relations for r in x.names))
        return p.maybe_not(image.Related(a=a, relations=rels, b=b))

    def things_related_each(self, c: list[Any]) -> ir.Expr:
        # "a person is above a bike and overlaps it": one subject, a relation to each object.
        p = Parts.of(c)
        subject, *objects = p.objects
        return ir.And(args=tuple(image.Related(a=subject, relations=r.names, b=o)
                                 for r, o in zip(p.relations, objects, strict=True)))

    def thing_present(self, c: list[Any]) -> ir.Expr:
        return image.Has(objects=Parts.of(c).objects[0])

    def thing_absent(self, c: list[Any]) -> ir.Expr:
        return ir.Not(arg=image.Has(objects=Parts.of(c).objects[0]))

    def thing_count(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        n = ir.Num(value=float(int(p.numbers[0])))
        return p.maybe_not(ir.Compare(op=p.op(">="), left=image.CountObjects(
            objects=p.objects[0]), right=n))

    def thing_number(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        if p.objects:
            return image.CountObjects(objects=p.objects[0])
        return ir.Num(value=float(int(p.numbers[0])))

    def thing_count_cmp(self, c: list[Any]) -> ir.Expr:
        p = Parts.of(c)
        left = image.CountObjects(objects=p.objects[0])
        right = [x for x in p.exprs if not isinstance(x, ir.Objects)][-1]
        return p.maybe_not(ir.Compare(op=p.op(), left=left, right=right))
