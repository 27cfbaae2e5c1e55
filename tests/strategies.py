"""Hypothesis strategies for IR trees and documents, derived from the primitive registry."""

from __future__ import annotations

import functools
import itertools
from typing import Any

from hypothesis import strategies as st

from explicate import ir
from explicate.compiler.schema import FieldKind, Schema
from explicate.compiler.typecheck import TypeChecker
from explicate.primitives import registry
from explicate.primitives.image import RELATIONS

# Core words (with case variants) that rules look for, so votes are frequent; rarer words with
# punctuation, unicode and clitics so tokenization edge cases are met too.
CORE = ["wife", "Wife", "call", "the", "!"]
RARE = ["free", "FREE", "husband", "married", "his", "and", "now", "!!!", ",", ".", "naïve",
        "Ünïcödé", "東京", "don't", "e-mail", "£5", "x"]
VOCAB = CORE * 5 + RARE
TEXT_FIELDS = ("text", "sentence")
SPAN_FIELDS = ("person1", "person2")
NUM_FIELDS = ("score",)



def words(vocab: list[str] | None = None) -> st.SearchStrategy[ir.Expr]:
    """A phrase or an inline list; phrases mostly from ``vocab`` (tokens the rows contain)."""
    pool = vocab or CORE
    single = st.sampled_from(pool)
    multi = st.lists(st.sampled_from(pool + RARE[:4]), min_size=1, max_size=3).map(" ".join)
    text = st.one_of(single, single, multi)
    phrase = st.builds(lambda t, c: ir.Phrase(t, c), text, st.booleans())
    return st.one_of(
        phrase,
        phrase,
        st.lists(phrase, min_size=2, max_size=3, unique=True).map(lambda ps: ir.AnyOf(tuple(ps))),
    )


# Entity types the toy recognizer (tests/toy_recognizer.py) finds, and one it never does.
ENTITY_LABELS = ["PERSON", "ORG", "GPE", "MONEY", "CARDINAL", "PRODUCT", "DATE"]

regexes = st.sampled_from(
    [ir.Regex(r"call\s+now", "i"), ir.Regex(r"^the", ""), ir.Regex(r"[0-9]", ""),
     ir.Regex(r"wife|husband", "i"), ir.Regex(r"!$", ""), ir.Regex(r"e-mail", "")]
)


def _field(names: tuple[str, ...]) -> st.SearchStrategy[ir.Field]:
    return st.sampled_from(names).map(ir.Field)


# The schema the strategies' rows have: which fields are text, mentions (in `sentence`), numbers.
SCHEMA = Schema(
    {**{f: FieldKind.TEXT for f in TEXT_FIELDS}, **{f: FieldKind.SPAN for f in SPAN_FIELDS},
     **{f: FieldKind.NUM for f in NUM_FIELDS}},
    {f: "sentence" for f in SPAN_FIELDS},
)
FIELDS = (*TEXT_FIELDS, *SPAN_FIELDS, *NUM_FIELDS)


def _placeholder(rule: str, vocab: list[str] | None) -> st.SearchStrategy[Any]:
    if rule == "words":
        return words(vocab)
    if rule == "INT":
        return st.integers(0, 4)
    if rule == "REGEX":
        return regexes
    if rule == "ENTITY_TYPES":
        return st.lists(st.sampled_from(ENTITY_LABELS), min_size=1, max_size=2, unique=True).map(
            lambda labels: ir.EntityTypes(tuple(labels)))
    raise ValueError(f"no strategy for placeholder rule {rule!r}")


def _typechecks(node: ir.Expr) -> bool:
    checker = TypeChecker(SCHEMA, dict(SCHEMA.span_of))
    checker.type_of(node)
    return not checker.diags


@functools.cache
def field_choices(reg: registry.Registered, a: registry.Alt) -> tuple[tuple[ir.Field, ...], ...]:
    """Every assignment of the strategies' fields to the phrasing's ``value`` operands that the
    primitive's own type rule accepts (other operands filled with a simple value of their rule),
    so operands are chosen by type, never by the placeholder's name."""
    slots = [f for f, r in a.placeholders if r == "value"]
    simple = {"words": ir.Phrase("x"), "INT": 1, "REGEX": ir.Regex("x", ""),
              "ENTITY_TYPES": ir.EntityTypes(("PERSON",))}
    others = {f: simple[r] for f, r in a.placeholders if r != "value"}
    valid = []
    for combo in itertools.product(FIELDS, repeat=len(slots)):
        fields = tuple(ir.Field(name) for name in combo)
        node = reg.cls(**dict(zip(slots, fields, strict=True)), **others, **dict(a.fixed))
        if _typechecks(node):
            valid.append(fields)
    if not valid:
        raise ValueError(f"no field of the strategies' schema fits {reg.name}: {a.template}")
    return tuple(valid)


