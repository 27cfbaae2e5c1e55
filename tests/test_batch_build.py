"""Batch building: joined tokenization == per-row tokenization, parallel == one process, and the
on-disk batch cache (hit, miss on any change, corrupt entries rebuilt, switched off)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from explicate.cli import app
from explicate.errors import ExplicateError
from explicate.runtime import batch_cache, utf8
from explicate.runtime import tokens as tokens_mod
from explicate.runtime.apply import apply_rules
from explicate.runtime.batch_cache import BatchCache
from explicate.runtime.data.normalize import normalize_texts
from explicate.runtime.features import normalized, tokenize_column
from explicate.runtime.tokens import (
    ChunkStore,
    TokenArrays,
    default_jobs,
    token_arrays,
    token_text,
    tokenize_strings,
    tokenizer,
)

FIELDS = ("lower", "orth", "offsets", "char_start", "char_end")
PIECES = ["win", "Free", "don't", "U.S.", "e.g.", ":)", "£100", "?!", "http://x.co/a", "日本",
          "café", "e\u0301", "\u200b", " ", "  ", "\n", "\t", "\r\n", "\xa0", "\u3000", "-", "'s",
          # every other multi-byte whitespace, and neighbours that are not whitespace
          "\x1c", "\x1f", "\x85", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f",
          "\u205f", "\u2019", "\u2060", "\u00a9", "\u1681", "\u3001", "\u200c", "\x84",
          "😀", "👍🏽", "🇫🇷", "ß", "İ", "\u0301"]


def per_row(strings: list[str]) -> TokenArrays:
    """The specification: each row tokenized on its own, whitespace tokens dropped."""
    tok = tokenizer().tokenizer
    rows = [[t for t in tok(s) if not t.is_space] for s in strings]
    flat = [t for r in rows for t in r]
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    return TokenArrays(
        lower=np.array([t.lower for t in flat], dtype=np.uint64),
        orth=np.array([t.orth for t in flat], dtype=np.uint64),
        offsets=offsets,
        char_start=np.array([t.idx for t in flat], dtype=np.int64),
        char_end=np.array([t.idx + len(t.text) for t in flat], dtype=np.int64),
    )


def same(a: TokenArrays, b: TokenArrays) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


texts = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=12)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_joined_tokenization_is_per_row_tokenization(strings: list[str]) -> None:
    assert same(token_arrays(strings), per_row(strings))


def test_whitespace_set_is_pythons() -> None:
    from explicate.runtime.utf8 import SPACE_CODE_POINTS

    assert set(SPACE_CODE_POINTS) == {c for c in range(0x110000) if chr(c).isspace()}


with_nulls = st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join) | st.none(),
                      max_size=12)


@settings(max_examples=100, deadline=None)
@given(with_nulls, st.integers(0, 4), st.integers(1, 4))
def test_arrow_input_is_the_same_as_strings(values: list[str | None], cut: int, parts: int
                                            ) -> None:
    """Arrow arrays (nulls read as "", slices, several chunks) tokenize as the Python strings."""
    plain = [v or "" for v in values]
    arr = pa.array(values, type=pa.string())
    bounds = sorted({0, len(values), *range(cut, len(values), max(1, len(values) // parts))})
    chunked = pa.chunked_array([arr[a:b] for a, b in zip(bounds, bounds[1:], strict=False)],
                               type=pa.string())
    want = per_row(plain)
    assert same(token_arrays(arr), want)
    assert same(token_arrays(chunked), want)
    assert same(token_arrays(pa.array(["pad", *values], type=pa.string())[1:]), want)
    assert same(token_arrays(arr.cast(pa.large_string())), want)
    assert normalized(pa.array(plain, type=pa.string())).to_pylist() == normalize_texts(plain)


def test_store_restarts_past_its_limit_and_threads_share_it(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from concurrent.futures import ThreadPoolExecutor

    strings = [f"row {i} says win{i % 37} a Free prize :) {'x' * (i % 5)}, ok?" for i in range(400)]
    want = per_row(strings)
    monkeypatch.setattr(tokens_mod, "ROW_GROUP_BYTES", 300)  # many groups, each a store lookup
    small = ChunkStore(limit=50)  # under the column's 449 distinct chunks: it restarts
    monkeypatch.setattr(tokens_mod, "_STORE", small)
    assert same(token_arrays(strings), want)
    assert 0 < len(small) <= 50
    monkeypatch.setattr(tokens_mod, "_STORE", ChunkStore())
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda k: token_arrays(strings[k:] + strings[:k]), range(0, 400, 25)))
    for k, g in zip(range(0, 400, 25), got, strict=True):
        assert same(g, per_row(strings[k:] + strings[:k]))


def test_threads_reading_the_store_while_others_add_and_restart_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookups read the store without its lock while other threads add chunks and restart it
    (a limit under one column's chunks): every thread still gets spaCy's tokens."""
    from concurrent.futures import ThreadPoolExecutor

    strings = [f"t{i} r{i % 53}x, {i % 7}km q{i % 11}:) win{i % 3}" for i in range(600)]
    monkeypatch.setattr(tokens_mod, "ROW_GROUP_BYTES", 200)
    monkeypatch.setattr(tokens_mod, "_STORE", ChunkStore(limit=60))
    rotations = [strings[k:] + strings[:k] for k in range(0, 600, 40)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(token_arrays, rotations))
    for g, rows in zip(got, rotations, strict=True):
        assert same(g, per_row(rows))


