"""The bad-input corpus (tests/fixtures/bad_inputs/*.lf): each file's diagnostics, rendered, are
compared byte for byte with its ``.golden`` file. Regenerate after a deliberate change with
``EXPLICATE_UPDATE_GOLDEN=1 python -m pytest tests/test_bad_inputs.py`` and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from explicate.compiler import compile_rules
from explicate.errors import ExplicateError
from explicate.runtime.apply import load_rules

CORPUS = Path(__file__).parent / "fixtures" / "bad_inputs"
CASES = sorted(CORPUS.glob("*.lf"))


def rendered(name: str) -> str:
    """The diagnostics of the rule file ``name`` (in the current folder), rendered."""
    source = load_rules(name)
    with pytest.raises(ExplicateError) as info:
        compile_rules(source.rules, None, source.base_dir, source.syntax_errors)
    return str(info.value) + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input_gives_its_golden_diagnostics(path: Path, monkeypatch) -> None:
    monkeypatch.chdir(CORPUS)
    text = rendered(path.name)
    golden = path.with_suffix(".golden")
    if os.environ.get("EXPLICATE_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert "Traceback" not in text
    assert text == golden.read_text(encoding="utf-8")
