"""Scale-out: partitioned apply + fit + predict on Parquet shards, per engine, against Snorkel 0.10.

    .venv/bin/python benchmarks/scale.py                       # 100k (all engines), 1M (dask)
    .venv/bin/python benchmarks/scale.py --sizes 100000,1000000,10000000 --shards 64
    .venv/bin/python benchmarks/scale.py --quick               # 20k rows, a smoke run
    .venv/bin/python benchmarks/scale.py --end-model --sizes 1000000   # the end model section

Needs the bench and dask extras (``pip install -e ".[bench,dask]"``).

What is measured
- A seeded synthetic corpus: messages of 5-30 words drawn from a Zipf(1.2) vocabulary of 20,000
  made-up words, with the words and phrases the rules look for planted (30% of rows get 1-3 of
  them). Written once per size into ``--shards`` Parquet files under ``--work`` (reused later).
- The rules: ``examples/sms/sms.lf`` (the 73 WRENCH SMS LFs).
- Each explicate run is a subprocess doing ``apply_shards`` (read each shard on the worker,
  tokenize it once, apply the program, write the int8 block, VoteStats) and ``fit_shards``
  (fit on the summed statistics, predict per shard by pattern lookup): wall seconds, rows/s of
  the apply, the fit seconds after the reduction, the statistics' size, and the peak RSS of the
  whole process tree (sampled from /proc every 0.1 s: driver plus workers) and of the largest
  single process (``ru_maxrss``, what ``/usr/bin/time -v`` reports). The apply's timed region
  is ``apply_shards`` alone: reading and compiling the rules, the first shard's schema, every
  shard; with ``--warm-parser`` / ``--warm-tokenizer`` the rule parser / spaCy (once per
  process, one thread whatever the engine) are built before it. Its CPU is split by thread
  (/proc/self/task): on idle cores the apply takes at least the driver thread's CPU plus the
  busiest worker's, a bound other processes on the box do not move much
  (``threads_vs_serial_at_N_cpu_bounds``: the serial bound over the threads one; not a ceiling:
  waits for the GIL or the disk are outside both bounds).
- Snorkel: the same 73 rules as Python ``@labeling_function``s. Each LF evaluates its rule row
  by row with explicate's reference interpreter (``compiler/reference.py``, the plain-Python
  spec the kernels are tested against), on tokens computed once per row up front (that
  tokenization is timed and added to Snorkel's time), so no LF re-tokenizes. Snorkel's
  ``PandasLFApplier`` and ``DaskLFApplier(fault_tolerant=True)`` (its default "processes"
  scheduler over a ``dask.dataframe`` made from the subsample, a partition per shard) run on
  a subsample (``--snorkel-rows``; 5,000 by default: Snorkel runs at tens of rows/s here), and the run
  checks that Snorkel's L equals explicate's on it (Dask's string conversion of the token
  column is turned off: with it, LFs fail and ``fault_tolerant`` hides it as abstains).
  explicate runs on the same subsample too, for a same-size ratio.

- ``--end-model``: the end model trained from the shards, streamed (``engine.train``:
  ``train_shards``, window by window, 3 epochs of minibatches) against in-memory training
  (every shard read into one frame, ``EndModel.fit``: L-BFGS over the whole design matrix), on
  a labeled variant of the corpus (a gold class per row; each class has 300 words of its own
  that the rules do not read, and rows get the rules' phrases of their class, sometimes one of
  the other). L and the probabilities are made first (``--engine``, untimed); each training
  runs in its own measured process: rows/s, wall, peak RSS, and F1 (SPAM) on a separate 20k-row
  test shard.

The box is shared: the load average is printed with every figure. The last line is one JSON
object with all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "examples" / "sms" / "sms.lf"
VOCAB = 20_000
SEED = 0
sys.path.insert(0, str(REPO))  # this checkout's explicate, in this process and the children


# ------------------------------------------------------------------------------ the corpus
def planted_phrases() -> list[str]:
    """Every word or phrase the rules look for (the planted keywords)."""
    import pandas as pd

    from explicate import ir
    from explicate.runtime.apply import compile_for, load_rules

    program, _ = compile_for(load_rules(RULES), pd.DataFrame({"text": ["x"]}))
    return sorted({n.text for lf in program.lowered for n in ir.walk(lf.when)
                   if isinstance(n, ir.Phrase)})


def ensure_corpus(work: Path, n: int, shards: int) -> Path:
    """``shards`` Parquet files of ``n`` rows in all (seeded; written once, then reused)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = work / f"corpus-{n}-{shards}"
    done = where / "DONE"
    if done.is_file():
        return where
    where.mkdir(parents=True, exist_ok=True)
    phrases = np.array(planted_phrases(), dtype=object)
    vocab = np.array([f"w{i}" for i in range(VOCAB)], dtype=object)
    bounds = np.linspace(0, n, shards + 1).astype(np.int64)
    for s in range(shards):
        rows = int(bounds[s + 1] - bounds[s])
        rng = np.random.default_rng([SEED, n, s])
        lengths = rng.integers(5, 31, size=rows)
        words = vocab[(rng.zipf(1.2, size=int(lengths.sum())) - 1) % VOCAB]
        ends = np.cumsum(lengths)
        plant = rng.random(rows) < 0.3
        texts = []
        for i, e in enumerate(ends.tolist()):
            msg = words[e - lengths[i] : e].tolist()
            if plant[i]:
                for p in rng.choice(phrases, size=int(rng.integers(1, 4))):
                    msg.insert(int(rng.integers(0, len(msg) + 1)), p)
            texts.append(" ".join(msg))
        pq.write_table(pa.table({"text": pa.array(texts, pa.string())}),
                       where / f"part-{s:05d}.parquet")
    done.write_text(str(n))
    return where


