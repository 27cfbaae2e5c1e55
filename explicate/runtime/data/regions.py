"""Regions without a detector: tables of region measurements, and a built-in extractor.

- a table of region measurements, one row per region with an image column: :func:`read_regions`;
- no detector at all: :func:`extract_regions` finds the connected components of a thresholded
  image (``explicate regions IMAGES_DIR -o regions.jsonl``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate.primitives.image import IMAGE_HEIGHT, IMAGE_WIDTH
from explicate.runtime.data.problems import data_error
from explicate.runtime.data.read import read_table

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".npy")


def read_regions(path: str | Path, image_column: str = "image",
                 name_column: str = "name") -> pd.DataFrame:
    """A table of region measurements (one row per region: an image column and numeric
    columns such as area, perimeter, intensity) as one row per image with an ``objects`` list.
    Regions are named by ``name_column`` when present, else ``region``."""
    table = read_table(path)
    if image_column not in table.columns:
        raise data_error(f"no image column '{image_column}' in '{path}'",
                     f"columns: {', '.join(map(str, table.columns))}")
    numeric = [c for c in table.columns if c not in (image_column, name_column)
               and pd.api.types.is_numeric_dtype(table[c])]
    skipped = [str(c) for c in table.columns
               if c not in (image_column, name_column, *numeric)]
    if skipped:
        raise data_error(f"non-numeric region columns in '{path}': {', '.join(skipped)}",
                     "a region's measures are numbers; drop or encode these columns")
    out = []
    for image, group in table.groupby(image_column, sort=False):
        objects = []
        for rec in group.to_dict("records"):
            item: dict[str, Any] = {c: float(rec[c]) for c in numeric if not pd.isna(rec[c])}
            item["name"] = str(rec.get(name_column, "region")) if name_column in rec else "region"
            objects.append(item)
        out.append({image_column: image, "objects": objects})
    return pd.DataFrame(out)


def otsu_threshold(pixels: np.ndarray) -> float:
    """Otsu's threshold: the grey level that best separates the pixels into two classes."""
    values = pixels.astype(np.float64).ravel()
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return lo
    hist, edges = np.histogram(values, bins=256, range=(lo, hi))
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean0 = m0 / w0
        mean1 = (m0[-1] - m0) / w1
        between = w0 * w1 * (mean0 - mean1) ** 2
    between[~np.isfinite(between)] = -1
    return float(edges[int(np.argmax(between)) + 1])


def _components(mask: np.ndarray, pixels: np.ndarray, name: str) -> list[dict[str, Any]]:
    """One object per 8-connected component of ``mask``, with its measures."""
    from scipy import ndimage  # imported here: 0.5 s, needed only to extract regions

    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return []
    index = np.arange(1, count + 1)
    area = ndimage.sum_labels(np.ones_like(pixels, dtype=np.float64), labels, index)
    intensity = ndimage.mean(pixels, labels, index)
    rows, cols = np.indices(pixels.shape, dtype=np.float64)
    mean_r = ndimage.mean(rows, labels, index)
    mean_c = ndimage.mean(cols, labels, index)
    var_r = ndimage.mean(rows * rows, labels, index) - mean_r**2
    var_c = ndimage.mean(cols * cols, labels, index) - mean_c**2
    cov = ndimage.mean(rows * cols, labels, index) - mean_r * mean_c
    # Eccentricity of the ellipse with the same second moments (0 = circle, towards 1 = line).
    spread = np.sqrt(np.maximum(((var_r - var_c) / 2) ** 2 + cov**2, 0))
    major, minor = (var_r + var_c) / 2 + spread, (var_r + var_c) / 2 - spread
    with np.errstate(divide="ignore", invalid="ignore"):
        ecc = np.where(major > 0, np.sqrt(np.clip(1 - minor / major, 0, 1)), 0.0)
    # Perimeter: pixels of the component with a 4-neighbour outside it (the image edge counts).
    padded = np.pad(labels, 1)
    inner = labels.copy()
    for dr, dc in ((0, 1), (2, 1), (1, 0), (1, 2)):
        inner = np.where(padded[dr:dr + labels.shape[0], dc:dc + labels.shape[1]] == labels,
                         inner, 0)
    boundary = (labels > 0) & (inner == 0)
    perimeter = ndimage.sum_labels(boundary.astype(np.float64), labels, index)
    touches = np.zeros(count + 1, dtype=bool)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touches[edge] = True
    out = []
    for k, box in enumerate(ndimage.find_objects(labels)):
        assert box is not None
        r, c = box
        out.append({
            "name": name, "x": int(c.start), "y": int(r.start),
            "w": int(c.stop - c.start), "h": int(r.stop - r.start),
            "area": float(area[k]), "perimeter": float(perimeter[k]),
            "intensity": round(float(intensity[k]), 6),
            "centroid_x": round(float(mean_c[k]), 6), "centroid_y": round(float(mean_r[k]), 6),
            "eccentricity": round(float(ecc[k]), 6),
            "border": int(touches[k + 1]),
        })
    return out


