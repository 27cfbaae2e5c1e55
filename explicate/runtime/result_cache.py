"""A content-addressed on-disk cache of LF results: each LF's votes over one batch.

Where an LF fires over a batch depends only on

- what the batch holds for the fields its condition reads (``features.Batch.digests``: the
  column's content and validity, the field's kind and normalization, the tokenizer; a mention's
  digest includes its host text's and its located token range),
- the condition's meaning: its lowered IR (word lists expanded) written out field by field,
  source positions excluded (:func:`canonical`), so a rule moved, renamed or relabeled is the same
  entry and an edited word, list, number or regex is a new one,
- the code that evaluates it (:func:`code_fingerprint`: a digest of the source of the IR, the
  primitives, the compiler's lowering, batch building and tokenization, plus numpy's and
  pyarrow's versions, since RE2 comes with pyarrow),
- for entity primitives, the recognizer in use (its registered name, class, and model version).

So each entry is a boolean column "the condition holds and every field it reads is valid" (bits
packed, ``n`` in the key); the LF's label is applied when it is loaded, which is why a changed
label order or label never needs re-evaluation. Entries are single ``.npy`` files written to a
temporary name and renamed into place (a reader sees a whole file or none); at n / 8 bytes they
are read whole (quicker than mapping them). One whose shape or type does not fit is removed and
the LF evaluated again.

It lives beside the batch cache (``runtime.batch_cache``: the same directory, ``EXPLICATE_CACHE``
and ``--no-cache``). Batches under :data:`MIN_ROWS` rows are evaluated, not cached (evaluating
them is quicker than the disk).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import importlib.metadata
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from explicate import ir
from explicate.compiler import Program
from explicate.runtime import entities as ner
from explicate.runtime.batch_cache import (
    CacheChoice,
    FromEnv,
    cache_dir,
    tokenizer_fingerprint,
    touch,
)
from explicate.runtime.features import Batch

FORMAT = 1
MIN_ROWS = 4096
"""Batches with fewer rows are evaluated, not cached."""

# The modules whose code decides what a condition computes over a batch (relative to the
# package); a change to any of them is a new key for every LF.
_CODE = ("ir.py", "primitives", "compiler/lower.py", "runtime/features.py", "runtime/tokens.py",
         "runtime/phrase_ids.py", "runtime/entities.py", "runtime/batch_cache.py",
         "runtime/result_cache.py", "runtime/data")


@functools.cache
def code_fingerprint() -> str:
    """A digest of the source of the modules in ``_CODE`` and of numpy's and pyarrow's versions."""
    package = Path(ir.__file__).resolve().parent
    h = hashlib.blake2b(f"{FORMAT}|numpy-{np.__version__}|pyarrow-{pa.__version__}".encode(),
                        digest_size=20)
    for name in _CODE:
        path = package / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f"|{f.relative_to(package)}|".encode())
            h.update(f.read_bytes())
    return h.hexdigest()


class NotCanonical(TypeError):
    """A value in an IR node that :func:`canonical` cannot write out faithfully."""


def canonical(node: object) -> str:
    """An IR value written out by meaning: each dataclass as its type and the fields that take
    part in its equality (so source spans are left out), recursively. Equal nodes give equal
    strings and different nodes different ones."""
    if isinstance(node, str | int | float | bool) or node is None:
        return repr(node)
    if isinstance(node, enum.Enum):
        return f"{type(node).__qualname__}.{node.name}"
    if isinstance(node, tuple):
        return "(" + ",".join(canonical(v) for v in node) + ")"
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = ",".join(f"{f.name}={canonical(getattr(node, f.name))}"
                          for f in dataclasses.fields(node) if f.compare)
        return f"{type(node).__module__}.{type(node).__qualname__}({fields})"
    raise NotCanonical(f"cannot write {type(node).__name__} canonically")


def recognizer_fingerprint() -> str:
    """The entity recognizer in use: its name, class, and (for spaCy's) the model's version.
    A recognizer may say more through a ``fingerprint`` attribute."""
    name = ner.active_name()
    rec = ner.active()
    cls = type(rec)
    extra = str(getattr(rec, "fingerprint", ""))
    if isinstance(rec, ner.SpacyRecognizer):
        try:
            extra += f"{ner.MODEL}-{importlib.metadata.version(ner.MODEL)}"
        except importlib.metadata.PackageNotFoundError:
            extra += f"{ner.MODEL}-unversioned"
    return f"{name}|{cls.__module__}.{cls.__qualname__}|{extra}"


def lf_key(lf: ir.LF, batch: Batch, word_lists: dict[str, tuple[ir.Phrase, ...]]) -> str | None:
    """The key of a lowered LF's votes over ``batch`` (see the module docstring), or None where
    the batch lacks a digest for a field it reads or the condition cannot be written out."""
    try:
        condition = canonical(lf.when)
    except NotCanonical:
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{FORMAT}|{code_fingerprint()}|{tokenizer_fingerprint()}|{batch.n}|".encode())
    h.update(condition.encode())
    for node in ir.walk(lf.when):
        if isinstance(node, ir.WordList):  # lowering expands them; should one remain, its words
            h.update(f"|@{node.name}={canonical(word_lists.get(node.name))}".encode())
    for name in ir.fields_read(lf.when):
        digest = batch.digests.get(name)
        if digest is None:
            return None
        h.update(f"|{name}={digest}".encode())
    if any(getattr(node, "needs_entities", False) for node in ir.walk(lf.when)):
        h.update(f"|ner={recognizer_fingerprint()}".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class ResultCache:
    """LF results under ``root`` (the batch cache's directory; see the module docstring)."""

    root: Path
    min_rows: int = MIN_ROWS

    @property
    def entries(self) -> Path:
        return self.root / f"votes-v{FORMAT}"

    def _path(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key}.npy"

    def get(self, key: str, n: int) -> np.ndarray | None:
        """The bool[n] column under ``key``, or None (absent, or unreadable: removed)."""
        path = self._path(key)
        try:
            packed = np.load(path, allow_pickle=False)  # n / 8 bytes: reading beats a map
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None
        if packed.dtype != np.uint8 or packed.shape != ((n + 7) // 8,):
            path.unlink(missing_ok=True)
            return None
        touch(path)
        return np.unpackbits(packed, count=n).view(bool)

    def put(self, key: str, fires: np.ndarray) -> None:
        """Store a bool column atomically; a failure to write is not an error (not cached)."""
        final = self._path(key)
        if final.is_file():
            return
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".tmp-{uuid.uuid4().hex[:8]}-", suffix=".npy",
                                       dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.save(f, np.packbits(fires), allow_pickle=False)
                os.replace(tmp, final)
            except OSError:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk: not cached


def resolve(cache: CacheChoice) -> ResultCache | None:
    """The result cache beside a batch cache choice (``FROM_ENV``: the environment's)."""
    if isinstance(cache, FromEnv):
        root = cache_dir()
        return ResultCache(root, MIN_ROWS) if root is not None else None
    return ResultCache(cache.root, MIN_ROWS) if cache is not None else None


def apply_cached(program: Program, batch: Batch, cache: ResultCache | None) -> np.ndarray:
    """``program.apply(batch)``, with every LF whose result is cached loaded instead of evaluated,
    and the ones evaluated stored (the same ``L``; see the module docstring)."""
    if cache is None or batch.n < cache.min_rows:
        return program.apply(batch)
    m = len(program.lowered)
    L = np.full((batch.n, m), ir.ABSTAIN, dtype=ir.label_dtype(len(program.labels)))
    keys = [lf_key(lf, batch, program.word_lists) for lf in program.lowered]
    todo: list[int] = []
    for j, (lf, key) in enumerate(zip(program.lowered, keys, strict=True)):
        fires = cache.get(key, batch.n) if key is not None else None
        if fires is None:
            todo.append(j)
        else:
            assert lf.label.id is not None
            L[fires, j] = lf.label.id
    if todo:
        part = dataclasses.replace(program, lfs=tuple(program.lfs[j] for j in todo),
                                   lowered=tuple(program.lowered[j] for j in todo))
        votes = part.apply(batch)
        for col, j in enumerate(todo):
            L[:, j] = votes[:, col]
            key = keys[j]
            if key is not None:
                cache.put(key, votes[:, col] != ir.ABSTAIN)
    return L
