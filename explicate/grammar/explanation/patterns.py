"""Kinds of string an explanation names without quoting one ("a dollar amount", "a URL"): the
lexicon reads them as one ``PATTERN`` symbol, read as ``text matches /regex/``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Kinds of string said without quoting one (``PATTERN``): the words that name the kind, and the
# regular expression the reading matches (``text matches /.../``).
PATTERNS: dict[tuple[str, ...], str] = {
    ("dollar", "amount"): r"\$\d+", ("dollar", "amounts"): r"\$\d+",
    ("dollar", "figure"): r"\$\d+", ("dollar", "value"): r"\$\d+",
    ("url",): r"https?://|www\.", ("urls",): r"https?://|www\.",
    ("web", "address"): r"https?://|www\.",
    ("email", "address"): r"[\w.+-]+@[\w-]+\.\w+", ("e-mail", "address"): r"[\w.+-]+@[\w-]+\.\w+",
    ("digit",): r"\d", ("digits",): r"\d",
    ("percentage",): r"\d%", ("percent", "sign"): "%",
}


def pattern_at(lexemes: Sequence[Any], i: int) -> int:
    """How many word lexemes from ``i`` name a kind of string (``PATTERNS``), longest first; 0
    when none does."""
    for k in (2, 1):
        window = lexemes[i : i + k]
        if len(window) == k and all(x.kind == "word" for x in window) and \
                tuple(x.text.lower() for x in window) in PATTERNS:
            return k
    return 0
