"""Counts of words said without a number: "within a few words of X", "a couple of words before".

``vague_counts`` turns "a few" before a unit of words into 3 (a number chosen here, and
reported: the writer may say the number instead) and "a couple (of)" into 2. A number the
writer gives in a remark after it ("within a few words after 'gym', say three") is that number,
and the remark is cut. Elsewhere ("a few typos", "few recipients") nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from explicate.grammar.explanation.lexicon import Lexeme
from explicate.grammar.explanation.vocabulary import NUMBER_WORDS, WORD_CLASSES

A_FEW = 3  # the number "a few" words is read as
A_COUPLE = 2
_UNITS = frozenset(WORD_CLASSES["WN"])
# How far after "a few words" a remark with the number ("..., say three") may stand.
_REMARK_REACH = 8
_REMARK_END = frozenset({",", ".", ")", ";"})


def _low(lexemes: Sequence[Lexeme], i: int) -> str:
    return lexemes[i].text.lower() if 0 <= i < len(lexemes) else ""


def _said_number(lexemes: Sequence[Lexeme], i: int) -> int | None:
    """The whole number at ``i``: digits or a number word."""
    if not 0 <= i < len(lexemes):
        return None
    lx = lexemes[i]
    if lx.kind == "num":
        return lx.value if isinstance(lx.value, int) else None
    return NUMBER_WORDS.get(lx.text.lower()) if lx.kind == "word" else None


def _remark(lexemes: Sequence[Lexeme], start: int) -> tuple[int, int, int] | None:
    """(first index, end index, the number) of a remark ", say N" within reach of ``start``."""
    for k in range(start, min(start + _REMARK_REACH, len(lexemes) - 1)):
        n = _said_number(lexemes, k + 1)
        if _low(lexemes, k) == "say" and n is not None and (
                k + 2 >= len(lexemes) or _low(lexemes, k + 2) in _REMARK_END):
            begin = k - 1 if _low(lexemes, k - 1) in (",", "(") else k
            end = k + 2 + (1 if _low(lexemes, k + 2) == ")" else 0)
            return begin, end, n
    return None


def vague_counts(lexemes: Sequence[Lexeme]) -> tuple[list[Lexeme], list[str]]:
    """``lexemes`` with "a few" / "a couple (of)" before a unit of words read as a number, and
    a note for each number read so (what it was read as, and why)."""
    out = list(lexemes)
    notes: list[str] = []
    i = 0
    while i < len(out):
        vague = _low(out, i + 1)
        if _low(out, i) != "a" or vague not in ("few", "couple"):
            i += 1
            continue
        unit = i + 2 + (1 if vague == "couple" and _low(out, i + 2) == "of" else 0)
        if _low(out, unit) not in _UNITS:
            i += 1
            continue
        chosen = A_FEW if vague == "few" else A_COUPLE
        remark = _remark(out, unit + 1)
        if remark is not None:
            begin, end, chosen = remark
            del out[begin:end]
            notes.append(f"read 'a {vague}' as {chosen}, the number said after it")
        else:
            notes.append(f"read 'a {vague} {_low(out, unit)}' as {chosen} {_low(out, unit)} "
                         "(a number chosen: say the number to set it)")
        out[i:unit] = [Lexeme("num", f"a {vague}", chosen, out[i].start, out[unit - 1].end)]
        i += 1
    return out, notes
