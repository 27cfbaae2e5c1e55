"""``matrix_completion``: Snorkel/MeTaL style; fit the confusion matrices to the LF overlap
matrix (second moments), masking dependent pairs."""

from __future__ import annotations

import torch

from explicate.runtime.label_model.dawid_skene import confusion_prior, ds_mstep
from explicate.runtime.label_model.dependencies import components
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models


def fit_matrix_completion(problem: FitProblem) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit confusions so that ``mu diag(pi) mu^T`` matches the overlap matrix.

    ``mu[(j, a), y] = P(LF j votes a | y)``; the loss covers every pair of LFs not known to
    be dependent, plus the first moments ``P(LF j votes a) = mu pi``. Started from the
    majority-vote estimate (which also fixes the class permutation), solved with L-BFGS.
    """
    d, fixed_pi = problem.design, problem.fixed_pi
    m, k, dev = d.m, d.k, d.device
    _, _, ov_np = d.pairwise()
    ov = torch.tensor(ov_np / d.n, dtype=torch.float32, device=dev)
    first = ov.diagonal().clone()
    blocks = ~torch.tensor(components(m, problem.dependencies), device=dev)
    blocks.fill_diagonal_(False)
    mask = blocks.repeat_interleave(k, 0).repeat_interleave(k, 1).float()
    theta0, pi0 = ds_mstep(d, problem.majority_posteriors(), confusion_prior(k, dev))
    Z = theta0.log().clone().requires_grad_(True)
    zeta = (fixed_pi if fixed_pi is not None else pi0).log().clone()
    zeta.requires_grad_(fixed_pi is None)
    params = [Z, zeta] if fixed_pi is None else [Z]

    def objective() -> torch.Tensor:
        theta = torch.softmax(Z, 2)
        pi = torch.softmax(zeta, 0)
        mu = theta[:, :, :k].permute(0, 2, 1).reshape(m * k, k)
        resid = (ov - (mu * pi) @ mu.T) * mask
        return resid.square().sum() + (first - mu @ pi).square().sum()

    with torch.no_grad():
        scale = 1.0 / max(float(objective()), 1e-12)
    opt = torch.optim.LBFGS(
        params, lr=1.0, max_iter=300, tolerance_grad=1e-9, tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = objective() * scale
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        theta = torch.nan_to_num(torch.softmax(Z, 2), nan=1.0 / (k + 1))
        pi = fixed_pi if fixed_pi is not None else torch.softmax(zeta, 0)
    return theta.detach(), pi.detach()


@label_models.register("matrix_completion")
class MatrixCompletion:
    """Confusions fitted to the second moments of the votes (abstaining is informative)."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        theta, pi = fit_matrix_completion(problem)
        return Fitted(theta, pi, informative=True)
