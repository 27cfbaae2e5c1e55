"""Correctness by construction: compiled kernels == the per-example reference interpreter."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explicate import ir
from explicate.compiler import compile_rules, normalize
from explicate.compiler.reference import apply_reference
from explicate.grammar import parse, to_dsl
from explicate.primitives import registry
from explicate.runtime.data import infer_schema
from explicate.runtime.entities import use_recognizer
from explicate.runtime.features import build_batch, tokenize

from .strategies import cases, conditions, field_choices, predicates, primitive_of, text_primitives
from .toy_recognizer import toy_entities

HEADER = "labels: NO, YES\nspans: person1, person2 in sentence\n"
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _frame(examples: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(examples, columns=["sentence", "person1", "person2", "text", "score"])
    df["score"] = df["score"].astype(float)
    return df


def compiled_and_reference(conds: list[ir.Expr], examples: list[dict[str, object]]
                           ) -> tuple[np.ndarray, np.ndarray]:
    text = HEADER + "".join(f"lf f{i}: {to_dsl(c)} -> YES\n" for i, c in enumerate(conds))
    rules = parse(text)
    df = _frame(examples)
    schema = infer_schema(df, {"person1": "sentence", "person2": "sentence"})
    program = compile_rules(rules, schema)
    with use_recognizer("toy"):  # entity types: the toy recognizer, on both sides
        fast = program.apply(build_batch(df, program, schema))
    records = [{k: (None if isinstance(v, float) and math.isnan(v) and k != "score" else v)
                for k, v in r.items()} for r in df.to_dict("records")]
    slow = np.array(apply_reference(program, records, tokenize, program.spans, toy_entities),
                    dtype=np.int8)
    return fast, slow.reshape(fast.shape)


@pytest.mark.parametrize("name", sorted(r.name for r in text_primitives()))
def test_compiled_matches_reference_for_each_primitive(name: str) -> None:
    reg = registry.REGISTRY[name]

    def make(vocab: list[str]) -> st.SearchStrategy[list[ir.Expr]]:
        strategy = primitive_of(reg, vocab)
        if reg.rule == "value":
            strategy = st.builds(ir.Compare, st.sampled_from(ir.COMPARE_OPS), strategy,
                                 st.integers(0, 6).map(lambda v: ir.Num(float(v))))
        return st.lists(strategy, min_size=1, max_size=4)

    @SETTINGS
    @given(cases(make))
    def check(case: tuple[list[ir.Expr], list[dict[str, object]]]) -> None:
        conds, examples = case
        fast, slow = compiled_and_reference(conds, examples)
        assert (fast == slow).all(), (to_dsl(conds[0]), examples)

    check()


@SETTINGS
@given(cases(lambda vocab: st.lists(conditions(vocab), min_size=1, max_size=4)))
def test_compiled_matches_reference_for_boolean_combinations(
    case: tuple[list[ir.Expr], list[dict[str, object]]],
) -> None:
    conds, examples = case
    fast, slow = compiled_and_reference(conds, examples)
    assert (fast == slow).all()


@SETTINGS
@given(cases(conditions))
def test_normalize_is_idempotent_and_keeps_meaning(
    case: tuple[ir.Expr, list[dict[str, object]]],
) -> None:
    cond, examples = case
    once = normalize(cond)
    assert normalize(once) == once
    fast, _ = compiled_and_reference([cond, once], examples)
    assert (fast[:, 0] == fast[:, 1]).all()


@SETTINGS
@given(predicates())
def test_every_predicate_round_trips_through_dsl(pred: ir.Expr) -> None:
    lf = ir.LF("f", ir.Label("YES"), pred)
    assert parse(to_dsl(lf)).statements[0] == lf


@dataclass(frozen=True, slots=True)
class _ToyOnBody(ir.Primitive):
    """A primitive whose operand is called `body`: strategies must pick it by type, not name."""

    body: ir.Expr
    words: ir.Expr

    def check(self, env: registry.CheckEnv) -> ir.Type:
        env.expect(self.body, ir.Type.SPAN, "what the toy reads")
        return ir.Type.BOOL


def test_strategies_choose_operands_by_type_not_by_name() -> None:
    toy = registry.Registered(_ToyOnBody, "toy_on_body", "predicate",
                              (registry.Alt("{body:value} toys {words:words}"),))
    choices = field_choices(toy, toy.alts[0])
    assert {fields[0].name for fields in choices} == {"person1", "person2"}  # the mentions
    drawn = primitive_of(toy).example()
    assert isinstance(drawn, _ToyOnBody) and drawn.body.name in ("person1", "person2")
