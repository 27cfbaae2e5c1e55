"""Streamed training: an end model trained from data read one window of rows at a time, for
data that does not fit in memory (shards: ``runtime.engine.train``).

The full-batch solver (:mod:`.solver`) needs every row's features at once, so it stays the
trainer for data in memory. Here the generic minibatch loop of :class:`~.model.EndModel` (the
noise-aware loss, the kind's network and optimizer: SparseAdam on the ``linear`` kind's hashed
buckets) runs over :class:`Window` s: each window's features are computed when it arrives, its
covered rows shuffled and cut into minibatches, then it is dropped. Memory is one window (its
rows, features and probabilities) plus the network, whatever the number of rows.

Windows are cut at fixed global row numbers (``start`` a multiple of the window size) by the
reader, and a window's shuffle is seeded by ``(seed, epoch, start)``: the minibatches, and so
the trained weights, do not depend on how the rows are split into files. They differ from
in-memory training, which shuffles all rows together and (for ``linear`` on the CPU) solves
the L2-regularized objective exactly; the two agree within a tolerance (``tests/test_train_shards.py``).

The weights returned are the average of the iterates of the last epochs (Polyak-Ruppert tail
averaging, :func:`averaged_epochs`): with a constant learning rate the last iterate jitters around
the optimum by the minibatch noise, and the mean of the iterates lies closer to it. The average
is kept with torch's ``AveragedModel`` (an equal-weight running mean, updated after every step).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.optim.swa_utils import AveragedModel

from explicate.runtime.device import thread_policy
from explicate.runtime.end_model.model import EndModel
from explicate.runtime.end_model.nets import confidence, soft_cross_entropy
from explicate.runtime.end_model.progress import Progress
from explicate.runtime.end_model.registry import Hyper

STREAM_EPOCHS = 3
"""Passes over the data when streaming (each re-reads and re-featurizes every window): large
data needs few passes of minibatch training."""

STREAM_BATCH = 256
"""Rows per minibatch when streaming: SparseAdam's step costs about as much for 64 rows as for
256 (the per-step overhead dominates), so larger batches read rows faster."""


@dataclass(frozen=True)
class Window:
    """Consecutive rows of the data: ``start`` (the first row's number among all rows), the
    end model's columns of the rows, the label model's probabilities (float32 ``[n, k]``) and
    whether some LF voted on each row (bool ``[n]``)."""

    start: int
    frame: pd.DataFrame
    probs: np.ndarray
    covered: np.ndarray


def averaged_epochs(epochs: int) -> int:
    """How many of the last epochs' iterates are averaged into the returned weights: the second
    half of training (``epochs // 2``), none with a single epoch (its early iterates are far
    from the optimum)."""
    return epochs // 2


Passes = Callable[[], Iterable[Window]]
"""One call, one pass over all the data, window by window in row order."""


def _training_rows(model: EndModel, w: Window) -> np.ndarray:
    n = len(w.frame)
    if w.probs.shape != (n, model.cardinality) or w.covered.shape != (n,):
        raise ValueError(f"window at row {w.start}: probs {w.probs.shape} and covered "
                         f"{w.covered.shape} do not fit its {n} rows and {model.cardinality} "
                         "classes")
    keep = np.isfinite(w.probs).all(1)
    if not model.include_uncovered:
        keep &= w.covered
    return np.flatnonzero(keep)


def fit_streamed(model: EndModel, passes: Passes) -> EndModel:
    """Train ``model`` (its kind, epochs, learning rate, batch size, seed, confidence weighting
    and ``include_uncovered`` as set) on the windows ``passes()`` yields, ``model.epochs``
    times; no dev split (every epoch is kept). Sets ``history`` (loss and rows per epoch) and
    ``fit_info`` (features and training seconds, rows trained on per epoch, rows read)."""
    kind = model._kind  # the facade's parts: this is its minibatch loop, fed window by window
    assert model.epochs is not None and model.lr is not None and model.batch_size is not None
    assert model.weight_decay is not None
    hyper = kind.schedule(Hyper(model.epochs, model.lr, model.batch_size, model.weight_decay))
    torch.manual_seed(model.seed)
    dev = model.torch_device
    net: torch.nn.Module | None = None
    opt = None
    history: list[dict[str, float]] = []
    feature_s = train_s = 0.0
    rows_trained = rows_read = 0
    average_from = hyper.epochs - averaged_epochs(hyper.epochs)
    swa: AveragedModel | None = None
    with Progress(model.progress, hyper.epochs, f"training end model ({model.kind}, "
                  "streamed)") as advance:
        for epoch in range(hyper.epochs):
            total, count = 0.0, 0
            for w in passes():
                rows_read += len(w.frame)
                rows = _training_rows(model, w)
                if not rows.size:
                    continue
                # Features of the training rows only (a row's features do not depend on the
                # others): uncovered rows cost nothing to skip.
                t0 = time.perf_counter()
                feats = model._features(w.frame.iloc[rows])
                t1 = time.perf_counter()
                feature_s += t1 - t0
                if net is None:
                    net = kind.new_net(feats).to(dev)
                    opt = kind.optimizer(net, hyper)
                assert opt is not None
                perm = np.random.default_rng([model.seed, epoch, w.start]).permutation(len(rows))
                probs = np.ascontiguousarray(w.probs[rows], np.float32)
                targets = torch.from_numpy(probs).to(dev)
                row_w = torch.from_numpy(confidence(probs)).to(dev) \
                    if model.confidence_weighted else None
                net.train()
                with thread_policy(hyper.batch_size * kind.row_work(feats)):
                    for s in range(0, len(perm), hyper.batch_size):
                        batch = perm[s : s + hyper.batch_size]
                        idx = torch.from_numpy(batch).to(dev)
                        loss = soft_cross_entropy(kind.forward(net, feats, batch), targets[idx],
                                                  row_w[idx] if row_w is not None else None)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        if epoch >= average_from:
                            if swa is None:
                                swa = AveragedModel(net)
                            swa.update_parameters(net)
                        total += float(loss.detach()) * len(batch)
                count += len(perm)
                train_s += time.perf_counter() - t1
            if count == 0:
                raise ValueError("no training rows: no LF covers any row")
            rows_trained = count
            history.append({"epoch": float(epoch + 1), "loss": total / count,
                            "rows": float(count)})
            advance(1, f"loss {total / count:.4f}")
    assert net is not None
    if swa is not None:
        with torch.no_grad():
            for mine, mean in zip(net.parameters(), swa.module.parameters(), strict=True):
                mine.copy_(mean)
    model._net = net
    model.history = history
    model.fit_info = {"features_seconds": feature_s, "train_seconds": train_s,
                      "rows": float(rows_trained), "rows_read": float(rows_read),
                      "epochs": float(len(history)),
                      "best_epoch": float(len(history)),
                      "averaged_epochs": float(averaged_epochs(hyper.epochs))}
    return model
