"""Image primitives: rules over the objects a detector (or a segmenter, or a person) found in an
image. One class each, with phrasing, type rule, vectorized kernel and reference, like text.py.

Data layout (``primitives.columns``, built by ``explicate.runtime.data.detections``): an *objects
field* holds, for every row (one image), a list of objects; each object has a ``name``, a box ``x,
y, w, h`` (top-left corner and size, in pixels, y growing downwards) and any numeric attributes
(``score``, ``area``, ``intensity`` ...). For ``n`` rows the objects are kept as flat arrays over
all ``N`` objects with per-row offsets (:class:`ObjectColumn`), so kernels are whole-column numpy
operations.

Shared definitions (the reference methods are their executable form):

- an object *is* a word or phrase when its name, with runs of whitespace collapsed, equals the
  phrase or ends with it after a space (``"young man"`` is a ``"man"``, ``"woman"`` is not),
  ignoring case unless the phrase is written ``case "..."``; ``@person`` lists synonyms;
- an object's *measures* are its numeric attributes, plus, where it has no attribute of that
  name, box geometry: ``x, y, w, h`` (also ``width``, ``height``), ``area`` (w·h), ``aspect``
  (w / h), ``cx, cy`` (box centre) and, where the image size is known (row columns
  ``image_width`` / ``image_height``), ``rel_x, rel_y, rel_w, rel_h, rel_cx, rel_cy, rel_area``
  (fractions of the image); a ``let`` over measures defines a new one;
- a *pair* is two different objects of an image, one from each set;
- an aggregate (``min``, ``max``, ``mean``, ``worst`` = mean of the three largest) skips undefined
  values and is undefined over no values (a comparison with it is false); ``sum`` of none is 0;
- ``all`` needs at least one object (or pair) to hold for: an image without persons does not
  satisfy ``all @person above any @bike``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from explicate import ir
from explicate.errors import DataError, Diagnostic
from explicate.primitives.columns import Batch, Obj, ObjectColumn, Row
from explicate.primitives.registry import CheckEnv, alt, primitive
from explicate.primitives.text import rows_with

# Row columns that give each image's size (relative measures are undefined without them).
IMAGE_WIDTH = "image_width"
IMAGE_HEIGHT = "image_height"

# Box measures derived from x, y, w, h (an object's own attribute of the same name wins).
GEOMETRY = ("x", "y", "w", "h", "width", "height", "area", "aspect", "cx", "cy")
RELATIVE = ("rel_x", "rel_y", "rel_w", "rel_h", "rel_cx", "rel_cy", "rel_area")
PAIR_MEASURES = ("distance", "iou", "area_ratio")
AGGREGATES = ("min", "max", "mean", "sum", "worst")
WORST_OF = 3  # "worst" is the mean of this many largest values (as in the WDBC measurements)


# --- data ------------------------------------------------------------------------------------------


# --- measures --------------------------------------------------------------------------------------


def _div(a: float, b: float) -> float:
    """IEEE division (x / 0 is ±inf, 0 / 0 NaN), as numpy computes it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _unknown_measure(name: str, known: Sequence[str], objects_field: str) -> DataError:
    return DataError([Diagnostic(
        "E210", f"'{name}' is not a measure of the objects in '{objects_field}'", None, "",
        (f"measures: {', '.join([*known, *GEOMETRY, *RELATIVE])}; define others with 'let'",))])


