"""The `explicate` command: exit 0 on success, 2 with diagnostics (never a traceback) on mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from explicate.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def _data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    pd.DataFrame({"text": ["win a cash prize", "thats nice", None, "call me free"],
                  "score": [0.1, 0.95, 0.5, 0.2], "gold": ["SPAM", "HAM", "HAM", "SPAM"]}
                 ).to_csv(path, index=False)
    return path


def test_check_prints_canonical_dsl() -> None:
    result = runner.invoke(app, ["check", str(ROOT / "examples/spam/spam.lf")])
    assert result.exit_code == 0, result.output
    assert 'lf subscribe: text contains "subscribe" -> SPAM\n' in result.stdout
    assert result.stdout.startswith("labels: HAM, SPAM\n")


def test_check_broken_file_exits_2_with_all_diagnostics() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / "broken.lf"),
                                 "--data", str(FIXTURES / "broken_data.csv")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.count("error[") == 7 and "7 errors found" in result.stderr


def test_apply_writes_npz(tmp_path: Path) -> None:
    out = tmp_path / "L.npz"
    result = runner.invoke(app, ["apply", str(ROOT / "examples/spam/spam.lf"),
                                 "--data", str(_data(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert z["L"].dtype == np.int8 and z["L"].shape == (4, 11)
        assert list(z["lf_names"])[:2] == ["subscribe", "my_channel"]
    assert "row 3: field 'text' is missing" in result.stderr


def test_summary_json_with_gold(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summary", str(ROOT / "examples/spam/spam.lf"),
                                 "--data", str(_data(tmp_path)), "--gold", "gold", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {r["LF"]: r for r in data["lfs"]}
    assert by_name["moneywords"]["Coverage"] == 0.25 and by_name["moneywords"]["Correct"] == 1
    assert data["majority_vote"]["rows"] == 4


def test_summary_unknown_gold_values_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"text": ["a", "b"], "score": [1, 2], "y": [-1, 1]}).to_csv(path, index=False)
    spam = str(ROOT / "examples/spam/spam.lf")
    result = runner.invoke(app, ["summary", spam, "--data", str(path), "--gold", "y"])
    assert result.exit_code == 2 and "--gold-map" in result.stderr
    result = runner.invoke(app, ["summary", spam, "--data", str(path), "--gold", "y",
                                 "--gold-map", "-1=HAM,1=SPAM", "--json"])
    assert result.exit_code == 0, result.output


def test_missing_files_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["apply", str(tmp_path / "nope.lf"), "--data", "x.csv",
                                 "-o", str(tmp_path / "L.npz")])
    assert result.exit_code == 2 and "not found" in result.stderr


def test_fit_reads_apply_output(tmp_path: Path) -> None:
    out = tmp_path / "L.npz"
    assert runner.invoke(app, ["apply", str(ROOT / "examples/spam/spam.lf"), "--data",
                               str(_data(tmp_path)), "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["fit", str(out), "-o", str(tmp_path / "p.npy")])
    assert result.exit_code == 0, result.output
    probs = np.load(tmp_path / "p.npy")
    assert probs.shape == (4, 2) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert json.loads(result.stdout)["cardinality"] == 2


def test_check_without_data_imports_neither_spacy_nor_pandas_nor_torch() -> None:
    # What keeps `explicate check RULES` within its 1 s start-up (benchmarks/startup.py): the
    # rule side (runtime.rules) reads and compiles without the data side; phrases of plain words
    # are tokenized without spaCy. Checked on every example rule file, not on a timer.
    import subprocess
    import sys

    probe = ("import atexit, sys; atexit.register(lambda: sys.__stderr__.write('HEAVY=%s\\n' % "
             "sorted(m for m in ('spacy', 'pandas', 'torch') if m in sys.modules))); "
             "from explicate.cli import main; sys.argv[0] = 'explicate'; main()")
    for rules in ("examples/sms/sms.lf", "examples/spouse/spouse.lf", "explicate/demo/ads.lf"):
        res = subprocess.run([sys.executable, "-c", probe, "check", str(ROOT / rules)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert "ok:" in res.stderr and "HEAVY=[]" in res.stderr, (rules, res.stderr)
