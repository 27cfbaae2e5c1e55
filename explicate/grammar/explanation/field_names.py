"""Fields and mentions an explanation names by the words of their names.

Task schemas name things in code (``email_subject``, ``case_summary``, ``paper1``); people name
them in words:

- a text field whose name has several words is named by one of them or by all of them in order:
  "the subject" or "the email subject" for ``email_subject``, "the body of the email" for
  ``email_body``, "the summary" for ``case_summary`` -- when exactly one of the task's text
  fields has that word in its name (on a task with ``email_subject`` and ``email_body``, "the
  email" alone names neither); a trailing "line" or "field" says nothing more ("the subject line");
- a numbered mention is named by its stem and its number, in digits or as an ordinal: "paper 1",
  "the first paper" and "the 2nd party" for ``paper1`` and ``party2``;
- with one text field, a noun that people use for a whole text of some kind ("the review", "the
  remark", "the listing") is that field, as "the sentence" or "the text" are.

Each is read only where the word is not a field, mention, word list or label by its own name, and
not a word of the grammar; ``lexicon.classify`` emits the symbol and skips the words used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Nouns that name a whole text of some kind; read as the task's one text field.
TEXT_NOUNS = frozenset({
    "review", "reviews", "comment", "remark", "critique", "excerpt", "abstract", "summary",
    "description", "listing", "posting", "caption", "email", "statement", "blurb", "writeup",
    "transcript", "utterance",
})
_ORDINALS = {"first": 1, "second": 2, "1st": 1, "2nd": 2, "third": 3, "3rd": 3}
_CARDINALS = {"one": 1, "two": 2, "three": 3}
_SUFFIXES = frozenset({"st", "nd", "rd", "th"})  # "2nd" scanned as "2" "nd"
_FILLERS = frozenset({"line", "field", "column"})  # "the subject line": the subject
_SPLIT = re.compile(r"[_\W]+|(?<=[a-z])(?=[A-Z])")


def name_words(name: str) -> tuple[str, ...]:
    """The words of a field's name: ``email_subject`` -> (email, subject); ``caseSummary`` ->
    (case, summary); digits stay with their word."""
    return tuple(p.lower() for p in _SPLIT.split(name) if p)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _word(lexemes: Sequence[Any], k: int) -> str | None:
    return lexemes[k].text.lower() if k < len(lexemes) and lexemes[k].kind == "word" else None


def text_field_at(lexemes: Sequence[Any], i: int, texts: Sequence[str],
                  taken: frozenset[str]) -> tuple[str, int] | None:
    """The text field named by words starting at lexeme ``i``, and how many lexemes name it:
    all of its name's words in order ("email body"), or one word that only one field's name has
    ("body"), optionally followed by "of the <another word of that name>" ("the body of the
    email") and a filler ("line"). ``taken`` holds the words that name something outright
    (fields, mentions, lists, labels, grammar words): they are never read so."""
    word = _word(lexemes, i)
    if word is None or word in taken or _word(lexemes, i + 1) == "case":  # "title case"
        return None
    compound = {t: name_words(t) for t in texts if len(name_words(t)) > 1}
    for field, parts in compound.items():  # every word of the name, in order
        got = [_word(lexemes, i + k) for k in range(len(parts))]
        if [g and _singular(g) for g in got] == [_singular(p) for p in parts]:
            return field, _with_filler(lexemes, i + len(parts)) - i
    hits = [f for f, parts in compound.items()
            if _singular(word) in {_singular(p) for p in parts}]
    if len(hits) != 1 or any(_singular(word) in {_singular(p) for p in name_words(t)}
                             for t in texts if t not in compound):
        return None
    field = hits[0]
    end = i + 1
    rest = {_singular(p) for p in compound[field]} - {_singular(word)}
    if _word(lexemes, end) == "of" and _word(lexemes, end + 1) in ("the", "this", "that") \
            and (w := _word(lexemes, end + 2)) is not None and _singular(w) in rest:
        end += 3  # "the body of the email"
    return field, _with_filler(lexemes, end) - i


def _with_filler(lexemes: Sequence[Any], end: int) -> int:
    return end + 1 if _word(lexemes, end) in _FILLERS else end


def numbered_mention_at(lexemes: Sequence[Any], i: int,
                        fields: Mapping[str, str]) -> tuple[str, int] | None:
    """The numbered mention named at lexeme ``i`` and how many lexemes name it: its stem and a
    number ("paper 1", "party one") or an ordinal and its stem ("the first paper", "the 2nd
    party", scanned as "2" "nd" "party") for ``paper1``, ``party2``. ``fields`` maps lower-case
    mention names to the names. A cardinal before the stem is a count, not a name ("one party")."""
    word = _word(lexemes, i)
    lx = lexemes[i]
    if lx.kind == "num" and i + 2 < len(lexemes) and _word(lexemes, i + 1) in _SUFFIXES \
            and lexemes[i + 1].start == lx.end and isinstance(lx.value, int) \
            and (stem := _word(lexemes, i + 2)) is not None:
        name = _numbered(fields, stem, lx.value)
        return (name, 3) if name else None
    if word is None or i + 1 >= len(lexemes):
        return None
    nxt = lexemes[i + 1]
    if nxt.kind == "num" and isinstance(nxt.value, int | float) and float(nxt.value).is_integer():
        name = _numbered(fields, word, int(nxt.value))
        return (name, 2) if name else None
    if (n := _CARDINALS.get(_word(lexemes, i + 1) or "")) is not None:
        name = _numbered(fields, word, n)  # "party one"
        return (name, 2) if name else None
    if word in _ORDINALS and (stem := _word(lexemes, i + 1)) is not None:
        name = _numbered(fields, stem, _ORDINALS[word])
        return (name, 2) if name else None
    return None


def _numbered(fields: Mapping[str, str], stem: str, n: int) -> str | None:
    for s in dict.fromkeys((stem, _singular(stem))):
        if (name := fields.get(f"{s}{n}") or fields.get(f"{s}_{n}")) is not None:
            return name
    return None