def column_measure(col: ObjectColumn, expr: ir.Expr) -> np.ndarray:
    """float64[N]: a measure expression (``Attr``, ``Num``, ``Arith``) for every object."""
    match expr:
        case ir.Num(value=value):
            return np.full(len(col.names), value, dtype=np.float64)
        case ir.Arith(op=op, left=left, right=right):
            with np.errstate(all="ignore"):
                result: np.ndarray = ir.ARITH[op](column_measure(col, left),
                                                  column_measure(col, right))
                return result
        case ir.Attr(name=name):
            if name in col.attrs:
                return col.attrs[name]
            row_w, row_h = col.image_w[col.row_of], col.image_h[col.row_of]
            with np.errstate(all="ignore"):
                geometry = {
                    "x": lambda: col.x, "y": lambda: col.y, "w": lambda: col.w,
                    "h": lambda: col.h, "width": lambda: col.w, "height": lambda: col.h,
                    "area": lambda: col.w * col.h, "aspect": lambda: col.w / col.h,
                    "cx": lambda: col.x + col.w / 2, "cy": lambda: col.y + col.h / 2,
                    "rel_x": lambda: col.x / row_w, "rel_y": lambda: col.y / row_h,
                    "rel_w": lambda: col.w / row_w, "rel_h": lambda: col.h / row_h,
                    "rel_cx": lambda: (col.x + col.w / 2) / row_w,
                    "rel_cy": lambda: (col.y + col.h / 2) / row_h,
                    "rel_area": lambda: (col.w * col.h) / (row_w * row_h),
                }
                if name in geometry:
                    values: np.ndarray = geometry[name]()
                    return values
    if isinstance(expr, ir.Attr):
        raise _unknown_measure(expr.name, sorted(col.attrs), col.field_name)
    raise TypeError(f"not a measure: {expr!r}")


def object_measure(obj: Obj, expr: ir.Expr, image: tuple[float, float], objects_field: str
                   ) -> float:
    """One object's value of a measure expression (the reference of ``column_measure``)."""
    match expr:
        case ir.Num(value=value):
            return value
        case ir.Arith(op=op, left=left, right=right):
            a = object_measure(obj, left, image, objects_field)
            b = object_measure(obj, right, image, objects_field)
            with np.errstate(all="ignore"):
                return float(ir.ARITH[op](np.float64(a), np.float64(b)))
        case ir.Attr(name=name):
            if name in obj.attrs:
                return obj.attrs[name]
            iw, ih = image
            cx, cy = obj.x + obj.w / 2, obj.y + obj.h / 2
            values = {
                "x": lambda: obj.x, "y": lambda: obj.y, "w": lambda: obj.w, "h": lambda: obj.h,
                "width": lambda: obj.w, "height": lambda: obj.h, "area": lambda: obj.w * obj.h,
                "aspect": lambda: _div(obj.w, obj.h), "cx": lambda: cx, "cy": lambda: cy,
                "rel_x": lambda: _div(obj.x, iw), "rel_y": lambda: _div(obj.y, ih),
                "rel_w": lambda: _div(obj.w, iw), "rel_h": lambda: _div(obj.h, ih),
                "rel_cx": lambda: _div(cx, iw), "rel_cy": lambda: _div(cy, ih),
                "rel_area": lambda: _div(obj.w * obj.h, iw * ih),
            }
            if name in values:
                return values[name]()
            raise _unknown_measure(name, sorted(obj.attrs), objects_field)
    raise TypeError(f"not a measure: {expr!r}")


def _image_size(row: Row) -> tuple[float, float]:
    return row.number(IMAGE_WIDTH), row.number(IMAGE_HEIGHT)


# --- aggregation -----------------------------------------------------------------------------------


def aggregate(values: np.ndarray, rows: np.ndarray, n: int, how: str) -> np.ndarray:
    """float64[n]: ``how`` of the values of each row; ``rows`` is non-decreasing. NaN values are
    skipped; a row without values gets NaN (``sum``: 0)."""
    keep = ~np.isnan(values)
    values, rows = values[keep], rows[keep]
    counts = np.bincount(rows, minlength=n)
    if how == "sum":
        return np.bincount(rows, weights=values, minlength=n).astype(np.float64)
    out = np.full(n, np.nan, dtype=np.float64)
    present = counts > 0
    if how == "mean":
        sums = np.bincount(rows, weights=values, minlength=n)
        out[present] = sums[present] / counts[present]
    elif how in ("min", "max"):
        starts = np.cumsum(counts) - counts
        ufunc = np.minimum if how == "min" else np.maximum
        if len(values):
            out[present] = ufunc.reduceat(values, starts[present])
    elif how == "worst":
        order = np.lexsort((-values, rows))
        v, r = values[order], rows[order]
        starts = np.cumsum(counts) - counts
        top = (np.arange(len(v)) - starts[r]) < WORST_OF
        sums = np.bincount(r[top], weights=v[top], minlength=n)
        out[present] = sums[present] / np.minimum(counts[present], WORST_OF)
    else:
        raise ValueError(f"unknown aggregate {how!r}")
    return out