def test_rows_split_across_several_joined_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    strings = ["a b c", "", "dd ee", "f", " g ", "hh"] * 7
    monkeypatch.setattr(tokens_mod, "GROUP_CHARS", 9)  # several rows per text, some alone
    assert same(token_arrays(strings), per_row(strings))


CHUNK_PIECES = ["w", "W", "a", "Z", "w70", "3", "km", "am", "pm", "s", "t", "m", "1", "5", "0",
                "23", ".", ",", "'", "-", "/", "$", "%", "+", ":", ")", "(", "!", "?", "é", "ß", "’",
                "#", "@",
                "http://", "www.", ".com", "US$", "im", "dont", "cannot", "gonna", "e.g", "°C"]
chunk_lists = st.lists(st.lists(st.sampled_from(CHUNK_PIECES), min_size=1, max_size=5)
                       .map("".join), unique=True, max_size=30)


@settings(max_examples=200, deadline=None)
@given(chunk_lists)
def test_chunks_kept_whole_without_spacy_are_spacys_tokens(chunks: list[str]) -> None:
    """The chunks given their one token directly (no lexeme made) get exactly the tokens spaCy
    gives them: the same arrays as tokenizing every chunk with spaCy."""
    tok = tokenizer().tokenizer
    texts = pa.array(chunks, type=pa.large_string())
    fast, fast_of = tokens_mod.chunk_tokens(texts, chunks, tok)
    slow, slow_of = tokens_mod.joined_tokens(chunks, tok)
    assert np.array_equal(fast, slow) and np.array_equal(fast_of, slow_of)
    for c, whole in zip(chunks, tokens_mod.single_tokens(texts, chunks, tok), strict=True):
        if whole:
            assert [t.text for t in tok(c)] == [c]


def test_every_short_plain_chunk_is_one_spacy_token() -> None:
    """``PLAIN`` (letters only, or letters and digits ending in a digit) against spaCy itself:
    every such ASCII chunk of up to three characters that is not a special case is one token,
    and the ones the class leaves out include chunks spaCy does split (``5km``, ``3g``)."""
    import itertools
    import re
    import string

    tok = tokenizer().tokenizer
    plain = re.compile(tokens_mod.PLAIN)
    alphabet = string.ascii_letters + string.digits
    checked, wrong = 0, []
    for size in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=size):
            c = "".join(chars)
            if plain.match(c) and c not in tok.rules:
                checked += 1
                if len(tok(c)) != 1:
                    wrong.append(c)
    assert checked > 150_000 and wrong == []
    for c in ("w70", "mp3", "x86", "W2024", "abc"):
        assert plain.match(c)
    for c in ("5km", "3g", "a5km", "10kg", "2GB"):
        assert not plain.match(c) and len(tok(c)) == 2


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=40), st.integers(-50, 50))
def test_gil_free_repeats_are_numpys(counts: list[int], shift: int) -> None:
    """``utf8.group_of`` / ``repeat`` / ``ragged_take`` (made of operations that release the
    GIL) against ``np.repeat`` and concatenated ranges, groups of none included."""
    c = np.array(counts, dtype=np.int64)
    values = np.arange(len(c), dtype=np.int64) * 7 + shift
    first = np.arange(len(c), dtype=np.int64) * 3 + shift
    assert np.array_equal(utf8.group_of(c), np.repeat(np.arange(len(c)), c))
    assert np.array_equal(utf8.repeat(values, c), np.repeat(values, c))
    ranges = [np.arange(f, f + k) for f, k in zip(first.tolist(), counts, strict=True)]
    want = np.concatenate(ranges) if ranges else np.zeros(0, dtype=np.int64)
    assert np.array_equal(utf8.ragged_take(first, c), want)


