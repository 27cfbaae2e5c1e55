"""Whitespace-free chunks of a column of strings, found in its UTF-8 bytes (no Python per row).

spaCy's tokenizer first cuts a text at whitespace (``str.isspace``) and analyses each maximal
whitespace-free chunk on its own. This module finds those chunks directly in the bytes of an
Arrow string array with whole-array numpy operations (which release the GIL, so threads can do it
in parallel) and returns them as another Arrow array built from the same bytes, ready for Arrow's
C++ hashing (``pc.dictionary_encode``).

Whitespace in UTF-8: the ASCII characters 0x09-0x0D and 0x1C-0x20 (one byte each), U+0085 and
U+00A0 (``C2 85``, ``C2 A0``) and U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000
(three bytes each) -- every code point for which ``str.isspace`` is true
(``tests/test_batch_build.py`` checks the set against Python). A byte that starts one of those
sequences in valid UTF-8 is never a continuation byte, so the sequences are found by their lead
byte alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SPACE_CODE_POINTS = (
    *range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
)
"""Every code point ``str.isspace`` accepts."""

_TWO_BYTE = np.array([int.from_bytes(chr(c).encode(), "big") for c in SPACE_CODE_POINTS
                      if 0x80 <= c < 0x800], dtype=np.int64)
_THREE_BYTE = np.array([int.from_bytes(chr(c).encode(), "big") for c in SPACE_CODE_POINTS
                        if c >= 0x800], dtype=np.int64)
_LEADS = np.zeros(256, dtype=bool)
_LEADS[[0xC2, 0xE1, 0xE2, 0xE3]] = True  # the lead bytes of the multi-byte sequences above


def text_array(values: Sequence[str] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one Arrow array of UTF-8 text with no nulls (a null becomes ``""``) and
    offsets starting at 0, sharing the bytes where it can. A Python list is converted once."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.string())
    if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
        values = values.cast(pa.string()) if _fits(values) else values.cast(pa.large_string())
    if values.null_count:
        values = pc.fill_null(values, pa.scalar("", values.type))
    return _rebased(values)


def _fits(values: pa.Array) -> bool:
    return int(pc.sum(pc.binary_length(values)).as_py() or 0) < (1 << 31) - 1


def _rebased(values: pa.Array) -> pa.Array:
    """The same strings with offsets starting at 0 and no slice offset (slices of a pandas
    column are not), so the value bytes are ``data[offsets[0]:offsets[-1]]`` with no shift."""
    offsets, data = buffers(values)
    if not values.offset and (len(offsets) == 0 or offsets[0] == 0):
        return values
    base = int(offsets[0])
    rebased = (offsets - base).astype(np.int64 if _is_large(values.type) else np.int32)
    return pa.Array.from_buffers(values.type, len(values),
                                 [None, pa.py_buffer(rebased), pa.py_buffer(data[base:])])


def _is_large(t: pa.DataType) -> bool:
    return bool(pa.types.is_large_string(t) or pa.types.is_large_binary(t))


def buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """int64[n + 1] offsets and the uint8 bytes (views, no copy of the text) of a string or
    binary array without nulls; row ``r`` is ``data[offsets[r]:offsets[r + 1]]``."""
    n = len(values)
    bufs = values.buffers()
    kind = np.int64 if _is_large(values.type) else np.int32
    if bufs[1] is None:  # an empty array may have no offsets buffer
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(bufs[1], dtype=kind, count=values.offset + n + 1)[values.offset:]
    data = (np.frombuffer(bufs[2], dtype=np.uint8, count=int(offsets[-1]))
            if bufs[2] is not None and len(bufs[2]) else np.zeros(0, dtype=np.uint8))
    return offsets.astype(np.int64, copy=False), data


def space_mask(data: np.ndarray, ascii_only: bool) -> np.ndarray:
    """bool[B]: which bytes belong to a whitespace character (see the module docstring)."""
    space = (data - np.uint8(0x09) < 5) | (data - np.uint8(0x1C) < 5)  # uint8 wraps below
    if ascii_only:
        return space
    at = np.flatnonzero(_LEADS[data])
    if not len(at):
        return space
    b0 = data[at].astype(np.int64)
    b1 = data.take(at + 1, mode="clip").astype(np.int64)
    b2 = data.take(at + 2, mode="clip").astype(np.int64)
    two = b0 == 0xC2
    hit2 = at[two & np.isin((b0 << 8) | b1, _TWO_BYTE)]
    hit3 = at[~two & np.isin((b0 << 16) | (b1 << 8) | b2, _THREE_BYTE)]
    for k in range(2):
        space[hit2 + k] = True
    for k in range(3):
        space[hit3 + k] = True
    return space


def group_of(counts: np.ndarray) -> np.ndarray:
    """int64[sum(counts)]: ``i`` repeated ``counts[i]`` times, i.e.
    ``np.repeat(np.arange(len(counts)), counts)``, made of operations that release the GIL
    (``np.repeat`` holds it throughout, so threads building batches at once queue on it)."""
    counts = np.asarray(counts, dtype=np.int64)
    empty = counts == 0
    if empty.any():  # groups of none: number the others, then map back to their positions
        kept = np.flatnonzero(~empty)
        return np.take(kept, group_of(counts[kept]))
    total = int(counts.sum())
    marks = np.zeros(total, dtype=np.int64)
    if not total:
        return marks
    marks[np.cumsum(counts[:-1])] = 1  # each group after the first starts with a mark
    # Into a new array: a cumulative sum written over its own input holds the GIL (numpy
    # checks the overlap and copies under it; py-spy: 0.6 of its time), into another does not.
    return np.cumsum(marks)


def repeat(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.repeat(values, counts)`` (1-d) without holding the GIL (see :func:`group_of`)."""
    return np.take(values, group_of(counts))


