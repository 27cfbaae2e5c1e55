"""What an end model reads from a row: :class:`TextSpec`, mention offsets, hashed n-gram features
(for the ``linear`` kind) and the encoder's input strings (for ``minilm``).

Relation candidates (``mentions=("person1", "person2")`` inside a host text): the mentions are
located in the host (the closest pair of occurrences when a name occurs more than once). The
hashed features read from the host only what ties the pair together: the words between the two
mentions (unigrams, bigrams, character n-grams, with which mention comes first), three words left
and right of the pair, and their binned distance; the names themselves are never features (on
Spouse, 4-fold cross-validation on gold: F1 0.36 with the passage's words, 0.47 without). The
encoder reads the window of text around the pair with the mentions marked ``[[ ]]`` / ``<< >>``
(so long passages are not truncated away from them) and, separately, the stretch between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from explicate.runtime import utf8

_U64 = np.uint64


@dataclass(frozen=True)
class TextSpec:
    """What the end model reads from a row: ``text`` fields, and optionally two ``mentions``
    (string columns whose values occur inside the ``host`` text field, e.g. person1, person2 in
    sentence) that make each row a relation candidate."""

    text: tuple[str, ...]
    mentions: tuple[str, str] | None = None
    host: str | None = None

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("the end model needs at least one text field")
        if self.mentions is not None and len(self.mentions) != 2:
            raise ValueError("mentions must name exactly two fields")

    @property
    def host_field(self) -> str:
        return self.host or self.text[0]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.text + (self.mentions or ()) + ((self.host,) if self.host
                                                                        else ())))

    def to_json(self) -> dict[str, Any]:
        return {"text": list(self.text), "mentions": list(self.mentions) if self.mentions else None,
                "host": self.host}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TextSpec:
        mentions = (str(d["mentions"][0]), str(d["mentions"][1])) if d.get("mentions") else None
        return cls(tuple(d["text"]), mentions, d.get("host"))


def _strings(series: pd.Series) -> list[str]:
    return [v if isinstance(v, str) else "" for v in series.to_numpy(dtype=object)]


def _occurrences(text: str, needle: str) -> list[int]:
    """Start of every non-overlapping occurrence of ``needle`` in ``text``, left to right."""
    out: list[int] = []
    if not needle:
        return out
    i = text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + len(needle))
    return out


def mention_offsets(host: Sequence[str], first: Sequence[str], second: Sequence[str]) -> np.ndarray:
    """int64 ``[n, 4]``: character (start, end) of each mention in its host text, ``-1`` where a
    mention is absent. Where a name occurs several times, the closest non-overlapping pair is
    taken (the relation is usually stated near both names)."""
    # Rows are built as Python tuples (numpy item assignment per row costs more than the search);
    # each distinct (text, name) is searched once.
    found: dict[tuple[str, str], list[int]] = {}
    rows: list[tuple[int, int, int, int]] = []
    for h, a, b in zip(host, first, second, strict=True):
        sa = found.get((h, a))
        if sa is None:
            sa = found[(h, a)] = _occurrences(h, a)
        sb = found.get((h, b))
        if sb is None:
            sb = found[(h, b)] = _occurrences(h, b)
        row = ((sa[0], sa[0] + len(a)) if sa else (-1, -1)) + \
            ((sb[0], sb[0] + len(b)) if sb else (-1, -1))
        if len(sa) > 1 or len(sb) > 1:
            best: tuple[int, int, int] | None = None
            for x in sa:
                for y in sb:
                    if x < y + len(b) and y < x + len(a):
                        continue  # overlapping occurrences are not two mentions
                    gap = y - (x + len(a)) if x < y else x - (y + len(b))
                    if best is None or gap < best[0]:
                        best = (gap, x, y)
            if best is not None:
                row = (best[1], best[1] + len(a), best[2], best[2] + len(b))
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(rows), 4)


# ------------------------------------------------------------------------------ hashed features
def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a well-spread uint64 hash of each element (wraps on purpose)."""
    x = x.astype(_U64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> _U64(30)
        x *= _U64(0xBF58476D1CE4E5B9)
        x ^= x >> _U64(27)
        x *= _U64(0x94D049BB133111EB)
        x ^= x >> _U64(31)
    return x


def _combine(namespace: int, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    h = _mix(a ^ _U64((namespace + 1) * 0x9E3779B97F4A7C15 % 2**64))
    if b is not None:
        with np.errstate(over="ignore"):
            h = _mix(h + b.astype(_U64) * _U64(0xC2B2AE3D27D4EB4F))
    return h


_MARK1, _MARK2 = (_mix(np.array([v], dtype=_U64))[0] for v in (101, 102))
# Namespaces: one id per kind of feature (rows are normalized per namespace).
NS_WORD, NS_BIGRAM, NS_CHAR, NS_BETWEEN, NS_BETWEEN2, NS_LEFT, NS_RIGHT, NS_DIST, NS_BIAS = range(9)


@dataclass(frozen=True)
class Bags:
    """Hashed features of n rows as flat bags for ``EmbeddingBag``: row i's features are
    ``index[offsets[i]:offsets[i+1]]`` with ``weights`` (each namespace of a row has unit norm)."""

    index: np.ndarray  # int64
    offsets: np.ndarray  # int64 [n + 1]
    weights: np.ndarray  # float32

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def take(self, rows: np.ndarray) -> Bags:
        """The bags of ``rows`` (in that order)."""
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        pos = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1] - starts, lengths)
        return Bags(self.index[pos], offsets, self.weights[pos])


