"""Text primitives: one class each, with phrasing, type rule, vectorized kernel and reference.

Data layout (built by ``explicate.runtime.features``): each text field is tokenized once into flat
arrays over all rows (token hash ids, lowercase ids, per-row offsets, the row of each token); a
mention (span field) is a token range ``[start, end)`` inside its text field's row. Kernels are
whole-column numpy operations; ``reference`` methods evaluate one example in plain Python and are the
executable definition the kernels are tested against.

Shared definitions:
- a word or phrase *occurs* at token ``i`` when the next ``len(phrase)`` tokens equal the phrase's
  tokens (tokenized by the same tokenizer), compared lowercased unless written ``case "..."``; an
  empty phrase occurs nowhere;
- the *gap* between two token ranges is the number of tokens strictly between them;
- a mention is the first occurrence of its string in its text (or the given character offsets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow.compute as pc

from explicate import ir
from explicate.primitives.columns import Batch, Occurrences, Row, SpanColumn, TextColumn
from explicate.primitives.registry import Alt, CheckEnv, alt, primitive

# --- shared kernels ---------------------------------------------------------------------------------


def find_phrase(col: TextColumn, ids: np.ndarray, case_sensitive: bool) -> Occurrences:
    """Global start/end positions of every occurrence of the token-id sequence ``ids``."""
    k = len(ids)
    tokens = col.orth if case_sensitive else col.lower
    total = len(tokens)
    if k == 0 or total < k:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    hit = tokens[: total - k + 1] == ids[0]
    for j in range(1, k):
        hit &= tokens[j : total - k + 1 + j] == ids[j]
    if k > 1:
        # An occurrence must not run across the end of its row.
        hit &= col.doc_of[: total - k + 1] == col.doc_of[k - 1 :]
    starts = np.flatnonzero(hit).astype(np.int64)
    return starts, starts + k


def merge_occurrences(parts: Sequence[Occurrences]) -> Occurrences:
    """Union of occurrence lists, sorted by start then end, without repeats."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if len(parts) == 1:
        return parts[0]
    starts = np.concatenate([p[0] for p in parts])
    ends = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = (starts[1:] != starts[:-1]) | (ends[1:] != ends[:-1])
    return starts[keep], ends[keep]


def rows_with(n: int, rows: np.ndarray) -> np.ndarray:
    """A bool[n] mask that is true at the given row indices."""
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def _local(col: TextColumn, occ: Occurrences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, local start, local end) of each occurrence."""
    starts, ends = occ
    rows = col.doc_of[starts]
    base = col.offsets[rows]
    return rows, starts - base, ends - base


def _ordered(a: SpanColumn, b: SpanColumn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(first start, first end, second start, second end) of two mentions, ordered by start."""
    a_first = a.start <= b.start
    return (
        np.where(a_first, a.start, b.start),
        np.where(a_first, a.end, b.end),
        np.where(a_first, b.start, a.start),
        np.where(a_first, b.end, a.end),
    )


# --- shared reference helpers --------------------------------------------------------------------


def ref_occurrences(tokens: list[str], words: ir.Expr, row: Row) -> list[tuple[int, int]]:
    """Every (start, end) token range where one of ``words`` occurs, sorted, without repeats."""
    found: set[tuple[int, int]] = set()
    for phrase in ir.phrases(words):
        target = row.phrase_tokens(phrase)
        k = len(target)
        if k == 0:
            continue
        if not phrase.case_sensitive:
            target = [t.lower() for t in target]
        for i in range(len(tokens) - k + 1):
            window = tokens[i : i + k]
            if not phrase.case_sensitive:
                window = [t.lower() for t in window]
            if window == target:
                found.add((i, i + k))
    return sorted(found)


def _field_name(expr: ir.Expr) -> str:
    assert isinstance(expr, ir.Field), expr
    return expr.name



def _inside_pair(n: int, a: SpanColumn, b: SpanColumn, rows: np.ndarray, start: np.ndarray,
                 end: np.ndarray) -> np.ndarray:
    """bool[n]: rows where some token range ``[start, end)`` (of row ``rows``) lies between the
    two mentions, and both mentions were found."""
    _, lo, hi, _ = _ordered(a, b)
    ok = (start >= lo[rows]) & (end <= hi[rows])
    return rows_with(n, rows[ok]) & a.found & b.found