def aggregate_one(values: Sequence[float], how: str) -> float:
    """The reference of :func:`aggregate` for one row."""
    vs = [v for v in values if not math.isnan(v)]
    if how == "sum":
        total = 0.0
        for v in vs:
            total += v
        return total
    if not vs:
        return math.nan
    if how == "min":
        return min(vs)
    if how == "max":
        return max(vs)
    if how == "worst":
        vs = sorted(vs, reverse=True)[:WORST_OF]
    total = 0.0
    for v in vs:
        total += v
    return total / len(vs)


# --- pairs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    """Every pair (a, b) of two different objects of one image, a from one set and b from the
    other, ordered by row, then a, then b: flat object indices, and the index of a's entry."""

    a: np.ndarray  # int64[P]: object index of a
    b: np.ndarray  # int64[P]
    a_entry: np.ndarray  # int64[P]: index into a_objects
    a_objects: np.ndarray  # int64[NA]: the objects of set a


def pairs(col: ObjectColumn, a_mask: np.ndarray, b_mask: np.ndarray) -> Pairs:
    ia = np.flatnonzero(a_mask)
    ib = np.flatnonzero(b_mask)
    counts_b = np.bincount(col.row_of[ib], minlength=col.n)
    starts_b = np.cumsum(counts_b) - counts_b
    ra = col.row_of[ia]
    rep = counts_b[ra]
    total = int(rep.sum())
    entry = np.repeat(np.arange(len(ia), dtype=np.int64), rep)
    first = np.cumsum(rep) - rep
    pos = np.arange(total, dtype=np.int64) - first[entry]
    pa = ia[entry]
    pb = ib[starts_b[ra][entry] + pos] if total else np.zeros(0, dtype=np.int64)
    keep = pa != pb
    return Pairs(pa[keep], pb[keep], entry[keep], ia)


def _boxes(col: ObjectColumn, idx: np.ndarray) -> Box:
    x, y, w, h = col.x[idx], col.y[idx], col.w[idx], col.h[idx]
    return x, y, x + w, y + h


def _ref_box(o: Obj) -> tuple[float, float, float, float]:
    return o.x, o.y, o.x + o.w, o.y + o.h


def _lo(a: float, b: float) -> float:
    """The smaller of two numbers; NaN when either is (as ``np.minimum``)."""
    return math.nan if math.isnan(a) or math.isnan(b) else min(a, b)


def _hi(a: float, b: float) -> float:
    """The larger of two numbers; NaN when either is (as ``np.maximum``)."""
    return math.nan if math.isnan(a) or math.isnan(b) else max(a, b)


Box = tuple[Any, Any, Any, Any]  # x1, y1, x2, y2: floats (reference) or float64[P] (kernel)


def _cx(b: Box) -> Any:
    return (b[0] + b[2]) / 2


def _cy(b: Box) -> Any:
    return (b[1] + b[3]) / 2


def _inside(a: Box, b: Box) -> Any:
    return (a[0] >= b[0]) & (a[1] >= b[1]) & (a[2] <= b[2]) & (a[3] <= b[3])


@dataclass(frozen=True)
class Relation:
    """``a NAME b`` between the boxes of a pair: ``kernel`` over all pairs at once (arrays),
    ``reference`` for one pair (floats; the executable definition). ``english`` lists how
    English says it (articles are dropped, as the explanation lexer drops them); the DSL, the
    English grammar, the printer and the tests all read this table."""

    name: str
    kernel: Callable[[Box, Box], np.ndarray]
    reference: Callable[[Box, Box], bool]
    english: tuple[str, ...] = ()