_TOKEN = re.compile(r"\w+|[^\w\s]")
"""A token of the end model's features: a run of word characters, or one other non-space
character (punctuation and symbols are features too: ``!``, ``$``, ``?``)."""


@dataclass(frozen=True)
class Tokens:
    """The tokens of a column of texts as flat arrays: each token's row (``doc_of``), character
    span in its text, lowercased form (``codes`` into ``vocab``) and 64-bit hash of that form
    (``ids``). Each distinct text is tokenized once."""

    ids: np.ndarray  # uint64
    codes: np.ndarray  # int64 index into vocab
    vocab: np.ndarray  # object: the distinct lowercased tokens
    doc_of: np.ndarray  # int64
    char_start: np.ndarray  # int64
    char_end: np.ndarray  # int64


_GAP = re.compile(r"(\s*)(?:\w+|[^\w\s])")  # the whitespace before each token of _TOKEN
_SEP = "\x00"  # between texts when a column is tokenized as one string (a token of its own)


def tokenize_texts(strings: Sequence[str], spans: bool = True) -> Tokens:
    """:class:`Tokens` of ``strings`` (a regex tokenizer, :data:`_TOKEN`, run once over all
    distinct texts joined; ``spans=False`` leaves the character spans at 0, for features that do
    not read them, and tokenizes each distinct whitespace-free chunk once instead)."""
    if not spans:
        return _tokenize_chunks(strings)
    return _tokenize_joined(strings, spans)


def _tokenize_chunks(strings: Sequence[str]) -> Tokens:
    """:class:`Tokens` without spans. No token of :data:`_TOKEN` holds whitespace, so a text's
    tokens are its whitespace-free chunks' tokens in order: the chunks are cut and hashed in
    the text's UTF-8 bytes (:mod:`explicate.runtime.utf8`, Arrow's dictionary encoding), the
    regex runs over the distinct chunks only, and each chunk's tokens are gathered back."""
    arr = utf8.text_array(list(strings))
    offsets, data = utf8.buffers(arr)
    ch = utf8.chunks(offsets, data, arr.type)
    enc = pc.dictionary_encode(ch.text)
    chunk_code = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    sub = _tokenize_joined(enc.dictionary.to_pylist(), spans=False)
    per = np.bincount(sub.doc_of, minlength=len(enc.dictionary)).astype(np.int64)
    start = np.cumsum(per) - per
    tok_lens = per[chunk_code]
    pos = np.arange(tok_lens.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(tok_lens) - tok_lens - start[chunk_code], tok_lens)
    zeros = np.zeros(len(pos), dtype=np.int64)
    return Tokens(ids=sub.ids[pos], codes=sub.codes[pos], vocab=sub.vocab,
                  doc_of=np.repeat(ch.row, tok_lens), char_start=zeros, char_end=zeros)