def _ref_ordered(
    a: tuple[str, int, int], b: tuple[str, int, int]
) -> tuple[int, int, int, int]:
    first, second = (a, b) if a[1] <= b[1] else (b, a)
    return first[1], first[2], second[1], second[2]


# --- predicates over one text ----------------------------------------------------------------------


class _TextPredicate(ir.Primitive):
    """A condition on one text (or mention) field and some words."""

    __slots__ = ()
    rule: ClassVar[str] = "predicate"
    text: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, f"the text that '{_keyword(self)}' looks in")
        return ir.Type.BOOL


def _keyword(node: ir.Expr) -> str:
    syntax: tuple[Any, ...] = getattr(node, "syntax", ())
    first = syntax[0]
    template = first.template if isinstance(first, Alt) else first
    words = [p for p in template.split() if not p.startswith("{")]
    return " ".join(words)


@primitive
@dataclass(frozen=True, slots=True)
class Contains(_TextPredicate):
    """True where ``words`` (a word, a phrase, or any of a list) occurs in ``text``.

    >>> # lf job: title contains "job" -> EMPLOYMENT
    """

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} contains {words:words}",)
    text: ir.Expr
    words: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        col = batch.text(name)
        starts, _ = batch.occurrences(name, self.words)
        return rows_with(batch.n, col.doc_of[starts])

    def reference(self, row: Row) -> bool:
        return bool(ref_occurrences(row.tokens(_field_name(self.text)), self.words, row))


@primitive
@dataclass(frozen=True, slots=True)
class StartsWith(_TextPredicate):
    """True where ``text``'s first tokens are ``words`` (one of them, for a list)."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} starts with {words:words}",)
    text: ir.Expr
    words: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        col = batch.text(name)
        starts, _ = batch.occurrences(name, self.words)
        rows = col.doc_of[starts]
        return rows_with(batch.n, rows[starts == col.offsets[rows]])

    def reference(self, row: Row) -> bool:
        occ = ref_occurrences(row.tokens(_field_name(self.text)), self.words, row)
        return any(s == 0 for s, _ in occ)


@primitive
@dataclass(frozen=True, slots=True)
class EndsWith(_TextPredicate):
    """True where ``text``'s last tokens are ``words`` (one of them, for a list)."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} ends with {words:words}",)
    text: ir.Expr
    words: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        col = batch.text(name)
        starts, ends = batch.occurrences(name, self.words)
        rows = col.doc_of[starts]
        return rows_with(batch.n, rows[ends == col.offsets[rows + 1]])

    def reference(self, row: Row) -> bool:
        tokens = row.tokens(_field_name(self.text))
        return any(e == len(tokens) for _, e in ref_occurrences(tokens, self.words, row))


_RE_FLAGS = {"i": "(?i)", "s": "(?s)", "m": "(?m)"}


def regex_flags_prefix(flags: str) -> str:
    """Inline-flag prefix for a regex's flags (the same in RE2 and Python's ``re``)."""
    return "".join(_RE_FLAGS[f] for f in flags)


@primitive
@dataclass(frozen=True, slots=True)
class Matches(_TextPredicate):
    """True where the regular expression matches somewhere in ``text``'s raw characters.

    Dialect: RE2 (as in Google RE2 and Apache Arrow): no backreferences or lookaround; ``\\w``,
    ``\\d`` and ``\\b`` are ASCII-only. Flags after the closing slash: ``i``, ``s``, ``m``.
    """

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} matches {regex:REGEX}",)
    text: ir.Expr
    regex: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        assert isinstance(self.regex, ir.Regex)
        col = batch.text(_field_name(self.text))
        pattern = regex_flags_prefix(self.regex.flags) + self.regex.pattern
        hits = pc.match_substring_regex(col.arrow, pattern)
        return np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)

    def reference(self, row: Row) -> bool:
        assert isinstance(self.regex, ir.Regex)
        pattern = regex_flags_prefix(self.regex.flags) + self.regex.pattern
        # Python's re with ASCII classes is the reference for the RE2 subset we document.
        return re.search(pattern, row.string(_field_name(self.text)), re.ASCII) is not None