def primitive_of(reg: registry.Registered, vocab: list[str] | None = None
                 ) -> st.SearchStrategy[ir.Expr]:
    """Instances of one registered primitive, through each of its phrasings."""

    def one(a: registry.Alt) -> st.SearchStrategy[ir.Expr]:
        slots = [f for f, r in a.placeholders if r == "value"]
        args = {f: _placeholder(r, vocab) for f, r in a.placeholders if r != "value"}
        fields = st.sampled_from(field_choices(reg, a))
        return st.tuples(st.fixed_dictionaries(args), fields).map(
            lambda kw_fs: reg.cls(**kw_fs[0], **dict(zip(slots, kw_fs[1], strict=True)),
                                  **dict(a.fixed)))

    return st.one_of([one(a) for a in reg.alts])


def text_primitives(rule: str | None = None) -> list[registry.Registered]:
    """The registered primitives over text rows (image primitives have their own strategies)."""
    return [r for r in registry.registered(rule) if r.cls.__module__ not in IMAGE_MODULES]


IMAGE_MODULES = ("explicate.primitives.image",)


def numbers(vocab: list[str] | None = None) -> st.SearchStrategy[ir.Expr]:
    values = [primitive_of(r, vocab) for r in text_primitives("value")]
    return st.one_of(
        *values,
        _field(NUM_FIELDS),
        st.integers(-1, 12).map(lambda v: ir.Num(float(v))),
    )


def predicates(vocab: list[str] | None = None) -> st.SearchStrategy[ir.Expr]:
    compare = st.builds(ir.Compare, st.sampled_from(ir.COMPARE_OPS), numbers(vocab),
                        numbers(vocab))
    return st.one_of(*[primitive_of(r, vocab) for r in text_primitives("predicate")], compare)


