"""Where words and mentions are, in the phrasings people use beyond the core ones (a mixin of
``to_ir.ExplanationToIR``):

- a mention placed by the words: "the place comes right after 'born in'";
- the word next to a mention, named: "the word before the place is 'in'";
- a second place denied: "'asap' is in the body but not in the subject";
- both sides of one mention: "the target is preceded by 'the' and followed by 'were'";
- order as a sequence: "the parent comes first and then the child";
- two places for the same words: "'prescribed' is after the drug and before the effect";
- a mention as the first or last word of its text: "the brand is the first word of the tweet"
  (read with the mention's string in the example);
- only some words between two mentions: "only 'and Governor' separates X and Y", "X and Y are
  separated only by 'his wife'": those words are between them and the gap is their length;
- adjacency: "X and Y are adjacent", "X is right next to Y", "nothing lies between X and Y"
  (no token between them, in either order), "the dose is next to 'mg'", "'never' and 'worked'
  are next to each other" (one right after the other, in either order).
"""

from __future__ import annotations

from typing import Any

from explicate import ir
from explicate.grammar.explanation.lexicon import Context
from explicate.grammar.explanation.roles import (
    Mentions,
    Parts,
    Place,
    Unsupported,
    over_mentions,
    over_pairs,
    over_words,
)
from explicate.primitives import text as prim

_OTHER_SIDE = {"left": "right", "right": "left"}


def _near(side: str, within: int | None, m: Mentions) -> Place:
    return lambda w: over_mentions(
        m, lambda e: prim.Near(words=w, target=e, side=side, within=within))


class PlacementClauses:
    """The placement constructions (see the module docstring)."""

    def places_both(self, c: list[Any]) -> Place:  # 'w' is after X and before Y: both hold
        first, second = Parts.of(c).places
        return lambda w: ir.And(args=(first(w), second(w)))

    ctx: Context  # provided by ExplanationToIR

    def near_vague(self, c: list[Any]) -> Place:  # 'rude' is near the target
        raise Unsupported("'near' without a distance: say how near, e.g. 'within 3 words of X'")

    def words_only_between(self, c: list[Any]) -> ir.Expr:  # only one word, 'and', between X and Y
        p = Parts.of(c)
        return over_words(p.words[0], self.directly_between(c))

    def directly_between(self, c: list[Any]) -> Place:  # provided by ExplanationToIR
        raise NotImplementedError

    def words_here_not_there(self, c: list[Any]) -> ir.Expr:  # 'a' is in the body, not the title
        p = Parts.of(c)
        w = p.words[0]
        return ir.And(args=(over_words(w, p.places[0]), ir.Not(arg=over_words(w, p.places[1]))))

    def word_next_to(self, c: list[Any]) -> ir.Expr:  # the word before X is 'in'
        p = Parts.of(c)
        return p.maybe_not(over_words(p.words[0], _near(p.side(), 0, p.mentions[0])))

    def mention_by_words(self, c: list[Any]) -> ir.Expr:  # X comes right after W
        p = Parts.of(c)
        side = _OTHER_SIDE[p.side()]  # X after W: W is left of X
        return p.maybe_not(over_words(p.words[0], _near(side, p.within, p.mentions[0])))

    def side_left(self, c: list[Any]) -> tuple[str, Parts]:  # (X is) preceded by W
        return "left", Parts.of(c)

    def side_right(self, c: list[Any]) -> tuple[str, Parts]:  # (X is) followed by W
        return "right", Parts.of(c)

    def mention_sides(self, c: list[Any]) -> ir.Expr:  # X is preceded by W and followed by V
        p = Parts.of([x for x in c if not isinstance(x, tuple)])
        sides = [x for x in c if isinstance(x, tuple)]
        m = p.mentions[0]
        return ir.And(args=tuple(over_words(q.words[0], _near(side, q.within, m))
                                 for side, q in sides))

    def near_within_again(self, c: list[Any]) -> Place:  # after X, within 3 words of it
        p = Parts.of(c)
        first, again = p.mentions
        if first.names != again.names:
            raise Unsupported("a distance from one mention said of another: say which mention")
        return _near(p.side(), p.within, first)

    def pair_adjacent(self, c: list[Any]) -> ir.Expr:  # X and Y are adjacent
        p = Parts.of(c)
        x, y = p.two()
        return p.maybe_not(prim.MentionsWithin(left=x, right=y, within=0))

    pair_touching = pair_adjacent  # nothing lies between X and Y

    def mention_adjacent(self, c: list[Any]) -> ir.Expr:  # X is right next to Y
        p = Parts.of(c)
        a, b = p.mentions
        return p.maybe_not(over_pairs(
            a, b, lambda x, y: prim.MentionsWithin(left=x, right=y, within=0)))

    def mention_next_to_words(self, c: list[Any]) -> ir.Expr:  # X is next to 'mg'
        p = Parts.of(c)
        return p.maybe_not(over_words(p.words[0], _near("any", 0, p.mentions[0])))

    def words_adjacent(self, c: list[Any]) -> ir.Expr:  # 'a' and 'b' are next to each other
        p = Parts.of(c)
        a, b = [x for x in p.exprs if not isinstance(x, ir.Field)]
        if p.texts:
            t = p.texts[0]
        elif self.ctx.default_text is not None:
            t = ir.Field(name=self.ctx.default_text)
        else:
            raise Unsupported("which text? name the field ('the sentence contains ...')")
        return ir.Or(args=(prim.FollowedBy(first=a, second=b, text=t, within=0),
                           prim.FollowedBy(first=b, second=a, text=t, within=0)))

    def mention_then(self, c: list[Any]) -> ir.Expr:  # X comes first, then Y
        a, b = Parts.of(c).mentions
        return over_pairs(a, b, lambda x, y: prim.Precedes(left=x, right=y))

    def mention_first_word(self, c: list[Any]) -> ir.Expr:  # X is the first word of the text
        return self._mention_edge(c, prim.StartsWith)

    def mention_last_word(self, c: list[Any]) -> ir.Expr:  # X is the last word of the text
        return self._mention_edge(c, prim.EndsWith)

    def _mention_edge(self, c: list[Any], kind: type[prim.StartsWith] | type[prim.EndsWith]
                      ) -> ir.Expr:
        p = Parts.of(c)
        names = p.mentions[0].names if p.mentions else ()
        value = self.ctx.example.get(names[0]) if len(names) == 1 else None
        if not isinstance(value, str) or not value.strip():
            raise Unsupported("a mention as the first or last word needs the example's text")
        return p.maybe_not(kind(text=p.texts[0], words=ir.Phrase(text=value.strip())))
