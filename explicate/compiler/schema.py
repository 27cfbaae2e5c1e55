"""What the compiler knows about the data: each field's kind, and which text a mention lives in."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from explicate import ir


class FieldKind(enum.Enum):
    """The kind of a data column."""

    TEXT = "text"
    SPAN = "span"
    NUM = "number"
    OBJECTS = "objects"  # per-row lists of image objects (name, box, numeric attributes)

    @property
    def type(self) -> ir.Type:
        return {FieldKind.TEXT: ir.Type.TEXT, FieldKind.SPAN: ir.Type.SPAN, FieldKind.NUM: ir.Type.NUM,
                FieldKind.OBJECTS: ir.Type.OBJECTS}[self]


@dataclass(frozen=True)
class Schema:
    """Fields of a dataset: ``kinds`` by name, and for each mention (span) field its text field."""

    kinds: dict[str, FieldKind]
    span_of: dict[str, str] = field(default_factory=dict)
    # Extra columns present in the data but not usable as fields (e.g. offsets), for listings.
    other: tuple[str, ...] = ()
    # The data's own column names, when the schema comes from data.
    columns: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.kinds)