@primitive
@dataclass(frozen=True, slots=True)
class FollowedBy(ir.Primitive):
    """True where ``first`` occurs in ``text`` and ``second`` starts after it ends, with at most
    ``within`` tokens in between (any number when ``within`` is not given)."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = (
        "{first:words} followed by {second:words} within {within:INT} words in {text:value}",
        "{first:words} followed by {second:words} in {text:value}",
    )
    first: ir.Expr
    second: ir.Expr
    text: ir.Expr
    within: int | None = None

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, "the text that 'followed by' looks in")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        col = batch.text(name)
        _, a_ends = batch.occurrences(name, self.first)
        b_starts, _ = batch.occurrences(name, self.second)
        if not len(a_ends) or not len(b_starts):
            return np.zeros(batch.n, dtype=bool)
        # For each occurrence of `second`, the nearest end of `first` at or before its start.
        a_sorted = np.sort(a_ends)
        idx = np.searchsorted(a_sorted, b_starts, side="right") - 1
        ok = idx >= 0
        nearest = a_sorted[np.maximum(idx, 0)]
        rows = col.doc_of[b_starts]
        ok &= nearest > col.offsets[rows]  # that occurrence lies in the same row
        if self.within is not None:
            ok &= b_starts - nearest <= self.within
        return rows_with(batch.n, rows[ok])

    def reference(self, row: Row) -> bool:
        tokens = row.tokens(_field_name(self.text))
        a = ref_occurrences(tokens, self.first, row)
        b = ref_occurrences(tokens, self.second, row)
        return any(
            sb >= ea and (self.within is None or sb - ea <= self.within)
            for _, ea in a
            for sb, _ in b
        )


@primitive
@dataclass(frozen=True, slots=True)
class Equals(_TextPredicate):
    """True where ``text`` consists of exactly ``words`` (one of them, for a list): every token
    of the field, and nothing else."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} is {words:words}",)
    text: ir.Expr
    words: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        col = batch.text(name)
        starts, ends = batch.occurrences(name, self.words)
        rows = col.doc_of[starts] if len(starts) else np.zeros(0, dtype=np.int64)
        whole = (starts == col.offsets[rows]) & (ends == col.offsets[rows + 1])
        return rows_with(batch.n, rows[whole])

    def reference(self, row: Row) -> bool:
        tokens = row.tokens(_field_name(self.text))
        return any(s == 0 and e == len(tokens) for s, e in ref_occurrences(tokens, self.words, row))


