"""The :class:`EndModel` facade: one classifier over the text of a row, whatever its kind.

The label model labels only the rows some LF votes on, and softly; the end model learns from those
probabilities a classifier over the *text*, which also labels rows no LF covers. Training minimizes
the cross-entropy against the probability vectors (optionally weighting each row by the label
model's confidence); rows no LF covers are left out unless ``include_uncovered``. What a kind does
differently (its features, network, saved state) lives in its registered class (:mod:`.registry`);
the training loop, early stopping, prediction and the file format are here, shared.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from explicate.runtime.device import resolve_device, thread_policy
from explicate.runtime.end_model.encoder import SentenceEncoder
from explicate.runtime.end_model.inputs import TextSpec

# The built-in kinds register themselves on import.
from explicate.runtime.end_model.linear import Linear  # noqa: F401
from explicate.runtime.end_model.minilm import MiniLM  # noqa: F401
from explicate.runtime.end_model.nets import confidence, soft_cross_entropy
from explicate.runtime.end_model.progress import Progress
from explicate.runtime.end_model.registry import (
    EndModelKind,
    Hyper,
    KindContext,
    TrainProblem,
    get_kind,
)
from explicate.runtime.metrics import score_predictions

_FORMAT = "explicate.end_model/1"


@dataclass
class EndModel:
    """A classifier over the text of a row, trained on (probabilistic) labels.

    ``kind``: a registered kind (``linear``, ``minilm``, ...: :func:`kinds`); ``cardinality``: the
    number of classes; ``spec``: which fields it reads. ``fit(df, probs)`` trains on probability
    vectors ``float[n, k]`` (one-hot rows train on gold); ``predict_proba(df)`` ->
    ``float32[n, k]``. Training uses ``seed`` for initialization and shuffling; with a dev split
    (``dev_df``, ``dev_y``) it keeps the epoch with the best dev score (F1 of ``positive`` for two
    classes, else macro F1) and stops after ``patience`` epochs without improvement. ``epochs``,
    ``lr``, ``batch_size``, ``weight_decay`` default to the kind's.
    """

    kind: str = "linear"
    cardinality: int = 2
    spec: TextSpec = field(default_factory=lambda: TextSpec(("text",)))
    device: str | torch.device = "auto"
    seed: int = 0
    epochs: int | None = None
    lr: float | None = None
    batch_size: int | None = None
    weight_decay: float | None = None
    confidence_weighted: bool = False
    include_uncovered: bool = False
    patience: int = 5
    positive: int = 1
    buckets: int = 1 << 20
    finetune: bool | str = "auto"
    cache_dir: str | Path | None = None
    progress: bool | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    fit_info: dict[str, float] = field(default_factory=dict)
    _net: nn.Module | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        kind_cls = get_kind(self.kind)
        if self.cardinality < 2:
            raise ValueError("cardinality must be at least 2")
        d = kind_cls.defaults
        self.epochs = int(self.epochs if self.epochs is not None else d.epochs)
        self.lr = float(self.lr if self.lr is not None else d.lr)
        self.batch_size = int(self.batch_size or d.batch_size)
        self.weight_decay = float(self.weight_decay if self.weight_decay is not None
                                  else d.weight_decay)
        self.torch_device = resolve_device(self.device)
        self._kind: EndModelKind = kind_cls(KindContext(
            self.cardinality, self.spec, self.torch_device, self.buckets, self.finetune,
            Path(self.cache_dir) if self.cache_dir is not None else None, self.progress))

    @property
    def _encoder(self) -> SentenceEncoder | None:
        """The sentence encoder of an embedding kind (None for the others or before use)."""
        return getattr(self._kind, "encoder", None)

    def _features(self, df: pd.DataFrame) -> Any:
        missing = [c for c in self.spec.columns if c not in df.columns]
        if missing:
            raise ValueError(f"the end model reads columns not in the data: {', '.join(missing)}")
        return self._kind.features(df)

    # -------------------------------------------------------------------- training
    def fit(self, df: pd.DataFrame, probs: np.ndarray, *, covered: np.ndarray | None = None,
            dev_df: pd.DataFrame | None = None, dev_y: np.ndarray | None = None) -> EndModel:
        """Train on the rows of ``df`` with target distributions ``probs`` (``float[n, k]``).

        ``covered`` (bool ``[n]``) marks rows some LF voted on; the others are left out unless
        ``include_uncovered``. ``dev_df``/``dev_y`` (gold label ids, ``-1`` = unknown) select the
        best epoch.
        """
        probs = np.asarray(probs, dtype=np.float32)
        rows_all = self._training_rows(probs, len(df), covered)
        torch.manual_seed(self.seed)
        assert self.epochs is not None and self.lr is not None and self.batch_size is not None
        assert self.weight_decay is not None
        hyper = self._kind.schedule(Hyper(self.epochs, self.lr, self.batch_size,
                                          self.weight_decay))
        t0 = time.perf_counter()
        feats = self._features(df)
        dev_feats = self._features(dev_df) if dev_df is not None and dev_y is not None else None
        t1 = time.perf_counter()
        row_w = confidence(probs) if self.confidence_weighted else None
        dev_score = None
        if dev_feats is not None:
            assert dev_y is not None
            y = np.asarray(dev_y)

            def dev_score(p: np.ndarray) -> float:
                return self._dev_score(p, y)

        own = self._kind.train_full(feats, TrainProblem(
            probs, rows_all, row_w[rows_all] if row_w is not None else None, hyper, self.seed,
            self.patience, dev_feats, dev_score))
        extra: dict[str, float] = {}
        if own is not None:
            net, self.history, best_at, extra = own.net, own.history, own.best, own.info
        else:
            net = self._kind.new_net(feats).to(self.torch_device)
            best = self._train(net, feats, probs, rows_all, hyper, dev_feats, dev_y, row_w)
            best_at = best[1] if best is not None else None
            if best is not None:
                net.load_state_dict(best[2])
        self._net = net
        self.fit_info = {"features_seconds": t1 - t0, "train_seconds": time.perf_counter() - t1,
                         "rows": float(len(rows_all)), "epochs": float(len(self.history)),
                         "best_epoch": float(best_at + 1) if best_at is not None
                         else float(len(self.history)), **extra}
        return self

    def _training_rows(self, probs: np.ndarray, n: int, covered: np.ndarray | None) -> np.ndarray:
        if probs.shape != (n, self.cardinality):
            raise ValueError(f"probs has shape {probs.shape}, expected ({n}, "
                             f"{self.cardinality})")
        keep = np.ones(n, dtype=bool)
        if covered is not None and not self.include_uncovered:
            keep &= np.asarray(covered, dtype=bool)
        keep &= np.isfinite(probs).all(1)
        rows = np.flatnonzero(keep)
        if not len(rows):
            raise ValueError("no training rows: no LF covers any row")
        return rows

    def _train(self, net: nn.Module, feats: Any, probs: np.ndarray, rows_all: np.ndarray,
               hyper: Hyper, dev_feats: Any, dev_y: np.ndarray | None,
               confidences: np.ndarray | None
               ) -> tuple[float, int, dict[str, torch.Tensor]] | None:
        """Minibatch epochs; the best epoch on dev as (score, epoch, weights), None without dev."""
        rng = np.random.default_rng(self.seed)
        opt = self._kind.optimizer(net, hyper)
        targets = torch.from_numpy(probs).to(self.torch_device)
        row_w = torch.from_numpy(confidences).to(self.torch_device) \
            if confidences is not None else None
        epochs, bs = hyper.epochs, hyper.batch_size
        best: tuple[float, int, dict[str, torch.Tensor]] | None = None
        self.history = []
        with Progress(self.progress, epochs, f"training end model ({self.kind})") as advance:
            for epoch in range(epochs):
                net.train()
                perm = rng.permutation(rows_all)
                total = 0.0
                # Threads chosen per epoch: training runs for minutes, the load changes.
                with thread_policy(bs * self._kind.row_work(feats)):
                    for s in range(0, len(perm), bs):
                        rows = perm[s : s + bs]
                        idx = torch.from_numpy(rows).to(self.torch_device)
                        logits = self._kind.forward(net, feats, rows)
                        loss = soft_cross_entropy(logits, targets[idx],
                                                  row_w[idx] if row_w is not None else None)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        total += float(loss.detach()) * len(rows)
                record = {"epoch": epoch + 1, "loss": total / len(perm)}
                if dev_feats is not None:
                    assert dev_y is not None
                    self._net = net
                    score = self._dev_score(self._predict_feats(dev_feats), np.asarray(dev_y))
                    record["dev_score"] = score
                    if best is None or score > best[0] + 1e-6:
                        best = (score, epoch, {k: v.detach().clone()
                                               for k, v in net.state_dict().items()})
                    elif epoch - best[1] >= self.patience:
                        self.history.append(record)
                        advance(epochs - epoch, "early stop")
                        break
                self.history.append(record)
                advance(1, f"loss {record['loss']:.4f}")
        return best

    def _dev_score(self, probs: np.ndarray, y: np.ndarray) -> float:
        known = y >= 0
        preds = probs.argmax(1)
        if not known.any():
            return 0.0
        if self.cardinality == 2:
            yy = (y[known] == self.positive).astype(np.int64)
            pp = (preds[known] == self.positive).astype(np.int64)
            return score_predictions(yy, pp, ["f1"])["f1"]
        return score_predictions(y[known], preds[known], ["f1_macro"])["f1_macro"]

    # -------------------------------------------------------------------- prediction
    def _predict_feats(self, feats: Any) -> np.ndarray:
        if self._net is None:
            raise RuntimeError("EndModel is not fitted; call fit first")
        net = self._net
        net.eval()
        n = self._kind.n_rows(feats)
        out = np.zeros((n, self.cardinality), dtype=np.float32)
        step = self._kind.predict_batch
        with torch.inference_mode(), thread_policy(step * self._kind.row_work(feats)):
            for s in range(0, n, step):
                rows = np.arange(s, min(n, s + step))
                out[s : s + len(rows)] = torch.softmax(self._kind.forward(net, feats, rows),
                                                       1).cpu()
        return out

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """float32 ``[n, k]``: the model's class probabilities for every row."""
        return self._predict_feats(self._features(df))

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """int64 ``[n]``: the most probable class of every row."""
        return self.predict_proba(df).argmax(1).astype(np.int64)

    # -------------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """Write the model (weights and settings; a torch file of tensors, no pickled objects)."""
        if self._net is None:
            raise RuntimeError("EndModel is not fitted; call fit first")
        meta = {"format": _FORMAT, "kind": self.kind, "cardinality": self.cardinality,
                "spec": self.spec.to_json(), "buckets": self.buckets, "seed": self.seed,
                "positive": self.positive, "history": self.history, "finetuned": False,
                **self._kind.meta()}
        state = self._kind.pack_state({k: v.detach().cpu()
                                       for k, v in self._net.state_dict().items()})
        buf = io.BytesIO()
        torch.save({"meta": json.dumps(meta), "state": state}, buf)
        Path(path).write_bytes(buf.getvalue())

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "auto",
             cache_dir: str | Path | None = None) -> EndModel:
        """A model written by :meth:`save`, ready to predict."""
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(blob["meta"])
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a saved explicate EndModel")
        model = cls(kind=meta["kind"], cardinality=meta["cardinality"],
                    spec=TextSpec.from_json(meta["spec"]), device=device, seed=meta["seed"],
                    buckets=meta["buckets"], positive=meta["positive"], cache_dir=cache_dir,
                    finetune=meta["finetuned"], progress=False)
        model.history = list(meta["history"])
        net = model._kind.net_from_state(dict(blob["state"]), meta)
        model._net = net.to(model.torch_device)
        return model