def _token_starts(big: str, count: int) -> np.ndarray:
    """Character start of each :data:`_TOKEN` token of ``big``, from its code points in numpy
    (no second regex pass): a token starts at a non-space character unless it continues a run of
    word characters. The classes are the regex's own (``str.isspace``, ``isalnum`` or ``_``),
    looked up once per distinct code point."""
    cp = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
    present = np.flatnonzero(np.bincount(cp))
    space = np.zeros(int(present[-1]) + 1 if len(present) else 1, dtype=bool)
    word = np.zeros_like(space)
    for c in present.tolist():  # distinct code points only
        ch = chr(c)
        space[c], word[c] = ch.isspace(), ch.isalnum() or ch == "_"
    sp, wd = space[cp], word[cp]
    start = ~sp
    start[1:] &= ~(wd[1:] & wd[:-1])
    out = np.flatnonzero(start)
    if len(out) != count:  # a class the lookup does not model: fall back to the regex
        gaps = _GAP.findall(big)
        tok_len = np.fromiter(map(len, _TOKEN.findall(big)), dtype=np.int64, count=count)
        gap_len = np.fromiter(map(len, gaps), dtype=np.int64, count=len(gaps))
        return np.cumsum(gap_len + tok_len) - tok_len
    return out.astype(np.int64)


def _tokenize_joined(strings: Sequence[str], spans: bool) -> Tokens:
    text_of, uniq = pd.factorize(pd.Series(list(strings), dtype=object), sort=False)
    text_of = text_of.astype(np.int64)
    texts = [t.replace(_SEP, " ") for t in uniq.tolist()]
    big = "".join(t + _SEP for t in texts)
    words = _TOKEN.findall(big)
    pos_big = _token_starts(big, len(words)) if spans else np.zeros(len(words), dtype=np.int64)
    raw_codes, raw_vocab = pd.factorize(pd.Series(words, dtype=object), sort=False)
    # Lowercase the distinct forms only, then merge the forms that lowercase alike.
    low_codes, vocab = pd.factorize(pd.Series(raw_vocab, dtype=object).str.lower(), sort=False)
    codes_all = low_codes[raw_codes].astype(np.int64)
    sep_code = low_codes[raw_vocab.get_loc(_SEP)] if _SEP in raw_vocab else -1
    is_sep = codes_all == sep_code
    ends = np.flatnonzero(is_sep)  # one separator after each text
    lens = np.diff(np.concatenate([[-1], ends])) - 1
    text_start = np.concatenate([[0], np.cumsum([len(t) + 1 for t in texts])[:-1]]).astype(np.int64)
    keep = ~is_sep
    codes_u = codes_all[keep]
    text_of_tok = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
    start_u = pos_big[keep] - (text_start[text_of_tok] if spans else 0)
    len_v = np.fromiter((len(w) for w in raw_vocab.tolist()), dtype=np.int64, count=len(raw_vocab))
    end_u = start_u + len_v[raw_codes[keep]] if spans else start_u
    ids_v = _mix(pd.util.hash_array(np.asarray(vocab, dtype=object)))
    starts_u = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts_u[1:])
    row_lens = lens[text_of]
    pos = np.arange(row_lens.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(row_lens) - row_lens - starts_u[text_of], row_lens)
    codes = codes_u[pos]
    return Tokens(ids=ids_v[codes], codes=codes, vocab=np.asarray(vocab, dtype=object),
                  doc_of=np.repeat(np.arange(len(text_of), dtype=np.int64), row_lens),
                  char_start=start_u[pos], char_end=end_u[pos])


