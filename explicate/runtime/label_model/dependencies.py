"""Dependent LFs: groups that count once, and pairs detected from the votes alone."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from explicate.runtime.label_model.design import Design

DETECT_ROWS = 30_000  # patterns sampled to look for dependencies


def _roots(m: int, dependencies: Sequence[tuple[int, int]] | None) -> np.ndarray:
    """int ``[m]``: the smallest LF of each LF's dependency group (union-find over the pairs)."""
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j in dependencies or ():
        i, j = int(i), int(j)
        if not (0 <= i < m and 0 <= j < m):
            raise ValueError(f"dependency ({i}, {j}) names an LF outside 0..{m - 1}")
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(a) for a in range(m)], dtype=np.int64)


def dependency_weights(m: int, dependencies: Sequence[tuple[int, int]] | None) -> np.ndarray:
    """Weight per LF: 1 / size of its group of mutually dependent LFs (connected components).

    A group of g LFs that copy one another carries about one LF's worth of evidence; weighting
    each member's log-likelihood by 1/g (a composite likelihood) counts the group once.
    """
    roots = _roots(m, dependencies)
    sizes = np.bincount(roots, minlength=m)
    return (1.0 / sizes[roots]).astype(np.float32)


def components(m: int, dependencies: Sequence[tuple[int, int]] | None) -> np.ndarray:
    """Bool ``[m, m]``: True where two different LFs are in one dependency group."""
    roots = _roots(m, dependencies)
    same = roots[:, None] == roots[None, :]
    np.fill_diagonal(same, False)
    return same


def detect_dependencies(
    d: Design,
    known: set[tuple[int, int]],
    seed: int = 0,
    *,
    min_ratio: float = 3.0,
    min_excess: float = 0.3,
) -> list[tuple[int, int]]:
    """Pairs of LFs that are correlated beyond what the class explains (robust, no fit needed),
    except the ``known`` ones.

    For class c let ``z_j = [LF j votes c]``. If LFs are independent given a binary class, the
    correlation of two such indicators factors as ``rho_ij = b_i b_j`` (each b_j: how strongly
    LF j tracks the class). Fitting ``log|rho_ij| = u_i + u_j`` by median polish ignores the
    few pairs that break the rule; a pair whose correlation is ``min_ratio`` times the fitted
    one and ``min_excess`` above it is flagged (the rule is exact for k = 2 and a one-vs-rest
    approximation beyond).
    """
    m, k = d.m, d.k
    if m < 4:
        return []
    d = d.subset(DETECT_ROWS, seed)  # correlations need far fewer rows than EM
    ov = d.overlaps().reshape(m, k, m, k) / d.n
    flagged = np.zeros((m, m), dtype=bool)
    noise = 4.0 / math.sqrt(max(d.n, 1.0))
    for c in range(k):
        flagged |= _flag_class(ov, c, d.n, noise, min_ratio, min_excess)
    flagged = np.triu(flagged | flagged.T, 1)
    return [
        (int(i), int(j))
        for i, j in zip(*np.nonzero(flagged), strict=True)
        if (int(i), int(j)) not in known
    ]


def _flag_class(
    ov: np.ndarray, c: int, n: float, noise: float, min_ratio: float, min_excess: float
) -> np.ndarray:
    """Bool ``[m, m]``: pairs whose indicators ``[votes c]`` correlate beyond the fitted rule."""
    m = ov.shape[0]
    f = ov[np.arange(m), c, np.arange(m), c]
    var = f * (1.0 - f)
    ok = (var > 1e-9) & (f * n >= 20)
    if ok.sum() < 4:
        return np.zeros((m, m), dtype=bool)
    C = ov[:, c, :, c] - np.outer(f, f)
    rho = C / np.sqrt(np.maximum(np.outer(var, var), 1e-18))
    valid = np.outer(ok, ok) & ~np.eye(m, dtype=bool)
    # Correlations under the noise level are kept at that level, not dropped: dropping
    # them would leave a weak LF with mostly its (strongly correlated) copies to fit.
    y = np.log(np.maximum(rho, noise))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # LFs without valid pairs
        u = 0.5 * np.nanmedian(np.where(valid, y, np.nan), axis=1)
        u = np.where(np.isfinite(u), u, 0.0)
        for _ in range(30):  # damped Jacobi median polish of y_ij = u_i + u_j
            new = np.nanmedian(np.where(valid, y - u[None, :], np.nan), axis=1)
            u = np.where(np.isfinite(new), 0.5 * (u + new), u)
    u = np.minimum(u, 0.0)  # a correlation is at most 1
    pred = np.exp(u[:, None] + u[None, :])
    return valid & (rho > noise) & (rho > min_ratio * pred) & (rho - pred > min_excess)
