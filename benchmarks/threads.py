"""Thread settings side by side, under synthetic load and quiet (issue 18).

Each setting runs every case in a fresh child process (the OpenMP wait policy is read when
torch loads, so it cannot change inside one process); figures are wall and CPU time:

``torch``   torch's defaults: one thread per core, OpenMP's own wait policy, explicate's thread
            policy switched off (every region uses all threads);
``one``     ``EXPLICATE_THREADS=1`` (and torch's intra-op threads set to 1);
``policy``  explicate's defaults: small regions on one thread, large ones on the cores, passive
            waiting (``OMP_WAIT_POLICY=PASSIVE``).

Cases: label model fit + predict (synthetic votes, k = 2 at n x 50 and k = 4 at n x 200),
predict only (n x 50), the linear end model's training (rows/s, Disease train) and MiniLM
embedding (texts/s; skipped where the encoder is not installed). "Loaded" runs with two busy-loop
processes that the benchmark starts and stops. The last line is one JSON object: seconds (or
rate) per case, setting and load, the ratios the issue asks for and the machine's load average.

    .venv/bin/python benchmarks/threads.py [--quick] [--full] [--repeats 1]

``--quick`` shrinks n (for a smoke run); ``--full`` uses the issue's sizes (10^7 rows; about
2 GB for the 10^7 x 200 matrix).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ("torch", "one", "policy")
RATE_CASES = ("end_model_linear", "minilm_embed")  # figures are rates (higher is better)


def _busy() -> None:  # pragma: no cover - runs in the load processes
    while True:
        pass


def _settings_env(setting: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "EXPLICATE_THREADS")}
    if setting == "one":
        env["EXPLICATE_THREADS"] = "1"
    elif setting == "policy":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


# ----------------------------------------------------------------------- child: one measurement
def _child(setting: str, cases: dict[str, int]) -> dict[str, list[float]]:
    """Run every case in this (fresh) process under one setting: ``[wall, cpu]`` per case
    (seconds, or rows/texts per second for the rate cases)."""
    sys.path.insert(0, str(ROOT))
    import torch

    from explicate.runtime import device

    if setting == "torch":  # switch the policy off: every region on all of torch's threads
        device.threads_for = lambda work: torch.get_num_threads()  # type: ignore[assignment]
    elif setting == "one":
        torch.set_num_threads(1)
    out: dict[str, list[float]] = {}
    for case, n in cases.items():
        w0, c0 = time.perf_counter(), time.process_time()
        if case in RATE_CASES:  # the case times its own work (not its set-up)
            rate = _end_model_case(n) if case == "end_model_linear" else _minilm_case(n)
            out[case] = [rate, float("nan")]
            continue
        _label_model_case(case, n)
        out[case] = [time.perf_counter() - w0, time.process_time() - c0]
    return out


_VOTES: dict[tuple[int, int, int], Any] = {}


def _votes(n: int, m: int, k: int) -> Any:
    """Synthetic votes, made before the timing starts (see :func:`prepare`)."""
    from explicate.runtime.label_model import synthetic_votes

    key = (n, m, k)
    if key not in _VOTES:
        _VOTES[key] = synthetic_votes(n, m, k, seed=0)[0]
    return _VOTES[key]


def _label_model_case(case: str, n: int) -> None:
    """Fit + predict (or predict only) on prepared votes (the caller times it)."""
    from explicate.runtime.label_model import LabelModel

    m, k = (200, 4) if case == "lm_fit_predict_k4" else (50, 2)
    L = _votes(n, m, k)
    model = LabelModel(k, "auto")
    if case == "lm_predict":
        _FITTED[(n, m, k)].predict_proba(L)
        return
    model.fit(L).predict_proba(L)


_FITTED: dict[tuple[int, int, int], Any] = {}


def prepare(cases: dict[str, int]) -> None:
    """Make the votes (and the model whose prediction is timed) outside the timings."""
    from explicate.runtime.label_model import LabelModel

    for case, n in cases.items():
        if case.startswith("lm_"):
            m, k = (200, 4) if case == "lm_fit_predict_k4" else (50, 2)
            L = _votes(n, m, k)
            if case == "lm_predict":
                _FITTED[(n, m, k)] = LabelModel(k, "auto").fit(L[:100_000])


def _disease_frame(n: int) -> Any:
    import pandas as pd

    data = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
    path = data / "disease" / "train.tsv"
    if path.is_file():  # no header: sentence, chemical, disease, pmid, label
        df = pd.read_csv(path, sep="\t", header=None, quoting=3,
                         names=["text", "chemical", "disease", "pmid", "label"])
        return df.head(n) if n < len(df) else df
    words = [f"w{i}" for i in range(2_000)]
    import numpy as np

    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, 30)) for _ in range(n)]
    return pd.DataFrame({"text": texts})


def _end_model_case(n: int) -> float:
    import numpy as np

    from explicate.runtime.end_model import EndModel, TextSpec

    df = _disease_frame(n)
    rng = np.random.default_rng(0)
    p = rng.random(len(df)).astype(np.float32)
    probs = np.stack([p, 1 - p], axis=1)
    model = EndModel(kind="linear", cardinality=2, spec=TextSpec(("text",)), progress=False,
                     device="cpu")
    model.fit(df, probs)  # full-batch L-BFGS to convergence on the CPU
    info = model.fit_info
    return info["rows"] / info["train_seconds"]  # training rows per second


def _minilm_case(n: int) -> float:
    from explicate.runtime.end_model import SentenceEncoder, minilm_available

    if not minilm_available():
        return float("nan")
    import torch

    texts = [f"sentence number {i} about a patient with a rare disease" for i in range(n)]
    enc = SentenceEncoder(torch.device("cpu"), None, progress=False)
    enc.encode(["warm up: load the weights"])
    t0 = time.perf_counter()
    enc.encode(texts)
    return n / (time.perf_counter() - t0)  # texts per second


# ----------------------------------------------------------------------- parent: the table
def measure(setting: str, cases: dict[str, int], timeout: float = 1800.0
            ) -> dict[str, list[float]]:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"sys.argv = ['threads.py']; import benchmarks.threads as t; "
            f"c = json.loads({json.dumps(json.dumps(cases))}); t.prepare(c); "
            f"print(json.dumps(t._child({setting!r}, c)))")
    res = subprocess.run([sys.executable, "-c", code], env=_settings_env(setting),
                         capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return {c: [float("nan"), float("nan")] for c in cases}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def run_all(cases: dict[str, int], repeats: int, loaded: bool
            ) -> tuple[dict[str, dict[str, float | None]], dict[str, dict[str, float | None]]]:
    """Median wall and CPU figures per case and setting."""
    procs = [mp.Process(target=_busy, daemon=True) for _ in range(2 if loaded else 0)]
    for p in procs:
        p.start()
    walls: dict[str, dict[str, list[float]]] = {c: {s: [] for s in SETTINGS} for c in cases}
    cpus: dict[str, dict[str, list[float]]] = {c: {s: [] for s in SETTINGS} for c in cases}
    try:
        for r in range(repeats):
            # Each repeat starts with another setting, so a load that drifts during a phase
            # does not always favour the setting measured last.
            for setting in SETTINGS[r % 3 :] + SETTINGS[: r % 3]:
                res = measure(setting, cases)
                for case, (wall, cpu) in res.items():
                    walls[case][setting].append(wall)
                    cpus[case][setting].append(cpu)
                    print(f"  {'loaded' if loaded else 'quiet '} {case:20s} {setting:7s} "
                          f"wall {wall:10.3f}  cpu {cpu:10.3f}", flush=True)
    finally:
        for p in procs:
            p.terminate()
    med = {c: {s: _median(v) for s, v in d.items()} for c, d in walls.items()}
    return med, {c: {s: _median(v) for s, v in d.items()} for c, d in cpus.items()}


def _median(v: list[float]) -> float | None:
    good = sorted(x for x in v if x == x)
    return round(good[len(good) // 2], 4) if good else None


def ratios(table: dict[str, dict[str, float | None]]) -> dict[str, float]:
    """Policy against the 1-thread figure and against the best setting (>1: policy slower)."""
    out: dict[str, float] = {}
    for case, row in table.items():
        pol, one = row["policy"], row["one"]
        vals = [v for v in row.values() if v is not None]
        if pol is None or one is None:
            continue
        if case in RATE_CASES:  # rates: slower means smaller
            out[f"{case}_vs_one"] = round(one / pol, 3)
            out[f"{case}_vs_best"] = round(max(vals) / pol, 3)
        else:
            out[f"{case}_vs_one"] = round(pol / one, 3)
            out[f"{case}_vs_best"] = round(pol / min(vals), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--full", action="store_true", help="the issue's sizes (10^7 rows)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-quiet", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated cases to run (default: all)")
    args = ap.parse_args()
    sizes = {  # rows per case: --quick, default, --full (the sizes)
        "lm_fit_predict": (100_000, 1_000_000, 1_000_000),
        "lm_fit_predict_k4": (50_000, 200_000, 10_000_000),
        "lm_predict": (200_000, 1_000_000, 10_000_000),
        "end_model_linear": (1_000, 3_000, 20_000),
        "minilm_embed": (16, 48, 256),
    }
    pick = 0 if args.quick else (2 if args.full else 1)
    cases = {case: n[pick] for case, n in sizes.items()
             if not args.only or case in args.only.split(",")}
    print(f"load before: {os.getloadavg()[0]:.2f}, cores {os.cpu_count()}, sizes {cases}",
          flush=True)
    loaded, loaded_cpu = run_all(cases, args.repeats, loaded=True)
    quiet, quiet_cpu = ({}, {}) if args.skip_quiet else run_all(cases, args.repeats, loaded=False)
    figures: dict[str, Any] = {
        "benchmark": "threads",
        "sizes": cases,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "loaded_wall": loaded,
        "loaded_cpu": loaded_cpu,
        "quiet_wall": quiet,
        "quiet_cpu": quiet_cpu,
        "loaded_ratios": ratios(loaded),
        "quiet_ratios": ratios(quiet),
    }
    lr, qr = figures["loaded_ratios"], figures["quiet_ratios"]
    figures["loaded_within_1_3_of_one_thread"] = all(v <= 1.3 for k, v in lr.items()
                                                     if k.endswith("_vs_one"))
    figures["quiet_within_1_1_of_best"] = all(v <= 1.1 for k, v in qr.items()
                                              if k.endswith("_vs_best")) if qr else None
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
