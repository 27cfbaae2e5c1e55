"""What a text says and how, in the phrasings experts use beyond the core ones (a mixin of
``to_ir.ExplanationToIR``):

- verbs of describing: "the feature is described as 'dead'", "the tweet describes the target as
  a 'terrible waste'", "calls the target 'a disaster'": the words stand after the mention;
  "'his wife' describes person2": next to it, on either side (within 2 words);
- kinds of string said without quoting one (``patterns.PATTERNS``): "the subject contains a dollar
  amount" (``subject matches /\\$\\d+/``);
- a text's first letter: "the first letter of the subject is capitalized";
- two fields or mentions with the same first or last word: "the heading and the clause start
  with the same word", "the last names of X and Y differ";
- which of two mentions comes first: "the effect comes first";
- words in both (either) of two text fields: "'overdue' appears in both the subject and the
  message";
- two words near each other, in either order: "'claim' and 'prize' appear within two words of
  each other";
- a second clause whose verb is left out: "'cracked' appears and 'how' does not", "the clause
  contains no liability word and no unilateral phrase";
- "at least one positive word": one of the list's words;
- a letter case said of words as a clause of its own: "'LOVE' is written in capital letters"
  (``cased_word``: the quote in the default text, case required), "starts with FYI in capitals".
"""

from __future__ import annotations

import re
from typing import Any

from explicate import ir
from explicate.grammar.explanation.lexicon import Context, Symbol, in_example
from explicate.grammar.explanation.roles import (
    Parts,
    Place,
    Unsupported,
    Words,
    combine,
    over_mentions,
    over_words,
)
from explicate.primitives import text as prim
from explicate.primitives import text_extra as extra