def char_ngram_hashes(words: Sequence[str], sizes: tuple[int, ...] = (3, 4)
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, hash)``: every character n-gram (``sizes``) of each word padded as ``<word>``,
    grouped by word (``owner`` ascending), hashed from the code points in numpy (no Python per
    n-gram)."""
    padded = [f"<{w}>" for w in words]
    lens = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    cp = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
    starts = np.zeros(len(padded), dtype=np.int64)
    if len(padded) > 1:
        np.cumsum(lens[:-1], out=starts[1:])
    owners, hashes = [], []
    for size in sizes:
        n_g = np.maximum(lens - size + 1, 0)
        pos = np.arange(n_g.sum(), dtype=np.int64) - np.repeat(np.cumsum(n_g) - n_g - starts, n_g)
        h = cp[pos]
        with np.errstate(over="ignore"):
            for j in range(1, size):
                h = h * _U64(0x100000001B3) + cp[pos + j]
        hashes.append(_mix(h ^ _U64(size)))
        owners.append(np.repeat(np.arange(len(padded), dtype=np.int64), n_g))
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    return owner[order], np.concatenate(hashes)[order]


def _char_features(tok: Tokens, select: np.ndarray, salt: np.uint64, buckets: int,
                   n: int) -> tuple[np.ndarray, np.ndarray]:
    """(entries per row, bucket) of the character 3-4-grams of the selected tokens, in row
    order. Each distinct token's n-grams are hashed (and reduced to buckets) once; rows get
    them by a gather."""
    if not select.any():
        return np.zeros(n, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes, docs = tok.codes[select], tok.doc_of[select]
    present = np.bincount(codes, minlength=len(tok.vocab)) > 0  # distinct tokens, no sort
    uniq = np.flatnonzero(present)
    which = (np.cumsum(present) - 1)[codes]
    owner, flat = char_ngram_hashes(tok.vocab[uniq].tolist())
    flat_bucket = _bucket(_combine(NS_CHAR, flat ^ salt), buckets)
    lens = np.bincount(owner, minlength=len(uniq)).astype(np.int64)
    starts = np.zeros(len(uniq) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    tok_lens = lens[which]
    total = int(tok_lens.sum())
    it = np.int32 if max(total, len(flat_bucket)) < 2**31 else np.int64  # halves the traffic
    tl = tok_lens.astype(it)
    pos = np.repeat(starts[which].astype(it) - (np.cumsum(tl, dtype=it) - tl), tl)
    pos += np.arange(total, dtype=it)
    per_row = np.bincount(docs, weights=tok_lens, minlength=n).astype(np.int64)
    return per_row, flat_bucket[pos]


def _bucket(key: np.ndarray, buckets: int) -> np.ndarray:
    return (key % _U64(buckets)).astype(np.int64)


def _merge_rows(n: int, sources: list[tuple[int, np.ndarray, np.ndarray]]) -> Bags:
    """The bags of ``sources`` ``(namespace, entries per row, bucket)``, each in row order,
    merged row by row without a sort: a source's run of a row goes after the runs of the
    sources before it in that row. Each (row, namespace) group gets unit L2 norm (weight
    ``1/sqrt(count)``): long texts do not drown the relation features."""
    counts = np.stack([c for _, c, _ in sources], axis=1)  # [n, sources]
    per_ns: dict[int, np.ndarray] = {}
    for ns, c, _ in sources:
        per_ns[ns] = per_ns[ns] + c if ns in per_ns else c.copy()
    with np.errstate(divide="ignore"):
        w = np.stack([1.0 / np.sqrt(per_ns[ns]) for ns, _, _ in sources], axis=1)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=1), out=offsets[1:])
    total = int(offsets[-1])
    # int32 positions where they fit: half the memory traffic of the big temporaries.
    it = np.int32 if total < 2**31 else np.int64
    index = np.empty(total, dtype=np.int64)
    # The output is row-major runs (row, source), so the weights are one repeat of the grid.
    weights = np.repeat(w.astype(np.float32).ravel(), counts.ravel())
    base: np.ndarray = offsets[:-1].astype(it)
    for s_i, (_, c, bucket) in enumerate(sources):
        if s_i:
            base += counts[:, s_i - 1].astype(it)
        cs: np.ndarray = c.astype(it)
        # Each entry's output position: its row's start there less its row's start here, plus its own.
        shift: np.ndarray = np.repeat(base - (np.cumsum(cs, dtype=it) - cs), cs)
        shift += np.arange(len(bucket), dtype=it)
        index[shift] = bucket
    return Bags(index, offsets, weights)


def hashed_features(df: pd.DataFrame, spec: TextSpec, buckets: int, *, window: int = 3,
                    char_ngrams: bool = True) -> Bags:
    """Hashed n-gram features of every row (see the module docstring for which). Word and
    character n-gram keys depend only on the token, so they are hashed once per distinct token
    and gathered; the rows' bags are merged without sorting the entries."""
    n = len(df)
    sources: list[tuple[int, np.ndarray, np.ndarray]] = []

    def add(ns: int, row: np.ndarray, key: np.ndarray) -> None:  # row: sorted
        sources.append((ns, np.bincount(row, minlength=n), _bucket(key, buckets)))

    for f_i, name in enumerate(spec.text):
        strings = _strings(df[name])
        relation = spec.mentions is not None and name == spec.host_field
        col = tokenize_texts(strings, spans=relation)
        doc = col.doc_of
        salt = _U64(f_i * 1_000_003)
        if relation:
            assert spec.mentions is not None
            ids = col.ids.copy()
            offs = mention_offsets(strings, _strings(df[spec.mentions[0]]),
                                   _strings(df[spec.mentions[1]]))
            r = offs[doc]
            in1 = (r[:, 0] >= 0) & (col.char_start < r[:, 1]) & (col.char_end > r[:, 0])
            in2 = (r[:, 2] >= 0) & (col.char_start < r[:, 3]) & (col.char_end > r[:, 2])
            ids[in1] = _MARK1
            ids[in2 & ~in1] = _MARK2
            # The passage around a candidate mentions other people and topics: only the words
            # tied to the pair (between, next to it) say how the two are related.
            between = _relation_features(add, col.char_start, col.char_end, doc, ids, offs, window)
            if char_ngrams:  # not of the mentions (masked)
                sources.append((NS_CHAR, *_char_features(col, between & (ids == col.ids), salt,
                                                         buckets, n)))
            continue
        ids = col.ids
        vocab_ids = np.zeros(len(col.vocab), dtype=_U64)
        vocab_ids[col.codes] = ids  # each distinct token's hash id
        word_bucket = _bucket(_combine(NS_WORD, vocab_ids ^ salt), buckets)
        same_next = doc[:-1] == doc[1:]
        sources.append((NS_WORD, np.bincount(doc, minlength=n), word_bucket[col.codes]))
        add(NS_BIGRAM, doc[:-1][same_next],
            _combine(NS_BIGRAM, ids[:-1][same_next] ^ salt, ids[1:][same_next]))
        if char_ngrams:
            sources.append((NS_CHAR, *_char_features(col, np.ones(len(ids), dtype=bool), salt,
                                                     buckets, n)))
    sources.append((NS_BIAS, np.ones(n, dtype=np.int64),
                    np.full(n, int(_U64(0) % _U64(buckets)), dtype=np.int64)))
    return _merge_rows(n, sources)


