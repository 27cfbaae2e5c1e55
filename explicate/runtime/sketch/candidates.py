"""Candidate values for holes, drawn from the unlabeled pool.

- a words hole: the pool's words (lowercase tokens of the text field the hole is looked for in,
  or object names for ``has ?obj``) whose document frequency clears a floor (at least
  ``min_df`` rows and ``min_df_frac`` of the pool, at most ``max_df_frac``); ``?w in @list``
  keeps the list's words; ``?w like "prize"`` keeps the ``like_k`` words nearest the seeds in the
  MiniLM embedding space;
- a number hole: quantiles of the value it is compared with, over the pool (``?n in 1..20``
  keeps those in range; a short whole-number range is tried whole);
- a label hole: every declared label.

A hole that must occur for its LF to vote (not under ``not``) is only worth trying where it
occurs in at least ``min_support`` labeled dev rows: elsewhere its precision cannot be measured.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from explicate import ir
from explicate.primitives.text import Contains, TextColumn

Value = ir.Phrase | ir.AnyOf | ir.Num | ir.Label


@dataclass(frozen=True)
class CandidateConfig:
    """The floors and caps of candidate generation."""

    min_df: int = 3  # a word must occur in at least this many pool rows ...
    min_df_frac: float = 0.002  # ... and in at least this share of them
    max_df_frac: float = 0.6  # words in more rows than this share are not candidates
    min_support: int = 3  # dev rows where a (positive) hole must occur to be tried
    max_words: int = 400  # word candidates per hole (single-hole sketches)
    max_joint: int = 2500  # assignments tried per sketch (several holes: a beam per hole)
    quantiles: int = 19  # number candidates: the 5%, 10%, ..., 95% quantiles
    like_k: int = 25  # pool words kept nearest to `like` seeds
    like_sets: tuple[int, ...] = (3, 6, 12, 25)  # `like` holes: also the nearest j words as one


@dataclass
class HoleSite:
    """Where a hole stands in its sketch: the field a words hole is looked for in, whether it
    sits under ``not``, and for a number the expression it is compared with."""

    hole: ir.Hole | ir.LabelHole
    text_field: str | None = None
    objects_field: str | None = None
    negated: bool = False
    compared: ir.Expr | None = None


def sites(lf: ir.LF) -> dict[str, HoleSite]:
    """Each hole of a (resolved, lowered) sketch by name, with its site (constraints merged:
    the use that carries a constraint stands for the name)."""
    out: dict[str, HoleSite] = {}

    def visit(node: ir.Expr, negated: bool, parent: ir.Expr | None) -> None:
        if isinstance(node, ir.Hole):
            site = out.setdefault(node.name, HoleSite(node, negated=negated))
            if site.hole is not node:
                # Another use of the same name: it must occur if any use must.
                site.negated = site.negated and negated
                if node.within is not None or node.like or node.low is not None:
                    site.hole = node
            text = getattr(parent, "text", None)
            if isinstance(text, ir.Field) and node.kind == "words":
                site.text_field = site.text_field or text.name
            if isinstance(parent, ir.Objects):
                site.objects_field = parent.field.name
            if isinstance(parent, ir.Compare):
                other = parent.right if parent.left == node else parent.left
                if not ir.holes(other):
                    site.compared = other
            return
        for child in ir.children(node):
            visit(child, negated or isinstance(node, ir.Not), node)

    visit(lf.when, False, None)
    if isinstance(lf.label, ir.LabelHole):
        out.setdefault(lf.label.name, HoleSite(lf.label))
    return out


def substitute(expr: ir.Expr, values: Mapping[str, Value]) -> ir.Expr:
    """``expr`` with each words/number hole replaced by its value."""

    def swap(node: ir.Expr) -> ir.Expr:
        if isinstance(node, ir.Hole) and node.name in values:
            return values[node.name]
        return node

    return ir.transform(expr, swap)


def _wordlike(text: str) -> bool:
    # A word, a number, or a currency sign ("£", "$"); not bare punctuation.
    return any(ch.isalnum() or unicodedata.category(ch) == "Sc" for ch in text)


@dataclass
class Vocabulary:
    """The distinct lowercase tokens of one text field over pool and dev rows, with their
    document frequency in each."""

    words: list[str]
    pool_df: np.ndarray
    dev_df: np.ndarray
    wordlike: np.ndarray | None = None  # bool per word: not bare punctuation (computed once)

    def usable(self) -> np.ndarray:
        if self.wordlike is None:
            self.wordlike = np.fromiter((_wordlike(w) for w in self.words), dtype=bool,
                                        count=len(self.words))
        return self.wordlike


def vocabulary(col: TextColumn, n_pool: int, strings: Callable[[int], str]) -> Vocabulary:
    """Document frequencies of the tokens of a text column whose first ``n_pool`` rows are the
    pool and the rest dev. ``strings`` maps a token's hash id back to its text."""
    if not len(col.lower):
        return Vocabulary([], np.zeros(0, np.int64), np.zeros(0, np.int64))
    ids, inverse = np.unique(col.lower, return_inverse=True)
    pairs = np.unique(col.doc_of * len(ids) + inverse)
    doc, tok = pairs // len(ids), pairs % len(ids)
    pool_df = np.bincount(tok[doc < n_pool], minlength=len(ids))
    dev_df = np.bincount(tok[doc >= n_pool], minlength=len(ids))
    return Vocabulary([strings(int(i)) for i in ids], pool_df, dev_df)


