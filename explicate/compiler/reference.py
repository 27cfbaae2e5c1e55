"""The reference interpreter: one example at a time, in plain Python. It is the executable spec
the vectorized kernels are tested against (see tests/test_compiled_vs_reference.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explicate import ir
from explicate.compiler.lower import Program
from explicate.primitives.columns import Obj, parse_objects

Tokenize = Callable[[str], list[tuple[str, int]]]  # text -> [(token text, char offset)]
# text -> [(start char, end char, TYPE)]: the named entities (``runtime.entities``)
Recognize = Callable[[str], list[tuple[int, int, str]]]

@dataclass
class PlainRow:
    """One example as a dict of values, with mentions located by plain string search."""

    values: Mapping[str, Any]
    spans: Mapping[str, str]  # mention field -> its text field
    tokenize: Tokenize
    recognize: Recognize | None = None
    _tokens: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def _tok(self, name: str) -> list[tuple[str, int]]:
        if name not in self._tokens:
            self._tokens[name] = self.tokenize(self.string(name))
        return self._tokens[name]

    def tokens(self, name: str) -> list[str]:
        return [t for t, _ in self._tok(name)]

    def string(self, name: str) -> str:
        if name in self.spans and name not in self.values:
            # A mention given only by offsets: the slice of its text.
            chars = self.char_range(name)
            return self.string(self.spans[name])[chars[0] : chars[1]] if chars else ""
        value = self.values.get(name)
        return value if isinstance(value, str) else ""

    def phrase_tokens(self, phrase: ir.Phrase) -> list[str]:
        return [t for t, _ in self.tokenize(phrase.text)]

    def char_range(self, name: str) -> tuple[int, int] | None:
        """Character range of a mention in its text: given offsets, else first occurrence."""
        if f"{name}_start" in self.values and f"{name}_end" in self.values:
            start, end = self.number(f"{name}_start"), self.number(f"{name}_end")
            if math.isnan(start) or math.isnan(end) or end <= start:
                return None
            return int(start), int(end)
        mention, text = self.string(name), self.string(self.spans[name])
        at = text.find(mention) if mention else -1
        return None if at < 0 else (at, at + len(mention))

    def mention(self, name: str) -> tuple[str, int, int] | None:
        """(text field, first token, end token) of a mention; tokens overlapping its characters."""
        chars = self.char_range(name)
        if chars is None:
            return None
        text_field = self.spans[name]
        cs, ce = chars
        toks = self._tok(text_field)
        inside = [i for i, (t, off) in enumerate(toks) if off < ce and off + len(t) > cs]
        if not inside:
            return None
        return text_field, inside[0], inside[-1] + 1

    def entities(self, name: str) -> list[tuple[int, int, str]]:
        """(first token, end token, type) of each entity of a text field: the tokens its
        characters overlap (entities over no token are left out)."""
        assert self.recognize is not None, "entity types need a recognizer"
        toks = self._tok(name)
        out = []
        for cs, ce, label in self.recognize(self.string(name)):
            inside = [i for i, (t, off) in enumerate(toks) if off < ce and off + len(t) > cs]
            if inside:
                out.append((inside[0], inside[-1] + 1, label))
        return out

    def number(self, name: str) -> float:
        value = self.values.get(name)
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return math.nan

    def objects(self, name: str) -> list[Obj]:
        """The image objects of an objects field (none where the value is not a list)."""
        return parse_objects(self.values.get(name)) or []

    def is_valid(self, name: str) -> bool:
        if name in self.spans:
            return self.is_valid(self.spans[name]) and self.mention(name) is not None
        value = self.values.get(name)
        if isinstance(value, list | tuple | np.ndarray):
            return parse_objects(value) is not None
        if isinstance(value, str):
            return True
        if isinstance(value, bool) or value is None:
            return False
        return isinstance(value, int | float) and not math.isnan(value)


def evaluate(node: ir.Expr, row: PlainRow) -> Any:
    """The value of an expression on one example."""
    match node:
        case ir.And(args=args):
            return all(evaluate(a, row) for a in args)
        case ir.Or(args=args):
            return any(evaluate(a, row) for a in args)
        case ir.Not(arg=arg):
            return not evaluate(arg, row)
        case ir.Compare(op=op, left=left, right=right):
            a, b = evaluate(left, row), evaluate(right, row)
            return not (math.isnan(a) or math.isnan(b)) and bool(ir.COMPARE[op](a, b))
        case ir.Arith(op=op, left=left, right=right):
            with np.errstate(all="ignore"):  # IEEE results (inf, nan), as the kernels compute
                a, b = np.float64(evaluate(left, row)), np.float64(evaluate(right, row))
                return float(ir.ARITH[op](a, b))
        case ir.Num(value=value):
            return value
        case ir.Field(name=name):
            return row.number(name)
    return node.reference(row)  # type: ignore[attr-defined]


def vote(lf: ir.LF, row: PlainRow) -> int:
    """The label id an LF votes on one example, or ``ABSTAIN``."""
    if not all(row.is_valid(f) for f in ir.fields_read(lf.when)):
        return ir.ABSTAIN
    assert lf.label.id is not None
    return lf.label.id if evaluate(lf.when, row) else ir.ABSTAIN


def apply_reference(program: Program, rows: list[Mapping[str, Any]], tokenize: Tokenize,
                    spans: Mapping[str, str], recognize: Recognize | None = None
                    ) -> list[list[int]]:
    """The label matrix, row by row (slow; for tests)."""
    out = []
    for values in rows:
        row = PlainRow(values, spans, tokenize, recognize)
        out.append([vote(lf, row) for lf in program.lowered])
    return out