@primitive
@dataclass(frozen=True, slots=True)
class SameText(ir.Primitive):
    """True where two texts (or mentions) have the same tokens, ignoring case."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = ("{left:value} same as {right:value}",)
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.left, ir.Type.TEXT, "a text compared by 'same as'")
        env.expect(self.right, ir.Type.TEXT, "a text compared by 'same as'")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.text(_field_name(self.left)), batch.text(_field_name(self.right))
        same = np.diff(a.offsets) == np.diff(b.offsets)
        # Rows of equal length line their tokens up one to one; any differing token rules a row out.
        ta, tb = same[a.doc_of], same[b.doc_of]
        differs = a.doc_of[ta][a.lower[ta] != b.lower[tb]]
        same[differs] = False
        return same

    def reference(self, row: Row) -> bool:
        a = [t.lower() for t in row.tokens(_field_name(self.left))]
        b = [t.lower() for t in row.tokens(_field_name(self.right))]
        return a == b


@primitive
@dataclass(frozen=True, slots=True)
class Truth(ir.Primitive):
    """A constant condition: true on every example, or on none."""

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = (alt("true", value=True), alt("false", value=False))
    value: bool

    def check(self, env: CheckEnv) -> ir.Type:
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        return np.full(batch.n, self.value, dtype=bool)

    def reference(self, row: Row) -> bool:
        return self.value


def _two_mentions(env: CheckEnv, left: ir.Expr, right: ir.Expr, word: str) -> None:
    """The type rule shared by relations between two mentions of one text."""
    env.expect(left, ir.Type.SPAN, f"a mention that '{word}' relates")
    env.expect(right, ir.Type.SPAN, f"a mention that '{word}' relates")
    env.same_text(left, right, f"'{word}' needs two mentions of the same text")


# --- predicates over mentions ----------------------------------------------------------------------


class _MentionPredicate(ir.Primitive):
    __slots__ = ()
    rule: ClassVar[str] = "predicate"


@primitive
@dataclass(frozen=True, slots=True)
class Between(_MentionPredicate):
    """True where ``words`` occurs entirely between two mentions of the same text (in either
    order)."""

    syntax: ClassVar[tuple[Any, ...]] = ("{words:words} between {left:value} and {right:value}",)
    words: ir.Expr
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "between")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        col = batch.text(a.text)
        rows, s, e = _local(col, batch.occurrences(a.text, self.words))
        return _inside_pair(batch.n, a, b, rows, s, e)

    def reference(self, row: Row) -> bool:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        if a is None or b is None:
            return False
        _, lo, hi, _ = _ref_ordered(a, b)
        occ = ref_occurrences(row.tokens(a[0]), self.words, row)
        return any(s >= lo and e <= hi for s, e in occ)


@primitive
@dataclass(frozen=True, slots=True)
class Near(_MentionPredicate):
    """True where ``words`` occurs on ``side`` of a mention (``left``, ``right`` or ``any``) with at
    most ``within`` tokens between them (any number when ``within`` is not given)."""

    syntax: ClassVar[tuple[Any, ...]] = (
        alt("{words:words} within {within:INT} words left of {target:value}", side="left"),
        alt("{words:words} within {within:INT} words right of {target:value}", side="right"),
        alt("{words:words} within {within:INT} words of {target:value}", side="any"),
        alt("{words:words} left of {target:value}", side="left"),
        alt("{words:words} right of {target:value}", side="right"),
        alt("{words:words} before {target:value}", side="left"),
        alt("{words:words} after {target:value}", side="right"),
    )
    words: ir.Expr
    target: ir.Expr
    side: str = "any"
    within: int | None = None

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.target, ir.Type.SPAN, "the mention that the words must be near")
        if self.side == "any" and self.within is None:
            env.error("E301", "'of' needs a distance: 'within N words of'", self)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        m = batch.span(_field_name(self.target))
        col = batch.text(m.text)
        rows, s, e = _local(col, batch.occurrences(m.text, self.words))
        ts, te = m.start[rows], m.end[rows]
        limit = np.iinfo(np.int64).max if self.within is None else self.within
        left = (e <= ts) & (ts - e <= limit)
        right = (s >= te) & (s - te <= limit)
        ok = left if self.side == "left" else right if self.side == "right" else left | right
        return rows_with(batch.n, rows[ok]) & m.found

    def reference(self, row: Row) -> bool:
        m = row.mention(_field_name(self.target))
        if m is None:
            return False
        text, ts, te = m
        for s, e in ref_occurrences(row.tokens(text), self.words, row):
            left = e <= ts and (self.within is None or ts - e <= self.within)
            right = s >= te and (self.within is None or s - te <= self.within)
            if (self.side in ("left", "any") and left) or (self.side in ("right", "any") and right):
                return True
        return False


@primitive
@dataclass(frozen=True, slots=True)
class MentionsWithin(_MentionPredicate):
    """True where two mentions of the same text have at most ``within`` tokens between them."""

    syntax: ClassVar[tuple[Any, ...]] = ("{left:value} and {right:value} within {within:INT} words",)
    left: ir.Expr
    right: ir.Expr
    within: int

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "within")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        _, first_end, second_start, _ = _ordered(a, b)
        gap = np.maximum(second_start - first_end, 0)
        return (gap <= self.within) & a.found & b.found

    def reference(self, row: Row) -> bool:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        if a is None or b is None:
            return False
        _, first_end, second_start, _ = _ref_ordered(a, b)
        return max(second_start - first_end, 0) <= self.within


@primitive
@dataclass(frozen=True, slots=True)
class Precedes(_MentionPredicate):
    """True where mention ``left`` ends before mention ``right`` starts (same text)."""

    syntax: ClassVar[tuple[Any, ...]] = ("{left:value} before {right:value}",)
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "before")
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        return (a.end <= b.start) & a.found & b.found

    def reference(self, row: Row) -> bool:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        return a is not None and b is not None and a[2] <= b[1]


# --- letter case -----------------------------------------------------------------------------------


class _CasePredicate(_TextPredicate):
    __slots__ = ()

    def kernel(self, batch: Batch) -> np.ndarray:
        return np.asarray(self.vector(batch.text(_field_name(self.text)).strings), dtype=bool)

    def reference(self, row: Row) -> bool:
        return self.scalar(row.string(_field_name(self.text)))

    def vector(self, strings: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def scalar(self, s: str) -> bool:
        raise NotImplementedError


@primitive
@dataclass(frozen=True, slots=True)
class IsCapitalized(_CasePredicate):
    """True where the text's first character is an upper-case letter."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} is capitalized",)
    text: ir.Expr

    def vector(self, strings: np.ndarray) -> np.ndarray:
        return np.strings.isupper(np.strings.slice(strings, 0, 1))

    def scalar(self, s: str) -> bool:
        return s[:1].isupper()


