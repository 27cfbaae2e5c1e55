"""Text normalization before tokenizing: what a reader cannot see should not change a match.

Two things, both documented in the README:

- zero-width characters and byte-order marks are removed (U+200B ZERO WIDTH SPACE, U+200C/U+200D
  zero-width (non-)joiners, U+2060 WORD JOINER, U+FEFF BOM). 87% of WRENCH's YouTube comments end
  in a U+FEFF that glues itself to the last word, so ``text ends with "song"`` never matched;
- Unicode is normalized to NFC, so "é" typed as one code point or as "e" plus a combining accent
  is the same word.

Rules see the normalized text; :func:`changed_rows` counts, per text column, the rows it changes
(reported by the commands as a note).
"""

from __future__ import annotations

import unicodedata

import pandas as pd

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_DROP = str.maketrans("", "", INVISIBLE)


def normalize_text(text: str) -> str:
    """``text`` without zero-width characters or BOMs, in NFC."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_DROP))


def normalize_texts(values: list[str]) -> list[str]:
    """:func:`normalize_text` of each value (ASCII values are returned as they are)."""
    return [v if v.isascii() else normalize_text(v) for v in values]


def changed_rows(df: pd.DataFrame) -> dict[str, int]:
    """For each string column, how many rows normalization changes (columns with none left out)."""
    counts: dict[str, int] = {}
    for col in df.columns:
        values = df[col].to_numpy(dtype=object)
        n = sum(1 for v in values if isinstance(v, str) and not v.isascii()
                and normalize_text(v) != v)
        if n:
            counts[str(col)] = n
    return counts


def normalization_note(df: pd.DataFrame) -> str | None:
    """One line for the user when normalization changes some rows, else None."""
    counts = changed_rows(df)
    if not counts:
        return None
    parts = ", ".join(f"{n:,} row(s) of '{c}'" for c, n in counts.items())
    return (f"note: text normalized before matching in {parts} (zero-width characters and byte-"
            "order marks removed, Unicode NFC)")
