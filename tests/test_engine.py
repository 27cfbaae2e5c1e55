"""Partitioned apply / fit / predict: whatever the partitioning and the engine, L, the summed
VoteStats, the fitted parameters and the probabilities equal a serial run over the whole data,
in input order; problems come back with shard and row numbers."""

from __future__ import annotations

import importlib.util
import json
import operator
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explicate.errors import ExplicateError
from explicate.runtime.apply import apply_program, compile_for, load_rules
from explicate.runtime.engine import (
    apply_shards,
    engine_names,
    find_shards,
    fit_shards,
    make_engine,
    read_blocks,
    read_manifest,
    read_stats,
    tree_reduce,
)
from explicate.runtime.label_model import LabelModel, VoteStats

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask[distributed] is not installed "
                                "(pip install 'explicate[dask]')")

RULES = """labels: HAM, SPAM
lf free:   text contains "free" -> SPAM
lf win:    "win" followed by "prize" within 2 words in text -> SPAM
lf thanks: text contains any of ("thanks", "thank you") -> HAM
lf many:   n > 3 -> SPAM
lf few:    n < 1 -> HAM
lf love:   text contains "love" and not text contains "free" -> HAM
"""
WORDS = ["free", "win", "a", "prize", "thanks", "thank", "you", "love", "call", "now", "ok"]
N = 150


def corpus(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 8)))) for _ in range(n)]
    nums = rng.integers(0, 6, size=n).astype(float)
    nums[rng.random(n) < 0.05] = np.nan  # missing numbers: row problems for `many`, `few`
    return pd.DataFrame({"text": texts, "n": nums})


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("engine")
    rules = root / "rules.lf"
    rules.write_text(RULES)
    df = corpus()
    program, schema = compile_for(load_rules(rules), df)
    assert schema is not None
    applied = apply_program(program, df, schema, progress=False)
    return {"root": root, "rules": rules, "df": df, "L": applied.L,
            "problems": applied.problems, "stats": VoteStats.from_matrix(applied.L, 2)}


def write_shards(df: pd.DataFrame, cuts: list[int], where: Path, suffix: str = ".parquet"
                 ) -> None:
    where.mkdir(parents=True, exist_ok=True)
    bounds = [0, *cuts, len(df)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        part = df.iloc[a:b].reset_index(drop=True)
        path = where / f"shard-{i}{suffix}"
        if suffix == ".parquet":
            part.to_parquet(path)
        elif suffix == ".jsonl":
            part.to_json(path, orient="records", lines=True)
        else:
            part.to_csv(path, index=False)


@pytest.fixture(scope="module")
def engines() -> dict[str, object]:
    made: dict[str, object] = {"serial": make_engine("serial"),
                               "threads": make_engine("threads", 2)}
    if HAS_DASK:
        from explicate.runtime.engine.dask_engine import DaskEngine

        made["dask"] = DaskEngine(2, processes=False)
    yield made
    for e in made.values():
        e.close()  # type: ignore[attr-defined]


def cuts_for(parts: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, N - 1), min_size=parts - 1, max_size=parts - 1,
                    unique=True).map(sorted)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), parts=st.sampled_from([1, 2, 8, 64]))
def test_every_partitioning_and_engine_matches_serial(setup, engines, tmp_path_factory, data,
                                                      parts) -> None:
    cuts = data.draw(cuts_for(parts))
    where = tmp_path_factory.mktemp("shards")
    write_shards(setup["df"], cuts, where)
    expected_model = LabelModel(2, method="dawid_skene").fit(setup["stats"])
    for name, engine in engines.items():
        out = where / f"L-{name}"
        run = apply_shards(setup["rules"], where, out, engine=engine)
        assert len(run.manifest["shards"]) == parts
        assert np.array_equal(read_blocks(out), setup["L"]), name  # same rows, same order
        assert run.stats == setup["stats"] and read_stats(out) == setup["stats"], name
        offsets = [s["offset"] for s in run.manifest["shards"]]
        assert offsets == [0, *cuts]
        rep = fit_shards(out, where / f"P-{name}", method="dawid_skene", engine=engine)
        model = LabelModel.load(where / f"P-{name}" / "label_model.npz")
        assert np.array_equal(model.accuracies, expected_model.accuracies), name
        assert np.array_equal(model.class_balance, expected_model.class_balance), name
        probs = read_blocks(where / f"P-{name}", fmt="explicate.shard_probs/1")
        assert np.array_equal(probs, expected_model.predict_proba(setup["L"])), name
        assert rep["n"] == N


def test_problems_come_back_with_shard_and_global_rows(setup, tmp_path) -> None:
    cuts = [40, 90]
    write_shards(setup["df"], cuts, tmp_path / "s")
    run = apply_shards(setup["rules"], tmp_path / "s", tmp_path / "L", engine="threads",
                       workers=2)
    lines = [json.loads(x) for x in (tmp_path / "L" / "problems.jsonl").read_text().splitlines()]
    got = sorted((p["global_row"], p["field"], p["problem"]) for p in lines)
    want = sorted((p.row, p.field, p.problem) for p in setup["problems"])
    assert got == want and got  # every row problem, none dropped
    for p in lines:
        assert p["row"] == p["global_row"] - [0, *cuts][p["shard"]]
    assert sum(s["problems"] for s in run.manifest["shards"]) == len(want)


