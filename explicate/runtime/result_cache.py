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
  pyarrow's versions, since RE2 comes with pyarrow, and Python's Unicode database),
- for entity primitives, the recognizer in use (its registered name, class, and model version).

So each entry is a boolean column "the condition holds and every field it reads is valid" (bits
packed, ``n`` in the key); the LF's label is applied when it is loaded, which is why a changed
label order or label never needs re-evaluation. An entry is one file, the packed bits and an
8-byte digest of them, written under a temporary name and renamed into place (a reader sees a
whole file or none); at n / 8 bytes it is read whole (quicker than mapping it). One of the wrong
size or digest is removed and the LF evaluated again. A batch lacking a field's digest, or a
condition holding a value :func:`canonical` cannot write out, is evaluated, never cached.

Mutable state a kernel could read is deliberately not keyed: phrase and regex memos (they hold
results of the same computation), and ``Batch``'s occurrence index (a speed-up, same result).

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
import unicodedata
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
         "runtime/utf8.py",
         "runtime/phrase_ids.py", "runtime/entities.py", "runtime/batch_cache.py",
         "runtime/result_cache.py", "runtime/data")


@functools.cache
def code_fingerprint() -> str:
    """A digest of the source of the modules in ``_CODE``, numpy's and pyarrow's versions and
    Python's Unicode database (``str.split`` and NFC follow it)."""
    package = Path(ir.__file__).resolve().parent
    h = hashlib.blake2b(f"{FORMAT}|numpy-{np.__version__}|pyarrow-{pa.__version__}|"
                        f"unicode-{unicodedata.unidata_version}".encode(), digest_size=20)
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


def condition_digest(lf: ir.LF, word_lists: dict[str, tuple[ir.Phrase, ...]]) -> str | None:
    """The part of a lowered LF's key that does not depend on the batch: its condition, the code
    and tokenizer fingerprints, and the recognizer where it uses one (None: not cacheable)."""
    try:
        condition = canonical(lf.when)
    except NotCanonical:
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{FORMAT}|{code_fingerprint()}|{tokenizer_fingerprint()}|".encode())
    h.update(condition.encode())
    for node in ir.walk(lf.when):
        if isinstance(node, ir.WordList):  # lowering expands them; should one remain, its words
            h.update(f"|@{node.name}={canonical(word_lists.get(node.name))}".encode())
    if any(getattr(node, "needs_entities", False) for node in ir.walk(lf.when)):
        h.update(f"|ner={recognizer_fingerprint()}".encode())
    return h.hexdigest()


def lf_key(condition: str, fields: tuple[str, ...], batch: Batch) -> str | None:
    """The key of an LF's votes over ``batch``: its ``condition_digest``, the batch's size and
    the digests of the fields it reads (None where the batch lacks one)."""
    h = hashlib.blake2b(f"{condition}|{batch.n}".encode(), digest_size=20)
    for name in fields:
        digest = batch.digests.get(name)
        if digest is None:
            return None
        h.update(f"|{name}={digest}".encode())
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
        return self.entries / key[:2] / f"{key}.bits"

    def get(self, key: str, n: int) -> np.ndarray | None:
        """The bool[n] column under ``key``, or None (absent, or not of its size: removed)."""
        path = self._path(key)
        try:
            packed = np.fromfile(path, dtype=np.uint8)  # n / 8 bytes: reading beats a map
        except FileNotFoundError:
            return None
        except OSError:
            packed = np.zeros(0, dtype=np.uint8)
        size = (n + 7) // 8
        if len(packed) != size + _CHECK or packed[size:].tobytes() != _check(packed[:size]):
            path.unlink(missing_ok=True)
            return None
        touch(path)
        return np.unpackbits(packed[:size], count=n).view(bool)

    def put(self, key: str, fires: np.ndarray) -> None:
        """Store a bool column atomically; a failure to write is not an error (not cached)."""
        final = self._path(key)
        if final.is_file():
            return
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".tmp-{uuid.uuid4().hex[:8]}-", dir=final.parent)
            try:
                packed = np.packbits(fires)
                with os.fdopen(fd, "wb") as f:
                    f.write(packed.tobytes() + _check(packed))
                os.replace(tmp, final)
            except OSError:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk: not cached


_CHECK = 8


def _check(packed: np.ndarray) -> bytes:
    """The last bytes of an entry: a digest of the bits before them (a damaged file is caught)."""
    return hashlib.blake2b(packed.tobytes(), digest_size=_CHECK).digest()


def resolve(cache: CacheChoice) -> ResultCache | None:
    """The result cache beside a batch cache choice (``FROM_ENV``: the environment's)."""
    if isinstance(cache, FromEnv):
        root = cache_dir()
        return ResultCache(root, MIN_ROWS) if root is not None else None
    return ResultCache(cache.root, MIN_ROWS) if cache is not None else None


class CachedProgram:
    """A program whose LF results are loaded from ``cache`` where present, evaluated (and then
    stored) where not: ``apply`` gives ``program.apply``'s ``L``. The batch-independent part of
    each key is computed once here, not per batch."""

    def __init__(self, program: Program, cache: ResultCache | None):
        self.program, self.cache = program, cache
        self.conditions = ([condition_digest(lf, program.word_lists) for lf in program.lowered]
                           if cache is not None else [])
        self.fields = [ir.fields_read(lf.when) for lf in program.lowered]

    def apply(self, batch: Batch) -> np.ndarray:
        program, cache = self.program, self.cache
        if cache is None or batch.n < cache.min_rows:
            return program.apply(batch)
        L = np.full((batch.n, len(program.lowered)), ir.ABSTAIN,
                    dtype=ir.label_dtype(len(program.labels)))
        keys = [lf_key(c, f, batch) if c is not None else None
                for c, f in zip(self.conditions, self.fields, strict=True)]
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
