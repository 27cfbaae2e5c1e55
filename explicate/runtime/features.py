"""Featurization: records → ``Batch`` (flat token arrays per text field, mention token ranges,
numbers, and a validity mask per field).

Each text field is tokenized once with spaCy's rule-based English tokenizer (``spacy.blank("en")``);
whitespace tokens are dropped. A token is kept as hash ids (lowercase and exact form) so word
lookups are integer comparisons over one flat array.
"""

from __future__ import annotations

import hashlib
import math
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
from explicate.primitives.phrases import PhraseIndex, find_phrases
from explicate.primitives.text import find_phrase, merge_occurrences
from explicate.runtime import entities as ner
from explicate.runtime.batch_cache import FROM_ENV, CacheChoice, Entry, content_key, resolve
from explicate.runtime.data.detections import object_column
from explicate.runtime.data.normalize import INVISIBLE, normalize_text
from explicate.runtime.data.problems import RowProblem
from explicate.runtime.phrase_ids import PhraseIds, phrase_token_ids
from explicate.runtime.tokens import token_arrays, tokenize_strings, tokenizer
from explicate.runtime.utf8 import text_array

TextInput: TypeAlias = Sequence[str] | pa.Array | pa.ChunkedArray
"""A column of text: Python strings or Arrow text (nulls read as "")."""

INVISIBLE_CLASS = "[" + INVISIBLE + "]"
"""The characters normalization removes, as a regex class (RE2, run by Arrow)."""

# One-phrase queries on a column served by scans before its sorted index is built (a scan costs
# a pass over the tokens; the index about as much as a few dozen).
INDEX_AFTER = 32

KEPT_SHARE = 4
"""A batch indexes the positions of its program's phrases (``PhraseIndex(firsts=...)``) for
every query, unless they are over 1 in ``KEPT_SHARE`` of a column's tokens (a program of huge
word lists): then the scans and the whole index serve, as for a batch without a program."""

_FIRSTS_LOCK = threading.Lock()  # spaCy tokenizes the harder phrases: one thread at a time


QUERY_LIMIT = 100_000
"""Words expressions whose ids ``query_ids`` keeps (cleared when a call finds it fuller)."""

_QUERIES: dict[ir.Expr, tuple[tuple[bool, PhraseIds], ...]] = {}


def query_ids(words: ir.Expr) -> tuple[tuple[bool, PhraseIds], ...]:
    """The token ids of a words expression's phrases, by case (lowercase False, exact True;
    only the cases it has), kept process-wide: a program asks the same ones of every batch, and
    collecting them each time held the GIL ~3 ms a batch (73 SMS rules)."""
    got = _QUERIES.get(words)
    if got is None:
        items = ir.phrases(words)
        tok = tokenizer().tokenizer
        got = tuple((case, phrase_token_ids(texts, case, tok)) for case in (False, True)
                    if (texts := [p.text for p in items if p.case_sensitive is case]))
        if len(_QUERIES) > QUERY_LIMIT:
            _QUERIES.clear()
        _QUERIES[words] = got
    return got


def program_firsts(program: Program) -> dict[bool, np.ndarray]:
    """The first token id of each phrase the program looks for, lowercase (False) and exact
    (True): found once per program (``Program.runtime_memo``), not per batch."""
    firsts: dict[bool, np.ndarray] | None = program.runtime_memo.get("phrase_firsts")
    if firsts is None:
        with _FIRSTS_LOCK:
            firsts = program.runtime_memo.get("phrase_firsts")
            if firsts is None:
                tok = tokenizer().tokenizer
                firsts = {case: phrase_token_ids([p.text for p in program.phrases
                                                  if p.case_sensitive is case], case,
                                                 tok).firsts for case in (False, True)}
                program.runtime_memo["phrase_firsts"] = firsts
    return firsts


def tokenize(text: str) -> list[tuple[str, int]]:
    """(token text, character offset) of each non-space token: the reference tokenization."""
    return [(t.text, t.idx) for t in tokenizer().tokenizer(text) if not t.is_space]


def tokenize_column(strings: Sequence[str] | pa.Array | pa.ChunkedArray,
                    nlp: Language | None = None, *, normalize: bool = False,
                    jobs: int | None = 1, cache: CacheChoice = FROM_ENV) -> TextColumn:
    """Tokenize a column of strings (Python strings or Arrow text; nulls read as "") into flat
    arrays (``runtime.tokens``: chunks found in the UTF-8 bytes, distinct chunks tokenized once;
    ``jobs`` processes, None for the default). With ``normalize`` the rules see
    ``data.normalize``'s text. A column seen before (same content, tokenizer and normalization)
    comes from the batch cache (``runtime.batch_cache``) instead; a custom ``nlp`` is never
    cached."""
    return _tokenized(strings, nlp, normalize, jobs, cache)[0]