def test_mixed_formats_and_natural_order(setup, tmp_path) -> None:
    df = setup["df"]
    where = tmp_path / "s"
    where.mkdir()
    df.iloc[:50].to_json(where / "part-2.jsonl", orient="records", lines=True)
    df.iloc[50:100].to_csv(where / "part-10.csv", index=False)
    df.iloc[100:].reset_index(drop=True).to_parquet(where / "part-11.parquet")
    assert [p.name for p in find_shards(where)] == ["part-2.jsonl", "part-10.csv",
                                                     "part-11.parquet"]
    apply_shards(setup["rules"], str(where / "part-*"), tmp_path / "L")
    assert np.array_equal(read_blocks(tmp_path / "L"), setup["L"])


def test_processes_engine_keeps_task_order() -> None:
    engine = make_engine("processes", 2)
    try:
        items = list(range(-20, 20))
        assert engine.map(operator.neg, items) == [-x for x in items]
        assert engine.map(int, ["10", "111", "1"], base=2) == [2, 7, 1]  # shared keywords
        firsts, total = engine.map_reduce(tuple, [(x, x * x) for x in items], operator.add)
        assert firsts == items and total == sum(x * x for x in items)
    finally:
        engine.close()


@needs_dask
def test_a_cluster_at_a_scheduler_address(setup, tmp_path) -> None:
    """A LocalCluster of two worker processes on loopback, joined by its address (what
    ``--scheduler tcp://...`` does): same L, statistics and probabilities as serial."""
    from distributed import LocalCluster

    write_shards(setup["df"], [10, 75, 120], tmp_path / "s")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    with cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        run = apply_shards(setup["rules"], tmp_path / "s", tmp_path / "L", engine="dask",
                           scheduler=address)
        fit_shards(tmp_path / "L", tmp_path / "P", method="majority", engine="dask",
                   scheduler=address)
    assert run.manifest["engine"] == "dask"
    assert np.array_equal(read_blocks(tmp_path / "L"), setup["L"])
    assert run.stats == setup["stats"]
    model = LabelModel(2, method="majority").fit(setup["stats"])
    probs = read_blocks(tmp_path / "P", fmt="explicate.shard_probs/1")
    assert np.array_equal(probs, model.predict_proba(setup["L"]))


@needs_dask
def test_bad_scheduler_address_is_coded() -> None:
    with pytest.raises(ExplicateError) as exc:
        make_engine("dask", scheduler="nonsense://nowhere")
    assert exc.value.diagnostics[0].code == "E805"
    with pytest.raises(ExplicateError) as exc:
        make_engine("dask", workers=2, scheduler="tcp://127.0.0.1:1")
    assert exc.value.diagnostics[0].code == "E802"


def test_errors_are_coded(setup, tmp_path) -> None:
    with pytest.raises(ExplicateError) as exc:
        find_shards(tmp_path / "nothing-*.parquet")
    assert exc.value.diagnostics[0].code == "E801"
    with pytest.raises(ExplicateError) as exc:
        make_engine("spark")
    assert exc.value.diagnostics[0].code == "E802"
    assert "serial" in str(exc.value) and set(engine_names()) >= {"serial", "threads", "dask"}
    write_shards(setup["df"], [60], tmp_path / "s")
    setup["df"][["text"]].iloc[:5].to_parquet(tmp_path / "s" / "shard-2.parquet")
    with pytest.raises(ExplicateError) as exc:
        apply_shards(setup["rules"], tmp_path / "s", tmp_path / "L")
    d = exc.value.diagnostics
    assert [x.code for x in d] == ["E803"] and "shard-2.parquet" in d[0].message
    assert not (tmp_path / "L" / "manifest.json").exists()
    with pytest.raises(ExplicateError) as exc:
        fit_shards(tmp_path / "L", tmp_path / "P")
    assert exc.value.diagnostics[0].code == "E804"


def test_a_changed_block_is_caught(setup, tmp_path) -> None:
    write_shards(setup["df"], [60], tmp_path / "s")
    apply_shards(setup["rules"], tmp_path / "s", tmp_path / "L")
    part = tmp_path / "L" / read_manifest(tmp_path / "L")["shards"][1]["file"]
    block = np.load(part)
    block[0, 0] = 1 - block[0, 0] if block[0, 0] >= 0 else 0
    np.save(part, block)
    with pytest.raises(ExplicateError) as exc:
        fit_shards(tmp_path / "L", tmp_path / "P")
    assert exc.value.diagnostics[0].code == "E804" and part.name in str(exc.value)


