"""Slips in the example's own words, as crowd workers type them ("delicous" for the review's
"delicious", "indcued" for "induced").

The lexicon corrects slips in the grammar's keywords and the task's names; a word the writer
copied from the example is outside that vocabulary, so a slip in it leaves the sentence without
a reading. Here such a word is read as the one example word it is nearest to. This is part of
the generous reading (tried only after the sentence as written has none), and it is cautious:
only unknown words of five letters or more, only when exactly one example word is nearest
(edit distance 1 up to 7 letters, 2 from 8), and never when the two differ only at the end
("crashed" / "crashes" is another form of the word, not a slip, and may be meant).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation.lexicon import (
    Context,
    Lexeme,
    edit_distance,
    in_example,
    keywords,
)

_MIN_LETTERS = 5
# Two words that agree but for their last this-many letters are forms of one word, not a slip.
_ENDING = 3


def example_words(ctx: Context) -> dict[str, str]:
    """The words of the example's texts, lowercased, each mapped to its spelling there."""
    words: dict[str, str] = {}
    for value in ctx.example.values():
        if isinstance(value, str):
            for w in re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]", value):
                words.setdefault(w.lower(), w)
    return words


# Endings that make another form of a word ("crash", "crashes", "crashed", "crashing").
_ENDINGS = frozenset({"", "s", "es", "ed", "d", "ing", "er", "ers", "est", "ly", "e", "y",
                      "ies", "ied"})


def _another_form(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ only in their last few letters, each ending in a word
    ending ("crashed", "crashes"); "speakr" / "speaker" or "stoped" / "stopped" are slips."""
    common = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
    return common >= max(len(a), len(b)) - _ENDING and a[common:] in _ENDINGS \
        and b[common:] in _ENDINGS


def nearest_example_word(word: str, ctx: Context, vocab: dict[str, str] | None = None
                         ) -> str | None:
    """The example word ``word`` is a slip of, as spelled in the example, or None."""
    w = word.lower()
    if len(w) < _MIN_LETTERS or not w.isalpha() or w in STOP_WORDS or w in keywords() \
            or w in {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)} \
            or in_example(w, ctx):
        return None
    words = example_words(ctx) if vocab is None else vocab
    limit = 1 if len(w) < 8 else 2
    scored = sorted((edit_distance(w, v, limit), v) for v in words if abs(len(v) - len(w)) <= limit)
    best = [v for d, v in scored if d <= limit and d == scored[0][0]]
    if len(best) != 1 or _another_form(w, best[0]):
        return None
    return words[best[0]]


def correct_example_slips(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with each slip in an example word replaced by that word."""
    vocab = example_words(ctx)
    out: list[Lexeme] = []
    for lx in lexemes:
        fixed = nearest_example_word(lx.text, ctx, vocab) if lx.kind == "word" else None
        out.append(lx if fixed is None else Lexeme("word", fixed, fixed, lx.start, lx.end))
    return out
