"""Gold labels: one convention for every command, the pipeline and explanation files.

A label value in a data file (a gold column, an explanation's label) is read as, in order:

1. a key of the user's map (``--gold-map 'VALUE=LABEL,...'``, ``[data] label_map``,
   ``--label-map``), when one is given;
2. a label name, ignoring case;
3. when no map is given, an integer id: ``0 .. k-1`` in the order of the ``labels:``
   declaration (Snorkel's convention). With a map, unmapped numbers are errors, so a file
   coded ``1 = SPOUSE, 2 = NOT_SPOUSE`` is never half-read as ids.

A missing value is ``ABSTAIN`` (unknown gold); any other value is an error naming the labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from explicate.errors import DataError, Diagnostic
from explicate.ir import ABSTAIN

E_LABEL = "E404"


def label_table(labels: Sequence[str], label_map: Mapping[str, str] | None = None,
                what: str = "label map") -> dict[str, int]:
    """Text of a value (case-folded) -> label id, following the module's convention."""
    table: dict[str, int] = {name.lower(): i for i, name in enumerate(labels)}
    if label_map:
        unknown = [lab for lab in label_map.values() if lab not in labels]
        if unknown:
            raise DataError([Diagnostic("E202", f"the {what} names unknown label '{unknown[0]}'",
                                        None, "", (f"labels: {', '.join(labels)}",))])
        table.update({str(value).strip().lower(): labels.index(lab)
                      for value, lab in label_map.items()})
    else:
        table.update({str(i): i for i in range(len(labels))})
    return table


def _key(value: Any) -> str:
    """A value's text as the table knows it: stripped, lower case, ``1.0`` read as ``1``."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value).strip().removesuffix(".0").lower()


def label_ids(values: pd.Series | Sequence[Any], table: Mapping[str, int]
              ) -> tuple[np.ndarray, list[str]]:
    """Label ids of values through ``table`` (ABSTAIN where missing) and the values the table
    does not know (sorted)."""
    keys = [_key(v) for v in values]
    unknown = sorted({k for k in keys if k and k not in table})
    return np.array([table.get(k, ABSTAIN) for k in keys], dtype=np.int64), unknown


def gold_ids(values: pd.Series | Sequence[Any], labels: Sequence[str],
             label_map: Mapping[str, str] | None = None, *, what: str = "gold column",
             map_hint: str = "--gold-map 'VALUE=LABEL,...'", map_name: str = "label map"
             ) -> np.ndarray:
    """Gold label ids of ``values`` (ABSTAIN where missing); unknown values are an E404.
    ``map_name`` is how messages name the map (``[data] label_map`` in a pipeline file)."""
    ids, unknown = label_ids(values, label_table(labels, label_map, map_name))
    if unknown:
        ids_note = "" if label_map else f" (or ids 0..{len(labels) - 1})"
        raise DataError([Diagnostic(
            E_LABEL, f"the {what} has values that are not labels: {', '.join(unknown[:5])}",
            None, "", (f"labels: {', '.join(labels)}{ids_note}; map others with {map_hint}",))])
    return ids


def label_of(value: object, labels: Sequence[str], label_map: Mapping[str, str] | None,
             where: str) -> str:
    """The label name of one value (an explanation's label), or an E404 naming ``where``."""
    ids, unknown = label_ids([value], label_table(labels, label_map))
    if unknown or ids[0] == ABSTAIN:
        ids_note = "" if label_map else f", or an id 0..{len(labels) - 1}"
        raise DataError([Diagnostic(
            E_LABEL, f"{where}: label {value!r} is not a label name{ids_note}", None, "",
            (f"labels are: {', '.join(labels)}",))])
    return labels[int(ids[0])]
