"""``read_table``: a data file into a DataFrame, every record a row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from explicate.errors import DataError
from explicate.runtime.data.delimited import PROBLEMS
from explicate.runtime.data.formats import reader_for
from explicate.runtime.data.problems import RowProblem, data_error

DELIMITED = (".csv", ".tsv", ".txt")


def read_problems(df: pd.DataFrame) -> list[RowProblem]:
    """The records ``read_table`` could not read as they stand (kept as rows of missing fields)."""
    found = df.attrs.get(PROBLEMS, [])
    return list(found) if isinstance(found, list) else []


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a data file into a DataFrame: every record is a row, none is dropped.

    The format is chosen by suffix from ``formats.readers``: ``.csv``/``.tsv`` (header row unless
    ``columns`` are given), ``.jsonl`` (one object per line; nested objects flatten to ``a.b``),
    ``.json`` (a list of objects, COCO, or a WRENCH-style mapping ``id -> {"data": {...},
    "label": ...}``), ``.parquet``. A record that cannot be read as it stands (a CSV row with
    another number of fields, a JSONL line that is not an object) is kept as a row of missing
    fields and listed by :func:`read_problems`; applying rules reports it with the rest.
    """
    p = Path(path)
    if not p.is_file():
        raise data_error(f"data file '{path}' not found")
    suffix = p.suffix.lower()
    reader = reader_for(suffix)
    try:
        df = reader(p, columns)
    except DataError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, TypeError, KeyError,
            RecursionError) as exc:
        raise data_error(f"cannot read '{path}': {exc}") from None
    if columns and suffix not in DELIMITED:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise data_error(f"columns not in '{path}': {', '.join(missing)}", code="E403")
    names = [str(c) for c in df.columns]
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise data_error(f"column '{dupes[0]}' appears twice in '{path}'",
                         "give every column its own name", code="E403")
    problems = read_problems(df)
    out = df.reset_index(drop=True)
    out.attrs[PROBLEMS] = problems
    return out
