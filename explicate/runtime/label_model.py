"""Label models: learn how accurate each LF is from their agreements alone, then vote by it.

``LabelModel(cardinality=k).fit(L)`` turns a label matrix ``L`` (n x m, ``ABSTAIN = -1``) into
probabilistic labels ``predict_proba(L) -> float32[n, k]`` without any gold label. Every method
describes the votes with the same generative picture (a class ``Y`` drawn with the class balance,
then each LF voting independently given ``Y``, dependent LFs down-weighted) and differs in how it
estimates the LF parameters:

``majority``           unweighted vote; ties share the probability.
``weighted_majority``  one accuracy per LF ("one-coin" Dawid-Skene, EM); votes weighted by log-odds.
``dawid_skene``        a full confusion matrix per LF (abstain as one outcome), fitted by EM;
                       abstains shape the posterior only with ``abstain="informative"``.
``matrix_completion``  Snorkel/MeTaL style: fit the confusion matrices to the LF overlap matrix
                       (second moments), masking dependent pairs.
``triplets``           FlyingSquid style closed form: each LF's accuracy from triples of pairwise
                       agreement rates (the one-coin multiclass extension).
``auto``               finds dependent LFs (robust correlation test) and counts each group
                       once, then Dawid-Skene EM under a uniform class prior (or the given
                       class balance); where under 35% of covered rows carry two votes (little
                       agreement to learn from) the (dependency-weighted) majority decides and
                       the learned model breaks its ties. Figures: benchmarks/LABEL_MODELS.md.

Fitting works on sufficient statistics (:class:`VoteStats`: unique vote patterns with counts), so
its cost grows with the number of distinct patterns, capped at ``max_patterns`` by a seeded,
count-weighted sample; prediction is one embedding-bag lookup per row. All math is float32 torch
on ``device`` ("auto": CUDA when present).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from explicate.runtime.device import resolve_device
from explicate.runtime.label_stats import (
    ABSTAIN,
    VoteStats,
    check_cardinality,
    compress_for_fit,
    covered_mask,
    iter_chunks,
    shape_of,
)
from explicate.runtime.matrix import argmax_ties
from explicate.runtime.metrics import score_predictions

__all__ = [
    "ABSTAIN",
    "METHODS",
    "LabelModel",
    "VoteStats",
    "covered_mask",
    "fit_label_model_cli",
    "score_predictions",
]

Method = Literal[
    "auto", "majority", "weighted_majority", "dawid_skene", "matrix_completion", "triplets"
]
METHODS: tuple[str, ...] = (
    "auto",
    "majority",
    "weighted_majority",
    "dawid_skene",
    "matrix_completion",
    "triplets",
)
TieBreak = Literal["abstain", "random", "first"]
PRIORS: tuple[str, ...] = ("tempered", "estimate", "uniform")
"""Class prior of ``auto`` when no class balance is given: the majority-vote estimate
(``estimate``), none (``uniform``, as Snorkel), or their geometric mean (``tempered``)."""

_MV_SCALE = 40.0  # a vote's logit in majority vote: exp(-40) ~ 0, so ties share exactly
_EPS = 1e-6
_DETECT_ROWS = 30_000  # patterns sampled to look for dependencies
_PREDICT_ROWS = 1 << 14  # rows per prediction step: small temporaries, little malloc growth
_FORMAT = "explicate.label_model/1"


def dependency_weights(m: int, dependencies: Sequence[tuple[int, int]] | None) -> np.ndarray:
    """Weight per LF: 1 / size of its group of mutually dependent LFs (connected components).

    A group of g LFs that copy one another carries about one LF's worth of evidence; weighting
    each member's log-likelihood by 1/g (a composite likelihood) counts the group once.
    """
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
    roots = np.array([find(a) for a in range(m)])
    sizes = np.bincount(roots, minlength=m)
    return (1.0 / sizes[roots]).astype(np.float32)


def _components(m: int, dependencies: Sequence[tuple[int, int]] | None) -> np.ndarray:
    """Bool ``[m, m]``: True where two different LFs are in one dependency group."""
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for i, j in dependencies or ():
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([find(a) for a in range(m)])
    same = roots[:, None] == roots[None, :]
    np.fill_diagonal(same, False)
    return same


class _Design:
    """The fit data on the device: one-hot votes of the patterns as sparse CSR, with weights.

    ``X`` is ``[p, m*k]`` (column ``j*k + a`` is 1 where LF j votes a), ``XT`` its transpose and
    ``c`` the number of rows each pattern stands for; ``n`` is their sum.
    """

    def __init__(self, patterns: np.ndarray, weights: np.ndarray, k: int, dev: torch.device):
        p, m = patterns.shape
        self.p, self.m, self.k = p, m, k
        self.patterns = patterns
        # int32 indices: half the memory of int64, and torch's CSR kernels take them.
        rows, cols = (a.astype(np.int32) for a in np.nonzero(patterns != ABSTAIN))
        colidx = cols * np.int32(k) + patterns[rows, cols].astype(np.int32)
        del cols
        crow = np.zeros(p + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=p), out=crow[1:])
        small = np.int16 if m * k < 2**15 else np.int32  # numpy radix-sorts 16-bit keys
        order = np.argsort(colidx.astype(small), kind="stable")
        crow_t = np.zeros(m * k + 1, dtype=np.int32)
        np.cumsum(np.bincount(colidx, minlength=m * k), out=crow_t[1:])
        ones = torch.ones(rows.shape[0], dtype=torch.float32, device=dev)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            self.X = torch.sparse_csr_tensor(
                torch.from_numpy(crow).to(dev),
                torch.from_numpy(colidx).to(dev),
                ones,
                size=(p, m * k),
            )
            self.XT = torch.sparse_csr_tensor(
                torch.from_numpy(crow_t).to(dev),
                torch.from_numpy(rows[order]).to(dev),
                ones,
                size=(m * k, p),
            )
        del order
        self.c = torch.from_numpy(weights.astype(np.float32)).to(dev)
        self.n = float(weights.sum())
        self.rows, self.colidx = rows, colidx
        self.mv_cache: tuple[Any, torch.Tensor] | None = None

    def logits(self, W: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``[p, k]``: sum over the votes of each pattern of ``W[(j, a)]``, plus ``bias``."""
        return self.X @ W + bias

    def class_votes(self, q: torch.Tensor) -> torch.Tensor:
        """``[m, k(y), k(a)]``: weighted mass of posterior class y on rows where LF j votes a."""
        G = self.c[:, None] * q
        V = self.XT @ G  # [(j, a), y]
        return V.reshape(self.m, self.k, self.k).permute(0, 2, 1)

    def subset(self, limit: int, seed: int) -> _Design:
        """A design of at most ``limit`` patterns drawn (seeded) in proportion to their weight,
        standing for the same number of rows; ``self`` where it is small enough already."""
        if self.p <= limit:
            return self
        c = self.c.cpu().numpy().astype(np.float64)
        rng = np.random.default_rng(seed)
        pick = np.searchsorted(np.cumsum(c), rng.random(limit) * c.sum(), side="right")
        draws = np.bincount(np.minimum(pick, self.p - 1), minlength=self.p)
        keep = np.flatnonzero(draws)
        return _Design(self.patterns[keep], draws[keep] * (self.n / limit), self.k, self.c.device)

    def overlaps(self) -> np.ndarray:
        """float64 ``[m*k, m*k]``: weighted co-vote counts ``X^T diag(c) X``."""
        mk = self.m * self.k
        if mk <= 400:  # dense one-hot chunks through BLAS
            dev = self.c.device
            out = torch.zeros(mk, mk, dtype=torch.float32, device=dev)
            rows_t = torch.from_numpy(self.rows).to(dev, torch.int64)
            cols_t = torch.from_numpy(self.colidx).to(dev, torch.int64)
            step = 1 << 14
            bounds = np.searchsorted(self.rows, np.arange(0, self.p + step, step))
            for i, s in enumerate(range(0, self.p, step)):
                e = min(self.p, s + step)
                lo, hi = int(bounds[i]), int(bounds[i + 1])
                D = torch.zeros(e - s, mk, dtype=torch.float32, device=dev)
                D[rows_t[lo:hi] - s, cols_t[lo:hi]] = 1.0
                out += D.T @ (D * self.c[s:e, None])
            return out.double().cpu().numpy()
        c = self.c.cpu().numpy().astype(np.float64)
        import scipy.sparse as sp

        Xs = sp.csr_matrix(
            (np.ones(self.rows.shape[0]), (self.rows, self.colidx)), shape=(self.p, mk)
        )
        return np.asarray((Xs.T @ Xs.multiply(c[:, None])).toarray())


