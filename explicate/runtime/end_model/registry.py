"""The end-model registry: a kind of end model is one class registered under a name.

Built-in kinds: ``linear`` (:mod:`.linear`) and ``minilm`` (:mod:`.minilm`). A new kind is one
module::

    from explicate.runtime.end_model import BaseKind, Hyper, end_models

    @end_models.register("toy")
    class Toy(BaseKind):
        defaults = Hyper(epochs=10, lr=0.1, batch_size=32, weight_decay=0.0)

        def features(self, df):            # whatever the network reads, one row per df row
            ...
        def new_net(self, feats):          # a torch module: forward(feats[rows]) -> logits
            ...
        def net_from_state(self, state, meta):   # the same module, for EndModel.load
            ...

(or a package's entry point in the group ``explicate_end_models``). :class:`EndModel` makes one
instance per model, ``Kind(ctx)`` with its settings (:class:`KindContext`), and trains it with its
generic loop (minibatches of soft targets, the noise-aware loss, early stopping on dev).
:class:`BaseKind` supplies every method of :class:`EndModelKind` but ``features``, ``new_net`` and
``net_from_state``; a kind overrides the others where it differs (``linear`` packs its hashed
buckets when saved, ``minilm`` fine-tunes on a GPU). The pipeline's ``[end_model] kind``, the CLI
and the docs read the names from here (:func:`kinds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import catalogue
import numpy as np
import pandas as pd
import torch
from torch import nn

from explicate.runtime.end_model.inputs import TextSpec
from explicate.runtime.end_model.nets import Optimizers, optimizer

end_models = catalogue.create("explicate", "end_models", entry_points=True)


@dataclass(frozen=True)
class Hyper:
    """Training settings: epochs (an upper bound with a dev split), learning rate, rows per step,
    weight decay."""

    epochs: int
    lr: float
    batch_size: int
    weight_decay: float


@dataclass(frozen=True)
class KindContext:
    """What a kind reads of its :class:`EndModel`'s settings."""

    cardinality: int
    spec: TextSpec
    device: torch.device
    buckets: int = 1 << 20
    finetune: bool | str = "auto"
    cache_dir: Path | None = None
    progress: bool | None = None


@dataclass(frozen=True)
class TrainProblem:
    """What a kind's own trainer (:meth:`EndModelKind.train_full`) gets: the training rows, their
    target distributions ``probs[rows]`` (float32 ``[n, k]`` for all rows), row weights (None:
    equal), the settings, and a dev split with its scorer (``dev_score(probs) -> float``,
    higher is better) when there is one."""

    probs: np.ndarray
    rows: np.ndarray
    row_weights: np.ndarray | None
    hyper: Hyper
    seed: int
    patience: int
    dev_feats: Any = None
    dev_score: Callable[[np.ndarray], float] | None = None


@dataclass
class FullBatch:
    """A kind's own training result: the network (weights set), one history record per check
    (``epoch``, ``loss``, ``dev_score`` with a dev split) and the index of the kept record."""

    net: nn.Module
    history: list[dict[str, float]]
    best: int | None
    info: dict[str, float]


class EndModelKind(Protocol):
    """What a registered kind provides (see the module docstring)."""

    defaults: ClassVar[Hyper]
    predict_batch: int

    def __init__(self, ctx: KindContext) -> None: ...

    @classmethod
    def unavailable(cls) -> tuple[str, str] | None:
        """(what is missing, how to get it) when the kind cannot run here, else None."""

    def schedule(self, base: Hyper) -> Hyper:
        """The settings a fit trains with (called once as it starts, before ``features``)."""

    def features(self, df: pd.DataFrame) -> Any:
        """What the network reads of every row of ``df``."""

    def n_rows(self, feats: Any) -> int: ...

    def new_net(self, feats: Any) -> nn.Module: ...

    def forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        """Logits ``[len(rows), k]`` of the given rows of ``feats``."""

    def optimizer(self, net: nn.Module, hyper: Hyper) -> Optimizers: ...

    def train_full(self, feats: Any, problem: TrainProblem) -> FullBatch | None:
        """Train without the generic minibatch loop (e.g. full-batch L-BFGS), or None to use
        it."""

    def row_work(self, feats: Any) -> int:
        """Elements one row costs in a forward pass (sizes the thread policy's regions)."""

    def meta(self) -> dict[str, Any]:
        """JSON-able settings saved with the weights (read back by ``net_from_state``)."""

    def pack_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]: ...

    def net_from_state(self, state: dict[str, torch.Tensor], meta: dict[str, Any]) -> nn.Module:
        """The network of a saved model (``state`` as ``pack_state`` wrote it), weights loaded."""


class BaseKind:
    """Defaults for a kind whose features are one array (row i is ``feats[i]``) read by a plain
    torch module, trained with AdamW (SparseAdam for sparse embeddings)."""

    defaults: ClassVar[Hyper]
    predict_batch = 4096

    def __init__(self, ctx: KindContext) -> None:
        self.ctx = ctx

    @classmethod
    def unavailable(cls) -> tuple[str, str] | None:
        return None

    def schedule(self, base: Hyper) -> Hyper:
        return base

    def n_rows(self, feats: Any) -> int:
        return len(feats)

    def forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        return net(torch.as_tensor(feats[rows]).to(self.ctx.device))

    def optimizer(self, net: nn.Module, hyper: Hyper) -> Optimizers:
        return optimizer(net, hyper.lr, hyper.weight_decay)

    def train_full(self, feats: Any, problem: TrainProblem) -> FullBatch | None:
        return None

    def row_work(self, feats: Any) -> int:
        shape = getattr(feats, "shape", None)
        return int(np.prod(shape[1:])) if shape is not None and len(shape) > 1 else 1

    def meta(self) -> dict[str, Any]:
        return {}

    def pack_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return state


def get_kind(name: str) -> type[EndModelKind]:
    """The class registered as ``name``; ValueError naming the known kinds otherwise."""
    try:
        kind: type[EndModelKind] = end_models.get(name)
    except catalogue.RegistryError:
        raise ValueError(f"unknown end model {name!r}; choose one of {', '.join(kinds())}") \
            from None
    return kind


def kinds() -> tuple[str, ...]:
    """The registered kinds' names (built-ins first, then in registration order)."""
    return tuple(end_models.get_all())