# ------------------------------------------------------------------------------ measuring
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(d))
    return tree


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(tree.get(pid, ()))
    return total


def measured(args: list[str]) -> dict[str, Any]:
    """Run ``python benchmarks/scale.py ARGS`` under ``/usr/bin/time -v``; its JSON line plus
    wall seconds and peak RSS (process tree, and the largest single process)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    time_v = Path("/usr/bin/time")
    if time_v.is_file():
        cmd = [str(time_v), "-v", *cmd]
    t0 = time.perf_counter()
    # Every run starts cold: no batch (token) cache, so a run does not reuse the tokens an
    # earlier engine's run of the same shards left behind (that made `threads` look 2.4x serial).
    env = {**os.environ, "EXPLICATE_CACHE": "off", "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO, env=env)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    maxrss = [ln for ln in err.splitlines() if "Maximum resident set size" in ln]
    if maxrss:
        result["max_single_rss_mb"] = round(int(maxrss[0].split(":")[1]) / 1024, 1)
    else:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result["max_single_rss_mb"] = round(kids / 1024, 1)
    result["peak_tree_rss_mb"] = round(peak[0] / 2**20, 1)
    result["wall_s"] = round(wall, 2)
    result["load_1m"] = round(os.getloadavg()[0], 2)
    return result


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, every process; /proc/stat), or
    -1 where it cannot be read. Less this process's own CPU time over a span, it is what other
    processes took from the cores meanwhile: a measure of the load during that span itself."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return -1.0
    busy = f[0] + f[1] + f[2] + sum(f[5:8])  # user nice system (idle iowait) irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def wait_quiet(limit: float, max_wait: float, span: float = 2.0) -> float:
    """Wait (up to ``max_wait`` seconds) until other processes use under ``limit`` cores over
    ``span`` seconds; the last such figure."""
    deadline = time.perf_counter() + max_wait
    while True:
        b0, c0 = busy_seconds(), time.process_time()
        time.sleep(span)
        others = max(0.0, busy_seconds() - b0 - (time.process_time() - c0)) / span
        if others < limit or time.perf_counter() > deadline:
            return others


def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process so far, by thread id
    (/proc/self/task; empty where it cannot be read). Only live threads are listed: read it
    before the engine's pool is shut down."""
    out: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (int(f[11]) + int(f[12])) / tick  # utime, stime: fields 14, 15
    return out


def cpu_critical_path(before: dict[int, float], after: dict[int, float]) -> dict[str, Any]:
    """Where the apply's CPU went, thread by thread, and what it bounds: on idle cores the apply
    takes at least the driver thread's CPU plus the busiest other thread's (each thread runs
    on one core; waiting for the GIL only adds), whatever other processes did meanwhile."""
    main = threading.main_thread().native_id or -1  # None only before the thread starts
    used = {t: after[t] - before.get(t, 0.0) for t in after}
    others = sorted((v for t, v in used.items() if t != main and v >= 0.01), reverse=True)
    driver = used.get(main, 0.0)
    return {"driver_cpu_s": round(driver, 2), "other_threads_cpu_s": [round(v, 2) for v in others],
            "idle_wall_lower_bound_s": round(driver + (others[0] if others else 0.0), 2)}


