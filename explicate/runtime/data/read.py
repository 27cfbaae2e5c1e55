"""``read_table``: a data file into a DataFrame, every record a row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from explicate.errors import DataError
from explicate.runtime.data.formats import reader_for
from explicate.runtime.data.problems import data_error

DELIMITED = (".csv", ".tsv", ".txt")


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a data file into a DataFrame (all rows kept; problems are reported when applying).

    The format is chosen by suffix from ``formats.readers``: ``.csv``/``.tsv`` (header row unless
    ``columns`` are given), ``.jsonl`` (one object per line; nested objects flatten to ``a.b``),
    ``.json`` (a list of objects, COCO, or a WRENCH-style mapping ``id -> {"data": {...},
    "label": ...}``), ``.parquet``.
    """
    p = Path(path)
    if not p.is_file():
        raise data_error(f"data file '{path}' not found")
    suffix = p.suffix.lower()
    reader = reader_for(suffix)
    try:
        df = reader(p, columns)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise data_error(f"cannot read '{path}': {exc}") from None
    if columns and suffix not in DELIMITED:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise data_error(f"columns not in '{path}': {', '.join(missing)}", code="E403")
    return df.reset_index(drop=True)