class SayClauses:
    """The constructions of the module docstring."""

    ctx: Context  # provided by ExplanationToIR

    def _default_text(self) -> ir.Field:  # provided by ExplanationToIR
        raise NotImplementedError

    def _sym(self, tok: Any) -> Symbol:  # provided by ExplanationToIR
        raise NotImplementedError

    def PATTERN(self, tok: Any) -> ir.Regex:  # noqa: N802 - lark calls terminals by name
        return ir.Regex(pattern=str(self._sym(tok).value), flags="")

    def _text_of(self, p: Parts) -> ir.Field:
        return p.texts[0] if p.texts else self._default_text()

    def described_as(self, c: list[Any]) -> ir.Expr:  # X is described as 'dead'
        p = Parts.of(c)
        return p.maybe_not(over_mentions(p.mentions[0], lambda e: over_words(
            p.words[0], lambda w: prim.Near(words=w, target=e, side="right", within=None))))

    def words_describe(self, c: list[Any]) -> ir.Expr:  # 'his wife' describes person2
        # Words that describe a mention stand next to it, on either side ("his wife, Della";
        # "Della, his wife"), as in "X is referred to as Y's 'wife'".
        p = Parts.of(c)
        return p.maybe_not(over_mentions(p.mentions[0], lambda e: over_words(
            p.words[0], lambda w: prim.Near(words=w, target=e, side="any", within=2))))

    def text_pattern(self, c: list[Any]) -> ir.Expr:  # the subject contains a dollar amount
        p = Parts.of(c)
        (regex,) = [x for x in p.exprs if isinstance(x, ir.Regex)]
        return p.maybe_not(prim.Matches(text=self._text_of(p), regex=regex))

    def text_no_pattern(self, c: list[Any]) -> ir.Expr:  # there is no URL in the message
        return ir.Not(arg=self.text_pattern(c))

    def mention_pattern(self, c: list[Any]) -> ir.Expr:  # the product contains a digit
        p = Parts.of(c)
        (regex,) = [x for x in p.exprs if isinstance(x, ir.Regex)]
        return p.maybe_not(over_mentions(p.mentions[0],
                                         lambda e: prim.Matches(text=e, regex=regex)))

    def first_letter_upper(self, c: list[Any]) -> ir.Expr:  # the first letter of X is a capital
        p = Parts.of(c)
        return p.maybe_not(prim.IsCapitalized(text=p.texts[0] if p.texts else self._default_text()))

    def text_char_starts(self, c: list[Any]) -> ir.Expr:  # the first character is '#'
        return self._char_at_edge(c, "^{}")

    def text_char_ends(self, c: list[Any]) -> ir.Expr:  # the last character of the title is '?'
        return self._char_at_edge(c, r"{}\s*$")

    def _char_at_edge(self, c: list[Any], edge: str) -> ir.Expr:
        """The text's first (last) characters are the quote's, as written: a character is no
        word, so "the first letter is 'A'" holds of "Always" too."""
        p = Parts.of(c)
        q = p.phrases[0].text
        t = p.texts[0] if p.texts else self._default_text()
        return p.maybe_not(prim.Matches(text=t, regex=ir.Regex(pattern=edge.format(re.escape(q)))))

    def text_ends_repeated(self, c: list[Any]) -> ir.Expr:  # ends with three exclamation marks
        return self._repeated(c, prim.EndsWith)

    def text_starts_repeated(self, c: list[Any]) -> ir.Expr:  # starts with two hashtags
        return self._repeated(c, prim.StartsWith)

    def _repeated(self, c: list[Any], make: Any) -> ir.Expr:
        """A symbol said with a count ("three exclamation marks"): the symbol that many times,
        written together ("!!!"). Only symbols repeat so; "two 'no'" is not "nono"."""
        p = Parts.of(c)
        q, n = p.phrases[0].text, p.numbers[0]
        if not (isinstance(n, int) or float(n).is_integer()) or not 2 <= int(n) <= 10 \
                or any(ch.isalnum() for ch in q):
            raise Unsupported("only a symbol is said repeated at an edge ('three '!'')")
        t = p.texts[0] if p.texts else self._default_text()
        return p.maybe_not(make(text=t, words=ir.Phrase(text=q * int(n))))

    def _two_values(self, p: Parts) -> tuple[ir.Field, ir.Field]:
        if len(p.texts) == 2:
            return p.texts[0], p.texts[1]
        return p.two()

    def same_edge_verb(self, c: list[Any]) -> ir.Expr:  # X and Y start with the same word
        p = Parts.of(c)
        left, right = self._two_values(p)
        which = "last" if "ends" in p.marks else "first"
        return p.maybe_not(extra.SameWord(left=left, right=right, which=which))

    def differ_edge_word(self, c: list[Any]) -> ir.Expr:  # the last names of X and Y differ
        p = Parts.of(c)
        left, right = p.two()
        same = extra.SameWord(left=left, right=right, which=p.edge)
        return same if p.negated else ir.Not(arg=same)

    def _other_mention(self, name: str) -> ir.Field:
        others = [m for m in self.ctx.spans if m != name]
        if len(self.ctx.spans) != 2 or len(others) != 1:
            raise Unsupported(f"'{name} comes first': first before which mention? name both")
        return ir.Field(name=others[0])

    def mention_comes_first(self, c: list[Any]) -> ir.Expr:  # the effect comes first
        (name,) = Parts.of(c).ents
        return prim.Precedes(left=ir.Field(name=name), right=self._other_mention(name))

    def mention_comes_last(self, c: list[Any]) -> ir.Expr:  # the effect comes last
        (name,) = Parts.of(c).ents
        return prim.Precedes(left=self._other_mention(name), right=ir.Field(name=name))

    def in_texts_all(self, c: list[Any]) -> Place:  # in both the subject and the message
        texts = Parts.of(c).texts
        return lambda w: combine("all", [prim.Contains(text=t, words=w) for t in texts])

    def in_texts_any(self, c: list[Any]) -> Place:  # in the subject or the message
        texts = Parts.of(c).texts
        return lambda w: combine("any", [prim.Contains(text=t, words=w) for t in texts])

    def words_near_each(self, c: list[Any]) -> ir.Expr:  # 'a' and 'b' within 2 words of each other
        p = Parts.of(c)
        a, b = [x for x in p.exprs if not isinstance(x, ir.Field)]
        t = self._text_of(p)
        within = p.word_count
        return ir.Or(args=(prim.FollowedBy(first=a, second=b, text=t, within=within),
                           prim.FollowedBy(first=b, second=a, text=t, within=within)))

    def words_anywhere_not_other(self, c: list[Any]) -> ir.Expr:  # 'a' appears and 'b' does not
        p = Parts.of(c)
        t = self._text_of(p)
        first, second = p.words
        return ir.And(args=(over_words(first, lambda w: prim.Contains(text=t, words=w)),
                            ir.Not(arg=over_words(second, lambda w: prim.Contains(text=t,
                                                                                   words=w)))))

    def text_contains_none_each(self, c: list[Any]) -> ir.Expr:  # no A and no B
        p = Parts.of(c)
        t = self._text_of(p)
        return ir.And(args=tuple(ir.Not(arg=over_words(w, lambda x: prim.Contains(text=t, words=x)))
                                 for w in p.words))

    def concept_at(self, c: list[Any]) -> ir.Expr:  # a marriage word appears between them
        """A word list named for the concept (``runtime.concepts`` fills it from the data); a
        word of the example is that word itself ("the birthplace word is in the sentence")."""
        p = Parts.of(c)
        word = p.plain[-1]
        item: ir.Expr = ir.Phrase(text=word) if in_example(word, self.ctx) \
            else ir.WordList(name=word.lower())
        return over_words(Words(items=(item,), mode="one"), p.places[-1])

    def concept_not_at(self, c: list[Any]) -> ir.Expr:  # no marriage word between them
        return ir.Not(arg=self.concept_at(c))

    def at_least_one_word(self, c: list[Any]) -> Words:  # at least one positive word
        p = Parts.of(c)
        if int(p.numbers[0]) != 1:
            raise Unsupported("'at least N' words where N > 1: count them ('the number of ...')")
        return Words(items=tuple(p.exprs[:1]), mode="one")

    def cased_anywhere(self, c: list[Any]) -> ir.Expr:  # 'LOVE' is written in capitals
        (phrase,) = [x for x in c if isinstance(x, ir.Phrase)]
        return prim.Contains(text=self._default_text(), words=phrase)

    def unquoted_upper(self, c: list[Any]) -> ir.Expr:  # starts with FYI in capitals
        words = " ".join(Parts.of(c).plain)
        if self.ctx.example and not in_example(words, self.ctx):
            raise Unsupported(f"unquoted words '{words}' do not occur in the example; quote them")
        return ir.Phrase(text=words.upper(), case_sensitive=True)
