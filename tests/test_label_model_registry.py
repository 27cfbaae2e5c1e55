"""The label-model seam: a method registered in one module runs through LabelModel and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from explicate.cli import app
from explicate.runtime.label_model import METHODS, LabelModel, method_names, synthetic_votes


@pytest.fixture(scope="module")
def toy() -> str:
    import tests.toy_label_model  # noqa: F401  (registers "toy")

    return "toy"


def test_builtin_methods_are_registered() -> None:
    assert set(method_names()) >= {
        "auto", "majority", "weighted_majority", "dawid_skene", "matrix_completion", "triplets"
    }
    assert tuple(METHODS) == method_names()


def test_registered_method_runs_through_label_model(toy: str, tmp_path: Path) -> None:
    assert toy in METHODS and toy in method_names()  # the listing reads the registry
    L, Y, acc, _ = synthetic_votes(20_000, 8, 3, seed=21)
    model = LabelModel(3, method=toy).fit(L)
    assert model.fit_info["toy"] is True and model.fit_info["method"] == "toy"
    assert model.accuracies is not None and np.abs(model.accuracies - acc).max() < 0.1
    probs = model.predict_proba(L)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    mv = LabelModel(3, "majority").fit(L).predict(L, tie_break="random")
    assert np.mean(probs.argmax(1) == Y) >= np.mean(mv == Y) - 0.01
    model.save(tmp_path / "toy.npz")
    back = LabelModel.load(tmp_path / "toy.npz")
    assert back.method == "toy"
    np.testing.assert_array_equal(back.predict_proba(L), probs)


def test_registered_method_runs_through_the_cli(toy: str, tmp_path: Path) -> None:
    L, Y, _, _ = synthetic_votes(5_000, 6, 2, seed=22)
    npz, out, gold = tmp_path / "L.npz", tmp_path / "probs.npy", tmp_path / "y.npy"
    np.savez(npz, L=L, lf_names=np.array([f"lf_{j}" for j in range(6)]))
    np.save(gold, Y)
    runner = CliRunner()
    res = runner.invoke(app, ["fit", str(npz), "--method", toy, "-o", str(out), "--gold", str(gold)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    mv = LabelModel(2, "majority").fit(L).predict(L, tie_break="random")
    assert report["method"] == "toy"
    assert report["metrics"]["accuracy"] >= float(np.mean(mv == Y)) - 0.01
    assert np.load(out).shape == (5_000, 2)
    bad = runner.invoke(app, ["fit", str(npz), "--method", "tyo", "-o", str(out)])
    assert bad.exit_code == 2 and "E401" in bad.stderr
    assert "did you mean 'toy'" in bad.stderr and "weighted_majority" in bad.stderr
