"""The typed LF intermediate representation (IR).

Every front end (DSL text, English explanations, image rules) builds these nodes; the compiler checks,
normalizes and lowers them. Nodes are frozen, slotted dataclasses. The source span is keyword-only
metadata excluded from ``==``/``hash``, so two readings with the same meaning compare equal and shared
subexpressions can be memoized across LFs.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

ABSTAIN = -1
# The most labels a rule file may declare: label ids and ABSTAIN must fit L's widest dtype (int16).
MAX_LABELS = 32767


def label_dtype(cardinality: int) -> str:
    """The dtype of a label matrix over ``cardinality`` labels: int8 up to 127, int16 beyond."""
    return "int8" if cardinality <= 127 else "int16"


@dataclass(frozen=True, slots=True)
class Source:
    """A named piece of user text (a file, an explanation) that spans point into."""

    name: str
    text: str

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        return line, offset - start + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        lines = self.text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``[start, end)`` of a source."""

    source: Source = field(repr=False)
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]


class Type(enum.Enum):
    """The type of an expression."""

    BOOL = "a condition"
    NUM = "a number"
    TEXT = "a text field"
    SPAN = "a mention (span field)"
    WORDS = "a word or phrase"
    OBJECTS = "a set of image objects"

    def accepts(self, other: Type) -> bool:
        """Whether a value of type ``other`` can stand where ``self`` is expected."""
        # A mention is a piece of text, so it can stand wherever text can.
        return other is self or (self is Type.TEXT and other is Type.SPAN)


@dataclass(frozen=True, slots=True)
class Expr:
    """Base of all IR nodes."""

    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


# --- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field(Expr):
    """A column of the data, by name: text, a mention inside a text, or a number."""

    name: str


@dataclass(frozen=True, slots=True)
class Num(Expr):
    """A number literal."""

    value: float


@dataclass(frozen=True, slots=True)
class Phrase(Expr):
    """A word or phrase; matches whole tokens, ignoring case unless ``case_sensitive``."""

    text: str
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class AnyOf(Expr):
    """Any one of several words or phrases (an inline list)."""

    items: tuple[Phrase, ...]


@dataclass(frozen=True, slots=True)
class WordList(Expr):
    """A reference to a named word list (``@money``); resolved to ``AnyOf`` by the compiler."""

    name: str


Words = Phrase | AnyOf | WordList


@dataclass(frozen=True, slots=True)
class Regex(Expr):
    """A regular expression (RE2 syntax) with flags: ``i`` ignores case, ``s`` lets ``.`` match
    newlines, ``m`` makes ``^``/``$`` match at line breaks."""

    pattern: str
    flags: str = ""


@dataclass(frozen=True, slots=True)
class EntityTypes(Expr):
    """Named-entity types (``a PERSON``, ``a (GPE or LOC)``): an entity of any one of ``labels``,
    as the entity recognizer of the ``ner`` extra labels it (see ``primitives.entities``)."""

    labels: tuple[str, ...]


def phrases(words: Expr) -> tuple[Phrase, ...]:
    """The phrases a resolved words expression stands for."""
    match words:
        case Phrase():
            return (words,)
        case AnyOf(items=items):
            return items
    raise TypeError(f"unresolved words expression: {words!r}")


# --- numbers and image objects ---------------------------------------------------------------------

# Arithmetic operators and what they compute; on numpy float64 scalars and arrays alike they follow
# IEEE rules (x / 0 is inf or nan, never an exception).
ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "^": operator.pow,
}


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    """``left op right`` for two numbers; ``op`` is one of ``+ - * / ^``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Attr(Expr):
    """A numeric measure of each image object, by name: one of its own attributes (``area``,
    ``intensity`` ... as given in the data), box geometry derived from ``x, y, w, h``, or a ``let``
    defined over those."""

    name: str


# The objects field an object set reads when the rule names none.
DEFAULT_OBJECTS = "objects"


@dataclass(frozen=True, slots=True)
class Objects(Expr):
    """The objects of an image whose name is one of ``names`` (words), in objects field ``field``."""

    names: Expr
    field: Field = Field(DEFAULT_OBJECTS)


# --- logic ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class And(Expr):
    """True where every argument is true."""

    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or(Expr):
    """True where at least one argument is true."""

    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """True where ``arg`` is false."""

    arg: Expr


# Comparison operators and what they compute; they work on floats and on numpy arrays alike.
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq,
    "!=": operator.ne, "<": operator.lt, ">": operator.gt,
}
COMPARE_OPS: tuple[str, ...] = tuple(COMPARE)


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """True where ``left op right`` holds for two numbers."""

    op: str
    left: Expr
    right: Expr


# --- holes (sketches) -------------------------------------------------------------------------------

# Where a hole stands decides what fills it: a word or phrase, a number, or (after ``->``) a label.
HOLE_KINDS: tuple[str, ...] = ("words", "number")


@dataclass(frozen=True, slots=True)
class Hole(Expr):
    """``?name``: a value the analyst leaves open and the data fills (an LF with holes is a
    *sketch*). ``kind`` is where it stands: ``"words"`` (a word or phrase) or ``"number"``.
    Constraints, all optional: ``within`` the words of a list (``?w in @money``, ``?w in ("a",
    "b")``); ``like`` seed words it should be near in embedding space (``?w like "prize"``);
    ``low``..``high`` for a number (``?n in 1..20``). One name used twice in an LF is one value."""

    name: str
    kind: str
    within: Expr | None = None  # a WordList or AnyOf
    like: tuple[Phrase, ...] = ()
    low: float | None = None
    high: float | None = None


# --- labeling functions and files ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label(Expr):
    """A class name; ``id`` is its index in the ``labels:`` declaration once resolved."""

    name: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class LabelHole(Label):
    """``-> ?name``: the label is a hole, filled with one of the declared labels."""


def holes(node: Expr) -> tuple[Hole | LabelHole, ...]:
    """The holes of an expression or LF (its label hole included), in first-use order; each
    distinct hole once."""
    seen: dict[Expr, None] = {}
    for n in walk(node):
        if isinstance(n, Hole | LabelHole):
            seen.setdefault(n, None)
    return tuple(seen)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class LF(Expr):
    """Vote ``label`` where ``when`` holds; abstain elsewhere."""

    name: str
    label: Label
    when: Expr


@dataclass(frozen=True, slots=True)
class LabelsDecl(Expr):
    """``labels: A, B, C`` — class names; ids 0..k-1 in this order."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WordsDecl(Expr):
    """``words NAME = "a", "b"`` or ``words NAME from "file.txt"``."""

    name: str
    items: tuple[Phrase, ...] = ()
    path: str | None = None