def _tokenized(strings: TextInput, nlp: Language | None, normalize: bool, jobs: int | None,
               cache: CacheChoice) -> tuple[TextColumn, str]:
    """``tokenize_column`` and the column's content key (``batch_cache.content_key``; "" with a
    custom ``nlp``, whose tokens the key does not describe)."""
    load, key = _pending(strings, nlp, normalize, jobs, cache)
    return load(), key


def _pending(strings: TextInput, nlp: Language | None, normalize: bool, jobs: int | None,
             cache: CacheChoice) -> tuple[Callable[[], TextColumn], str]:
    """The column's content key now, its tokens when the returned function is called (from the
    batch cache, else tokenized and stored)."""
    raw = text_array(strings)
    key = content_key(raw, normalize) if nlp is None else ""

    def load() -> TextColumn:
        store = resolve(cache)
        if nlp is not None or store is None or not store.wants(raw):
            store = None
        entry = store.get(key) if store is not None else None
        if entry is None:
            seen = normalized(raw) if normalize else raw
            tokens = (token_arrays(seen, nlp.tokenizer) if nlp is not None
                      else tokenize_strings(seen, jobs))
            entry = Entry(tokens, seen)
            if store is not None:
                store.put(key, entry)
        t = entry.tokens
        return TextColumn(lower=t.lower, orth=t.orth, offsets=t.offsets, doc_of=t.doc_of(),
                          char_start=t.char_start, char_end=t.char_end, arrow=entry.text)

    return load, key


def _digest(kind: str, *parts: str | np.ndarray) -> str:
    """A digest of what a batch holds for one field (``Batch.digests``)."""
    h = hashlib.blake2b(kind.encode(), digest_size=20)
    for part in parts:
        h.update(b"|")
        h.update(part.encode() if isinstance(part, str)
                 else f"{part.dtype.str}{part.shape}".encode() + np.ascontiguousarray(part).data)
    return h.hexdigest()


def _objects_digest(col: ObjectColumn) -> str:
    names = "\x1f".join(col.names.tolist())
    attrs = [part for k in sorted(col.attrs) for part in (k, col.attrs[k])]
    return _digest("objects", names, col.x, col.y, col.w, col.h, col.offsets, col.image_w,
                   col.image_h, *attrs)


