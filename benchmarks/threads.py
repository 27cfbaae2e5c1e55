"""Thread settings side by side, under synthetic load and quiet (issue 18).

Each case runs in a fresh child process per setting (the OpenMP wait policy is read when torch
loads, so it cannot change inside one process):

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
def _child(case: str, setting: str, n: int) -> float:
    """Run one case in this (fresh) process and return its figure."""
    sys.path.insert(0, str(ROOT))
    import torch

    from explicate.runtime import device

    if setting == "torch":  # switch the policy off: every region on all of torch's threads
        device.threads_for = lambda work: torch.get_num_threads()  # type: ignore[assignment]
    elif setting == "one":
        torch.set_num_threads(1)
    if case.startswith("lm_"):
        return _label_model_case(case, n)
    if case == "end_model_linear":
        return _end_model_case(n)
    return _minilm_case(n)


def _label_model_case(case: str, n: int) -> float:
    from explicate.runtime.label_model import LabelModel, synthetic_votes

    m, k = (200, 4) if case == "lm_fit_predict_k4" else (50, 2)
    L, _, _, _ = synthetic_votes(n, m, k, seed=0)
    model = LabelModel(k, "auto")
    if case == "lm_predict":
        model.fit(L[:100_000])
        t0 = time.perf_counter()
        model.predict_proba(L)
        return time.perf_counter() - t0
    t0 = time.perf_counter()
    model.fit(L).predict_proba(L)
    return time.perf_counter() - t0


def _disease_frame(n: int) -> Any:
    import pandas as pd

    data = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
    path = data / "disease" / "train.tsv"
    if path.is_file():
        df = pd.read_csv(path, sep="\t")
        return df.head(n) if n < len(df) else df
    words = [f"w{i}" for i in range(2_000)]
    import numpy as np

    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, 30)) for _ in range(n)]
    return pd.DataFrame({"text": texts})


def _text_spec(df: Any) -> Any:
    from explicate.runtime.end_model import TextSpec

    cols = [c for c in df.columns if df[c].dtype == object]
    text = "text" if "text" in df.columns else max(cols, key=lambda c: df[c].astype(str).str.len().mean())
    return TextSpec((text,))


def _end_model_case(n: int) -> float:
    import numpy as np

    from explicate.runtime.end_model import EndModel

    df = _disease_frame(n)
    rng = np.random.default_rng(0)
    p = rng.random(len(df)).astype(np.float32)
    probs = np.stack([p, 1 - p], axis=1)
    model = EndModel(kind="linear", cardinality=2, spec=_text_spec(df), epochs=2, progress=False,
                     device="cpu")
    t0 = time.perf_counter()
    model.fit(df, probs)
    return 2 * len(df) / (time.perf_counter() - t0)  # rows per second over both epochs


def _minilm_case(n: int) -> float:
    from explicate.runtime.end_model import SentenceEncoder, minilm_available

    if not minilm_available():
        return float("nan")
    import torch

    texts = [f"sentence number {i} about a patient with a rare disease" for i in range(n)]
    enc = SentenceEncoder(torch.device("cpu"), None, progress=False)
    enc.encode(texts[:8])  # load the weights outside the timing
    t0 = time.perf_counter()
    enc.encode(texts)
    return n / (time.perf_counter() - t0)


# ----------------------------------------------------------------------- parent: the table
def measure(case: str, setting: str, n: int, timeout: float = 900.0) -> float:
    cmd = [sys.executable, __file__, "--child", case, setting, str(n)]
    res = subprocess.run(cmd, env=_settings_env(setting), capture_output=True, text=True,
                         timeout=timeout, check=False)
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return float("nan")
    return float(res.stdout.strip().splitlines()[-1])


def run_all(cases: dict[str, int], repeats: int, loaded: bool) -> dict[str, dict[str, float]]:
    procs = [mp.Process(target=_busy, daemon=True) for _ in range(2 if loaded else 0)]
    for p in procs:
        p.start()
    try:
        out: dict[str, dict[str, list[float]]] = {c: {s: [] for s in SETTINGS} for c in cases}
        for _ in range(repeats):
            for case, n in cases.items():
                for setting in SETTINGS:  # interleaved: load drift hits every setting alike
                    out[case][setting].append(measure(case, setting, n))
                    print(f"  {'loaded' if loaded else 'quiet '} {case:20s} {setting:7s} "
                          f"{out[case][setting][-1]:10.3f}", flush=True)
    finally:
        for p in procs:
            p.terminate()
    return {c: {s: _median(v) for s, v in d.items()} for c, d in out.items()}


def _median(v: list[float]) -> float:
    good = sorted(x for x in v if x == x)
    return round(good[len(good) // 2], 4) if good else float("nan")


def ratios(table: dict[str, dict[str, float]]) -> dict[str, float]:
    """Policy against the 1-thread figure and against the best setting (>1: policy slower)."""
    out: dict[str, float] = {}
    for case, row in table.items():
        pol, one = row["policy"], row["one"]
        vals = [v for v in row.values() if v == v]
        if not vals or pol != pol:
            continue
        if case in RATE_CASES:  # rates: slower means smaller
            out[f"{case}_vs_one"] = round(one / pol, 3)
            out[f"{case}_vs_best"] = round(max(vals) / pol, 3)
        else:
            out[f"{case}_vs_one"] = round(pol / one, 3)
            out[f"{case}_vs_best"] = round(pol / min(vals), 3)
    return out


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        print(_child(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--full", action="store_true", help="the issue's sizes (10^7 rows)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-quiet", action="store_true")
    args = ap.parse_args()
    sizes = {  # rows per case: --quick, default, --full (the sizes)
        "lm_fit_predict": (100_000, 1_000_000, 1_000_000),
        "lm_fit_predict_k4": (50_000, 500_000, 10_000_000),
        "lm_predict": (200_000, 2_000_000, 10_000_000),
        "end_model_linear": (2_000, 20_000, 20_000),
        "minilm_embed": (32, 256, 256),
    }
    pick = 0 if args.quick else (2 if args.full else 1)
    cases = {case: n[pick] for case, n in sizes.items()}
    print(f"load before: {os.getloadavg()[0]:.2f}, cores {os.cpu_count()}, sizes {cases}", flush=True)
    loaded = run_all(cases, args.repeats, loaded=True)
    quiet = {} if args.skip_quiet else run_all(cases, args.repeats, loaded=False)
    figures: dict[str, Any] = {
        "benchmark": "threads",
        "sizes": cases,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "loaded": loaded,
        "quiet": quiet,
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
