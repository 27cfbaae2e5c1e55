"""Concepts without quoted words ("no indication of marriage between them", "they are married"):
the English reading names a word list for the concept (``@marriage``) and the data fills it.

The words are those of the pool (its text fields, each word in at least ``min_df`` rows and at
most ``max_df_frac`` of them, the ``max_words`` most frequent) nearest to the concept word in
the shipped MiniLM embedding space (``runtime.sketch.embed``, the ``encoder`` extra): the ``k``
nearest with cosine similarity at least ``min_similarity``. The filled list is shown as DSL
(``words marriage = "married", ...``) and every reading that uses it goes through the filters
like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.errors import ExplicateError
from explicate.runtime.features import tokenize_column
from explicate.runtime.sketch.candidates import vocabulary
from explicate.runtime.tokens import token_text

# seed word, candidate words -> cosine similarity of each candidate to the seed
Similar = Callable[[str, list[str]], np.ndarray]


@dataclass(frozen=True)
class ConceptConfig:
    k: int = 15  # at most this many words per concept
    min_similarity: float = 0.65  # cosine to the concept word, in MiniLM space
    min_df: int = 3  # a word must occur in this many pool rows (1 for pools under 50 rows)
    max_df_frac: float = 0.3  # and in at most this share of them (not "the", "and")
    min_chars: int = 3
    max_words: int = 4000  # the most frequent words of the pool only (embedding them is the cost)


@dataclass(frozen=True)
class Concept:
    """A concept's word list: the words and their similarity to the concept word."""

    name: str
    words: tuple[str, ...]
    similarity: tuple[float, ...]

    def as_json(self) -> dict[str, Any]:
        return {"words": list(self.words), "similarity": [round(s, 3) for s in self.similarity]}


@dataclass(frozen=True)
class Unfilled:
    """Why a concept has no words: ``missing_extra`` (no embeddings) or none near enough."""

    name: str
    message: str
    missing_extra: bool


def concept_names(conditions: Iterable[ir.Expr], known: Iterable[str]) -> list[str]:
    """The word lists the conditions use that are not the user's: the concepts, first-use order."""
    known_set = set(known)
    found: dict[str, None] = {}
    for cond in conditions:
        for node in ir.walk(cond):
            if isinstance(node, ir.WordList) and node.name not in known_set:
                found.setdefault(node.name, None)
    return list(found)


def pool_words(data: pd.DataFrame, fields: Sequence[str], cfg: ConceptConfig) -> list[str]:
    """The words of the pool's text fields a concept may take (document-frequency bounds)."""
    n = len(data)
    floor = cfg.min_df if n >= 50 else 1
    ceiling = max(cfg.max_df_frac * n, floor)
    freq: dict[str, int] = {}
    for name in fields:
        values = [v if isinstance(v, str) else "" for v in data[name].tolist()]
        vocab = vocabulary(tokenize_column(values), n, token_text)
        for w, df in zip(vocab.words, vocab.pool_df.tolist(), strict=True):
            if floor <= df <= ceiling and len(w) >= cfg.min_chars and w.isalpha():
                freq[w] = max(freq.get(w, 0), df)
    frequent = sorted(freq, key=lambda w: (-freq[w], w))[: cfg.max_words]
    return sorted(frequent)


def minilm_similar(seed: str, words: list[str]) -> np.ndarray:
    """Cosine similarity to ``seed`` in the shipped MiniLM space (raises E604 without it)."""
    from explicate.runtime.sketch.embed import embed_cached

    return embed_cached(words) @ embed_cached([seed])[0]


def fill_concepts(names: Sequence[str], data: pd.DataFrame, fields: Sequence[str], *,
                  similar: Similar | None = None, config: ConceptConfig | None = None
                  ) -> tuple[dict[str, Concept], dict[str, Unfilled]]:
    """Fill each concept from the pool's words; the concepts that got no words, and why."""
    cfg = config or ConceptConfig()
    filled: dict[str, Concept] = {}
    unfilled: dict[str, Unfilled] = {}
    if not names:
        return filled, unfilled
    words = pool_words(data, fields, cfg)
    sim = similar or minilm_similar
    for name in names:
        try:
            scores = np.asarray(sim(name, words), dtype=np.float64) if words else np.zeros(0)
        except ExplicateError:
            unfilled[name] = Unfilled(name, "concepts need the MiniLM embeddings: install the "
                                      "encoder extra (pip install 'explicate[encoder]')", True)
            continue
        order = np.lexsort((np.arange(len(words)), -scores))[: cfg.k]
        chosen = [i for i in order.tolist() if scores[i] >= cfg.min_similarity
                  and not math.isnan(scores[i])]
        if not chosen:
            unfilled[name] = Unfilled(name, f"E221: no word of the data is near the concept "
                                      f"'{name}' (similarity >= {cfg.min_similarity}); quote "
                                      "the words instead", False)
            continue
        filled[name] = Concept(name, tuple(words[i] for i in chosen),
                               tuple(float(scores[i]) for i in chosen))
    return filled, unfilled
