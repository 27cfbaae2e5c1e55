"""Where ``apply_shard`` holds the GIL: each phase timed alone in one thread, and the share of
its time it holds the GIL, measured against a second thread that spins a pure-Python counter.

    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py                # 200k rows, 8 shards
    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py --rows 40000 --shards 4 --reps 2

The method: ``r0`` is the counter's rate with nothing else running (the main thread asleep).
A phase takes ``T1`` seconds alone; run again while the counter spins, it takes ``T2`` and the
counter advances ``C``. The counter always wants the GIL, so the GIL is held the whole of
``T2``, by the phase or by the counter: the phase held it ``T2 - C / r0`` seconds, and its GIL
share is ``f = (T2 - C / r0) / T1`` (0: it ran without the GIL throughout; 1: it held it
throughout). Two threads on two cores can then run at most ``1 / (f + (1 - f) / 2)`` times one
(Amdahl: the GIL-held part is serial); 1.7x needs ``f <= 0.18``.

The phases are those of one shard (``engine.shards.apply_shard``): the Parquet read
(``read_table``), the text column as Arrow (``_text_values``), the content key (blake2b), the
chunking of the bytes (``utf8.chunks``), Arrow's ``dictionary_encode`` of the chunks and their
distinct texts as Python strings, the chunk store's lookup (dictionary lookups; spaCy on the
chunks not seen before: measured cold, a fresh store, and warm), the gather back to tokens, the
rest of the batch (``doc_of``, the TextColumn), ``Program.apply`` and the write (block file,
hash, ``VoteStats``). Each phase is repeated ``--reps`` times over every shard and the sums are
reported; ``whole`` is ``apply_shard`` itself on every shard (warm store).

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("EXPLICATE_CACHE", "off")  # cold runs, as benchmarks/scale.py does


class Spinner:
    """A thread counting in pure Python while ``running`` is set (parked on an Event otherwise,
    so it does not ask for the GIL)."""

    def __init__(self) -> None:
        self.count = 0
        self.running = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self) -> None:
        while not self.done:
            self.running.wait()
            while self.running.is_set():
                for _ in range(200):
                    self.count += 1

    def rate(self, seconds: float = 0.3) -> float:
        """Counts per second with the main thread asleep."""
        c0 = self.count
        self.running.set()
        t0 = time.perf_counter()
        time.sleep(seconds)
        c1, t1 = self.count, time.perf_counter()
        self.running.clear()
        return (c1 - c0) / (t1 - t0)

    def against(self, fn: Callable[[], Any]) -> tuple[float, int]:
        """Wall seconds of ``fn()`` while the counter spins, and how far it counted."""
        self.running.set()
        time.sleep(0.01)  # let the spinner start
        c0, t0 = self.count, time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), self.count
        self.running.clear()
        time.sleep(0.005)
        return t1 - t0, c1 - c0

    def stop(self) -> None:
        self.done = True
        self.running.set()
        self.thread.join()


def _load_scale() -> Any:
    spec = importlib.util.spec_from_file_location("scale_bench", REPO / "benchmarks" / "scale.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "explicate-scale"))
    a = ap.parse_args()

    import numpy as np
    import pyarrow.compute as pc

    from explicate.runtime import tokens as tk
    from explicate.runtime import utf8
    from explicate.runtime.apply import compile_for, load_rules
    from explicate.runtime.batch_cache import content_key
    from explicate.runtime.data import read_problems, read_table
    from explicate.runtime.engine.shards import ShardTask, apply_shard, content_hash, save_atomic
    from explicate.runtime.features import _text_values, build_batch
    from explicate.runtime.label_model.stats import VoteStats

    scale = _load_scale()
    corpus = scale.ensure_corpus(Path(a.work), a.rows, a.shards)
    paths = sorted(corpus.glob("part-*.parquet"))
    program, schema = compile_for(load_rules(scale.RULES), read_table(paths[0]))
    tok = tk._tokenizer()
    out = Path(tempfile.mkdtemp(prefix="gil-share-"))

    # Every shard's intermediate values, made once so each phase can be rerun on its own.
    state: list[dict[str, Any]] = []
    for p in paths:
        s: dict[str, Any] = {"path": str(p)}
        s["df"] = read_table(p)
        s["arrow"], _ = _text_values(s["df"]["text"], "text", 0, [])
        s["text"] = utf8.text_array(s["arrow"])
        offsets, data = utf8.buffers(s["text"])
        s["offsets"], s["data"] = offsets, data
        s["found"] = utf8.chunks(offsets, data, s["text"].type)
        enc = pc.dictionary_encode(s["found"].text)
        s["codes"] = enc.indices.to_numpy(zero_copy_only=False)
        s["distinct"] = enc.dictionary.to_pylist()
        s["batch"] = build_batch(s["df"], program, schema, problems=read_problems(s["df"]))
        s["L"] = program.apply(s["batch"])
        state.append(s)
    warm = tk.chunk_store()
    for s in state:
        s["lookup"] = warm.lookup(s["distinct"], tok)

    def each(fn: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        def run() -> None:
            for s in state:
                fn(s)
        return run

    def gather(s: dict[str, Any]) -> Any:
        u_first, u_count, table = s["lookup"]
        codes, found = s["codes"], s["found"]
        count = u_count[codes]
        take = tk._ragged_take(u_first[codes], count)
        per_chunk = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(count, out=per_chunk[1:])
        lower, orth, at, length = table[:, take]
        start = np.repeat(found.char_start, count) + at.view(np.int64)
        return per_chunk[found.first], start + length.view(np.int64)

    def rest(s: dict[str, Any]) -> Any:
        t = s["batch"].texts["text"]
        return np.repeat(np.arange(t.n, dtype=np.int64), np.diff(t.offsets))

    def write(s: dict[str, Any]) -> Any:
        save_atomic(out / "part.npy", s["L"])
        content_hash(s["L"])
        return VoteStats.from_matrix(s["L"], program.cardinality)

    cold_stores: list[tk.ChunkStore] = []

    def cold(s: dict[str, Any]) -> Any:
        store = tk.ChunkStore()  # nothing seen: spaCy on every distinct chunk of the shard
        cold_stores.append(store)
        return store.lookup(s["distinct"], tok)

    tasks = [ShardTask(i, s["path"], str(out)) for i, s in enumerate(state)]

    def whole(s: dict[str, Any]) -> Any:
        return apply_shard(tasks[state.index(s)], program=program, schema=schema)

    phases: dict[str, Callable[[dict[str, Any]], Any]] = {
        "read_parquet": lambda s: read_table(s["path"]),
        "text_values": lambda s: utf8.text_array(_text_values(s["df"]["text"], "text", 0, [])[0]),
        "content_key": lambda s: content_key(s["text"], True),
        "chunking": lambda s: utf8.chunks(s["offsets"], s["data"], s["text"].type),
        "dictionary_encode": lambda s: pc.dictionary_encode(s["found"].text),
        "distinct_to_pylist": lambda s: pc.dictionary_encode(s["found"].text
                                                             ).dictionary.to_pylist(),
        "store_lookup_warm": lambda s: warm.lookup(s["distinct"], tok),
        "store_lookup_cold_spacy": cold,
        "gather": gather,
        "batch_rest": rest,
        "build_batch_all_warm": lambda s: build_batch(s["df"], program, schema),
        "program_apply": lambda s: program.apply(s["batch"]),
        "write": write,
        "whole_apply_shard_warm": whole,
    }

    spinner = Spinner()
    figures: dict[str, dict[str, float]] = {}
    rates = []
    for name, fn in phases.items():
        run = each(fn)
        run()  # warm up (imports, caches)
        t1s, t2s, cs = [], [], []
        r0 = spinner.rate()
        for _ in range(a.reps):
            t0 = time.perf_counter()
            run()
            t1s.append(time.perf_counter() - t0)
            t2, c = spinner.against(run)
            t2s.append(t2)
            cs.append(c)
        r1 = spinner.rate()
        r = (r0 + r1) / 2
        rates.append(r)
        cold_stores.clear()
        t1, t2, c = min(t1s), float(np.median(t2s)), float(np.median(cs))
        held = max(0.0, t2 - c / r)
        f = min(1.0, held / t1) if t1 > 0 else 0.0
        figures[name] = {"alone_s": round(t1 / len(state), 5), "with_spinner_s":
                         round(t2 / len(state), 5), "gil_held_s": round(held / len(state), 5),
                         "gil_share": round(f, 3),
                         "bound_2_threads": round(1 / (f + (1 - f) / 2), 2)}
        print(f"{name:26s} alone {t1 / len(state) * 1e3:8.1f} ms/shard  with spinner "
              f"{t2 / len(state) * 1e3:8.1f}  GIL held {held / len(state) * 1e3:8.1f}  "
              f"share {f:5.2f}  bound {figures[name]['bound_2_threads']:.2f}x", flush=True)
    spinner.stop()
    parts = ["read_parquet", "build_batch_all_warm", "program_apply", "write"]
    total = sum(figures[p]["alone_s"] for p in parts)
    held = sum(figures[p]["gil_held_s"] for p in parts)
    f_all = held / total if total else 0.0
    summary = {"parts_alone_s_per_shard": round(total, 5), "parts_gil_held_s_per_shard":
               round(held, 5), "gil_share_parts": round(f_all, 3),
               "bound_2_threads_parts": round(1 / (f_all + (1 - f_all) / 2), 2),
               "gil_share_whole": figures["whole_apply_shard_warm"]["gil_share"],
               "bound_2_threads_whole": figures["whole_apply_shard_warm"]["bound_2_threads"]}
    print(f"warm shard: {total * 1e3:.1f} ms alone, GIL held {held * 1e3:.1f} ms "
          f"(share {f_all:.2f}, bound {summary['bound_2_threads_parts']}x); whole apply_shard "
          f"share {summary['gil_share_whole']}", flush=True)
    print(json.dumps({"rows": a.rows, "shards": a.shards, "reps": a.reps,
                      "spinner_rate_per_s": round(float(np.mean(rates))),
                      "load_1m": round(os.getloadavg()[0], 2), "phases": figures,
                      "summary": summary}))


if __name__ == "__main__":
    main()
