"""Full-batch training of the ``linear`` kind on the CPU: the noise-aware soft-label
cross-entropy over a ``scipy.sparse`` CSR design matrix, minimized with L-BFGS-B
(``scipy.optimize.minimize``) from its analytic gradient.

The objective, for rows ``i`` with target distributions ``q_i`` and row weights ``s_i`` (1, or
the label model's confidence), is the one the minibatch torch path minimizes, plus an L2 term:

    f(W, b) = sum_i s_i CE(q_i, softmax(x_i W + b)) / sum_i s_i  +  l2/2 ||W||^2

with gradient ``X^T S (P - Q) / sum(s) + l2 W`` (``P`` the softmax; rows of ``Q`` need not sum to
one: the residual is ``P * sum(q) - q``). For two classes the model is parametrized by one weight
vector (``z = x w + b``, ``P = [1 - sigmoid(z), sigmoid(z)]``), which is the softmax model with
``W = [-w/2, w/2]`` and the same objective at ``l2_binary = l2 / 2``: half the work per step.

Only the buckets the training rows use are columns of ``X`` (:func:`design_matrix`); the others
keep weight 0, so a row of new data is scored by its training buckets alone
(:func:`map_columns`). Stopping: scikit-learn's ``LogisticRegression(solver="lbfgs")`` rule
(projected gradient below ``tol``, or ``max_iter`` iterations); with a dev split, the iterate with
the best dev score is kept and the run stops after ``patience`` checks without improvement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from explicate.runtime.end_model.inputs import Bags

CHECK_EVERY = 5
"""L-BFGS iterations between two dev checks (each check is one 'epoch' of the history)."""


def design_matrix(bags: Bags, used: np.ndarray | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(X, used)``: CSR float64 ``[n, len(used)]`` of the bags, one column per used bucket
    (sorted). With ``used`` given (a trained model's), entries in other buckets are left out:
    their weight is 0 in the model, so the scores do not change."""
    index = bags.index
    if used is None:
        used, cols = np.unique(index, return_inverse=True)
        data, indptr = bags.weights.astype(np.float64), bags.offsets
    else:
        cols, keep = map_columns(index, used)
        data = bags.weights.astype(np.float64)[keep]
        cols = cols[keep]
        kept = np.concatenate([[0], np.cumsum(keep)])
        indptr = kept[bags.offsets]
    x = sp.csr_matrix((data, cols.astype(np.int32), indptr.astype(np.int64)),
                      shape=(bags.n, len(used)))
    return x, used


def map_columns(index: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column of each bucket in ``used`` (sorted) and whether it is there at all."""
    if not len(used):
        return np.zeros(len(index), dtype=np.int64), np.zeros(len(index), dtype=bool)
    pos = np.searchsorted(used, index)
    pos = np.minimum(pos, len(used) - 1)
    return pos, used[pos] == index


@dataclass
class Solution:
    """Weights in softmax form (``W [d, k]``, ``b [k]``) and how the run went."""

    W: np.ndarray
    b: np.ndarray
    iterations: int
    evaluations: int
    converged: bool
    history: list[dict[str, float]] = field(default_factory=list)
    best_check: int | None = None


class _Stop(Exception):
    """Raised by the dev check to end the run (patience exhausted)."""


def _softmax_form(theta: np.ndarray, d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    if k == 2:
        w, b = theta[:d], theta[d]
        return np.stack([-w / 2, w / 2], axis=1), np.array([-b / 2, b / 2])
    return theta[: d * k].reshape(d, k).copy(), theta[d * k :].copy()


def fit_lbfgs(x: sp.csr_matrix, q: np.ndarray, row_w: np.ndarray | None, l2: float,
              max_iter: int, *, tol: float = 1e-4,
              dev_score: Callable[[np.ndarray, np.ndarray], float] | None = None,
              patience: int = 5) -> Solution:
    """Minimize the objective of the module docstring; ``dev_score(W, b)`` (higher is better)
    is called every :data:`CHECK_EVERY` iterations where given."""
    n, d = x.shape
    k = q.shape[1]
    q = np.asarray(q, dtype=np.float64)
    s = np.ones(n) if row_w is None else np.asarray(row_w, dtype=np.float64)
    s = s / max(float(s.sum()), 1e-12)
    qsum = q.sum(1)
    xt = x.T.tocsr()  # X^T @ dense is fastest from CSR
    binary = k == 2
    lam = l2 / 2 if binary else l2
    y1 = q[:, 1] if binary else None
    evals = 0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evals
        evals += 1
        if binary:
            assert y1 is not None
            w = theta[:d]
            z = x @ w + theta[d]
            # CE with targets (q0, q1): qsum * log(1 + e^z) - q1 z, stably.
            loss_rows = qsum * np.logaddexp(0.0, z) - y1 * z
            p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow warnings
            r = s * (p * qsum - y1)
            grad = np.empty_like(theta)
            grad[:d] = xt @ r + lam * w
            grad[d] = r.sum()
            return float(s @ loss_rows + 0.5 * lam * (w @ w)), grad
        W = theta[: d * k].reshape(d, k)
        z = x @ W + theta[d * k :]
        z -= z.max(1, keepdims=True)
        ez = np.exp(z)
        norm = ez.sum(1, keepdims=True)
        logp = z - np.log(norm)
        loss = float(s @ -(q * logp).sum(1) + 0.5 * lam * (W * W).sum())
        r = s[:, None] * (ez / norm * qsum[:, None] - q)
        grad = np.empty_like(theta)
        grad[: d * k] = (xt @ r + lam * W).ravel()
        grad[d * k :] = r.sum(0)
        return loss, grad

    size = d + 1 if binary else (d + 1) * k
    theta0 = np.zeros(size)
    history: list[dict[str, float]] = []
    best: tuple[float, int, np.ndarray] | None = None
    iteration = 0

    def callback(theta: np.ndarray) -> None:
        nonlocal iteration, best
        iteration += 1
        if dev_score is None or iteration % CHECK_EVERY:
            return
        W, b = _softmax_form(theta, d, k)
        score = dev_score(W, b)
        check = len(history)
        history.append({"epoch": float(check + 1), "iterations": float(iteration),
                        "loss": float(objective(theta)[0]), "dev_score": score})
        if best is None or score > best[0] + 1e-6:
            best = (score, check, theta.copy())
        elif check - best[1] >= patience:
            raise _Stop

    converged = False
    theta = theta0
    try:
        res = scipy.optimize.minimize(
            objective, theta0, jac=True, method="L-BFGS-B", callback=callback,
            options={"maxiter": max_iter, "maxls": 50, "gtol": tol,
                     "ftol": 64 * np.finfo(float).eps})
        theta, converged = res.x, bool(res.success)
    except _Stop:
        pass
    best_check = None
    if dev_score is not None:
        W, b = _softmax_form(theta, d, k)
        score = dev_score(W, b)
        final_loss = float(objective(theta)[0])
        history.append({"epoch": float(len(history) + 1), "iterations": float(iteration),
                        "loss": final_loss, "dev_score": score})
        if best is None or score > best[0] + 1e-6:
            best = (score, len(history) - 1, theta)
        theta, best_check = best[2], best[1]
    else:
        history.append({"epoch": 1.0, "iterations": float(iteration),
                        "loss": float(objective(theta)[0])})
    W, b = _softmax_form(theta, d, k)
    return Solution(W, b, iteration, evals, converged, history, best_check)


def predict_logits(x: sp.csr_matrix, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x W + b`` (float64 ``[n, k]``)."""
    return np.asarray(x @ W) + b
