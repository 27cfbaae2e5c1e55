"""The ``linear`` kind: a linear model over hashed features (torch ``EmbeddingBag``, sparse
gradients): word unigrams and bigrams and character 3-4-grams of each text field, or, for a
relation candidate, the words tying the two mentions together (:mod:`.inputs`). Seconds on CPU."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from explicate.runtime.end_model.inputs import Bags, hashed_features
from explicate.runtime.end_model.nets import LinearNet
from explicate.runtime.end_model.registry import BaseKind, Hyper, end_models


@end_models.register("linear")
class Linear(BaseKind):
    """Hashed n-grams -> logits, trained with SparseAdam on the touched buckets."""

    defaults: ClassVar[Hyper] = Hyper(epochs=30, lr=0.05, batch_size=64, weight_decay=1e-6)

    def features(self, df: pd.DataFrame) -> Bags:
        return hashed_features(df, self.ctx.spec, self.ctx.buckets)

    def n_rows(self, feats: Any) -> int:
        return int(feats.n)

    def new_net(self, feats: Any) -> nn.Module:
        return LinearNet(self.ctx.buckets, self.ctx.cardinality)

    def forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        b = feats.take(rows)
        dev = self.ctx.device
        return net(torch.from_numpy(b.index).to(dev), torch.from_numpy(b.offsets[:-1]).to(dev),
                   torch.from_numpy(b.weights).to(dev))

    def pack_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # Most hashed buckets are never used: store the non-zero rows only.
        state = dict(state)
        w = state.pop("bag.weight")
        used = torch.nonzero(w.abs().sum(1) > 0).flatten()
        state["bag.used"], state["bag.rows"] = used, w[used]
        return state

    def net_from_state(self, state: dict[str, torch.Tensor], meta: dict[str, Any]) -> nn.Module:
        state = dict(state)
        w = torch.zeros(self.ctx.buckets, self.ctx.cardinality)
        w[state.pop("bag.used")] = state.pop("bag.rows")
        state["bag.weight"] = w
        net = LinearNet(self.ctx.buckets, self.ctx.cardinality)
        net.load_state_dict(state)
        return net