def _relation_features(add: Callable[[int, np.ndarray, np.ndarray], None], char_start: np.ndarray,
                       char_end: np.ndarray, doc: np.ndarray, ids: np.ndarray, offs: np.ndarray,
                       window: int) -> np.ndarray:
    """Words between the two mentions (with which comes first), ``window`` words left of the
    first and right of the second, and the binned distance between them."""
    both = (offs[:, 0] >= 0) & (offs[:, 2] >= 0)
    first_end = np.minimum(offs[:, 1], offs[:, 3])
    second_start = np.maximum(offs[:, 0], offs[:, 2])
    lo = np.minimum(offs[:, 0], offs[:, 2])
    hi = np.maximum(offs[:, 1], offs[:, 3])
    order = np.where(offs[:, 0] <= offs[:, 2], 0, 1).astype(_U64)  # 1: person2 comes first
    r_ok = both[doc]
    between = r_ok & (char_start >= first_end[doc]) & (char_end <= second_start[doc])
    add(NS_BETWEEN, doc[between], _combine(NS_BETWEEN, ids[between], order[doc[between]]))
    pair = between[:-1] & between[1:] & (doc[:-1] == doc[1:])
    add(NS_BETWEEN2, doc[:-1][pair], _combine(NS_BETWEEN2, ids[:-1][pair], ids[1:][pair]))
    n_between = np.bincount(doc[between], minlength=len(offs))
    dist_bin = np.searchsorted(np.array([0, 1, 2, 3, 5, 8, 12, 20, 40]), n_between, side="right")
    rows_both = np.flatnonzero(both)
    add(NS_DIST, rows_both, _combine(NS_DIST, dist_bin[rows_both].astype(_U64), order[rows_both]))
    # Position of each token relative to the pair: left window counts back from the first mention.
    tok = np.arange(len(doc), dtype=np.int64)
    left = r_ok & (char_end <= lo[doc])
    right = r_ok & (char_start >= hi[doc])
    if left.any():
        last_left = np.full(len(offs), -1, dtype=np.int64)
        np.maximum.at(last_left, doc[left], tok[left])
        dist = last_left[doc] - tok
        sel = left & (dist < window)
        add(NS_LEFT, doc[sel], _combine(NS_LEFT, ids[sel], dist[sel].astype(_U64)))
    if right.any():
        first_right = np.full(len(offs), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_right, doc[right], tok[right])
        dist = tok - first_right[doc]
        sel = right & (dist < window)
        add(NS_RIGHT, doc[sel], _combine(NS_RIGHT, ids[sel], dist[sel].astype(_U64)))
    return between


