"""Spelling slips in an explanation's keywords and names ("betwen" → "between", "persn1" →
"person1"), corrected only where exactly one known word is nearest (``correct_spelling``)."""

from __future__ import annotations

from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation.lexicon import (
    _NUMBER_WORDS,
    _TEXT_ALIASES,
    Context,
    Lexeme,
    edit_distance,
    in_example,
    keywords,
)
from explicate.grammar.explanation.word_fields import PUNCT_NAMES


def _vocabulary(ctx: Context) -> frozenset[str]:
    """The words an explanation for this task may use: the grammar's keywords and word classes,
    and the task's own field, list and label names."""
    names = [*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels]
    return keywords() | frozenset(n.lower() for n in names) | frozenset(_TEXT_ALIASES)


def correct_spelling(lexemes: Sequence[Lexeme], ctx: Context
                     ) -> tuple[list[Lexeme], list[tuple[str, str]]]:
    """Lexemes with slips in keywords, field, list and label names corrected ("betwen" →
    "between", "persn1" → "person1"), and the (written, read) pairs. A word is corrected only when
    it is unknown (not a keyword, a common English word, or a word of the example) and exactly one
    known word is nearest: edit distance 1 for words of 5 to 7 letters, 2 from 8 letters."""
    vocab = _vocabulary(ctx)
    out: list[Lexeme] = []
    fixes: list[tuple[str, str]] = []
    for lx in lexemes:
        word = lx.text.lower()
        if lx.kind != "word" or len(word) < 5 or word in vocab or word in STOP_WORDS \
                or word in _NUMBER_WORDS or word in PUNCT_NAMES or in_example(word, ctx):
            out.append(lx)
            continue
        limit = 1 if len(word) < 8 else 2
        scored = sorted((edit_distance(word, v, limit), v) for v in vocab
                        if abs(len(v) - len(word)) <= limit)
        best = [v for d, v in scored if d <= limit and d == scored[0][0]]
        if len(best) == 1:
            fixed = best[0]
            original = next((n for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)
                             if n.lower() == fixed), fixed)
            out.append(Lexeme("word", original, original, lx.start, lx.end))
            fixes.append((lx.text, original))
        else:
            out.append(lx)
    return out, fixes
