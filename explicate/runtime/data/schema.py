"""Each column's kind (text, number, mention, objects), inferred from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explicate.compiler.schema import FieldKind, Schema
from explicate.runtime.data.detections import is_objects_column

# A string column is taken as a mention of a text column when at least this share of its values
# occur inside that text in the same row (the rest are reported as bad rows when used).
MENTION_SHARE = 0.9


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


FIRST_PARSED = 1024
"""Values ``_mostly_numeric`` parses first; it parses twice as many each time after."""


def _mostly_numeric(s: pd.Series) -> bool:
    """A text column whose values are numbers but for a few bad rows (reported when used):
    at least ``MENTION_SHARE`` of its present values parse as numbers. Parsed piece by piece
    (pieces doubling) until the answer is settled whatever the rest hold, so a column of words
    stops after a few thousand values (parsing is ~3 µs a value)."""
    present = s.dropna()
    n = len(present)
    if not n:
        return False
    ok, done, size = 0, 0, FIRST_PARSED
    while done < n:
        piece = present.iloc[done : done + size]
        ok += int(pd.to_numeric(piece, errors="coerce").notna().sum())
        done += len(piece)
        size *= 2
        if ok / n >= MENTION_SHARE:  # already enough numbers
            return True
        if (ok + n - done) / n < MENTION_SHARE:  # not enough even if every other one is
            return False
    return ok / n >= MENTION_SHARE


def _strings(s: pd.Series) -> np.ndarray:
    values = s.to_numpy(dtype=object)
    return np.array([v if isinstance(v, str) else "" for v in values],
                    dtype=np.dtypes.StringDType())


def infer_schema(df: pd.DataFrame, declared_spans: dict[str, str] | None = None) -> Schema:
    """Each column's kind; mentions are declared (``spans:``) or found by containment."""
    declared = dict(declared_spans or {})
    kinds: dict[str, FieldKind] = {}
    other: list[str] = []
    for col in df.columns:
        name = str(col)
        if name.endswith(("_start", "_end")) and name.rsplit("_", 1)[0] in declared:
            other.append(name)
        elif df[col].dtype == object and is_objects_column(df[col]):
            kinds[name] = FieldKind.OBJECTS
        elif _is_numeric(df[col]) or _mostly_numeric(df[col]):
            kinds[name] = FieldKind.NUM
        else:
            kinds[name] = FieldKind.TEXT
    span_of: dict[str, str] = {}
    for span, text in declared.items():
        span_of[span] = text
        kinds[span] = FieldKind.SPAN
    text_cols = [c for c, k in kinds.items() if k is FieldKind.TEXT]
    if len(df) and len(text_cols) > 1:
        strings = {c: _strings(df[c]) for c in text_cols}
        lengths = {c: np.strings.str_len(v) for c, v in strings.items()}
        for cand in text_cols:
            best, best_share = None, 0.0
            for host in text_cols:
                if host == cand:
                    continue
                usable = (lengths[cand] > 0) & (lengths[host] > lengths[cand])
                if usable.mean() < MENTION_SHARE:
                    continue
                found = np.strings.find(strings[host], strings[cand]) >= 0
                share = float((found & usable).mean())
                if share >= MENTION_SHARE and share > best_share:
                    best, best_share = host, share
            if best is not None:
                span_of[cand] = best
                kinds[cand] = FieldKind.SPAN
    return Schema(kinds, span_of, tuple(other), tuple(str(c) for c in df.columns))