def encoder_texts(df: pd.DataFrame, spec: TextSpec, context: int = 300) -> list[list[str]]:
    """The encoder's inputs: one list of strings per embedding. For a relation candidate, the
    window of ``context`` characters around the two mentions with the mentions marked, and the
    stretch from the first mention to the second; then every other text field whole."""
    inputs: list[list[str]] = []
    others = [f for f in spec.text if spec.mentions is None or f != spec.host_field]
    if spec.mentions is not None:
        host = _strings(df[spec.host_field])
        offs = mention_offsets(host, _strings(df[spec.mentions[0]]), _strings(df[spec.mentions[1]]))
        windows, spans = [], []
        for h, (a0, a1, b0, b1) in zip(host, offs.tolist(), strict=True):
            if a0 < 0 or b0 < 0:
                windows.append(h[: 2 * context])
                spans.append("")
                continue
            marks = sorted([(a0, a1, "[[ ", " ]]"), (b0, b1, "<< ", " >>")])
            (s0, s1, o0, c0), (t0, t1, o1, c1) = marks
            lo, hi = max(0, s0 - context), min(len(h), t1 + context)
            marked = (h[lo:s0] + o0 + h[s0:s1] + c0 + h[s1:t0] + o1 + h[t0:t1] + c1 + h[t1:hi])
            windows.append(marked)
            spans.append(o0 + h[s0:s1] + c0 + h[s1:t0] + o1 + h[t0:t1] + c1)
        inputs += [windows, spans]
    inputs += [_strings(df[f]) for f in others]
    return inputs


