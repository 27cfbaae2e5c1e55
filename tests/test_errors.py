"""The diagnostic code table: every code the package raises is listed, and unknown ones refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explicate.errors import CODES, Diagnostic

PACKAGE = Path(__file__).resolve().parents[1] / "explicate"


def test_every_code_in_the_source_is_in_the_table() -> None:
    used = {m for p in PACKAGE.rglob("*.py") for m in re.findall(r'"(E\d{3})"', p.read_text())}
    assert used, "no codes found: the scan is broken"
    assert used <= set(CODES), sorted(used - set(CODES))


def test_a_code_outside_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not in errors.CODES"):
        Diagnostic("E999", "made up")
    assert Diagnostic("E201", "unknown field 'x'").meaning == "unknown field"
