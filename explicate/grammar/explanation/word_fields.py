"""Fields an explanation names by words rather than by their names.

- A numeric field named by the words of its name around a number: "more than 1000 users are
  affected" is ``users_affected > 1000``, "shared more than 40 times" ``shares > 40``, "no users
  are affected" ``users_affected == 0``. Every word of the field's name (split at ``_``, compared
  by stem: share, shared, shares and sharing are one) occurs within a few words of a number (or
  of "no"), and exactly one numeric field is named so; otherwise nothing is read.
- A mention field abbreviated by its short name ("subject" for ``subj``).

``lexicon.classify`` reads the first name word as one ``NWORDS`` symbol and the rest as part of
it, so the grammar's numeric-field constructions read the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from explicate.grammar.explanation.unit_fields import (
    MEASURE_WORDS,
    PEOPLE_WORDS,
    UNIT_OF,
    content_parts,
    names_part,
    singular,
)

# Words that may stand between two name words inside the one field reference ("users are affected").
_AUXILIARIES = frozenset({"is", "are", "was", "were", "be", "been", "being", "has", "have", "had",
                          "get", "gets", "got"})
_WINDOW = 4  # how many lexemes from a number a name word may stand
# Names of punctuation and symbols that experts spell out ("the number of commas", "two
# hashtags"): one word, or two (``punct_at``).
PUNCT_NAMES = {
    "comma": ",", "commas": ",", "period": ".", "periods": ".", "colon": ":", "colons": ":",
    "semicolon": ";", "semicolons": ";", "hyphen": "-", "hyphens": "-", "dash": "-",
    "dashes": "-", "apostrophe": "'", "apostrophes": "'", "slash": "/", "slashes": "/",
    "parenthesis": "(", "parentheses": "(", "ampersand": "&", "hashtag": "#", "hashtags": "#",
}
_PUNCT_PAIRS = {
    ("exclamation", "mark"): "!", ("exclamation", "marks"): "!", ("exclamation", "point"): "!",
    ("exclamation", "points"): "!", ("question", "mark"): "?", ("question", "marks"): "?",
    ("hash", "sign"): "#", ("hash", "signs"): "#", ("pound", "sign"): "#",
    ("pound", "signs"): "#", ("at", "sign"): "@", ("at", "signs"): "@",
    ("dollar", "sign"): "$", ("dollar", "signs"): "$",
}


def stem(word: str) -> str:
    """A crude stem for matching a field's name ("shared", "shares", "sharing" -> "shar")."""
    w = word.lower()
    for suffix in ("ing", "ed", "es", "s", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


@dataclass(frozen=True)
class NamedNumber:
    """A numeric field named by words: the lexeme indices of its name words, in order."""

    field: str
    indices: tuple[int, ...]

    def span_end(self, lexemes: Sequence[Any]) -> int:
        """The index just past the field reference: its name words, with only auxiliaries
        between them, read as one symbol; the first word alone otherwise."""
        first, last = self.indices[0], self.indices[-1]
        between = [lx.text.lower() for k, lx in enumerate(lexemes[first:last], first)
                   if k not in self.indices]
        end = last + 1 if all(w in _AUXILIARIES for w in between) else first + 1
        # An adjective of measure after the name says nothing more: "3 hours late", "2 years old".
        if end < len(lexemes) and lexemes[end].kind == "word" \
                and lexemes[end].text.lower() in MEASURE_WORDS:
            end += 1
        return end


def _is_number(lx: Any, number_words: Mapping[str, int]) -> bool:
    return bool(lx.kind == "num" or (lx.kind == "word" and (
        lx.text.lower() in number_words or lx.text.lower() == "no")))


def named_number(lexemes: Sequence[Any], numbers: Sequence[str],
                 number_words: Mapping[str, int],
                 by_name: Mapping[str, str], keywords: frozenset[str]) -> NamedNumber | None:
    """The one numeric field named near a number, or None (no field, or several: then the words
    say no one field). Every word of a field's name occurring near a number names it (a unit
    word may stand for a unit of the name: "priced under 50 dollars" for ``price_usd``); failing
    that, the word right after a number names the one field whose name holds that unit, kind of
    person or noun ("3 hours" for ``delay_hours``, "100 people" for ``recipients``,
    ``unit_fields``). ``by_name`` maps the words that name a numeric field outright ("shares",
    "link") to it: those words and fields are read by name instead. A word of the grammar
    ("words", "times") is never a name word: "more than 10 words" for a field ``word_count`` is
    read as the grammar reads it; units and people words after a number are the exception."""
    hits = named_numbers(lexemes, numbers, number_words, by_name, keywords)
    return hits[0] if len(hits) == 1 else None


def named_numbers(lexemes: Sequence[Any], numbers: Sequence[str],
                  number_words: Mapping[str, int],
                  by_name: Mapping[str, str], keywords: frozenset[str]) -> list[NamedNumber]:
    """Every numeric field ``named_number`` finds: those named by all their name words, else
    those named by the word after a number."""
    spots = [k for k, lx in enumerate(lexemes) if _is_number(lx, number_words)]
    if not spots:
        return []
    words = {k: stem(lx.text) for k, lx in enumerate(lexemes)
             if lx.kind == "word" and lx.text.lower() not in by_name
             and lx.text.lower() not in keywords}
    named = {by_name[lx.text.lower()] for lx in lexemes if lx.text.lower() in by_name}
    # The word right after each number: a unit or a noun of what is counted.
    after = {s + 1 for s in spots if s + 1 < len(lexemes) and lexemes[s + 1].kind == "word"
             and lexemes[s + 1].text.lower() not in by_name and (
                 s + 1 in words or _unit_word(lexemes[s + 1].text))}
    hits: list[NamedNumber] = []
    partial: list[NamedNumber] = []
    for name in (n for n in numbers if n not in named):
        parts = content_parts(name)
        if not parts or not all(p.isalpha() for p in parts):
            continue
        found: list[int] = []
        for part in parts:
            near = [k for k, w in words.items() if w == stem(part) and k not in found
                    and any(abs(k - s) <= _WINDOW + 3 for s in spots)]
            near += [k for k in sorted(after) if k not in found and k not in near
                     and names_part(lexemes[k].text, part)]
            if not near:
                break
            found.append(near[0])
        else:
            # The name's words stand together, and near a number.
            # A name said only by substitutes ("people" for recipients) is as weak as a unit.
            own = any(words.get(k) == stem(p) for k, p in zip(found, parts, strict=True))
            if own and max(found) - min(found) <= _WINDOW + 1 and any(
                    abs(k - s) <= _WINDOW for k in found for s in spots):
                hits.append(NamedNumber(name, tuple(sorted(found))))
                continue
        unit = [k for k in sorted(after) if any(names_part(lexemes[k].text, p) for p in parts)]
        if unit:
            partial.append(NamedNumber(name, (unit[0],)))
    return hits or partial


def unit_notes(lexemes: Sequence[Any], numbers: Sequence[str], number_words: Mapping[str, int],
               by_name: Mapping[str, str], keywords: frozenset[str]) -> list[str]:
    """What a reader should know of a numeric field named by the word after a number: which
    field it was read as ("read 'people' as the field recipients"), or that several fields fit
    and none was read."""
    hits = named_numbers(lexemes, numbers, number_words, by_name, keywords)
    if len(hits) == 1 and len(hits[0].indices) == 1:
        word = lexemes[hits[0].indices[0]].text
        if singular(word) != singular(hits[0].field):
            return [f"read '{word}' as the field {hits[0].field}"]
    if len(hits) > 1:
        names = sorted(h.field for h in hits)
        words = sorted({lexemes[k].text for h in hits for k in h.indices})
        return [f"'{' '.join(words)}' could name {' or '.join(names)}: none was read; "
                "name the field"]
    return []


def _unit_word(word: str) -> bool:
    return word.lower() in UNIT_OF or word.lower() in PEOPLE_WORDS


def abbreviated_mention(word: str, fields: Mapping[str, str], kw: frozenset[str]) -> str | None:
    """The mention field whose short name abbreviates ``word`` ("subject" for a field ``subj``,
    "object" for ``obj``, "organization" for ``org``; never a keyword), when exactly one does.
    Only names of 3-4 letters, and only words at least two letters longer: a plural or an
    inflection of a mention's name ("drugs" for ``drug``) is another thing, not the mention."""
    if word in kw:
        return None
    hits = [name for low, name in fields.items()
            if 3 <= len(low) <= 4 and low.isalpha() and word.startswith(low)
            and len(word) >= len(low) + 2]
    return hits[0] if len(hits) == 1 else None


def truncated_mention(word: str, fields: Mapping[str, str], kw: frozenset[str],
                      in_example: bool) -> str | None:
    """The mention field whose alphabetic name ``word`` cuts short ("med" for ``medication``,
    "cond" for ``condition``), when exactly one does: at least three letters, two fewer than
    the name, never a keyword nor a word of the example (that word is content)."""
    if word in kw or in_example or len(word) < 3 or not word.isalpha():
        return None
    hits = [name for low, name in fields.items()
            if low.isalpha() and low.startswith(word) and len(low) >= len(word) + 2]
    return hits[0] if len(hits) == 1 else None


def in_itself(out: Sequence[Any], floor: int, separators: frozenset[str]) -> bool:
    """Whether "it" after "in" is the clause's own subject mention, said again: "the amount has
    'pinch' in it" says only that the amount contains 'pinch' (a phrase is never "in" itself)."""
    start = max([k + 1 for k, s in enumerate(out) if s.name in separators] + [floor])
    clause = [s.name for s in out[start:]]
    refs = [n for n in clause if n in ("ENT", "QUOTE", "OBJ", "FIELD")]
    return bool(clause and clause[-1] == "in" and refs and refs[0] == "ENT"
                and clause.count("ENT") == 1 and "CONTAINS" in clause
                and clause.index("CONTAINS") > clause.index("ENT"))


def punct_at(lexemes: Sequence[Any], i: int) -> str | None:
    """The symbol two words from ``i`` name ("exclamation marks": "!"), or None."""
    pair = lexemes[i : i + 2]
    if len(pair) < 2 or any(lx.kind != "word" for lx in pair):
        return None
    return _PUNCT_PAIRS.get((pair[0].text.lower(), pair[1].text.lower()))