# ------------------------------------------------------------------------------ children
def heap_tuned() -> bool:
    """Whether this process's malloc thresholds were set (``runtime.heap``; on unless
    ``EXPLICATE_MALLOC=off``)."""
    from explicate.runtime import heap

    return heap.tune_heap()


def child_explicate(a: argparse.Namespace) -> dict[str, Any]:
    from explicate.runtime.engine import apply_shards, fit_shards, make_engine

    work = Path(a.out)
    t0 = time.perf_counter()
    engine = make_engine(a.engine, a.workers)  # a local cluster starts here (timed apart)
    t_start = time.perf_counter() - t0
    if a.warm_parser:  # the rule parser built before the clock starts (see --warm-parser)
        from explicate.runtime.apply import load_rules

        load_rules(RULES)
    if a.warm_tokenizer:  # spaCy's tokenizer loaded before the clock starts (see --warm-tokenizer)
        from explicate.runtime.batch_cache import tokenizer_fingerprint

        tokenizer_fingerprint()  # loads spaCy's blank English pipeline, then digests it
    f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b1, c1, t1, th1 = busy_seconds(), time.process_time(), time.perf_counter(), thread_cpu()
    run = apply_shards(RULES, a.data, work / "L", engine=engine)
    t_apply = time.perf_counter() - t1
    cpu = time.process_time() - c1
    # Minor faults: first touches of freshly mapped pages (~3 us each here), a load-insensitive
    # share of the CPU (``runtime.heap``).
    minflt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f1
    threads_cpu = cpu_critical_path(th1, thread_cpu())
    others = max(0.0, busy_seconds() - b1 - cpu) if b1 >= 0 else float("nan")
    rows = run.manifest["rows"]
    report = fit_shards(work / "L", work / "P", method="auto", engine=engine)
    engine.close()
    return {"engine": a.engine, "rows": rows, "shards": len(run.manifest["shards"]),
            "start_s": round(t_start, 2), "apply_s": round(t_apply, 2),
            "rows_per_s": round(rows / t_apply),
            "apply_phases_s": {k: round(v, 3) for k, v in run.phases.items()},
            "apply_cpu_s": round(cpu, 2), "apply_minflt": minflt,
            "heap_tuned": heap_tuned(), "others_cores": round(others / t_apply, 2),
            "apply_threads_cpu": threads_cpu,
            "warm_parser": a.warm_parser, "warm_tokenizer": a.warm_tokenizer,
            "fit_s": report["fit_seconds"], "predict_s": report["predict_seconds"],
            "patterns": report["patterns"], "stats_bytes": report["stats_bytes"],
            "total_s": round(time.perf_counter() - t0, 2)}


def snorkel_lfs() -> tuple[list[Any], Any]:
    """The 73 rules as Snorkel LFs over a ``toks`` column (see the module docstring)."""
    import pandas as pd
    from snorkel.labeling import LabelingFunction

    from explicate.compiler.reference import PlainRow, vote
    from explicate.runtime.apply import compile_for, load_rules
    from explicate.runtime.features import tokenize

    program, _ = compile_for(load_rules(RULES), pd.DataFrame({"text": ["x"]}))
    phrase_tokens = {p: tokenize(p) for p in planted_phrases()}

    def make(lf: Any) -> LabelingFunction:
        def f(x: Any) -> int:
            toks = x.toks
            text = x.text
            row = PlainRow({"text": text}, {},
                           lambda s: toks if s == text else phrase_tokens.get(s) or tokenize(s))
            return vote(lf, row)

        return LabelingFunction(name=lf.name, f=f)

    return [make(lf) for lf in program.lowered], program


