"""Built parsers (lark's), kept on disk between processes.

Building lark's Earley parser for the explanation grammar (its logic rules instantiated once per
set of clause kinds) takes about a second: lark compiles the grammar and computes, for every
rule, the closure of rules it predicts; the DSL's LALR tables take a tenth of one, a good part
of ``explicate check``'s start-up. Loading a built ``Lark`` takes a fraction of that, so the
first build on a machine is written to the cache directory and later processes load it (an
Earley parser pickled whole, an LALR one in lark's own serialization, ``Lark.save``).

The file is named by a digest of everything the build depends on (the grammar text, the start
symbols, the options, lark's and Python's versions, :data:`FORMAT`), so a changed grammar is a
new file. It is written to a temporary file and renamed into place, so a reader never sees half
of one; one that does not load is rebuilt, never used. Unpickling resolves only lark's classes
and ``functools.partial`` (``_SafeUnpickler``), so a stray file cannot run
code. Where: ``EXPLICATE_CACHE`` (a directory; ``off`` turns it off), else
``$XDG_CACHE_HOME/explicate``, else ``~/.cache/explicate`` (the batch cache's convention).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pickle
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import lark
from lark import Lark

FORMAT = 1
_OFF = ("off", "none", "no", "0", "false")
# What a pickled Earley ``Lark`` refers to besides lark's own classes.
_STANDARD = frozenset({("functools", "partial")})


def cache_dir() -> Path | None:
    """The cache directory from the environment, or None when caching is off."""
    raw = os.environ.get("EXPLICATE_CACHE")
    if raw is not None:
        raw = raw.strip()
        return None if not raw or raw.lower() in _OFF else Path(raw).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "explicate"


def _key(grammar: str, options: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for part in (f"parser {FORMAT}", lark.__version__, sys.version, grammar,
                 repr(sorted(options.items()))):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


class _Pickler(pickle.Pickler):
    """Modules (lark's lexer configuration holds the ``re`` module) are written by name."""

    def persistent_id(self, obj: Any) -> str | None:
        return obj.__name__ if isinstance(obj, types.ModuleType) else None


class _SafeUnpickler(pickle.Unpickler):
    """Resolves lark's classes (and ``functools.partial``) only."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _STANDARD:
            return super().find_class(module, name)
        if (module == "lark" or module.startswith("lark.")) and "." not in name:
            found = super().find_class(module, name)
            # Only what lark itself defines (not a module or function lark imported).
            if getattr(found, "__module__", "").startswith("lark"):
                return found
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        if pid != "re" and not str(pid).startswith("lark"):
            raise pickle.UnpicklingError(f"unexpected module {pid}")
        return importlib.import_module(str(pid))


def _load(path: Path) -> Lark | None:
    try:
        with path.open("rb") as f:
            stored = _SafeUnpickler(f).load()
        if isinstance(stored, dict):  # lark's own serialization (LALR)
            built: Any = Lark.__new__(Lark)
            built._load(stored)
        else:
            built = stored
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - any broken or foreign file is rebuilt, never used
        path.unlink(missing_ok=True)
        return None
    return built if isinstance(built, Lark) else None


def _save(built: Lark, path: Path) -> None:
    buf = io.BytesIO()
    try:
        if built.options.parser == "lalr":
            # lark's own serialization: its LALR tables tell actions apart by identity, which
            # a plain pickle does not keep.
            built.save(buf)
        else:
            _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(built)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pickle", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        # A cache that cannot be written (read-only home, full disk) only costs the next
        # process the build.
        if "tmp" in locals():
            Path(tmp).unlink(missing_ok=True)


def lark_parser(name: str, grammar: str, **options: Any) -> Lark:
    """``Lark(grammar, **options)``, loaded from the cache directory when a process built it
    before, else built (and saved for the next); ``name`` names the file
    (``parsers-vFORMAT/NAME/NAME-DIGEST.pickle``)."""
    root = cache_dir()
    # ``parsers-vN/NAME/`` is the layout of the cache's other kinds (``runtime.cache_admin``),
    # so ``explicate cache info | clear | prune`` count and remove built parsers too (each
    # changed grammar leaves its older file behind, megabytes each, until pruned).
    folder = root / f"parsers-v{FORMAT}" / name if root else None
    path = folder / f"{name}-{_key(grammar, options)}.pickle" if folder else None
    if path is not None:
        built = _load(path)
        if built is not None:
            return built
    built = Lark(grammar, **options)
    if path is not None:
        _save(built, path)
    return built