def _mv_init(d: _Design, fixed_pi: torch.Tensor | None, w: np.ndarray) -> torch.Tensor:
    """Soft majority-vote labels per pattern, each LF's vote counting ``w[j]`` (uncovered
    patterns: the class balance or uniform)."""
    key = (None if fixed_pi is None else tuple(fixed_pi.tolist()), w.tobytes())
    if d.mv_cache is not None and d.mv_cache[0] == key:
        return d.mv_cache[1]
    q = _mv_soft(d, fixed_pi, w)
    d.mv_cache = (key, q)
    return q


def _mv_soft(d: _Design, fixed_pi: torch.Tensor | None, w: np.ndarray) -> torch.Tensor:
    """The computation behind :func:`_mv_init`."""
    k = d.k
    wt = torch.from_numpy(np.repeat(w, k)).to(d.c.device)
    W = torch.eye(k, device=d.c.device).repeat(d.m, 1) * wt[:, None]  # vote a -> w for a
    counts = d.logits(W, torch.zeros(k, device=d.c.device))
    tot = counts.sum(1, keepdim=True)
    base = fixed_pi if fixed_pi is not None else torch.full((k,), 1.0 / k, device=d.c.device)
    q = torch.where(tot > 0, (counts + 1e-2) / (tot + 1e-2 * k), base.expand_as(counts))
    return q