def word_candidates(site: HoleSite, vocab: Vocabulary, n_pool: int, cfg: CandidateConfig,
                    nearest: Callable[[list[str], list[str], int], list[str]] | None,
                    limit: int) -> list[ir.Phrase | ir.AnyOf]:
    """Words worth trying in a words hole, most frequent in dev first (then in the pool). A
    ``like`` hole also gets the concept as a whole: the nearest 3, 6, ... words as one value
    (``any of (...)``), which can be measured on dev where each word alone is too rare."""
    hole = site.hole
    assert isinstance(hole, ir.Hole)
    if hole.within is not None:
        listed: list[ir.Phrase | ir.AnyOf] = [*ir.phrases(hole.within)]
        return listed[:limit]
    floor = max(cfg.min_df, math.ceil(cfg.min_df_frac * n_pool))
    ceiling = cfg.max_df_frac * n_pool
    # Vectorized: a sketch file may hold 100 word holes over one field's vocabulary.
    keep = np.flatnonzero((vocab.pool_df >= floor) & (vocab.pool_df <= ceiling)
                          & vocab.usable()).tolist()
    if hole.like:
        # Nearness is judged over the pool's words, before the dev rows narrow them down.
        if nearest is None:
            raise RuntimeError("`like` needs the MiniLM embeddings")
        ranked = nearest([p.text for p in hole.like], [vocab.words[i] for i in keep],
                         cfg.like_k)
        chosen = set(ranked)
        keep = [i for i in keep if vocab.words[i] in chosen]
        sets: list[ir.Phrase | ir.AnyOf] = []
        for j in sorted({min(j, len(ranked)) for j in cfg.like_sets}):
            if j > 1:
                sets.append(ir.AnyOf(tuple(ir.Phrase(w) for w in ranked[:j])))
    else:
        sets = []
    if not site.negated:
        keep = [i for i in keep if vocab.dev_df[i] >= cfg.min_support]
    keep.sort(key=lambda i: (-int(vocab.dev_df[i]), -int(vocab.pool_df[i]), vocab.words[i]))
    singles: list[ir.Phrase | ir.AnyOf] = [ir.Phrase(vocab.words[i]) for i in keep[:limit]]
    return singles + sets


def object_candidates(names: np.ndarray, n_pool_objects: int, n_pool: int, row_of: np.ndarray,
                      cfg: CandidateConfig, limit: int) -> list[ir.Phrase]:
    """Object names present in enough pool images."""
    pool = names[:n_pool_objects]
    rows = row_of[:n_pool_objects]
    if not len(pool):
        return []
    uniq, inverse = np.unique(np.asarray(pool, dtype=object).astype(str), return_inverse=True)
    pairs = np.unique(rows * len(uniq) + inverse)
    df = np.bincount(pairs % len(uniq), minlength=len(uniq))
    floor = max(cfg.min_df, math.ceil(cfg.min_df_frac * n_pool))
    keep = [i for i in np.argsort(-df, kind="stable") if floor <= df[i] <= cfg.max_df_frac * n_pool]
    return [ir.Phrase(str(uniq[i])) for i in keep[:limit]]


def number_candidates(site: HoleSite, values: np.ndarray | None, cfg: CandidateConfig) -> list[ir.Num]:
    """Thresholds for a number hole: quantiles of what it is compared with over the pool."""
    hole = site.hole
    assert isinstance(hole, ir.Hole)
    lo = -math.inf if hole.low is None else hole.low
    hi = math.inf if hole.high is None else hole.high
    if (hole.low is not None and hole.high is not None and float(lo).is_integer()
            and float(hi).is_integer() and hi - lo <= 60):
        return [ir.Num(float(v)) for v in range(int(lo), int(hi) + 1)]
    grid: list[float] = []
    if values is not None:
        finite = values[np.isfinite(values)]
        if len(finite):
            qs = np.quantile(finite, np.linspace(0, 1, cfg.quantiles + 2)[1:-1])
            integral = bool(np.all(finite == np.round(finite)))
            grid = sorted({float(np.round(q)) if integral else float(f"{q:.3g}") for q in qs})
    if not grid:
        grid = [float(v) for v in range(1, 11)]
    return [ir.Num(v) for v in grid if lo <= v <= hi]


def assignments(names: list[str], options: list[list[Value]]) -> Iterator[dict[str, Value]]:
    """Every combination of one value per hole, in a fixed order."""
    if not names:
        yield {}
        return
    if any(not o for o in options):
        return  # a hole without candidates: nothing to try
    idx = [0] * len(names)
    while True:
        yield {n: options[i][idx[i]] for i, n in enumerate(names)}
        j = len(names) - 1
        while j >= 0:
            idx[j] += 1
            if idx[j] < len(options[j]):
                break
            idx[j] = 0
            j -= 1
        if j < 0:
            return


def proxy(site: HoleSite, word: ir.Phrase | ir.AnyOf) -> ir.Expr | None:
    """A condition that holds wherever ``word`` in this hole could make its LF vote: the word
    occurs in the hole's field (used to rank words of several-hole sketches)."""
    if site.text_field is not None:
        return Contains(text=ir.Field(site.text_field), words=word)
    return None


def label_values(labels: tuple[str, ...]) -> list[Value]:
    return [ir.Label(name, i) for i, name in enumerate(labels)]


def fill_label(lf: ir.LF, label: ir.Label) -> ir.LF:
    return dataclasses.replace(lf, label=label)
