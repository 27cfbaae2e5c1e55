"""Static dependency analysis (Coral, Varma et al. 2017): LFs that read the same primitive are
correlated by construction, whatever the data, so the label model should not count their
agreement as independent evidence.

A walk over the lowered IR (``let`` definitions and word lists expanded) collects each LF's
*primitives*: every registered primitive node (``has @person``, ``min distance(@person, @bike)``,
``text contains "call"``) and every numeric field it compares. Nodes compare by meaning, so the
same primitive written in two LFs (or reached through the same ``let``) is one primitive. Two LFs
are dependent when they share one, unless they are *exclusive*: one requires a condition (a
top-level conjunct) that the other negates, as ``has @road -> RIDING`` and ``not has @road ->
NOT_RIDING``. Exclusive LFs never vote on the same row, so their shared primitive cannot make
them double-count evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from explicate import ir
from explicate.grammar.printer import to_dsl


def primitives_read(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    """The primitives an (expanded) condition reads, in first-use order, without repeats."""
    seen: dict[ir.Expr, None] = {}
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Primitive):
            seen.setdefault(node, None)
            continue  # a primitive's operands are part of it
        if isinstance(node, ir.Field):
            seen.setdefault(node, None)  # a numeric column compared directly
            continue
        stack.extend(reversed(list(ir.children(node))))
    return tuple(seen)


@dataclass(frozen=True)
class Dependency:
    """LFs ``i`` and ``j`` (``i < j``, positions in the program) share ``shared`` primitives."""

    i: int
    j: int
    names: tuple[str, str]
    shared: tuple[ir.Expr, ...]

    @property
    def pair(self) -> tuple[int, int]:
        return self.i, self.j

    def describe(self) -> list[str]:
        """The shared primitives as DSL text."""
        return [to_dsl(p) for p in self.shared]


def _conjuncts(expr: ir.Expr) -> tuple[set[ir.Expr], set[ir.Expr]]:
    """(conditions required, conditions negated) at the top level of a condition."""
    parts = expr.args if isinstance(expr, ir.And) else (expr,)
    required = {p for p in parts if not isinstance(p, ir.Not)}
    negated = {p.arg for p in parts if isinstance(p, ir.Not)}
    return required, negated


def exclusive(a: ir.Expr, b: ir.Expr) -> bool:
    """Whether two conditions can never hold together: one requires what the other negates."""
    req_a, neg_a = _conjuncts(a)
    req_b, neg_b = _conjuncts(b)
    return bool(req_a & neg_b or req_b & neg_a)


def dependencies(lfs: Sequence[ir.LF]) -> list[Dependency]:
    """Every pair of LFs that read a common primitive and can vote together, ordered by (i, j).

    Pass lowered LFs (``Program.lowered``) so that derived primitives are expanded.
    """
    reads = [primitives_read(lf.when) for lf in lfs]
    out = []
    for i in range(len(lfs)):
        mine = set(reads[i])
        for j in range(i + 1, len(lfs)):
            shared = tuple(p for p in reads[j] if p in mine)
            if shared and not exclusive(lfs[i].when, lfs[j].when):
                out.append(Dependency(i, j, (lfs[i].name, lfs[j].name), shared))
    return out


def dependency_pairs(lfs: Sequence[ir.LF]) -> list[tuple[int, int]]:
    """The pairs ``(i, j)`` for ``LabelModel(...).fit(L, dependencies=...)``."""
    return [d.pair for d in dependencies(lfs)]
