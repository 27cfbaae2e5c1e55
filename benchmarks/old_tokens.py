"""The previous batch-building tokenizer (before ``runtime.utf8``), kept for benchmarks only:
``benchmarks/apply_throughput.py`` times it side by side with ``runtime.tokens.token_arrays``
and ``benchmarks/tokens_identity.py`` checks both give the same arrays on the shared data sets.

Rows joined with "\n", ``str.split`` into whitespace-free chunks, a code point mask (UTF-32) for
their positions, ``pd.factorize`` of the chunks as Python objects, spaCy over the distinct
chunks (``runtime.tokens.joined_tokens``, unchanged), numpy gathers back per row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from explicate.runtime.tokens import SEPARATOR, TokenArrays, _starts, _tokenizer, groups, joined_tokens

ROW_GROUP_CHARS = 1 << 24


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
