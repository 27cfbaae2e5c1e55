"""End models: classifiers trained on the label model's probabilistic labels (noise-aware).

:class:`EndModel` (``model.py``) is the facade; each kind is one registered class (``registry.py``:
``linear.py``, ``minilm.py``); ``inputs.py`` turns rows into what a kind reads (hashed n-grams,
mention offsets, encoder texts), ``encoder.py`` is the MiniLM sentence encoder and its embedding
cache, ``nets.py`` the torch modules, the noise-aware loss and the optimizers, ``solver.py`` the
linear kind's full-batch L-BFGS training on the CPU.
"""

from __future__ import annotations

from explicate.runtime.end_model.encoder import (
    MINILM,
    MINILM_PACKAGE,
    EmbeddingCache,
    SentenceEncoder,
    mean_pool,
    minilm_available,
    minilm_path,
)
from explicate.runtime.end_model.inputs import (
    Bags,
    TextSpec,
    encoder_texts,
    hashed_features,
    mention_offsets,
)
from explicate.runtime.end_model.model import EndModel
from explicate.runtime.end_model.nets import confidence, soft_cross_entropy
from explicate.runtime.end_model.registry import (
    BaseKind,
    EndModelKind,
    Hyper,
    KindContext,
    end_models,
    get_kind,
    kinds,
)

# The kinds registered when explicate is imported (call kinds() for later registrations).
KINDS: tuple[str, ...] = kinds()

__all__ = [
    "KINDS", "MINILM", "MINILM_PACKAGE", "Bags", "BaseKind", "EmbeddingCache", "EndModel",
    "EndModelKind", "Hyper", "KindContext", "SentenceEncoder", "TextSpec", "confidence",
    "encoder_texts", "end_models", "get_kind", "hashed_features", "kinds", "mean_pool",
    "mention_offsets", "minilm_available", "minilm_path", "soft_cross_entropy",
]
