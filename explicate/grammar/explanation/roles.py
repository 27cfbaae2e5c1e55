"""The roles children play in a construction, and how predicates combine over them.

``Parts.of(children)`` sorts a construction's transformed children into roles: the words the
clause is about (``Words``), the mentions (``Mentions``, ``Pair``), the text (``ir.Field``), the
number, and marker subtrees (direction, negation, comparison, unit) by name. ``over_words`` and
``over_mentions`` apply a predicate over what the sentence combined ("'wife' or 'husband'",
"X and Y").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lark import Tree

from explicate import ir
from explicate.primitives import text as prim


class Unsupported(Exception):
    """A reading the grammar recognises but explicate cannot yet turn into an LF."""


# --- what children stand for ---------------------------------------------------------------------


class Ent(str):
    """A mention field's name (unlike a WORD, which is also a string)."""

    __slots__ = ()


@dataclass(frozen=True)
class Words:
    """Words a clause is about: ``items`` combined by ``mode`` (one, any, all, none)."""

    items: tuple[ir.Expr, ...]
    mode: str


@dataclass(frozen=True)
class Mentions:
    """Mention fields a clause is about, combined by ``mode`` (one, all, any)."""

    names: tuple[str, ...]
    mode: str


@dataclass(frozen=True)
class Pair:
    """Two different mentions ("between X and Y")."""

    left: str
    right: str


@dataclass(frozen=True)
class Numbers:
    """Numeric expressions combined by ``mode`` (one, any, all, none)."""

    items: tuple[ir.Expr, ...]
    mode: str


@dataclass(frozen=True)
class Values:
    """A parenthesized tuple of numbers: ``(1, 2, 3)``."""

    items: tuple[ir.Expr, ...]


