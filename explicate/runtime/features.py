"""Featurization: records → ``Batch`` (flat token arrays per text field, mention token ranges,
numbers, and a validity mask per field).

Each text field is tokenized once with spaCy's rule-based English tokenizer (``spacy.blank("en")``);
whitespace tokens are dropped. A token is kept as hash ids (lowercase and exact form) so word
lookups are integer comparisons over one flat array.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER, ORTH
from spacy.language import Language

from explicate import ir
from explicate.compiler import FieldKind, Program, Schema
from explicate.errors import Diagnostic, ExplicateError
from explicate.primitives.columns import (
    EntityColumn,
    ObjectColumn,
    Occurrences,
    SpanColumn,
    TextColumn,
)
from explicate.primitives.text import find_phrase, merge_occurrences
from explicate.runtime import entities as ner
from explicate.runtime.data.detections import object_column
from explicate.runtime.data.normalize import normalize_texts
from explicate.runtime.data.problems import RowProblem

_ATTRS = [LOWER, ORTH, IDX, LENGTH, IS_SPACE]


@functools.cache
def tokenizer() -> Language:
    """The shared blank English pipeline (tokenizer only; no model download)."""
    return spacy.blank("en")


def tokenize(text: str) -> list[tuple[str, int]]:
    """(token text, character offset) of each non-space token: the reference tokenization."""
    return [(t.text, t.idx) for t in tokenizer().tokenizer(text) if not t.is_space]


def tokenize_column(strings: list[str], nlp: Language | None = None) -> TextColumn:
    """Tokenize a column of strings into flat arrays (one spaCy pass over all rows)."""
    nlp = nlp or tokenizer()
    tok: Any = nlp.tokenizer
    arrays = [doc.to_array(_ATTRS) for doc in tok.pipe(strings, batch_size=2048)]
    n = len(strings)
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=n)
    if lengths.sum():
        flat = np.concatenate([a for a in arrays if len(a)]).view(np.uint64)
    else:
        flat = np.zeros((0, len(_ATTRS)), dtype=np.uint64)
    keep = flat[:, 4] == 0  # drop whitespace tokens
    doc_of_all = np.repeat(np.arange(n, dtype=np.int64), lengths)
    flat, doc_of = flat[keep], doc_of_all[keep]
    counts = np.bincount(doc_of, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    char_start = flat[:, 2].astype(np.int64)
    as_np = np.array(strings, dtype=np.dtypes.StringDType())
    return TextColumn(
        lower=np.ascontiguousarray(flat[:, 0]),
        orth=np.ascontiguousarray(flat[:, 1]),
        offsets=offsets,
        doc_of=doc_of,
        char_start=char_start,
        char_end=char_start + flat[:, 3].astype(np.int64),
        strings=as_np,
        arrow=pa.array(strings, type=pa.string()),
    )


def locate_mentions(text: TextColumn, starts: np.ndarray, ends: np.ndarray,
                    name: str) -> SpanColumn:
    """Token ranges of mentions given by character ranges (``starts < 0`` where absent)."""
    n = text.n
    present = starts >= 0
    if len(text.doc_of):
        big = int(max(text.char_end.max(initial=0), ends.max(initial=0))) + 2
        end_keys = text.doc_of * big + text.char_end
        start_keys = text.doc_of * big + text.char_start
        rows = np.arange(n, dtype=np.int64)
        first = np.searchsorted(end_keys, rows * big + np.maximum(starts, 0), side="right")
        last = np.searchsorted(start_keys, rows * big + np.maximum(ends, 0), side="left")
        tok_start, tok_end = first - text.offsets[:-1], last - text.offsets[:-1]
    else:
        tok_start = tok_end = np.zeros(n, dtype=np.int64)
    found = present & (tok_end > tok_start)
    return SpanColumn(name, np.where(found, tok_start, 0), np.where(found, tok_end, 0), found)


@dataclass
class Batch:
    """Featurized rows: what compiled programs read."""

    n: int
    texts: dict[str, TextColumn] = field(default_factory=dict)
    spans: dict[str, SpanColumn] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    valids: dict[str, np.ndarray] = field(default_factory=dict)
    objects: dict[str, ObjectColumn] = field(default_factory=dict)  # image objects fields
    _ents: dict[str, EntityColumn] = field(default_factory=dict)  # named entities, on demand
    _occ: dict[tuple[str, ir.Expr], Occurrences] = field(default_factory=dict)
    _phrase_ids: dict[tuple[str, bool], np.ndarray] = field(default_factory=dict)

    def text(self, name: str) -> TextColumn:
        return self.texts[name]

    def span(self, name: str) -> SpanColumn:
        return self.spans[name]

    def number(self, name: str) -> np.ndarray:
        return self.numbers[name]

    def valid(self, name: str) -> np.ndarray:
        return self.valids[name]

    def object_table(self, name: str) -> ObjectColumn:
        return self.objects[name]

    def entities(self, name: str) -> EntityColumn:
        """The named entities of a text field, recognized on first use (``runtime.entities``:
        the ``ner`` extra), so only programs with entity types pay for the recognizer."""
        ents = self._ents.get(name)
        if ents is None:
            why = ner.active().available()
            if why is not None:
                raise ExplicateError([Diagnostic(
                    "E620", f"entity types need the `ner` extra ({ner.INSTALL}): {why}")])
            ents = self._ents[name] = ner.recognize_column(self.texts[name])
        return ents

    def phrase_ids(self, phrase: ir.Phrase) -> np.ndarray:
        key = (phrase.text, phrase.case_sensitive)
        ids = self._phrase_ids.get(key)
        if ids is None:
            doc = tokenizer().tokenizer(phrase.text)
            attr = ORTH if phrase.case_sensitive else LOWER
            arr = doc.to_array([attr, IS_SPACE]).view(np.uint64).reshape(-1, 2)
            ids = np.ascontiguousarray(arr[arr[:, 1] == 0, 0])
            self._phrase_ids[key] = ids
        return ids

    def occurrences(self, name: str, words: ir.Expr) -> Occurrences:
        key = (name, words)
        occ = self._occ.get(key)
        if occ is None:
            col = self.texts[name]
            occ = merge_occurrences(
                [find_phrase(col, self.phrase_ids(p), p.case_sensitive) for p in ir.phrases(words)]
            )
            self._occ[key] = occ
        return occ


def _text_values(series: pd.Series, name: str, base: int,
                 problems: list[RowProblem]) -> tuple[list[str], np.ndarray]:
    values = series.to_numpy(dtype=object)
    out: list[str] = []
    valid = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
            continue
        out.append("")
        valid[i] = False
        missing = v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
        problems.append(RowProblem(base + i + 1, name,
                                   "is missing" if missing else f"is not text ({v!r})"))
    return out, valid


def _before_tokenizing(values: list[str], name: str, df: pd.DataFrame,
                       span_of: dict[str, str]) -> list[str]:
    """Text as the rules see it: normalized (``data.normalize``: no zero-width characters or
    BOMs, NFC), unless a mention points into it by character offsets (they index the raw text)."""
    if any(host == name and f"{m}_start" in df.columns for m, host in span_of.items()):
        return values
    return normalize_texts(values)


def build_batch(df: pd.DataFrame, program: Program, schema: Schema, *, base: int = 0,
                problems: list[RowProblem] | None = None) -> Batch:
    """Featurize the fields a program reads. ``base`` numbers rows for problem reports."""
    problems = problems if problems is not None else []
    ner.require(program)  # entity types without the `ner` extra: say so before any work
    n = len(df)
    batch = Batch(n)
    span_of = {**schema.span_of, **program.spans}
    text_fields: dict[str, None] = {}
    for name, kind in program.field_kinds.items():
        if kind is FieldKind.SPAN:
            text_fields.setdefault(span_of[name], None)
        if kind in (FieldKind.TEXT, FieldKind.SPAN) and name in df.columns:
            text_fields.setdefault(name, None)
    raw: dict[str, list[str]] = {}
    for name in text_fields:
        raw[name], batch.valids[name] = _text_values(df[name], name, base, problems)
        raw[name] = _before_tokenizing(raw[name], name, df, span_of)
        batch.texts[name] = tokenize_column(raw[name])
    for name, kind in program.field_kinds.items():
        if kind is FieldKind.SPAN and name not in df.columns:
            # A mention given only by offsets: its own text is that slice of its host.
            starts, ends, _ = _mention_chars(df, name, None, raw[span_of[name]])
            raw[name] = [h[s:e] if s >= 0 else "" for h, s, e in
                         zip(raw[span_of[name]], starts.tolist(), ends.tolist(), strict=True)]
            batch.texts[name] = tokenize_column(raw[name])
    for name, kind in program.field_kinds.items():
        if kind is FieldKind.NUM:
            values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64,
                                                                        na_value=np.nan)
            ok = ~np.isnan(values)
            for i in np.flatnonzero(~ok):
                v = df[name].iloc[i]
                what = "is missing" if pd.isna(v) else f"is not a number ({v!r})"
                problems.append(RowProblem(base + int(i) + 1, name, what))
            batch.numbers[name], batch.valids[name] = values, ok
        elif kind is FieldKind.OBJECTS:
            batch.objects[name], batch.valids[name] = object_column(df, name, base=base,
                                                                    problems=problems)
        elif kind is FieldKind.SPAN:
            parent = span_of[name]
            starts, ends, given = _mention_chars(df, name, raw.get(name), raw[parent])
            span = locate_mentions(batch.texts[parent], starts, ends, parent)
            batch.spans[name] = span
            valid = span.found & batch.valids[parent]
            if name in batch.valids:
                valid &= batch.valids[name]
            for i in np.flatnonzero(~span.found & batch.valids[parent]):
                where = "at the given offsets" if given else "in its text"
                problems.append(RowProblem(base + int(i) + 1, name,
                                           f"is not found {where} ('{parent}')"))
            batch.valids[name] = valid
    return batch


def _mention_chars(df: pd.DataFrame, name: str, mention: list[str] | None,
                   host: list[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Character ranges of a mention: from ``NAME_start``/``NAME_end`` columns when present,
    else the first occurrence of its string in the host text (-1 where absent)."""
    if f"{name}_start" in df.columns and f"{name}_end" in df.columns:
        s = pd.to_numeric(df[f"{name}_start"], errors="coerce").to_numpy(dtype=np.float64,
                                                                        na_value=np.nan)
        e = pd.to_numeric(df[f"{name}_end"], errors="coerce").to_numpy(dtype=np.float64,
                                                                      na_value=np.nan)
        bad = np.isnan(s) | np.isnan(e) | (e <= s)
        return (np.where(bad, -1, s).astype(np.int64), np.where(bad, -1, e).astype(np.int64),
                True)
    assert mention is not None
    m = np.array(mention, dtype=np.dtypes.StringDType())
    h = np.array(host, dtype=np.dtypes.StringDType())
    at = np.strings.find(h, m).astype(np.int64)
    at[np.strings.str_len(m) == 0] = -1
    return at, at + np.strings.str_len(m).astype(np.int64), False


def iter_chunks(df: pd.DataFrame, size: int) -> Iterable[tuple[int, pd.DataFrame]]:
    for start in range(0, len(df), size):
        yield start, df.iloc[start : start + size]
