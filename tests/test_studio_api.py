"""The studio's JSON API, driven through FastAPI's TestClient: every operation, and figures that
equal what ``explicate summary`` and a direct ``apply_rules`` say on the same rules and data."""

from __future__ import annotations

import ast
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the studio extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (the studio extra)")

from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from explicate import ABSTAIN, apply_rules  # noqa: E402
from explicate.cli import app as cli  # noqa: E402
from explicate.studio import Studio  # noqa: E402
from explicate.studio.app import create_app  # noqa: E402
from explicate.studio.figures import wilson  # noqa: E402

HEADER = 'labels: HAM, SPAM\nwords money = "cash", "prize"\n'
RULES = HEADER + ('lf thanks: text contains "thanks" -> HAM\n'
                  'lf money: text contains any of @money -> SPAM\n')

HAM = ["thanks for dinner see you", "ok see you at home", "thanks mum love you", "call me later",
       "where are you now", "i will call you back thanks"]
SPAM = ["win cash now call free", "you won a prize claim now", "free prize draw text win",
        "urgent cash prize call now", "claim your free ringtone now", "win a free phone"]


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spam = rng.random(n) < 0.4
    texts = [str(rng.choice(SPAM if s else HAM)) + f" msg {i}" for i, s in enumerate(spam)]
    return pd.DataFrame({"id": [f"r{seed}-{i}" for i in range(n)], "text": texts,
                         "label": np.where(spam, "SPAM", "HAM")})


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    pool, dev = _rows(300, 1), _rows(80, 2)
    out = {"pool": tmp_path / "pool.csv", "dev": tmp_path / "dev.csv", "rules": tmp_path / "r.lf"}
    pool.drop(columns=["label"]).to_csv(out["pool"], index=False)
    dev.to_csv(out["dev"], index=False)
    out["rules"].write_text(RULES, encoding="utf-8")
    return out


@pytest.fixture()
def client(files: dict[str, Path]) -> TestClient:
    studio = Studio(files["pool"], dev=files["dev"], gold="label", rules=files["rules"]).load()
    return TestClient(create_app(studio, load=False))