@dataclass(frozen=True, slots=True)
class SpansDecl(Expr):
    """``spans: person1, person2 in sentence`` — these fields are mentions inside ``text``."""

    names: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class LetDecl(Expr):
    """``let NAME = EXPR`` — a derived number: a row-level value where ``NAME`` stands as a value,
    a per-object measure where it stands as one (``max NAME(@region)``)."""

    name: str
    value: Expr


Statement = LF | LabelsDecl | WordsDecl | SpansDecl | LetDecl


@dataclass(frozen=True, slots=True)
class RuleFile(Expr):
    """A parsed rule file: its statements in file order."""

    statements: tuple[Expr, ...]

    @property
    def lfs(self) -> tuple[LF, ...]:
        return tuple(s for s in self.statements if isinstance(s, LF))

    @property
    def labels(self) -> tuple[str, ...] | None:
        for s in self.statements:
            if isinstance(s, LabelsDecl):
                return s.names
        return None


# --- traversal -------------------------------------------------------------------------------------


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The fields of an IR class but its span (``dataclasses.fields`` is slow on hot paths)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                          if f.name != "span")
    return names


def children(node: Expr) -> Iterator[Expr]:
    """The direct child expressions of ``node``, in field order."""
    for name in _field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, Expr))


def walk(node: Expr) -> Iterator[Expr]:
    """``node`` and all its descendants, pre-order. A subexpression shared by reference (a ``let``
    used twice) is visited once, so walking is linear in the distinct nodes, not exponential."""
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(reversed(list(children(current))))


def transform(node: Expr, fn: Callable[[Expr], Expr],
              _memo: dict[int, Expr] | None = None) -> Expr:
    """Rebuild ``node`` bottom-up, replacing each node by ``fn(node with transformed children)``.
    A subexpression shared by reference is transformed once and stays shared."""
    memo = {} if _memo is None else _memo
    done = memo.get(id(node))
    if done is not None:
        return done
    changes: dict[str, Any] = {}
    for name in _field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            new = transform(value, fn, memo)
            if new is not value:
                changes[name] = new
        elif isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
            new_items = tuple(transform(v, fn, memo) if isinstance(v, Expr) else v
                              for v in value)
            if any(a is not b for a, b in zip(new_items, value, strict=True)):
                changes[name] = new_items
    rebuilt = dataclasses.replace(node, **changes) if changes else node
    out = fn(rebuilt)
    memo[id(node)] = out
    return out


def tree_size(node: Expr, limit: int) -> int:
    """How many nodes ``node`` has written out as a tree (shared subexpressions counted at each
    use), computed over the distinct nodes; stops counting past ``limit``."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Expr, bool]] = [(node, False)]
    while stack:  # post-order without recursion: children are sized before their parents
        current, ready = stack.pop()
        if id(current) in sizes:
            continue
        kids = list(children(current))
        if ready:
            total = 1 + sum(sizes[id(c)] for c in kids)
            sizes[id(current)] = min(total, limit + 1)
        else:
            stack.append((current, True))
            stack.extend((c, False) for c in kids if id(c) not in sizes)
    return sizes[id(node)]


def fields_read(node: Expr) -> tuple[str, ...]:
    """Names of the data fields an expression reads, in first-use order."""
    seen: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, Field):
            seen.setdefault(n.name, None)
    return tuple(seen)


class Primitive(Expr):
    """Marker base for registered primitives (see ``explicate.primitives.registry``).

    Not a dataclass itself: concrete primitives are frozen dataclasses that also inherit ``Expr``.
    """

    __slots__ = ()
    syntax: ClassVar[tuple[str, ...]] = ()
