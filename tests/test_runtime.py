"""Runtime: reading data, bad rows reported by number, label matrix, LF summary, majority vote."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explicate.errors import ExplicateError
from explicate.ir import ABSTAIN
from explicate.runtime.apply import apply_file, apply_rules
from explicate.runtime.data import infer_schema, read_problems, read_table
from explicate.runtime.matrix import LabelMatrix, lf_summary, majority_vote

ROOT = Path(__file__).resolve().parents[1]
SPAM = (ROOT / "examples/spam/spam.lf").read_text()
SPOUSE = (ROOT / "examples/spouse/spouse.lf").read_text()


def test_apply_spam_rules_votes_as_specified() -> None:
    df = pd.DataFrame({
        "text": ["Call now for a FREE prize!!!", "thats so nice", "check  this out: my channel",
                 "URGENT call call", "a nice song http://x.y", "nice song"],
        "score": [0.1, 0.95, 0.3, 0.2, 0.5, 0.5],
    })
    L = apply_rules(SPAM, df).L
    names = ["subscribe", "my_channel", "moneywords", "check_out", "shouting", "short", "calls",
             "song", "call_free", "thats_nice", "scored"]
    votes = [{names[j]: int(v) for j, v in enumerate(row) if v != ABSTAIN} for row in L]
    assert votes[0] == {"moneywords": 1, "shouting": 1, "call_free": 1}
    assert votes[1] == {"short": 0, "thats_nice": 0, "scored": 0}
    assert votes[2] == {"my_channel": 1, "check_out": 1}
    assert votes[3] == {"shouting": 1, "short": 0, "calls": 1}
    # spaCy keeps a URL as one token, so the whole word "http" does not occur: "song" votes.
    assert votes[4] == {"short": 0, "song": 0}
    assert votes[5] == {"short": 0, "song": 0}


def test_apply_spouse_rules_finds_mentions_by_string() -> None:
    df = pd.DataFrame({
        "sentence": ["John Smith and his wife Mary Jones went home.", "Bob married alice",
                     "mark's brother Tom", "Ann met Ann's friend Bo"],
        "person1": ["John Smith", "Bob", "mark", "Ann"],
        "person2": ["Mary Jones", "alice", "Tom", "Bo"],
    })
    applied = apply_rules(SPOUSE, df)
    assert applied.L.tolist() == [
        [1, -1, 1, 1, -1],
        [-1, 1, 1, 1, -1],
        [-1, -1, 1, -1, 0],
        [-1, -1, 1, 1, -1],  # the first "Ann" is the mention: 4 tokens from "Bo"
    ]
    assert applied.problems == []


def test_apply_reports_mentions_not_found() -> None:
    df = pd.DataFrame({"sentence": ["Ann and her husband Bo", "Cy is here"],
                       "p1": ["Ann", "Cy"], "p2": ["Bo", "Zed"]})
    rules = ('labels: N, Y\nspans: p1, p2 in sentence\n'
             'lf h: "husband" between p1 and p2 -> Y\nlf c: p1 is capitalized -> Y\n')
    applied = apply_rules(rules, df)
    assert applied.L.tolist() == [[1, 1], [-1, 1]]  # LFs that read p2 abstain on row 2
    assert [str(p) for p in applied.problems] == [
        "row 2: field 'p2' is not found in its text ('sentence')"]


def test_apply_uses_offset_columns_for_repeated_mentions() -> None:
    text = "Ann said Bo is her husband and Ann smiled"
    df = pd.DataFrame({"sentence": [text], "p1_start": [31], "p1_end": [34], "p2": ["Bo"]})
    rules = ('labels: N, Y\nspans: p1, p2 in sentence\n'
             'lf h: "husband" between p1 and p2 -> Y\nlf s: "smiled" right of p1 -> Y\n')
    assert apply_rules(rules, df).L.tolist() == [[1, 1]]


def test_bad_rows_are_reported_and_kept() -> None:
    df = pd.DataFrame({"text": ["win cash", None, 5, "ok"], "score": [1.0, 2.0, np.nan, 0.5]})
    applied = apply_rules('labels: A, B\nlf c: text contains "cash" -> B\n'
                          'lf n: not text contains "cash" -> A\nlf s: score > 0.9 -> A\n', df)
    assert applied.L.shape == (4, 3)
    assert applied.L.tolist() == [[1, -1, 0], [-1, -1, 0], [-1, -1, -1], [-1, 0, -1]]
    assert [str(p) for p in applied.problems] == [
        "row 2: field 'text' is missing", "row 3: field 'score' is missing",
        "row 3: field 'text' is not text (5)"]


def test_read_table_formats(tmp_path: Path) -> None:
    rows = [{"text": "a b", "score": 1.5}, {"text": "c", "score": 2.0}]
    pd.DataFrame(rows).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame(rows).to_csv(tmp_path / "d.tsv", index=False, sep="\t", header=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "w.json").write_text(json.dumps(
        {"0": {"label": 1, "data": {"text": "a b"}}, "1": {"label": 0, "data": {"text": "c"}}}))
    for name in ("d.csv", "d.parquet", "d.jsonl"):
        df = read_table(tmp_path / name)
        assert df["text"].tolist() == ["a b", "c"] and df["score"].tolist() == [1.5, 2.0]
    df = read_table(tmp_path / "d.tsv", columns=["text", "score"])
    assert df["text"].tolist() == ["a b", "c"]
    assert read_table(tmp_path / "w.json")["text"].tolist() == ["a b", "c"]


def test_read_table_errors_name_the_problem(tmp_path: Path) -> None:
    # Bad lines are kept as rows of missing fields and reported by number; the rest is read.
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{not json}\n[1]\n')
    df = read_table(tmp_path / "bad.jsonl")
    assert len(df) == 3 and df["text"].tolist()[0] == "ok"
    assert [(p.row, "not JSON" in p.problem or "not an object" in p.problem)
            for p in read_problems(df)] == [(2, True), (3, True)]
    (tmp_path / "none.jsonl").write_text("{not json}\n")
    with pytest.raises(ExplicateError, match="no line"):
        read_table(tmp_path / "none.jsonl")
    with pytest.raises(ExplicateError, match="not found"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(ExplicateError, match="unknown data format"):
        (tmp_path / "x.xlsx").write_text("")
        read_table(tmp_path / "x.xlsx")


def test_infer_schema_finds_mentions_by_containment() -> None:
    df = pd.DataFrame({"sentence": ["Ann met Bo", "Cy and Di"], "a": ["Ann", "Di"],
                       "b": ["Bo", "Cy"], "n": [1, 2], "other": ["zzz", "yyy"]})
    schema = infer_schema(df)
    assert schema.span_of == {"a": "sentence", "b": "sentence"}
    assert schema.kinds["n"].value == "number" and schema.kinds["other"].value == "text"


def test_label_matrix_npz_round_trip(tmp_path: Path) -> None:
    m = LabelMatrix(np.array([[0, -1], [1, 1]], dtype=np.int8), ("a", "b"), ("N", "Y"))
    m.save(tmp_path / "L.npz")
    back = LabelMatrix.load(tmp_path / "L.npz")
    assert back.L.dtype == np.int8 and (back.L == m.L).all()
    assert back.lf_names == ("a", "b") and back.labels == ("N", "Y")


def test_lf_summary_matches_snorkel_definitions() -> None:
    L = np.array([[0, 0, -1], [0, 1, -1], [-1, 1, 1], [-1, -1, -1]], dtype=np.int8)
    Y = np.array([0, 1, 1, 0])
    s = lf_summary(L, ["a", "b", "c"], ["N", "Y"], Y)
    assert s["Coverage"].tolist() == [0.5, 0.75, 0.25]
    assert s["Overlaps"].tolist() == [0.5, 0.75, 0.25]
    assert s["Conflicts"].tolist() == [0.25, 0.25, 0.0]
    assert s["Correct"].tolist() == [1, 3, 1] and s["Incorrect"].tolist() == [1, 0, 0]
    assert s["Polarity"].tolist() == [["N"], ["N", "Y"], ["Y"]]


def test_majority_vote_ties_and_empty_rows() -> None:
    L = np.array([[0, 0, 1], [0, 1, -1], [-1, -1, -1], [2, 2, 2]], dtype=np.int8)
    assert majority_vote(L, 3).tolist() == [0, -1, -1, 2]
    assert majority_vote(L, 3, tie_break="first").tolist() == [0, 0, -1, 2]
    assert majority_vote(L, 3, tie_break="random")[1] in (0, 1)


def test_apply_file_reads_rules_relative_words(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_text("cash\nprize\n")
    (tmp_path / "r.lf").write_text('labels: H, S\nwords m from "w.txt"\nlf m: text contains @m -> S\n')
    pd.DataFrame({"text": ["big prize", "hello"]}).to_csv(tmp_path / "d.csv", index=False)
    assert apply_file(tmp_path / "r.lf", tmp_path / "d.csv").L.tolist() == [[1], [-1]]


def test_apply_in_chunks_equals_one_pass() -> None:
    from explicate.compiler import compile_rules
    from explicate.grammar import parse
    from explicate.runtime.apply import apply_program

    df = pd.DataFrame({"text": [f"call {i} free" if i % 3 else "hello" for i in range(50)],
                       "score": np.linspace(0, 1, 50)})
    schema = infer_schema(df)
    program = compile_rules(parse(SPAM), schema)
    whole = apply_program(program, df, schema, chunk_rows=1000).L
    chunked = apply_program(program, df, schema, chunk_rows=7).L
    assert (whole == chunked).all() and (whole != ABSTAIN).any()
