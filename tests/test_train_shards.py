"""The end model trained from shards in streamed windows (engine/train.py, end_model/streamed.py):
it agrees with in-memory training, does not depend on how the rows are split into shards,
reports bad shards with codes; and the workers that only apply rules never import torch."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explicate.errors import ExplicateError
from explicate.runtime.end_model import EndModel, TextSpec
from explicate.runtime.end_model.registry import Hyper
from explicate.runtime.engine import apply_shards, fit_shards, make_engine, read_blocks
from explicate.runtime.engine.train import M_FORMAT, MODEL, predict_shards, train_shards

P_FORMAT = "explicate.shard_probs/1"
RULES = """labels: HAM, SPAM
lf free:   text contains "free" -> SPAM
lf prize:  text contains "prize" -> SPAM
lf thanks: text contains any of ("thanks", "thank you") -> HAM
lf love:   text contains "love" -> HAM
"""
SPAM = ["free", "prize", "cash", "call", "now", "win", "claim", "offer"]
HAM = ["thanks", "love", "home", "dinner", "see", "you", "later", "ok"]
COMMON = [f"w{i}" for i in range(40)]
N = 1200
REPO = Path(__file__).resolve().parents[1]


def corpus(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Messages of common words plus words of their class (some the rules read, some not) and
    now and then one of the other class; ``label`` is the class."""
    rng = np.random.default_rng(seed)
    spam = rng.random(n) < 0.4
    texts = []
    for s in spam:
        own, other = (SPAM, HAM) if s else (HAM, SPAM)
        words = [*rng.choice(COMMON, size=int(rng.integers(3, 10))),
                 *rng.choice(own, size=int(rng.integers(1, 4)))]
        if rng.random() < 0.2:
            words.append(str(rng.choice(other)))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return pd.DataFrame({"text": texts, "label": spam.astype(np.int64)})