def child_snorkel(a: argparse.Namespace) -> dict[str, Any]:
    import dask.dataframe as dd
    import pandas as pd
    from snorkel.labeling import PandasLFApplier
    from snorkel.labeling.apply.dask import DaskLFApplier

    from explicate.runtime.engine import read_blocks
    from explicate.runtime.features import tokenize

    lfs, _ = snorkel_lfs()
    files = sorted(Path(a.data).glob("*.parquet"))
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    t0 = time.perf_counter()
    df["toks"] = pd.Series([tokenize(t) for t in df["text"]], index=df.index, dtype=object)
    t_tok = time.perf_counter() - t0
    t1 = time.perf_counter()
    if a.engine == "snorkel-pandas":
        L = PandasLFApplier(lfs).apply(df, progress_bar=False)
    else:
        import dask

        # Dask would turn the token column into strings (dataframe.convert-string); keep it.
        with dask.config.set({"dataframe.convert-string": False}):
            ddf = dd.from_pandas(df, npartitions=max(2, len(files)))
        L = DaskLFApplier(lfs).apply(ddf, fault_tolerant=True)
    t_apply = time.perf_counter() - t1
    same = None
    if a.check:
        same = bool(np.array_equal(np.asarray(L, dtype=np.int8), read_blocks(a.check)))
    total = t_tok + t_apply
    return {"engine": a.engine, "rows": len(df), "tokenize_s": round(t_tok, 2),
            "apply_s": round(total, 2), "rows_per_s": round(len(df) / total),
            "same_L_as_explicate": same}


# ------------------------------------------------------------------------------ end model
CLASS_WORDS = 300
TEST_ROWS = 20_000


def labeled_phrases() -> dict[int, list[str]]:
    """The rules' phrases that alone make some LF vote, all for one label (0 HAM, 1 SPAM), by
    that label."""
    import pandas as pd

    from explicate.runtime.apply import apply_program, compile_for, load_rules

    texts = pd.DataFrame({"text": planted_phrases()})
    program, schema = compile_for(load_rules(RULES), texts)
    assert schema is not None
    L = apply_program(program, texts, schema, progress=False).L
    by: dict[int, list[str]] = {0: [], 1: []}
    for text, votes in zip(texts["text"], L, strict=True):
        cast = set(votes[votes >= 0].tolist())
        if len(cast) == 1:
            by[cast.pop()].append(text)
    return by