def test_ids_hashed_without_spacy_read_back_as_text() -> None:
    words = [f"qzv{i}" for i in range(50)] + ["Qzvxyz", "QZVABC"]
    got = token_arrays([" ".join(words)], tok=None)
    assert [token_text(int(i)) for i in got.orth] == words
    assert [token_text(int(i)) for i in got.lower] == [w.lower() for w in words]


def test_parallel_equals_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    strings = [f"row {i} says win a Free prize :) {'x' * (i % 5)}" for i in range(300)]
    monkeypatch.setattr(tokens_mod, "PARALLEL_CHARS", 0)
    one = tokenize_strings(strings, jobs=1)
    assert same(one, per_row(strings))
    for jobs in (2, 3):
        assert same(tokenize_strings(strings, jobs=jobs), one)


def test_jobs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPLICATE_JOBS", raising=False)
    assert default_jobs() == 1  # one process unless asked
    monkeypatch.setenv("EXPLICATE_JOBS", "3")
    assert default_jobs() == 3
    monkeypatch.setenv("EXPLICATE_JOBS", "many")
    with pytest.raises(ExplicateError) as err:
        default_jobs()
    assert err.value.diagnostics[0].code == "E605"


# --- the cache --------------------------------------------------------------------------------


def column_strings(n: int = 200) -> list[str]:
    return [f"message {i}: call now to win \u200bcash" if i % 3 else f"ok see you {i}"
            for i in range(n)]


def entries(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("columns-v*/*/*") if p.is_dir())


def cols_equal(a: object, b: object) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("lower", "orth", "offsets", "doc_of", "char_start", "char_end")) \
        and a.arrow.equals(b.arrow)  # type: ignore[attr-defined]


def test_cache_hit_gives_the_same_column(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path, min_chars=0)
    strings = column_strings()
    built = tokenize_column(strings, normalize=True, cache=cache)
    assert len(entries(tmp_path)) == 1
    again = tokenize_column(strings, normalize=True, cache=cache)
    assert isinstance(again.lower, np.memmap)  # served from disk, memory-mapped
    assert cols_equal(built, again)
    assert cols_equal(built, tokenize_column(strings, normalize=True, cache=None))
    assert "\u200b" not in again.strings[1]  # the normalized text is what is cached


def test_a_new_process_reads_cached_token_ids_back_as_text(tmp_path: Path) -> None:
    # A batch loaded from the cache by another process holds ids spaCy never made there; code
    # that turns ids back into words (concept pools, sketch vocabularies) must still get them.
    # Both runs are fresh processes: this one's tokenizer may have been changed by other tests.
    import subprocess
    import sys

    words = [f"zqx{i}word" for i in range(300)]
    strings = [" ".join(words[i:i + 5]) + " Marriage" for i in range(len(words))]
    code = f"""
import json, sys
from pathlib import Path
import numpy as np
from explicate.runtime.batch_cache import BatchCache
from explicate.runtime.features import tokenize_column
from explicate.runtime.tokens import token_text
col = tokenize_column(json.loads(sys.argv[1]), cache=BatchCache(Path({str(tmp_path)!r}), min_chars=0))
if sys.argv[2] == "read":
    assert isinstance(col.lower, np.memmap), "not served from the cache"
    print(json.dumps(sorted({{token_text(int(i)) for i in np.concatenate([col.lower, col.orth])}})))
"""
    for step in ("write", "read"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(strings), step],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == sorted(set(words) | {"marriage", "Marriage"})


