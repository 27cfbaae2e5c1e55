"""The ``linear`` kind: a linear model over hashed features: word unigrams and bigrams and
character 3-4-grams of each text field, or, for a relation candidate, the words tying the two
mentions together (:mod:`.inputs`).

On the CPU it is trained full-batch: the noise-aware loss over a sparse design matrix, minimized
with L-BFGS-B (:mod:`.solver`; seconds, at scikit-learn's ``LogisticRegression`` speed). On a
GPU (``device="cuda"``) the generic minibatch loop trains it (torch ``EmbeddingBag``, sparse
gradients, SparseAdam). Either way the result is one :class:`~.nets.LinearNet`, so prediction,
saving and loading do not depend on how it was trained.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from explicate.runtime.device import blas_threads
from explicate.runtime.end_model.inputs import Bags, hashed_features
from explicate.runtime.end_model.nets import LinearNet
from explicate.runtime.end_model.registry import (
    BaseKind,
    FullBatch,
    Hyper,
    TrainProblem,
    end_models,
)

L2_PER_ROW = 0.1
"""The default L2 strength is ``0.1 / rows`` (scikit-learn's ``C = 10``): chosen on the SMS
valid and Disease dev splits among 0.01-30 (``1 / rows``, i.e. ``C = 1``, was 3-5 F1 points
lower on both)."""

FEATURES = "regex-tokens/2"
"""The hashed-feature layout a saved model was trained on (saved in its meta): the buckets of an
older layout mean other n-grams, so such a model is refused, not misread."""

ITERATIONS_PER_EPOCH = 10
"""Full-batch training: at most ``10 * epochs`` L-BFGS iterations (each a pass over the rows)."""


@end_models.register("linear")
class Linear(BaseKind):
    """Hashed n-grams -> logits: L-BFGS on the CPU, SparseAdam minibatches on a GPU.

    ``weight_decay`` is the L2 strength of the full-batch objective (per row-averaged loss;
    ``1 / n_rows`` is scikit-learn's ``C = 1``); 0 (the default) means
    :data:`L2_PER_ROW` ``/ n_rows``."""

    defaults: ClassVar[Hyper] = Hyper(epochs=30, lr=0.05, batch_size=64, weight_decay=0.0)

    def features(self, df: pd.DataFrame) -> Bags:
        return hashed_features(df, self.ctx.spec, self.ctx.buckets)

    def n_rows(self, feats: Any) -> int:
        return int(feats.n)

    def row_work(self, feats: Any) -> int:
        return max(1, len(feats.index) // max(feats.n, 1)) * self.ctx.cardinality

    def new_net(self, feats: Any) -> nn.Module:
        return LinearNet(self.ctx.buckets, self.ctx.cardinality)

    def forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        b = feats.take(rows)
        dev = self.ctx.device
        return net(torch.from_numpy(b.index).to(dev), torch.from_numpy(b.offsets[:-1]).to(dev),
                   torch.from_numpy(b.weights).to(dev))

    def train_full(self, feats: Any, problem: TrainProblem) -> FullBatch | None:
        if self.ctx.device.type != "cpu":
            return None
        from explicate.runtime.end_model import solver

        rows = problem.rows
        x, used = solver.design_matrix(feats.take(rows))
        l2 = problem.hyper.weight_decay or L2_PER_ROW / len(rows)
        dev_score = None
        if problem.dev_feats is not None and problem.dev_score is not None:
            x_dev, _ = solver.design_matrix(problem.dev_feats, used)
            score = problem.dev_score

            def dev_score(W: np.ndarray, b: np.ndarray) -> float:
                z = solver.predict_logits(x_dev, W, b)
                z -= z.max(1, keepdims=True)
                p = np.exp(z)
                return score(p / p.sum(1, keepdims=True))

        # The solver's BLAS work is vector updates the model's size: one thread (more only
        # spin, see runtime.device.blas_threads); its sparse products are single-threaded.
        with blas_threads(1):
            sol = solver.fit_lbfgs(x, problem.probs[rows], problem.row_weights, l2,
                                   ITERATIONS_PER_EPOCH * problem.hyper.epochs,
                                   dev_score=dev_score, patience=problem.patience)
        net = LinearNet(self.ctx.buckets, self.ctx.cardinality)
        with torch.no_grad():
            net.bag.weight[torch.from_numpy(used)] = torch.from_numpy(sol.W.astype(np.float32))
            net.bias.copy_(torch.from_numpy(sol.b.astype(np.float32)))
        info = {"iterations": float(sol.iterations), "evaluations": float(sol.evaluations),
                "converged": float(sol.converged), "l2": float(l2)}
        return FullBatch(net, sol.history, sol.best_check, info)

    def meta(self) -> dict[str, Any]:
        return {"features": FEATURES}

    def pack_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # Most hashed buckets are never used: store the non-zero rows only.
        state = dict(state)
        w = state.pop("bag.weight")
        used = torch.nonzero(w.abs().sum(1) > 0).flatten()
        state["bag.used"], state["bag.rows"] = used, w[used]
        return state

    def net_from_state(self, state: dict[str, torch.Tensor], meta: dict[str, Any]) -> nn.Module:
        if meta.get("features") != FEATURES:
            raise ValueError("this linear end model was saved with another feature layout "
                             f"({meta.get('features', 'spaCy tokens/1')}, now {FEATURES}); "
                             "train it again")
        state = dict(state)
        w = torch.zeros(self.ctx.buckets, self.ctx.cardinality)
        w[state.pop("bag.used")] = state.pop("bag.rows")
        state["bag.weight"] = w
        net = LinearNet(self.ctx.buckets, self.ctx.cardinality)
        net.load_state_dict(state)
        return net
