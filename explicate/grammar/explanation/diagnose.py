"""Diagnostics for explanations without a reading (E103): where reading stopped, the words
the grammar expected there, and the nearest phrasing it knows."""

from __future__ import annotations

import difflib
import re

from lark.exceptions import UnexpectedInput, UnexpectedToken

from explicate import ir
from explicate.errors import Diagnostic
from explicate.grammar.explanation.lexicon import WORD_CLASSES, Context, Symbol
from explicate.grammar.explanation.parser import full_error, parser, render

# Phrasings the grammar knows, as templates over the task's own names: {A} and {B} are its first
# two mentions, {T} its text field, {W} a quoted word of the user's sentence, {L} a word list, {N}
# a label. A template is offered only when the task has what it names.
TEMPLATES = (
    'label {N} because {W} is between {A} and {B}',
    '{W} is within 3 words to the left of {B}',
    '{W} occurs immediately before {A}',
    '{A} is immediately followed by {W}',
    '{A} precedes {B}',
    '{A} and {B} are more than 20 words apart',
    '{A} and {B} have the same last word',
    '{T} contains {W}',
    '{T} contains {W} but not "other"',
    'there are no {L} words in {T}',
    '{W} does not occur between {A} and {B}',
    '{A} is upper case',
    '{A} starts with {W}',
    '{A} contains {W}',
    '{A} is the same as {B}',
    'the number of words between {A} and {B} is less than 5',
    '{W} is after {A}',
    '{W} is within 2 words of {A}',
    '{T} has a word starting with {W}',
)
# The Spouse phrasings, for callers without a task context.
EXAMPLES = tuple(t.format(A="X", B="Y", T="the sentence", W='"wife"', L="spouse", N="LABEL")
                 for t in TEMPLATES)


def task_phrasings(ctx: Context, text: str = "") -> list[str]:
    """The known phrasings, in the task's own names (and the sentence's own quoted word)."""
    quoted = re.findall(r"[\"“‘']([^\"”’']+)[\"”’']", text)
    names = {
        "A": next(iter(ctx.spans), None),
        "B": list(ctx.spans)[1] if len(ctx.spans) > 1 else None,
        "T": f"the {ctx.default_text}" if ctx.default_text else None,
        "W": f'"{quoted[0]}"' if quoted else '"word"',
        "L": next(iter(ctx.word_lists), None),
        "N": ctx.labels[-1] if ctx.labels else None,
    }
    out = []
    for t in TEMPLATES:
        needed = set(re.findall(r"\{(\w)\}", t))
        if all(names[k] is not None for k in needed):
            out.append(t.format(**{k: v or "" for k, v in names.items()}))
    return out


def diagnose(source: ir.Source, symbols: list[Symbol], exc: UnexpectedInput | None,
             ctx: Context | None = None) -> Diagnostic:
    """E103 at the first symbol the grammar could not read, with what it expected there and
    the nearest phrasing it knows in the task's own names."""
    text = source.text
    exc = full_error(exc) if exc is not None else None
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
    hints.append(f"nearest phrasing explicate knows: {nearest_phrasing(text, ctx)}")
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


def nearest_phrasing(text: str, ctx: Context | None = None) -> str:
    """The known phrasing most similar to ``text``, in the task's own names when ``ctx`` has
    any (else in Spouse's)."""
    options = task_phrasings(ctx, text) if ctx is not None else []
    options = options or list(EXAMPLES)
    norm = text.lower()
    return max(options, key=lambda e: difflib.SequenceMatcher(None, norm, e.lower()).ratio())