def ensure_labeled_corpus(work: Path, n: int, shards: int, tag: str = "train") -> Path:
    """``shards`` Parquet files of ``n`` rows with a ``label`` column (HAM/SPAM; seeded by
    ``tag``; written once, then reused). See the module docstring for what a row holds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = work / f"labeled-{tag}-{n}-{shards}"
    done = where / "DONE"
    if done.is_file():
        return where
    where.mkdir(parents=True, exist_ok=True)
    phrases = {c: np.array(v, dtype=object) for c, v in labeled_phrases().items()}
    vocab = np.array([f"w{i}" for i in range(VOCAB)], dtype=object)
    own = {c: np.array([f"{'hs'[c]}{i}" for i in range(CLASS_WORDS)], dtype=object)
           for c in (0, 1)}
    bounds = np.linspace(0, n, shards + 1).astype(np.int64)
    for s in range(shards):
        rows = int(bounds[s + 1] - bounds[s])
        rng = np.random.default_rng([SEED, n, s, sum(map(ord, tag))])
        y = (rng.random(rows) < 0.3).astype(np.int64)
        lengths = rng.integers(5, 31, size=rows)
        words = vocab[(rng.zipf(1.2, size=int(lengths.sum())) - 1) % VOCAB]
        ends = np.cumsum(lengths)
        texts = []
        for i, e in enumerate(ends.tolist()):
            c = int(y[i])
            msg = words[e - lengths[i] : e].tolist()
            extra = list(rng.choice(own[c], size=int(rng.integers(0, 4))))
            if rng.random() < 0.6:
                extra += list(rng.choice(phrases[c], size=int(rng.integers(1, 3))))
            if rng.random() < 0.05:
                extra.append(rng.choice(phrases[1 - c]))
            for p in extra:
                msg.insert(int(rng.integers(0, len(msg) + 1)), p)
            texts.append(" ".join(msg))
        pq.write_table(pa.table({"text": pa.array(texts, pa.string()),
                                 "label": pa.array(np.array(["HAM", "SPAM"])[y])}),
                       where / f"part-{s:05d}.parquet")
    done.write_text(str(n))
    return where


def _test_f1(model: Any, test: str) -> float:
    import pandas as pd

    from explicate.runtime.metrics import score_predictions

    df = pd.concat([pd.read_parquet(f) for f in sorted(Path(test).glob("*.parquet"))])
    y = (df["label"].to_numpy() == "SPAM").astype(np.int64)
    pred = model.predict(df[["text"]])
    return round(float(score_predictions(y, pred, ["f1"])["f1"]), 4)


def child_train(a: argparse.Namespace) -> dict[str, Any]:
    """Streamed (``train_shards``) or in-memory (``EndModel.fit`` on every row) training."""
    from explicate.runtime.end_model import EndModel

    t0 = time.perf_counter()
    if a.child == "train-streamed":
        from explicate.runtime.engine.train import MODEL, train_shards

        rep = train_shards(a.data, a.out, epochs=a.epochs, predict=False, progress=False)
        model = EndModel.load(Path(a.out) / MODEL)
        rows, seconds = rep["trained_rows"], time.perf_counter() - t0
        extra = {"epochs": rep["epochs"], "rows_read_per_s": rep["rows_per_s"],
                 "features_s": rep["features_seconds"], "sgd_s": rep["train_seconds"]}
    else:
        import pandas as pd

        from explicate.runtime.end_model import TextSpec
        from explicate.runtime.engine import read_blocks, read_manifest

        p_manifest = read_manifest(a.data, "explicate.shard_probs/1")
        l_dir = p_manifest["l_dir"]
        df = pd.concat([pd.read_parquet(s["source"], columns=["text"])
                        for s in read_manifest(l_dir)["shards"]], ignore_index=True)
        probs = read_blocks(a.data, fmt="explicate.shard_probs/1")
        covered = (read_blocks(l_dir) != -1).any(axis=1)
        t_read = time.perf_counter() - t0
        model = EndModel(kind="linear", cardinality=2, spec=TextSpec(("text",)), progress=False)
        model.fit(df, probs, covered=covered)
        rows, seconds = int(covered.sum()), time.perf_counter() - t0
        extra = {"read_s": round(t_read, 2),
                 "features_s": round(model.fit_info["features_seconds"], 2),
                 "lbfgs_s": round(model.fit_info["train_seconds"], 2)}
    n = read_manifest_rows(a.data)
    return {"how": a.child, "rows": n, "trained_rows": rows, "train_s": round(seconds, 2),
            "rows_per_s": round(n / seconds), "test_f1": _test_f1(model, a.check), **extra}


def read_manifest_rows(probs_dir: str) -> int:
    return int(json.loads((Path(probs_dir) / "manifest.json").read_text())["rows"])


def end_model_section(a: argparse.Namespace, work: Path, sizes: list[int]) -> None:
    from explicate.runtime.engine import apply_shards, fit_shards

    test = ensure_labeled_corpus(work, TEST_ROWS, 1, tag="test")
    runs = []
    for n in sizes:
        data = ensure_labeled_corpus(work, n, a.shards)
        base = work / f"em-{n}-{a.shards}"
        if not (base / "P" / "manifest.json").is_file():
            t0 = time.perf_counter()
            apply_shards(RULES, data, base / "L", engine=a.engine, workers=a.workers)
            fit_shards(base / "L", base / "P", method="auto")
            print(f"  L and probabilities of {n:,} rows: {time.perf_counter() - t0:.1f} s "
                  f"({a.engine}), load {os.getloadavg()[0]:.2f}", flush=True)
        for how in ("train-streamed", "train-memory"):
            if how == "train-memory" and n > a.memory_max:
                continue
            r = measured(["--child", how, "--data", str(base / "P"), "--out",
                          str(base / "M"), "--check", str(test), "--epochs", str(a.epochs)])
            r["n"] = n
            runs.append(r)
            print(f"  {how:15s} {n:>10,} rows: {r['rows_per_s']:>8,} rows/s end to end "
                  f"({r['trained_rows']:,} covered rows trained on), wall {r['wall_s']:.1f} s, peak RSS "
                  f"{r['max_single_rss_mb']:.0f} MB, test F1 {r['test_f1']}, load "
                  f"{r['load_1m']}", flush=True)
    print(json.dumps({"benchmark": "scale-end-model", "rules": RULES.name,
                      "cores": os.cpu_count(), "runs": runs,
                      "load_1m_after": round(os.getloadavg()[0], 2)}))


# ------------------------------------------------------------------------------ the run
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--engines", default="serial,threads,dask")
    ap.add_argument("--big-engines", default="dask",
                    help="engines for sizes of 1M rows and more (each such run takes minutes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--snorkel-rows", type=int, default=5_000)
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "explicate-scale"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run each engine this many times, interleaved (the best one counts)")
    ap.add_argument("--warm-parser", action="store_true",
                    help="build the rule parser in each run before its apply is timed (a "
                    "user's parser cache holds it built; runs here have every cache off, so "
                    "each apply otherwise includes building it, about 0.26 s)")
    ap.add_argument("--warm-tokenizer", action="store_true",
                    help="load spaCy's tokenizer in each run before its apply is timed (a "
                    "long-lived process has it loaded; otherwise each apply includes loading "
                    "it, about 0.2 s, on one thread whatever the engine)")
    ap.add_argument("--quiet", type=float, default=0.0,
                    help="start each explicate run when other processes use under this many "
                    "cores, and run it again (up to --tries) when they used more meanwhile")
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--max-wait", type=float, default=300.0,
                    help="seconds --quiet waits before a run starts anyway")
    ap.add_argument("--no-snorkel", action="store_true",
                    help="engines only: no subsample runs, no Snorkel")
    ap.add_argument("--end-model", action="store_true",
                    help="the end-model section only: streamed vs in-memory training")
    ap.add_argument("--epochs", type=int, default=3, help="streamed training's epochs")
    ap.add_argument("--memory-max", type=int, default=1_000_000,
                    help="largest size trained in memory too (--end-model)")
    ap.add_argument("--child", choices=["explicate", "snorkel", "train-streamed",
                                        "train-memory"])
    ap.add_argument("--engine", default="serial")
    ap.add_argument("--data", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--check", default="")
    a = ap.parse_args()
    if a.child:
        fn = {"explicate": child_explicate, "snorkel": child_snorkel}.get(a.child, child_train)
        print(json.dumps(fn(a)))
        return
    if a.quick:
        a.sizes, a.snorkel_rows, a.shards = "20000", 5_000, 8
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",")]
    engines = a.engines.split(",")
    print(f"load before: {os.getloadavg()[0]:.2f}, cores {os.cpu_count()}, rules {RULES.name}, "
          f"sizes {sizes}, {a.shards} shards, workers {a.workers}", flush=True)
    if a.end_model:
        end_model_section(a, work, sizes)
        return
    runs: list[dict[str, Any]] = []

    def explicate_run(n: int, shards: int, engine: str) -> dict[str, Any]:
        data = ensure_corpus(work, n, shards)
        out = work / f"run-{n}-{engine}"
        args = ["--child", "explicate", "--engine", engine, "--data", str(data), "--out",
                str(out), "--workers", str(a.workers),
                *(["--warm-parser"] if a.warm_parser else []),
                *(["--warm-tokenizer"] if a.warm_tokenizer else [])]
        tries = a.tries if a.quiet else 1
        for _ in range(tries):  # with --quiet: until other processes left the cores alone
            if a.quiet:
                wait_quiet(a.quiet, a.max_wait)
            r = measured(args)
            if not a.quiet or r["others_cores"] <= a.quiet:
                break
        r["n"] = n
        tc = r["apply_threads_cpu"]
        print(f"  explicate {engine:8s} {n:>10,} rows: {r['rows_per_s']:>9,} rows/s apply, "
              f"wall {r['wall_s']:.1f} s, fit {r['fit_s']:.3f} s, {r['patterns']:,} patterns "
              f"({r['stats_bytes'] / 1024:.0f} KiB), peak RSS {r['peak_tree_rss_mb']:.0f} MB "
              f"tree / {r['max_single_rss_mb']:.0f} MB largest, load {r['load_1m']}; apply CPU "
              f"{r['apply_cpu_s']:.2f} s (driver thread {tc['driver_cpu_s']:.2f} s, others "
              f"{tc['other_threads_cpu_s']}; idle-core wall >= {tc['idle_wall_lower_bound_s']:.2f}"
              f" s), other processes {r['others_cores']:.2f} cores meanwhile;"
              " driver: " + ", ".join(f"{k} {v:.2f} s" for k, v in r["apply_phases_s"].items()),
              flush=True)
        return r

    for n in sizes:
        for _ in range(a.rounds):  # engines interleaved, so each round sees about the same load
            for engine in engines if n < 1_000_000 else a.big_engines.split(","):
                runs.append(explicate_run(n, a.shards, engine))
    if a.no_snorkel:
        rate: dict[tuple[str, int], int] = {}
        for r in runs:
            rate[r["engine"], r["n"]] = max(rate.get((r["engine"], r["n"]), 0), r["rows_per_s"])
        speedups = {f"threads_vs_serial_at_{n}": round(rate["threads", n] / rate["serial", n], 2)
                    for n in sizes if ("threads", n) in rate and ("serial", n) in rate}
        for n in sizes:  # the round whose runs other processes disturbed least
            pairs = [(max(s["others_cores"], t["others_cores"]), s, t) for s, t in zip(
                [r for r in runs if r["n"] == n and r["engine"] == "serial"],
                [r for r in runs if r["n"] == n and r["engine"] == "threads"], strict=False)]
            if pairs:
                o, s_run, t_run = min(pairs, key=lambda p: p[0])
                speedups[f"threads_vs_serial_at_{n}_quietest_round"] = round(
                    t_run["rows_per_s"] / s_run["rows_per_s"], 2)
                speedups[f"others_cores_in_quietest_round_at_{n}"] = o
        for n in sizes:  # what the threads' CPU alone allows (their waits for the GIL aside)
            bound = {e: min((r["apply_threads_cpu"]["idle_wall_lower_bound_s"] for r in runs
                             if r["n"] == n and r["engine"] == e), default=0.0)
                     for e in ("serial", "threads")}
            if bound["serial"] and bound["threads"]:
                speedups[f"threads_vs_serial_at_{n}_cpu_bounds"] = round(
                    bound["serial"] / bound["threads"], 2)
        for k, v in speedups.items():
            print(f"  {k}: {v} (best of {a.rounds} rounds)")
        print(json.dumps({"benchmark": "scale", "rules": RULES.name, "cores": os.cpu_count(),
                          "runs": runs, "ratios": speedups,
                          "load_1m_after": round(os.getloadavg()[0], 2)}))
        return
    # The same-size comparison with Snorkel, on a subsample.
    m = a.snorkel_rows
    small = {e: explicate_run(m, 2, e) for e in ("serial", "dask")}
    snorkel = {}
    for engine in ("snorkel-pandas", "snorkel-dask"):
        r = measured(["--child", "snorkel", "--engine", engine, "--data",
                      str(ensure_corpus(work, m, 2)), "--check", str(work / f"run-{m}-serial/L")])
        snorkel[engine] = r
        print(f"  {engine:18s} {m:>10,} rows: {r['rows_per_s']:>9,} rows/s (incl. "
              f"{r['tokenize_s']:.1f} s tokenizing), wall {r['wall_s']:.1f} s, peak RSS "
              f"{r['peak_tree_rss_mb']:.0f} MB, same L: {r['same_L_as_explicate']}, load "
              f"{r['load_1m']}", flush=True)

    def best(engine: str) -> dict[str, Any] | None:
        mine = [r for r in runs if r["engine"] == engine]
        return max(mine, key=lambda r: (r["n"], r["rows_per_s"])) if mine else None

    ratios: dict[str, float] = {}
    sd = snorkel["snorkel-dask"]["rows_per_s"]
    for e in engines:
        top_run = best(e)
        if top_run:
            ratios[f"{e}_at_{top_run['n']}_vs_snorkel_dask"] = round(
                top_run["rows_per_s"] / sd, 1)
    ratios["dask_vs_snorkel_dask_same_rows"] = round(small["dask"]["rows_per_s"] / sd, 1)
    ratios["serial_vs_snorkel_pandas_same_rows"] = round(
        small["serial"]["rows_per_s"] / snorkel["snorkel-pandas"]["rows_per_s"], 1)
    both = sorted({r["n"] for r in runs if r["engine"] == "serial"}
                  & {r["n"] for r in runs if r["engine"] == "threads"})
    if both:  # the largest size both ran at, the best round of each
        top: dict[str, int] = {}
        for r in runs:
            if r["n"] == both[-1]:
                top[r["engine"]] = max(top.get(r["engine"], 0), r["rows_per_s"])
        ratios[f"threads_vs_serial_at_{both[-1]}"] = round(top["threads"] / top["serial"], 2)
    for k, v in ratios.items():
        print(f"  ratio {k}: {v}x")
    print(json.dumps({"benchmark": "scale", "rules": RULES.name, "cores": os.cpu_count(),
                      "runs": runs, "subsample": small, "snorkel": snorkel, "ratios": ratios,
                      "load_1m_after": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
