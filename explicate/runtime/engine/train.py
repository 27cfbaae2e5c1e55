"""The end model trained from shards, streamed: ``train_shards`` reads the rows' text shard by
shard, pairs each row with its probabilities from the label model's per-shard files by row
identity (shard, offset), and feeds windows of rows to ``end_model.streamed.fit_streamed``;
then it writes the model and every shard's end-model probabilities. ``predict_shards`` runs a
trained model over other shards. No step holds more than one shard's text and one window's
features: the rows never sit together in memory.

A model directory::

    end_model.pt     the EndModel (``EndModel.load``)
    manifest.json    format, labels, kind, text fields, rows, the training report, and per
                     shard: source, file, rows, offset (first global row)
    part-00000.npy   float32 [rows, k]: the end model's probabilities of shard 0's rows
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate.errors import Diagnostic, ExplicateError
from explicate.ir import ABSTAIN
from explicate.runtime.data import read_table
from explicate.runtime.end_model import EndModel, TextSpec
from explicate.runtime.end_model.streamed import STREAM_BATCH, STREAM_EPOCHS, Window, fit_streamed
from explicate.runtime.engine.partitioned import MANIFEST, P_FORMAT, read_manifest
from explicate.runtime.engine.shards import find_shards, part_name, save_atomic

M_FORMAT = "explicate.end_model_shards/1"
MODEL = "end_model.pt"
WINDOW_ROWS = 25_000
"""Rows per window: the unit of shuffling and of featurizing (about 100 MB of features for the
``linear`` kind)."""


@dataclass(frozen=True)
class TrainShard:
    """One shard as training reads it: its data file, its rows and their global offset, and the
    files of its probabilities (float32 ``[rows, k]``) and votes (int8 ``[rows, m]``)."""

    index: int
    source: str
    rows: int
    offset: int
    probs: str
    votes: str


def _error(code: str, message: str, *hints: str) -> ExplicateError:
    return ExplicateError([Diagnostic(code, message, None, "", hints)])


def _block(path: Path, rows: int, width: int | None, dtype: type) -> np.ndarray:
    """A shard's block, memory-mapped, checked against the manifest (E804 otherwise)."""
    try:
        block = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise _error("E804", f"cannot read '{path}': {exc}") from None
    if block.ndim != 2 or block.shape[0] != rows or block.dtype != dtype \
            or (width is not None and block.shape[1] != width):
        raise _error("E804", f"'{path}' is not the block its manifest lists ({block.shape} "
                     f"{block.dtype}, expected {rows} rows of {dtype.__name__})",
                     "run `explicate apply` and `explicate fit` again")
    return block


def training_shards(probs_dir: str | Path, data: str | Path | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any], list[TrainShard]]:
    """The probabilities manifest, the L manifest it was fitted from, and the shards to train
    on: ``data`` (a directory, glob or file, as for ``apply``) or else the sources the L
    manifest lists. The shards must be as many, in the same order, as the probabilities'."""
    p_manifest = read_manifest(probs_dir, P_FORMAT)
    l_dir = Path(p_manifest["l_dir"])
    if not (l_dir / MANIFEST).is_file():
        raise _error("E804", f"'{probs_dir}' was fitted from '{l_dir}', which is not there",
                     "run `explicate fit L_DIR -o PROBS_DIR` from the directory you train in")
    l_manifest = read_manifest(l_dir)
    k = len(p_manifest["labels"])
    l_shards = {s["index"]: s for s in l_manifest["shards"]}
    sources = [str(p) for p in find_shards(data)] if data is not None \
        else [s["source"] for s in l_manifest["shards"]]
    if len(sources) != len(p_manifest["shards"]):
        raise _error("E806", f"{len(sources)} data shard(s), but '{probs_dir}' holds the "
                     f"probabilities of {len(p_manifest['shards'])}",
                     "give --data the shards `explicate apply` read, in the same order")
    shards = []
    for source, p in zip(sources, p_manifest["shards"], strict=True):
        lsh = l_shards.get(p["index"])
        if lsh is None or lsh["rows"] != p["rows"] or lsh["offset"] != p["offset"]:
            raise _error("E804", f"'{probs_dir}' and '{l_dir}' disagree about shard "
                         f"{p['index']}", "run `explicate fit` again")
        probs = Path(probs_dir) / p["file"]
        votes = l_dir / lsh["file"]
        _block(probs, p["rows"], k, np.float32)
        _block(votes, p["rows"], len(l_manifest["lf_names"]), np.int8)
        shards.append(TrainShard(p["index"], source, p["rows"], p["offset"], str(probs),
                                 str(votes)))
    return p_manifest, l_manifest, shards


