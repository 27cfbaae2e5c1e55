"""Full-batch training of the ``linear`` kind on the CPU: the noise-aware soft-label
cross-entropy over a ``scipy.sparse`` CSR design matrix, minimized with L-BFGS from its
analytic gradient.

The objective, for rows ``i`` with target distributions ``q_i`` and row weights ``s_i`` (1, or
the label model's confidence), is the one the minibatch torch path minimizes, plus an L2 term:

    f(W, b) = sum_i s_i CE(q_i, softmax(x_i W + b)) / sum_i s_i  +  l2/2 ||W||^2

with gradient ``X^T S (P - Q) / sum(s) + l2 W`` (``P`` the softmax; rows of ``Q`` need not sum to
one: the residual is ``P * sum(q) - q``). For two classes the model is parametrized by one weight
vector (``z = x w + b``, ``P = [1 - sigmoid(z), sigmoid(z)]``), which is the softmax model with
``W = [-w/2, w/2]`` and the same objective at ``l2_binary = l2 / 2``: half the work per step.

Only the buckets the training rows use are columns of ``X`` (:func:`design_matrix`); the others
keep weight 0, so a row of new data is scored by its training buckets alone
(:func:`map_columns`). The optimizer is a plain L-BFGS (:func:`lbfgs`) with scikit-learn's
``LogisticRegression(solver="lbfgs")`` stopping rule (gradient below ``tol``, or ``max_iter``
iterations); with a dev split, the iterate with
the best dev score is kept and the run stops after ``patience`` checks without improvement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from explicate.runtime.end_model.inputs import Bags

CHECK_EVERY = 5
"""L-BFGS iterations between two dev checks (each check is one 'epoch' of the history)."""


def design_matrix(bags: Bags, used: np.ndarray | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(X, used)``: CSR float64 ``[n, len(used)]`` of the bags, one column per used bucket
    (sorted). With ``used`` given (a trained model's), entries in other buckets are left out:
    their weight is 0 in the model, so the scores do not change."""
    index = bags.index
    if used is None:  # a bincount over the buckets, not a sort of the entries
        present = np.bincount(index, minlength=int(index.max(initial=-1)) + 1) > 0
        used = np.flatnonzero(present)
        cols = (np.cumsum(present) - 1)[index]
        data, indptr = bags.weights.astype(np.float64), bags.offsets
    else:
        cols, keep = map_columns(index, used)
        data = bags.weights.astype(np.float64)[keep]
        cols = cols[keep]
        kept = np.concatenate([[0], np.cumsum(keep)])
        indptr = kept[bags.offsets]
    x = sp.csr_matrix((data, cols.astype(np.int32), indptr.astype(np.int64)),
                      shape=(bags.n, len(used)))
    x.sum_duplicates()  # a word twice in a row is one entry: fewer entries per pass
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

    def __init__(self, theta: np.ndarray) -> None:
        super().__init__("patience exhausted")
        self.theta = theta


def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
          max_iter: int, gtol: float, callback: Callable[[np.ndarray], None] | None = None,
          memory: int = 10) -> tuple[np.ndarray, bool]:
    """Unconstrained L-BFGS (two-loop recursion, ``memory`` pairs) with a backtracking Armijo
    line search from the unit step; ``(x, converged)``. Converged: the largest gradient entry
    is at most ``gtol`` or an iteration lowers ``f`` by less than 64 machine epsilons
    (relative): scikit-learn's stopping rule for ``solver="lbfgs"``.

    Meant for smooth convex objectives (the L2 term makes ours strongly convex, so every step
    satisfies the curvature condition). Each iteration costs ``O(memory * size)`` in numpy
    vector operations beside the objective: scipy's L-BFGS-B spends about as much as one
    sparse pass per iteration on its bound handling, which this problem does not need.
    """
    ftol = 64 * np.finfo(float).eps
    x = x0.copy()
    f, g = fun(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    rho: list[float] = []
    for _ in range(max_iter):
        if float(np.abs(g).max()) <= gtol:
            return x, True
        q = g.copy()
        alphas = []
        for s_i, y_i, r_i in zip(reversed(s_hist), reversed(y_hist), reversed(rho), strict=True):
            a = r_i * float(s_i @ q)
            q -= a * y_i
            alphas.append(a)
        if s_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        else:  # first step: length 1 at most
            q *= min(1.0, 1.0 / max(float(np.abs(g).sum()), 1e-12))
        for s_i, y_i, r_i, a in zip(s_hist, y_hist, rho, reversed(alphas), strict=True):
            q += (a - r_i * float(y_i @ q)) * s_i
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction (rounding): start over from the gradient
            s_hist, y_hist, rho = [], [], []
            direction, slope = -g, -float(g @ g)
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            # Minimum of the quadratic through f, the slope and f_new, kept in [0.1, 0.5] step.
            denom = 2.0 * (f_new - f - step * slope)
            cut = -slope * step * step / denom if denom > 0 else 0.5 * step
            step = min(max(cut, 0.1 * step), 0.5 * step)
            if step < 1e-12:
                return x, False
        s_new, y_new = x_new - x, g_new - g
        sy = float(s_new @ y_new)
        if sy > 1e-12 * float(y_new @ y_new):
            s_hist.append(s_new)
            y_hist.append(y_new)
            rho.append(1.0 / sy)
            if len(s_hist) > memory:
                s_hist.pop(0), y_hist.pop(0), rho.pop(0)
        done = (f - f_new) <= ftol * max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if callback is not None:
            callback(x)
        if done:
            return x, True
    return x, float(np.abs(g).max()) <= gtol


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
    # Start from the class balance of the targets (the bias alone): fewer iterations.
    mean_q = np.clip((s[:, None] * q).sum(0) / max(float((s * qsum).sum()), 1e-12), 1e-6, 1.0)
    if binary:
        theta0[d] = np.log(mean_q[1]) - np.log(mean_q[0])
    else:
        theta0[d * k :] = np.log(mean_q) - np.log(mean_q).mean()
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
            raise _Stop(theta)

    converged = False
    theta = theta0
    try:
        theta, converged = lbfgs(objective, theta0, max_iter, tol, callback)
    except _Stop as stop:
        theta = stop.theta
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
