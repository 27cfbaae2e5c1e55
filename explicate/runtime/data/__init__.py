"""Reading data: formats (a registry by suffix), schema inference, gold labels, detections and
image regions.

Modules, in import order (each imports only those above it)::

    problems    RowProblem, data_error
    detections  objects fields (lists of boxes per image), COCO
    formats     one reader per suffix: csv/tsv/txt, jsonl, json (lists, WRENCH, COCO), parquet
    read        read_table
    schema      infer_schema (text / number / mention / objects)
    gold        label values -> ids, one convention (see gold.py)
    regions     region tables and the built-in region extractor
"""

from explicate.runtime.data.detections import (
    OBJECTS_SHARE,
    coco_frame,
    is_coco,
    is_objects_column,
    object_column,
)
from explicate.runtime.data.formats import readers
from explicate.runtime.data.gold import gold_ids, label_ids, label_of, label_table
from explicate.runtime.data.problems import RowProblem, data_error
from explicate.runtime.data.read import read_table
from explicate.runtime.data.regions import (
    extract_regions,
    otsu_threshold,
    read_regions,
    regions_records,
    write_jsonl,
)
from explicate.runtime.data.schema import MENTION_SHARE, infer_schema

__all__ = [
    "MENTION_SHARE",
    "OBJECTS_SHARE",
    "RowProblem",
    "coco_frame",
    "data_error",
    "extract_regions",
    "gold_ids",
    "infer_schema",
    "is_coco",
    "is_objects_column",
    "label_ids",
    "label_of",
    "label_table",
    "object_column",
    "otsu_threshold",
    "read_regions",
    "read_table",
    "readers",
    "regions_records",
    "write_jsonl",
]