def read_shard(source: str, columns: Sequence[str] | None, fields: Sequence[str],
               rows: int | None = None) -> pd.DataFrame:
    """The ``fields`` of one shard (E807 where it lacks one, E806 where it has other than
    ``rows`` rows; a read error keeps its E4xx code, with the shard's name)."""
    try:
        df = read_table(source, list(columns) if columns else None)
    except ExplicateError as exc:
        raise ExplicateError([d if source in d.message else Diagnostic(
            d.code, f"{d.message} (shard '{source}')", d.span, d.label, d.hints)
            for d in exc.diagnostics]) from None
    missing = [f for f in fields if f not in df.columns]
    if missing:
        raise _error("E807", f"shard '{source}' has no column "
                     f"{', '.join(repr(m) for m in missing)} (the end model reads it)",
                     "name the text fields with --text")
    if rows is not None and len(df) != rows:
        raise _error("E806", f"shard '{source}' has {len(df)} rows, its probabilities {rows}",
                     "train on the shards `explicate apply` read (changed since?)")
    return df[list(fields)]


def windows(shards: Sequence[TrainShard], columns: Sequence[str] | None,
            fields: Sequence[str], window_rows: int = WINDOW_ROWS) -> Iterator[Window]:
    """One pass over the shards as :class:`Window` s of ``window_rows`` rows cut at global row
    numbers (``k * window_rows``), a window spanning shard ends where they fall inside it: the
    windows are the same however the rows are split into files. Reads one shard at a time."""
    pending: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = []
    start = have = 0

    def flush() -> Window:
        frames, probs, covered = zip(*pending, strict=True)
        return Window(start, pd.concat(frames, ignore_index=True), np.concatenate(probs),
                      np.concatenate(covered))

    for sh in shards:
        if sh.offset != start + have:
            raise _error("E804", f"shard {sh.index} starts at row {sh.offset}, after "
                         f"{start + have} rows", "run `explicate apply` again")
        df = read_shard(sh.source, columns, fields, sh.rows)
        probs = np.load(sh.probs, mmap_mode="r")
        votes = np.load(sh.votes, mmap_mode="r")
        at = 0
        while at < sh.rows:
            take = min(window_rows - have, sh.rows - at)
            pending.append((df.iloc[at : at + take],
                            np.array(probs[at : at + take], dtype=np.float32),
                            (votes[at : at + take] != ABSTAIN).any(axis=1)))
            at += take
            have += take
            if have == window_rows:
                yield flush()
                start, have, pending = start + have, 0, []
    if pending:
        yield flush()


def _predict(model: EndModel, sources: Sequence[str], columns: Sequence[str] | None,
             out: Path, window_rows: int, rows: Sequence[int] | None = None
             ) -> list[dict[str, Any]]:
    """Each shard's end-model probabilities written to ``out/part-NNNNN.npy``."""
    entries, offset = [], 0
    for i, source in enumerate(sources):
        df = read_shard(source, columns, model.spec.columns, rows[i] if rows else None)
        probs = np.zeros((len(df), model.cardinality), dtype=np.float32)
        for s in range(0, len(df), window_rows):
            probs[s : s + window_rows] = model.predict_proba(df.iloc[s : s + window_rows])
        save_atomic(out / part_name(i), probs)
        entries.append({"index": i, "source": source, "file": part_name(i), "rows": len(df),
                        "offset": offset})
        offset += len(df)
    return entries


