"""Canonical form: equal meaning → equal IR (as far as cheap rewrites go). Idempotent."""

from __future__ import annotations

from explicate import ir


def _dedupe(args: tuple[ir.Expr, ...]) -> tuple[ir.Expr, ...]:
    seen: dict[ir.Expr, None] = {}
    for a in args:
        seen.setdefault(a, None)
    return tuple(seen)


def _rewrite(node: ir.Expr) -> ir.Expr:
    match node:
        case ir.Not(arg=ir.Not(arg=inner)):
            return inner  # ¬¬x → x
        case ir.And(args=args) | ir.Or(args=args):
            kind = type(node)
            flat: list[ir.Expr] = []
            for a in args:
                # (x ∧ y) ∧ z → x ∧ y ∧ z, likewise for ∨
                flat.extend(a.args if isinstance(a, kind) else (a,))
            unique = _dedupe(tuple(flat))  # x ∧ x → x
            if len(unique) == 1:
                return unique[0]
            return kind(unique, span=node.span)
        case ir.AnyOf(items=items):
            unique_items = _dedupe(items)
            if len(unique_items) == 1:
                return unique_items[0]  # any of (x) → x
            return ir.AnyOf(unique_items, span=node.span)  # type: ignore[arg-type]
    return node


def normalize(expr: ir.Expr) -> ir.Expr:
    """Flatten and/or chains, drop repeats and double negation, unwrap one-word lists."""
    return ir.transform(expr, _rewrite)


def normalize_lf(lf: ir.LF) -> ir.LF:
    result = normalize(lf)
    assert isinstance(result, ir.LF)
    return result