RELATIONS: dict[str, Relation] = {r.name: r for r in (
    Relation("above", lambda a, b: _cy(a) < _cy(b), lambda a, b: bool(_cy(a) < _cy(b)),
             ("above", "over", "on top of")),
    Relation("below", lambda a, b: _cy(a) > _cy(b), lambda a, b: bool(_cy(a) > _cy(b)),
             ("below", "under", "beneath")),
    Relation("left of", lambda a, b: _cx(a) < _cx(b), lambda a, b: bool(_cx(a) < _cx(b)),
             ("left of", "to the left of")),
    Relation("right of", lambda a, b: _cx(a) > _cx(b), lambda a, b: bool(_cx(a) > _cx(b)),
             ("right of", "to the right of")),
    Relation("overlaps",
             lambda a, b: (np.minimum(a[2], b[2]) > np.maximum(a[0], b[0]))
             & (np.minimum(a[3], b[3]) > np.maximum(a[1], b[1])),
             lambda a, b: _lo(a[2], b[2]) > _hi(a[0], b[0]) and _lo(a[3], b[3]) > _hi(a[1], b[1]),
             tuple(f"{w}{with_}" for w in ("overlaps", "overlap", "overlapping", "touches",
                                           "touching") for with_ in ("", " with"))),
    Relation("inside", _inside, lambda a, b: bool(_inside(a, b)), ("inside", "inside of",
                                                                   "within", "in")),
    Relation("contains", lambda a, b: _inside(b, a), lambda a, b: bool(_inside(b, a)),
             # Not "contains"/"has" in English: those words say what a text or an image
             # contains ("the image has a bike"), never that one box encloses another.
             ("encloses", "surrounds")),
)}


def relation_holds(col: ObjectColumn, p: Pairs, relation: str) -> np.ndarray:
    """bool[P]: where ``a relation b`` holds for each pair."""
    return np.asarray(RELATIONS[relation].kernel(_boxes(col, p.a), _boxes(col, p.b)), dtype=bool)


def ref_relation(a: Obj, b: Obj, relation: str) -> bool:
    """The reference of :func:`relation_holds` for one pair."""
    return RELATIONS[relation].reference(_ref_box(a), _ref_box(b))


def pair_measure(col: ObjectColumn, p: Pairs, measure: str) -> np.ndarray:
    """float64[P]: ``distance`` between box centres, ``iou`` (intersection over union) or size
    ``area_ratio`` (area of a / area of b) of each pair."""
    ax1, ay1, ax2, ay2 = _boxes(col, p.a)
    bx1, by1, bx2, by2 = _boxes(col, p.b)
    with np.errstate(all="ignore"):
        if measure == "distance":
            dx = (ax1 + ax2) / 2 - (bx1 + bx2) / 2
            dy = (ay1 + ay2) / 2 - (by1 + by2) / 2
            result: np.ndarray = np.sqrt(dx * dx + dy * dy)
            return result
        area_a = (ax2 - ax1) * (ay2 - ay1)
        area_b = (bx2 - bx1) * (by2 - by1)
        if measure == "area_ratio":
            return area_a / area_b
        if measure == "iou":
            iw = np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0.0)
            ih = np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0.0)
            inter = iw * ih
            return inter / (area_a + area_b - inter)
    raise ValueError(f"unknown pair measure {measure!r}")


def ref_pair_measure(a: Obj, b: Obj, measure: str) -> float:
    """The reference of :func:`pair_measure` for one pair."""
    ax1, ay1, ax2, ay2 = _ref_box(a)
    bx1, by1, bx2, by2 = _ref_box(b)
    if measure == "distance":
        dx = (ax1 + ax2) / 2 - (bx1 + bx2) / 2
        dy = (ay1 + ay2) / 2 - (by1 + by2) / 2
        return math.sqrt(dx * dx + dy * dy)
    area_a = (ax2 - ax1) * (ay2 - ay1)
    area_b = (bx2 - bx1) * (by2 - by1)
    if measure == "area_ratio":
        return _div(area_a, area_b)
    if measure == "iou":
        iw = _hi(_lo(ax2, bx2) - _hi(ax1, bx1), 0.0)
        ih = _hi(_lo(ay2, by2) - _hi(ay1, by1), 0.0)
        inter = iw * ih
        return _div(inter, area_a + area_b - inter)
    raise ValueError(f"unknown pair measure {measure!r}")


