"""A content-addressed on-disk cache of tokenized text columns: the costly part of a batch.

Building a batch is mostly tokenizing its text fields; numbers, mentions, validity masks and
objects are cheap and are built each time. So what is kept is, per text column, the tokens as
flat arrays (``tokens.TokenArrays``) and the text as the rules see it (normalized), under a key
computed from

- the column's exact content (every string, its length and order: a changed row is a new key),
- whether it is normalized, and the normalization and cache format versions,
- spaCy's version and the tokenizer's own serialization (rules, affixes, exceptions).

The key names no field or file, so the same text read by another command, program or data file
is found again. Entries are directories of ``.npy`` arrays opened memory-mapped (a hit reads
nothing until a kernel touches it) plus ``meta.json`` with the shapes and a checksum of each
array; they are written to a temporary directory and renamed into place, so a reader never sees
half an entry. An entry that does not load or does not check out is removed and rebuilt, never
served.

Where: ``EXPLICATE_CACHE`` (a directory; ``off`` turns caching off), else
``$XDG_CACHE_HOME/explicate``, else ``~/.cache/explicate``. ``explicate --no-cache`` turns it off
for one command. Columns under :data:`MIN_CHARS` bytes of text are not cached (tokenizing them is
quicker than the disk).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from explicate.runtime import utf8
from explicate.runtime.tokens import TokenArrays, defer_strings, string_store, tokenizer

ENV = "EXPLICATE_CACHE"
OFF = ("off", "none", "no", "0", "false")
FORMAT = 2  # 2: the texts of the token ids are kept (a new process has not seen them)
NORMALIZATION = 1  # bump when runtime.data.normalize changes what rules see
MIN_CHARS = 1 << 16
"""Columns with fewer bytes of text (UTF-8) are tokenized, not cached."""

_ARRAYS = ("lower", "orth", "offsets", "char_start", "char_end", "text_offsets", "text_data",
           "strings_offsets", "strings_data")


def cache_dir() -> Path | None:
    """The cache directory from the environment, or None when caching is off."""
    raw = os.environ.get(ENV)
    if raw is not None:
        raw = raw.strip()
        if raw.lower() in OFF or not raw:
            return None
        return Path(raw).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "explicate"


_FINGERPRINT_LOCK = threading.Lock()


def tokenizer_fingerprint() -> str:
    """spaCy's version and a digest of the tokenizer's serialization (made once, even when
    several threads ask at once)."""
    with _FINGERPRINT_LOCK:
        return _fingerprint()


@functools.cache
def _fingerprint() -> str:
    import spacy

    tok: Any = tokenizer().tokenizer
    digest = hashlib.blake2b(tok.to_bytes(), digest_size=16).hexdigest()
    return f"spacy-{spacy.__version__}-{digest}"


def content_key(text: pa.Array, normalize: bool) -> str:
    """The content key of a column of strings (``text``: an Arrow string array): its bytes and
    row boundaries, normalization, cache format and tokenizer. One pass of blake2b over the Arrow
    buffers (no per-row Python), so it costs less than reading the column did."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{FORMAT}|{NORMALIZATION if normalize else 'raw'}|{tokenizer_fingerprint()}|"
             f"{len(text)}|".encode())
    for buf in _string_buffers(text):
        h.update(buf.data)
        h.update(b"|")
    return h.hexdigest()


def _checksum(a: np.ndarray) -> list[int]:
    """Sum and xor of the array's bytes as 64-bit words (a flipped bit changes both)."""
    raw = np.ascontiguousarray(a).view(np.uint8).reshape(-1)
    whole = len(raw) // 8 * 8
    words = raw[:whole].view(np.uint64)
    tail = int.from_bytes(raw[whole:].tobytes(), "little")
    total = int(np.add.reduce(words, dtype=np.uint64)) if len(words) else 0
    xor = int(np.bitwise_xor.reduce(words)) if len(words) else 0
    return [(total + tail) % (1 << 64), xor ^ tail, len(raw)]


@dataclass(frozen=True)
class Entry:
    """One cached column: its tokens and the text the rules see."""

    tokens: TokenArrays
    text: pa.Array


