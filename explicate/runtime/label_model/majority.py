"""``majority``: the unweighted (dependency-weighted) vote; ties share the probability. The
one-coin EM still runs, so ``accuracies`` reports how accurate each LF looks."""

from __future__ import annotations

from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models
from explicate.runtime.label_model.weighted_majority import fit_one_coin


@label_models.register("majority")
class Majority:
    """Majority vote; each group of dependent LFs counts as one vote."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        theta, pi = fit_one_coin(problem)
        return Fitted(theta, pi, table="majority")