@primitive
@dataclass(frozen=True, slots=True)
class IsUpper(_CasePredicate):
    """True where the text has a cased letter and all its cased letters are upper case."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} is upper", "{text:value} is uppercase")
    text: ir.Expr

    def vector(self, strings: np.ndarray) -> np.ndarray:
        return np.strings.isupper(strings)

    def scalar(self, s: str) -> bool:
        return s.isupper()


@primitive
@dataclass(frozen=True, slots=True)
class IsLower(_CasePredicate):
    """True where the text has a cased letter and all its cased letters are lower case."""

    syntax: ClassVar[tuple[Any, ...]] = ("{text:value} is lower", "{text:value} is lowercase")
    text: ir.Expr

    def vector(self, strings: np.ndarray) -> np.ndarray:
        return np.strings.islower(strings)

    def scalar(self, s: str) -> bool:
        return s.islower()


# --- numbers from text -----------------------------------------------------------------------------


class _TextNumber(ir.Primitive):
    __slots__ = ()
    rule: ClassVar[str] = "value"
    text: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        env.expect(self.text, ir.Type.TEXT, f"the text that '{_keyword(self)}' counts")
        return ir.Type.NUM


@primitive
@dataclass(frozen=True, slots=True)
class Count(_TextNumber):
    """The number of tokens in ``text``."""

    syntax: ClassVar[tuple[Any, ...]] = ("count ( {text:value} )",)
    text: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        return np.diff(batch.text(_field_name(self.text)).offsets).astype(np.float64)

    def reference(self, row: Row) -> float:
        return float(len(row.tokens(_field_name(self.text))))


@primitive
@dataclass(frozen=True, slots=True)
class Chars(_TextNumber):
    """The number of characters in ``text``."""

    syntax: ClassVar[tuple[Any, ...]] = ("chars ( {text:value} )",)
    text: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        return np.strings.str_len(batch.text(_field_name(self.text)).strings).astype(np.float64)

    def reference(self, row: Row) -> float:
        return float(len(row.string(_field_name(self.text))))


@primitive
@dataclass(frozen=True, slots=True)
class CountOf(_TextNumber):
    """The number of token positions in ``text`` where one of ``words`` starts."""

    syntax: ClassVar[tuple[Any, ...]] = ("count ( {words:words} in {text:value} )",)
    words: ir.Expr
    text: ir.Expr

    def kernel(self, batch: Batch) -> np.ndarray:
        name = _field_name(self.text)
        starts, _ = batch.occurrences(name, self.words)
        rows = batch.text(name).doc_of[np.unique(starts)]
        return np.bincount(rows, minlength=batch.n).astype(np.float64)

    def reference(self, row: Row) -> float:
        occ = ref_occurrences(row.tokens(_field_name(self.text)), self.words, row)
        return float(len({s for s, _ in occ}))


@primitive
@dataclass(frozen=True, slots=True)
class Distance(ir.Primitive):
    """The number of tokens between two mentions of the same text (0 when they touch or
    overlap)."""

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = ("distance ( {left:value} , {right:value} )",)
    left: ir.Expr
    right: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        _two_mentions(env, self.left, self.right, "distance")
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        a, b = batch.span(_field_name(self.left)), batch.span(_field_name(self.right))
        _, first_end, second_start, _ = _ordered(a, b)
        gap = np.maximum(second_start - first_end, 0).astype(np.float64)
        return np.where(a.found & b.found, gap, np.nan)

    def reference(self, row: Row) -> float:
        a, b = row.mention(_field_name(self.left)), row.mention(_field_name(self.right))
        if a is None or b is None:
            return math.nan
        _, first_end, second_start, _ = _ref_ordered(a, b)
        return float(max(second_start - first_end, 0))
