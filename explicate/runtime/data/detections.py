"""Objects fields: columns whose values are lists of detected objects, one list per image.

An object is ``{"name", "x", "y", "w", "h", ...numeric attributes}``;
``explicate.primitives.image`` defines the rules over such a field. Detections arrive as JSONL
(one image per line with an ``objects`` list) or as COCO-style annotation/detection JSON
(``images``, ``annotations``, ``categories``: :func:`coco_frame`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from explicate.primitives.columns import ObjectColumn, parse_objects
from explicate.primitives.image import IMAGE_HEIGHT, IMAGE_WIDTH
from explicate.runtime.data.problems import RowProblem, data_error

# A column is an objects field when at least this share of its present values are lists.
OBJECTS_SHARE = 0.9


def is_objects_column(series: pd.Series) -> bool:
    """Whether a column holds lists of objects (dicts), allowing a few bad rows."""
    present = [v for v in series.to_numpy(dtype=object) if not _missing(v)]
    if not present:
        return False
    lists = [v for v in present if isinstance(v, list | tuple | np.ndarray)]
    if len(lists) < OBJECTS_SHARE * len(present):
        return False
    items = [x for v in lists for x in list(v)[:1]]
    return all(isinstance(x, dict) for x in items)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def object_column(df: pd.DataFrame, name: str, *, base: int = 0,
                  problems: list[RowProblem] | None = None) -> tuple[ObjectColumn, np.ndarray]:
    """The flat object table of field ``name`` and its validity (a list of objects) per row.

    Rows that are not a list of objects, and objects without a numeric box, are reported; the
    first make LFs reading the field abstain, the second have undefined geometry.
    """
    problems = problems if problems is not None else []
    parsed = []
    for i, value in enumerate(df[name].to_numpy(dtype=object)):
        objs = parse_objects(value)
        parsed.append(objs)
        if objs is None:
            what = "is missing" if _missing(value) else "is not a list of objects"
            problems.append(RowProblem(base + i + 1, name, what))
            continue
        no_box = [k for k, o in enumerate(objs) if any(math.isnan(v) for v in (o.x, o.y, o.w, o.h))]
        if no_box:
            problems.append(RowProblem(base + i + 1, name,
                                       f"has {len(no_box)} object(s) without a numeric box "
                                       f"(first: #{no_box[0] + 1}); their geometry is undefined"))
    n = len(df)

    def size(column: str) -> np.ndarray:
        if column not in df.columns:
            return np.full(n, np.nan)
        return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64,
                                                                   na_value=np.nan)

    col = ObjectColumn.from_rows(parsed, size(IMAGE_WIDTH), size(IMAGE_HEIGHT), name)
    valid = np.array([p is not None for p in parsed], dtype=bool)
    return col, valid


def is_coco(obj: Any) -> bool:
    """Whether parsed JSON looks like COCO (``images`` and ``annotations`` lists)."""
    return isinstance(obj, dict) and isinstance(obj.get("images"), list) and isinstance(
        obj.get("annotations"), list)


def coco_frame(obj: dict[str, Any]) -> pd.DataFrame:
    """One row per image of a COCO annotation (or detection) file: ``image_id``, ``file_name``,
    ``image_width``, ``image_height`` and ``objects`` (category name, ``bbox`` as x, y, w, h, and
    numeric fields such as ``score`` and ``area``). Annotations of unknown images are reported."""
    categories = {c.get("id"): str(c.get("name", c.get("id"))) for c in obj.get("categories", [])
                  if isinstance(c, dict)}
    rows: dict[Any, dict[str, Any]] = {}
    for im in obj["images"]:
        if not isinstance(im, dict) or "id" not in im:
            raise data_error("a COCO image entry has no 'id'")
        rows[im["id"]] = {"image_id": im["id"], "file_name": im.get("file_name", ""),
                          IMAGE_WIDTH: im.get("width", math.nan),
                          IMAGE_HEIGHT: im.get("height", math.nan), "objects": []}
    orphans = []
    for k, ann in enumerate(obj["annotations"]):
        if not isinstance(ann, dict) or ann.get("image_id") not in rows:
            orphans.append(k + 1)
            continue
        item = {key: v for key, v in ann.items()
                if key in ("bbox", "score", "area", "iscrowd") or (
                    isinstance(v, int | float) and key not in ("id", "image_id", "category_id"))}
        item["name"] = categories.get(ann.get("category_id"), str(ann.get("category_id", "")))
        rows[ann["image_id"]]["objects"].append(item)
    if orphans:
        raise data_error(f"{len(orphans)} COCO annotation(s) name no known image",
                     f"annotation numbers: {', '.join(map(str, orphans[:10]))}")
    return pd.DataFrame(list(rows.values()))
