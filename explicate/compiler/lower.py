"""Lowering: evaluate all LFs as one graph over a featurized batch.

Evaluation is bottom-up and memoized by node (nodes compare by meaning, not by source position), so
``title contains "job"`` shared by five LFs is computed once; phrase occurrences are memoized by the
batch, so ``"call"`` is located once whether ``contains``, ``followed by`` or ``count`` asks.
Every kernel is a whole-column array operation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from explicate import ir
from explicate.compiler.schema import FieldKind
from explicate.primitives import text as text_prims


class Batch(text_prims.Batch, Protocol):
    """The featurized rows a program runs over (built by ``explicate.runtime.features``)."""

    def number(self, name: str) -> np.ndarray: ...

    def valid(self, name: str) -> np.ndarray: ...


class Evaluator:
    """Evaluates IR nodes over one batch, each distinct node once."""

    def __init__(self, batch: Batch):
        self.batch = batch
        self.memo: dict[ir.Expr, np.ndarray] = {}

    def __call__(self, node: ir.Expr) -> np.ndarray:
        cached = self.memo.get(node)
        if cached is None:
            cached = self._evaluate(node)
            self.memo[node] = cached
        return cached

    def _evaluate(self, node: ir.Expr) -> np.ndarray:
        n = self.batch.n
        match node:
            case ir.And(args=args):
                out = self(args[0]).copy()
                for a in args[1:]:
                    out &= self(a)
                return out
            case ir.Or(args=args):
                out = self(args[0]).copy()
                for a in args[1:]:
                    out |= self(a)
                return out
            case ir.Not(arg=arg):
                return ~self(arg)
            case ir.Compare(op=op, left=left, right=right):
                lhs, rhs = self(left), self(right)
                with np.errstate(invalid="ignore"):
                    # An undefined number (an aggregate over no objects, 0 / 0) compares false.
                    holds = np.asarray(ir.COMPARE[op](lhs, rhs), dtype=bool)
                    return holds & ~np.isnan(lhs) & ~np.isnan(rhs)
            case ir.Arith(op=op, left=left, right=right):
                with np.errstate(all="ignore"):
                    return np.asarray(ir.ARITH[op](self(left), self(right)), dtype=np.float64)
            case ir.Num(value=value):
                return np.full(n, value, dtype=np.float64)
            case ir.Field(name=name):
                return self.batch.number(name)
        kernel = getattr(node, "kernel", None)
        if kernel is None:
            raise TypeError(f"no kernel for {type(node).__name__}")
        result: np.ndarray = kernel(self.batch)
        return result


@dataclass(frozen=True)
class Program:
    """A compiled rule file: LFs in file order, ready to run over batches.

    ``lfs`` are the checked, normalized LFs as written (word lists by name, for printing);
    ``lowered`` are the same LFs with word lists expanded, which kernels evaluate.
    """

    labels: tuple[str, ...]
    lfs: tuple[ir.LF, ...]
    lowered: tuple[ir.LF, ...]
    field_kinds: dict[str, FieldKind]  # every field the LFs read, with the kind they need
    spans: dict[str, str]  # declared mentions -> text field
    word_lists: dict[str, tuple[ir.Phrase, ...]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lf.name for lf in self.lfs)

    @property
    def cardinality(self) -> int:
        return len(self.labels)

    @functools.cached_property
    def fields_of(self) -> tuple[tuple[str, ...], ...]:
        """The fields each lowered LF reads (a walk of its IR), found once, not per batch."""
        return tuple(ir.fields_read(lf.when) for lf in self.lowered)

    @functools.cached_property
    def phrases(self) -> tuple[ir.Phrase, ...]:
        """Every distinct phrase the lowered LFs look for (word lists expanded)."""
        return tuple(dict.fromkeys(n for lf in self.lowered for n in ir.walk(lf.when)
                                   if isinstance(n, ir.Phrase)))

    @functools.cached_property
    def runtime_memo(self) -> dict[str, Any]:
        """What the runtime derives from this program once and keeps as long as it (the token
        ids of its phrases: ``runtime.features.program_firsts``)."""
        return {}

    @functools.cached_property
    def entity_nodes(self) -> tuple[ir.Expr, ...]:
        """Each lowered LF's first node that reads named entities (``needs_entities``), found
        once: ``build_batch`` asks every batch, and walking 73 LFs cost ~1.5 ms each time."""
        out = []
        for lf in self.lowered:
            for node in ir.walk(lf.when):
                if getattr(node, "needs_entities", False):
                    out.append(node)
                    break
        return tuple(out)

    def apply(self, batch: Batch) -> np.ndarray:
        """The label matrix of a batch: int8[n, m] (int16 beyond 127 labels), ``ABSTAIN = -1``
        where an LF does not vote.

        An LF abstains on rows where a field it reads is missing or unusable.
        """
        ev = Evaluator(batch)
        out = np.full((batch.n, len(self.lowered)), ir.ABSTAIN,
                      dtype=ir.label_dtype(len(self.labels)))
        valid_memo: dict[tuple[str, ...], np.ndarray] = {}
        for j, (lf, fields) in enumerate(zip(self.lowered, self.fields_of, strict=True)):
            assert lf.label.id is not None
            valid = valid_memo.get(fields)
            if valid is None:
                valid = np.ones(batch.n, dtype=bool)
                for f in fields:
                    valid &= batch.valid(f)
                valid_memo[fields] = valid
            out[ev(lf.when) & valid, j] = lf.label.id
        return out
