"""``explicate cache info | clear | prune`` and the pruning order (runtime.cache_admin)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explicate.cli import app
from explicate.runtime import batch_cache, cache_admin, result_cache

runner = CliRunner()

RULES = 'labels: A, B\nlf c: text contains "cash" -> B\nlf o: text starts with "ok" -> A\n'


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv(batch_cache.ENV, str(root))
    monkeypatch.setattr(batch_cache, "MIN_CHARS", 0)
    monkeypatch.setattr(result_cache, "MIN_ROWS", 0)
    return root


def fill(tmp_path: Path, texts: list[str]) -> None:
    """One ``explicate apply`` run: a column and two LF results into the cache."""
    rules, data = tmp_path / "r.lf", tmp_path / f"d{len(texts)}.csv"
    rules.write_text(RULES)
    pd.DataFrame({"text": texts}).to_csv(data, index=False)
    result = runner.invoke(app, ["apply", str(rules), "--data", str(data), "-o",
                                 str(tmp_path / "L.npz")])
    assert result.exit_code == 0, result.output


def test_info_counts_what_apply_stored(tmp_path: Path, cache: Path) -> None:
    fill(tmp_path, ["win cash", "ok then"])
    result = runner.invoke(app, ["cache", "info"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"cache: {cache}"
    assert lines[1].split()[:4] == ["tokenized", "columns", "1", "entries"]
    assert lines[2].split()[:4] == ["LF", "results", "2", "entries"]
    usage = cache_admin.usage(cache)
    # (the DSL parser built by this process may be there too, under "parsers")
    assert usage.kinds["columns"][0] + usage.kinds["votes"][0] == 3 and usage.total_bytes > 0


def test_clear_removes_everything_and_runs_still_agree(tmp_path: Path, cache: Path) -> None:
    fill(tmp_path, ["win cash", "ok then"])
    before = np.load(tmp_path / "L.npz")["L"]
    (cache / "dsl-parser-0123.pickle").write_bytes(b"a parser")  # where an earlier layout kept it
    result = runner.invoke(app, ["cache", "clear"])
    assert result.exit_code == 0 and "removed 3 entries" in result.output
    assert cache_admin.usage(cache).total_entries == 0
    assert not list(cache.glob("*-parser-*.pickle"))  # old-layout parser files go too
    fill(tmp_path, ["win cash", "ok then"])
    assert np.array_equal(np.load(tmp_path / "L.npz")["L"], before)


def test_prune_removes_the_least_recently_used_first(tmp_path: Path, cache: Path) -> None:
    fill(tmp_path, ["win cash", "ok then"])  # used long ago
    old = cache_admin.entries(cache)
    for e in old:
        target = e.path / "meta.json" if e.path.is_dir() else e.path
        os.utime(target, (time.time() - 86400, time.time() - 86400))
    fill(tmp_path, ["cash", "ok", "no"])  # used now
    new = [e for e in cache_admin.entries(cache) if e.path not in {o.path for o in old}]
    keep = sum(e.size for e in new)
    result = runner.invoke(app, ["cache", "prune", "--max-size", str(keep)])
    assert result.exit_code == 0, result.output
    assert {e.path for e in cache_admin.entries(cache)} == {e.path for e in new}
    result = runner.invoke(app, ["cache", "prune", "--max-size", "0"])
    assert result.exit_code == 0 and cache_admin.usage(cache).total_entries == 0


def test_prune_removes_old_formats_and_leftover_temporaries(cache: Path) -> None:
    old_format = cache / "votes-v0" / "ab" / "abc.npy"
    leftover = cache / f"votes-v{result_cache.FORMAT}" / "cd" / ".tmp-1234-x.npy"
    fresh = cache / f"votes-v{result_cache.FORMAT}" / "cd" / ".tmp-5678-y.npy"
    for f in (old_format, leftover, fresh):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x" * 10)
    hours_ago = time.time() - 2 * cache_admin.STALE_TEMP_S
    os.utime(leftover, (hours_ago, hours_ago))
    removed = cache_admin.prune(cache, max_bytes=10**9)
    assert {e.path for e in removed} == {old_format, leftover}
    assert fresh.exists()  # a writer may still be writing it


def test_a_bad_size_is_a_diagnostic(cache: Path) -> None:
    result = runner.invoke(app, ["cache", "prune", "--max-size", "lots"])
    assert result.exit_code == 2
    assert "E605" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("text", "size"), [("1000", 1000), ("500MB", 500 * 10**6),
                                            ("2G", 2 * 10**9), ("1.5GiB", 3 * 2**29),
                                            ("64 kib", 65536)])
def test_sizes(text: str, size: int) -> None:
    assert cache_admin.parse_size(text) == size


def test_with_the_cache_off_there_is_nothing_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(batch_cache.ENV, "off")
    result = runner.invoke(app, ["cache", "info"])
    assert result.exit_code == 0 and "the cache is off" in result.output
