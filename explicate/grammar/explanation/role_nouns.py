"""Words that only introduce or point at what follows, read before classification.

- "very" before an edge or order word ("the very next word", "at the very start") says nothing
  more than the word itself.
- An observer's verb before a quote in a fronted place ("right after it we read 'did not'",
  "before the gene you see 'binds'") says the quote occurs there.
- A role noun between an article and a quote ("the hashtag '#fire'", "the unit 'grams'") names
  the kind of the quoted words (a mention's or a word list's name), not the mention or the list:
  the quote is what is said.
- Examples after a named list ("an obligation word such as 'shall' or 'must'") illustrate the
  list: the list is what is said (``list_examples`` finds them, to be skipped).
- The plural of the stem the task's two mention names share ("the two parties" for ``party1``
  and ``party2``) is both mentions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Protocol

_EDGE_WORDS = frozenset({"next", "start", "end", "beginning", "first", "last", "front", "top",
                         "bottom", "same", "moment"})
_OBSERVERS = frozenset({"we", "you", "i", "one"})
_OBSERVING = frozenset({"read", "see", "find", "get", "have", "hear", "notice", "spot", "meet"})
_ARTICLES = frozenset({"the", "a", "an"})


class _Lexeme(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


def _low(lexemes: Sequence[_Lexeme], i: int) -> str:
    return lexemes[i].text.lower() if 0 <= i < len(lexemes) else ""


def intensifier_at(lexemes: Sequence[_Lexeme], i: int) -> bool:
    """Whether the word at ``i`` is "very" before an edge or order word."""
    return _low(lexemes, i) == "very" and _low(lexemes, i + 1) in _EDGE_WORDS


def observed_at(lexemes: Sequence[_Lexeme], i: int) -> bool:
    """Whether words ``i`` and ``i + 1`` are an observer and a verb of observing before a quote
    ("we read 'did not'")."""
    return (_low(lexemes, i) in _OBSERVERS and _low(lexemes, i + 1) in _OBSERVING
            and i + 2 < len(lexemes) and lexemes[i + 2].kind == "quote")


def noun_before_quote(lexemes: Sequence[_Lexeme], i: int, nouns: Collection[str]) -> bool:
    """Whether the word at ``i`` is one of ``nouns`` between an article and a quote, and no
    other noun follows the quote ("the gene 'binds' the protein" names both mentions)."""
    after = _low(lexemes, i + 2)
    return (_low(lexemes, i - 1) in _ARTICLES and i + 1 < len(lexemes)
            and lexemes[i + 1].kind == "quote" and _low(lexemes, i) in nouns
            and after not in _ARTICLES and after not in nouns)


def pair_plural(word: str, spans: Sequence[str]) -> bool:
    """Whether ``word`` is the plural of the one stem of the task's two mention names
    ("parties" for ``party1``/``party2``, "entities" for ``entity_a``/``entity_b``)."""
    if len(spans) != 2:
        return False
    stems = {re.sub(r"[_\s]*([0-9]+|[ab])$", "", s.lower()) for s in spans}
    if len(stems) != 1:
        return False
    (stem,) = stems
    if not stem.isalpha() or stem in {s.lower() for s in spans}:
        return False
    plurals = {stem + "s", stem + "es"} | ({stem[:-1] + "ies"} if stem.endswith("y") else set())
    return word.lower() in plurals


_WORD_NOUNS = frozenset({"word", "words", "term", "terms", "phrase", "phrases", "expression",
                         "expressions"})
_JOINERS = frozenset({",", "or", "and"})


def list_examples(lexemes: Sequence[_Lexeme], i: int, lists: Collection[str]) -> range:
    """The lexemes after the list name at ``i`` (and its word noun) that only give examples of
    it: ", such as 'shall' or 'must'," / "like 'great'" / "including 'x', 'y'". Empty when the
    word is no list name or no quoted examples follow."""
    if _low(lexemes, i) not in lists:
        return range(0)
    j = i + 1 + (_low(lexemes, i + 1) in _WORD_NOUNS)
    start = j
    j += _low(lexemes, j) == ","
    if _low(lexemes, j) == "such" and _low(lexemes, j + 1) == "as":
        j += 2
    elif _low(lexemes, j) in ("like", "including"):
        j += 1
    else:
        return range(0)
    if j >= len(lexemes) or lexemes[j].kind != "quote":
        return range(0)
    end = j + 1
    while True:
        k = end
        while _low(lexemes, k) in _JOINERS:
            k += 1
        if k == end or k >= len(lexemes) or lexemes[k].kind != "quote":
            break
        end = k + 1
    if _low(lexemes, start) == "," and _low(lexemes, end) == ",":
        end += 1  # the closing comma of an aside
    return range(start, end)