# --- primitives ------------------------------------------------------------------------------------


def _objects(expr: ir.Expr) -> ir.Objects:
    assert isinstance(expr, ir.Objects), expr
    return expr


def _table(batch: Batch, objects: ir.Expr) -> tuple[ObjectColumn, np.ndarray]:
    o = _objects(objects)
    col = batch.object_table(o.field.name)
    return col, col.select(o.names)


def _ref_select(row: Row, objects: ir.Expr) -> list[tuple[int, Obj]]:
    """(position, object) of each object of the row that is one of the set's words."""
    o = _objects(objects)
    out = []
    for i, obj in enumerate(row.objects(o.field.name)):
        for phrase in ir.phrases(o.names):
            target = " ".join(phrase.text.split())
            name = obj.name
            if not phrase.case_sensitive:
                target, name = target.lower(), name.lower()
            if target and (name == target or name.endswith(" " + target)):
                out.append((i, obj))
                break
    return out


class _ImagePrimitive(ir.Primitive):
    __slots__ = ()

    def check_objects(self, env: CheckEnv, *sets: ir.Expr) -> None:
        for s in sets:
            env.expect(s, ir.Type.OBJECTS, "a set of objects")


@primitive
@dataclass(frozen=True, slots=True)
class Has(_ImagePrimitive):
    """True where the image has at least one of the objects.

    >>> # lf street: has @person and has @road -> RIDING
    """

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = ("has {objects:objects}",)
    objects: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        self.check_objects(env, self.objects)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        col, mask = _table(batch, self.objects)
        return rows_with(batch.n, col.row_of[mask])

    def reference(self, row: Row) -> bool:
        return bool(_ref_select(row, self.objects))


@primitive
@dataclass(frozen=True, slots=True)
class CountObjects(_ImagePrimitive):
    """The number of the objects in the image."""

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = ("count ( {objects:objects} )",)
    objects: ir.Expr

    def check(self, env: CheckEnv) -> ir.Type:
        self.check_objects(env, self.objects)
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        col, mask = _table(batch, self.objects)
        return np.bincount(col.row_of[mask], minlength=batch.n).astype(np.float64)

    def reference(self, row: Row) -> float:
        return float(len(_ref_select(row, self.objects)))


_QUANTIFIERS = ("any", "all")


@primitive
@dataclass(frozen=True, slots=True)
class Related(_ImagePrimitive):
    """True where the relations hold between the two sets' objects: ``any a ... any b`` for some
    pair, ``all a ... any b`` for every a with some b, ``any a ... all b`` for some a with every
    other b, ``all a ... all b`` for every pair (``all`` needs at least one object or pair).
    Several relations joined by ``and`` must hold for the same pair.

    >>> # lf riding: any @person above and overlaps any @bike -> RIDING
    """

    rule: ClassVar[str] = "predicate"
    syntax: ClassVar[tuple[Any, ...]] = tuple(
        alt(f"{qa} {{a:objects}} {{relations:relations}} {qb} {{b:objects}}", a_all=qa == "all",
            b_all=qb == "all")
        for qa in _QUANTIFIERS for qb in _QUANTIFIERS
    )
    a: ir.Expr
    relations: tuple[str, ...]
    b: ir.Expr
    a_all: bool = False
    b_all: bool = False

    def check(self, env: CheckEnv) -> ir.Type:
        self.check_objects(env, self.a, self.b)
        if _objects(self.a).field != _objects(self.b).field:
            env.error("E301", "a relation needs two object sets of the same image (one field)",
                      self)
        return ir.Type.BOOL

    def kernel(self, batch: Batch) -> np.ndarray:
        col, a_mask = _table(batch, self.a)
        _, b_mask = _table(batch, self.b)
        p = pairs(col, a_mask, b_mask)
        holds = np.ones(len(p.a), dtype=bool)
        for relation in self.relations:
            holds &= relation_holds(col, p, relation)
        n_a = len(p.a_objects)
        tried = np.bincount(p.a_entry, minlength=n_a)
        hits = np.bincount(p.a_entry[holds], minlength=n_a)
        ok = (tried > 0) & (hits == tried) if self.b_all else hits > 0
        rows = col.row_of[p.a_objects]
        if not self.a_all:
            return rows_with(batch.n, rows[ok])
        bad = rows_with(batch.n, rows[~ok])
        return rows_with(batch.n, rows) & ~bad

    def reference(self, row: Row) -> bool:
        a_set, b_set = _ref_select(row, self.a), _ref_select(row, self.b)
        verdicts = []
        for i, a in a_set:
            results = [all(ref_relation(a, b, r) for r in self.relations)
                       for j, b in b_set if j != i]
            verdicts.append(bool(results) and all(results) if self.b_all else any(results))
        return (bool(verdicts) and all(verdicts)) if self.a_all else any(verdicts)


