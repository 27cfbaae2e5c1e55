"""Every text column of the shared data sets (WRENCH, Spouse, Disease) tokenized by batch
building and by the previous tokenizer (``benchmarks/old_tokens.py``): the arrays must be equal.

    PYTHONPATH=. .venv/bin/python benchmarks/tokens_identity.py

A text column is one ``read_table`` gives as strings. Each is checked raw and normalized, both
ways from what ``build_batch`` starts from (``features._text_values``: Arrow for pandas' string
columns) against the previous path (Python strings, ``normalize_texts``, ``old_tokens``), and
its tokens are checked once more against spaCy row by row on a sample. Prints one line per
column and exits 1 if any differs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from old_tokens import token_arrays as old_token_arrays  # noqa: E402

from explicate.runtime.data import read_table  # noqa: E402
from explicate.runtime.data.normalize import normalize_texts  # noqa: E402
from explicate.runtime.features import _text_values, tokenize_column  # noqa: E402
from explicate.runtime.tokens import tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", REPO.parent / "shared" / "data"))
FIELDS = ("lower", "orth", "offsets", "char_start", "char_end")


def data_files() -> list[Path]:
    found = sorted((DATA / "wrench").glob("*/*.json")) + sorted(DATA.glob("disease/*.tsv")) \
        + sorted(DATA.glob("spouse/*.tsv"))
    return [p for p in found if p.name not in ("label.json", "labeled_ids.json")]


def text_columns(df: pd.DataFrame) -> list[str]:
    return [str(c) for c in df.columns
            if pd.api.types.infer_dtype(df[c], skipna=True) in ("string", "mixed")
            and df[c].map(lambda v: isinstance(v, str)).any()]


def per_row_sample(strings: list[str], k: int = 300) -> list[tuple[int, list[tuple[int, int]]]]:
    tok = tokenizer().tokenizer
    step = max(1, len(strings) // k)
    return [(i, [(t.idx, t.idx + len(t.text)) for t in tok(strings[i]) if not t.is_space])
            for i in range(0, len(strings), step)]


def check(series: pd.Series, name: str) -> tuple[bool, int, int]:
    values, _valid = _text_values(series, name, 0, [])
    plain = [v if isinstance(v, str) else "" for v in series.to_numpy(dtype=object)]
    ok, tokens = True, 0
    for normalize in (False, True):
        seen = normalize_texts(plain) if normalize else plain
        new = tokenize_column(values, normalize=normalize, cache=None)
        old = old_token_arrays(seen)
        ok &= all(np.array_equal(getattr(new, f), getattr(old, f)) for f in FIELDS)
        ok &= new.arrow.to_pylist() == seen
        for i, spans in per_row_sample(seen):
            lo, hi = new.offsets[i], new.offsets[i + 1]
            ok &= list(zip(new.char_start[lo:hi].tolist(), new.char_end[lo:hi].tolist(),
                           strict=True)) == spans
        tokens = len(new.lower)
    return bool(ok), len(plain), tokens


def main() -> int:
    bad = 0
    files = data_files()
    if not files:
        print(f"no data under {DATA}")
        return 2
    for path in files:
        df = read_table(path)
        for col in text_columns(df):
            ok, rows, tokens = check(df[col], col)
            bad += not ok
            label = col if len(col) <= 40 else col[:37] + "..."
            print(f"{'same' if ok else 'DIFFERENT'}  {path.relative_to(DATA)} [{label}] "
                  f"({df[col].dtype}): {rows:,} rows, {tokens:,} tokens")
    print("all identical" if not bad else f"{bad} column(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
