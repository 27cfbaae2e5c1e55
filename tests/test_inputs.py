"""Issue 15: nothing a user types or feeds in crashes, hangs or is lost. One test per case the
issue lists (the fuzz suites are in test_fuzz.py, the bad-input corpus in test_bad_inputs.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explicate.cli import app
from explicate.errors import ExplicateError
from explicate.grammar.parse import parse, parse_partial
from explicate.runtime.apply import apply_rules
from explicate.runtime.data import normalization_note, normalize_text

runner = CliRunner()


def test_an_invisible_bom_no_longer_hides_the_last_word() -> None:
    df = pd.DataFrame({"text": ["check out my song\ufeff", "cafe\u0301 time", "plain"]})
    applied = apply_rules('labels: A, B\nlf s: text ends with "song" -> B\n'
                          'lf c: text contains "caf\u00e9" -> B\n', df)
    assert applied.L.tolist() == [[1, -1], [-1, 1], [-1, -1]]
    assert normalize_text("a\u200bb\ufeff") == "ab"
    note = normalization_note(df)
    assert note is not None and "2 row(s) of 'text'" in note


def test_normalization_is_reported_by_the_cli(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text\nmy song\ufeff\nother\n", encoding="utf-8")
    (tmp_path / "r.lf").write_text('labels: A, B\nlf s: text ends with "song" -> B\n')
    result = runner.invoke(app, ["apply", str(tmp_path / "r.lf"), "--data",
                                 str(tmp_path / "d.csv"), "-o", str(tmp_path / "L.npz")])
    assert result.exit_code == 0 and "1 row(s) of 'text'" in result.output
    assert "50.0% of rows covered" in result.output


@pytest.mark.parametrize("body", ["", "# only a comment\n", "labels: A, B\n"])
def test_a_rule_file_without_lfs_is_an_error(tmp_path: Path, body: str) -> None:
    (tmp_path / "r.lf").write_text(body)
    (tmp_path / "d.csv").write_text("text\na\n")
    for args in (["check", str(tmp_path / "r.lf")],
                 ["summary", str(tmp_path / "r.lf"), "--data", str(tmp_path / "d.csv")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "E107" in result.output, result.output


def test_a_non_utf8_rule_file_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "r.lf").write_bytes(b"labels: A, B\nlf a: text contains \"caf\xe9\" -> A\n")
    result = runner.invoke(app, ["check", str(tmp_path / "r.lf")])
    assert result.exit_code == 2 and "E209" in result.output
    assert "r.lf:2:25" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("condition", ["not " * 3000 + "true",
                                       "count(text) > " + "2 ^ " * 3000 + "2"])
def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(condition: str) -> None:
    _, problems = parse_partial(f"labels: A, B\nlf a: {condition} -> A\n")
    assert [d.code for d in problems] == ["E106"]


def test_deep_parentheses_parse() -> None:
    rules = parse("labels: A, B\nlf a: " + "(" * 2000 + "true" + ")" * 2000 + " -> A\n")
    assert len(rules.lfs) == 1


def test_an_infinite_number_is_refused() -> None:
    with pytest.raises(ExplicateError) as info:
        parse("labels: A, B\nlf a: count(text) > 1e999 -> A\n")
    assert [d.code for d in info.value.diagnostics] == ["E106"]


def test_200_labels_apply_from_the_cli(tmp_path: Path) -> None:
    labels = ", ".join(f"L{i}" for i in range(200))
    (tmp_path / "r.lf").write_text(f"labels: {labels}\nlf a: text contains \"x\" -> L150\n")
    (tmp_path / "d.csv").write_text("text\nx\ny\n")
    result = runner.invoke(app, ["apply", str(tmp_path / "r.lf"), "--data",
                                 str(tmp_path / "d.csv"), "-o", str(tmp_path / "L.npz")])
    assert result.exit_code == 0, result.output


def test_export_writes_rows_votes_and_probabilities(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text,label\nwin cash,SPAM\nhello,HAM\nsong cash,HAM\n")
    (tmp_path / "r.lf").write_text('labels: HAM, SPAM\nlf cash: text contains "cash" -> SPAM\n'
                                   'lf song: text contains "song" -> HAM\n')
    result = runner.invoke(app, ["export", str(tmp_path / "r.lf"), "--data",
                                 str(tmp_path / "d.csv"), "-o", str(tmp_path / "out.csv"),
                                 "--method", "majority"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert table["row"].tolist() == [1, 2, 3] and table["label"].tolist() == ["SPAM", "HAM", "HAM"]
    assert table["lf:cash"].tolist() == ["SPAM", "", "SPAM"]
    assert table["predicted"].tolist()[:2] == ["SPAM", ""]
    assert float(table["p:SPAM"][0]) > 0.5 and table["p:SPAM"][1] == ""
    bad = runner.invoke(app, ["export", str(tmp_path / "r.lf"), "--data",
                              str(tmp_path / "d.csv"), "-o", str(tmp_path / "out.txt")])
    assert bad.exit_code == 2 and "E605" in bad.output


def test_inspect_lists_votes_wrong_rows_and_conflicts(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text,label\nwin cash,SPAM\nhello,HAM\nsong cash,HAM\n")
    (tmp_path / "r.lf").write_text('labels: HAM, SPAM\nlf cash: text contains "cash" -> SPAM\n'
                                   'lf song: text contains "song" -> HAM\n')
    result = runner.invoke(app, ["inspect", str(tmp_path / "r.lf"), "cash", "--data",
                                 str(tmp_path / "d.csv"), "--gold", "label"])
    assert result.exit_code == 0, result.output
    assert "votes: 2 row(s)" in result.output and "wrong on gold: 1 row(s)" in result.output
    assert "conflicts with another LF: 1 row(s)" in result.output and "row 3: SPAM" in result.output
    bad = runner.invoke(app, ["inspect", str(tmp_path / "r.lf"), "csh", "--data",
                              str(tmp_path / "d.csv")])
    assert bad.exit_code == 2 and "did you mean 'cash'" in bad.output


def test_the_demo_never_overwrites_an_edited_file(tmp_path: Path) -> None:
    from explicate.demo import prepare_demo

    prepare_demo(tmp_path)
    rules = tmp_path / "jobs.lf"
    original = rules.read_text()
    rules.write_text(original + "\n# my edit\n")
    train = (tmp_path / "jobs_train.csv").read_bytes()
    kept: list[str] = []
    prepare_demo(tmp_path, kept)
    assert kept == ["jobs.lf"] and rules.read_text().endswith("# my edit\n")
    assert (tmp_path / "jobs_train.csv").read_bytes() == train
    assert not (tmp_path / ".demo-data").exists()


def test_a_wrench_json_with_a_list_column_runs_through_the_pipeline(tmp_path: Path) -> None:
    import json

    from explicate.runtime.pipeline import run_pipeline

    records = {str(i): {"label": i % 2, "weak_labels": [-1, i % 2],
                        "data": {"text": ("check my channel" if i % 2 else "nice song") + "\ufeff"}}
               for i in range(20)}
    (tmp_path / "train.json").write_text(json.dumps(records))
    (tmp_path / "r.lf").write_text('labels: HAM, SPAM\nlf c: text contains "channel" -> SPAM\n'
                                   'lf s: text ends with "song" -> HAM\n')
    (tmp_path / "p.toml").write_text('[data]\ntrain = "train.json"\ntest = "train.json"\n'
                                     'label_column = "label"\n[rules]\nfiles = ["r.lf"]\n'
                                     '[end_model]\nepochs = 1\n[output]\ndir = "out"\n')
    result = run_pipeline(tmp_path / "p.toml")
    assert result.metrics["majority_vote"]["test"]["accuracy"] == 1.0
