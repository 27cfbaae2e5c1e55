"""The :class:`LabelModel` facade: fit with a registered method, predict by table lookup, save.

``LabelModel(cardinality=k, method=...).fit(L)`` turns a label matrix ``L`` (n x m,
``ABSTAIN = -1``) into probabilistic labels ``predict_proba(L) -> float32[n, k]`` without any
gold label. The facade prepares the fit (sufficient statistics, class prior, dependencies), hands
a :class:`~explicate.runtime.label_model.registry.FitProblem` to the method registered under
``method`` and turns what it learned into one lookup table: prediction is one embedding-bag
lookup per row.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from explicate.runtime.device import resolve_device
from explicate.runtime.label_model.auto import PRIORS
from explicate.runtime.label_model.builtin import BUILTIN_METHODS  # noqa: F401  (registers them)
from explicate.runtime.label_model.dependencies import dependency_weights, detect_dependencies
from explicate.runtime.label_model.design import Design
from explicate.runtime.label_model.registry import (
    FitOptions,
    FitProblem,
    Fitted,
    get_method,
)
from explicate.runtime.label_model.stats import (
    VoteStats,
    check_cardinality,
    compress_for_fit,
    iter_chunks,
    sample_patterns,
    shape_of,
)
from explicate.runtime.label_model.stats import covered_mask as _covered_mask
from explicate.runtime.matrix import argmax_ties
from explicate.runtime.metrics import score_predictions

TieBreak = Literal["abstain", "random", "first"]

_MV_SCALE = 40.0  # a vote's logit in majority vote: exp(-40) ~ 0, so ties share exactly
_EPS = 1e-6
_PREDICT_ROWS = 1 << 14  # rows per prediction step: small temporaries, little malloc growth
_FORMAT = "explicate.label_model/1"


class LabelModel:
    """Learns LF accuracies from a label matrix without labels and turns votes into probabilities.

    ``cardinality`` is the number of classes k (votes are ``0..k-1``, ``ABSTAIN = -1``);
    ``method`` a registered method name (:func:`method_names`); ``device`` "auto", "cpu" or
    "cuda"; ``seed`` fixes the pattern sample and random tie-breaking. After :meth:`fit`,
    ``accuracies`` (float32 ``[m]``: P(vote right | LF votes)), ``confusion`` (float32
    ``[m, k, k]``: P(vote a | class y, LF votes), rows y), ``class_balance`` (float32 ``[k]``),
    ``lf_weights`` and ``fit_info`` hold what it learned.
    """

    def __init__(
        self,
        cardinality: int = 2,
        method: str = "auto",
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
        get_method(str(method))  # unknown names fail here, not at fit time
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
        method = get_method(self.method)
        patterns, weights, n_rows, n_patterns = self._fit_data(L)
        t_stats = time.perf_counter() - t0
        fixed_pi = self._fixed_prior(class_balance)
        d = Design(patterns, weights, self.cardinality, self.device)
        info: dict[str, Any] = {"method": self.method}
        # ``auto`` always adds the pairs it detects to the given ones (static analysis knows
        # some dependencies, the votes reveal others); other methods detect only when asked.
        deps = [] if isinstance(dependencies, str) or dependencies is None else [
            (int(i), int(j)) for i, j in dependencies
        ]
        if dependencies == "auto" or method.detect_dependencies:
            found = detect_dependencies(d, set(deps), self.seed)
            info["detected_dependencies"] = found
            deps = deps + found
        w = dependency_weights(d.m, deps)
        fitted = method.fit(FitProblem(d, fixed_pi, deps, w, self._options()))
        self._publish(fitted, w)
        self.dependencies = deps
        self.n_lfs = d.m
        info.update(fitted.info)
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

    def _fit_data(self, L: Any) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``(patterns, weights, n_rows, n_patterns)`` to fit on, after checking ``L``."""
        k = self.cardinality
        if isinstance(L, VoteStats):
            if L.cardinality != k:
                raise ValueError(f"VoteStats has cardinality {L.cardinality}, model has {k}")
            n_rows, m = L.n_rows, L.n_lfs
        else:
            n_rows, m = shape_of(L)
        if n_rows == 0:
            raise ValueError("cannot fit a label model on an empty L (no rows)")
        if m == 0:
            raise ValueError("cannot fit a label model on an L without LFs (no columns)")
        if isinstance(L, VoteStats):
            patterns, weights = sample_patterns(L, self.max_patterns, self.seed)
            return patterns, weights, n_rows, L.n_patterns
        patterns, weights, _, n_patterns = compress_for_fit(L, k, self.max_patterns, self.seed)
        return patterns, weights, n_rows, n_patterns

    def _fixed_prior(self, class_balance: Any) -> torch.Tensor | None:
        """The user's class balance as a tensor on the device (None: estimate it)."""
        if class_balance is None:
            return None
        k = self.cardinality
        cb = np.asarray(class_balance, dtype=np.float64).reshape(-1)
        if cb.shape != (k,) or np.any(cb < 0) or not np.isfinite(cb).all() or cb.sum() <= 0:
            raise ValueError(f"class_balance must be {k} non-negative numbers summing to 1")
        cb = np.clip(cb / cb.sum(), _EPS, None)
        return torch.tensor(cb / cb.sum(), dtype=torch.float32, device=self.device)

    def _options(self) -> FitOptions:
        return FitOptions(
            max_iter=self.max_iter,
            tol=self.tol,
            abstain=self.abstain,
            min_overlap=self.min_overlap,
            prior=self.prior,
            seed=self.seed,
        )

    # ------------------------------------------------------------------ parameters
    def _publish(self, fitted: Fitted, w: np.ndarray) -> None:
        """Store what the method learned and the lookup table its ``table`` kind asks for."""
        self._set_params(fitted.theta, fitted.pi, w, informative=fitted.informative,
                         publish_table=fitted.table != "majority")
        if fitted.table == "majority":
            self._set_majority(w.shape[0], w)
        elif fitted.table == "vote_first":
            self._set_vote_first(w)

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
        votes = theta[:, :, :k]
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
        return _covered_mask(L, self.cardinality)

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
