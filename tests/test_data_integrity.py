"""Issue 16: no row shifts, vanishes or goes unreported; caches and outputs never corrupt; every
value checked. One test (or more) per numbered case of the issue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explicate.cli import app
from explicate.compiler import compile_rules
from explicate.errors import ExplicateError
from explicate.grammar import to_dsl
from explicate.grammar.parse import parse, parse_partial
from explicate.runtime.apply import apply_file, apply_rules
from explicate.runtime.data import read_problems, read_table
from explicate.runtime.label_model import LabelModel
from explicate.runtime.pipeline import artifacts, load_config, run_pipeline
from explicate.runtime.pipeline import rules as pipeline_rules

runner = CliRunner()
SPAM = "labels: HAM, SPAM\nlf cash: text contains \"cash\" -> SPAM\n"


def _codes(exc: pytest.ExceptionInfo[ExplicateError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


# 1. -------------------------------------------------------------- silent column shift (CSV/TSV)
def test_trailing_delimiter_does_not_shift_columns(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text,label\nwin cash now,SPAM,\nhello there,HAM,\n")
    (tmp_path / "r.lf").write_text(SPAM)
    df = read_table(tmp_path / "d.csv")
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == ["win cash now", "hello there"]
    applied = apply_file(tmp_path / "r.lf", tmp_path / "d.csv")
    assert applied.L[:, 0].tolist() == [1, -1]


def test_columns_naming_fewer_or_more_than_the_file_has_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "d.tsv").write_text("Ann met Bo\tAnn\tBo\t1\nCy saw Di\tCy\tDi\t-1\n")
    for names in (["sentence", "person1", "person2"], ["a", "b", "c", "d", "e"]):
        with pytest.raises(ExplicateError) as info:
            read_table(tmp_path / "d.tsv", names)
        assert _codes(info) == ["E403"] and "4 fields per row" in str(info.value)
    df = read_table(tmp_path / "d.tsv", ["sentence", "person1", "person2", "label"])
    assert df["sentence"].tolist() == ["Ann met Bo", "Cy saw Di"]


def test_a_row_with_another_field_count_is_reported_by_number_and_kept(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text('text,label\na cash,HAM\nb,HAM,extra\n"unclosed,HAM\n'
                                    "cash c,SPAM\n")
    df = read_table(tmp_path / "d.csv")
    assert len(df) == 4 and df["text"].tolist()[3] == "cash c"  # the rest of the file is read
    problems = read_problems(df)
    assert [p.row for p in problems] == [2, 3]
    assert "3 field(s)" in problems[0].problem and "unclosed quote" in problems[1].problem
    (tmp_path / "r.lf").write_text(SPAM)
    result = runner.invoke(app, ["apply", str(tmp_path / "r.lf"), "--data",
                                 str(tmp_path / "d.csv"), "-o", str(tmp_path / "L.npz")])
    assert result.exit_code == 0
    assert "row 2: has 3 field(s)" in result.output and "row 3: an unclosed quote" in result.output
    assert np.load(tmp_path / "L.npz")["L"][:, 0].tolist() == [1, -1, -1, 1]


# 2. ------------------------------------------------------------------------------ rows dropped
def test_blank_lines_in_a_one_column_file_are_rows(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text\nwin cash\n\nhello\n\ncash again\n")
    df = read_table(tmp_path / "d.csv")
    assert len(df) == 5
    (tmp_path / "r.lf").write_text(SPAM)
    applied = apply_file(tmp_path / "r.lf", tmp_path / "d.csv")
    assert applied.L[:, 0].tolist() == [1, -1, -1, -1, 1]
    assert [p.row for p in applied.problems] == [2, 4]  # the empty documents, reported


def test_jsonl_bad_lines_are_rows_reported_by_number(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "cash"}\n\n{"text": "x"}\n[1, 2]\n')
    df = read_table(tmp_path / "d.jsonl")
    assert len(df) == 4 and [p.row for p in read_problems(df)] == [2, 4]


@pytest.mark.parametrize("name, text", [
    ("d.jsonl", '{"text": "call \\ud800 now"}\n{"text": "smile \\ud83d\\ude00 call"}\n'),
    ("d.json", '[{"text": "call \\ud800 now"}, {"text": "smile \\ud83d\\ude00 call"}]'),
])
def test_a_lone_surrogate_escape_is_reported_by_row_and_the_row_is_read(
        tmp_path: Path, name: str, text: str) -> None:
    # Half a UTF-16 pair has no UTF-8 form: it used to reject the whole file (E401).
    (tmp_path / name).write_text(text)
    df = read_table(tmp_path / name)
    problems = read_problems(df)
    assert [p.row for p in problems] == [1] and "surrogate" in problems[0].problem
    assert list(df["text"]) == ["call \ufffd now", "smile \U0001f600 call"]  # a whole pair is kept
    applied = apply_rules('labels: A, B\nlf c: text contains "call" -> B\n', df)
    assert applied.L[:, 0].tolist() == [1, 1]


# 3. ----------------------------------------------------------------------- row problems capped
def test_every_row_problem_is_counted(tmp_path: Path) -> None:
    score = pd.array([None] * 2728 + [0.5] * 272, dtype="Float64")
    df = pd.DataFrame({"text": ["x"] * 3000, "score": score})
    applied = apply_rules("labels: A, B\nlf s: score > 0.1 -> B\n", df)
    assert len(applied.problems) == 2728
    assert applied.problems[-1].row == 2728


# 4. --------------------------------------------------------------------------- English numbers
def test_decimal_and_huge_numbers_in_explanations_do_not_crash(tmp_path: Path) -> None:
    from explicate.runtime.explain import explain

    ex = pd.DataFrame({"label": ["SPOUSE"] * 3, "sentence": ["John and his wife Mary"] * 3,
                       "person1": ["John"] * 3, "person2": ["Mary"] * 3,
                       "explanation": ["person1 and person2 are within 3.7 words",
                                       "the word 'wife' is within 2.5 words of person2",
                                       "person1 and person2 are within " + "9" * 4300 + " words"]})
    result = explain(ex, ["NOT_SPOUSE", "SPOUSE"])
    assert len(result.explained) == 3


def test_a_4300_digit_count_in_the_dsl_is_a_diagnostic() -> None:
    text = "labels: A, B\nlf x: count(text) > 1 and \"a\" within " + "9" * 4400 + \
        " words left of m -> A\n"
    _, problems = parse_partial(text)
    assert [d.code for d in problems] == ["E106"]


# 5. ------------------------------------------------------------------------ DSL string escapes
@pytest.mark.parametrize("literal,col", [(r'"\x"', 22), (r'"\N{DASH}"', 22), (r'"\u12"', 22),
                                         (r'"a\qb"', 23)])
def test_unknown_escapes_are_reported_with_a_caret(literal: str, col: int) -> None:
    with pytest.raises(ExplicateError) as info:
        parse(f"lf a: text contains {literal} -> S", "x.lf")
    assert _codes(info) == ["E104"]
    assert f"x.lf:1:{col}" in str(info.value) and "^^" in str(info.value)


def test_a_windows_path_in_a_word_list_is_reported_not_a_traceback() -> None:
    with pytest.raises(ExplicateError) as info:
        parse(r'words w from "C:\Users\me\words.txt"', "x.lf")
    assert _codes(info) == ["E104"] and "forward slashes" not in str(info.value)
    assert "C:/Users/me.txt" in str(info.value)


def test_the_dsl_escapes_round_trip() -> None:
    rules = parse('labels: A, B\nlf a: text contains "tab\\there \\"q\\" \\\\ \\u00e9" -> A\n')
    phrase = rules.lfs[0].when.words  # type: ignore[attr-defined]
    assert phrase.text == 'tab\there "q" \\ é'
    assert parse(to_dsl(rules)) == rules or to_dsl(parse(to_dsl(rules))) == to_dsl(rules)
    assert parse("lf a: text contains 'it\\'s' -> A").lfs[0].when.words.text == "it's"  # type: ignore[attr-defined]


# 6. ----------------------------------------------------------------------- exponential lets
def _chain(n: int) -> str:
    lines = ["labels: A, B", "let v0 = count(text)"]
    lines += [f"let v{i} = v{i - 1} + v{i - 1}" for i in range(1, n)]
    return "\n".join([*lines, f"lf x: v{n - 1} >= {2 ** (n - 1)} -> A"])


def test_chained_lets_share_their_definitions() -> None:
    df = pd.DataFrame({"text": ["one", "one two", ""]})
    applied = apply_rules(_chain(10), df)  # v9 = 512 * count(text)
    assert applied.L[:, 0].tolist() == [0, 0, -1]


def test_lets_that_expand_past_the_limit_are_refused_quickly() -> None:
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse(_chain(24)))
    assert _codes(info) == ["E106"] and "'let'" in str(info.value)


# 7. --------------------------------------------------------------------- more than 127 labels
def test_l_widens_to_int16_beyond_127_labels(tmp_path: Path) -> None:
    labels = [f"L{i}" for i in range(200)]
    text = "labels: " + ", ".join(labels) + "\nlf last: text contains \"x\" -> L199\n"
    applied = apply_rules(text, pd.DataFrame({"text": ["x", "y"]}))
    assert applied.L.dtype == np.int16 and applied.L[:, 0].tolist() == [199, -1]
    applied.matrix.save(tmp_path / "L.npz")
    from explicate.runtime.matrix import LabelMatrix

    assert LabelMatrix.load(tmp_path / "L.npz").L[:, 0].tolist() == [199, -1]


def test_more_labels_than_int16_holds_are_refused(monkeypatch) -> None:
    from explicate import ir

    monkeypatch.setattr(ir, "MAX_LABELS", 300)  # the real limit is 32,767 (slow to parse)
    text = "labels: " + ", ".join(f"L{i}" for i in range(301)) + "\nlf a: true -> L0\n"
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse(text))
    assert _codes(info) == ["E106"] and "more than 300" in str(info.value)


# 8. ------------------------------------------------------------- cache and outputs in place
def _small(tmp_path: Path, extra: str = "") -> Path:
    pd.DataFrame({"text": ["good day", "bad day", "good news", "sad news"] * 5,
                  "label": ["POS", "NEG", "POS", "NEG"] * 5}).to_csv(tmp_path / "d.csv",
                                                                        index=False)
    (tmp_path / "r.lf").write_text("labels: NEG, POS\nlf a: text contains \"good\" -> POS\n"
                                   "lf b: text contains \"bad\" -> NEG\n")
    (tmp_path / "p.toml").write_text(
        '[data]\ntrain = "d.csv"\ntest = "d.csv"\nlabel_column = "label"\n[rules]\n'
        f'files = ["r.lf"]\n[end_model]\nepochs = 2\n{extra}\n[output]\ndir = "out"\n')
    return tmp_path / "p.toml"


def test_a_corrupt_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    path = _small(tmp_path)
    run_pipeline(path)
    entries = list((tmp_path / "out" / "cache").glob("L-*.npz"))
    assert entries
    for e in entries:
        e.write_bytes(e.read_bytes()[:40])  # cut, as an interrupted write once left it
    result = run_pipeline(path)
    assert "end_model" in result.metrics
    for e in entries:
        with np.load(e) as z:
            assert z["L"].shape == (20, 2)


def test_an_interrupted_run_leaves_no_manifest_and_a_rerun_recovers(tmp_path: Path,
                                                                    monkeypatch) -> None:
    path = _small(tmp_path)
    run_pipeline(path)
    out = tmp_path / "out"
    assert artifacts.verify(out) == []
    manifest = json.loads((out / "run.json").read_text())
    assert {"L", "probs", "label_model", "end_model", "metrics", "report"} <= set(
        manifest["artifacts"])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LabelModel, "fit", interrupted)
    monkeypatch.setattr(LabelModel, "load", interrupted)  # (an unchanged re-run loads it)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(path)
    assert not (out / "run.json").exists()  # the folder says the run did not finish
    assert artifacts.verify(out) and not [p for p in out.iterdir() if ".tmp-" in p.name]
    monkeypatch.undo()
    run_pipeline(path)
    assert artifacts.verify(out) == []


def test_a_second_run_on_a_locked_output_folder_is_refused(tmp_path: Path) -> None:
    path = _small(tmp_path)
    with artifacts.locked(tmp_path / "out"), pytest.raises(ExplicateError) as info:
        run_pipeline(path)
    assert _codes(info) == ["E503"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    target.write_text("old")

    def half(tmp: Path) -> None:
        tmp.write_text("ne")
        raise OSError("disk full")

    with pytest.raises(OSError):
        artifacts.write_atomic(target, half)
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


# 9. ------------------------------------------------------------- pipeline values not checked
@pytest.mark.parametrize("setting,needle", [
    ("lr = nan", "lr must be"), ("lr = -1", "lr must be"), ("lr = inf", "lr must be"),
    ("weight_decay = nan", "weight_decay must be"), ("epochs = 0", "epochs must be"),
    ("batch_size = -3", "batch_size must be"), ('device = "gpu"', "device must be")])
def test_pipeline_values_are_checked_before_any_work(tmp_path: Path, monkeypatch, setting: str,
                                                     needle: str) -> None:
    monkeypatch.setattr(pipeline_rules, "apply_program", _no_work)
    path = _small(tmp_path, setting)
    if setting.startswith("epochs"):
        path.write_text(path.read_text().replace("epochs = 2\n", "", 1))
    with pytest.raises(ExplicateError) as info:
        load_config(path)
    assert _codes(info) == ["E501"] and needle in str(info.value)
    assert "p.toml:" in str(info.value)  # the TOML location


def test_cuda_on_a_cpu_only_torch_is_refused_before_work(tmp_path: Path, monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ExplicateError) as info:
        load_config(_small(tmp_path, 'device = "cuda"'))
    assert "no CUDA device" in str(info.value)


def test_class_balance_in_a_pipeline_file(tmp_path: Path, monkeypatch) -> None:
    path = _small(tmp_path)
    path.write_text(path.read_text().replace("[end_model]", "[label_model]\nclass_balance = "
                                             "[0.5, 0.5]\n[end_model]"))
    seen = {}
    fit = LabelModel.fit

    def spy(self, L, **kwargs):
        seen.update(kwargs)
        return fit(self, L, **kwargs)

    monkeypatch.setattr(LabelModel, "fit", spy)
    run_pipeline(path)
    assert seen["class_balance"] == (0.5, 0.5)
    path.write_text(path.read_text().replace("[0.5, 0.5]", "[0.2, 0.2]"))
    with pytest.raises(ExplicateError, match="summing to 1"):
        load_config(path)


def _no_work(*args, **kwargs):
    raise AssertionError("work started before the values were checked")


# 10. -------------------------------------------------------------------------- other tracebacks
def test_json_list_of_scalars_and_deep_json_are_data_errors(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('["a", "b"]')
    with pytest.raises(ExplicateError) as info:
        read_table(tmp_path / "s.json")
    assert _codes(info) == ["E401"]
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ExplicateError) as info:
        read_table(tmp_path / "deep.json")
    assert _codes(info) == ["E401"]


def test_fit_on_a_truncated_npz_and_fit_output_name(tmp_path: Path) -> None:
    L = np.array([[0, 1], [1, 1], [-1, 0]], dtype=np.int8)
    np.savez(tmp_path / "L.npz", L=L, lf_names=np.array(["a", "b"]))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "L.npz").read_bytes()[:50])
    result = runner.invoke(app, ["fit", str(tmp_path / "cut.npz"), "-o", str(tmp_path / "p")])
    assert result.exit_code == 2 and "E602" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["fit", str(tmp_path / "L.npz"), "-o", str(tmp_path / "probs"),
                                 "--method", "majority"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "probs.npy").is_file() and "probs.npy" in result.output


@pytest.mark.parametrize("args,needle", [(["--label-map", "1SPOUSE"], "not VALUE=LABEL"),
                                         (["--keep", "first"], "--keep must be")])
def test_explain_option_mistakes_are_diagnostics(tmp_path: Path, args: list[str],
                                                 needle: str) -> None:
    (tmp_path / "e.csv").write_text("label,explanation,text\n1,the word 'x' is in text,x y\n")
    result = runner.invoke(app, ["explain", str(tmp_path / "e.csv"), "--labels", "A,B",
                                 "-o", str(tmp_path / "r.lf"), *args])
    assert result.exit_code == 2 and "E605" in result.output and needle in result.output


def test_a_nul_in_a_word_list_path_is_a_diagnostic() -> None:
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse('labels: A, B\nwords w from "a\\u0000b.txt"\n'
                            "lf x: text contains @w -> A\n"))
    assert _codes(info) == ["E213"]


# 11. ------------------------------------------------------------------ word lists read any file
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_word_lists_must_be_regular_files(tmp_path: Path) -> None:
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse('labels: A, B\nwords w from "/dev/zero"\n'
                            "lf x: text contains @w -> A\n"))
    assert _codes(info) == ["E213"] and "not a regular file" in str(info.value)
    (tmp_path / "w.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(ExplicateError) as info:
        compile_rules(parse('labels: A, B\nwords w from "w.txt"\nlf x: text contains @w -> A\n'),
                      None, tmp_path)
    assert _codes(info) == ["E213"] and "not UTF-8" in str(info.value)


def test_a_lone_surrogate_in_text_is_reported_by_row_and_read_as_a_replacement() -> None:
    # json.loads('"\\ud800"') gives a str with no UTF-8 form; Arrow refuses it. The row is
    # reported and read with U+FFFD; a split pair is joined; the other rows are untouched.
    import json

    from explicate.runtime.apply import apply_rules

    texts = json.loads('["win cash \\ud800 now", "ok fine", "hello"]') + ["a \ud83d\ude00 b"]
    df = pd.DataFrame({"text": texts}, dtype=object)
    applied = apply_rules('labels: HAM, SPAM\nlf w: text contains "cash" -> SPAM\n'
                          'lf o: text contains "fine" -> HAM\n', df)
    assert applied.L.tolist() == [[1, -1], [-1, 0], [-1, -1], [-1, -1]]
    assert [(p.row, p.field) for p in applied.problems] == [(1, "text"), (4, "text")]
    assert all("surrogate" in p.problem for p in applied.problems)
