"""Where ``apply_shard`` holds the GIL: each phase of a shard, its seconds, and the share of
them it holds the GIL.

    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py                # 200k rows, 8 shards
    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py --rows 40000 --shards 4 --passes 2
    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py --method spinner   # no py-spy
    PYTHONPATH=. .venv/bin/python benchmarks/gil_share.py --warm-tokenizer   # spaCy loaded first

Method ``py-spy`` (the default; ``pip install py-spy``, or ``--py-spy PATH``): a child process
runs ``apply_shard`` over every shard ``--passes`` times (the first pass cold: spaCy meets every
chunk; the later ones warm) with the ``serial`` engine's single thread, and two py-spy samplers
attach to it at once (``--nonblocking``, same rate): one records every sample of the running
thread, one (``--gil``) only the samples where it holds the GIL. Each sample is put in a phase
by its stack (the Parquet read; in ``build_batch``: the text as Arrow, the content key, the
chunking of the bytes, Arrow's dictionary encoding, the chunk store's lookup, new chunks
(which spaCy keeps whole: the check, the hashing; the others through spaCy), the gather;
``Program.apply``: phrase indexes, phrase scans, other kernels; the block write). A phase's
GIL share ``f`` is its GIL samples over its samples (loading spaCy, once per process, shows
as ``content_key``: ~40% of a pass's GIL samples unless ``--warm-tokenizer`` loads it first).
Two threads on two cores can run at most ``1 / (f + (1 - f) / 2)`` times one (Amdahl: the
GIL-held part is serial); 1.7x needs ``f <= 0.18``.

Method ``spinner`` (no extra tool, unreliable on a loaded box): each phase runs in this thread
while a second thread spins a pure-Python counter; the counter's rate drop is the phase's GIL
holding: ``f = (T2 - C / r0) / T1`` (``T1`` alone, ``T2`` with the counter, which advanced
``C`` at ``r0`` a second on its own). Other processes taking a core are counted as GIL holding,
so on a shared machine it overstates ``f``.

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import linecache
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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
            while self.running.is_set() and not self.done:
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


# ------------------------------------------------------------------------------ py-spy
# A sample's phase: the first rule whose marker is in its stack (deepest markers first), or,
# for a line of ``tokens._group`` itself, what that line calls.
RULES = (
    ("spacy_new_chunks", "joined_tokens ("),
    ("new_chunks_whole_check", "single_tokens ("),
    ("new_chunks_hashed", "chunk_tokens ("),
    ("store_lookup", "lookup (explicate/runtime/tokens.py"),
    ("chunking", "chunks (explicate/runtime/utf8.py"),
    ("text_values", "_text_values ("),
    ("content_key", "content_key ("),
    ("read_parquet", "read_table (explicate/runtime/data/read.py"),
    ("phrase_index", "__init__ (explicate/primitives/phrases.py"),
    ("phrase_lists", "find_phrases (explicate/primitives/phrases.py"),
    ("phrase_scan", "find_phrase (explicate/primitives/text.py"),
    ("program_other", "apply (explicate/compiler/lower.py"),
    ("write", "save_atomic ("),
    ("write", "content_hash ("),
    ("write", "from_matrix ("),
)
GROUP_LINES = (("dictionary_encode", "dictionary_encode"), ("distinct_to_pylist", "to_pylist"))


def phase_of(stack: str) -> str | None:
    """The phase of one sampled stack (None: not inside ``apply_shard``)."""
    if "apply_shard (" not in stack:
        return None
    for name, marker in RULES:
        if marker in stack:
            return name
    group = [f for f in stack.split(";") if f.startswith("_group (explicate/runtime/tokens.py:")]
    if group:
        line = linecache.getline(str(REPO / "explicate/runtime/tokens.py"),
                                 int(group[-1].rsplit(":", 1)[1].rstrip(")")))
        for name, marker in GROUP_LINES:
            if marker in line:
                return name
        return "gather"
    if "build_batch (" in stack:
        return "batch_other"
    return "apply_shard_other"


def read_raw(path: Path) -> Counter[str]:
    """Samples per phase in a py-spy raw (collapsed stacks) file."""
    out: Counter[str] = Counter()
    if not path.is_file():
        return out
    for line in path.read_text(errors="replace").splitlines():  # a torn sample: skipped
        stack, _, count = line.rpartition(" ")
        phase = phase_of(stack)
        if phase is not None and count.isdigit():
            out[phase] += int(count)
    return out


def child(a: argparse.Namespace) -> None:
    """The sampled process: every shard through ``apply_shard``, ``a.passes`` times."""
    from explicate.runtime.apply import compile_for, load_rules
    from explicate.runtime.data import read_table
    from explicate.runtime.engine.shards import ShardTask, apply_shard

    scale = _load_scale()
    paths = sorted(Path(a.data).glob("part-*.parquet"))
    program, schema = compile_for(load_rules(scale.RULES), read_table(paths[0]))
    assert schema is not None
    if a.warm_tokenizer:  # spaCy loaded before sampling starts, as scale.py --warm-tokenizer
        from explicate.runtime.batch_cache import tokenizer_fingerprint

        tokenizer_fingerprint()
    out = tempfile.mkdtemp(prefix="gil-share-")
    print("ready", flush=True)
    sys.stdin.readline()  # the samplers are attached
    passes = []
    for _ in range(a.passes):
        t0 = time.perf_counter()
        for i, p in enumerate(paths):
            apply_shard(ShardTask(i, str(p), out), program=program, schema=schema)
        passes.append(round(time.perf_counter() - t0, 3))
    shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"passes_s": passes}), flush=True)


def pyspy_main(a: argparse.Namespace, spy: str) -> None:
    scale = _load_scale()
    corpus = scale.ensure_corpus(Path(a.work), a.rows, a.shards)
    tmp = Path(tempfile.mkdtemp(prefix="gil-spy-"))
    env = {**os.environ, "EXPLICATE_CACHE": "off", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, __file__, "--child", "--data", str(corpus),
                             "--passes", str(a.passes),
                             *(["--warm-tokenizer"] if a.warm_tokenizer else [])],
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    spies = [subprocess.Popen([spy, "record", "--nonblocking", "-r", str(a.rate), "-f", "raw",
                               "-o", str(tmp / f"{name}.txt"), "-p", str(proc.pid), *extra],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for name, extra in (("all", []), ("gil", ["--gil"]))]
    time.sleep(1.5)  # py-spy attaches
    proc.stdin.write("\n")
    proc.stdin.flush()
    timing = json.loads(proc.stdout.readline())
    proc.wait()
    for s in spies:
        try:
            s.wait(timeout=20)
        except subprocess.TimeoutExpired:
            s.send_signal(signal.SIGINT)
            s.wait()
    every, gil = read_raw(tmp / "all.txt"), read_raw(tmp / "gil.txt")
    if a.keep:
        for name in ("all", "gil"):
            shutil.copy(tmp / f"{name}.txt", Path(a.keep) / f"gil_share_{name}.txt")
    shutil.rmtree(tmp, ignore_errors=True)
    total = sum(every.values())
    if not total:
        raise SystemExit("py-spy recorded no samples (ptrace not allowed?); try --method spinner")
    figures: dict[str, dict[str, float]] = {}
    per = a.passes * a.shards
    print(f"{'phase':22s} {'ms/shard':>9s} {'of time':>8s} {'GIL ms':>8s} {'GIL share':>9s}")
    for name, n in every.most_common():
        g = min(gil[name], n)
        figures[name] = {"samples": n, "gil_samples": g, "ms_per_shard":
                         round(n / a.rate / per * 1e3, 2), "share_of_time": round(n / total, 3),
                         "gil_share": round(g / n, 3)}
        print(f"{name:22s} {figures[name]['ms_per_shard']:9.1f} {n / total:8.1%} "
              f"{g / a.rate / per * 1e3:8.1f} {g / n:9.2f}")
    f = min(sum(gil.values()), total) / total
    bound = 1 / (f + (1 - f) / 2)
    print(f"apply_shard: GIL share {f:.2f} of {total} samples -> two threads at most {bound:.2f}x "
          f"one; passes {timing['passes_s']} s (first cold); load {os.getloadavg()[0]:.2f}")
    print(json.dumps({"method": "py-spy", "rows": a.rows, "shards": a.shards, "passes": a.passes,
                      "warm_tokenizer": a.warm_tokenizer,
                      "rate": a.rate, "passes_s": timing["passes_s"],
                      "load_1m": round(os.getloadavg()[0], 2), "phases": figures,
                      "gil_share": round(f, 3), "bound_2_threads": round(bound, 2)}))


# ------------------------------------------------------------------------------ spinner
def spinner_main(a: argparse.Namespace) -> None:
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
    assert schema is not None
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
        take = utf8.ragged_take(u_first[codes], count)
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
        # a copy without the batch's memos (phrase occurrences, indexes) of the earlier runs
        "program_apply": lambda s: program.apply(dataclasses.replace(
            s["batch"], _occ={}, _index={}, _asked={})),
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
        t1, t2, counted = min(t1s), float(np.median(t2s)), float(np.median(cs))
        held = max(0.0, t2 - counted / r)
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
    print(json.dumps({"method": "spinner", "rows": a.rows, "shards": a.shards, "reps": a.reps,
                      "spinner_rate_per_s": round(float(np.mean(rates))),
                      "load_1m": round(os.getloadavg()[0], 2), "phases": figures,
                      "summary": summary}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--method", choices=["py-spy", "spinner"], default="py-spy")
    ap.add_argument("--py-spy", default="", help="the py-spy executable (default: on PATH)")
    ap.add_argument("--passes", type=int, default=3, help="py-spy: passes over the shards")
    ap.add_argument("--rate", type=int, default=200, help="py-spy: samples a second")
    ap.add_argument("--reps", type=int, default=3, help="spinner: repetitions of each phase")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "explicate-scale"))
    ap.add_argument("--keep", default="", help="py-spy: copy the raw stacks into this folder")
    ap.add_argument("--warm-tokenizer", action="store_true",
                    help="py-spy: load spaCy before sampling (its ~0.2 s load, all GIL, is "
                    "once per process; scale.py --warm-tokenizer takes it out of the clock)")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--data", default="")
    a = ap.parse_args()
    if a.child:
        child(a)
        return
    if a.method == "spinner":
        spinner_main(a)
        return
    spy = a.py_spy or shutil.which("py-spy")
    if not spy:
        raise SystemExit("py-spy not found: pip install py-spy, pass --py-spy PATH, or use "
                         "--method spinner")
    pyspy_main(a, spy)


if __name__ == "__main__":
    main()