def test_tree_reduce_keeps_order() -> None:
    words = [str(i) for i in range(11)]
    assert tree_reduce(words, lambda a, b: a + b) == "".join(words)
    with pytest.raises(ValueError):
        tree_reduce([], lambda a, b: a)


def test_cli_apply_and_fit_on_shards(setup, tmp_path) -> None:
    from typer.testing import CliRunner

    from explicate.cli import app

    runner = CliRunner()
    write_shards(setup["df"], [50, 51, 120], tmp_path / "s")
    res = runner.invoke(app, ["apply", str(setup["rules"]), "--data",
                              str(tmp_path / "s" / "*.parquet"), "--engine", "threads",
                              "--workers", "2", "-o", str(tmp_path / "L")])
    assert res.exit_code == 0, res.output
    assert "4 shard(s) on threads" in res.output and "row " in res.output  # problems shown
    assert np.array_equal(read_blocks(tmp_path / "L"), setup["L"])
    res = runner.invoke(app, ["fit", str(tmp_path / "L"), "-o", str(tmp_path / "P"),
                              "--method", "majority"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n"] == N and report["shards"] == 4 and report["fit_seconds"] < 5
    probs = read_blocks(tmp_path / "P", fmt="explicate.shard_probs/1")
    model = LabelModel(2, method="majority").fit(setup["stats"])
    assert np.array_equal(probs, model.predict_proba(setup["L"]))
    # user mistakes: coded, exit 2, no traceback
    for args, code in [
        (["apply", str(setup["rules"]), "--data", str(tmp_path / "none-*.csv"), "-o",
          str(tmp_path / "X")], "E801"),
        (["apply", str(setup["rules"]), "--data", str(tmp_path / "s"), "--engine", "spark",
          "-o", str(tmp_path / "X")], "E802"),
        (["apply", str(setup["rules"]), "--data", str(tmp_path / "s"), "-o",
          str(tmp_path / "X.npz")], "E605"),
        (["fit", str(tmp_path / "s"), "-o", str(tmp_path / "Q")], "E804"),
    ]:
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and f"[{code}]" in res.output, (args, res.output)
        assert "Traceback" not in res.output


def _pipeline(tmp_path: Path, engine: str) -> Path:
    df = corpus(60)
    df["label"] = np.where(df["text"].str.contains("free"), "SPAM", "HAM")
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "r.lf").write_text(RULES)
    (tmp_path / "p.toml").write_text(
        '[data]\ntrain = "d.csv"\nlabel_column = "label"\n[rules]\nfiles = ["r.lf"]\n'
        f'[end_model]\nepochs = 1\ngold_upper_bound = false\n{engine}\n[output]\ndir = "out"\n')
    return tmp_path / "p.toml"


def test_pipeline_engine_section(tmp_path) -> None:
    from explicate.runtime.matrix import LabelMatrix
    from explicate.runtime.pipeline import load_config, run_pipeline
    from explicate.runtime.pipeline.config import check_choices

    run_pipeline(_pipeline(tmp_path, '[engine]\nkind = "threads"\nworkers = 2'))
    got = LabelMatrix.load(tmp_path / "out" / "L.npz").L
    df = pd.read_csv(tmp_path / "d.csv").drop(columns=["label"])
    program, schema = compile_for(load_rules(tmp_path / "r.lf"), df)
    assert np.array_equal(got, apply_program(program, df, schema, progress=False).L)
    cfg = load_config(_pipeline(tmp_path, '[engine]\nkind = "sparkk"\nworkers = 0'))
    messages = [d.message for d in check_choices(cfg)]
    assert any("unknown engine 'sparkk'" in m for m in messages)
    assert any("workers must be at least 1" in m for m in messages)


def test_apply_frame_matches_apply_program(setup) -> None:
    from explicate.runtime.engine import apply_frame

    program, schema = compile_for(load_rules(setup["rules"]), setup["df"])
    for engine in (make_engine("serial"), make_engine("threads", 2)):
        applied = apply_frame(program, setup["df"], schema, engine, chunk_rows=17)
        engine.close()
        assert np.array_equal(applied.L, setup["L"]) and applied.problems == setup["problems"]


def test_an_empty_shard_keeps_its_place(setup, tmp_path) -> None:
    df = setup["df"]
    where = tmp_path / "s"
    where.mkdir()
    df.iloc[:70].to_parquet(where / "a.parquet")
    df.iloc[70:70].to_parquet(where / "b.parquet")
    df.iloc[70:].reset_index(drop=True).to_parquet(where / "c.parquet")
    run = apply_shards(setup["rules"], where, tmp_path / "L")
    assert [s["rows"] for s in run.manifest["shards"]] == [70, 0, N - 70]
    assert np.array_equal(read_blocks(tmp_path / "L"), setup["L"])
    fit_shards(tmp_path / "L", tmp_path / "P", method="majority")
    probs = read_blocks(tmp_path / "P", fmt="explicate.shard_probs/1")
    assert probs.shape == (N, 2)
