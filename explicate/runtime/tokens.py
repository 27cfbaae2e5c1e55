"""Tokens of a column of strings straight into flat arrays, at the tokenizer's speed.

spaCy's tokenizer cuts a text at whitespace and analyses each whitespace-free chunk on its own;
whitespace tokens are dropped anyway. So a column is tokenized chunk by chunk without a ``Doc``
per row: the chunks are found in the column's UTF-8 bytes (``runtime.utf8``, whole-array numpy
on an Arrow string array), the distinct ones are hashed by Arrow (``pc.dictionary_encode``, C++)
and looked up in a process-wide :class:`ChunkStore` (Arrow's ``index_in``); only chunks never
seen before in this process are analysed, and of those only the ones spaCy would split go
through spaCy (the rest get their one token's hash ids directly, :func:`chunk_tokens`). Each
occurrence's tokens are gathered back by chunk id; character offsets come from byte offsets.
The Python work left is per *new* distinct chunk; the numpy and Arrow work releases the GIL
(``np.repeat``, which does not, is replaced by ``utf8.repeat``), so threads tokenizing
different shards run in parallel. The result is exactly the per-row tokenization
(``tests/test_batch_build.py`` checks it against spaCy row by row).

``jobs > 1`` splits the rows across worker processes (forked where the OS can, so spaCy is not
loaded again); the arrays are the same as one process builds.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER, ORTH
from spacy.language import Language
from spacy.strings import get_string_id

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime import utf8

SEPARATOR = "\n"
"""Joins rows before tokenizing: whitespace, so no token of a row can reach into the next."""

GROUP_CHARS = 1 << 20
"""Characters per joined text of distinct chunks (bounds the size of one ``Doc``)."""

ROW_GROUP_BYTES = 1 << 23
"""Bytes of rows cut into chunks at a time (bounds the memory of the per-byte masks)."""

STORE_CHUNKS = 1 << 19
"""Distinct chunks the process-wide :class:`ChunkStore` keeps before it starts again."""

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
        return utf8.group_of(np.diff(self.offsets))


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


_LOAD_LOCK = threading.Lock()


def tokenizer() -> Language:
    """The shared blank English pipeline (tokenizer only; no model download), loaded once even
    when several threads ask at once (each would load its own, one after the other)."""
    with _LOAD_LOCK:
        return _blank()


@functools.cache
def _blank() -> Language:
    return spacy.blank("en")


def _tokenizer() -> Any:
    return tokenizer().tokenizer


_PENDING_STRINGS: list[pa.Array] = []  # texts of cached token ids, not yet in the StringStore
_PENDING_LOCK = threading.Lock()


def defer_strings(texts: pa.Array) -> None:
    """Texts that token ids of a batch loaded from the cache stand for. spaCy never tokenized
    them in this process, so its StringStore cannot turn those ids back into text; they are
    added to it when ids are next read back (:func:`token_text`), not on load (a cache hit
    that only evaluates LFs never needs them)."""
    if len(texts):
        with _PENDING_LOCK:
            _PENDING_STRINGS.append(texts)


def string_store() -> Any:
    """spaCy's StringStore with every deferred text added: what turns token ids back into text,
    whether spaCy made them in this process, the batch cache loaded them, or they were hashed
    without spaCy (:func:`chunk_tokens`)."""
    store = tokenizer().vocab.strings
    if _PENDING_STRINGS:
        with _PENDING_LOCK:
            pending = _PENDING_STRINGS[:]
            _PENDING_STRINGS.clear()
        for texts in pending:
            for text in texts.to_pylist():
                store.add(text)
    return store


def token_text(i: int) -> str:
    """The text of a token id (a ``lower`` or ``orth`` hash)."""
    return str(string_store()[i])


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


@dataclass(frozen=True)
class _Table:
    """One state of a :class:`ChunkStore`, replaced whole (never changed where readers see it):
    chunk ``i`` has text ``texts[i]`` and tokens ``tokens[:, first[i] : first[i] + count[i]]``
    (of which the first ``used`` columns are filled)."""

    texts: pa.Array  # large_string
    first: np.ndarray
    count: np.ndarray
    tokens: np.ndarray  # uint64[4, capacity]: lower, orth, offset, length
    used: int


def _empty_table() -> _Table:
    return _Table(pa.array([], type=pa.large_string()), np.zeros(1024, dtype=np.int64),
                  np.zeros(1024, dtype=np.int64), np.zeros((4, 1024), dtype=np.uint64), 0)


PLAIN = "^(?:[A-Za-z]+|[A-Za-z0-9]*[0-9])$"
"""ASCII chunks of letters only, or of letters and digits ending in a digit (``w70``, ``mp3``,
``2024``): spaCy's English prefix, suffix and infix rules never split them, so only the special
cases can. Every prefix begins with punctuation or a symbol (``US$`` needs the ``$``), every
infix needs one, and the only suffixes made of ASCII letters are units after a digit (``5km``,
``3g``), which a chunk ending in a digit or without digits cannot end with.
``tests/test_batch_build.py`` checks every such chunk of up to three characters against spaCy."""


def single_tokens(texts: pa.Array, chunks: Sequence[str], tok: Any) -> np.ndarray:
    """bool: which chunks (each free of whitespace) ``tok`` keeps whole as one token, decided
    as spaCy's tokenizer decides it, without making spaCy lexemes: not a special case, and
    matched by ``token_match``, or else with no prefix, no suffix, and ``url_match`` or no infix.
    ``PLAIN`` chunks skip the affix checks (Arrow's RE2 finds them without the GIL)."""
    n = len(chunks)
    rules = tok.rules or {}
    special = (pc.is_in(texts, value_set=pa.array(list(rules), type=texts.type))
               .to_numpy(zero_copy_only=False) if rules else np.zeros(n, dtype=bool))
    plain = pc.match_substring_regex(texts, PLAIN).to_numpy(zero_copy_only=False)
    whole = plain & ~special
    token_match, url_match = tok.token_match, tok.url_match
    prefix, suffix, infix = tok.prefix_search, tok.suffix_search, tok.infix_finditer
    for i in np.flatnonzero(~plain & ~special).tolist():
        c = chunks[i]
        if token_match is not None and token_match(c):
            whole[i] = True
        elif (prefix is not None and prefix(c)) or (suffix is not None and suffix(c)):
            continue
        elif url_match is not None and url_match(c):
            whole[i] = True
        else:
            whole[i] = infix is None or next(infix(c), None) is None
    return whole


def chunk_tokens(texts: pa.Array, chunks: Sequence[str], tok: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`joined_tokens` of distinct chunks (``texts``: the same as an Arrow array): the
    chunks ``tok`` keeps whole (:func:`single_tokens`, most of them) get their one token
    directly, hash ids of the text and of its lowercase form (what spaCy's lexeme would hold);
    only the others go through spaCy. The texts of those ids are handed to the StringStore
    when ids are next read back (:func:`defer_strings`)."""
    whole = single_tokens(texts, chunks, tok)
    simple = np.flatnonzero(whole)
    if not len(simple):
        return joined_tokens(chunks, tok)
    lower_of = tok.vocab.lex_attr_getters.get(LOWER, str.lower)
    kept = [chunks[i] for i in simple.tolist()]
    lowers = [lower_of(c) for c in kept]
    one = np.empty((len(kept), 4), dtype=np.uint64)
    one[:, 0] = np.fromiter(map(get_string_id, lowers), dtype=np.uint64, count=len(kept))
    one[:, 1] = np.fromiter(map(get_string_id, kept), dtype=np.uint64, count=len(kept))
    one[:, 2] = 0
    one[:, 3] = pc.utf8_length(texts.take(pa.array(simple))).to_numpy(zero_copy_only=False)
    defer_strings(pa.array(kept + lowers, type=pa.string()))
    hard = np.flatnonzero(~whole)
    if not len(hard):
        return one, simple
    toks, of = joined_tokens([chunks[i] for i in hard.tolist()], tok)
    allt = np.concatenate([one, toks])
    owner = np.concatenate([simple, hard[of]])
    order = np.argsort(owner, kind="stable")  # chunk by chunk, each chunk's tokens in order
    return allt[order], owner[order]


class ChunkStore:
    """The tokens of every distinct chunk tokenized so far, so a chunk is analysed by spaCy once
    per process, not once per batch, shard or thread.

    Tokens are kept flat (one entry per token: lowercase and exact hash ids, character offset
    and length within the chunk); the chunks' texts are one Arrow array in id order, so a
    batch's distinct chunks are looked up by Arrow's hashing (``pc.index_in``, which releases
    the GIL) rather than by a Python dictionary lookup each. The state is one immutable
    :class:`_Table`, replaced whole when chunks are added (arrays grow by doubling, into new
    arrays, so what a reader holds stays valid), so a lookup reads it without the lock; only a
    lookup that misses takes the lock, which guards adding and spaCy (whose own cache is not
    safe to share between threads). Past ``limit`` chunks it starts again empty, which bounds
    its memory."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = STORE_CHUNKS if limit is None else limit
        self._lock = threading.Lock()
        self._table = _empty_table()

    def __len__(self) -> int:
        return len(self._table.texts)

    def lookup(self, distinct: Sequence[str] | pa.Array, tok: Any
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(first, count, tokens)`` for the chunks ``distinct`` (each once; Python strings or
        an Arrow string array), tokenizing the ones not seen before with ``tok``: ``tokens`` is
        uint64[4, T] (lowercase id, exact id, character offset in the chunk, length)."""
        wanted = _large(distinct)
        table = self._table
        ids = _index_in(wanted, table.texts)
        if (ids < 0).any():
            with self._lock:
                table = self._table
                ids = _index_in(wanted, table.texts)  # others may have added them meanwhile
                new = np.flatnonzero(ids < 0)
                if len(new):
                    if len(table.texts) + len(new) > self.limit:
                        table = _empty_table()
                        ids, new = np.full(len(wanted), -1), np.arange(len(wanted))
                    table, ids[new] = _added(table, wanted.take(pa.array(new)), tok)
                    self._table = table
        return np.take(table.first, ids), np.take(table.count, ids), table.tokens[:, :table.used]


def _added(table: _Table, texts: pa.Array, tok: Any) -> tuple[_Table, np.ndarray]:
    """A new table: ``table`` with the chunks ``texts`` (none of them in it) tokenized by
    ``tok``; and their ids."""
    chunks = texts.to_pylist()
    toks, of = chunk_tokens(texts, chunks, tok)
    count = np.bincount(of, minlength=len(chunks)).astype(np.int64)
    base, used = len(table.texts), table.used
    first = _grown(table.first, base + len(chunks))
    counts = _grown(table.count, base + len(chunks))
    tokens = _grown(table.tokens, used + len(toks))
    ids = np.arange(base, base + len(chunks), dtype=np.int64)
    first[ids] = used + np.cumsum(count) - count  # beyond what readers of `table` look at
    counts[ids] = count
    tokens[:, used : used + len(toks)] = toks.T
    all_texts = pa.concat_arrays([table.texts, texts]) if base else texts
    return _Table(all_texts, first, counts, tokens, used + len(toks)), ids


def _large(values: Sequence[str] | pa.Array) -> pa.Array:
    """Chunk texts as one Arrow ``large_string`` array (the store's type)."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())
    return arr if pa.types.is_large_string(arr.type) else arr.cast(pa.large_string())


def _index_in(values: pa.Array, texts: pa.Array) -> np.ndarray:
    """int64: the position of each value in ``texts``, -1 where it is not there."""
    if not len(texts):
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(values, value_set=texts)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    """``a`` if its last axis holds ``size``, else a copy with room for twice that."""
    if a.shape[-1] >= size:
        return a
    out = np.zeros((*a.shape[:-1], max(2 * size, 1024)), dtype=a.dtype)
    out[..., : a.shape[-1]] = a
    return out


_STORE = ChunkStore()


def chunk_store() -> ChunkStore:
    """The process-wide store for the shared tokenizer."""
    return _STORE


def token_arrays(strings: Sequence[str] | pa.Array | pa.ChunkedArray, tok: Any = None
                 ) -> TokenArrays:
    """Tokenize ``strings`` (Python strings or an Arrow string array) in this process (see the
    module docstring) with ``tok`` (default: the shared blank English tokenizer, whose chunks
    are kept in the process-wide :func:`chunk_store`)."""
    shared = tok is None or tok is _tokenizer()
    tok = _tokenizer() if tok is None else tok
    store = _STORE if shared else ChunkStore(limit=1 << 62)
    text = utf8.text_array(strings)
    offsets, data = utf8.buffers(text)
    parts = [_group(offsets[lo : hi + 1], data, text.type, store, tok)
             for lo, hi in byte_groups(offsets, ROW_GROUP_BYTES)]
    if not parts:
        return _empty(len(text))
    return concat(parts)


def byte_groups(offsets: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Row ranges ``[lo, hi)`` of about ``limit`` bytes each (at least one row)."""
    out: list[tuple[int, int]] = []
    lo, n = 0, len(offsets) - 1
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + limit, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        out.append((lo, hi))
        lo = hi
    return out


def _empty(n: int) -> TokenArrays:
    none = np.zeros(0, dtype=np.uint64)
    at = np.zeros(0, dtype=np.int64)
    return TokenArrays(none, none.copy(), np.zeros(n + 1, dtype=np.int64), at, at.copy())


def _group(offsets: np.ndarray, data: np.ndarray, kind: pa.DataType, store: ChunkStore,
           tok: Any) -> TokenArrays:
    """Tokens of the rows ``data[offsets[r]:offsets[r + 1]]``: their chunks found in the bytes,
    the distinct ones hashed by Arrow, tokenized through ``store``, and gathered back."""
    base = int(offsets[0])
    found = utf8.chunks(offsets - base, data[base : int(offsets[-1])], kind)
    encoded = pc.dictionary_encode(found.text)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    u_first, u_count, table = store.lookup(encoded.dictionary, tok)
    count = np.take(u_count, codes)
    group = utf8.group_of(count)  # the chunk of each token
    take = utf8.ragged_take(np.take(u_first, codes), count, group)
    per_chunk = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(count, out=per_chunk[1:])
    lower, orth, at, length = np.take(table, take, axis=1)
    char_start = np.take(found.char_start, group) + at.view(np.int64)
    return TokenArrays(lower=lower, orth=orth, offsets=per_chunk[found.first],
                       char_start=char_start, char_end=char_start + length.view(np.int64))


_SHARED: pa.Array = pa.array([], type=pa.string())  # what forked workers read (inherited)


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


def tokenize_strings(strings: Sequence[str] | pa.Array | pa.ChunkedArray,
                     jobs: int | None = None) -> TokenArrays:
    """Tokenize ``strings`` with up to ``jobs`` processes (default :func:`default_jobs`); the
    result does not depend on ``jobs``."""
    global _SHARED
    jobs = default_jobs() if jobs is None else max(1, jobs)
    text = utf8.text_array(strings)
    n = len(text)
    if jobs == 1 or n < 2 * jobs or text.nbytes < PARALLEL_CHARS:
        return token_arrays(text)
    bounds = np.linspace(0, n, jobs + 1).astype(int).tolist()
    ctx = _context()
    shared = ctx.get_start_method() == "fork"
    _SHARED = text
    gc.freeze()  # forked workers then leave the parent's objects (and pages) alone
    try:
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=ctx) as pool:
            pairs = list(zip(bounds[1:-1], bounds[2:], strict=True))
            futures = ([pool.submit(_work, lo, hi) for lo, hi in pairs] if shared else
                       [pool.submit(token_arrays, text[lo:hi]) for lo, hi in pairs])
            first = token_arrays(text[bounds[0] : bounds[1]])  # this process works too
            parts = [first, *(f.result() for f in futures)]
    finally:
        _SHARED = pa.array([], type=pa.string())
        gc.unfreeze()
    return concat(parts)
