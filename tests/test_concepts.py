"""Concepts without quoted words: the reading names a word list, the pool's words fill it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explicate import explain
from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar.explanation import parse_explanation
from explicate.runtime.concepts import ConceptConfig, concept_names, fill_concepts, pool_words
from tests.explanation_cases import CONTEXT

# A stand-in for MiniLM: how near each word is to the concept word.
NEAR = {"marriage": {"marriage": 1.0, "married": 0.9, "wife": 0.8, "husband": 0.8,
                     "wedding": 0.7, "divorce": 0.66, "met": 0.3}}


def toy_similar(seed: str, words: list[str]) -> np.ndarray:
    return np.array([NEAR.get(seed, {}).get(w, 0.0) for w in words])


def no_encoder(seed: str, words: list[str]) -> np.ndarray:
    raise ExplicateError([Diagnostic("E604", "a `like` hole needs the MiniLM embeddings")])


POOL = pd.DataFrame({
    "sentence": ["Ann and her husband Bob", "Cid met Dee at work", "Eve married Fay",
                 "Gus and Hal went to the wedding", "Ivy met Jon", "Kim and Lou"],
    "person1": ["Ann", "Cid", "Eve", "Gus", "Ivy", "Kim"],
    "person2": ["Bob", "Dee", "Fay", "Hal", "Jon", "Lou"],
})


def test_concept_phrasings_name_a_word_list() -> None:
    for text, dsl in [
        ("no indication of marriage between them", "not any of @marriage between person1 and person2"),
        ("no words related to marriage appear", "not sentence contains any of @marriage"),
        ("they are married", "any of @married between person1 and person2"),
    ]:
        readings = parse_explanation(text, CONTEXT).readings
        from explicate import to_dsl
        assert dsl in [to_dsl(r.when) for r in readings], text
    conds = [r.when for r in parse_explanation("no indication of marriage between them",
                                                CONTEXT).readings]
    assert concept_names(conds, CONTEXT.word_lists) == ["marriage"]
    assert concept_names(conds, ["marriage"]) == []


def test_fill_keeps_pool_words_near_the_concept_in_order() -> None:
    filled, unfilled = fill_concepts(["marriage", "zebra"], POOL, ["sentence"],
                                     similar=toy_similar)
    assert filled["marriage"].words == ("married", "husband", "wedding")  # in the pool, >= 0.65
    assert "met" not in filled["marriage"].words  # too far
    assert not unfilled["zebra"].missing_extra and "E221" in unfilled["zebra"].message
    assert "and" not in pool_words(POOL, ["sentence"], ConceptConfig(max_df_frac=0.3))


def test_explain_shows_the_filled_list_as_dsl_and_filters_readings() -> None:
    df = POOL.iloc[[1, 2]].assign(label=["NO", "YES"], explanation=[
        "no indication of marriage between them", "there are words related to marriage"])
    result = explain(df, ["NO", "YES"], pool=POOL, similar=toy_similar)
    assert 'words marriage = "married", "husband", "wedding"' in result.dsl
    assert [lf.name for lf in result.lfs] == ["e1", "e2"]
    assert result.report["concepts"]["marriage"]["words"] == ["married", "husband", "wedding"]
    # The semantic filter judges the filled list: row 2 says "married", so "no indication" is
    # false there and is rejected.
    wrong = POOL.iloc[[2]].assign(label=["NO"], explanation=["there is no indication of marriage"])
    result = explain(wrong, ["NO", "YES"], pool=POOL, similar=toy_similar)
    assert result.lfs == []
    assert result.explained[0].rejections[0].reason.value == "semantic"


def test_without_embeddings_concept_readings_are_rejected_with_the_extra_named() -> None:
    df = POOL.iloc[[1]].assign(label=["NO"], explanation=["there is no indication of marriage"])
    result = explain(df, ["NO", "YES"], pool=POOL, similar=no_encoder)
    (rejection,) = result.explained[0].rejections
    assert rejection.reason.value == "needs_extra" and "explicate[encoder]" in rejection.message


@pytest.mark.parametrize("text", ["no indication of marriage between them"])
def test_concept_readings_print_back(text: str) -> None:
    from explicate import to_dsl
    from explicate.grammar.parse import parse_lf

    for r in parse_explanation(text, CONTEXT).readings:
        assert parse_lf(f"lf r: {to_dsl(r.when)} -> L").when == r.when
