"""Label-model collapse warnings (issue 15): a model that predicts one class for nearly every row,
or does worse than majority vote on gold, is reported."""

from __future__ import annotations

import numpy as np

from explicate.runtime.label_model.warnings import collapse_warnings, worse_than_majority


def test_a_collapsed_model_is_reported() -> None:
    majority = np.array([0, 1] * 50)
    collapsed = np.ones(100, dtype=np.int64)
    (warning,) = collapse_warnings(collapsed, majority, ("HAM", "SPAM"), "triplets")
    assert "SPAM for 100%" in warning and "majority vote: 50%" in warning
    assert collapse_warnings(majority, majority, ("HAM", "SPAM"), "triplets") == []
    # a task that is that skewed by majority vote too is not a collapse
    assert collapse_warnings(collapsed, np.ones(100, dtype=np.int64), ("HAM", "SPAM"), "x") == []


def test_worse_than_majority_vote_is_reported() -> None:
    assert worse_than_majority(0.47, 0.8, "weighted_majority", "dev")
    assert worse_than_majority(0.79, 0.8, "weighted_majority", "dev") == []
    assert worse_than_majority(None, 0.8, "x", "dev") == []
