"""Phrase matching over one flat token array, linear in the phrases and the tokens.

``find_phrases`` locates any number of phrases (token-id sequences) in one pass per phrase
length: one-token phrases by a sorted lookup of every token (``np.isin``), longer ones by a
rolling 64-bit key of each window of that length looked up among the phrases' keys, each hit then
checked token by token (so a key collision can never make a false match; phrases whose keys
collide with each other are matched one at a time). ``PhraseIndex`` serves many separate one-phrase
queries on the same column (an ``and`` of thousands of ``contains``): the token positions grouped
by id once, then one bucket looked at per query.

Occurrences are global token ``(starts, ends)`` sorted by start then end without repeats, as
``primitives.text.find_phrase`` gives for one phrase; an occurrence never runs across two rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explicate.primitives.columns import Occurrences

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio) for the rolling key


def _empty() -> Occurrences:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty


def _sorted_unique(starts: np.ndarray, ends: np.ndarray) -> Occurrences:
    if len(starts) == 0:
        return _empty()
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = (starts[1:] != starts[:-1]) | (ends[1:] != ends[:-1])
    return starts[keep], ends[keep]


def _keys(rows: np.ndarray) -> np.ndarray:
    """A 64-bit key per row of a uint64[p, k] matrix (wrapping arithmetic)."""
    key = rows[:, 0].copy()
    for j in range(1, rows.shape[1]):
        key *= _MIX
        key ^= rows[:, j]
    return key


def _window_keys(tokens: np.ndarray, k: int) -> np.ndarray:
    """The key of every window of ``k`` tokens (same mixing as ``_keys``)."""
    width = len(tokens) - k + 1
    key = tokens[:width].copy()
    for j in range(1, k):
        key *= _MIX
        key ^= tokens[j : j + width]
    return key


def _same_row(doc_of: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    return doc_of[starts] == doc_of[starts + k - 1]


def _find_length(tokens: np.ndarray, doc_of: np.ndarray, rows: np.ndarray,
                 at: np.ndarray | None = None) -> np.ndarray:
    """Start positions of every occurrence of any of the distinct ``k``-token phrases ``rows``
    (only among the sorted positions ``at`` when given)."""
    k = rows.shape[1]
    if len(tokens) < k:
        return np.zeros(0, dtype=np.int64)
    if at is not None:
        at = at[at <= len(tokens) - k]

    def window(j: int) -> np.ndarray:  # token j of each window considered
        return tokens[j : j + len(tokens) - k + 1] if at is None else tokens[at + j]

    def positions(i: np.ndarray) -> np.ndarray:  # window indices -> token positions
        return i if at is None else at[i]

    if k == 1:
        return positions(np.flatnonzero(np.isin(window(0), rows[:, 0]))).astype(np.int64)
    with np.errstate(over="ignore"):
        keys = _keys(rows)
        windows = _window_keys(tokens, k) if at is None else _keys(
            np.stack([window(j) for j in range(k)], axis=1))
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    unique_key = np.ones(len(keys), dtype=bool)
    unique_key[1:] = sorted_keys[1:] != sorted_keys[:-1]
    unique_key[:-1] &= sorted_keys[:-1] != sorted_keys[1:]
    found: list[np.ndarray] = []
    # Phrases sharing a key with another phrase (a 64-bit collision): one at a time.
    for p in order[~unique_key]:
        hit = windows == keys[p]
        for j in range(k):
            hit &= window(j) == rows[p, j]
        found.append(positions(np.flatnonzero(hit)))
    lookup, phrase_of = sorted_keys[unique_key], order[unique_key]
    if len(lookup):
        where = np.searchsorted(lookup, windows)
        where[where == len(lookup)] = 0
        hits = np.flatnonzero(lookup[where] == windows)
        which = phrase_of[where[hits]]
        starts = positions(hits)
        ok = np.ones(len(starts), dtype=bool)
        for j in range(k):  # the key matched: check the tokens themselves
            ok &= tokens[starts + j] == rows[which, j]
        found.append(starts[ok])
    if not found:
        return np.zeros(0, dtype=np.int64)
    # Distinct phrases of one length never start at the same token: sorting is all it takes.
    starts = np.sort(np.concatenate(found)) if len(found) > 1 else found[0]
    starts = starts.astype(np.int64)
    return starts[_same_row(doc_of, starts, k)]


def find_phrases(tokens: np.ndarray, doc_of: np.ndarray, single: np.ndarray,
                 longer: Sequence[np.ndarray] = (), at: np.ndarray | None = None
                 ) -> Occurrences:
    """Every occurrence of any of the phrases in ``tokens``: the one-token phrases ``single``
    (uint64 ids) and the ``longer`` ones (uint64 token-id arrays; empty ones never occur).
    ``at``: sorted positions holding every occurrence's first token (``PhraseIndex.starts_of``);
    only those are looked at."""
    by_length: dict[int, list[np.ndarray]] = {}
    for ids in longer:
        if len(ids):
            by_length.setdefault(len(ids), []).append(ids)
    all_starts, all_ends = [], []
    if len(single):
        starts = _find_length(tokens, doc_of, np.asarray(single, np.uint64)[:, None], at)
        all_starts.append(starts)
        all_ends.append(starts + 1)
    for k, group in by_length.items():
        rows = np.unique(np.stack(group).astype(np.uint64), axis=0)
        starts = _find_length(tokens, doc_of, rows, at)
        all_starts.append(starts)
        all_ends.append(starts + k)
    if not all_starts:
        return _empty()
    if len(all_starts) == 1:
        return all_starts[0], all_ends[0]  # one length: sorted, no repeats already
    return _sorted_unique(np.concatenate(all_starts), np.concatenate(all_ends))


BUCKET_BITS = 16
"""``PhraseIndex`` buckets token positions by the low bits of the token id (ids are hashes)."""


class PhraseIndex:
    """The token positions of one column grouped by token id, for many separate queries.

    Grouped by the id's low ``BUCKET_BITS`` bits, not sorted by the whole id: a stable sort of
    16-bit keys is a radix sort (measured 5 ms against 23 ms for the 64-bit ids, 425k tokens),
    and a query checks its bucket's few other ids away.

    With ``firsts`` (the first token ids of the phrases a program looks for) only the
    positions in those ids' buckets are kept: every position of a kept bucket, so a query whose
    first id is in one (``covers``) finds what the whole index would. Measured (454k tokens, the
    73 SMS rules' ~400 phrases): built in ~3 ms instead of ~20 ms (the radix sort of every
    position), and a word list is matched at its candidates (``starts_of``) instead of by a
    sorted lookup of every token (``np.isin``, ~7 ms a list)."""

    def __init__(self, tokens: np.ndarray, doc_of: np.ndarray, firsts: np.ndarray | None = None):
        self.tokens = tokens
        self.doc_of = doc_of
        mask = (1 << BUCKET_BITS) - 1
        bucket = (tokens & np.uint64(mask)).astype(np.uint16)
        self.kept: np.ndarray | None = None  # bool per bucket (None: every bucket)
        if firsts is not None:
            self.kept = np.zeros(mask + 1, dtype=bool)
            self.kept[(np.asarray(firsts, np.uint64) & np.uint64(mask)).astype(np.intp)] = True
            self.at = np.flatnonzero(self.kept[bucket])  # kept positions, in position order
            bucket = self.at_bucket = bucket[self.at]
        self.order = np.argsort(bucket, kind="stable")  # ties keep position order
        if firsts is not None:
            self.order = self.at[self.order]
        self.bounds = np.zeros(mask + 2, dtype=np.int64)
        np.cumsum(np.bincount(bucket, minlength=mask + 1), out=self.bounds[1:])

    @property
    def size(self) -> int:
        """The positions kept."""
        return len(self.order)

    def covers(self, firsts: np.ndarray) -> bool:
        """Whether every phrase starting with one of the ids ``firsts`` is found here."""
        if self.kept is None:
            return True
        if len(firsts) == 1:  # most queries: no array made
            return bool(self.kept[int(firsts[0]) & ((1 << BUCKET_BITS) - 1)])
        mask = np.uint64((1 << BUCKET_BITS) - 1)
        return bool(self.kept[(np.asarray(firsts, np.uint64) & mask).astype(np.intp)].all())

    def starts_of(self, firsts: np.ndarray) -> np.ndarray:
        """Sorted positions holding every occurrence of the phrases whose first ids are
        ``firsts`` (all of them ``covers``ed; other ids of their buckets too)."""
        mask = (1 << BUCKET_BITS) - 1
        if self.kept is None:
            return np.arange(len(self.tokens), dtype=np.int64)
        want = np.zeros(mask + 1, dtype=bool)
        want[(np.asarray(firsts, np.uint64) & np.uint64(mask)).astype(np.intp)] = True
        return self.at[want[self.at_bucket]].astype(np.int64)

    def find(self, ids: np.ndarray) -> Occurrences:
        """Every occurrence of one phrase: the positions of its first token (its bucket, the
        other ids there dropped), then the rest checked there."""
        k = len(ids)
        if k == 0:
            return _empty()
        b = int(ids[0]) & ((1 << BUCKET_BITS) - 1)
        starts = self.order[self.bounds[b]:self.bounds[b + 1]].astype(np.int64)
        starts = starts[self.tokens[starts] == ids[0]]
        if k > 1:
            starts = starts[starts + k <= len(self.tokens)]
            ok = _same_row(self.doc_of, starts, k)
            for j in range(1, k):
                ok &= self.tokens[starts + j] == ids[j]
            starts = starts[ok]
        return starts, starts + k