@dataclass(frozen=True)
class BatchCache:
    """Cached text columns under ``root`` (see the module docstring)."""

    root: Path
    min_chars: int = MIN_CHARS

    @classmethod
    def from_env(cls) -> BatchCache | None:
        root = cache_dir()
        return cls(root, MIN_CHARS) if root is not None else None

    @property
    def entries(self) -> Path:
        return self.root / f"columns-v{FORMAT}"

    def key(self, text: pa.Array, normalize: bool) -> str:
        """The content key of a column of strings (``text``: an Arrow string array)."""
        return content_key(text, normalize)

    def wants(self, text: pa.Array) -> bool:
        """Whether a column is large enough to be worth caching."""
        return len(_string_buffers(text)[1]) >= self.min_chars

    def _path(self, key: str) -> Path:
        return self.entries / key[:2] / key

    def get(self, key: str) -> Entry | None:
        """The entry under ``key``, or None (absent, unreadable or failing its checks: removed)."""
        path = self._path(key)
        if not path.is_dir():
            return None
        try:
            entry = _load(path, key)
            touch(path / "meta.json")
            return entry
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            shutil.rmtree(path, ignore_errors=True)
            return None

    def put(self, key: str, entry: Entry) -> None:
        """Store an entry atomically; a failure to write (disk full, read-only) is not an error,
        the column is simply not cached."""
        final = self._path(key)
        if final.is_dir():
            return
        tmp: Path | None = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{uuid.uuid4().hex[:8]}-", dir=final.parent))
            arrays = _arrays(entry)
            meta: dict[str, Any] = {"key": key, "format": FORMAT, "n": entry.tokens.n,
                                    "arrays": {}}
            for name, a in arrays.items():
                np.save(tmp / f"{name}.npy", a, allow_pickle=False)
                meta["arrays"][name] = {"shape": list(a.shape), "dtype": a.dtype.str,
                                        "check": _checksum(a)}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
            tmp = None
        except OSError:
            pass  # another process wrote it first, or the disk refused: not cached
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        if not self.entries.is_dir():
            return 0
        count = sum(1 for d in self.entries.glob("*/*") if d.is_dir() and len(d.name) == 40)
        shutil.rmtree(self.entries, ignore_errors=True)
        return count


def touch(path: Path) -> None:
    """Mark an entry used now (``explicate cache prune`` removes the least recently used first;
    access times are not kept by every file system, so hits set the modification time)."""
    with contextlib.suppress(OSError):  # a read-only cache still serves
        os.utime(path)


class FromEnv:
    """The cache the environment names (:meth:`BatchCache.from_env`), looked up at each call."""

    def __repr__(self) -> str:
        return "FROM_ENV"


FROM_ENV = FromEnv()
CacheChoice = BatchCache | FromEnv | None
"""What a caller passes: a cache, ``FROM_ENV`` (the default), or None for no caching."""


def resolve(cache: CacheChoice) -> BatchCache | None:
    return BatchCache.from_env() if isinstance(cache, FromEnv) else cache


def _string_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The int32 offsets (from 0) and bytes of a column of text (``utf8.text_array``'s form:
    a slice is re-based without a round trip through Python strings)."""
    offsets, data = utf8.buffers(utf8.text_array(text))
    return offsets.astype(np.int32), data


def _id_texts(tokens: TokenArrays) -> pa.Array:
    """The text of every distinct token id (lower and orth forms), from spaCy's StringStore."""
    store = string_store()
    ids = np.unique(np.concatenate([tokens.lower, tokens.orth]))
    return pa.array([store[int(i)] for i in ids.tolist()], type=pa.string())


def _arrays(entry: Entry) -> dict[str, np.ndarray]:
    t = entry.tokens
    text_offsets, text_data = _string_buffers(entry.text)
    strings_offsets, strings_data = _string_buffers(_id_texts(t))
    return {"lower": t.lower, "orth": t.orth, "offsets": t.offsets, "char_start": t.char_start,
            "char_end": t.char_end, "text_offsets": text_offsets, "text_data": text_data,
            "strings_offsets": strings_offsets, "strings_data": strings_data}


def _load(path: Path, key: str) -> Entry:
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("key") != key or meta.get("format") != FORMAT:
        raise ValueError("entry is not the one asked for")
    arrays: dict[str, np.ndarray] = {}
    for name in _ARRAYS:
        spec = meta["arrays"][name]
        a = np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        if list(a.shape) != spec["shape"] or a.dtype.str != spec["dtype"]:
            raise ValueError(f"{name}: shape or type differs from meta.json")
        if _checksum(a) != spec["check"]:
            raise ValueError(f"{name}: checksum differs")
        arrays[name] = a
    n, tokens = int(meta["n"]), len(arrays["lower"])
    offsets, text_offsets = arrays["offsets"], arrays["text_offsets"]
    if (len(offsets) != n + 1 or offsets[0] != 0 or offsets[-1] != tokens
            or len(text_offsets) != n + 1 or text_offsets[-1] != len(arrays["text_data"])
            or any(len(arrays[k]) != tokens for k in ("orth", "char_start", "char_end"))):
        raise ValueError("arrays do not fit together")
    text = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(text_offsets),
                                                  pa.py_buffer(arrays["text_data"])])
    text.validate(full=False)
    s_offsets = arrays["strings_offsets"]
    if len(s_offsets) == 0 or s_offsets[-1] != len(arrays["strings_data"]):
        raise ValueError("token texts do not fit together")
    texts = pa.Array.from_buffers(pa.string(), len(s_offsets) - 1,
                                  [None, pa.py_buffer(s_offsets), pa.py_buffer(arrays["strings_data"])])
    texts.validate(full=False)
    defer_strings(texts)
    return Entry(TokenArrays(arrays["lower"], arrays["orth"], offsets, arrays["char_start"],
                             arrays["char_end"]), text)
