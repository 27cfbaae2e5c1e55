"""The batch layout kernels read: each field of ``n`` rows as flat arrays with per-row offsets.

Built by ``explicate.runtime.features`` (text, mentions) and ``explicate.runtime.data.detections``
(objects); read by the kernels of ``primitives.text`` and ``primitives.image``. ``Batch`` is what
a kernel sees (all rows at once); ``Row`` is what a reference method sees (one example, plain
Python values).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from explicate import ir

Occurrences = tuple[np.ndarray, np.ndarray]  # global token (starts, ends), sorted by start


@dataclass(frozen=True)
class TextColumn:
    """One tokenized text field for ``n`` rows, as flat arrays."""

    lower: np.ndarray  # uint64[T]: hash id of each token's lowercase form
    orth: np.ndarray  # uint64[T]: hash id of each token's exact form
    offsets: np.ndarray  # int64[n + 1]: tokens of row r are [offsets[r], offsets[r + 1])
    doc_of: np.ndarray  # int64[T]: the row of each token
    char_start: np.ndarray  # int64[T]: character offset of each token in its row's text
    char_end: np.ndarray  # int64[T]
    arrow: pa.Array  # the text of each row as the rules see it ("" where missing), for RE2 kernels

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    @functools.cached_property
    def strings(self) -> np.ndarray:
        """StringDType[n]: the same text as a numpy array (built when first asked for)."""
        return np.array(self.arrow.to_numpy(zero_copy_only=False), dtype=np.dtypes.StringDType())


@dataclass(frozen=True)
class SpanColumn:
    """A mention field: for each row, tokens ``[start, end)`` of the row in text field ``text``."""

    text: str
    start: np.ndarray  # int64[n], local token index within the row
    end: np.ndarray  # int64[n]
    found: np.ndarray  # bool[n]: the mention was located in the text


@dataclass(frozen=True)
class EntityColumn:
    """The named entities of one text field for ``n`` rows (the ``ner`` extra): entity ``e`` is
    tokens ``[start[e], end[e])`` of row ``row[e]`` (local token indices, every token the
    recognizer's character range overlaps), of type ``types[label[e]]``; sorted by row, then
    start."""

    row: np.ndarray  # int64[E]
    start: np.ndarray  # int64[E]
    end: np.ndarray  # int64[E]
    label: np.ndarray  # int64[E]: index into ``types``
    types: tuple[str, ...]

    def of_types(self, labels: Sequence[str]) -> np.ndarray:
        """bool[E]: the entities whose type is one of ``labels``."""
        ids = [i for i, t in enumerate(self.types) if t in labels]
        return np.isin(self.label, np.array(ids, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class Obj:
    """One object of an image, parsed: missing or non-numeric coordinates are NaN."""

    name: str
    x: float
    y: float
    w: float
    h: float
    attrs: dict[str, float] = field(default_factory=dict)


_BOX = ("x", "y", "w", "h")


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def parse_objects(value: Any) -> list[Obj] | None:
    """The objects of one row, or None when the value is not a list of objects (the row is then
    invalid for rules that read it). Boxes may be given as ``x, y, w, h`` or as
    ``bbox: [x, y, w, h]`` (COCO); every other numeric key is an attribute."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return None
    out: list[Obj] = []
    for item in value:
        if not isinstance(item, dict):
            return None
        box = item.get("bbox")
        if isinstance(box, list | tuple) and len(box) == 4:
            coords = [_number(v) for v in box]
        else:
            coords = [_number(item.get(k)) for k in _BOX]
        attrs = {str(k): _number(v) for k, v in item.items()
                 if k not in (*_BOX, "bbox", "name") and isinstance(v, int | float)
                 and not isinstance(v, bool)}
        raw_name = item.get("name", "")
        name = " ".join(str(raw_name).split()) if raw_name is not None else ""
        out.append(Obj(name, coords[0], coords[1], coords[2], coords[3], attrs))
    return out


@dataclass(frozen=True)
class ObjectColumn:
    """One objects field for ``n`` rows, as flat arrays over all ``N`` objects (row order)."""

    names: np.ndarray  # StringDType[N]: names with whitespace collapsed
    lower: np.ndarray  # StringDType[N]: the same, lower case
    x: np.ndarray  # float64[N]
    y: np.ndarray
    w: np.ndarray
    h: np.ndarray
    attrs: dict[str, np.ndarray]  # float64[N] per numeric attribute (NaN where an object lacks it)
    offsets: np.ndarray  # int64[n + 1]: objects of row r are [offsets[r], offsets[r + 1])
    row_of: np.ndarray  # int64[N]
    image_w: np.ndarray  # float64[n] (NaN where unknown)
    image_h: np.ndarray
    field_name: str = ir.DEFAULT_OBJECTS
    # Object selections by words, memoized: `@person` used by five LFs is matched once.
    _masks: dict[ir.Expr, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_rows(cls, rows: Sequence[list[Obj] | None], image_w: np.ndarray,
                  image_h: np.ndarray, field_name: str = ir.DEFAULT_OBJECTS) -> ObjectColumn:
        """Flatten parsed rows (None rows hold no objects)."""
        flat = [o for r in rows if r for o in r]
        counts = np.fromiter((len(r) if r else 0 for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        keys = sorted({k for o in flat for k in o.attrs})
        names = np.array([o.name for o in flat], dtype=np.dtypes.StringDType())
        return cls(
            names=names,
            lower=np.strings.lower(names),
            x=np.array([o.x for o in flat], dtype=np.float64),
            y=np.array([o.y for o in flat], dtype=np.float64),
            w=np.array([o.w for o in flat], dtype=np.float64),
            h=np.array([o.h for o in flat], dtype=np.float64),
            attrs={k: np.array([o.attrs.get(k, math.nan) for o in flat], dtype=np.float64)
                   for k in keys},
            offsets=offsets,
            row_of=np.repeat(np.arange(len(rows), dtype=np.int64), counts),
            image_w=np.asarray(image_w, dtype=np.float64),
            image_h=np.asarray(image_h, dtype=np.float64),
            field_name=field_name,
        )

    def select(self, words: ir.Expr) -> np.ndarray:
        """bool[N]: the objects that are one of ``words`` (memoized)."""
        mask = self._masks.get(words)
        if mask is None:
            mask = np.zeros(len(self.names), dtype=bool)
            for phrase in ir.phrases(words):
                target = " ".join(phrase.text.split())
                if not target:
                    continue
                names = self.names if phrase.case_sensitive else self.lower
                target = target if phrase.case_sensitive else target.lower()
                mask |= (names == target) | np.strings.endswith(names, " " + target)
            self._masks[words] = mask
        return mask


class Batch(Protocol):
    """What kernels read: the featurized rows (see ``explicate.runtime.features.Batch``)."""

    n: int

    def text(self, name: str) -> TextColumn: ...

    def span(self, name: str) -> SpanColumn: ...

    def occurrences(self, name: str, words: ir.Expr) -> Occurrences: ...

    def object_table(self, name: str) -> ObjectColumn: ...

    def entities(self, name: str) -> EntityColumn: ...


class Row(Protocol):
    """What reference semantics read: one example, as plain Python values."""

    def tokens(self, name: str) -> list[str]: ...

    def mention(self, name: str) -> tuple[str, int, int] | None: ...

    def string(self, name: str) -> str: ...

    def phrase_tokens(self, phrase: ir.Phrase) -> list[str]: ...

    def objects(self, name: str) -> list[Obj]: ...

    def number(self, name: str) -> float: ...

    def entities(self, name: str) -> list[tuple[int, int, str]]:
        """(first token, end token, type) of each named entity of a text field."""
        ...
