"""``weighted_majority``: one accuracy per LF ("one-coin" Dawid-Skene, EM); votes weighted by
their log-odds."""

from __future__ import annotations

import math

import torch

from explicate.runtime.label_model.design import one_coin_theta
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models

EPS = 1e-6


def fit_one_coin(problem: FitProblem) -> tuple[torch.Tensor, torch.Tensor]:
    """EM for one accuracy per LF, errors spread evenly over the other classes: P(vote = y | y,
    votes) = alpha_j. Returns the confusions ``[m, k, k+1]`` and the class balance."""
    d, fixed_pi, opts = problem.design, problem.fixed_pi, problem.options
    k, m, dev = d.k, d.m, d.device
    wt = torch.from_numpy(problem.weights).to(dev)
    q = problem.majority_posteriors()
    pi = problem.uniform_prior()
    prev = -math.inf
    theta = torch.zeros(m, k, k + 1, device=dev)
    for _ in range(opts.max_iter):
        V = d.class_votes(q)  # [m, y, a]
        agree = V.diagonal(dim1=1, dim2=2).sum(1)
        votes = V.sum((1, 2))
        # Better than random (alpha >= 1/k), else the labels of an LF may flip meaning.
        alpha = ((agree + 1.0) / (votes + 2.0)).clamp(1.0 / k + 1e-3, 1 - EPS)
        if fixed_pi is None:
            pi = ((d.c[:, None] * q).sum(0) + 1.0) / (d.n + k)
        theta = one_coin_theta(alpha, k)
        W = (wt[:, None, None] * theta[:, :, :k].log()).permute(0, 2, 1).reshape(m * k, k)
        logits = d.logits(W, pi.log())
        ll = float((d.c * torch.logsumexp(logits, 1)).sum())
        q = torch.softmax(logits, 1)
        if ll - prev < opts.tol * d.n:
            break
        prev = ll
    return theta, pi


@label_models.register("weighted_majority")
class WeightedMajority:
    """Votes weighted by the log-odds of each LF's one-coin accuracy, learned by EM."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        theta, pi = fit_one_coin(problem)
        return Fitted(theta, pi)
