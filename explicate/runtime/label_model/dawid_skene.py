"""``dawid_skene``: a full confusion matrix per LF (abstaining as one more outcome), by EM;
abstains shape the posterior only with ``abstain="informative"``."""

from __future__ import annotations

import math

import torch

from explicate.runtime.label_model.design import Design
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models


def confusion_prior(k: int, device: torch.device) -> torch.Tensor:
    """Dirichlet pseudo-counts ``[k, k+1]`` for the confusions: 1 on the diagonal and for
    abstaining, 0.1 for each error (LFs are assumed better than random to start with)."""
    prior = torch.full((k, k + 1), 0.1, device=device)
    prior[:, k] = 1.0
    prior.diagonal()[:] = 1.0
    return prior


def fit_dawid_skene(
    problem: FitProblem, fixed_pi: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """EM started from (dependency-weighted) majority vote; returns the confusions
    ``[m, k, k+1]`` (last column: abstain), the class balance and the iterations run.
    ``fixed_pi`` (else estimated) may differ from ``problem.fixed_pi`` (``auto``'s prior)."""
    d, opts = problem.design, problem.options
    informative = opts.abstain == "informative"
    wt = torch.from_numpy(problem.weights).to(d.device)
    prior = confusion_prior(d.k, d.device)
    q = problem.majority_posteriors()
    theta, pi = ds_mstep(d, q, prior)
    if fixed_pi is not None:
        pi = fixed_pi
    prev = -math.inf
    it = 0
    for it in range(1, opts.max_iter + 1):  # noqa: B007
        logits = ds_logits(d, theta, pi, wt, informative)
        ll = float((d.c * torch.logsumexp(logits, 1)).sum())
        q = torch.softmax(logits, 1)
        theta, pi_new = ds_mstep(d, q, prior)
        if fixed_pi is None:
            pi = pi_new
        if ll - prev < opts.tol * d.n:
            break
        prev = ll
    return theta, pi, it


def ds_mstep(d: Design, q: torch.Tensor, prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Confusions ``[m, k, k+1]`` (last column: abstain) and class balance from posteriors."""
    k = d.k
    V = d.class_votes(q)  # [m, y, a]
    T = (d.c[:, None] * q).sum(0)  # [y]
    abstain = (T[None, :] - V.sum(2)).clamp_min(0.0)
    counts = torch.cat([V, abstain[:, :, None]], dim=2) + prior
    theta = counts / counts.sum(2, keepdim=True)
    # Better than random: an LF votes a at least as often when the class is a as when it is
    # not (P(a | a) >= P(a | y)). Without it, an LF that only ever votes one class fits as
    # well with its meaning flipped and EM can slide into that mirror solution.
    own = theta[:, :, :k].diagonal(dim1=1, dim2=2)  # [m, a]: P(vote a | y = a)
    votes = torch.minimum(theta[:, :, :k], own[:, None, :])
    theta = torch.cat([votes, 1.0 - votes.sum(2, keepdim=True)], dim=2).clamp_min(0.0)
    pi = (T + 1.0) / (d.n + k)
    return theta, pi


def ds_logits(
    d: Design, theta: torch.Tensor, pi: torch.Tensor, wt: torch.Tensor, informative: bool
) -> torch.Tensor:
    """Log joint ``[p, k]`` of each pattern and class under abstain-aware confusions."""
    k, m = d.k, d.m
    lt = theta.clamp_min(1e-30).log() * wt[:, None, None]  # [m, y, a]
    if not informative:
        W = lt[:, :, :k].permute(0, 2, 1).reshape(m * k, k)
        return d.logits(W, pi.log())
    bias = pi.log() + lt[:, :, k].sum(0)
    W = (lt[:, :, :k] - lt[:, :, k : k + 1]).permute(0, 2, 1).reshape(m * k, k)
    return d.logits(W, bias)


@label_models.register("dawid_skene")
class DawidSkene:
    """Full confusion matrices by EM, started from majority vote."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        theta, pi, it = fit_dawid_skene(problem, problem.fixed_pi)
        informative = problem.options.abstain == "informative"
        return Fitted(theta, pi, informative=informative, info={"iterations": it})
