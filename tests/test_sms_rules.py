"""The WRENCH SMS rules (examples/sms/sms.lf) reproduce the data set's published weak labels.

The 73 rules are listed as regexes in ``wrench/sms/readme.txt``; sms.lf transcribes them into
token-level DSL constructs. Agreement = share of the union of non-abstain cells (either side votes)
whose votes are identical.

The published ``weak_labels`` of train are exactly what the readme regexes give on the train texts,
but those of valid and test are not aligned with their texts (the regexes themselves reproduce only
~8% of them), so train is compared with the published labels and all three splits with the readme
regexes re-run on the text; see the comment block at the top of sms.lf.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from explicate.ir import ABSTAIN
from explicate.runtime.apply import apply_rules
from explicate.runtime.data import read_table

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "examples" / "sms" / "sms.lf"
DATA = Path(os.environ.get("EXPLICATE_DATA", REPO.parent / "shared" / "data")) / "wrench" / "sms"
SPLITS = ("train", "valid", "test")
LABELS = {"ham": 0, "spam": 1}

pytestmark = pytest.mark.skipif(
    not all((DATA / f).is_file() for f in ("readme.txt", "train.json", "valid.json", "test.json")),
    reason=f"WRENCH SMS data not found in {DATA} (set EXPLICATE_DATA to the folder with wrench/)",
)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    voted = (a != ABSTAIN) | (b != ABSTAIN)
    return float((a == b)[voted].mean())


@cache
def readme_rules() -> tuple[tuple[int, re.Pattern[str]], ...]:
    lines = (DATA / "readme.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t", 2) for line in lines if line.startswith(("ham\t", "spam\t"))]
    return tuple((LABELS[label], re.compile(regex)) for label, regex, *_ in rows)


@cache
def split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(L from sms.lf, published weak_labels, the readme regexes re-run on the text)."""
    df = read_table(DATA / f"{name}.json")
    applied = apply_rules(RULES.read_text(encoding="utf-8"), df, base_dir=RULES.parent)
    assert not applied.problems
    published = np.array(df["weak_labels"].tolist(), dtype=np.int64)
    rules = readme_rules()
    regex = np.full((len(df), len(rules)), ABSTAIN, dtype=np.int64)
    for j, (label, pattern) in enumerate(rules):
        hits = [pattern.search(t) is not None for t in df["text"]]
        regex[np.asarray(hits, dtype=bool), j] = label
    return applied.L.astype(np.int64), published, regex


def stacked(which: int) -> np.ndarray:
    return np.vstack([split(s)[which] for s in SPLITS])


def test_one_lf_per_rule_with_its_label() -> None:
    L, published, regex = split("train")
    assert L.shape[1] == published.shape[1] == len(readme_rules()) == 73
    for j, (label, _) in enumerate(readme_rules()):
        assert set(np.unique(L[:, j])) <= {ABSTAIN, label}, f"LF {j} votes the wrong label"


def test_train_reproduces_published_weak_labels() -> None:
    L, published, regex = split("train")
    assert agreement(regex, published) == 1.0  # the readme regexes are the published train LFs
    assert agreement(L, published) >= 0.97


def test_all_splits_reproduce_the_readme_rules() -> None:
    assert agreement(stacked(0), stacked(2)) >= 0.97


def test_all_splits_as_close_to_published_as_the_rules_themselves() -> None:
    # valid/test published weak labels do not belong to their rows (≈74% is the ceiling that the
    # exact regexes reach on train+valid+test); the DSL must not fall far below that ceiling.
    ceiling = agreement(stacked(2), stacked(1))
    assert agreement(stacked(0), stacked(1)) >= ceiling - 0.03
