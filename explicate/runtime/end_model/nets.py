"""The end models' torch pieces: the networks, the noise-aware loss, the optimizers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from explicate.runtime.end_model.encoder import mean_pool


class LinearNet(nn.Module):
    def __init__(self, buckets: int, k: int):
        super().__init__()
        # Sparse gradients: a step touches only the buckets of its rows (SparseAdam).
        self.bag = nn.EmbeddingBag(buckets, k, mode="sum", sparse=True)
        nn.init.zeros_(self.bag.weight)
        self.bias = nn.Parameter(torch.zeros(k))

    def forward(self, index: torch.Tensor, offsets: torch.Tensor,
                weights: torch.Tensor) -> torch.Tensor:
        return self.bag(index, offsets, per_sample_weights=weights) + self.bias


class MLPHead(nn.Module):
    def __init__(self, dim: int, k: int, hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class FineTuneNet(nn.Module):
    """The encoder itself trained with the head: one mean-pooled embedding per input string."""

    def __init__(self, encoder: Any, tokenizer: Any, n_inputs: int, k: int, max_length: int):
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.head = MLPHead(384 * n_inputs, k)

    def forward(self, inputs: list[list[str]]) -> torch.Tensor:
        dev = next(self.parameters()).device
        parts = [mean_pool(self.encoder, self.tokenizer, texts, self.max_length, dev)
                 for texts in inputs]
        return self.head(torch.cat(parts, dim=1))


class Optimizers:
    """SparseAdam for sparse embedding gradients, AdamW for the rest, stepped together."""

    def __init__(self, opts: list[torch.optim.Optimizer]):
        self.opts = opts

    def zero_grad(self) -> None:
        for o in self.opts:
            o.zero_grad()

    def step(self) -> None:
        for o in self.opts:
            o.step()


def optimizer(net: nn.Module, lr: float, weight_decay: float) -> Optimizers:
    sparse = [m.weight for m in net.modules() if isinstance(m, nn.EmbeddingBag) and m.sparse]
    ids = {id(p) for p in sparse}
    dense = [p for p in net.parameters() if id(p) not in ids and p.requires_grad]
    opts: list[torch.optim.Optimizer] = []
    if sparse:
        opts.append(torch.optim.SparseAdam(sparse, lr=lr))
    if dense:
        opts.append(torch.optim.AdamW(dense, lr=lr, weight_decay=weight_decay))
    return Optimizers(opts)


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor,
                       weights: torch.Tensor | None = None) -> torch.Tensor:
    """The noise-aware loss: cross-entropy against probability vectors (mean over rows, each row
    weighted by ``weights`` when given)."""
    loss = -(targets * torch.log_softmax(logits, dim=1)).sum(1)
    if weights is None:
        return loss.mean()
    return (loss * weights).sum() / weights.sum().clamp(min=1e-9)


def confidence(probs: np.ndarray) -> np.ndarray:
    """How sure the label model is of a row, in [0, 1]: 1 - normalized entropy."""
    k = probs.shape[1]
    p = np.clip(probs, 1e-12, 1.0)
    entropy = -(p * np.log(p)).sum(1) / math.log(k)
    return (1.0 - entropy).astype(np.float32)


