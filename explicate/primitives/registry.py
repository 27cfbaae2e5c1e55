"""The primitive registry: one decorated class per primitive, everything else derives from it.

A primitive class declares, in one place, its fields (dataclass), its meaning (docstring), its DSL
phrasings (``syntax``), its type rule (``check``), its vectorized kernel (``kernel``) and its
per-example reference semantics (``reference``). The DSL grammar alternatives, the parse-tree
builder, the printer and the conformance tests are derived from the registry.

Syntax templates are whitespace-separated pieces: ``{field:rule}`` is a placeholder filled by the
grammar rule ``rule`` (``value``, ``words``, ``INT``, ``REGEX``) and stored in dataclass field
``field``; every other piece is a case-insensitive keyword or punctuation. An alternative may fix
other fields (``alt("... left of {target:value}", side="left")``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from explicate import ir


@dataclass(frozen=True, slots=True)
class Alt:
    """One DSL phrasing of a primitive."""

    template: str
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def pieces(self) -> list[str]:
        return self.template.split()

    @property
    def placeholders(self) -> list[tuple[str, str]]:
        """(field, grammar rule) for each ``{field:rule}``, in order."""
        out = []
        for piece in self.pieces:
            m = _PLACEHOLDER.fullmatch(piece)
            if m:
                out.append((m.group(1), m.group(2)))
        return out


def alt(template: str, **fixed: Any) -> Alt:
    """A phrasing whose other fields take the given fixed values."""
    return Alt(template, tuple(sorted(fixed.items())))


_PLACEHOLDER = re.compile(r"\{(\w+):(\w+)\}")


class CheckEnv(Protocol):
    """What a primitive's type rule may ask of the type checker."""

    def expect(self, expr: ir.Expr, expected: ir.Type, role: str) -> ir.Type: ...

    def same_text(self, a: ir.Expr, b: ir.Expr, role: str) -> None: ...

    def error(self, code: str, message: str, node: ir.Expr, label: str = "") -> None: ...


class Printer(Protocol):
    """Prints a child expression as DSL."""

    def __call__(self, expr: ir.Expr) -> str: ...


T = TypeVar("T", bound=type)


@dataclass(frozen=True, slots=True)
class Registered:
    """A registered primitive: its class, grammar rule name and phrasings."""

    cls: type[ir.Expr]
    name: str
    rule: str  # "predicate" (a condition) or "value" (a number)
    alts: tuple[Alt, ...]

    def alias(self, index: int) -> str:
        return f"{self.name}__{index}"


REGISTRY: dict[str, Registered] = {}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def primitive(cls: T) -> T:
    """Register a primitive class (apply on top of ``@dataclass``)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be a dataclass")
    syntax: tuple[Alt, ...] = tuple(
        a if isinstance(a, Alt) else Alt(a) for a in getattr(cls, "syntax", ())
    )
    if not syntax:
        raise TypeError(f"{cls.__name__} declares no syntax")
    field_names = {f.name for f in dataclasses.fields(cls)}
    for a in syntax:
        for fname, _ in a.placeholders:
            if fname not in field_names:
                raise TypeError(f"{cls.__name__}: placeholder {fname!r} is not a field")
    name = snake(cls.__name__)
    if name in REGISTRY:
        raise TypeError(f"primitive {name!r} registered twice")
    expr_cls: type[ir.Expr] = cls  # type: ignore[assignment]
    REGISTRY[name] = Registered(expr_cls, name, getattr(cls, "rule", "predicate"), syntax)
    return cls


def lookup(alias: str) -> tuple[Registered, Alt] | None:
    """The primitive and phrasing a grammar alias (``near__2``) stands for."""
    name, _, index = alias.rpartition("__")
    reg = REGISTRY.get(name)
    if reg is None or not index.isdigit():
        return None
    return reg, reg.alts[int(index)]


def build(alias: str, children: list[Any], span: ir.Span | None) -> ir.Expr:
    """Construct the primitive for a parsed alternative from its placeholder values."""
    found = lookup(alias)
    assert found is not None, alias
    reg, a = found
    kwargs = dict(a.fixed)
    for (fname, _), value in zip(a.placeholders, children, strict=True):
        kwargs[fname] = value
    return reg.cls(**kwargs, span=span)


def format_alt(a: Alt, node: ir.Expr, show: Printer) -> str:
    """Print ``node`` with phrasing ``a``: ``count(text)``, ``text contains "x"``."""
    out = ""
    prev = ""
    for piece in a.pieces:
        m = _PLACEHOLDER.fullmatch(piece)
        text = show(getattr(node, m.group(1))) if m else piece
        # No space around literal parentheses and before commas.
        glue = not out or prev == "(" or (m is None and piece in ("(", ")", ","))
        out += ("" if glue else " ") + text
        prev = "" if m else piece
    return out


def default_dsl(node: ir.Expr, show: Printer) -> str:
    """Print a primitive with the first phrasing whose fixed fields match the node."""
    reg = REGISTRY[snake(type(node).__name__)]
    for a in reg.alts:
        if all(getattr(node, k) == v for k, v in a.fixed) and all(
            getattr(node, f) is not None for f, _ in a.placeholders
        ):
            return format_alt(a, node, show)
    raise ValueError(f"no phrasing of {reg.name} fits {node!r}")


def grammar_rules() -> str:
    """Lark rules for every registered primitive: ``predicate`` and ``value`` alternatives."""
    by_rule: dict[str, list[str]] = {"predicate": [], "value": []}
    for reg in REGISTRY.values():
        for i, a in enumerate(reg.alts):
            parts = []
            for piece in a.pieces:
                m = _PLACEHOLDER.fullmatch(piece)
                if m:
                    parts.append(m.group(2))
                elif re.fullmatch(r"[A-Za-z]+", piece):
                    parts.append(f'"{piece}"i')
                else:
                    parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
            by_rule[reg.rule].append(f"{' '.join(parts)} -> {reg.alias(i)}")
    lines = []
    for rule, alts in by_rule.items():
        if alts:
            lines.append(f"primitive_{rule}: " + "\n    | ".join(alts))
    return "\n".join(lines) + "\n"


def registered(rule: str | None = None) -> list[Registered]:
    """The registered primitives (optionally only those of one grammar rule)."""
    return [r for r in REGISTRY.values() if rule is None or r.rule == rule]

