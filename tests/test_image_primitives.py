"""Image primitives: compiled kernels == the per-example reference, DSL round trips, semantics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explicate import ir
from explicate.compiler import compile_rules
from explicate.compiler.reference import apply_reference
from explicate.errors import CompileError
from explicate.grammar import parse, to_dsl
from explicate.runtime.apply import apply_rules
from explicate.runtime.data import infer_schema
from explicate.runtime.features import build_batch, tokenize

from .strategies import (
    LETS,
    image_conditions,
    image_primitive_of,
    image_primitives,
    image_rows,
)

HEADER = "labels: NO, YES\n" + "".join(f"let {k} = {v}\n" for k, v in LETS.items())
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def compiled_and_reference(conds: list[ir.Expr], examples: list[dict[str, Any]]
                           ) -> tuple[np.ndarray, np.ndarray]:
    text = HEADER + "".join(f"lf f{i}: {to_dsl(c)} -> YES\n" for i, c in enumerate(conds))
    df = pd.DataFrame(examples, columns=["objects", "image_width", "image_height"])
    schema = infer_schema(df)
    program = compile_rules(parse(text), schema)
    fast = program.apply(build_batch(df, program, schema))
    slow = np.array(apply_reference(program, examples, tokenize, {}), dtype=np.int8)
    return fast, slow.reshape(fast.shape)


# Every example has at least one objects list, so the column is recognized as objects.
EXAMPLES = st.lists(image_rows(), min_size=1, max_size=6).filter(
    lambda rows: any(r["objects"] for r in rows))


@pytest.mark.parametrize("name", sorted(r.name for r in image_primitives()))
def test_compiled_matches_reference_for_each_image_primitive(name: str) -> None:
    reg = next(r for r in image_primitives() if r.name == name)
    strategy = image_primitive_of(reg)
    if reg.rule == "value":
        strategy = st.builds(ir.Compare, st.sampled_from(ir.COMPARE_OPS), strategy,
                             st.sampled_from([0, 1, 2, 3.5, 10, 0.25]).map(
                                 lambda v: ir.Num(float(v))))

    @SETTINGS
    @given(st.lists(strategy, min_size=1, max_size=4), EXAMPLES)
    def check(conds: list[ir.Expr], examples: list[dict[str, Any]]) -> None:
        fast, slow = compiled_and_reference(conds, examples)
        assert (fast == slow).all(), (to_dsl(conds[0]), examples)

    check()


@SETTINGS
@given(st.lists(image_conditions(), min_size=1, max_size=3), EXAMPLES)
def test_compiled_matches_reference_for_image_combinations(
    conds: list[ir.Expr], examples: list[dict[str, Any]],
) -> None:
    fast, slow = compiled_and_reference(conds, examples)
    assert (fast == slow).all()


@SETTINGS
@given(image_conditions())
def test_every_image_condition_round_trips_through_dsl(cond: ir.Expr) -> None:
    lf = ir.LF("f", ir.Label("YES"), cond)
    assert parse(to_dsl(lf)).statements[0] == lf


# --- semantics on small hand-made images ---------------------------------------------------------

RULES = """labels: NO, YES
words person = "person", "man", "woman"
words bike = "bike", "bicycle"
let size = w * h
lf riding: any @person above and overlaps any @bike -> YES
lf far: min distance(@person, @bike) > 2 * max w(@person) -> NO
lf all_above: all @person above any @bike -> YES
lf count: count(@person) > count(@bike) -> NO
lf big: max size(@bike) >= 100 -> YES
lf iou: max iou(@person, @bike) > 0.1 -> YES
"""


def _image(*objects: tuple[str, float, float, float, float]) -> list[dict[str, Any]]:
    return [{"name": n, "x": x, "y": y, "w": w, "h": h} for n, x, y, w, h in objects]


def test_image_rules_on_hand_made_images() -> None:
    rider = _image(("young man", 10, 0, 10, 20), ("bike", 8, 15, 14, 10))
    apart = _image(("woman", 0, 0, 5, 10), ("bicycle", 100, 100, 10, 10),
                   ("man", 50, 0, 5, 10))
    nobody = _image(("bike", 0, 0, 20, 20))
    df = pd.DataFrame({"objects": [rider, apart, nobody, None]})
    applied = apply_rules(RULES, df)
    L = applied.L
    names = applied.matrix.lf_names
    col = {n: L[:, j] for j, n in enumerate(names)}
    assert col["riding"].tolist() == [1, -1, -1, -1]
    assert col["far"].tolist() == [-1, 0, -1, -1]
    assert col["all_above"].tolist() == [1, 1, -1, -1]  # no person: 'all' does not hold
    assert col["count"].tolist() == [-1, 0, -1, -1]
    assert col["big"].tolist() == [1, 1, 1, -1]
    assert col["iou"].tolist() == [1, -1, -1, -1]
    # The missing objects value is reported, never dropped silently.
    assert [(p.row, p.field) for p in applied.problems] == [(4, "objects")]


def test_a_name_matches_whole_words_at_its_end() -> None:
    df = pd.DataFrame({"objects": [_image(("woman", 0, 0, 1, 1)), _image(("young Man", 0, 0, 1, 1)),
                                   _image(("manhole", 0, 0, 1, 1))]})
    applied = apply_rules('labels: NO, YES\nlf m: has "man" -> YES\n'
                          'lf c: has case "Man" -> NO\n', df)
    assert applied.L[:, 0].tolist() == [-1, 1, -1]
    assert applied.L[:, 1].tolist() == [-1, 0, -1]


def test_relative_measures_need_the_image_size() -> None:
    objects = _image(("car", 0, 0, 10, 10))
    df = pd.DataFrame({"objects": [objects, objects], "image_width": [20, None],
                       "image_height": [20, None]})
    applied = apply_rules('labels: NO, YES\nlf r: max rel_area("car") == 0.25 -> YES\n'
                          'lf n: not max rel_area("car") < 1 -> NO\n', df)
    # Unknown size: the measure is undefined, every comparison with it is false.
    assert applied.L[:, 0].tolist() == [1, -1]
    assert applied.L[:, 1].tolist() == [-1, 0]


def test_region_measures_aggregate_mean_max_and_worst() -> None:
    regions = [{"name": "region", "x": 0, "y": 0, "w": 1, "h": 1, "area": a}
               for a in (1.0, 5.0, 3.0, 4.0)]
    df = pd.DataFrame({"objects": [regions]})
    rules = ("labels: NO, YES\n"
             'lf mean: mean area("region") == 3.25 -> YES\n'
             'lf max: max area("region") == 5 -> YES\n'
             'lf worst: worst area("region") == 4 -> YES\n'
             'lf sum: sum area("region") == 13 -> YES\n'
             'let ratio = area / perimeter ^ 2\n')
    assert apply_rules(rules, df).L.tolist() == [[1, 1, 1, 1]]


def test_unknown_measure_is_a_clear_error() -> None:
    df = pd.DataFrame({"objects": [_image(("car", 0, 0, 1, 1))]})
    with pytest.raises(Exception, match="'perimeter' is not a measure"):
        apply_rules('labels: NO, YES\nlf p: max perimeter("car") > 1 -> YES\n', df)


def test_objects_field_cannot_be_used_as_text() -> None:
    df = pd.DataFrame({"objects": [_image(("car", 0, 0, 1, 1))], "text": ["a car"]})
    with pytest.raises(CompileError, match="must be a set of image objects|must be a text"):
        apply_rules('labels: NO, YES\nlf p: has "car" from text -> YES\n', df)


def test_let_round_trips_and_expands_in_values_and_measures() -> None:
    text = ('labels: NO, YES\nlet ratio = area / perimeter ^ 2\n'
            'let far = min distance("person", "bike") - 2 * max w("person")\n'
            'lf a: max ratio("region") > 0.05 and far > 0 -> YES\n')
    rules = parse(text)
    assert to_dsl(rules) == text
    program = compile_rules(rules)
    assert to_dsl(program.lfs[0]) == 'lf a: max ratio("region") > 0.05 and far > 0 -> YES'
    lowered = program.lowered[0].when
    measures = [n for n in ir.walk(lowered) if isinstance(n, ir.Attr)]
    assert {m.name for m in measures} == {"area", "perimeter", "w"}
    assert not any(isinstance(n, ir.Field) and n.name in ("far", "ratio")
                   for n in ir.walk(lowered))


def test_nan_comparison_is_false_for_every_operator() -> None:
    df = pd.DataFrame({"objects": [_image(("car", 0, 0, 1, 1))]})
    rules = "labels: NO, YES\n" + "".join(
        f'lf f{i}: min distance("car", "bike") {op} 1 -> YES\n'
        for i, op in enumerate(ir.COMPARE_OPS))
    assert (apply_rules(rules, df).L == ir.ABSTAIN).all()
    assert math.isnan(float("nan"))
