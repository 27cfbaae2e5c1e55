"""``infer_schema``'s numeric check parses a text column piece by piece and stops once the
answer is settled: it must give the answer of parsing every value."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from explicate.runtime.data import MENTION_SHARE
from explicate.runtime.data import schema as schema_mod


def whole(s: pd.Series) -> bool:
    """The specification: every present value parsed at once."""
    present = s.dropna()
    return bool(len(present)) and bool(
        pd.to_numeric(present, errors="coerce").notna().mean() >= MENTION_SHARE)


values = st.one_of(st.integers(-999, 999).map(str), st.sampled_from(["x", "n/a", "1e3", " 7 ",
                                                                      "inf", "", "3.5", None]))


@settings(max_examples=150, deadline=None)
@given(st.lists(values, max_size=60), st.integers(1, 8))
def test_piecewise_numeric_check_is_the_whole_check(column: list[str | None], first: int) -> None:
    schema_mod.FIRST_PARSED, saved = first, schema_mod.FIRST_PARSED  # small pieces: many steps
    try:
        s = pd.Series(column, dtype=object)
        assert schema_mod._mostly_numeric(s) == whole(s)
    finally:
        schema_mod.FIRST_PARSED = saved


def test_boundary_shares_and_a_long_word_column() -> None:
    for bad in (0, 1, 10, 11, 100):
        s = pd.Series([str(i) for i in range(100 - bad)] + ["word"] * bad)
        assert schema_mod._mostly_numeric(s) == whole(s) == (bad <= 10)
    words = pd.Series([f"w{i}" for i in range(30_000)])
    assert not schema_mod._mostly_numeric(words)
    numbers = pd.Series([str(i) for i in range(30_000)] + ["x"] * 3000)
    assert schema_mod._mostly_numeric(numbers)
