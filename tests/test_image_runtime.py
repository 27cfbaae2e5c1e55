"""Image inputs: detections JSONL, COCO JSON, region tables, the region extractor, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from explicate.cli import app
from explicate.compiler import FieldKind
from explicate.errors import DataError
from explicate.runtime.apply import apply_file, apply_rules
from explicate.runtime.data import extract_regions, infer_schema, otsu_threshold, read_regions, read_table

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
VG = DATA / "images" / "visual_genome_bike_rider"
runner = CliRunner()


def test_detections_jsonl_is_an_objects_field(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rows = [{"id": 1, "objects": [{"name": "man", "x": 0, "y": 0, "w": 2, "h": 2}]},
            {"id": 2, "objects": []}, {"id": 3, "objects": "oops"}]
    rows += [{"id": 4 + k, "objects": []} for k in range(7)]  # a column of lists, one bad row
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    df = read_table(path)
    assert infer_schema(df).kinds["objects"] is FieldKind.OBJECTS
    rules = tmp_path / "r.lf"
    rules.write_text('labels: NO, YES\nlf m: has "man" -> YES\nlf n: not has "man" -> NO\n')
    applied = apply_file(rules, path)
    assert applied.L[:3].tolist() == [[1, -1], [-1, 0], [-1, -1]]
    assert [str(p) for p in applied.problems] == [
        "row 3: field 'objects' is not a list of objects"]


def test_coco_json_becomes_one_row_per_image(tmp_path: Path) -> None:
    coco = {"images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 50},
                       {"id": 8, "file_name": "b.jpg", "width": 10, "height": 10}],
            "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "bicycle"}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 0, 20, 30],
                             "score": 0.9},
                            {"id": 2, "image_id": 7, "category_id": 2, "bbox": [5, 20, 40, 20],
                             "score": 0.8}]}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(coco))
    df = read_table(path)
    assert df["image_id"].tolist() == [7, 8]
    applied = apply_rules('labels: NO, YES\n'
                          'lf r: any "person" above and overlaps any "bicycle" -> YES\n'
                          'lf s: min score("person") > 0.5 and max rel_w("bicycle") == 0.4 '
                          '-> YES\n', df)
    assert applied.L.tolist() == [[1, 1], [-1, -1]]


def test_coco_annotation_of_unknown_image_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "coco.json"
    path.write_text(json.dumps({"images": [], "annotations": [{"image_id": 3}]}))
    with pytest.raises(DataError, match="name no known image"):
        read_table(path)


def test_region_table_groups_regions_by_image(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    pd.DataFrame({"image": ["a", "a", "b"], "area": [10.0, 30.0, 5.0],
                  "perimeter": [12.0, 20.0, 9.0]}).to_csv(path, index=False)
    df = read_regions(path)
    assert df["image"].tolist() == ["a", "b"]
    applied = apply_rules('labels: NO, YES\nlet round = area / perimeter ^ 2\n'
                          'lf big: mean area("region") > 15 -> YES\n'
                          'lf r: max round("region") > 0.07 -> YES\n', df)
    assert applied.L.tolist() == [[1, 1], [-1, -1]]


def test_extractor_finds_regions_and_holes() -> None:
    img = np.zeros((12, 12))
    img[2:9, 2:9] = 200  # a ring ...
    img[4:7, 4:7] = 0  # ... with a hole
    img[10:12, 10:12] = 100  # and a small blob at the corner
    objects = extract_regions(img, threshold=50)
    names = sorted(o["name"] for o in objects)
    assert names == ["hole", "region", "region"]
    ring = max((o for o in objects if o["name"] == "region"), key=lambda o: o["area"])
    assert (ring["x"], ring["y"], ring["w"], ring["h"], ring["area"]) == (2, 2, 7, 7, 40.0)
    assert ring["intensity"] == 200.0 and ring["perimeter"] == 36.0  # 24 outer + 12 around the hole
    hole = next(o for o in objects if o["name"] == "hole")
    assert hole["area"] == 9.0 and hole["border"] == 0
    assert 0 < otsu_threshold(img) < 200


def test_cli_regions_then_summary(tmp_path: Path) -> None:
    for cls, fill in (("ZERO", True), ("ONE", False)):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        img = np.zeros((16, 16), dtype=np.uint8)
        img[3:13, 6:10] = 255
        if fill:
            img[3:13, 3:13] = 255
            img[6:10, 6:10] = 0
        Image.fromarray(img).save(tmp_path / "imgs" / cls / "a.png")
    out = tmp_path / "regions.jsonl"
    result = runner.invoke(app, ["regions", str(tmp_path / "imgs"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rules = tmp_path / "r.lf"
    rules.write_text('labels: ZERO, ONE\nlf hole: has "hole" -> ZERO\n'
                     'lf thin: max aspect("region") < 0.5 -> ONE\n'
                     'lf thin2: max aspect("region") < 0.6 and not has "hole" -> ONE\n')
    result = runner.invoke(app, ["summary", str(rules), "--data", str(out), "--gold", "folder",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["majority_vote"]["accuracy"] == 1.0
    assert data["dependencies"] == [{"lfs": ["thin", "thin2"], "pair": [1, 2],
                                     "shared": ['max aspect("region")']}]


def test_cli_regions_missing_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["regions", str(tmp_path / "nope"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not found" in result.stderr


@pytest.mark.skipif(not VG.is_dir(), reason=f"shared data not found at {VG} (set EXPLICATE_DATA)")
def test_visual_genome_rules_apply() -> None:
    applied = apply_file(ROOT / "examples/visual_genome/rules.lf", VG / "val.jsonl")
    assert applied.L.shape == (429, 8) and not applied.problems
    assert (applied.L != -1).any(axis=1).mean() > 0.8