def test_any_change_is_a_miss(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path, min_chars=0)
    strings = column_strings()
    tokenize_column(strings, normalize=True, cache=cache)
    changed = list(strings)
    changed[58] = changed[58].replace("win", "won")
    assert changed[58] != strings[58]
    col = tokenize_column(changed, normalize=True, cache=cache)
    assert len(entries(tmp_path)) == 2
    assert cols_equal(col, tokenize_column(changed, normalize=True, cache=None))
    tokenize_column(strings, normalize=False, cache=cache)  # normalization is in the key
    tokenize_column(strings[:-1], normalize=True, cache=cache)  # so are the rows
    tokenize_column(strings[:2] + ["".join(strings[2:4])] + strings[4:], normalize=True,
                    cache=cache)  # and where one row ends
    assert len(entries(tmp_path)) == 5


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta", "missing"])
def test_corrupt_entry_is_rebuilt_not_served(tmp_path: Path, damage: str) -> None:
    cache = BatchCache(tmp_path, min_chars=0)
    strings = column_strings()
    good = tokenize_column(strings, normalize=True, cache=None)
    tokenize_column(strings, normalize=True, cache=cache)
    (entry,) = entries(tmp_path)
    target = entry / "lower.npy"
    data = bytearray(target.read_bytes())
    if damage == "flip":
        data[-5] ^= 0x10
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "meta":
        (entry / "meta.json").write_text("{not json")
    else:
        (entry / "orth.npy").unlink()
    again = tokenize_column(strings, normalize=True, cache=cache)
    assert cols_equal(good, again)
    (rebuilt,) = entries(tmp_path)  # rewritten, and good now
    meta = json.loads((rebuilt / "meta.json").read_text())
    assert meta["n"] == len(strings)
    assert cols_equal(good, tokenize_column(strings, normalize=True, cache=cache))


def test_small_columns_are_not_cached(tmp_path: Path) -> None:
    cache = BatchCache(tmp_path)  # the default threshold
    tokenize_column(column_strings(20), cache=cache)
    assert entries(tmp_path) == []


def test_commands_share_the_cache_and_no_cache_turns_it_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("EXPLICATE_CACHE", str(root))
    monkeypatch.setattr(batch_cache, "MIN_CHARS", 0)  # cache even this small file
    data = tmp_path / "d.csv"
    pd.DataFrame({"text": column_strings(300)}).to_csv(data, index=False)
    rules = tmp_path / "r.lf"
    rules.write_text('labels: HAM, SPAM\nlf win: text contains "win" -> SPAM\n'
                     'lf ok: text starts with "ok" -> HAM\n')
    runner = CliRunner()
    first = runner.invoke(app, ["summary", str(rules), "--data", str(data)])
    assert first.exit_code == 0, first.output
    assert len(entries(root)) == 1
    stamp = {p: p.stat().st_mtime_ns for p in entries(root)}
    second = runner.invoke(app, ["apply", str(rules), "--data", str(data), "-o", str(tmp_path / "L.npz")])
    assert second.exit_code == 0, second.output
    assert {p: p.stat().st_mtime_ns for p in entries(root)} == stamp  # served, not rewritten
    off = runner.invoke(app, ["--no-cache", "summary", str(rules), "--data", str(data)])
    assert off.exit_code == 0 and off.stdout == first.stdout
    pd.DataFrame({"text": column_strings(301)}).to_csv(data, index=False)
    with_off = runner.invoke(app, ["--no-cache", "summary", str(rules), "--data", str(data)])
    assert with_off.exit_code == 0
    assert len(entries(root)) == 1  # --no-cache neither reads nor writes