def normalized(text: pa.Array) -> pa.Array:
    """``data.normalize``'s text of each row of an Arrow text array: Python only for the rows
    that are not ASCII (normalization leaves ASCII as it is)."""
    ascii = pc.string_is_ascii(text).to_numpy(zero_copy_only=False)
    where = np.flatnonzero(~ascii)
    if not len(where):
        return text
    subset = text.take(pa.array(where))
    invisible = pc.match_substring_regex(subset, INVISIBLE_CLASS).to_numpy(zero_copy_only=False)
    before = subset.to_pylist()
    after = [normalize_text(v) if gone or not unicodedata.is_normalized("NFC", v) else v
             for v, gone in zip(before, invisible.tolist(), strict=True)]
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if not changed:
        return text
    mask = np.zeros(len(text), dtype=bool)
    mask[where[changed]] = True
    return text_array(pc.replace_with_mask(text, pa.array(mask),
                                           pa.array([after[i] for i in changed], pa.string())))


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
    # Per field, a digest of everything above that belongs to it (content, validity, kind; a
    # mention's includes its host's): what an LF's votes depend on (runtime.result_cache).
    digests: dict[str, str] = field(default_factory=dict)
    _ents: dict[str, EntityColumn] = field(default_factory=dict)  # named entities, on demand
    _occ: dict[tuple[str, ir.Expr], Occurrences] = field(default_factory=dict)
    _index: dict[tuple[str, bool], PhraseIndex] = field(default_factory=dict)
    _asked: dict[tuple[str, bool], int] = field(default_factory=dict)
    # The first token ids of the program's phrases of a case (``program_firsts``, asked on the
    # first query, so a run whose LF results are all cached loads no tokenizer; None: a batch
    # built without a program), and per (field, case) the index of their positions (None where
    # it would keep too much: ``KEPT_SHARE``).
    firsts: Callable[[bool], np.ndarray] | None = None
    _kept: dict[tuple[str, bool], PhraseIndex | None] = field(default_factory=dict)
    # Text columns not tokenized yet (``build_batch(lazy_text=True)``): loaded on first use.
    _pending: dict[str, Callable[[], TextColumn]] = field(default_factory=dict)

    def text(self, name: str) -> TextColumn:
        col = self.texts.get(name)
        if col is None:
            col = self.texts[name] = self._pending.pop(name)()
        return col

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
            ents = self._ents[name] = ner.recognize_column(self.text(name))
        return ents

    def phrase_ids(self, phrase: ir.Phrase) -> np.ndarray:
        return phrase_token_ids([phrase.text], phrase.case_sensitive, tokenizer().tokenizer).only()

    def occurrences(self, name: str, words: ir.Expr) -> Occurrences:
        key = (name, words)
        occ = self._occ.get(key)
        if occ is None:
            occ = merge_occurrences([self._find(name, case, ids)
                                     for case, ids in query_ids(words)])
            self._occ[key] = occ
        return occ

    def _find(self, name: str, case_sensitive: bool, ids: PhraseIds) -> Occurrences:
        """Occurrences of any of the phrases ``ids``: through the index of the program's phrases
        (``_kept_index``) where it covers them; else a word list in one pass
        (``primitives.phrases``), one phrase by a scan, or through the column's sorted index
        once the column has been asked about more than ``INDEX_AFTER`` phrases."""
        col = self.text(name)
        tokens = col.orth if case_sensitive else col.lower
        kept = self._kept_index(name, case_sensitive, col, tokens)
        if kept is not None:
            firsts = ids.firsts
            if kept.covers(firsts):
                if len(ids) == 1:
                    return kept.find(ids.only())
                return find_phrases(tokens, col.doc_of, ids.single, ids.longer,
                                    at=kept.starts_of(firsts))
        if len(ids) > 1:
            return find_phrases(tokens, col.doc_of, ids.single, ids.longer)
        where = (name, case_sensitive)
        index = self._index.get(where)
        if index is None:
            asked = self._asked[where] = self._asked.get(where, 0) + 1
            if asked <= INDEX_AFTER:
                return find_phrase(col, ids.only(), case_sensitive)
            index = self._index[where] = PhraseIndex(tokens, col.doc_of)
        return index.find(ids.only())


    def _kept_index(self, name: str, case_sensitive: bool, col: TextColumn,
                    tokens: np.ndarray) -> PhraseIndex | None:
        """The index of the positions of the program's phrases in a column (see ``firsts``),
        built on the column's first query."""
        where = (name, case_sensitive)
        if where not in self._kept:
            firsts = None if self.firsts is None else self.firsts(case_sensitive)
            kept = None
            if firsts is not None and len(firsts):
                kept = PhraseIndex(tokens, col.doc_of, firsts)
                if kept.size * KEPT_SHARE > len(tokens):
                    kept = None
            self._kept[where] = kept
        return self._kept[where]


