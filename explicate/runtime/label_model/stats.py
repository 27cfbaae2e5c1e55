"""Sufficient statistics of a label matrix: its unique vote patterns and how often each occurs.

A label matrix ``L`` (n x m, ``ABSTAIN = -1``, votes ``0..cardinality-1``) often repeats the same
row many times; a label model whose LFs are conditionally independent given the class needs only
the distinct rows and their counts. :class:`VoteStats` holds exactly that, can be built chunk by
chunk (``VoteStats.from_matrix(L_chunk, k)``) and added up (``a + b``), so a label matrix that
never sits in memory as a whole (or comes from several workers) still fits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from explicate.ir import ABSTAIN  # the vote of an LF that does not label a row

CHUNK_ROWS = 1 << 16
"""Rows handled at once when a pass streams over ``L`` (bounds the temporary memory)."""

# Odd 64-bit constants for the row hash (splitmix64 / golden ratio); any odd values would do.
_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT = np.uint64(31)


def _is_sparse(L: Any) -> bool:
    """True where ``L`` is a scipy sparse matrix or array (without importing scipy eagerly)."""
    return hasattr(L, "tocsr") and hasattr(L, "nnz")


def check_cardinality(cardinality: int) -> int:
    """Return ``cardinality`` as an int, or raise ValueError where int8 votes cannot hold it."""
    k = int(cardinality)
    if k < 2 or k > 127:
        raise ValueError(f"cardinality must be between 2 and 127 (int8 votes), got {cardinality}")
    return k


def _check_range(block: np.ndarray, k: int, row0: int) -> None:
    """Raise ValueError naming the first vote outside ``{-1, 0, .., k-1}`` in ``block``."""
    if block.size == 0:
        return
    lo, hi = int(block.min()), int(block.max())
    if lo >= ABSTAIN and hi < k:
        return
    bad = np.argwhere((block < ABSTAIN) | (block >= k))[0]
    value = int(block[bad[0], bad[1]])
    raise ValueError(
        f"label out of range: L[{row0 + int(bad[0])}, {int(bad[1])}] = {value}; "
        f"votes must be ABSTAIN (-1) or a class in 0..{k - 1} (cardinality={k})"
    )


def iter_chunks(L: Any, cardinality: int, chunk_rows: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Yield ``L`` as dense, C-contiguous int8 row blocks, checking that every vote is in range.

    ``L`` is a 2-D integer numpy array or a scipy sparse matrix. In a sparse ``L`` the stored
    entries are votes (an explicitly stored 0 is a vote for class 0) and the entries not stored
    are ``ABSTAIN``.
    """
    k = check_cardinality(cardinality)
    if _is_sparse(L):
        csr = L.tocsr()
        n, m = csr.shape
        indptr, indices, data = csr.indptr, csr.indices, csr.data
        integral = np.issubdtype(data.dtype, np.integer)
        if data.size and not integral and not np.all(np.equal(np.mod(data, 1), 0)):
            raise ValueError("sparse L holds non-integer votes")
        for s in range(0, n, chunk_rows):
            e = min(n, s + chunk_rows)
            lo, hi = indptr[s], indptr[e]
            vals = data[lo:hi]
            if vals.size and (vals.min() < ABSTAIN or vals.max() >= k):
                bad = int(np.flatnonzero((vals < ABSTAIN) | (vals >= k))[0])
                row = int(np.searchsorted(indptr, lo + bad, side="right") - 1)
                raise ValueError(
                    f"label out of range: L[{row}, {int(indices[lo + bad])}] = {vals[bad]}; "
                    f"votes must be ABSTAIN (-1) or a class in 0..{k - 1} (cardinality={k})"
                )
            block = np.full((e - s, m), ABSTAIN, dtype=np.int8)
            rows = np.repeat(np.arange(e - s), np.diff(indptr[s : e + 1]))
            block[rows, indices[lo:hi]] = vals.astype(np.int8)
            yield block
        return
    arr = np.asarray(L)
    if arr.ndim != 2:
        raise ValueError(f"L must be 2-D (n rows x m LFs), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError("L holds non-integer votes (NaN, inf or fractions)")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"L must hold integer votes, got dtype {arr.dtype}")
    for s in range(0, arr.shape[0], chunk_rows):
        raw = arr[s : s + chunk_rows]
        _check_range(raw, k, s)
        yield np.ascontiguousarray(raw, dtype=np.int8)


def shape_of(L: Any) -> tuple[int, int]:
    """``(n, m)`` of a dense or sparse label matrix."""
    shape = L.shape
    if len(shape) != 2:
        raise ValueError(f"L must be 2-D (n rows x m LFs), got shape {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def covered_mask(L: Any, cardinality: int = 127) -> np.ndarray:
    """Boolean ``[n]``: True where at least one LF votes on the row (the row is *covered*)."""
    out = [np.any(block != ABSTAIN, axis=1) for block in iter_chunks(L, cardinality)]
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _exact_key_fits(m: int, k: int) -> bool:
    """True where a row fits exactly in one int64 as a base-(k+1) number."""
    return m * np.log2(k + 1) < 62.5


def row_keys(block: np.ndarray, k: int, salt: int = 0) -> np.ndarray:
    """One int64 key per row of an int8 block: exact (base k+1) when it fits, else a 64-bit hash.

    Equal rows always get equal keys; distinct rows get distinct keys when the key is exact and
    almost surely otherwise (callers verify with a second, differently ``salt``-ed hash).
    """
    n, m = block.shape
    if _exact_key_fits(m, k) and salt == 0:
        key = np.zeros(n, dtype=np.int64)
        base = np.int64(k + 1)
        for j in range(m - 1, -1, -1):  # Horner: key = sum (v_j + 1) (k+1)^j
            key *= base
            key += block[:, j].astype(np.int64) + 1
        return key
    width = (m + 7) // 8 * 8
    padded = np.zeros((n, width), dtype=np.int8)
    padded[:, :m] = block
    words = padded.view(np.uint64)
    h = np.full(n, 0x243F6A8885A308D3 ^ (salt * 0x632BE59BD9B4E019), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(words.shape[1]):
            h ^= words[:, i]
            h *= _MIX1
            h ^= h >> _SHIFT
            h *= _MIX2
            h ^= h >> _SHIFT
    return h.view(np.int64)


def _unique_keys(
    keys: np.ndarray, *, key_space: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique keys, the inverse map (row -> unique index) and the counts.

    A small exact ``key_space`` is counted directly (bincount); otherwise one sort finds the
    groups and a binary search maps the rows (single-threaded numpy: steady under CPU load).
    """
    if key_space is not None and key_space <= max(1 << 22, 4 * keys.shape[0]):
        counts_all = np.bincount(keys, minlength=key_space)
        u = np.flatnonzero(counts_all)
        rank = np.zeros(key_space, dtype=np.int64)
        rank[u] = np.arange(u.shape[0])
        return u.astype(np.int64), rank[keys], counts_all[u].astype(np.int64)
    u, counts = _sorted_groups(keys)
    return u, np.searchsorted(u, keys), counts


def _sorted_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and their counts."""
    if keys.shape[0] == 0:
        return keys.copy(), np.zeros(0, dtype=np.int64)
    sk = np.sort(keys)
    starts = np.flatnonzero(np.concatenate([[True], sk[1:] != sk[:-1]]))
    counts = np.diff(np.append(starts, sk.shape[0])).astype(np.int64)
    return sk[starts], counts


def _key_space(m: int, k: int) -> int | None:
    """Number of possible exact keys, where rows are keyed exactly."""
    return (k + 1) ** m if _exact_key_fits(m, k) else None


def _keys(L: Any, k: int, chunk_rows: int = CHUNK_ROWS, salt: int = 0) -> np.ndarray:
    """int64 ``[n]``: :func:`row_keys` of every row of ``L``, computed chunk by chunk."""
    n, _ = shape_of(L)
    keys = np.empty(n, dtype=np.int64)
    s = 0
    for block in iter_chunks(L, k, chunk_rows):
        keys[s : s + block.shape[0]] = row_keys(block, k, salt)
        s += block.shape[0]
    return keys


def _representatives(inv: np.ndarray, p: int) -> np.ndarray:
    """One row index per group of ``inv`` (the last row of each group)."""
    rep = np.empty(p, dtype=np.int64)
    rep[inv] = np.arange(inv.shape[0])
    return rep


def _gather_rows(L: Any, k: int, rows: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """int8 ``L[rows]`` for a dense or sparse ``L`` (rows already range-checked by a pass)."""
    if isinstance(L, np.ndarray) and L.dtype == np.int8:
        return L[rows]
    out = np.empty((rows.shape[0], shape_of(L)[1]), dtype=np.int8)
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    s = 0
    for block in iter_chunks(L, k, chunk_rows):
        e = s + block.shape[0]
        lo, hi = np.searchsorted(sorted_rows, [s, e])
        out[order[lo:hi]] = block[sorted_rows[lo:hi] - s]
        s = e
    return out


def _keys_consistent(L: Any, k: int, inv: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> bool:
    """True where a second, independent row hash is constant inside every group of ``inv``.

    Two distinct rows that share the first 64-bit hash would also have to share the second
    (odds about 2**-64 per colliding pair), so this verifies the grouping.
    """
    h2 = _keys(L, k, chunk_rows, salt=1)
    rep = _representatives(inv, int(inv.max()) + 1 if inv.size else 0)
    return bool(np.array_equal(h2[rep][inv], h2))


def compress_for_fit(
    L: Any, cardinality: int, max_patterns: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """What a fit needs from ``L``: ``(patterns, weights, n_rows, n_patterns)``.

    Where ``L`` has at most ``max_patterns`` distinct rows these are its exact statistics;
    otherwise the patterns of a seeded sample of ``max_patterns`` rows (drawn with replacement),
    each weighted by the rows it stands for. Extra memory: about 16 bytes per row of ``L``.
    """
    k = check_cardinality(cardinality)
    n, m = shape_of(L)
    keys = _keys(L, k)
    space = _key_space(m, k)
    if space is None or space > max(1 << 22, 4 * n):
        u, counts = _sorted_groups(keys)  # count the patterns before mapping rows to them
        p = int(counts.shape[0])
        inv = np.searchsorted(u, keys) if p <= max_patterns else None
        del u
    else:
        _, inv, counts = _unique_keys(keys, key_space=space)
        p = int(counts.shape[0])
    del keys
    if inv is not None:
        patterns = _gather_rows(L, k, _representatives(inv, p))
        if not _exact_key_fits(m, k) and not _keys_consistent(L, k, inv):
            stats = VoteStats._from_matrix_exact(L, k)
            return stats.patterns, stats.counts.astype(np.float64), n, stats.n_patterns
        return patterns, counts.astype(np.float64), n, p
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.integers(0, n, size=max_patterns))
    sample = VoteStats.from_matrix(_gather_rows(L, k, rows), k)
    return sample.patterns, sample.counts * (n / max_patterns), n, p


def sample_patterns(
    stats: VoteStats, max_patterns: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The patterns a fit uses and the rows each stands for: all of them up to ``max_patterns``,
    past it a seeded count-weighted sample of ``max_patterns`` draws."""
    p = stats.n_patterns
    counts = stats.counts
    if p <= max_patterns:
        return stats.patterns, counts.astype(np.float64)
    rng = np.random.default_rng(seed)
    cum = np.cumsum(counts)
    draws = rng.integers(0, int(cum[-1]), size=max_patterns)
    pick = np.searchsorted(cum, draws, side="right")
    sampled = np.bincount(pick, minlength=p)
    keep = np.flatnonzero(sampled)
    scale = stats.n_rows / max_patterns  # each draw stands for this many rows
    return stats.patterns[keep], sampled[keep] * scale


@dataclass(frozen=True, eq=False)
class VoteStats:
    """The distinct rows (vote patterns) of a label matrix and how many rows show each.

    ``patterns`` is int8 ``[p, m]`` in a canonical order (by row key), ``counts`` is int64 ``[p]``
    and ``counts.sum()`` is the number of rows summarized. Two statistics of the same rows are
    equal (``==``) however the rows were chunked; ``a + b`` summarizes the rows of both.
    """

    cardinality: int
    patterns: np.ndarray
    counts: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows of ``L`` summarized."""
        return int(self.counts.sum())

    @property
    def n_lfs(self) -> int:
        """Number of LFs (columns of ``L``)."""
        return int(self.patterns.shape[1])

    @property
    def n_patterns(self) -> int:
        """Number of distinct vote patterns."""
        return int(self.patterns.shape[0])

    @classmethod
    def from_matrix(
        cls, L: Any, cardinality: int, *, chunk_rows: int = CHUNK_ROWS
    ) -> VoteStats:
        """Summarize ``L`` (dense int array or scipy sparse; see :func:`iter_chunks`) in one pass.

        Memory beyond ``L`` is about 24 bytes per row (keys, inverse map) plus one chunk.
        """
        k = check_cardinality(cardinality)
        n, m = shape_of(L)
        if n == 0:
            return cls(k, np.zeros((0, m), dtype=np.int8), np.zeros(0, dtype=np.int64))
        _, inv, counts = _unique_keys(_keys(L, k, chunk_rows), key_space=_key_space(m, k))
        patterns = _gather_rows(L, k, _representatives(inv, counts.shape[0]), chunk_rows)
        if not _exact_key_fits(m, k) and not _keys_consistent(L, k, inv, chunk_rows):
            return cls._from_matrix_exact(L, k)
        return cls(k, patterns, counts)

    @classmethod
    def _from_matrix_exact(cls, L: Any, k: int) -> VoteStats:
        """Slow path for a hash collision: lexicographic unique over whole rows."""
        dense = np.concatenate(list(iter_chunks(L, k)))
        patterns, counts = np.unique(dense, axis=0, return_counts=True)
        return cls(k, patterns.astype(np.int8), counts.astype(np.int64))

    @classmethod
    def from_patterns(
        cls, patterns: np.ndarray, counts: np.ndarray, cardinality: int
    ) -> VoteStats:
        """Statistics from (possibly repeated) patterns with counts, merging repeats."""
        k = check_cardinality(cardinality)
        patterns = np.ascontiguousarray(patterns, dtype=np.int8)
        counts = np.asarray(counts, dtype=np.int64)
        if patterns.ndim != 2 or counts.shape != (patterns.shape[0],):
            raise ValueError("patterns must be [p, m] and counts [p]")
        if patterns.shape[0] == 0:
            return cls(k, patterns, counts)
        _check_range(patterns, k, 0)
        keys = row_keys(patterns, k)
        _, inv, _ = _unique_keys(keys, key_space=_key_space(patterns.shape[1], k))
        p = int(inv.max()) + 1
        merged = np.bincount(inv, weights=counts, minlength=p).astype(np.int64)
        rep = np.empty(p, dtype=np.int64)
        rep[inv] = np.arange(patterns.shape[0])
        out = patterns[rep]
        if not _exact_key_fits(patterns.shape[1], k) and not np.array_equal(out[inv], patterns):
            rows = np.repeat(patterns, counts, axis=0)
            return cls._from_matrix_exact(rows, k)
        keep = merged > 0
        return cls(k, out[keep], merged[keep])

    def __add__(self, other: VoteStats) -> VoteStats:
        """Statistics of the rows of both (the same LFs, in the same order, and cardinality)."""
        if not isinstance(other, VoteStats):
            return NotImplemented
        if other.cardinality != self.cardinality or other.n_lfs != self.n_lfs:
            raise ValueError(
                "cannot add VoteStats of different shapes: "
                f"(m={self.n_lfs}, k={self.cardinality}) + (m={other.n_lfs}, k={other.cardinality})"
            )
        return VoteStats.from_patterns(
            np.concatenate([self.patterns, other.patterns]),
            np.concatenate([self.counts, other.counts]),
            self.cardinality,
        )

    def __radd__(self, other: object) -> VoteStats:
        """Let ``sum([a, b, c])`` work (``0 + a`` is ``a``)."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        """Same rows summarized: same cardinality, patterns and counts."""
        if not isinstance(other, VoteStats):
            return NotImplemented
        return (
            self.cardinality == other.cardinality
            and self.patterns.shape == other.patterns.shape
            and np.array_equal(self.patterns, other.patterns)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside

    def lf_votes(self) -> np.ndarray:
        """int64 ``[m, k]``: how many rows each LF labels with each class."""
        m, k = self.n_lfs, self.cardinality
        out = np.zeros((m, k), dtype=np.int64)
        for a in range(k):
            out[:, a] = (self.patterns == a).T.astype(np.int64) @ self.counts
        return out

    def coverage(self) -> np.ndarray:
        """float64 ``[m]``: fraction of rows each LF votes on."""
        n = max(self.n_rows, 1)
        return self.lf_votes().sum(axis=1) / n

    def to_matrix(self) -> np.ndarray:
        """The rows expanded back into an int8 ``L`` (in pattern order, not the original order)."""
        return np.repeat(self.patterns, self.counts, axis=0)


def synthetic_votes(
    n: int,
    m: int,
    cardinality: int = 2,
    *,
    seed: int = 0,
    accuracy: tuple[float, float] = (0.6, 0.9),
    coverage: tuple[float, float] = (0.1, 0.6),
    class_balance: np.ndarray | None = None,
    groups: int = 0,
    group_size: int = 3,
    group_accuracy: float = 0.6,
    copy_rate: float = 0.9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """A label matrix with known truth: ``(L int8 [n, m], Y [n], accuracies [m], dependencies)``.

    Each LF votes on a row with its own probability (``coverage`` range), independently of the
    class, and votes the true class with its accuracy (``accuracy`` range), else a uniformly
    random other class. The last ``groups * group_size`` LFs form correlated groups: each group
    has a hidden LF of accuracy ``group_accuracy``; a member copies its vote (abstain included)
    with probability ``copy_rate`` and otherwise votes like an independent LF of the same
    accuracy. ``dependencies`` lists the pairs inside groups. Generated column by column, so the
    peak memory is ``L`` plus a few float arrays of length n.
    """
    k = check_cardinality(cardinality)
    rng = np.random.default_rng(seed)
    pi = np.full(k, 1.0 / k) if class_balance is None else np.asarray(class_balance, float)
    Y = rng.choice(k, size=n, p=pi / pi.sum()).astype(np.int8)
    L = np.full((n, m), ABSTAIN, dtype=np.int8)
    n_grouped = groups * group_size
    if n_grouped > m:
        raise ValueError("groups * group_size exceeds m")
    acc = rng.uniform(*accuracy, size=m)
    cov = rng.uniform(*coverage, size=m)
    acc[m - n_grouped :] = group_accuracy

    def draw(a: float, c: float) -> np.ndarray:
        votes = rng.random(n) < c
        right = rng.random(n) < a
        wrong = ((Y.astype(np.int16) + rng.integers(1, k, size=n)) % k).astype(np.int8)
        return np.where(votes, np.where(right, Y, wrong), ABSTAIN).astype(np.int8)

    for j in range(m - n_grouped):
        L[:, j] = draw(acc[j], cov[j])
    deps: list[tuple[int, int]] = []
    for g in range(groups):
        members = list(range(m - n_grouped + g * group_size, m - n_grouped + (g + 1) * group_size))
        hidden = draw(group_accuracy, cov[members[0]])
        for j in members:
            own = draw(group_accuracy, cov[members[0]])
            L[:, j] = np.where(rng.random(n) < copy_rate, hidden, own)
        deps += [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
    return L, Y.astype(np.int64), acc.astype(np.float32), deps
