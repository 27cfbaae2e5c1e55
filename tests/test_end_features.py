"""The linear end model's hashed features against a plain per-row reference: the same design
matrix, entry for entry, on random texts (punctuation, Unicode whitespace and letters, NUL,
empty rows, several fields)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from explicate.runtime.end_model import TextSpec, hashed_features
from explicate.runtime.end_model.inputs import (
    _TOKEN,
    NS_BIGRAM,
    NS_CHAR,
    NS_WORD,
    _combine,
    _mix,
    char_ngram_hashes,
    tokenize_texts,
)
from explicate.runtime.end_model.solver import design_matrix

BUCKETS = 1 << 10  # small: collisions inside a row are exercised too
_U64 = np.uint64


def _hash(token: str) -> np.uint64:
    return _mix(pd.util.hash_array(np.array([token], dtype=object)))[0]


def reference_row(texts: list[str]) -> dict[int, float]:
    """One row's features, token by token: word unigrams, bigrams and character 3-4-grams of
    each lowercased regex token, per field (salted by the field's position), and the bias; each
    namespace's entries weigh ``1/sqrt(their count)`` (float32), summed per bucket."""
    entries: dict[int, list[int]] = {NS_WORD: [], NS_BIGRAM: [], NS_CHAR: []}
    for f_i, text in enumerate(texts):
        salt = _U64(f_i * 1_000_003)
        words = [w.lower() for w in _TOKEN.findall(text.replace("\x00", " "))]
        ids = [_hash(w) for w in words]
        for i, w in enumerate(words):
            one = np.array([ids[i] ^ salt], dtype=_U64)
            entries[NS_WORD].append(int(_combine(NS_WORD, one)[0] % _U64(BUCKETS)))
            if i + 1 < len(words):
                nxt = np.array([ids[i + 1]], dtype=_U64)
                entries[NS_BIGRAM].append(int(_combine(NS_BIGRAM, one, nxt)[0] % _U64(BUCKETS)))
            _, grams = char_ngram_hashes([w])
            entries[NS_CHAR] += (_combine(NS_CHAR, grams ^ salt) % _U64(BUCKETS)).tolist()
    row: dict[int, float] = {0: 1.0}  # the bias: key 0
    for keys in entries.values():
        w = float(np.float32(1.0 / np.sqrt(len(keys)))) if keys else 0.0
        for k in keys:
            row[k] = row.get(k, 0.0) + w
    return row


_CHARS = st.sampled_from(list("aAbBzZ01_ \t\n!?.,'$\x00\x1c\u00a0\u2003\u3000éÉ\u0301İßæ€日-"))
_TEXT = st.lists(_CHARS, max_size=20).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=8), st.booleans())
def test_features_are_the_plain_reference(rows: list[tuple[str, str]], two: bool) -> None:
    fields = ("a", "b") if two else ("a",)
    df = pd.DataFrame({"a": [r[0] for r in rows], "b": [r[1] for r in rows]})
    bags = hashed_features(df, TextSpec(fields), BUCKETS)
    x, used = design_matrix(bags)
    dense = np.zeros((len(rows), BUCKETS))
    dense[:, used] = x.toarray()
    want = np.zeros_like(dense)
    for i, r in enumerate(rows):
        for k, v in reference_row(list(r[: len(fields)])).items():
            want[i, k] += v
    assert np.array_equal(dense, want)


def test_repeated_texts_and_chunks_get_the_same_features() -> None:
    texts = ["Free entry!! win", "", "free ENTRY!! win", "x\x00y", "x y", "Free entry!! win"]
    bags = hashed_features(pd.DataFrame({"t": texts}), TextSpec(("t",)), BUCKETS)
    x, _ = design_matrix(bags)
    d = x.toarray()
    assert np.array_equal(d[0], d[2]) and np.array_equal(d[0], d[5])
    assert np.array_equal(d[3], d[4])  # NUL separates tokens as a space does
    assert x[1].nnz == 1  # the empty text: its bias only


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=8))
def test_token_spans_are_the_regex_matches(texts: list[str]) -> None:
    """The spans (from code-point classes, not a regex pass) are each token's match in its text."""
    tok = tokenize_texts(texts, spans=True)
    want = [(i, m.start(), m.end()) for i, t in enumerate(texts)
            for m in _TOKEN.finditer(t.replace("\x00", " "))]
    got = list(zip(tok.doc_of.tolist(), tok.char_start.tolist(), tok.char_end.tolist(), strict=True))
    assert got == want