def _summary_cli(rules: Path, data: Path, *extra: str) -> dict:
    res = CliRunner().invoke(cli, ["summary", str(rules), "--data", str(data), "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("{"):])


def test_try_dsl_reports_votes_coverage_overlaps_and_dev_precision(client, files) -> None:
    pool = pd.read_csv(files["pool"])
    dev = pd.read_csv(files["dev"])
    row = int(np.flatnonzero(pool["text"].str.contains("claim"))[0])
    r = client.post("/api/try", json={"text": '"claim" followed by "now" in text -> SPAM',
                                      "example": row})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "dsl" and len(body["readings"]) == 1
    reading = body["readings"][0]
    assert reading["dsl"].endswith('"claim" followed by "now" in text -> SPAM')
    assert reading["vote"] == "SPAM"
    rule = HEADER + f'lf t: {reading["dsl"].split(": ", 1)[1]}\n'
    col = apply_rules(rule, pool).L[:, 0]
    assert reading["pool"]["votes"] == int((col != ABSTAIN).sum())
    assert reading["pool"]["coverage"] == pytest.approx(float((col != ABSTAIN).mean()))
    kept = apply_rules(RULES, pool).L
    both = (col != ABSTAIN)[:, None] & (kept != ABSTAIN)
    by_lf = {p["lf"]: p for p in reading["pool"]["with"]}
    assert by_lf["money"]["overlaps"] == int(both[:, 1].sum()) > 0
    assert by_lf["money"]["conflicts"] == 0  # both vote SPAM
    # Dev precision with its Wilson interval, against gold computed here.
    dcol = apply_rules(rule, dev).L[:, 0]
    gold = (dev["label"] == "SPAM").to_numpy().astype(int)
    voted = dcol != ABSTAIN
    correct = int((dcol[voted] == gold[voted]).sum())
    d = reading["dev"]
    assert (d["correct"], d["scored"]) == (correct, int(voted.sum()))
    assert d["interval"] == pytest.approx(list(wilson(correct, int(voted.sum()))))
    # What it matched is highlighted in the example's text.
    text = pool["text"][row]
    marked = {text[m["start"]:m["end"]] for m in reading["marks"]}
    assert marked == {"claim", "now"}
    lm = reading["label_model"]
    assert set(lm) == {"before", "after", "flips"} and "accuracy" in lm["after"]
    # The page asks for readings first and the label model's change second: same figures.
    light = client.post("/api/try", json={"text": '"claim" followed by "now" in text -> SPAM',
                                          "example": row, "label_model": False}).json()
    assert "label_model" not in light["readings"][0] and light["readings"][0]["dev"] == d
    impact = client.post("/api/impact", json={"text": '"claim" followed by "now" in text -> SPAM',
                                              "example": row}).json()
    assert impact["label_model"] == [lm]


def test_try_reads_english_and_a_bare_condition_with_the_chosen_label(client, files) -> None:
    pool = pd.read_csv(files["pool"])
    row = int(np.flatnonzero(pool["text"].str.contains("prize"))[0])
    r = client.post("/api/try", json={"text": 'the word "prize" occurs in the text',
                                      "example": row, "label": "SPAM"}).json()
    assert r["kind"] == "english"
    assert any(x["dsl"].endswith('text contains "prize" -> SPAM') and x["vote"] == "SPAM"
               for x in r["readings"])
    bare = client.post("/api/try", json={"text": 'text contains "see"', "label": "ham"}).json()
    assert bare["kind"] == "dsl" and bare["readings"][0]["label"] == "HAM"
    assert "vote" not in bare["readings"][0]  # no example given


def test_mistakes_are_coded_diagnostics_with_carets(client) -> None:
    r = client.post("/api/try", json={"text": 'txt contains "x" -> HAM'}).json()
    assert not r["readings"] and r["errors"][0]["code"] == "E201"
    rendered = r["errors"][0]["rendered"]
    assert "did you mean 'text'" in rendered and "^^^" in rendered
    syntax = client.post("/api/try", json={"text": "lf a: text contains -> HAM"}).json()
    assert syntax["errors"][0]["code"] == "E101" and "^" in syntax["errors"][0]["rendered"]
    for path, body, code in [("/api/try", {"text": "x", "label": "EGGS"}, "E202"),
                             ("/api/try", {"text": "x", "example": 10_000}, "E702"),
                             ("/api/keep", {"text": "text contains", "label": "HAM"}, "E101"),
                             ("/api/undo", None, "E703"), ("/api/remove", {"name": "nope"},
                                                          "E702")]:
        res = client.post(path, json=body)
        assert res.status_code == 400, (path, res.text)
        assert res.json()["errors"][0]["code"] == code
    assert client.get("/api/example", params={"split": "test", "row": 0}).status_code == 400


def test_keep_undo_redo_and_summary_equal_explicate_summary(client, files) -> None:
    for body in ({"text": 'text contains "free" -> SPAM'},
                 {"text": 'the word "mum" occurs in the text', "example": _row(files, "mum"),
                  "label": "HAM"}):
        assert client.post("/api/keep", json=body).status_code == 200
    s = client.post("/api/keep", json={"text": "lf see: text contains \"see\" -> HAM"}).json()
    assert [r["name"] for r in s["rules"]] == ["thanks", "money", "free", "mum", "see"]
    s = client.post("/api/undo").json()
    assert [r["name"] for r in s["rules"]][-1] == "mum" and s["can_redo"]
    s = client.post("/api/redo").json()
    assert s["rules"][-1]["name"] == "see"
    s = client.post("/api/undo").json()
    # The saved file is what `explicate summary` reads: the figures must be the same.
    saved = files["rules"].read_text(encoding="utf-8")
    assert '# the word "mum" occurs in the text' in saved and "lf see" not in saved
    pool_cli = _summary_cli(files["rules"], files["pool"], "--label-model", "auto")
    dev_cli = _summary_cli(files["rules"], files["dev"], "--gold", "label")
    summary = client.get("/api/summary").json()
    _same_records(summary["pool"]["lfs"], pool_cli["lfs"])
    assert summary["pool"]["majority_vote"] == pool_cli["majority_vote"]
    _same_records(summary["dev"]["lfs"], dev_cli["lfs"])
    assert summary["dev"]["majority_vote"] == dev_cli["majority_vote"]
    # Keeping a rule that was tried (its label model change computed) starts the new state's
    # label model from that fit: the figures are still those of `explicate summary`.
    body = {"text": 'text contains "home" -> HAM', "example": _row(files, "home")}
    assert client.post("/api/impact", json=body).json()["label_model"][0] is not None
    client.post("/api/keep", json=body)
    _same_records(client.get("/api/summary").json()["pool"]["lfs"],
                  _summary_cli(files["rules"], files["pool"], "--label-model", "auto")["lfs"])
    client.post("/api/undo")
    # A kept change after an undo drops the redo branch.
    s = client.post("/api/keep", json={"text": 'text contains "home" -> HAM'}).json()
    assert not s["can_redo"]
    s = client.post("/api/remove", json={"name": "home"}).json()
    assert "home" not in [r["name"] for r in s["rules"]] and s["can_undo"]


def _same_records(got: list[dict], want: list[dict]) -> None:
    assert [r["LF"] for r in got] == [r["LF"] for r in want]
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (g, w)
        for k, v in w.items():
            assert g[k] == (pytest.approx(v, abs=1e-6) if isinstance(v, float) else v), (k, g, w)


def _row(files: dict[str, Path], word: str) -> int:
    pool = pd.read_csv(files["pool"])
    return int(np.flatnonzero(pool["text"].str.contains(word))[0])


def test_rule_file_history_is_content_hashed_and_diffable(client, files) -> None:
    first = client.get("/api/summary").json()["version"]
    client.post("/api/keep", json={"text": 'text contains "urgent" -> SPAM'})
    second = client.get("/api/summary").json()["version"]
    client.post("/api/undo")
    again = client.get("/api/summary").json()["version"]
    assert first != second and again == first  # same text, same hash
    history = files["rules"].parent / ".r.lf.history"
    assert (history / f"{second}.lf").read_text(encoding="utf-8") != files["rules"].read_text()
    versions = client.get("/api/history").json()["versions"]
    assert [v["op"] for v in versions] == ["load", "keep urgent", "undo keep urgent"]
    d = client.get("/api/diff", params={"a": first[:8], "b": second}).json()
    assert [(c["lf"], c["change"]) for c in d["rules"]] == [("urgent", "added")]
    assert d["rules"][0]["coverage_after"] > 0 and "dev_label_model" in d["b"]["metrics"]
    bad = client.get("/api/diff", params={"a": "zzzz", "b": second})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "E701"
    assert not list(files["rules"].parent.glob(".r.lf.*.tmp"))  # atomic writes leave no temp


def test_next_example_orders_and_filters(client, files) -> None:
    pool = pd.read_csv(files["pool"])
    L = apply_rules(RULES, pool).L
    ex = client.post("/api/next", json={"filter": "uncovered"}).json()
    assert (L[ex["row"]] == ABSTAIN).all() and ex["matching"] == int((L == ABSTAIN).all(1).sum())
    ex = client.post("/api/next", json={"query": "ringtone", "order": "sequential"}).json()
    assert "ringtone" in ex["fields"]["text"] and ex["row"] == _row(files, "ringtone")
    ex = client.post("/api/next", json={"split": "dev", "filter": "wrong"}).json()
    assert ex["row"] is None or ex["gold"] is not None
    for order in ("random", "uncertain", "conflict"):
        got = client.post("/api/next", json={"order": order}).json()
        assert 0 <= got["row"] < len(pool)
    none = client.post("/api/next", json={"query": "no such words here"}).json()
    assert none["row"] is None and none["matching"] == 0
    assert client.post("/api/next", json={"filter": "odd"}).status_code == 400
    page = client.get("/api/example", params={"row": 3, "html": 1}).json()
    assert pool["text"][3].split()[0] in page["html"]["example"]


def test_export_probabilistic_labels_with_row_ids(client, files) -> None:
    pool = pd.read_csv(files["pool"])
    csv = pd.read_csv(io.StringIO(client.get("/api/export?format=csv").text))
    assert list(csv.columns) == ["row_id", "p_HAM", "p_SPAM", "label"]
    assert csv["row_id"].tolist() == pool["id"].tolist()
    assert np.allclose(csv[["p_HAM", "p_SPAM"]].sum(axis=1), 1.0, atol=1e-5)
    pq = pd.read_parquet(io.BytesIO(client.get("/api/export?format=parquet").content))
    assert np.allclose(pq["p_SPAM"], csv["p_SPAM"], atol=1e-6)
    assert client.get("/api/export?format=xls").status_code == 422


def test_page_and_fragments_and_loading(files) -> None:
    studio = Studio(files["pool"], rules=files["rules"])
    c = TestClient(create_app(studio, load=False))
    assert c.get("/api/summary").status_code == 503  # not featurized yet
    studio.load()
    html = c.get("/").text
    assert '<textarea id="rule"' in html and 'src="/static/studio.js"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the network
    assert c.get("/static/studio.js").status_code == 200
    frag = c.post("/api/try?html=1", json={"text": 'text contains "<b>" -> HAM',
                                           "example": 0}).json()["html"]
    assert "&lt;b&gt;" in frag["readings"] and "<b>" not in frag["readings"].split("label model")[0]
    table = c.get("/api/summary?html=1").json()["html"]["table"]
    assert 'data-lf="thanks"' in table and 'data-lf="money"' in table


def test_cli_studio_reports_bad_input_with_exit_2(tmp_path: Path, files) -> None:
    res = CliRunner().invoke(cli, ["studio", str(files["pool"]), "--rules",
                                   str(tmp_path / "new.lf")])
    assert res.exit_code == 2 and "E205" in res.output
    res = CliRunner().invoke(cli, ["studio", str(files["pool"]), "--gold", "label"])
    assert res.exit_code == 2 and "E403" in res.output


def test_studio_imports_only_lower_layers() -> None:
    allowed = {"ir", "errors", "primitives", "grammar", "compiler", "runtime", "studio"}
    package = Path(__file__).resolve().parents[1] / "explicate" / "studio"
    bad = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                parts = name.split(".")
                if parts[0] == "explicate" and len(parts) > 1 and parts[1] not in allowed:
                    bad.append(f"{path.name} imports {name}")
                if name.startswith("explicate.runtime.pipeline"):
                    bad.append(f"{path.name} imports {name}")
    assert not bad, bad


def test_remove_status_and_export_equal_the_command_line(client, files, tmp_path) -> None:
    status = client.get("/api/status").json()
    assert status["ready"] and status["labels"] == ["HAM", "SPAM"]
    assert status["splits"]["pool"] == {"rows": 300, "problems": 0, "gold": False}
    assert status["splits"]["dev"]["gold"] and status["fields"]["text"] == "text"
    client.post("/api/keep", json={"text": 'text contains "free" -> SPAM'})
    s = client.post("/api/remove", json={"name": "thanks"}).json()
    assert [r["name"] for r in s["rules"]] == ["money", "free"]
    pool_cli = _summary_cli(files["rules"], files["pool"], "--label-model", "auto")
    _same_records(s["pool"]["lfs"], pool_cli["lfs"])
    assert s["pool"]["majority_vote"] == pool_cli["majority_vote"]
    # The probabilistic labels are those `explicate export` writes from the saved rule file,
    # on every row some LF votes on (the command leaves the others empty).
    out = tmp_path / "cli.csv"
    res = CliRunner().invoke(cli, ["export", str(files["rules"]), "--data", str(files["pool"]),
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    want = pd.read_csv(out)
    got = pd.read_csv(io.StringIO(client.get("/api/export?format=csv").text))
    voted = want["p:SPAM"].notna().to_numpy()
    assert 0 < voted.sum() < len(want)
    assert np.allclose(got["p_SPAM"][voted], want["p:SPAM"][voted], atol=1e-5)
    assert got["label"][voted].tolist() == want["predicted"][voted].tolist()
    assert got["label"][~voted].isna().all()  # no LF votes: no label
