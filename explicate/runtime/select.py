"""The filter bank: which readings of explanations become labeling functions (BabbleLabble's).

Each reading is a candidate LF. In order, a candidate is dropped when:

1. **compile**: it does not type-check against the data's fields;
2. **semantic**: it does not vote the explanation's label on the explanation's own example;
3. **uniform**: it reads no field (a condition over quoted strings alone), or on the unlabeled
   pool it votes on no row or on every row;
4. **duplicate meaning**: its IR (after normalize) equals an LF already kept;
5. **duplicate signature**: its votes on the pool equal those of an LF already kept.

Every drop is a ``Rejection`` with a typed ``Reason`` (a stable code and a message), so callers
branch on the reason, never on the text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import Schema, compile_rules
from explicate.compiler.normalize import normalize
from explicate.errors import ExplicateError
from explicate.primitives.text import Truth
from explicate.runtime.apply import apply_program


class Reason(enum.Enum):
    """Why a reading was not kept. The value is the code written to reports."""

    NO_LABEL = "no_label"
    LABEL_CONFLICT = "label_conflict"
    PARTIAL = "partial"
    COMPILE = "compile"
    SEMANTIC = "semantic"
    UNIFORM = "uniform"
    DUPLICATE_MEANING = "duplicate_meaning"
    DUPLICATE_SIGNATURE = "duplicate_signature"
    POLICY = "policy"
    NEEDS_EXTRA = "needs_extra"  # entity types without the `ner` extra installed

    @property
    def duplicate(self) -> bool:
        """The reading's meaning is kept, by another LF."""
        return self in (Reason.DUPLICATE_MEANING, Reason.DUPLICATE_SIGNATURE)


@dataclass(frozen=True)
class Rejection:
    """One reading that was dropped: its DSL, why (``reason``) and a message for people."""

    reading: str
    reason: Reason
    message: str

    def as_json(self) -> dict[str, str]:
        return {"reading": self.reading, "reason": self.message, "code": self.reason.value}


@dataclass(frozen=True)
class Candidate:
    """A reading of explanation ``index`` (1-based) as an LF, and its DSL."""

    index: int
    lf: ir.LF
    dsl: str


def declarations(labels: Sequence[str], lists: Mapping[str, Sequence[str]],
                 spans: Mapping[str, str]) -> list[ir.Expr]:
    """The ``labels:``, ``words`` and ``spans:`` statements kept LFs are compiled with."""
    decls: list[ir.Expr] = [ir.LabelsDecl(tuple(labels))]
    decls += [ir.WordsDecl(n, tuple(ir.Phrase(w) for w in items)) for n, items in lists.items()]
    decls += [ir.SpansDecl(tuple(s for s, t in spans.items() if t == text), text)
              for text in dict.fromkeys(spans.values())]
    return decls


def compile_filter(candidate: Candidate, decls: Sequence[ir.Expr], schema: Schema
                   ) -> Rejection | None:
    """Filter 1: the candidate type-checks against the data."""
    try:
        compile_rules(ir.RuleFile((*decls, candidate.lf)), schema)
    except ExplicateError as exc:
        return Rejection(candidate.dsl, Reason.COMPILE, "does not compile: " +
                         "; ".join(d.message for d in exc.diagnostics))
    return None


@dataclass
class FilterBank:
    """Filters 2-5 over candidates that compile, in the order they are offered.

    ``on_examples[i, j]`` is candidate j's vote on explanation i+1's own example; ``on_pool``
    its votes on the pool (None without a pool: the uniform and signature filters are skipped).
    """

    labels: tuple[str, ...]
    on_examples: np.ndarray
    on_pool: np.ndarray | None
    keep_best: bool = False

    def __post_init__(self) -> None:
        self._meanings: dict[tuple[ir.Expr, str], str] = {}
        self._votes: dict[bytes, str] = {}
        self._kept_from: set[int] = set()

    def judge(self, j: int, c: Candidate) -> Rejection | None:
        """Why candidate ``j`` is dropped, or None when it is kept (and remembered as kept)."""
        if _constant(c.lf.when):
            # Known without a pool: a condition over no field ("'wife' is in 'his wife'") is
            # the same on every row, so it labels all of them or none.
            return Rejection(c.dsl, Reason.UNIFORM, "uniform: reads no field of the example, "
                             "so it votes on every row or on none")
        want = self.labels.index(c.lf.label.name)
        got = int(self.on_examples[c.index - 1, j])
        if got != want:
            what = "abstains" if got == ir.ABSTAIN else f"votes {self.labels[got]}"
            return Rejection(c.dsl, Reason.SEMANTIC, f"semantic: {what} on its own example "
                             f"(labeled {self.labels[want]})")
        if self.on_pool is not None:
            covered = int((self.on_pool[:, j] != ir.ABSTAIN).sum())
            if covered == 0 or covered == len(self.on_pool):
                return Rejection(c.dsl, Reason.UNIFORM, "uniform: votes on "
                                 f"{'no' if covered == 0 else 'every'} row of the pool")
        key = (normalize(c.lf.when), c.lf.label.name)
        if key in self._meanings:
            return Rejection(c.dsl, Reason.DUPLICATE_MEANING,
                             f"duplicate meaning of {self._meanings[key]}")
        if self.on_pool is not None:
            sig = self.on_pool[:, j].tobytes()
            if sig in self._votes:
                return Rejection(c.dsl, Reason.DUPLICATE_SIGNATURE, "duplicate signature: same "
                                 f"votes on the pool as {self._votes[sig]}")
            self._votes[sig] = c.lf.name
        if self.keep_best and c.index in self._kept_from:
            return Rejection(c.dsl, Reason.POLICY, "policy: one LF per explanation "
                             "(keep='best')")
        self._meanings[key] = c.lf.name
        self._kept_from.add(c.index)
        return None


def _constant(when: ir.Expr) -> bool:
    """The condition is settled without data: quoted strings compared with each other, and no
    field read."""
    return not ir.fields_read(when) and any(isinstance(n, Truth) for n in ir.walk(when))


def vote_tables(candidates: Sequence[Candidate], decls: Sequence[ir.Expr], schema: Schema,
                examples: pd.DataFrame, pool: pd.DataFrame | None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Every candidate's votes on the explained examples, and on the pool.

    The pool for the uniform and signature filters includes the explained examples themselves
    (the expert saw them), so a rare phrase that votes on its own example is not "uniform".
    """
    program = compile_rules(ir.RuleFile((*decls, *(c.lf for c in candidates))), schema)
    on_examples = apply_program(program, examples, schema, progress=False).L
    on_pool = None
    if pool is not None:
        on_pool = np.concatenate([apply_program(program, pool, schema, progress=False).L,
                                  on_examples])
    return on_examples, on_pool