def _text_values(series: pd.Series, name: str, base: int, problems: list[RowProblem]
                 ) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray]:
    """The field's text ("" where missing or not text; each such row a problem) and validity.
    A column already held by Arrow (pandas' default string dtype) stays Arrow: no Python string
    is made per row."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow" or \
            isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_string(
                series.dtype.pyarrow_dtype):
        arrow = pa.array(series.array)
        valid = arrow.is_valid().to_numpy(zero_copy_only=False)
        problems.extend(RowProblem(base + int(i) + 1, name, "is missing")
                        for i in np.flatnonzero(~valid))
        return arrow, valid
    values = series.to_numpy(dtype=object)
    valid = np.ones(len(values), dtype=bool)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # every value is a str
        return _encodable(values.tolist(), name, base, problems), valid
    out: list[str] = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
            continue
        out.append("")
        valid[i] = False
        missing = v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
        problems.append(RowProblem(base + i + 1, name,
                                   "is missing" if missing else f"is not text ({v!r})"))
    return _encodable(out, name, base, problems), valid


def _encodable(values: list[str], name: str, base: int, problems: list[RowProblem]) -> pa.Array:
    """The strings as Arrow text. A string with a lone surrogate (a JSON ``"\\ud800"`` escape
    decodes to one) has no UTF-8 form: it is read with U+FFFD in its place, and the row is
    reported (only then is any row looked at one by one)."""
    try:
        return pa.array(values, type=pa.string())
    except (UnicodeEncodeError, pa.ArrowInvalid):
        pass
    fixed = list(values)
    for i, v in enumerate(values):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            # Through UTF-16: a split surrogate pair is joined, a lone surrogate becomes U+FFFD.
            fixed[i] = v.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            problems.append(RowProblem(base + i + 1, name, "has surrogate code points (no "
                                       "UTF-8 form): a pair is read as its character, a lone "
                                       "one as U+FFFD"))
    return pa.array(fixed, type=pa.string())


def _normalized(name: str, df: pd.DataFrame, span_of: dict[str, str]) -> bool:
    """Whether rules see a text field normalized (``data.normalize``: no zero-width characters
    or BOMs, NFC): yes, unless a mention points into it by character offsets (they index the raw
    text)."""
    return not any(host == name and f"{m}_start" in df.columns for m, host in span_of.items())


def build_batch(df: pd.DataFrame, program: Program, schema: Schema, *, base: int = 0,
                problems: list[RowProblem] | None = None, jobs: int | None = None,
                cache: CacheChoice = FROM_ENV, lazy_text: bool = False) -> Batch:
    """Featurize the fields a program reads. ``base`` numbers rows for problem reports; ``jobs``
    worker processes tokenize (None: ``EXPLICATE_JOBS``, else one; the batch is the same
    whatever it is); text columns seen before come from ``cache`` (default: the environment's).
    With ``lazy_text`` a text field is tokenized (or loaded) when a kernel first reads it
    (``Batch.text``), so a run whose LF results are all cached tokenizes nothing; validity,
    digests and problems are the same either way."""
    problems = problems if problems is not None else []
    ner.require(program)  # entity types without the `ner` extra: say so before any work
    n = len(df)
    batch = Batch(n, firsts=lambda case: program_firsts(program)[case])
    span_of = {**schema.span_of, **program.spans}
    text_fields: dict[str, None] = {}
    for name, kind in program.field_kinds.items():
        if kind is FieldKind.SPAN:
            text_fields.setdefault(span_of[name], None)
        if kind in (FieldKind.TEXT, FieldKind.SPAN) and name in df.columns:
            text_fields.setdefault(name, None)
    strings: dict[str, TextInput] = {}
    normalize: dict[str, bool] = {}
    seen: dict[str, list[str]] = {}
    keys: dict[str, str] = {}  # content keys of the tokenized columns

    def text_of(name: str) -> list[str]:
        """The field's text as the rules see it (normalized where they see it normalized)."""
        if name not in seen:
            if name in batch.texts:
                seen[name] = batch.texts[name].arrow.to_pylist()
            else:  # not tokenized yet (lazy): normalize without tokenizing
                text = text_array(strings[name])
                seen[name] = (normalized(text) if normalize[name] else text).to_pylist()
        return seen[name]

    for name in text_fields:
        strings[name], batch.valids[name] = _text_values(df[name], name, base, problems)
        normalize[name] = _normalized(name, df, span_of)
        load, keys[name] = _pending(strings[name], None, normalize[name], jobs, cache)
        if lazy_text:
            batch._pending[name] = load
        else:
            batch.texts[name] = load()
        batch.digests[name] = _digest("text", keys[name], batch.valids[name])
    raw: dict[str, list[str]] = {}
    for name, kind in program.field_kinds.items():
        if kind is FieldKind.SPAN and name not in df.columns:
            # A mention given only by offsets: its own text is that slice of its host.
            host = text_of(span_of[name])
            starts, ends, _ = _mention_chars(df, name, None, host)
            raw[name] = [h[s:e] if s >= 0 else "" for h, s, e in
                         zip(host, starts.tolist(), ends.tolist(), strict=True)]
            batch.texts[name], keys[name] = _tokenized(raw[name], None, False, jobs, cache)
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
            batch.digests[name] = _digest("number", values)
        elif kind is FieldKind.OBJECTS:
            batch.objects[name], batch.valids[name] = object_column(df, name, base=base,
                                                                    problems=problems)
            batch.digests[name] = _digest("objects", _objects_digest(batch.objects[name]),
                                          batch.valids[name])
        elif kind is FieldKind.SPAN:
            parent = span_of[name]
            mention = raw[name] if name in raw else text_of(name) if name in text_fields \
                else None
            starts, ends, given = _mention_chars(df, name, mention, text_of(parent))
            span = locate_mentions(batch.text(parent), starts, ends, parent)
            batch.spans[name] = span
            valid = span.found & batch.valids[parent]
            if name in batch.valids:
                valid &= batch.valids[name]
            for i in np.flatnonzero(~span.found & batch.valids[parent]):
                where = "at the given offsets" if given else "in its text"
                problems.append(RowProblem(base + int(i) + 1, name,
                                           f"is not found {where} ('{parent}')"))
            batch.valids[name] = valid
            batch.digests[name] = _digest("span", parent, batch.digests[parent],
                                          keys.get(name, ""), span.start, span.end, span.found,
                                          valid)
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
