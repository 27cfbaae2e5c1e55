"""Tokens of a column of strings straight into flat arrays, at the tokenizer's speed.

spaCy's tokenizer spends most of its time per *document* (a ``Doc`` per row, its allocation and
``to_array`` per row), not per token. So the rows are joined with a whitespace separator into a
few large texts, each tokenized once, and the tokens are split back into rows by character
offset. This gives exactly the per-row tokenization: the tokenizer first cuts a text at
whitespace and analyses each whitespace-free chunk on its own, so a chunk never crosses the
separator, and whitespace tokens are dropped anyway (``tests/test_batch_build.py`` checks it
against the per-row tokenizer). Nothing is built per token in Python.

``jobs > 1`` splits the rows across worker processes (forked where the OS can, so spaCy is not
loaded again); the arrays are the same as one process builds.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER, ORTH
from spacy.language import Language

from explicate.errors import Diagnostic, ExplicateError

SEPARATOR = "\n"
"""Joins rows before tokenizing: whitespace, so no token of a row can reach into the next."""

GROUP_CHARS = 1 << 20
"""Characters per joined text of distinct chunks (bounds the size of one ``Doc``)."""

ROW_GROUP_CHARS = 1 << 24
"""Characters of rows cut into chunks at a time (bounds the memory of the code point arrays)."""

PARALLEL_CHARS = 1 << 21
"""Below this many characters the rows are tokenized in this process whatever ``jobs`` says:
starting workers costs more than it saves."""

JOBS_ENV = "EXPLICATE_JOBS"

_ATTRS = [LOWER, ORTH, IDX, LENGTH, IS_SPACE]


@dataclass(frozen=True)
class TokenArrays:
    """The non-space tokens of ``n`` rows, flat, in row order."""

    lower: np.ndarray  # uint64[T]: hash id of each token's lowercase form
    orth: np.ndarray  # uint64[T]: hash id of each token's exact form
    offsets: np.ndarray  # int64[n + 1]: tokens of row r are [offsets[r], offsets[r + 1])
    char_start: np.ndarray  # int64[T]: character offset of each token in its row's text
    char_end: np.ndarray  # int64[T]

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def doc_of(self) -> np.ndarray:
        """int64[T]: the row of each token."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.offsets))


def default_jobs() -> int:
    """Worker processes for batch building: ``EXPLICATE_JOBS`` when set, else one.

    One by default: two forked workers were not measured faster on a shared 2-core machine, and
    forking a process that already runs threads (a server, torch) is not safe everywhere."""
    raw = os.environ.get(JOBS_ENV, "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ExplicateError([Diagnostic(
            "E605", f"{JOBS_ENV} must be a positive integer, got {raw!r}", None, "",
            (f"unset {JOBS_ENV} to tokenize in one process, or pass --jobs N",))])
    return int(raw)


@functools.cache
def tokenizer() -> Language:
    """The shared blank English pipeline (tokenizer only; no model download)."""
    return spacy.blank("en")


def _tokenizer() -> Any:
    return tokenizer().tokenizer


