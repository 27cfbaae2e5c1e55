"""Data formats: one reader per file suffix, in a registry.

A reader takes the path and the column names the user gave (``None``: the file names them) and
returns a DataFrame with every record as a row. Add a format with::

    @readers.register(".feather")
    def read_feather(path: Path, columns: Sequence[str] | None) -> pd.DataFrame: ...

Third-party packages can add readers through the ``explicate_readers`` entry-point group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import catalogue
import pandas as pd

from explicate.runtime.data.delimited import PROBLEMS, decode_utf8, read_delimited
from explicate.runtime.data.detections import coco_frame, is_coco
from explicate.runtime.data.problems import RowProblem, data_error

Reader = Callable[[Path, Sequence[str] | None], pd.DataFrame]

readers = catalogue.create("explicate", "readers", entry_points=True)

# Nested objects flatten to "a.b" columns this many levels deep; deeper values stay objects.
MAX_NESTING = 8


for _suffix in (".csv", ".tsv", ".txt"):
    readers.register(_suffix, func=read_delimited)


# A JSON escape of a UTF-16 surrogate ("\ud800"); json.loads joins a valid pair into one
# character, so a surrogate left in a string after loading is half a pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _mended(value: Any) -> tuple[Any, bool]:
    """The value with every lone surrogate in its strings replaced by U+FFFD (such strings have
    no UTF-8 form, so no text column could hold them), and whether any was."""
    if isinstance(value, str):
        return (_SURROGATE.sub("\ufffd", value), True) if _SURROGATE.search(value) else (value,
                                                                                       False)
    if isinstance(value, dict):
        items = {k: _mended(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(m for _, m in items.values())
    if isinstance(value, list):
        parts = [_mended(v) for v in value]
        return [v for v, _ in parts], any(m for _, m in parts)
    return value, False


def _frame(records: list[Any], p: Path, what: str, escapes: bool = False) -> pd.DataFrame:
    """Records (JSON objects) as rows; any other value is kept as a row of missing fields and
    reported by number, so rows still line up with the file. ``escapes``: the text held a
    surrogate escape, so strings are checked for lone surrogates (replaced and reported)."""
    problems: list[RowProblem] = []
    rows: list[dict[str, Any]] = []
    for number, rec in enumerate(records, start=1):
        if isinstance(rec, dict):
            if escapes:
                rec, mended = _mended(rec)
                if mended:
                    problems.append(RowProblem(number, "", "has half of a UTF-16 surrogate "
                                               "pair (a \\uD800-\\uDFFF escape without its "
                                               "partner); read as U+FFFD"))
            rows.append(rec)
        else:
            kind = "a JSON " + type(rec).__name__.replace("str", "string").replace("NoneType",
                                                                                  "null")
            problems.append(RowProblem(number, "", f"is {kind}, not an object ({what}); its "
                                       "fields are read as missing"))
            rows.append({})
    if records and len(problems) == len(records):
        raise data_error(f"'{p}' holds no records: every {what} is a {type(records[0]).__name__},"
                         " not an object", 'write records as {"text": "...", ...}')
    df = pd.json_normalize(rows, max_level=MAX_NESTING) if rows else pd.DataFrame()
    df.attrs[PROBLEMS] = problems
    return df


@readers.register(".jsonl")
def _read_jsonl(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One JSON object per line; a line that is not one is reported and kept as a row of missing
    fields (blank lines at the end of the file are not records)."""
    lines = decode_utf8(p).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    records: list[Any] = []
    problems: list[RowProblem] = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(RowProblem(number, "", f"is not JSON ({exc.msg} at column "
                                       f"{exc.colno}, line {number}); its fields are read as "
                                       "missing"))
            records.append({})
        except RecursionError:
            problems.append(RowProblem(number, "", f"is nested too deeply (line {number}); its "
                                       "fields are read as missing"))
            records.append({})
    if records and len(problems) == len(records):
        raise data_error(f"no line of '{p}' is a JSON object", *(str(x) for x in problems[:3]))
    df = _frame(records, p, "line", escapes=any(_SURROGATE_ESCAPE.search(ln) for ln in lines))
    df.attrs[PROBLEMS] = sorted([*problems, *df.attrs[PROBLEMS]], key=lambda x: x.row)
    return df


@readers.register(".json")
def _read_json(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    text = decode_utf8(p)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise data_error(f"'{p}' is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                         ) from None
    except RecursionError:
        raise data_error(f"'{p}' is nested too deeply to read") from None
    if is_coco(obj):
        return coco_frame(obj)
    if isinstance(obj, dict):
        # WRENCH layout: id -> {"label", "weak_labels", "data": {...}}; keep the id as a column.
        records: list[Any] = [{"id": k, **v} if isinstance(v, dict) else {"id": k, "value": v}
                              for k, v in obj.items()]
    elif isinstance(obj, list):
        records = obj
    else:
        raise data_error(f"'{p}' holds neither a list nor a mapping of records")
    df = _frame(records, p, "item", escapes=_SURROGATE_ESCAPE.search(text) is not None)
    # "data.text" -> "text" when unambiguous: users name the field, not the nesting.
    renames = {c: c.split(".", 1)[1] for c in df.columns if c.startswith("data.")}
    renames = {k: v for k, v in renames.items() if v not in df.columns}
    return df.rename(columns=renames)


@readers.register(".parquet")
def _read_parquet(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(p)


def reader_for(suffix: str) -> Reader:
    """The reader registered for a file suffix (``.csv``); a data error names the known ones."""
    try:
        reader: Reader = readers.get(suffix)
    except catalogue.RegistryError:
        known = ", ".join(sorted(readers.get_all()))
        raise data_error(f"unknown data format '{suffix}'", f"use {known}", code="E402") from None
    return reader

