"""``triplets``: FlyingSquid-style closed form; each LF's accuracy from triples of pairwise
agreement rates (the one-coin multiclass extension)."""

from __future__ import annotations

import numpy as np
import torch

from explicate.runtime.label_model.dependencies import components
from explicate.runtime.label_model.design import Design, one_coin_theta
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models


def triplet_strengths(M: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """float ``[m]``: ``|s_i|`` as the median over valid triples of ``sqrt(M_ij M_il / M_jl)``
    (NaN where an LF has no valid triple)."""
    m = M.shape[0]
    s = np.full(m, np.nan)
    for i in range(m):
        js = np.flatnonzero(valid[i])
        if js.shape[0] < 2:
            continue
        Mi = M[i, js]
        Mjl = M[np.ix_(js, js)]
        ok = valid[np.ix_(js, js)] & (np.abs(Mjl) > 1e-3)
        ok &= np.triu(np.ones_like(ok), 1).astype(bool)
        if not ok.any():
            continue
        est = np.sqrt(np.abs(Mi[:, None] * Mi[None, :] / np.where(ok, Mjl, 1.0)))[ok]
        s[i] = float(np.median(np.clip(est, 0.0, 1.0)))
    return s


def fit_triplets(problem: FitProblem) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form one-coin accuracies from agreement rates.

    With accuracy alpha and uniform errors, two independent LFs agree (where both vote) with
    rate ``1/k + (k-1)/k * s_i s_j`` where ``s = (k alpha - 1)/(k-1)``; so
    ``|s_i| = sqrt(M_ij M_il / M_jl)`` for any third and fourth LF, ``M = (k rate - 1)/(k-1)``.
    Each LF takes the median over all valid triples.
    """
    d = problem.design
    m, k = d.m, d.k
    B, A, _ = d.pairwise()
    valid = (B >= 10.0) & ~components(m, problem.dependencies)
    np.fill_diagonal(valid, False)
    M = np.where(valid, (k * A / np.maximum(B, 1.0) - 1.0) / (k - 1), np.nan)
    s = triplet_strengths(M, valid)
    fallback = float(np.nanmedian(s)) if np.isfinite(s).any() else 0.5
    s = np.where(np.isfinite(s), s, fallback)
    # Sign: an LF that agrees with the others less than chance is worse than chance.
    sign = np.sign(np.where(valid, M, 0.0) @ s)
    s = np.where(sign < 0, -s, s)
    alpha = np.clip((1.0 + (k - 1) * s) / k, 1e-3, 1 - 1e-3)
    theta = one_coin_theta(torch.tensor(alpha, dtype=torch.float32, device=d.device), k)
    if problem.fixed_pi is not None:
        return theta, problem.fixed_pi
    return theta, _balance_fixed_point(d, theta)


def _balance_fixed_point(d: Design, theta: torch.Tensor, steps: int = 30) -> torch.Tensor:
    """The class balance as the fixed point of the mean posterior under ``theta``."""
    m, k = d.m, d.k
    W = theta[:, :, :k].log().permute(0, 2, 1).reshape(m * k, k)
    pi = torch.full((k,), 1.0 / k, device=d.device)
    for _ in range(steps):
        q = torch.softmax(d.logits(W, pi.log()), 1)
        pi = ((d.c[:, None] * q).sum(0) + 1.0) / (d.n + k)
    return pi


@label_models.register("triplets")
class Triplets:
    """One-coin accuracies in closed form from agreement rates (no EM)."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        theta, pi = fit_triplets(problem)
        return Fitted(theta, pi)
