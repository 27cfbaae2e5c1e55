"""Sketches (issue 12): hole syntax, typing and printing; filling from pool and dev labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explicate import ir
from explicate.cli import app
from explicate.compiler import compile_rules
from explicate.errors import CompileError
from explicate.grammar.parse import parse, parse_lf
from explicate.grammar.printer import to_dsl
from explicate.runtime.sketch import CandidateConfig, FillConfig, SelectConfig, fill, wilson

# --- syntax, printing, typing -----------------------------------------------------------------

ROUND_TRIP = [
    'lf a: text contains ?w -> SPAM',
    'lf a: count(text) < ?n -> ?label',
    'lf a: text contains ?w in @money -> SPAM',
    'lf a: text contains ?w in ("cash", case "Prize") -> SPAM',
    'lf a: text contains ?w like "prize" -> SPAM',
    'lf a: ?a followed by ?b like ("prize", "cash") in text -> SPAM',
    'lf a: count(text) < ?n in 1..20 -> HAM',
    'lf a: count(?w in text) > 2 -> SPAM',
    'lf a: count(?w in @money in text) > ?k -> ?y',
    'lf a: min distance(@person, @bike) < ?t -> SPAM',
    'lf a: has ?obj and count(@person) >= ?n in 2..5 -> HAM',
    'lf a: not text contains ?w and chars(text) > ?n -> ?label',
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_holes_print_back_as_written_and_round_trip(text: str) -> None:
    lf = parse_lf(text)
    assert to_dsl(lf) == text
    assert parse_lf(to_dsl(lf)) == lf


def test_each_hole_kind_is_typed_by_where_it_stands() -> None:
    lf = parse_lf('lf a: text contains ?w in @m and count(text) < ?n in 1..9 -> ?label')
    holes = {h.name: h for h in ir.holes(lf)}
    w, n, label = holes["w"], holes["n"], holes["label"]
    assert isinstance(w, ir.Hole) and w.kind == "words" and w.within == ir.WordList("m")
    assert isinstance(n, ir.Hole) and n.kind == "number" and (n.low, n.high) == (1.0, 9.0)
    assert isinstance(label, ir.LabelHole)
    assert w.span is not None and w.span.text == "?w in @m"
    like = parse_lf('lf a: text contains ?w like ("a", "b") -> X').when
    assert like.words.like == (ir.Phrase("a"), ir.Phrase("b"))  # type: ignore[attr-defined]
    # `?w in text` inside count(...) is a hole counted in a field, not a constraint.
    counted = parse_lf("lf a: count(?w in text) > 1 -> X").when
    assert counted.left.words == ir.Hole("w", "words")  # type: ignore[attr-defined]


def _codes(text: str, holes: bool) -> list[str]:
    with pytest.raises(CompileError) as info:
        compile_rules(parse(text), holes=holes)
    return [d.code for d in info.value.diagnostics]


def test_holes_go_through_resolve_and_typecheck() -> None:
    head = 'labels: HAM, SPAM\nwords money = "cash"\n'
    ok = compile_rules(parse(head + "lf a: text contains ?w in @money -> ?l\n"), holes=True)
    # Lowering expands the list inside the hole's constraint.
    assert ok.lowered[0].when.words.within == ir.AnyOf((ir.Phrase("cash"),))  # type: ignore[attr-defined]
    assert _codes(head + "lf a: text contains ?w -> SPAM\n", holes=False) == ["E211"]
    assert _codes(head + "lf a: text contains ?w and count(text) < ?w -> SPAM\n",
                  holes=True) == ["E212"]
    assert _codes(head + "lf a: text contains ?x -> ?x\n", holes=True) == ["E212"]
    assert _codes(head + "lf a: count(text) < ?n in 9..2 -> HAM\n", holes=True) == ["E212"]
    assert _codes(head + "lf a: text contains ?w in @mony -> HAM\n", holes=True) == ["E203"]
    # A number hole where text is needed is a type error like any other.
    assert _codes(head + "lf a: ?n > 3 and chars(?n) > 2 -> HAM\n", holes=True) == ["E301"]
    # The same hole used twice, constrained once, is one value.
    compile_rules(parse(head + 'lf a: text contains ?w in @money and not text starts with ?w'
                        ' -> SPAM\n'), holes=True)


def test_wilson_interval() -> None:
    lo, hi = wilson(np.array([8, 0]), np.array([10, 0]), 1.96)
    assert lo[0] == pytest.approx(0.4902, abs=1e-3) and hi[0] == pytest.approx(0.9433, abs=1e-3)
    assert (lo[1], hi[1]) == (0.0, 1.0)


# --- filling -----------------------------------------------------------------------------------

SPAM = ["win cash now", "call now to claim your prize", "free prize call today",
        "claim your cash prize", "urgent call to win", "free entry win cash"]
HAM = ["see you at lunch", "ok thanks", "i miss you", "are you coming home later tonight",
       "sorry i am late", "lol ok", "where are you", "i will call you later"]


def corpus(n: int, spam_share: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spam = rng.random(n) < spam_share
    texts = [str(rng.choice(SPAM if s else HAM)) + " " + str(rng.choice(["x", "y", "z", "w"]))
             for s in spam]
    return pd.DataFrame({"text": texts, "label": spam.astype(int)})


def run_fill(text: str, spam_share: float = 0.3, seed: int = 0, **select: object) -> object:
    pool, dev = corpus(600, spam_share, 1), corpus(100, spam_share, 2)
    cfg = FillConfig(select=SelectConfig(**select))  # type: ignore[arg-type]
    return fill(parse("labels: ham, spam\n" + text), pool[["text"]], dev[["text"]],
                dev["label"].to_numpy(), config=cfg, seed=seed, nearest=lambda s, w, k: w[:k])


def test_words_hole_is_filled_with_precise_words() -> None:
    result = run_fill("lf kw: text contains ?w -> spam\n")
    words = {f.values["w"] for f in result.fills}  # type: ignore[attr-defined]
    assert words and words <= {"win", "cash", "now", "claim", "prize", "free", "call", "to",
                                "your", "today", "urgent", "entry"}
    for f in result.fills:  # type: ignore[attr-defined]
        assert f.dev_correct == f.dev_fires  # spam words never occur in ham here
        assert 0 <= f.held_out.low <= f.held_out.high <= 1


def test_label_and_number_holes() -> None:
    result = run_fill("lf short: count(text) < ?n -> ?label\n")
    fills = result.fills  # type: ignore[attr-defined]
    assert fills and all(f.label == "ham" for f in fills)  # short texts are ham here
    assert all(float(f.values["n"]) <= 5 for f in fills)
    ranged = run_fill("lf short: count(text) < ?n in 2..3 -> ham\n")
    assert {f.values["n"] for f in ranged.fills} <= {"2", "3"}  # type: ignore[attr-defined]


def test_list_and_like_constraints() -> None:
    listed = run_fill('words offer = "prize", "entry"\nlf kw: text contains ?w in @offer -> spam\n')
    assert {f.values["w"] for f in listed.fills} <= {"prize", "entry"}  # type: ignore[attr-defined]
    seen: list[list[str]] = []

    def nearest(seeds: list[str], words: list[str], k: int) -> list[str]:
        seen.append(seeds)
        return [w for w in words if w in ("cash", "prize")]

    pool, dev = corpus(600, 0.3, 1), corpus(100, 0.3, 2)
    result = fill(parse('labels: ham, spam\nlf kw: text contains ?w like "money" -> spam\n'),
                  pool[["text"]], dev[["text"]], dev["label"].to_numpy(), nearest=nearest)
    assert seen == [["money"]]
    # Each word alone, or the nearest words as one value ("any of"), never a word not near.
    assert {f.values["w"] for f in result.fills} <= {"cash", "prize",
                                                     'any of (cash, prize)'}


def test_like_hole_fills_a_concept_too_rare_word_by_word() -> None:
    # Seven money words, each in one or two dev spam rows (under min_support = 3): no single
    # word can be measured, the set of the nearest can.
    money = ["cash", "prize", "reward", "bonus", "voucher", "jackpot", "award"]
    rng = np.random.default_rng(0)

    def rows(n: int, seed: int) -> pd.DataFrame:
        r = np.random.default_rng(seed)
        spam = r.random(n) < 0.3
        texts = [f"claim your {r.choice(money)} now" if s else str(r.choice(HAM)) for s in spam]
        return pd.DataFrame({"text": texts, "label": spam.astype(int)})

    pool, dev = rows(800, 1), rows(100, 2)
    dev = dev.iloc[rng.permutation(len(dev))].reset_index(drop=True)
    # Keep at most two dev rows per money word.
    seen: dict[str, int] = {}
    keep = []
    for t in dev["text"]:
        w = next((m for m in money if m in t.split()), None)
        seen[w or ""] = seen.get(w or "", 0) + 1
        keep.append(w is None or seen[w] <= 2)
    dev = dev[keep].reset_index(drop=True)
    ranked = [*money, "lunch", "home"]
    result = fill(parse('labels: ham, spam\nlf money: text contains ?w like "money" -> spam\n'),
                  pool[["text"]], dev[["text"]], dev["label"].to_numpy(),
                  nearest=lambda s, w, k: [x for x in ranked if x in w][:k])
    values = [f.values["w"] for f in result.fills]
    assert values and all(v.startswith("any of (cash, prize") for v in values)
    assert "lunch" not in values[0]  # the chosen set stops before the ham words
    filled = result.to_dsl()
    assert 'text contains any of ("cash", "prize"' in filled
    compile_rules(parse(filled))


def test_floors_and_prior_on_an_imbalanced_set() -> None:
    # 8% spam: "absent word -> ham" stumps over words that say nothing about the class are
    # right ~92% of the time -- far above Snuba's 0.5 band, but only the prior: never chosen.
    noise = 'not text contains ?w in ("x", "y", "z", "w") -> ?label'
    pool, dev = corpus(600, 0.08, 1), corpus(100, 0.08, 2)
    for word in "xyzw":
        fires = ~dev["text"].str.endswith(" " + word)
        assert (dev["label"][fires] == 0).mean() > 0.8  # what a fixed 0.5 band would accept
    assert run_fill(f"lf stump: {noise}\n", spam_share=0.08).fills == []  # type: ignore[attr-defined]
    result = run_fill("lf kw: text contains ?w -> ?label\n", spam_share=0.08)
    for f in result.fills:  # type: ignore[attr-defined]
        prior = 0.92 if f.label == "ham" else 0.08
        assert f.coverage <= 1.5 * prior + 0.05  # the coverage cap: 1.5 x the label's prior
    # Document-frequency floor: a word in fewer than min_df pool rows is never tried.
    pool, dev = corpus(600, 0.3, 1), corpus(100, 0.3, 2)
    pool.loc[0, "text"] = "zzrare " + pool.loc[0, "text"]
    dev.loc[dev.label == 1, "text"] = "zzrare " + dev.loc[dev.label == 1, "text"]
    cfg = FillConfig(candidates=CandidateConfig(min_df=3))
    res = fill(parse("labels: ham, spam\nlf kw: text contains ?w -> spam\n"), pool[["text"]],
               dev[["text"]], dev["label"].to_numpy(), config=cfg)
    assert "zzrare" not in {f.values["w"] for f in res.fills}


def test_filling_is_deterministic_by_seed_and_round_trips() -> None:
    text = "lf kw: text contains ?w -> ?label\nlf pair: ?a followed by ?b in text -> spam\n"
    a, b = run_fill(text, seed=3), run_fill(text, seed=3)
    assert a.to_dsl() == b.to_dsl()  # type: ignore[attr-defined]
    ra, rb = a.report(), b.report()  # type: ignore[attr-defined]
    ra.pop("seconds"), rb.pop("seconds")
    assert ra == rb
    filled = parse(a.to_dsl())  # type: ignore[attr-defined]
    assert filled.statements == a.rules.statements  # type: ignore[attr-defined]
    program = compile_rules(filled)  # no holes left
    assert len(program.lfs) == len(a.fills)  # type: ignore[attr-defined]
    # Fills of one sketch are reported as dependent pairs.
    for x, y in a.dependencies:  # type: ignore[attr-defined]
        assert x.split("_")[0] == y.split("_")[0]


def test_plain_lfs_pass_through_and_stopping_rule_is_logged() -> None:
    result = run_fill('lf call: text contains "call" -> spam\nlf kw: text contains ?w -> spam\n',
                      max_fills=2)
    names = [lf.name for lf in result.rules.lfs]  # type: ignore[attr-defined]
    assert names[0] == "call" and len(names) <= 3
    assert any("stop" in line or "closed" in line for line in result.log)  # type: ignore[attr-defined]


def test_cli_fill(tmp_path: Path) -> None:
    pool, dev = corpus(400, 0.3, 1), corpus(100, 0.3, 2)
    pool[["text"]].to_csv(tmp_path / "pool.csv", index=False)
    dev.assign(label=dev.label.map({0: "ham", 1: "spam"})).to_csv(tmp_path / "dev.csv",
                                                                    index=False)
    (tmp_path / "s.lf").write_text("labels: ham, spam\nlf kw: text contains ?w -> spam\n")
    runner = CliRunner()
    args = ["fill", str(tmp_path / "s.lf"), "--data", str(tmp_path / "pool.csv"), "--dev",
            str(tmp_path / "dev.csv"), "--gold", "label", "-o", str(tmp_path / "rules.lf"),
            "--report", str(tmp_path / "fill.json")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    text = (tmp_path / "rules.lf").read_text()
    assert "# sketch: lf kw: text contains ?w -> spam" in text
    compile_rules(parse(text))
    report = json.loads((tmp_path / "fill.json").read_text())
    assert report["sketches"][0]["sketch"] == "kw" and report["log"]
    # `explicate summary` of the filled file groups the fills under their sketch.
    summ = runner.invoke(app, ["summary", str(tmp_path / "rules.lf"), "--data",
                               str(tmp_path / "pool.csv"), "--json"])
    assert summ.exit_code == 0, summ.output
    records = json.loads(summ.output)["lfs"]
    assert records and all(r["Sketch"] == "kw" for r in records)
    bad = runner.invoke(app, [*args[:7], "nope", *args[8:]])
    assert bad.exit_code == 2 and "gold column 'nope'" in bad.output


# --- the pipeline hook --------------------------------------------------------------------------

def _sketch_pipeline(tmp_path: Path, sketches: str = '"s.lf"', dev: bool = True) -> Path:
    pool, dev_rows, test = corpus(400, 0.3, 1), corpus(100, 0.3, 2), corpus(100, 0.3, 3)
    for name, df in (("train", pool), ("dev", dev_rows), ("test", test)):
        df.assign(label=df.label.map({0: "ham", 1: "spam"})).to_csv(tmp_path / f"{name}.csv",
                                                                     index=False)
    (tmp_path / "rules.lf").write_text('labels: ham, spam\nlf lol: text contains "lol" -> ham\n')
    (tmp_path / "s.lf").write_text("labels: ham, spam\nlf kw: text contains ?w -> spam\n"
                                   "lf kw_ham: text contains ?w -> ham\n")
    (tmp_path / "p.toml").write_text(
        '[data]\ntrain = "train.csv"\n' + ('dev = "dev.csv"\n' if dev else "")
        + 'test = "test.csv"\nlabel_column = "label"\n'
        f'[rules]\nfiles = ["rules.lf"]\nsketches = [{sketches}]\n'
        '[end_model]\nepochs = 1\ngold_upper_bound = false\n[output]\ndir = "out"\n')
    return tmp_path / "p.toml"


def test_pipeline_fills_sketches_from_the_dev_labels(tmp_path: Path) -> None:
    from explicate.runtime.pipeline import run_pipeline

    result = run_pipeline(_sketch_pipeline(tmp_path))
    sketches = result.info["sketches"]["s.lf"]
    assert sketches["dev_rows_labeled"] == 100 and sketches["dev_labels_train_end_model"] is False
    fills = {f["name"]: f for s in sketches["sketches"] for f in s["fills"]}
    assert fills and all(f["name"].startswith(f["sketch"] + "_") for f in fills.values())
    # Fills of one sketch are declared dependent to the label model (pairs within a sketch).
    assert sketches["dependencies_declared"] is True and sketches["dependencies"]
    assert all(fills[a]["sketch"] == fills[b]["sketch"] for a, b in sketches["dependencies"])
    table = result.lf_table
    assert table.loc["lol", "Sketch"] == ""  # plain LFs pass through, ungrouped
    for name, f in fills.items():
        assert table.loc[name, "Sketch"] == f["sketch"]  # summaries group fills by sketch
    # The filled LFs vote on train, and rightly (the label model's input).
    filled = table.loc[list(fills)]
    assert (filled["Coverage"] > 0).all() and (filled["Emp. Acc."] >= 0.9).all()
    rules = (tmp_path / "out" / "rules.lf").read_text()
    assert "# sketch: lf kw: text contains ?w -> spam" in rules
    assert rules.index("# sketch: lf kw:") < rules.index(next(n for n in fills
                                                              if fills[n]["sketch"] == "kw"))
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Sketches" in report and "gold labels of 100 dev rows were used" in report
    assert "do not train the end model but pick its epoch" in report


def test_pipeline_sketches_need_a_labeled_dev_split(tmp_path: Path) -> None:
    from explicate.errors import ExplicateError
    from explicate.runtime.pipeline import run_pipeline

    with pytest.raises(ExplicateError) as info:
        run_pipeline(_sketch_pipeline(tmp_path, dev=False))
    (d,) = info.value.diagnostics
    assert d.code == "E501" and "[data] has no 'dev'" in d.message
    with pytest.raises(ExplicateError) as info:
        run_pipeline(_sketch_pipeline(tmp_path, sketches='"s.lf", "nope.lf"'))
    assert any("sketch file" in d.message and "nope.lf" in d.message
               for d in info.value.diagnostics)


# --- English sketches ---------------------------------------------------------------------------

ENGLISH = [
    ("label HAM because the comment is short", ("HAM", "SPAM"), "count(text) < ?n -> HAM"),
    ("label SPAM because the text is long", ("HAM", "SPAM"), "count(text) > ?n -> SPAM"),
    ("label SPAM because a money word appears", ("HAM", "SPAM"),
     'text contains ?w like "money" -> SPAM'),
    ("label SPAM because the text contains a money word", ("HAM", "SPAM"),
     'text contains ?w like "money" -> SPAM'),
    ("label RIDING because the person is close to the bike", ("NOT_RIDING", "RIDING"),
     'min distance("person", "bike") < ?t -> RIDING'),
    ("label NOT_RIDING because the person is far from the bike", ("NOT_RIDING", "RIDING"),
     'min distance("person", "bike") > ?t -> NOT_RIDING'),
]


@pytest.mark.parametrize(("text", "labels", "dsl"), ENGLISH)
def test_english_naming_a_concept_but_no_value_is_a_sketch(text: str, labels: tuple[str, ...],
                                                           dsl: str) -> None:
    from explicate.grammar.explanation import Context, parse_explanation

    objects = ("objects",) if "RIDING" in labels else ()
    ctx = Context(labels=labels, texts=() if objects else ("text",), objects=objects)
    (reading,) = parse_explanation(text, ctx).readings
    lf = ir.LF("e", ir.Label(reading.label), reading.when)
    assert ir.holes(lf)  # a sketch: the value is left to the data
    printed = to_dsl(lf)
    assert printed == f"lf e: {dsl}"
    # It prints as a sketch the DSL reads back, and the compiler types its holes.
    assert parse_lf(printed) == lf
    compile_rules(parse(f"labels: {', '.join(labels)}\n{printed}\n"), holes=True)


def test_an_english_sketch_is_filled_like_a_written_one() -> None:
    from explicate.grammar.explanation import Context, parse_explanation

    (reading,) = parse_explanation("label ham because the message is short",
                                   Context(labels=("ham", "spam"), texts=("text",))).readings
    lf = ir.LF("short", ir.Label(reading.label), reading.when)
    result = run_fill(to_dsl(lf) + "\n")
    fills = result.fills  # type: ignore[attr-defined]
    assert fills and all(f.label == "ham" and float(f.values["n"]) <= 5 for f in fills)
