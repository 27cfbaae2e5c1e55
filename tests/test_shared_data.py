"""The issue's spouse rules on the real Spouse task (skips when ../shared/data is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from explicate.runtime.apply import apply_file

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
SPOUSE_DEV = DATA / "spouse" / "dev.tsv"


@pytest.mark.skipif(not SPOUSE_DEV.is_file(), reason=f"shared data not found at {DATA} "
                    "(set EXPLICATE_DATA to the folder holding spouse/dev.tsv)")
def test_spouse_rules_on_real_candidates() -> None:
    applied = apply_file(ROOT / "examples/spouse/spouse.lf", SPOUSE_DEV,
                         columns=["sentence", "person1", "person2", "doc_id", "label"])
    L = applied.L
    assert L.shape == (2784, 5)
    # Mentions are located by string in (nearly) every passage; the rest are reported.
    assert len({p.row for p in applied.problems}) < 0.01 * len(L)
    coverage = (L != -1).mean(axis=0)
    assert 0.02 < coverage[0] < 0.2  # "wife" between the two people
    assert coverage[3] > 0.9  # person1 is capitalized