@primitive
@dataclass(frozen=True, slots=True)
class PairMeasure(_ImagePrimitive):
    """The ``min``, ``max`` or ``mean`` over pairs of ``distance`` (between box centres), ``iou``
    or ``area_ratio`` (area of a / area of b).

    >>> # lf far: min distance(@person, @bike) > 2 * max w(@person) -> NOT_RIDING
    """

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = tuple(
        alt(f"{agg} {m} ( {{a:objects}} , {{b:objects}} )", agg=agg, measure=m)
        for m in PAIR_MEASURES for agg in ("min", "max", "mean")
    )
    a: ir.Expr
    b: ir.Expr
    agg: str = "min"
    measure: str = "distance"

    def check(self, env: CheckEnv) -> ir.Type:
        self.check_objects(env, self.a, self.b)
        if _objects(self.a).field != _objects(self.b).field:
            env.error("E301", f"'{self.measure}' needs two object sets of the same image", self)
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        col, a_mask = _table(batch, self.a)
        _, b_mask = _table(batch, self.b)
        p = pairs(col, a_mask, b_mask)
        return aggregate(pair_measure(col, p, self.measure), col.row_of[p.a], batch.n, self.agg)

    def reference(self, row: Row) -> float:
        a_set, b_set = _ref_select(row, self.a), _ref_select(row, self.b)
        values = [ref_pair_measure(a, b, self.measure)
                  for i, a in a_set for j, b in b_set if i != j]
        return aggregate_one(values, self.agg)


@primitive
@dataclass(frozen=True, slots=True)
class ObjectMeasure(_ImagePrimitive):
    """An aggregate (``min``, ``max``, ``mean``, ``sum``, ``worst``) of a measure of the objects:
    an attribute from the data (``area``, ``intensity`` ...), box geometry, or a ``let``.

    >>> # lf big: worst area(@region) > 900 -> MALIGNANT
    """

    rule: ClassVar[str] = "value"
    syntax: ClassVar[tuple[Any, ...]] = tuple(
        alt(f"{agg} {{measure:measure}} ( {{objects:objects}} )", agg=agg) for agg in AGGREGATES
    )
    measure: ir.Expr
    objects: ir.Expr
    agg: str = "max"

    def check(self, env: CheckEnv) -> ir.Type:
        self.check_objects(env, self.objects)
        for node in ir.walk(self.measure):
            if isinstance(node, ir.Arith | ir.Attr | ir.Num):
                continue
            env.error("E301", "a measure is built from object measures, numbers and + - * / ^",
                      node)
        return ir.Type.NUM

    def kernel(self, batch: Batch) -> np.ndarray:
        col, mask = _table(batch, self.objects)
        values = column_measure(col, self.measure)[mask]
        return aggregate(values, col.row_of[mask], batch.n, self.agg)

    def reference(self, row: Row) -> float:
        field_name = _objects(self.objects).field.name
        image = _image_size(row)
        values = [object_measure(o, self.measure, image, field_name)
                  for _, o in _ref_select(row, self.objects)]
        return aggregate_one(values, self.agg)
