"""Writing a run's output folder so that an interrupted or concurrent run never leaves a mix.

- Every artifact is written to a temporary name in the same folder and renamed into place
  (``os.replace`` is atomic on one file system): a file is either the old one or the new one,
  never half written.
- ``run.json`` (the manifest: each artifact's size and SHA-256, the run's inputs) is written
  last, and removed before the first artifact of a new run is replaced. A folder without it holds
  an unfinished run; ``explicate run`` simply runs again (the label-matrix cache keeps what is
  still valid).
- An output folder is locked (``.explicate.lock``, an OS file lock released when the process
  ends, however it ends) so a second run on it stops with E503 instead of interleaving files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from explicate.errors import Diagnostic, ExplicateError

MANIFEST = "run.json"
LOCK = ".explicate.lock"


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path`` with the same suffix (numpy adds ``.npy``/``.npz`` to names
    without theirs)."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def write_atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` then rename ``tmp`` to ``path``; the temporary file is removed when
    writing fails or is interrupted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def begin(out: Path) -> None:
    """Mark the folder as holding an unfinished run: remove the previous manifest."""
    with contextlib.suppress(FileNotFoundError):
        (out / MANIFEST).unlink()


def finish(out: Path, files: dict[str, str], info: dict[str, Any]) -> Path:
    """Write the manifest last: every artifact's name, size and SHA-256, and ``info``."""
    listed = {key: {"file": name, "bytes": (out / name).stat().st_size,
                    "sha256": sha256(out / name)}
              for key, name in sorted(files.items()) if (out / name).is_file()}
    body = {"complete": True, "artifacts": listed, **info}
    return write_text_atomic(out / MANIFEST, json.dumps(body, indent=2, default=str))


def verify(out: Path) -> list[str]:
    """What is wrong with a finished run's folder (no manifest, a file missing or changed);
    empty when every artifact is the one the manifest lists."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return [f"{out} has no {MANIFEST}: the run did not finish"]
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["artifacts"]
    except (ValueError, KeyError, TypeError):
        return [f"{manifest} is not a manifest"]
    problems = []
    for key, entry in listed.items():
        f = out / entry["file"]
        if not f.is_file():
            problems.append(f"{key}: {f} is missing")
        elif sha256(f) != entry["sha256"]:
            problems.append(f"{key}: {f} changed after the run")
    return problems


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock for a run (E503 when another run holds it)."""
    out.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: runs are not locked against each other
        yield
        return
    with (out / LOCK).open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ExplicateError([Diagnostic(
                "E503", f"output folder '{out}' is in use by another run ({holder})", None, "",
                ("wait for it to finish, or give this run another folder with -o DIR",))]
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
