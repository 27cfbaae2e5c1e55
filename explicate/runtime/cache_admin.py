"""Looking after the cache directory (``explicate cache``): what it holds, clearing and pruning.

The directory holds three kinds of entries, each under a folder named for its format version:
``columns-vN/`` (``runtime.batch_cache``: one directory of arrays per tokenized text column),
``votes-vN/`` (``runtime.result_cache``: one file per LF result) and ``parsers-vN/``
(``grammar.prebuilt``: one built lark parser per grammar version, in a folder per parser). A hit
marks its entry used (``batch_cache.touch``; a parser's file is dated by its writing), so
pruning removes the least recently used first; entries of a format this version no longer reads
go before any other, and so do temporary files that a writer left behind (one killed
mid-write) once they are an hour old.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar import prebuilt
from explicate.runtime import batch_cache, result_cache

KINDS = {"columns": batch_cache.FORMAT, "votes": result_cache.FORMAT,
         "parsers": prebuilt.FORMAT}
"""Entry kind (folder name before ``-vN``) -> the format this version reads."""
STALE_TEMP_S = 3600.0


@dataclass(frozen=True)
class CacheEntry:
    """One entry (or leftover temporary file) on disk."""

    kind: str  # a key of KINDS
    path: Path
    size: int  # bytes
    used: float  # seconds since the epoch it was last written or served
    current: bool  # of the format this version reads (else nothing reads it any more)
    temporary: bool = False


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _used(path: Path) -> float:
    meta = path / "meta.json"
    return (meta if meta.is_file() else path).stat().st_mtime


def entries(root: Path) -> list[CacheEntry]:
    """Every entry under ``root``, of every kind and format."""
    found: list[CacheEntry] = []
    for folder in sorted(root.glob("*-v*")) if root.is_dir() else []:
        kind, _, version = folder.name.rpartition("-v")
        if kind not in KINDS or not version.isdigit() or not folder.is_dir():
            continue
        current = int(version) == KINDS[kind]
        for shard in sorted(p for p in folder.iterdir() if p.is_dir()):
            for item in sorted(shard.iterdir()):
                try:
                    found.append(CacheEntry(kind, item, _size(item), _used(item), current,
                                            item.name.startswith(".tmp-")))
                except FileNotFoundError:
                    continue  # removed meanwhile by another process
    return found


@dataclass(frozen=True)
class Usage:
    """What the cache holds, per kind: (entries, bytes)."""

    root: Path
    kinds: dict[str, tuple[int, int]]

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.kinds.values())

    @property
    def total_entries(self) -> int:
        return sum(count for count, _ in self.kinds.values())


def usage(root: Path) -> Usage:
    kinds = {kind: (0, 0) for kind in KINDS}
    for e in entries(root):
        count, size = kinds[e.kind]
        kinds[e.kind] = (count + 1, size + e.size)
    return Usage(root, kinds)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clear(root: Path) -> Usage:
    """Remove every entry; returns what there was."""
    before = usage(root)
    for folder in root.glob("*-v*") if root.is_dir() else []:
        kind, _, version = folder.name.rpartition("-v")
        if kind in KINDS and version.isdigit():
            _remove(folder)
    # Built parsers an earlier layout kept at the top of the directory (now under parsers-vN/).
    for parser in root.glob("*-parser-*.pickle") if root.is_dir() else []:
        _remove(parser)
    return before


def prune(root: Path, max_bytes: int, now: float | None = None) -> list[CacheEntry]:
    """Remove entries until the cache takes at most ``max_bytes``: first leftover temporary
    files over an hour old and entries of old formats, then the least recently used. Returns
    what was removed."""
    now = time.time() if now is None else now
    found = entries(root)
    removed: list[CacheEntry] = []
    kept: list[CacheEntry] = []
    for e in found:
        stale_temp = e.temporary and now - e.used > STALE_TEMP_S
        if stale_temp or not e.current:
            _remove(e.path)
            removed.append(e)
        elif not e.temporary:
            kept.append(e)
    gone = {e.path for e in removed}
    total = sum(e.size for e in found if e.path not in gone)
    for e in sorted(kept, key=lambda e: e.used):
        if total <= max_bytes:
            break
        _remove(e.path)
        removed.append(e)
        total -= e.size
    return removed


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6,
          "mib": 2**20, "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12,
          "tib": 2**40}


def parse_size(text: str) -> int:
    """Bytes from a size such as ``500MB``, ``2G``, ``1.5GiB`` or ``1000000`` (E605 otherwise)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise ExplicateError([Diagnostic(
            "E605", f"--max-size: '{text}' is not a size", None, "",
            ("write a number of bytes with an optional unit: 500MB, 2G, 1.5GiB",))])
    return int(float(m.group(1)) * _UNITS[unit])


def human(size: int) -> str:
    """``size`` bytes in the largest unit under which it is at least 1 (decimal units)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