class LabelModel:
    """Learns LF accuracies from a label matrix without labels and turns votes into probabilities.

    ``cardinality`` is the number of classes k (votes are ``0..k-1``, ``ABSTAIN = -1``);
    ``method`` one of :data:`METHODS`; ``device`` "auto", "cpu" or "cuda"; ``seed`` fixes the
    pattern sample and random tie-breaking. After :meth:`fit`, ``accuracies`` (float32 ``[m]``:
    P(vote right | LF votes)), ``confusion`` (float32 ``[m, k, k]``: P(vote a | class y, LF
    votes), rows y), ``class_balance`` (float32 ``[k]``), ``lf_weights`` and ``fit_info`` hold
    what it learned.
    """

    def __init__(
        self,
        cardinality: int = 2,
        method: Method | str = "auto",
        device: str | torch.device = "auto",
        seed: int = 0,
        *,
        max_patterns: int = 100_000,
        max_iter: int = 100,
        tol: float = 1e-6,
        abstain: str = "neutral",
        min_overlap: float = 0.35,
        prior: str = "tempered",
        verbose: bool = False,
    ) -> None:
        self.cardinality = check_cardinality(cardinality)
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.method: str = str(method)
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.max_patterns = int(max_patterns)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        if abstain not in ("neutral", "informative"):
            raise ValueError("abstain must be 'neutral' or 'informative'")
        self.abstain = abstain
        self.min_overlap = float(min_overlap)
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
        self.prior = prior
        self.verbose = verbose
        self.n_lfs: int | None = None
        self.class_balance: np.ndarray | None = None
        self.accuracies: np.ndarray | None = None
        self.confusion: np.ndarray | None = None
        self.lf_weights: np.ndarray | None = None
        self.dependencies: list[tuple[int, int]] = []
        self.fit_info: dict[str, Any] = {}
        self._table: torch.Tensor | None = None  # [m*(k+1), k] log-weights, row j*(k+1)+v+1
        self._bias: torch.Tensor | None = None  # [k]
        # True where the vote count decides and the table only breaks ties: the table then has
        # 2k columns, the learned log-weights and each vote's (dependency-weighted) count.
        self._vote_first = False

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        L: Any,
        *,
        class_balance: Sequence[float] | np.ndarray | None = None,
        dependencies: Sequence[tuple[int, int]] | str | None = None,
    ) -> LabelModel:
        """Learn the LF parameters from ``L`` (dense int array, scipy sparse or VoteStats).

        ``class_balance`` (``[k]``, sums to 1) fixes P(Y); otherwise it is estimated.
        ``dependencies`` lists pairs ``(i, j)`` of LFs known to be correlated (sharing a primitive,
        written from one explanation); ``"auto"`` detects pairs that agree far more than the
        independent model predicts. ``method="auto"`` always detects them and adds the given
        pairs. Each group of mutually dependent LFs then counts once (weights 1/group size in
        the likelihood and in vote counts; masked pairs in ``matrix_completion``/``triplets``).
        """
        t0 = time.perf_counter()
        k = self.cardinality
        if isinstance(L, VoteStats):
            if L.cardinality != k:
                raise ValueError(f"VoteStats has cardinality {L.cardinality}, model has {k}")
            n_rows, m, n_patterns = L.n_rows, L.n_lfs, L.n_patterns
        else:
            n_rows, m = shape_of(L)
        if n_rows == 0:
            raise ValueError("cannot fit a label model on an empty L (no rows)")
        if m == 0:
            raise ValueError("cannot fit a label model on an L without LFs (no columns)")
        if isinstance(L, VoteStats):
            patterns, weights = self._fit_sample(L)
        else:
            patterns, weights, _, n_patterns = compress_for_fit(L, k, self.max_patterns, self.seed)
        t_stats = time.perf_counter() - t0
        fixed_pi = None
        if class_balance is not None:
            cb = np.asarray(class_balance, dtype=np.float64).reshape(-1)
            if cb.shape != (k,) or np.any(cb < 0) or not np.isfinite(cb).all() or cb.sum() <= 0:
                raise ValueError(f"class_balance must be {k} non-negative numbers summing to 1")
            cb = np.clip(cb / cb.sum(), _EPS, None)
            fixed_pi = torch.tensor(cb / cb.sum(), dtype=torch.float32, device=self.device)

        d = _Design(patterns, weights, k, self.device)
        method = self.method
        # ``auto`` always adds the pairs it detects to the given ones (static analysis knows
        # some dependencies, the votes reveal others); other methods detect only when asked.
        auto_deps = dependencies == "auto" or method == "auto"
        deps: list[tuple[int, int]] = (
            [] if isinstance(dependencies, str) or dependencies is None
            else [(int(i), int(j)) for i, j in dependencies]
        )
        info: dict[str, Any] = {"method": method}
        if auto_deps:
            found = self._detect_dependencies(d, set(deps))
            info["detected_dependencies"] = found
            deps = deps + found
        w = dependency_weights(m, deps)
        if method == "majority":
            theta, pi = self._fit_one_coin(d, fixed_pi, w)
            self._set_majority(m, w)
            self._set_params(theta, pi, w, informative=False, publish_table=False)
        elif method == "weighted_majority":
            theta, pi = self._fit_one_coin(d, fixed_pi, w)
            self._set_params(theta, pi, w, informative=False)
        elif method == "triplets":
            theta, pi = self._fit_triplets(d, fixed_pi, deps)
            self._set_params(theta, pi, w, informative=False)
        elif method == "matrix_completion":
            theta, pi = self._fit_matrix_completion(d, fixed_pi, deps, w)
            self._set_params(theta, pi, w, informative=True)
        elif method == "dawid_skene":
            theta, pi, it = self._fit_dawid_skene(d, fixed_pi, w)
            info["iterations"] = it
            self._set_params(theta, pi, w, informative=self.abstain == "informative")
        else:  # auto: decided by how much the LFs overlap, i.e. how much there is to learn from
            overlap = self._overlap_rate(d)
            info["overlap_rate"] = round(overlap, 4)
            estimate = self._majority_balance(d, w)
            info["estimated_class_balance"] = [round(float(x), 4) for x in estimate.tolist()]
            # The majority-vote estimate of the class balance leans towards the classes that
            # broad, noisy LFs vote, and as a prior it tilts every row that way; a uniform prior
            # ignores real imbalance (and sends rows without votes to class 0). "tempered", the
            # default, takes the geometric mean of the two. EM's own estimate can collapse.
            pi_fix = fixed_pi if fixed_pi is not None else self._auto_prior(estimate)
            theta, pi, it = self._fit_dawid_skene(d, pi_fix, w)
            info["iterations"] = it
            self._set_params(theta, pi, w, informative=self.abstain == "informative")
            if overlap < self.min_overlap:
                # Too little agreement to trust learned weights over vote counts: the
                # (dependency-weighted) majority decides, the learned model only breaks its ties.
                info["chosen"] = "majority, ties by dawid_skene"
                self._set_vote_first(w)
            else:
                info["chosen"] = "dawid_skene"
        self.dependencies = deps
        self.n_lfs = m
        info.update(
            n_rows=n_rows,
            n_patterns=n_patterns,
            n_fit_patterns=int(patterns.shape[0]),
            dependencies=len(deps),
            stats_seconds=round(t_stats, 4),
            seconds=round(time.perf_counter() - t0, 4),
        )
        self.fit_info = info
        return self

    def _fit_sample(self, stats: VoteStats) -> tuple[np.ndarray, np.ndarray]:
        """The patterns the fit uses and the rows each stands for (a seeded sample past the cap)."""
        p = stats.n_patterns
        counts = stats.counts
        if p <= self.max_patterns:
            return stats.patterns, counts.astype(np.float64)
        rng = np.random.default_rng(self.seed)
        cum = np.cumsum(counts)
        draws = rng.integers(0, int(cum[-1]), size=self.max_patterns)
        pick = np.searchsorted(cum, draws, side="right")
        sampled = np.bincount(pick, minlength=p)
        keep = np.flatnonzero(sampled)
        scale = stats.n_rows / self.max_patterns  # each draw stands for this many rows
        return stats.patterns[keep], sampled[keep] * scale

    # One-coin model (weighted majority): P(vote = y | y, votes) = alpha_j, errors uniform.
    def _fit_one_coin(
        self,
        d: _Design,
        fixed_pi: torch.Tensor | None,
        w: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """EM for one accuracy per LF, errors spread evenly over the other classes."""
        k, m, dev = d.k, d.m, self.device
        wt = torch.from_numpy(w).to(dev)
        q = _mv_init(d, fixed_pi, w)
        pi = fixed_pi if fixed_pi is not None else torch.full((k,), 1.0 / k, device=self.device)
        eye = torch.eye(k, device=dev, dtype=torch.bool)
        prev = -math.inf
        theta = torch.zeros(m, k, k + 1, device=dev)
        for _ in range(self.max_iter):
            V = d.class_votes(q)  # [m, y, a]
            agree = V.diagonal(dim1=1, dim2=2).sum(1)
            votes = V.sum((1, 2))
            # Better than random (alpha >= 1/k), else the labels of an LF may flip meaning.
            alpha = ((agree + 1.0) / (votes + 2.0)).clamp(1.0 / k + 1e-3, 1 - _EPS)
            if fixed_pi is None:
                pi = ((d.c[:, None] * q).sum(0) + 1.0) / (d.n + k)
            off = (1 - alpha) / (k - 1)
            theta = torch.where(eye, alpha[:, None, None], off[:, None, None])
            theta = torch.cat([theta, torch.zeros(m, k, 1, device=dev)], dim=2)
            W = (wt[:, None, None] * theta[:, :, :k].log()).permute(0, 2, 1).reshape(m * k, k)
            logits = d.logits(W, pi.log())
            ll = float((d.c * torch.logsumexp(logits, 1)).sum())
            q = torch.softmax(logits, 1)
            if ll - prev < self.tol * d.n:
                break
            prev = ll
        return theta, pi

    # Dawid-Skene with abstaining as an outcome: P(vote = a | y) for a in 0..k-1 and abstain.
    def _fit_dawid_skene(
        self,
        d: _Design,
        fixed_pi: torch.Tensor | None,
        w: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor, int]:
        """EM started from (dependency-weighted) majority vote; returns the confusions
        ``[m, k, k+1]`` (last column: abstain), the class balance and the iterations run."""
        k, dev = d.k, self.device
        wt = torch.from_numpy(w).to(dev)
        prior = torch.full((k, k + 1), 0.1, device=dev)
        prior[:, k] = 1.0
        prior.diagonal()[:] = 1.0
        q = _mv_init(d, fixed_pi, w)
        theta, pi = self._ds_mstep(d, q, prior)
        if fixed_pi is not None:
            pi = fixed_pi
        prev = -math.inf
        it = 0
        for it in range(1, self.max_iter + 1):  # noqa: B007
            logits = self._ds_logits(d, theta, pi, wt)
            ll = float((d.c * torch.logsumexp(logits, 1)).sum())
            q = torch.softmax(logits, 1)
            theta, pi_new = self._ds_mstep(d, q, prior)
            if fixed_pi is None:
                pi = pi_new
            if ll - prev < self.tol * d.n:
                break
            prev = ll
        return theta, pi, it

    @staticmethod
    def _overlap_rate(d: _Design) -> float:
        """Share of the covered rows on which two or more LFs vote: the agreement evidence."""
        nvotes = torch.diff(d.X.crow_indices())
        covered = float(d.c[nvotes > 0].sum())
        return float(d.c[nvotes > 1].sum()) / covered if covered > 0 else 0.0

    def _auto_prior(self, estimate: torch.Tensor) -> torch.Tensor:
        """The class prior of ``auto`` from the majority-vote estimate, per ``self.prior``."""
        if self.prior == "estimate":
            return estimate
        if self.prior == "uniform":
            return torch.full_like(estimate, 1.0 / estimate.shape[0])
        tempered = estimate.sqrt()
        return tempered / tempered.sum()

    @staticmethod
    def _majority_balance(d: _Design, w: np.ndarray) -> torch.Tensor:
        """Class balance estimated as the mean soft majority vote over the covered rows."""
        k = d.k
        q = _mv_init(d, None, w)
        covered = torch.diff(d.X.crow_indices()) > 0
        mass = (d.c[covered, None] * q[covered]).sum(0)
        return (mass + 1.0) / (mass.sum() + k)

    @staticmethod
    def _ds_mstep(
        d: _Design, q: torch.Tensor, prior: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
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

    def _ds_logits(
        self, d: _Design, theta: torch.Tensor, pi: torch.Tensor, wt: torch.Tensor
    ) -> torch.Tensor:
        """Log joint ``[p, k]`` of each pattern and class under abstain-aware confusions."""
        k, m = d.k, d.m
        lt = theta.clamp_min(1e-30).log() * wt[:, None, None]  # [m, y, a]
        if self.abstain != "informative":
            W = lt[:, :, :k].permute(0, 2, 1).reshape(m * k, k)
            return d.logits(W, pi.log())
        bias = pi.log() + lt[:, :, k].sum(0)
        W = (lt[:, :, :k] - lt[:, :, k : k + 1]).permute(0, 2, 1).reshape(m * k, k)
        return d.logits(W, bias)

    def _pairwise(self, d: _Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both-vote counts ``B`` and agreement counts ``A`` (``[m, m]``) and overlaps ``O``."""
        m, k = d.m, d.k
        ov = d.overlaps().reshape(m, k, m, k)
        B = ov.sum((1, 3))
        A = np.einsum("iaja->ij", ov)
        return B, A, ov.reshape(m * k, m * k)

    def _fit_triplets(
        self, d: _Design, fixed_pi: torch.Tensor | None, deps: Sequence[tuple[int, int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Closed-form one-coin accuracies from agreement rates (FlyingSquid-style triplets).

        With accuracy alpha and uniform errors, two independent LFs agree (where both vote) with
        rate ``1/k + (k-1)/k * s_i s_j`` where ``s = (k alpha - 1)/(k-1)``; so
        ``|s_i| = sqrt(M_ij M_il / M_jl)`` for any third and fourth LF, ``M = (k rate - 1)/(k-1)``.
        Each LF takes the median over all valid triples.
        """
        m, k, dev = d.m, d.k, self.device
        B, A, _ = self._pairwise(d)
        dep = _components(m, deps)
        valid = (B >= 10.0) & ~dep
        np.fill_diagonal(valid, False)
        M = np.where(valid, (k * A / np.maximum(B, 1.0) - 1.0) / (k - 1), np.nan)
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
        fallback = float(np.nanmedian(s)) if np.isfinite(s).any() else 0.5
        s = np.where(np.isfinite(s), s, fallback)
        # Sign: an LF that agrees with the others less than chance is worse than chance.
        Mz = np.where(valid, M, 0.0)
        sign = np.sign(Mz @ s)
        s = np.where(sign < 0, -s, s)
        alpha = np.clip((1.0 + (k - 1) * s) / k, 1e-3, 1 - 1e-3)
        alpha_t = torch.tensor(alpha, dtype=torch.float32, device=dev)
        off = (1 - alpha_t) / (k - 1)
        eye = torch.eye(k, device=dev, dtype=torch.bool)
        theta = torch.where(eye, alpha_t[:, None, None], off[:, None, None])
        theta = torch.cat([theta, torch.zeros(m, k, 1, device=dev)], dim=2)
        if fixed_pi is not None:
            return theta, fixed_pi
        W = theta[:, :, :k].log().permute(0, 2, 1).reshape(m * k, k)
        pi = torch.full((k,), 1.0 / k, device=self.device)
        for _ in range(30):  # class balance: the fixed point of mean posterior
            q = torch.softmax(d.logits(W, pi.log()), 1)
            pi = ((d.c[:, None] * q).sum(0) + 1.0) / (d.n + k)
        return theta, pi

    def _fit_matrix_completion(
        self,
        d: _Design,
        fixed_pi: torch.Tensor | None,
        deps: Sequence[tuple[int, int]],
        w: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fit confusions so that ``mu diag(pi) mu^T`` matches the overlap matrix (MeTaL-style).

        ``mu[(j, a), y] = P(LF j votes a | y)``; the loss covers every pair of LFs not known to
        be dependent, plus the first moments ``P(LF j votes a) = mu pi``. Started from the
        majority-vote estimate (which also fixes the class permutation), solved with L-BFGS.
        """
        m, k, dev = d.m, d.k, self.device
        _, _, ov_np = self._pairwise(d)
        ov = torch.tensor(ov_np / d.n, dtype=torch.float32, device=dev)
        first = ov.diagonal().clone()
        blocks = ~torch.tensor(_components(m, deps), device=dev)
        blocks.fill_diagonal_(False)
        mask = blocks.repeat_interleave(k, 0).repeat_interleave(k, 1).float()
        prior = torch.full((k, k + 1), 0.1, device=dev)
        prior[:, k] = 1.0
        prior.diagonal()[:] = 1.0
        theta0, pi0 = self._ds_mstep(d, _mv_init(d, fixed_pi, w), prior)
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
            theta = torch.softmax(Z, 2)
            pi = fixed_pi if fixed_pi is not None else torch.softmax(zeta, 0)
            theta = torch.nan_to_num(theta, nan=1.0 / (k + 1))
        return theta.detach(), pi.detach()

    def _detect_dependencies(
        self,
        d: _Design,
        known: set[tuple[int, int]],
        *,
        min_ratio: float = 3.0,
        min_excess: float = 0.3,
    ) -> list[tuple[int, int]]:
        """Pairs of LFs that are correlated beyond what the class explains (robust, no fit needed).

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
        d = d.subset(_DETECT_ROWS, self.seed)  # correlations need far fewer rows than EM
        ov = d.overlaps().reshape(m, k, m, k) / d.n
        flagged = np.zeros((m, m), dtype=bool)
        noise = 4.0 / math.sqrt(max(d.n, 1.0))
        eye = np.eye(m, dtype=bool)
        for c in range(k):
            f = ov[np.arange(m), c, np.arange(m), c]
            var = f * (1.0 - f)
            ok = (var > 1e-9) & (f * d.n >= 20)
            if ok.sum() < 4:
                continue
            C = ov[:, c, :, c] - np.outer(f, f)
            rho = C / np.sqrt(np.maximum(np.outer(var, var), 1e-18))
            valid = np.outer(ok, ok) & ~eye
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
            flagged |= (
                valid & (rho > noise) & (rho > min_ratio * pred) & (rho - pred > min_excess)
            )
        flagged = np.triu(flagged | flagged.T, 1)
        return [
            (int(i), int(j))
            for i, j in zip(*np.nonzero(flagged), strict=True)
            if (int(i), int(j)) not in known
        ]

    # ------------------------------------------------------------------ parameters
    def _set_params(
        self,
        theta: torch.Tensor,
        pi: torch.Tensor,
        w: np.ndarray,
        *,
        informative: bool,
        publish_table: bool = True,
    ) -> None:
        """Store what was learned: the lookup table for prediction and the summaries."""
        k = self.cardinality
        m = theta.shape[0]
        theta = torch.nan_to_num(theta.float(), nan=1.0 / k).clamp_min(1e-30)
        pi = torch.nan_to_num(pi.float(), nan=1.0 / k).clamp_min(_EPS)
        pi = pi / pi.sum()
        wt = torch.from_numpy(w).to(theta.device)
        if publish_table:
            lt = theta.log() * wt[:, None, None]  # [m, y, a]
            table = torch.zeros(m, k + 1, k, device=theta.device)
            table[:, 1:, :] = lt[:, :, :k].permute(0, 2, 1)
            if informative:
                table[:, 0, :] = lt[:, :, k]
            self._table = table.reshape(m * (k + 1), k).contiguous()
            self._bias = pi.log()
        votes = theta[:, :, :k] if not informative else theta[:, :, :k]
        vote_rate = votes.sum(2)  # [m, y]
        conf = votes / vote_rate.clamp_min(1e-30)[:, :, None]
        acc = (conf.diagonal(dim1=1, dim2=2) * pi * vote_rate).sum(1) / (
            (pi * vote_rate).sum(1).clamp_min(1e-30)
        )
        self.confusion = torch.nan_to_num(conf, nan=1.0 / k).cpu().numpy().astype(np.float32)
        self.accuracies = torch.nan_to_num(acc, nan=1.0 / k).cpu().numpy().astype(np.float32)
        self.class_balance = pi.cpu().numpy().astype(np.float32)
        self.lf_weights = np.asarray(w, dtype=np.float32)
        self._theta = theta
        self._informative = informative
        self._vote_first = False

    def _set_majority(self, m: int, w: np.ndarray) -> None:
        """Majority vote as a lookup table: every vote adds a large logit (times the LF's
        dependency weight) to its class, so the most voted class wins and ties share."""
        k = self.cardinality
        table = torch.zeros(m, k + 1, k, device=self.device)
        wt = torch.from_numpy(w).to(self.device)[:, None, None]
        table[:, 1:, :] = torch.eye(k, device=self.device) * _MV_SCALE * wt
        self._table = table.reshape(m * (k + 1), k)
        self._bias = torch.zeros(k, device=self.device)
        self._vote_first = False

    def _set_vote_first(self, w: np.ndarray) -> None:
        """Majority vote whose ties the published learned table breaks: append to each LF's
        table rows a one-hot count (times its dependency weight) of the class it votes."""
        assert self._table is not None
        k = self.cardinality
        m = w.shape[0]
        counts = torch.zeros(m, k + 1, k, device=self.device)
        wt = torch.from_numpy(w).to(self.device)[:, None, None]
        counts[:, 1:, :] = torch.eye(k, device=self.device) * wt
        self._table = torch.cat([self._table, counts.reshape(m * (k + 1), k)], dim=1)
        self._vote_first = True

    # ------------------------------------------------------------------ prediction
    def _require_fit(self, m: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._table is None or self._bias is None or self.n_lfs is None:
            raise RuntimeError("LabelModel is not fitted; call fit(L) first")
        if m != self.n_lfs:
            raise ValueError(f"L has {m} LFs (columns) but the model was fitted on {self.n_lfs}")
        return self._table, self._bias

    def predict_proba(self, L: Any) -> np.ndarray:
        """float32 ``[n, k]``: P(Y = y | the row's votes); rows without votes get the class balance.

        ``L`` may also be a :class:`VoteStats`: the result is then one row per pattern (the
        pattern table), in ``L.patterns`` order.
        """
        k = self.cardinality
        if isinstance(L, VoteStats):
            return self.predict_proba(L.patterns)
        n, m = shape_of(L)
        table, bias = self._require_fit(m)
        assert self.class_balance is not None
        out = np.empty((n, k), dtype=np.float32)
        offsets = (torch.arange(m, dtype=torch.int32, device=self.device) * (k + 1) + 1)[None, :]
        # Where abstaining carries no weight an uncovered row's logits are exactly log(class
        # balance), so only informative tables need the per-row coverage check.
        pi = torch.from_numpy(self.class_balance).to(self.device)
        width = table.shape[1]  # k, or 2k where vote counts come first
        check_covered = bool(table.reshape(m, k + 1, width)[:, 0, :k].abs().max() > 0) or not bool(
            torch.allclose(torch.softmax(bias, 0), pi, atol=1e-6)
        )
        if check_covered:  # one more output column counts each row's votes
            votes = torch.ones(m, k + 1, 1, device=self.device)
            votes[:, 0] = 0.0
            table = torch.cat([table, votes.reshape(m * (k + 1), 1)], dim=1)
        s = 0
        for block in iter_chunks(L, k, _PREDICT_ROWS):
            e = s + block.shape[0]
            idx = torch.from_numpy(block).to(self.device, torch.int32).add_(offsets)
            res = torch.nn.functional.embedding_bag(idx, table, mode="sum")
            logits = res[:, :k].add_(bias)
            if self._vote_first:  # only the most voted classes stay in the running
                counts = res[:, k : 2 * k]
                behind = counts < counts.max(1, keepdim=True).values - 1e-4
                logits = logits.masked_fill_(behind, -math.inf)
            probs = torch.softmax(logits, 1)
            if check_covered:
                probs[res[:, width] < 0.5] = pi
            out[s:e] = probs.cpu().numpy()
            s = e
        return out

    def predict(
        self,
        L: Any,
        tie_break: TieBreak | str = "abstain",
        return_probs: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """int ``[n]``: the most probable class; where classes tie, ``tie_break`` decides:
        ``"abstain"`` returns ABSTAIN, ``"random"`` a seeded random tied class, ``"first"`` the
        lowest tied class."""
        probs = self.predict_proba(L)
        preds = probs_to_preds(probs, tie_break, self.seed)
        return (preds, probs) if return_probs else preds

    def covered_mask(self, L: Any) -> np.ndarray:
        """Boolean ``[n]``: rows where at least one LF votes (the others get the class balance)."""
        return covered_mask(L, self.cardinality)

    def score(
        self,
        L: Any,
        Y: Sequence[int] | np.ndarray,
        metrics: Sequence[str] = ("accuracy",),
        tie_break: TieBreak | str = "random",
    ) -> dict[str, float]:
        """Metrics of ``predict(L, tie_break)`` against gold ``Y``; an abstained prediction counts
        as wrong. Metrics: accuracy, f1 (binary, class 1 positive), precision, recall, f1_micro,
        f1_macro, coverage (fraction of rows predicted)."""
        preds = self.predict(L, tie_break=tie_break)
        assert isinstance(preds, np.ndarray)
        return score_predictions(np.asarray(Y), preds, metrics)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` (a numpy ``.npz``; no pickles)."""
        table, bias = self._require_fit(self.n_lfs or 0)
        assert self.class_balance is not None and self.accuracies is not None
        assert self.confusion is not None and self.lf_weights is not None
        meta = {
            "format": _FORMAT,
            "cardinality": self.cardinality,
            "method": self.method,
            "seed": self.seed,
            "n_lfs": self.n_lfs,
            "dependencies": self.dependencies,
            "fit_info": self.fit_info,
            "max_patterns": self.max_patterns,
            "vote_first": self._vote_first,
            "prior": self.prior,
        }
        with open(path, "wb") as fh:
            np.savez(
                fh,
                meta=np.array(json.dumps(meta)),
                table=table.cpu().numpy(),
                bias=bias.cpu().numpy(),
                class_balance=self.class_balance,
                accuracies=self.accuracies,
                confusion=self.confusion,
                lf_weights=self.lf_weights,
            )

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "auto") -> LabelModel:
        """A model saved with :meth:`save`, ready to predict."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"{path} is not a saved explicate LabelModel")
            model = cls(
                cardinality=meta["cardinality"],
                method=meta["method"],
                device=device,
                seed=meta["seed"],
                max_patterns=meta.get("max_patterns", 100_000),
                prior=meta.get("prior", "tempered"),
            )
            model.n_lfs = int(meta["n_lfs"])
            model.dependencies = [(int(i), int(j)) for i, j in meta["dependencies"]]
            model.fit_info = dict(meta["fit_info"])
            model._table = torch.from_numpy(z["table"].copy()).to(model.device)
            model._bias = torch.from_numpy(z["bias"].copy()).to(model.device)
            model._vote_first = bool(meta.get("vote_first", False))
            model.class_balance = z["class_balance"].copy()
            model.accuracies = z["accuracies"].copy()
            model.confusion = z["confusion"].copy()
            model.lf_weights = z["lf_weights"].copy()
        return model

    def __repr__(self) -> str:
        state = "fitted" if self._table is not None else "unfitted"
        return (
            f"LabelModel(cardinality={self.cardinality}, method={self.method!r}, "
            f"device={str(self.device)!r}, seed={self.seed}) [{state}]"
        )


def probs_to_preds(probs: np.ndarray, tie_break: str = "abstain", seed: int = 0) -> np.ndarray:
    """Argmax of each row of ``probs`` with ties (within 1e-5) resolved by ``tie_break``."""
    return argmax_ties(probs, tie_break, seed)


def fit_label_model_cli(l_npz: str, method: str, out: str, gold: str | None) -> dict[str, Any]:
    """``explicate fit``: fit a label model on ``L`` from an ``.npz``, save probabilities, report.

    The ``.npz`` holds ``L`` (int8 n x m) and ``lf_names``, optionally ``labels`` (the class
    names; cardinality = their number, else ``L.max() + 1``, at least 2). The probabilities go to
    ``out`` as float32 ``.npy``. ``gold`` is an optional ``.npy`` (or text file, one label per
    line) of gold classes for scoring. Returns a JSON-ready dict of what happened.
    """
    with np.load(l_npz, allow_pickle=False) as z:
        if "L" not in z:
            raise ValueError(f"{l_npz} has no array 'L'")
        L = z["L"]
        names = [str(x) for x in z["lf_names"]] if "lf_names" in z else None
        labels = [str(x) for x in z["labels"]] if "labels" in z else None
    if L.ndim != 2:
        raise ValueError(f"L in {l_npz} must be 2-D, got shape {L.shape}")
    k = len(labels) if labels else max(int(L.max()) + 1 if L.size else 2, 2)
    names = names or [f"lf{j}" for j in range(L.shape[1])]
    t0 = time.perf_counter()
    model = LabelModel(cardinality=k, method=method).fit(L)
    probs = model.predict_proba(L)
    seconds = time.perf_counter() - t0
    np.save(out, probs)
    assert model.accuracies is not None and model.class_balance is not None
    result: dict[str, Any] = {
        "method": method,
        "n": int(L.shape[0]),
        "m": int(L.shape[1]),
        "cardinality": k,
        "coverage": float(covered_mask(L, k).mean()) if L.shape[0] else 0.0,
        "seconds": round(seconds, 4),
        "class_balance": [round(float(x), 4) for x in model.class_balance],
        "learned_accuracy": {
            n: round(float(a), 4) for n, a in zip(names, model.accuracies, strict=True)
        },
        "out": out,
    }
    if labels:
        result["labels"] = labels
    if gold is not None:
        Y = np.load(gold) if gold.endswith(".npy") else np.loadtxt(gold, dtype=np.int64)
        Y = np.asarray(Y).reshape(-1)
        if labels and Y.dtype.kind in "US":
            Y = np.array([labels.index(str(y)) for y in Y])
        metrics = ["accuracy", "f1"] if k == 2 else ["accuracy", "f1_macro"]
        preds = probs_to_preds(probs, "random", 0)
        result["metrics"] = score_predictions(Y, preds, metrics)
    return result
