"""``auto``: finds dependent LFs (robust correlation test) and counts each group once, then
Dawid-Skene EM under a uniform class prior (or the given class balance); where under
``min_overlap`` (35%) of covered rows carry two votes (little agreement to learn from) the
(dependency-weighted) majority decides and the learned model breaks its ties."""

from __future__ import annotations

import torch

from explicate.runtime.label_model.dawid_skene import fit_dawid_skene
from explicate.runtime.label_model.design import Design, mv_init
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models

PRIORS: tuple[str, ...] = ("tempered", "estimate", "uniform")
"""Class prior of ``auto`` when no class balance is given: the majority-vote estimate
(``estimate``), none (``uniform``, as Snorkel), or their geometric mean (``tempered``)."""


def overlap_rate(d: Design) -> float:
    """Share of the covered rows on which two or more LFs vote: the agreement evidence."""
    nvotes = d.votes_per_pattern()
    covered = float(d.c[nvotes > 0].sum())
    return float(d.c[nvotes > 1].sum()) / covered if covered > 0 else 0.0


def majority_balance(problem: FitProblem) -> torch.Tensor:
    """Class balance estimated as the mean soft majority vote over the covered rows."""
    d = problem.design
    q = mv_init(d, None, problem.weights)
    covered = d.votes_per_pattern() > 0
    mass = (d.c[covered, None] * q[covered]).sum(0)
    return (mass + 1.0) / (mass.sum() + d.k)


def auto_prior(estimate: torch.Tensor, prior: str) -> torch.Tensor:
    """The class prior of ``auto`` from the majority-vote estimate, per ``prior``."""
    if prior == "estimate":
        return estimate
    if prior == "uniform":
        return torch.full_like(estimate, 1.0 / estimate.shape[0])
    tempered = estimate.sqrt()
    return tempered / tempered.sum()


@label_models.register("auto")
class Auto:
    """Dependency-aware Dawid-Skene, or majority vote with learned tie-breaks at low overlap."""

    detect_dependencies = True

    def fit(self, problem: FitProblem) -> Fitted:
        opts = problem.options
        overlap = overlap_rate(problem.design)
        estimate = majority_balance(problem)
        info = {
            "overlap_rate": round(overlap, 4),
            "estimated_class_balance": [round(float(x), 4) for x in estimate.tolist()],
        }
        # The majority-vote estimate of the class balance leans towards the classes that
        # broad, noisy LFs vote, and as a prior it tilts every row that way; a uniform prior
        # ignores real imbalance (and sends rows without votes to class 0). "tempered", the
        # default, takes the geometric mean of the two. EM's own estimate can collapse.
        pi_fix = problem.fixed_pi
        if pi_fix is None:
            pi_fix = auto_prior(estimate, opts.prior)
        theta, pi, it = fit_dawid_skene(problem, pi_fix)
        info["iterations"] = it
        # Too little agreement to trust learned weights over vote counts: the
        # (dependency-weighted) majority decides, the learned model only breaks its ties.
        low = overlap < opts.min_overlap
        info["chosen"] = "majority, ties by dawid_skene" if low else "dawid_skene"
        informative = opts.abstain == "informative"
        return Fitted(theta, pi, informative=informative,
                      table="vote_first" if low else "learned", info=info)
