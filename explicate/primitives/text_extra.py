"""Text primitives that English explanations need beyond the core set: name parts, overlapping
mentions, distances in characters and words by their beginning.

Same conventions as ``primitives.text``: a mention is a token range of its text; words compare
lowercased unless written ``case "..."``; a kernel is whole-column numpy, ``reference`` the plain
definition it is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from explicate import ir
from explicate.primitives.registry import CheckEnv, alt, primitive
from explicate.primitives.text import Batch, Row, TextColumn, _field_name, _ordered, _two_mentions


def _edge_tokens(col: TextColumn, which: str) -> tuple[np.ndarray, np.ndarray]:
    """(global index of each row's first or last token, whether the row has a token)."""
    has = np.diff(col.offsets) > 0
    idx = col.offsets[:-1] if which == "first" else col.offsets[1:] - 1
    return np.where(has, idx, 0), has


@primitive
@dataclass(frozen=True, slots=True)
class SameWord(ir.Primitive):
    """True where the ``which`` (first or last) token of two texts or mentions is the same word,
    ignoring case ("they have the same surname": the same last word)."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = (
        alt("{left:value} same last word as {right:value}", which="last"),
        alt("{left:value} same first word as {right:value}", which="first"),
    )
    left: ir.Expr
    right: ir.Expr
    which: str = "last"

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.left, ir.Type.TEXT, f"a text whose {self.which} word is compared")
        env.expect(self.right, ir.Type.TEXT, f"a text whose {self.which} word is compared")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.text(_field_name(self.left)), batch.text(_field_name(self.right))
        ia, ha = _edge_tokens(a, self.which)
        ib, hb = _edge_tokens(b, self.which)
        if len(a.lower) == 0 or len(b.lower) == 0:
            return np.zeros(batch.n, dtype=bool)
        return ha & hb & (a.lower[np.minimum(ia, len(a.lower) - 1)]
                          == b.lower[np.minimum(ib, len(b.lower) - 1)])

    def reference(self, row: Row) -> bool:
        a, b = row.tokens(_field_name(self.left)), row.tokens(_field_name(self.right))
        if not a or not b:
            return False
        k = 0 if self.which == "first" else -1
        return a[k].lower() == b[k].lower()


@primitive
@dataclass(frozen=True, slots=True)
class Overlaps(ir.Primitive):
    """True where two mentions of the same text share a token ("they are the same person")."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = ("{left:value} overlaps {right:value}",)
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "overlaps")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        return (a.start < b.end) & (b.start < a.end) & a.found & b.found

    def reference(self, row: Row) -> bool:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        return a is not None and b is not None and a[1] < b[2] and b[1] < a[2]


def token_chars(tokens: list[str], text: str) -> list[tuple[int, int]]:
    """Character range of each token in ``text`` (tokens are verbatim, in order)."""
    out = []
    at = 0
    for t in tokens:
        start = text.find(t, at)
        if start < 0:  # not verbatim (should not happen): place it where the last one ended
            start = at
        out.append((start, start + len(t)))
        at = start + len(t)
    return out


@primitive
@dataclass(frozen=True, slots=True)
class CharDistance(ir.Primitive):
    """The number of characters between two mentions of the same text, from the end of the
    first one's last token to the start of the second one's first token (0 when they touch or
    overlap)."""

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = ("chars between ( {left:value} , {right:value} )",)
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "chars between")
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        col = batch.text(a.text)
        found = a.found & b.found
        _, first_end, second_start, _ = _ordered(a, b)
        base = col.offsets[:-1]
        last = len(col.char_end) - 1
        if last < 0:
            return np.full(batch.n, np.nan)
        end_char = col.char_end[np.clip(base + first_end - 1, 0, last)]
        start_char = col.char_start[np.clip(base + second_start, 0, last)]
        gap = np.where(second_start >= first_end, np.maximum(start_char - end_char, 0), 0)
        return np.where(found, gap.astype(np.float64), np.nan)

    def reference(self, row: Row) -> float:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        if a is None or b is None:
            return math.nan
        first, second = (a, b) if a[1] <= b[1] else (b, a)
        if second[1] < first[2]:
            return 0.0
        chars = token_chars(row.tokens(a[0]), row.string(a[0]))
        return float(max(chars[second[1]][0] - chars[first[2] - 1][1], 0))


@primitive
@dataclass(frozen=True, slots=True)
class WordStarts(ir.Primitive):
    """True where some token of ``text`` begins with one of ``words`` ("a word starting with
    'improv'"); a phrase is compared as written, lowercased unless ``case "..."``."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} has word starting with {words:words}",)
    text: ir.Expr
    words: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, "the text whose words 'starting with' looks at")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        col = batch.text(_field_name(self.text))
        hit = np.zeros(len(col.doc_of), dtype=bool)
        if len(col.doc_of):
            tokens = np.strings.slice(col.strings[col.doc_of], col.char_start, col.char_end)
            lower = np.strings.lower(tokens)
            for p in ir.phrases(self.words):
                if p.text:
                    hit |= np.strings.startswith(tokens if p.case_sensitive else lower,
                                                 p.text if p.case_sensitive else p.text.lower())
        return np.bincount(col.doc_of[hit], minlength=batch.n) > 0

    def reference(self, row: Row) -> bool:
        tokens = row.tokens(_field_name(self.text))
        for p in ir.phrases(self.words):
            if not p.text:
                continue
            for t in tokens:
                if (t.startswith(p.text) if p.case_sensitive else
                        t.lower().startswith(p.text.lower())):
                    return True
        return False