def test_same_labels_with_and_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.DataFrame({"text": column_strings(400) + [None, 3]})  # type: ignore[list-item]
    rules = 'labels: HAM, SPAM\nlf win: "call" followed by "win" in text -> SPAM\n' \
            'lf see: text contains "see you" -> HAM\nlf re: text matches /[0-9]+1/ -> SPAM\n'
    monkeypatch.setenv("EXPLICATE_CACHE", "off")
    plain = apply_rules(rules, df)
    monkeypatch.setenv("EXPLICATE_CACHE", str(tmp_path))
    monkeypatch.setattr(batch_cache, "MIN_CHARS", 0)
    cold, warm = apply_rules(rules, df), apply_rules(rules, df)
    assert len(entries(tmp_path)) == 1
    for got in (cold, warm):
        assert np.array_equal(got.L, plain.L)
        assert got.problems == plain.problems  # missing and non-text rows still reported
    assert len(plain.problems) == 2


def test_parallel_apply_gives_the_same_labels_and_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    from explicate.runtime import apply as apply_mod

    df = pd.DataFrame({"text": column_strings(90) + [None] + column_strings(40)})
    rules = 'labels: HAM, SPAM\nlf win: "call" followed by "win" in text -> SPAM\n' \
            'lf see: text contains "see you" -> HAM\nlf re: text matches /[0-9]+1/ -> SPAM\n'
    monkeypatch.setenv("EXPLICATE_CACHE", "off")
    monkeypatch.setenv("EXPLICATE_JOBS", "1")
    one = apply_rules(rules, df)
    monkeypatch.setattr(apply_mod, "PARALLEL_ROWS", 10)
    monkeypatch.setenv("EXPLICATE_JOBS", "3")
    three = apply_rules(rules, df)
    assert np.array_equal(one.L, three.L)
    assert one.problems == three.problems and [p.row for p in one.problems] == [91]


def test_the_warm_piece_only_in_a_process_that_has_tokenized_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from explicate.runtime import apply as apply_mod

    tokens_mod.tokenize_strings(["warm the store"])
    assert apply_mod.warm_rows(100_000) == 0  # forks at once: the children inherit the store
    monkeypatch.setattr(apply_mod, "chunk_store", tokens_mod.ChunkStore)  # as a new process
    assert apply_mod.warm_rows(100_000) == apply_mod.WARM_ROWS
    assert apply_mod.warm_rows(500) == 50  # at most a tenth of the rows


@pytest.mark.parametrize(("chunk_rows", "cold"), [(50_000, False), (7, False), (7, True)])
def test_apply_in_forked_processes_equals_one_process(monkeypatch: pytest.MonkeyPatch,
                                                      chunk_rows: int, cold: bool) -> None:
    # Pieces shrinking as the rows run out, and pieces of 7 rows: L and the problems as one
    # process; forking at once (this process has tokenized before) or after a warm piece alone
    # (``cold``: as if it had not).
    from explicate.compiler import compile_rules
    from explicate.grammar.parse import parse
    from explicate.runtime import apply as apply_mod
    from explicate.runtime.data.schema import infer_schema

    if tokens_mod.fork_context() is None:
        pytest.skip("no fork start method on this OS")
    monkeypatch.setattr(apply_mod, "PARALLEL_ROWS", 10)
    monkeypatch.setattr(apply_mod, "PIECE_ROWS", 1)
    if cold:
        monkeypatch.setattr(apply_mod, "chunk_store", tokens_mod.ChunkStore)
    texts = column_strings() * 4
    df = pd.DataFrame({"text": [t if i % 9 else None for i, t in enumerate(texts)]})
    rules = parse('labels: HAM, SPAM\nlf a: text contains "win" -> SPAM\n'
                  'lf b: count(text) > 3 -> HAM\n')
    schema = infer_schema(df)
    program = compile_rules(rules, schema)
    one = apply_mod.apply_program(program, df, schema, progress=False, jobs=1, cache=None,
                                  lf_cache=False)
    for jobs in (2, 3):
        many = apply_mod.apply_program(program, df, schema, progress=False, jobs=jobs,
                                       cache=None, lf_cache=False, chunk_rows=chunk_rows)
        assert np.array_equal(many.L, one.L)
        assert many.problems == one.problems and one.problems
