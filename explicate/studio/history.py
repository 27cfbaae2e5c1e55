"""The rule file on disk: saved atomically, every version kept under its content hash.

Beside ``rules.lf`` lives ``.rules.lf.history/``: ``<sha256[:16]>.lf`` for each distinct text
and ``log.jsonl``, one line per save (time, operation, hash, LF names, metrics). A version is
addressed by its hash (or a unique prefix); two versions can be diffed (rules, votes, metrics).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explicate.errors import Diagnostic, ExplicateError

HASH_CHARS = 16


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half:
    a temporary file in the same folder, flushed and fsynced, then renamed over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Version:
    """One save: which text (by hash), when, by what operation, and the figures at that time."""

    hash: str
    time: float
    op: str
    lfs: tuple[str, ...]
    metrics: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "time": self.time, "op": self.op, "lfs": list(self.lfs),
                "metrics": self.metrics}


class RuleHistory:
    """Saves of one rule file and their content-addressed copies."""

    def __init__(self, path: Path):
        self.path = path
        self.dir = path.parent / f".{path.name}.history"
        self.log = self.dir / "log.jsonl"

    def save(self, text: str, op: str, lfs: tuple[str, ...], metrics: dict[str, Any]) -> Version:
        """Write the rule file atomically and record the version (its text stored once)."""
        h = content_hash(text)
        self.dir.mkdir(parents=True, exist_ok=True)
        copy = self.dir / f"{h}.lf"
        if not copy.exists():
            write_atomic(copy, text)
        write_atomic(self.path, text)
        version = Version(h, round(time.time(), 3), op, lfs, metrics)
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(version.as_json()) + "\n")
        return version

    def versions(self) -> list[Version]:
        if not self.log.is_file():
            return []
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out.append(Version(d["hash"], d["time"], d["op"], tuple(d["lfs"]), d["metrics"]))
        return out

    def resolve(self, ref: str) -> Version:
        """The latest save whose hash starts with ``ref`` (E405 when none or ambiguous)."""
        found = {v.hash: v for v in self.versions() if v.hash.startswith(ref)}
        if len(found) != 1:
            what = "no version" if not found else f"{len(found)} versions"
            raise ExplicateError([Diagnostic("E701", f"{what} of the rule file match '{ref}'",
                                             hints=("GET /api/history lists the versions",))])
        return next(iter(found.values()))

    def text(self, ref: str) -> str:
        return (self.dir / f"{self.resolve(ref).hash}.lf").read_text(encoding="utf-8")