def conditions(vocab: list[str] | None = None, max_leaves: int = 6
               ) -> st.SearchStrategy[ir.Expr]:
    def extend(inner: st.SearchStrategy[ir.Expr]) -> st.SearchStrategy[ir.Expr]:
        return st.one_of(
            inner.map(ir.Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
        )

    return st.recursive(predicates(vocab), extend, max_leaves=max_leaves)


def sentences() -> st.SearchStrategy[str]:
    seps = st.sampled_from([" "] * 8 + ["  ", "", "\n"])
    return st.lists(st.tuples(st.sampled_from(VOCAB), seps), max_size=18).map(
        lambda parts: "".join(w + s for w, s in parts).strip()
    )


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """One example: a sentence with two mentions (found, repeated or absent), a text, a score."""
    sentence = draw(sentences())
    tokens = sentence.split() or [""]

    def mention() -> str:
        # Usually a word or two of the sentence (which may occur more than once), else anything.
        if draw(st.integers(0, 4)) > 0 and sentence:
            i = draw(st.integers(0, len(tokens) - 1))
            j = draw(st.integers(i + 1, min(len(tokens), i + 2)))
            return " ".join(tokens[i:j])
        return draw(st.sampled_from(VOCAB + [""]))

    return {
        "sentence": sentence if draw(st.integers(0, 9)) else None,
        "person1": mention(),
        "person2": mention(),
        "text": draw(sentences()) if draw(st.integers(0, 9)) else None,
        "score": draw(st.one_of(st.floats(-1, 12, allow_nan=False), st.none())),
    }


def vocabulary(examples: list[dict[str, Any]]) -> list[str]:
    """Whitespace-separated words of the examples' texts, so drawn phrases often occur."""
    found = {w for r in examples for k in ("sentence", "text") if r[k] for w in str(r[k]).split()}
    return sorted(found) or CORE


@st.composite
def cases(draw: st.DrawFn, make: Any, min_rows: int = 1, max_rows: int = 8,
          ) -> tuple[Any, list[dict[str, Any]]]:
    """Examples, then expressions built by ``make(vocab)`` from words those examples contain."""
    examples = draw(st.lists(rows(), min_size=min_rows, max_size=max_rows))
    return draw(make(vocabulary(examples))), examples


# --- images ------------------------------------------------------------------------------------------
# Object names with head-noun variants ("young man" is a "man", "woman" is not), case variants and
# blanks; boxes on a small integer grid (so relations often tie) with degenerate sizes; a numeric
# attribute that is sometimes missing; image sizes that are sometimes unknown.

OBJECT_NAMES = ["person", "man", "young man", "woman", "Man", "bike", "red  bike", "bicycle",
                "car", "region", "hole", ""]
OBJECT_WORDS = ["person", "man", "bike", "Bike", "bicycle", "car", "region", "young man", "hole"]
ATTRIBUTES = ("intensity",)
# Derived measures every image test file declares (`let NAME = EXPR`), used as measures.
LETS = {"fill": "area / (w * h + 1)", "slim": "w / h - intensity ^ 2", "rel": "rel_area * 100"}
MEASURES = ("x", "y", "w", "h", "width", "height", "area", "aspect", "cx", "cy", "rel_x",
            "rel_y", "rel_w", "rel_h", "rel_cx", "rel_cy", "rel_area", *ATTRIBUTES, *LETS)


def image_objects() -> st.SearchStrategy[dict[str, Any]]:
    coord = st.one_of(st.integers(0, 12), st.integers(0, 12), st.just(float("nan")))
    size = st.one_of(st.integers(0, 6), st.integers(1, 6), st.sampled_from([0.5, 2.5]))
    intensity = st.one_of(st.integers(0, 4), st.just(float("nan")))
    return st.fixed_dictionaries(
        {"name": st.sampled_from(OBJECT_NAMES), "x": coord, "y": st.integers(0, 12), "w": size,
         "h": size, "intensity": intensity})


@st.composite
def image_rows(draw: st.DrawFn) -> dict[str, Any]:
    """One image: its objects (or a missing value) and its size (or none)."""
    objects = draw(st.lists(image_objects(), max_size=7)) if draw(st.integers(0, 9)) else None
    known = draw(st.integers(0, 3))
    return {
        "objects": objects,
        "image_width": float(draw(st.integers(1, 20))) if known else float("nan"),
        "image_height": float(draw(st.integers(0, 20))) if known else float("nan"),
    }


def object_sets() -> st.SearchStrategy[ir.Objects]:
    phrase = st.builds(lambda t, c: ir.Phrase(t, c), st.sampled_from(OBJECT_WORDS),
                       st.sampled_from([False, False, True]))
    words = st.one_of(
        phrase, phrase,
        st.lists(phrase, min_size=2, max_size=3, unique=True).map(lambda ps: ir.AnyOf(tuple(ps))),
    )
    return words.map(ir.Objects)


def _image_placeholder(rule: str) -> st.SearchStrategy[Any]:
    if rule == "objects":
        return object_sets()
    if rule == "measure":
        return st.sampled_from(MEASURES).map(ir.Attr)
    if rule == "relations":
        return st.lists(st.sampled_from(IMAGE_RELATIONS), min_size=1, max_size=2,
                        unique=True).map(tuple)
    raise ValueError(f"no strategy for placeholder rule {rule!r}")


IMAGE_RELATIONS = tuple(RELATIONS)


def image_primitive_of(reg: registry.Registered) -> st.SearchStrategy[ir.Expr]:
    """Instances of one registered image primitive, through each of its phrasings."""

    def one(a: registry.Alt) -> st.SearchStrategy[ir.Expr]:
        args = {f: _image_placeholder(r) for f, r in a.placeholders}
        return st.fixed_dictionaries(args).map(lambda kw: reg.cls(**kw, **dict(a.fixed)))

    return st.one_of([one(a) for a in reg.alts])


def image_primitives(rule: str | None = None) -> list[registry.Registered]:
    return [r for r in registry.registered(rule) if r.cls.__module__ in IMAGE_MODULES]


def image_numbers() -> st.SearchStrategy[ir.Expr]:
    leaf = st.one_of(*[image_primitive_of(r) for r in image_primitives("value")],
                     st.integers(-1, 8).map(lambda v: ir.Num(float(v))))
    ops = st.sampled_from(tuple(ir.ARITH))
    return st.one_of(leaf, leaf, st.builds(ir.Arith, ops, leaf, leaf))


def image_conditions(max_leaves: int = 5) -> st.SearchStrategy[ir.Expr]:
    compare = st.builds(ir.Compare, st.sampled_from(ir.COMPARE_OPS), image_numbers(),
                        image_numbers())
    base = st.one_of(*[image_primitive_of(r) for r in image_primitives("predicate")], compare)

    def extend(inner: st.SearchStrategy[ir.Expr]) -> st.SearchStrategy[ir.Expr]:
        return st.one_of(
            inner.map(ir.Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
        )

    return st.recursive(base, extend, max_leaves=max_leaves)
