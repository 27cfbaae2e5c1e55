"""The LF-result cache (runtime.result_cache): a second run loads L, a new or edited rule is the
only one evaluated, and nothing an LF's votes depend on can be edited without a fresh column:
every L here equals a run without any cache."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explicate.compiler import Program
from explicate.grammar import parse
from explicate.runtime import features, result_cache
from explicate.runtime.apply import apply_program, compile_for
from explicate.runtime.batch_cache import BatchCache
from explicate.runtime.data import RowProblem
from explicate.runtime.entities import Entity, recognizers, use_recognizer

from .toy_recognizer import toy_entities

TEXTS = ["win cash now", "thanks, see you at home", "Call me later", "free prize! call now",
         "ok", "i'm home", "call you right now", "Thanks!", "URGENT reply stop", "a\u200bb is here"]


@pytest.fixture(autouse=True)
def _every_batch_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(result_cache, "MIN_ROWS", 0)


@pytest.fixture()
def evaluated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the LFs each ``Program.apply`` call evaluates, in call order."""
    seen: list[str] = []
    real = Program.apply

    def spy(self: Program, batch: object) -> np.ndarray:
        seen.extend(self.names)
        return real(self, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(Program, "apply", spy)
    yield seen


def run(rules: str, df: pd.DataFrame, cache: BatchCache | None) -> np.ndarray:
    program, schema = compile_for(parse(rules), df)
    assert schema is not None
    return apply_program(program, df, schema, progress=False, jobs=1, cache=cache).L


def same_as_uncached(rules: str, df: pd.DataFrame, cache: BatchCache,
                     evaluated: list[str] | None = None) -> np.ndarray:
    """The cached run's L, checked against a run without caches (done first: ``evaluated``
    then holds what the cached run evaluated)."""
    expected = run(rules, df, None)
    if evaluated is not None:
        evaluated.clear()
    L = run(rules, df, cache)
    assert np.array_equal(L, expected)
    return L


RULES = """labels: HAM, SPAM
words money = "cash", "prize"
lf money: text contains any of @money -> SPAM
lf call_now: "call" followed by "now" within 2 words in text -> SPAM
lf thanks: text contains "thanks" -> HAM
lf short: count(text) < 3 -> HAM
"""


def test_second_run_loads_every_column(tmp_path: Path, evaluated: list[str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path)
    first = run(RULES, df, cache)
    assert evaluated == ["money", "call_now", "thanks", "short"]
    evaluated.clear()
    assert np.array_equal(run(RULES, df, cache), first)
    assert evaluated == []
    assert np.array_equal(first, run(RULES, df, None))


def test_a_new_rule_is_the_only_one_evaluated(tmp_path: Path, evaluated: list[str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path)
    run(RULES, df, cache)
    evaluated.clear()
    more = RULES.replace("lf thanks:", 'lf home: text contains "home" -> HAM\nlf thanks:')
    L = same_as_uncached(more, df, cache, evaluated)
    assert evaluated == ["home"]
    assert L.shape == (len(TEXTS), 5)


@pytest.mark.parametrize("edit", [
    ('"thanks" -> HAM', '"home" -> HAM'),                      # a phrase
    ('"cash", "prize"', '"cash", "urgent"'),                   # a word list
    ("within 2 words", "within 1 words"),                      # a number
    ('text contains "thanks"', 'text contains case "Thanks"'),
    ("count(text) < 3", "count(text) <= 3"),                   # an operator
])
def test_an_edited_rule_is_evaluated_again(tmp_path: Path, evaluated: list[str],
                                           edit: tuple[str, str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path)
    before = run(RULES, df, cache)
    evaluated.clear()
    edited = RULES.replace(*edit)
    assert edited != RULES
    after = same_as_uncached(edited, df, cache, evaluated)
    assert len(evaluated) == 1  # the others are loaded
    assert not np.array_equal(before, after)


def test_label_order_and_label_edits_reuse_the_columns(tmp_path: Path,
                                                       evaluated: list[str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path)
    run(RULES, df, cache)
    evaluated.clear()
    swapped = RULES.replace("labels: HAM, SPAM", "labels: SPAM, HAM")
    relabeled = RULES.replace('"thanks" -> HAM', '"thanks" -> SPAM')
    moved = RULES.replace("lf money:", "lf riches:")
    for rules in (swapped, relabeled, moved):
        same_as_uncached(rules, df, cache, evaluated)
        assert evaluated == []


def test_edited_data_is_evaluated_again(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path)
    base = same_as_uncached(RULES, pd.DataFrame({"text": TEXTS}), cache)
    for texts in (TEXTS[:-1] + ["win cash"],       # one row changed
                  TEXTS + ["thanks"],               # a row more
                  TEXTS[1:] + TEXTS[:1],            # the same rows in another order
                  [None if t == "ok" else t for t in TEXTS]):  # one row missing
        L = same_as_uncached(RULES, pd.DataFrame({"text": texts}), cache)
        assert not np.array_equal(L, base) or L.shape != base.shape


def test_numbers_and_mentions_are_part_of_the_key(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path)
    rules = ("labels: N, Y\nspans: p1, p2 in sentence\n"
             'lf h: "husband" between p1 and p2 -> Y\nlf s: score > 0.5 -> Y\n'
             "lf c: p1 is capitalized -> Y\n")
    df = pd.DataFrame({"sentence": ["Ann and her husband Bo", "cy and her husband Di"],
                       "p1": ["Ann", "cy"], "p2": ["Bo", "Di"], "score": [0.9, 0.1]})
    first = same_as_uncached(rules, df, cache)
    assert not np.array_equal(first, same_as_uncached(rules, df.assign(score=[0.1, 0.9]), cache))
    assert not np.array_equal(first, same_as_uncached(rules, df.assign(p1=["her", "cy"]),
                                                      cache))
    # The same mentions given by offsets: the host text is then read raw, not normalized.
    text = "Ann said Bo is her husband and Ann smiled"
    by_offsets = pd.DataFrame({"sentence": [text], "p1_start": [31], "p1_end": [34],
                               "p2": ["Bo"], "score": [1.0]})
    same_as_uncached(rules, by_offsets, cache)
    same_as_uncached(rules, by_offsets.assign(p1_start=[0], p1_end=[3]), cache)


def test_normalization_is_part_of_the_key(tmp_path: Path) -> None:
    # 'a\u200bb' reads as "ab" normalized; with a mention by offsets the host is read raw.
    cache = BatchCache(tmp_path)
    rules = 'labels: N, Y\nspans: p in text\nlf ab: text contains "ab" -> Y\n'
    plain = pd.DataFrame({"text": ["a\u200bb x"], "p": ["x"]})
    offsets = pd.DataFrame({"text": ["a\u200bb x"], "p_start": [4], "p_end": [5]})
    assert same_as_uncached(rules, plain, cache).tolist() == [[1]]
    assert same_as_uncached(rules, offsets, cache).tolist() == [[-1]]


class Shouting:
    """A recognizer unlike the toy one: every all-caps word is a PERSON."""

    def available(self) -> str | None:
        return None

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]:
        return [[(s, e, "PERSON" if label == "ORG" else label) for s, e, label in toy_entities(t)]
                for t in texts]


recognizers.register("shouting", func=Shouting)


def test_the_recognizer_is_part_of_the_key(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path)
    rules = "labels: N, Y\nlf p: count(a PERSON in text) >= 1 -> Y\n"
    df = pd.DataFrame({"text": ["IBM is big", "Ann is here", "nobody"]})
    with use_recognizer("toy"):
        toy = same_as_uncached(rules, df, cache)
    with use_recognizer("shouting"):
        shouting = same_as_uncached(rules, df, cache)
    assert toy.tolist() == [[-1], [1], [-1]] and shouting.tolist() == [[1], [1], [-1]]


def test_a_damaged_entry_is_removed_and_evaluated_again(tmp_path: Path,
                                                        evaluated: list[str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path)
    first = run(RULES, df, cache)
    files = sorted((tmp_path / f"votes-v{result_cache.FORMAT}").rglob("*.bits"))
    assert len(files) == 4
    files[0].write_bytes(b"not an array")
    files[1].write_bytes(b"\x00" * 3)  # the wrong length
    flipped = bytearray(files[2].read_bytes())
    flipped[0] ^= 1
    files[2].write_bytes(bytes(flipped))  # one bit flipped
    evaluated.clear()
    assert np.array_equal(run(RULES, df, cache), first)
    assert len(evaluated) == 3


def test_small_batches_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(result_cache, "MIN_ROWS", len(TEXTS) + 1)
    run(RULES, pd.DataFrame({"text": TEXTS}), BatchCache(tmp_path))
    assert not (tmp_path / f"votes-v{result_cache.FORMAT}").exists()


def test_the_switch_turns_it_off(tmp_path: Path, evaluated: list[str]) -> None:
    df = pd.DataFrame({"text": TEXTS})
    program, schema = compile_for(parse(RULES), df)
    assert schema is not None
    for _ in range(2):
        apply_program(program, df, schema, progress=False, cache=BatchCache(tmp_path),
                      lf_cache=False)
    assert len(evaluated) == 8


def test_the_canonical_form_leaves_out_positions_only() -> None:
    a = parse('labels: A, B\nlf x: text contains "cash" -> B\n').lfs[0]
    b = parse('labels: A, B\n\n\nlf y:   text contains "cash" -> A\n').lfs[0]
    c = parse('labels: A, B\nlf x: text contains "Cash" -> B\n').lfs[0]
    assert a.when.span != b.when.span
    assert result_cache.canonical(a.when) == result_cache.canonical(b.when)
    assert result_cache.canonical(a.when) != result_cache.canonical(c.when)


POOL = ['text contains "call"', 'text contains any of @w', '"call" followed by "now" in text',
        "count(text) < 4", 'text starts with "ok"', 'text contains "home" and not '
        'text contains "free"', "score > 0.5", 'text matches /c.ll/i']
WORDS = ['"cash"', '"cash", "prize"', '"home", "me"']


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(POOL), min_size=1, max_size=4),
                          st.sampled_from(WORDS), st.permutations(range(len(TEXTS))),
                          st.lists(st.sampled_from([0.0, 0.7]), min_size=len(TEXTS),
                                   max_size=len(TEXTS))),
                min_size=2, max_size=4))
def test_any_sequence_of_edits_gives_the_uncached_L(tmp_path_factory: pytest.TempPathFactory,
                                                   runs: list[tuple[list[str], str,
                                                                    list[int], list[float]]]
                                                   ) -> None:
    cache = BatchCache(tmp_path_factory.mktemp("results"))
    for conditions, words, order, scores in runs:
        rules = f"labels: A, B\nwords w = {words}\n" + "".join(
            f"lf r{i}: {c} -> {'AB'[i % 2]}\n" for i, c in enumerate(conditions))
        df = pd.DataFrame({"text": [TEXTS[i] for i in order], "score": scores})
        same_as_uncached(rules, df, cache)


def test_a_second_run_tokenizes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.DataFrame({"text": TEXTS})
    cache = BatchCache(tmp_path, min_chars=0)
    first = run(RULES, df, cache)
    calls: list[str] = []
    real_tokenize, real_get = features.tokenize_strings, BatchCache.get
    monkeypatch.setattr(features, "tokenize_strings",
                        lambda *a: calls.append("tokenize") or real_tokenize(*a))
    monkeypatch.setattr(BatchCache, "get",
                        lambda self, key: calls.append("load") or real_get(self, key))
    assert np.array_equal(run(RULES, df, cache), first)
    assert calls == []  # every LF loaded: the text was neither tokenized nor loaded
    more = RULES + 'lf home: text contains "home" -> HAM\n'
    same_as_uncached(more, df, cache)
    assert "load" in calls  # a new LF reads the column: from the batch cache


def test_lazy_text_builds_the_same_batch() -> None:
    rules = ("labels: N, Y\nspans: p1, p2 in sentence\n"
             'lf h: "husband" between p1 and p2 -> Y\nlf t: sentence contains "her" -> Y\n')
    df = pd.DataFrame({"sentence": ["Ann and her husband Bo", "Cy is here", None],
                       "p1": ["Ann", "Cy", "x"], "p2": ["Bo", "Zed", "y"]})
    program, schema = compile_for(parse(rules), df)
    assert schema is not None
    built = []
    for lazy in (False, True):
        problems: list[RowProblem] = []
        batch = features.build_batch(df, program, schema, problems=problems, cache=None,
                                     lazy_text=lazy)
        built.append((batch, problems))
    (eager, p_eager), (lazy, p_lazy) = built
    assert p_eager == p_lazy and len(p_eager) == 2
    assert eager.digests == lazy.digests
    assert {k: v.tolist() for k, v in eager.valids.items()} == \
        {k: v.tolist() for k, v in lazy.valids.items()}
    assert np.array_equal(program.apply(eager), program.apply(lazy))