def _clear(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for f in out.glob("part-*.npy"):
        f.unlink()
    for name in (MANIFEST, MODEL):
        (out / name).unlink(missing_ok=True)


def train_shards(probs_dir: str | Path, out: str | Path, *, data: str | Path | None = None,
                 text: Sequence[str] | None = None, kind: str = "linear",
                 epochs: int = STREAM_EPOCHS, batch_size: int = STREAM_BATCH,
                 lr: float | None = None, seed: int = 0, device: str = "auto",
                 window_rows: int = WINDOW_ROWS, predict: bool = True,
                 progress: bool | None = None) -> dict[str, Any]:
    """Train an end model of ``kind`` on the probabilities of ``probs_dir`` (written by
    ``fit_shards``) and the text of the shards (``data``, default the ones ``apply_shards``
    read), streamed; write ``out/end_model.pt``, with ``predict`` every shard's end-model
    probabilities, and ``out/manifest.json``. ``text``: the fields the end model reads
    (default: the text fields the rules read). Returns a report."""
    t0 = time.perf_counter()
    p_manifest, l_manifest, shards = training_shards(probs_dir, data)
    fields = tuple(text or l_manifest.get("text_fields") or ("text",))
    columns = l_manifest.get("columns")
    labels = p_manifest["labels"]
    try:
        model = EndModel(kind=kind, cardinality=len(labels), spec=TextSpec(fields),
                         device=device, seed=seed, epochs=epochs, lr=lr, batch_size=batch_size,
                         progress=progress)
    except ValueError as exc:
        raise _error("E605", str(exc)) from None
    try:
        fit_streamed(model, lambda: windows(shards, columns, fields, window_rows))
    except ValueError as exc:
        raise _error("E603", f"cannot train on '{probs_dir}': {exc}") from None
    train_seconds = time.perf_counter() - t0
    out_dir = Path(out)
    _clear(out_dir)
    model.save(out_dir / MODEL)
    t1 = time.perf_counter()
    entries = _predict(model, [s.source for s in shards], columns, out_dir, window_rows,
                       [s.rows for s in shards]) if predict else []
    info = model.fit_info
    trained = int(info["rows"])
    report = {
        "kind": kind, "labels": labels, "text": list(fields), "rows": p_manifest["rows"],
        "trained_rows": trained, "shards": len(shards), "epochs": len(model.history),
        "batch_size": batch_size, "window_rows": window_rows,
        "features_seconds": round(info["features_seconds"], 3),
        "train_seconds": round(info["train_seconds"], 3),
        # rows read (all epochs) per second of featurizing and training
        "rows_per_s": round(info["rows_read"] / max(info["features_seconds"]
                                                    + info["train_seconds"], 1e-9)),
        "predict_seconds": round(time.perf_counter() - t1, 3) if predict else None,
        "history": [{k: round(v, 5) for k, v in h.items()} for h in model.history],
        "wall_seconds": round(time.perf_counter() - t0, 3), "out": str(out_dir),
    }
    manifest = {"format": M_FORMAT, "labels": labels, "kind": kind,
                "spec": model.spec.to_json(), "model": MODEL, "probs_dir": str(probs_dir),
                "columns": columns, "rows": p_manifest["rows"],
                "train_seconds": round(train_seconds, 3), "report": report, "shards": entries}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return report


def predict_shards(model_dir: str | Path, data: str | Path, out: str | Path, *,
                   columns: Sequence[str] | None = None, device: str = "auto",
                   window_rows: int = WINDOW_ROWS) -> dict[str, Any]:
    """The end model of ``model_dir`` (written by ``train_shards``) over the shards of
    ``data``: ``out/part-NNNNN.npy`` (float32 ``[rows, k]``) and a manifest."""
    manifest = read_manifest(model_dir, M_FORMAT)
    try:
        model = EndModel.load(Path(model_dir) / manifest["model"], device=device)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise _error("E804", f"cannot load the end model of '{model_dir}': {exc}") from None
    sources = [str(p) for p in find_shards(data)]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in out_dir.glob("part-*.npy"):
        f.unlink()
    t0 = time.perf_counter()
    entries = _predict(model, sources, columns, out_dir, window_rows)
    rows = sum(e["rows"] for e in entries)
    (out_dir / MANIFEST).write_text(json.dumps({
        "format": P_FORMAT, "labels": manifest["labels"], "rows": rows,
        "model_dir": str(model_dir), "shards": entries}, indent=1), encoding="utf-8")
    return {"rows": rows, "shards": len(entries), "seconds": round(time.perf_counter() - t0, 3),
            "out": str(out_dir)}