@dataclass(frozen=True)
class Relations:
    """Spatial relation names ("above and overlaps")."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Literals:
    """Quoted strings compared while parsing: ``mode`` any or all."""

    mode: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class CountWords:
    """What "the number of ..." counts."""

    words: ir.Expr


Place = Callable[[ir.Expr], ir.Expr]  # where words are: a function from words to a condition

_OPS = {"lt": "<", "gt": ">", "ge": ">=", "le": "<=", "eq": "==", "ne": "!="}
_NEGATIONS = frozenset({"neg", "neg_verb", "neg_do"})
_CASES: dict[str, Callable[..., ir.Expr]] = {
    "upper": prim.IsUpper, "lower": prim.IsLower, "capitalized": prim.IsCapitalized}


@dataclass
class Parts:
    """A construction's children sorted by role. Marker subtrees (``left``, ``neg``, ``lt``,
    ``char_unit``, ...) are kept by name in ``marks``."""

    words: list[Words] = field(default_factory=list)
    mentions: list[Mentions] = field(default_factory=list)
    ents: list[Ent] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    texts: list[ir.Field] = field(default_factory=list)
    numbers: list[int | float] = field(default_factory=list)
    phrases: list[ir.Phrase] = field(default_factory=list)
    lists: list[ir.WordList] = field(default_factory=list)
    objects: list[ir.Objects] = field(default_factory=list)
    exprs: list[ir.Expr] = field(default_factory=list)  # every IR child, in order
    places: list[Place] = field(default_factory=list)
    numerics: list[Numbers] = field(default_factory=list)
    values: list[Values] = field(default_factory=list)
    relations: list[Relations] = field(default_factory=list)
    literals: list[Literals] = field(default_factory=list)
    counted: list[CountWords] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)  # unknown words (WORD)
    marks: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, children: Sequence[Any]) -> Parts:
        p = cls()
        for c in children:
            if isinstance(c, Tree):
                p.marks.append(str(c.data))
            elif isinstance(c, Ent):
                p.ents.append(c)
            elif isinstance(c, str):
                p.plain.append(c)
            elif isinstance(c, bool):
                continue
            elif isinstance(c, int | float):
                p.numbers.append(c)
            elif isinstance(c, ir.Expr):
                p.exprs.append(c)
                if isinstance(c, ir.Field):
                    p.texts.append(c)
                elif isinstance(c, ir.Phrase):
                    p.phrases.append(c)
                elif isinstance(c, ir.WordList):
                    p.lists.append(c)
                elif isinstance(c, ir.Objects):
                    p.objects.append(c)
            elif callable(c):
                p.places.append(c)
            else:
                buckets: dict[type, list[Any]] = {
                    Words: p.words, Mentions: p.mentions, Pair: p.pairs, Numbers: p.numerics,
                    Values: p.values, Relations: p.relations, Literals: p.literals,
                    CountWords: p.counted}
                bucket = buckets.get(type(c))
                if bucket is not None:
                    bucket.append(c)
        return p

    @property
    def negated(self) -> bool:
        return any(m in _NEGATIONS for m in self.marks)

    def maybe_not(self, expr: ir.Expr) -> ir.Expr:
        return ir.Not(arg=expr) if self.negated else expr

    def side(self, default: str = "any") -> str:
        """The direction said ("before" → left, "after" → right)."""
        return next((m for m in self.marks if m in ("left", "right")), default)

    @property
    def immediate(self) -> bool:
        return "immediately" in self.marks

    def op(self, default: str = "==") -> str:
        return next((_OPS[m] for m in self.marks if m in _OPS), default)

    @property
    def chars(self) -> bool:
        """The distance or length is said in characters."""
        return "char_unit" in self.marks

    @property
    def count(self) -> int:
        """The number said (of words or characters)."""
        return int(self.numbers[0])

    @property
    def word_count(self) -> int:
        """The number of words said, where only words can be counted."""
        if self.chars:
            raise Unsupported("character distances between words and a mention are not "
                              "supported yet; count words")
        return self.count

    @property
    def amount(self) -> ir.Num:
        return ir.Num(value=float(self.count))

    @property
    def within(self) -> int | None:
        """How many words may stand in between: a distance said ("within 3 words", "by no more
        than 4 words"), 0 for "immediately", else any number (None)."""
        if self.numbers:
            return max(self.word_count - (1 if "less_than" in self.marks else 0), 0)
        return 0 if self.immediate else None

    @property
    def edge(self) -> str:
        """Which word of a name: "first" or (by default) "last"."""
        return "first" if "first" in self.marks else "last"

    def two(self) -> tuple[ir.Field, ir.Field]:
        """The two mentions a clause relates (a pair, or two mention names)."""
        if self.pairs:
            return ir.Field(name=self.pairs[0].left), ir.Field(name=self.pairs[0].right)
        a, b = self.ents[0], self.ents[-1]
        if a == b:
            raise Unsupported(f"'{a}' is compared with itself")
        return ir.Field(name=a), ir.Field(name=b)

    @property
    def case(self) -> Callable[..., ir.Expr]:
        return _CASES[next(m for m in self.marks if m in _CASES)]


def combine(mode: str, parts: Sequence[ir.Expr]) -> ir.Expr:
    if len(parts) == 1:
        return parts[0] if mode != "none" else ir.Not(arg=parts[0])
    if mode == "all":
        return ir.And(args=tuple(parts))
    if mode == "none":
        return ir.Not(arg=ir.Or(args=tuple(parts)))
    return ir.Or(args=tuple(parts))


def over_words(words: Words, make: Callable[[ir.Expr], ir.Expr]) -> ir.Expr:
    """Apply a predicate to words: once for one item or an 'or' of phrases, per item for 'and'."""
    if words.mode == "but_not":  # "'views' but not 'my'"
        first, second = words.items
        return ir.And(args=(make(first), ir.Not(arg=make(second))))
    if words.mode == "one" or len(words.items) == 1:
        return make(words.items[0])
    if words.mode in ("any", "none") and all(isinstance(i, ir.Phrase) for i in words.items):
        found = make(ir.AnyOf(items=tuple(i for i in words.items if isinstance(i, ir.Phrase))))
        return ir.Not(arg=found) if words.mode == "none" else found
    return combine(words.mode, [make(i) for i in words.items])


def over_mentions(m: Mentions, make: Callable[[ir.Field], ir.Expr]) -> ir.Expr:
    """Apply a predicate to each mention, combined as the sentence combined them."""
    return combine(m.mode, [make(ir.Field(name=n)) for n in m.names])


def over_pairs(a: Mentions, b: Mentions, make: Callable[[ir.Field, ir.Field], ir.Expr]
               ) -> ir.Expr:
    """Apply a two-mention predicate to every combination the sentence names."""
    return over_mentions(a, lambda x: over_mentions(b, lambda y: make(x, y)))
