"""Diagnostics for explanations without a reading (E103): where reading stopped, the words
the grammar expected there, and the nearest phrasing it knows."""

from __future__ import annotations

import difflib
import re

from lark.exceptions import UnexpectedInput, UnexpectedToken

from explicate import ir
from explicate.errors import Diagnostic
from explicate.grammar.explanation.lexicon import WORD_CLASSES, Symbol
from explicate.grammar.explanation.parser import parser, render

# Phrasings the grammar knows, for "did you mean" suggestions.
EXAMPLES = (
    "label LABEL because \"his wife\" is between X and Y",
    "\"wife\" is within 3 words to the left of Y",
    "\"wife\" occurs immediately before Y",
    "X is immediately followed by \"and\"",
    "X and Y are more than 20 words apart",
    "the sentence contains \"married\"",
    "there are no spouse words in the sentence",
    "the words \"husband\" or \"wife\" do not occur between X and Y",
    "X is upper case",
    "X starts with \"Mr\"",
    "X is the same as Y",
    "the number of words between X and Y is less than 5",
    "\"married\" is after Y",
)


def diagnose(source: ir.Source, symbols: list[Symbol], exc: UnexpectedInput | None
              ) -> Diagnostic:
    text = source.text
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        index = _symbol_index(symbols, exc)
        sym = symbols[index] if index is not None and index < len(symbols) else symbols[-1]
        span = ir.Span(source, sym.start, sym.end)
        label = "could not read the explanation from here"
    else:
        span = ir.Span(source, len(text.rstrip()), len(text.rstrip()))
        label = "the explanation ends before it says what holds"
    expected = _expected(exc)
    hints = []
    if expected:
        hints.append("expected " + ", ".join(expected[:8]))
    hints.append(f"nearest phrasing explicate knows: {nearest_phrasing(text)}")
    return Diagnostic("E103", "could not read this explanation", span, label, tuple(hints))


def _symbol_index(symbols: list[Symbol], exc: UnexpectedInput) -> int | None:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        tok = getattr(exc, "token", None)
        pos = getattr(tok, "start_pos", None)
    if pos is None:
        return None
    _, at = render(symbols)
    order = sorted(at)
    for k, p in enumerate(order):
        if p >= pos:
            return k if p == pos else max(k - 1, 0)
    return len(order) - 1


def _expected(exc: UnexpectedInput | None) -> list[str]:
    if exc is None:
        return []
    names = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    terminals = {t.name: t for t in parser().terminals}
    shown = []
    for n in sorted(names):
        t = terminals.get(n)
        if n.lstrip("_") in WORD_CLASSES:
            shown.append(f"'{WORD_CLASSES[n.lstrip('_')][0]}'")
        elif n in ("QUOTE", "NUM", "ENT", "FIELD", "LIST", "LABEL", "WORD"):
            shown.append({"QUOTE": "a quoted phrase", "NUM": "a number", "ENT": "a mention",
                          "FIELD": "a text field", "LIST": "a word list", "LABEL": "a label",
                          "WORD": "a word"}[n])
        elif t is not None and t.pattern.type == "str":
            shown.append(f"'{t.pattern.value}'")
    return sorted(set(shown), key=lambda s: (s.startswith("'"), s))


def nearest_phrasing(text: str) -> str:
    """The known phrasing most similar to ``text``."""
    norm = re.sub(r"[\"'“”‘’`][^\"'“”‘’`]*[\"'“”‘’`]", '"w"', text.lower())
    return max(EXAMPLES, key=lambda e: difflib.SequenceMatcher(None, norm, e.lower()).ratio())