def ragged_take(first: np.ndarray, count: np.ndarray, group: np.ndarray | None = None
                ) -> np.ndarray:
    """int64: the ranges ``[first[i], first[i] + count[i])`` concatenated, without holding the
    GIL; ``group``: ``group_of(count)`` when the caller has it already."""
    group = group_of(count) if group is None else group
    starts = np.cumsum(count) - count
    return np.take(first - starts, group) + np.arange(len(group), dtype=np.int64)


@dataclass(frozen=True)
class Chunks:
    """The whitespace-free chunks of ``n`` rows of UTF-8 text, in order."""

    starts: np.ndarray  # int64[k]: byte offset of each chunk in the rows' bytes
    ends: np.ndarray  # int64[k]: exclusive
    text: pa.Array  # k strings (or bytes): the chunks themselves, sharing nothing with the rows
    first: np.ndarray  # int64[n + 1]: chunks of row r are [first[r], first[r + 1])
    char_start: np.ndarray  # int64[k]: character offset of each chunk in its row

    @property
    def row(self) -> np.ndarray:
        """int64[k]: the row of each chunk."""
        return group_of(np.diff(self.first))


def chunks(offsets: np.ndarray, data: np.ndarray, kind: pa.DataType) -> Chunks:
    """The chunks of the rows ``data[offsets[r]:offsets[r + 1]]`` (``offsets[0] == 0``); no chunk
    crosses from one row into the next."""
    ascii_only = not len(data) or int(data.max()) < 0x80
    space = space_mask(data, ascii_only)
    word = ~space
    before = np.empty(len(data), dtype=bool)  # a chunk may start after a space or at a row start
    before[0:1] = True
    np.copyto(before[1:], space[:-1])
    after = np.empty(len(data), dtype=bool)  # and end before a space or at a row end
    after[-1:] = True
    np.copyto(after[:-1], space[1:])
    inner = offsets[1:-1]
    inner = inner[inner < len(data)]
    before[inner] = True
    after[inner - 1] = True
    starts = np.flatnonzero(word & before)
    ends = np.flatnonzero(word & after) + 1
    body = data[word]  # the chunks' bytes back to back
    chunk_offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=chunk_offsets[1:])
    large = len(body) >= (1 << 31) - 1
    if large:
        kind = pa.large_string()
    text = pa.Array.from_buffers(
        kind, len(starts), [None, pa.py_buffer(chunk_offsets.astype(np.int64 if large
                                                                    else np.int32)),
                            pa.py_buffer(body)])
    first = np.searchsorted(starts, offsets, side="left")
    first[-1] = len(starts)
    char_start = starts - repeat(offsets[:-1], np.diff(first))
    if not ascii_only:
        _to_characters(char_start, starts, offsets, first, data)
    return Chunks(starts, ends, text, first, char_start)


def _to_characters(char_start: np.ndarray, starts: np.ndarray, offsets: np.ndarray,
                   first: np.ndarray, data: np.ndarray) -> None:
    """Turn the chunks' byte offsets in their rows into character offsets, in place: less the
    UTF-8 continuation bytes between the row start and the chunk, counted only in the rows that
    have any (mostly-ASCII text pays for few)."""
    cont = np.flatnonzero((data & np.uint8(0xC0)) == np.uint8(0x80))
    rows = np.unique(np.searchsorted(offsets, cont, side="right") - 1)
    lo, hi = first[rows], first[rows + 1]
    count = hi - lo
    which = ragged_take(lo, count)
    row_start = repeat(offsets[rows], count)
    char_start[which] -= np.searchsorted(cont, starts[which]) - np.searchsorted(cont, row_start)