def write_shards(df: pd.DataFrame, cuts: list[int], where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    bounds = [0, *cuts, len(df)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        df.iloc[a:b].reset_index(drop=True).to_parquet(where / f"part-{i}.parquet")
    return where


def labeled(root: Path, df: pd.DataFrame, cuts: list[int]) -> Path:
    """Shards of ``df`` cut at ``cuts``, applied and fitted: the probabilities directory."""
    (root / "r.lf").write_text(RULES)
    write_shards(df, cuts, root / "s")
    apply_shards(root / "r.lf", root / "s", root / "L")
    fit_shards(root / "L", root / "P", method="dawid_skene")
    return root / "P"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return corpus()


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, data: pd.DataFrame) -> Path:
    return labeled(tmp_path_factory.mktemp("three"), data, [400, 401, 950])


def in_memory_minibatch(df: pd.DataFrame, probs: np.ndarray, covered: np.ndarray,
                        epochs: int, batch: int, seed: int = 0) -> EndModel:
    """The EndModel's own minibatch loop over all rows at once (what a GPU runs for ``linear``;
    on the CPU ``fit`` solves full-batch instead)."""
    model = EndModel(kind="linear", cardinality=2, spec=TextSpec(("text",)), device="cpu",
                     epochs=epochs, batch_size=batch, seed=seed, progress=False)
    assert model.lr is not None
    feats = model._features(df)
    net = model._kind.new_net(feats)
    rows = np.flatnonzero(covered)
    model._train(net, feats, probs, rows, Hyper(epochs, model.lr, batch, 0.0), None, None, None)
    model._net = net
    return model


def test_streamed_agrees_with_in_memory_training(three: Path, data: pd.DataFrame,
                                                 tmp_path: Path) -> None:
    report = train_shards(three, tmp_path / "M", epochs=3, batch_size=64, window_rows=300,
                          progress=False)
    streamed = read_blocks(tmp_path / "M", fmt=M_FORMAT)
    assert streamed.shape == (N, 2) and report["epochs"] == 3
    probs = read_blocks(three, fmt=P_FORMAT)
    covered = (read_blocks(three.parent / "L") != -1).any(axis=1)
    assert report["trained_rows"] == int(covered.sum()) < N  # uncovered rows left out
    text = data[["text"]]
    # The same loop on all rows in memory: only the shuffle differs, so streamed training is
    # as close to it as in-memory training with another seed is.
    mini, mini_b = (in_memory_minibatch(text, probs, covered, 3, 64, seed).predict_proba(text)
                    for seed in (0, 1))
    agree, agree_b = ((streamed.argmax(1) == mini.argmax(1)).mean(),
                      (mini_b.argmax(1) == mini.argmax(1)).mean())
    diff, diff_b = np.abs(streamed - mini).mean(), np.abs(mini_b - mini).mean()
    assert agree >= min(agree_b, 0.99) - 0.01 and agree >= 0.95, (agree, agree_b)
    assert diff <= 1.5 * diff_b + 0.005, (diff, diff_b)
    # The default in-memory fit (full-batch L-BFGS on the CPU): about as good on gold.
    full = EndModel(kind="linear", cardinality=2, spec=TextSpec(("text",)), device="cpu",
                    progress=False).fit(text, probs, covered=covered).predict_proba(text)
    gold = data["label"].to_numpy()
    acc_streamed = (streamed.argmax(1) == gold).mean()
    acc_full = (full.argmax(1) == gold).mean()
    assert acc_streamed >= acc_full - 0.03, (acc_streamed, acc_full)
    # The saved model predicts the same; predict_shards runs it over other shards.
    model = EndModel.load(tmp_path / "M" / MODEL)
    assert np.allclose(model.predict_proba(text), streamed, atol=1e-6)
    other = write_shards(corpus(90, seed=5), [30], tmp_path / "new")
    rep = predict_shards(tmp_path / "M", other, tmp_path / "Q")
    got = read_blocks(tmp_path / "Q", fmt=P_FORMAT)
    assert rep["rows"] == 90 and np.allclose(got, model.predict_proba(corpus(90, seed=5)),
                                             atol=1e-6)


def test_partitioning_does_not_change_the_model(three: Path, data: pd.DataFrame,
                                                tmp_path: Path) -> None:
    """Windows are cut at global row numbers: one shard or five, the same minibatches."""
    (tmp_path / "one").mkdir()
    (tmp_path / "five").mkdir()
    one = labeled(tmp_path / "one", data, [])
    five = labeled(tmp_path / "five", data, [1, 333, 334, 800])
    got = []
    for probs_dir in (three, one, five):
        out = probs_dir.parent / "M"
        train_shards(probs_dir, out, epochs=2, batch_size=32, window_rows=250, progress=False)
        got.append(read_blocks(out, fmt=M_FORMAT))
    for other in got[1:]:
        assert np.array_equal(got[0], other)  # same windows, same float operations


def test_bad_shards_are_coded(three: Path, data: pd.DataFrame, tmp_path: Path) -> None:
    def code(**kwargs: object) -> str:
        with pytest.raises(ExplicateError) as exc:
            train_shards(three, tmp_path / "M", epochs=1, progress=False, **kwargs)  # type: ignore[arg-type]
        return exc.value.diagnostics[0].code

    # A shard changed since apply: other rows than its probabilities.
    changed = write_shards(data, [400, 401, 950], tmp_path / "changed")
    data.iloc[:399].to_parquet(changed / "part-0.parquet")
    assert code(data=changed) == "E806"
    # Another number of shards than the probabilities'.
    assert code(data=write_shards(data, [600], tmp_path / "two")) == "E806"
    # A field the end model reads is not in the shards.
    assert code(text=["body"]) == "E807"
    # Not a probabilities directory.
    with pytest.raises(ExplicateError) as exc:
        train_shards(three.parent / "L", tmp_path / "M", progress=False)
    assert exc.value.diagnostics[0].code == "E804"
    # A probabilities block that is not the one the manifest lists.
    broken = tmp_path / "broken"
    broken.mkdir()
    labeled(broken, data, [600])
    np.save(broken / "P" / "part-00001.npy", np.zeros((3, 2), np.float32))
    with pytest.raises(ExplicateError) as exc:
        train_shards(broken / "P", tmp_path / "M", progress=False)
    assert exc.value.diagnostics[0].code == "E804" and "part-00001" in str(exc.value)


def test_cli_train(three: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from explicate.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["train", str(three), "-o", str(tmp_path / "M"), "--epochs", "1"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["rows"] == N and report["shards"] == 4 and report["text"] == ["text"]
    manifest = json.loads((tmp_path / "M" / "manifest.json").read_text())
    assert [s["offset"] for s in manifest["shards"]] == [0, 400, 401, 950]
    for args, want in [(["-o", str(tmp_path / "m.pt")], "E605"),
                       (["-o", str(tmp_path / "X"), "--end-model", "nope"], "E605"),
                       (["-o", str(tmp_path / "X"), "--text", "body"], "E807")]:
        res = runner.invoke(app, ["train", str(three), *args])
        assert res.exit_code == 2 and f"[{want}]" in res.output, (args, res.output)
        assert "Traceback" not in res.output


def test_importing_the_engine_does_not_import_torch() -> None:
    """With spaCy loaded without torch (what the command and the engine's workers do), the
    engine's modules and the vote statistics import no torch."""
    code = ("import sys; from explicate.runtime.device import keep_torch_out_of_spacy; "
            "keep_torch_out_of_spacy(); import explicate.runtime.engine, "
            "explicate.runtime.engine.shards, explicate.runtime.engine.processes; "
            "from explicate.runtime.label_model import VoteStats; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_process_worker_applies_rules_without_torch(tmp_path: Path, data: pd.DataFrame
                                                      ) -> None:
    (tmp_path / "r.lf").write_text(RULES)
    write_shards(data, [500], tmp_path / "s")
    engine = make_engine("processes", 1)
    try:
        apply_shards(tmp_path / "r.lf", tmp_path / "s", tmp_path / "L", engine=engine)
        # eval: a builtin, so the spawned worker can unpickle it without this test module
        assert engine.map(eval, ["'torch' in __import__('sys').modules"]) == [False]
    finally:
        engine.close()


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="dask[distributed] is not installed")
def test_a_local_cluster_worker_applies_rules_without_torch(tmp_path: Path,
                                                            data: pd.DataFrame) -> None:
    from explicate.runtime.engine.dask_engine import DaskEngine

    (tmp_path / "r.lf").write_text(RULES)
    write_shards(data, [500], tmp_path / "s")
    engine = DaskEngine(1)
    try:
        apply_shards(tmp_path / "r.lf", tmp_path / "s", tmp_path / "L", engine=engine)
        assert engine.map(eval, ["'torch' in __import__('sys').modules"]) == [False]
    finally:
        engine.close()


def test_streamed_weights_are_the_tail_average_and_closer_to_the_optimum(
        three: Path, data: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The returned weights average the iterates of the last epochs (end_model/streamed.py):
    they lie nearer the full-batch optimum than the last iterate does."""
    from explicate.runtime.end_model import streamed

    assert [streamed.averaged_epochs(e) for e in (1, 2, 3, 4)] == [0, 1, 1, 2]
    text = data[["text"]]
    probs = read_blocks(three, fmt=P_FORMAT)
    covered = (read_blocks(three.parent / "L") != -1).any(axis=1)
    full = EndModel(kind="linear", cardinality=2, spec=TextSpec(("text",)), device="cpu",
                    progress=False).fit(text, probs, covered=covered).predict_proba(text)

    def streamed_probs(out: Path) -> np.ndarray:
        report = train_shards(three, out, epochs=4, batch_size=32, window_rows=300,
                              progress=False)
        assert report["epochs"] == 4
        return read_blocks(out, fmt=M_FORMAT)

    averaged = streamed_probs(tmp_path / "avg")
    monkeypatch.setattr(streamed, "averaged_epochs", lambda epochs: 0)
    last = streamed_probs(tmp_path / "last")
    assert not np.allclose(averaged, last)
    gap_avg, gap_last = (np.abs(p - full)[covered].mean() for p in (averaged, last))
    assert gap_avg < gap_last, (gap_avg, gap_last)