def groups(lengths: np.ndarray, limit: int | None = None) -> list[tuple[int, int]]:
    """Row ranges whose joined text is about ``limit`` (default ``GROUP_CHARS``) characters (at
    least one row each)."""
    limit = GROUP_CHARS if limit is None else limit
    ends = np.cumsum(lengths + 1)
    out: list[tuple[int, int]] = []
    lo, n = 0, len(lengths)
    while lo < n:
        base = ends[lo - 1] if lo else 0
        hi = int(np.searchsorted(ends, base + limit, side="right"))
        hi = min(max(hi, lo + 1), n)
        out.append((lo, hi))
        lo = hi
    return out


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each string begins once they are joined with one separator character."""
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    return starts


def joined_tokens(strings: Sequence[str], tok: Any) -> tuple[np.ndarray, np.ndarray]:
    """Non-space tokens of ``strings`` tokenized as a few joined texts: uint64[T, 4] (lower,
    orth, character offset in its string, length) and int64[T], the string of each token."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    parts: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for lo, hi in groups(lengths):
        starts = _starts(lengths[lo:hi])
        doc = tok(SEPARATOR.join(strings[lo:hi]))
        arr = doc.to_array(_ATTRS).view(np.uint64).reshape(-1, len(_ATTRS))
        arr = arr[arr[:, 4] == 0, :4]
        row = np.searchsorted(starts, arr[:, 2].astype(np.int64), side="right") - 1
        arr[:, 2] -= starts[row].astype(np.uint64)
        parts.append(arr)
        rows.append(row + lo)
    if not parts:
        return np.zeros((0, 4), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(parts), np.concatenate(rows)


@functools.cache
def _space_table() -> np.ndarray:
    """bool[0x3001]: which code points are whitespace (``str.isspace``; none lies above)."""
    return np.array([chr(c).isspace() for c in range(0x3001)], dtype=bool)


def _is_space(cps: np.ndarray) -> np.ndarray:
    table = _space_table()
    out = np.zeros(len(cps), dtype=bool)
    low = cps < len(table)
    out[low] = table[cps[low]]
    return out


def _ragged_take(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenated ranges ``[first[i], first[i] + count[i])``."""
    total = int(count.sum())
    ends = np.cumsum(count)
    return np.repeat(first - (ends - count), count) + np.arange(total, dtype=np.int64)


def token_arrays(strings: Sequence[str], tok: Any = None) -> TokenArrays:
    """Tokenize ``strings`` in this process (see the module docstring) with ``tok`` (default:
    the shared blank English tokenizer)."""
    tok = tok if tok is not None else _tokenizer()
    n = len(strings)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=n)
    parts: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    char_starts: list[np.ndarray] = []
    for lo, hi in groups(lengths, ROW_GROUP_CHARS):
        text = SEPARATOR.join(strings[lo:hi])
        chunks = text.split()  # the tokenizer's whitespace-free chunks, in order
        if not chunks:
            continue
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        space = _is_space(cps)
        begins = np.flatnonzero(~space & np.concatenate(([True], space[:-1])))
        if len(begins) != len(chunks):  # pragma: no cover - str.split and isspace agree
            raise AssertionError("chunk boundaries disagree")
        codes, unique = pd.factorize(np.array(chunks, dtype=object), sort=False)
        u_tokens, u_of = joined_tokens(unique.tolist(), tok)
        u_count = np.bincount(u_of, minlength=len(unique))
        u_first = np.zeros(len(unique), dtype=np.int64)
        np.cumsum(u_count[:-1], out=u_first[1:])
        count = u_count[codes]
        toks = u_tokens[_ragged_take(u_first[codes], count)]
        at = np.repeat(begins, count) + toks[:, 2].astype(np.int64)
        starts = _starts(lengths[lo:hi])
        row = np.searchsorted(starts, at, side="right") - 1
        parts.append(toks)
        rows.append(row + lo)
        char_starts.append(at - starts[row])
    if parts:
        flat = np.concatenate(parts)
        doc_of = np.concatenate(rows)
        char_start = np.concatenate(char_starts)
    else:
        flat = np.zeros((0, 4), dtype=np.uint64)
        doc_of = char_start = np.zeros(0, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_of, minlength=n), out=offsets[1:])
    return TokenArrays(
        lower=np.ascontiguousarray(flat[:, 0]),
        orth=np.ascontiguousarray(flat[:, 1]),
        offsets=offsets,
        char_start=char_start,
        char_end=char_start + flat[:, 3].astype(np.int64),
    )


_SHARED: Sequence[str] = ()  # the rows a forked worker reads (inherited, not pickled)


def _work(lo: int, hi: int) -> TokenArrays:
    return token_arrays(_SHARED[lo:hi])


def fork_context() -> Any:
    """The ``fork`` start method where the OS has it (workers inherit spaCy and the data), else
    None."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _context() -> Any:
    return fork_context() or multiprocessing.get_context("spawn")


def concat(parts: Sequence[TokenArrays]) -> TokenArrays:
    """Rows of ``parts`` one after another (offsets shifted)."""
    if len(parts) == 1:
        return parts[0]
    shifts = np.cumsum([0] + [len(p.lower) for p in parts[:-1]])
    offsets = np.concatenate([parts[0].offsets[:1]] + [p.offsets[1:] + s
                                                       for p, s in zip(parts, shifts, strict=True)])
    return TokenArrays(
        lower=np.concatenate([p.lower for p in parts]),
        orth=np.concatenate([p.orth for p in parts]),
        offsets=offsets,
        char_start=np.concatenate([p.char_start for p in parts]),
        char_end=np.concatenate([p.char_end for p in parts]),
    )


def tokenize_strings(strings: Sequence[str], jobs: int | None = None) -> TokenArrays:
    """Tokenize ``strings`` with up to ``jobs`` processes (default :func:`default_jobs`); the
    result does not depend on ``jobs``."""
    global _SHARED
    jobs = default_jobs() if jobs is None else max(1, jobs)
    n = len(strings)
    if jobs == 1 or n < 2 * jobs or sum(map(len, strings)) < PARALLEL_CHARS:
        return token_arrays(strings)
    bounds = np.linspace(0, n, jobs + 1).astype(int).tolist()
    ctx = _context()
    shared = ctx.get_start_method() == "fork"
    _SHARED = strings
    gc.freeze()  # forked workers then leave the parent's objects (and pages) alone
    try:
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=ctx) as pool:
            if shared:
                futures = [pool.submit(_work, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:],
                                                                        strict=True)]
            else:
                futures = [pool.submit(token_arrays, list(strings[lo:hi]))
                           for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
            first = token_arrays(strings[bounds[0] : bounds[1]])  # this process works too
            parts = [first, *(f.result() for f in futures)]
    finally:
        _SHARED = ()
        gc.unfreeze()
    return concat(parts)