def extract_regions(pixels: np.ndarray, threshold: float | None = None,
                    invert: bool = False) -> list[dict[str, Any]]:
    """Objects of one grey image (2-D array; colour is averaged): each 8-connected component of
    the pixels above ``threshold`` (Otsu's when None; below it with ``invert``) is a ``region``,
    and each component of the other pixels that does not touch the image border is a ``hole``.
    Measures: box ``x, y, w, h``, ``area`` (pixels), ``perimeter`` (boundary pixels),
    ``intensity`` (mean grey level), ``centroid_x``/``centroid_y``, ``eccentricity``, ``border``
    (1 where the region touches the image edge)."""
    grey = np.asarray(pixels, dtype=np.float64)
    if grey.ndim == 3:
        grey = grey[..., :3].mean(axis=2)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"an image must be a 2-D (or colour) array, got shape {grey.shape}")
    t = otsu_threshold(grey) if threshold is None else threshold
    fore = grey < t if invert else grey > t
    holes = [o for o in _components(~fore, grey, "hole") if not o["border"]]
    return _components(fore, grey, "region") + holes


def load_image(path: Path) -> np.ndarray:
    """A grey-level array from an image file (Pillow) or a ``.npy`` array."""
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False)
    from PIL import Image  # imported here: only the region extractor reads pixels

    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float64)


def image_files(folder: Path) -> list[Path]:
    """Image files under a folder (recursively), sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.suffix.lower() in IMAGE_SUFFIXES)


def regions_records(folder: str | Path, threshold: float | None = None, invert: bool = False,
                    skipped: list[str] | None = None) -> Iterable[dict[str, Any]]:
    """One record per image file under ``folder``: ``image`` (relative path), ``folder`` (its
    parent folder's name, a class in the usual one-folder-per-class layout), ``image_width``,
    ``image_height`` and ``objects``. Files that cannot be read are listed in ``skipped``."""
    root = Path(folder)
    if not root.is_dir():
        raise data_error(f"image folder '{folder}' not found")
    files = image_files(root)
    if not files:
        raise data_error(f"no images in '{folder}'", f"looked for {', '.join(IMAGE_SUFFIXES)}")
    for path in files:
        try:
            pixels = load_image(path)
            objects = extract_regions(pixels, threshold, invert)
        except (OSError, ValueError) as exc:
            if skipped is not None:
                skipped.append(f"{path}: {exc}")
            continue
        yield {"image": str(path.relative_to(root)), "folder": path.parent.name,
               IMAGE_WIDTH: int(pixels.shape[1]), IMAGE_HEIGHT: int(pixels.shape[0]),
               "objects": objects}


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write records as JSON lines; return how many."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
            count += 1
    return count
