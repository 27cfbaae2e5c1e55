"""Thread settings side by side, under synthetic load and quiet, in one run (issue 18).

Settings (each run in a fresh child process: the OpenMP wait policy is read when torch loads):

``torch``   torch's defaults: one thread per core, OpenMP's own wait policy, explicate's thread
            policy switched off (every region uses all of torch's threads);
``one``     ``EXPLICATE_THREADS=1`` (and torch's intra-op threads set to 1);
``policy``  explicate's defaults, as the command line runs them: threads chosen per region from
            the work and the machine's load (``runtime/device.py``), OpenMP's own wait policy;
``passive`` (only with ``--settings``) the policy with ``OMP_WAIT_POLICY=PASSIVE`` (what the
            command line set before stop 21: 1.1-1.3x slower than the best setting when idle).

Phases: "loaded" runs with two busy-loop processes that the benchmark starts (and lets settle
for a second) and stops; "quiet" without them. The phases alternate, setting by setting, so
loaded and quiet figures come from the same minutes of the same run. On a shared machine the
quiet phase is only as quiet as the machine: each child reports the busy cores the policy read
(``busy``) and the threads it chose (``chose``), and the JSON line has the load averages.

Cases: label model fit + predict (synthetic votes, k = 2 at n x 50 and k = 4 at n x 200),
predict only (n x 50), the linear end model's training (rows/s, Disease train) and MiniLM
embedding (texts/s; skipped where the encoder is not installed). Each is timed ``--inner``
times in its child (fewer once its timings took 4 s); a figure is the median.

    .venv/bin/python benchmarks/threads.py [--quick] [--full] [--repeats 1] [--only CASES]

``--quick`` (about 2-4 minutes on 2 cores) shrinks n; ``--full`` uses the issue's sizes (10^7
rows; about 2 GB for the 10^7 x 200 matrix). The last line is one JSON object: per phase, case
and setting the median wall seconds (or rate), per case the ratio the issue's target is about
(loaded: policy / one thread, target <= 1.3; quiet: policy / best setting, target <= 1.1) and
whether it passes, and the two overall verdicts.
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
PHASES = ("loaded", "quiet")
RATE_CASES = ("end_model_linear", "minilm_embed")  # figures are rates (higher is better)
LOADED_TARGET, QUIET_TARGET = 1.3, 1.1
CASE_SECONDS = 4.0  # a case's timings stop once they took this long (keeps --quick short)
SIZES = {  # rows per case: --quick, default, --full (the sizes)
    "lm_fit_predict": (200_000, 1_000_000, 1_000_000),
    "lm_fit_predict_k4": (50_000, 200_000, 10_000_000),
    "lm_predict": (1_000_000, 2_000_000, 10_000_000),
    "end_model_linear": (2_000, 6_667, 6_667),
    "minilm_embed": (96, 256, 256),
}


def _busy() -> None:  # pragma: no cover - runs in the load processes
    while True:
        pass


def _settings_env(setting: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "EXPLICATE_THREADS")}
    if setting == "one":
        env["EXPLICATE_THREADS"] = "1"
    elif setting == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


# ----------------------------------------------------------------------- child: one measurement
def _child(setting: str, cases: dict[str, int], inner: int) -> dict[str, Any]:
    """Run every case ``inner`` times in this (fresh) process under one setting: the median
    wall seconds (or rows/texts per second for the rate cases) per case, and what the policy
    read and chose at the start."""
    sys.path.insert(0, str(ROOT))
    import torch

    from explicate.runtime import device

    if setting == "torch":  # switch the policy off: every region on all of torch's threads
        device.threads_for = lambda work: torch.get_num_threads()  # type: ignore[assignment]
    elif setting == "one":
        torch.set_num_threads(1)
    busy = device.busy_cores()
    out: dict[str, Any] = {"busy": None if busy is None else round(busy, 2),
                           "chose": device.threads_for(1 << 22), "cases": {}}
    for case, n in cases.items():
        got: list[float] = []
        start = time.perf_counter()
        for rep in range(inner):
            w0 = time.perf_counter()
            if case == "end_model_linear":  # the case times its own work (not its set-up)
                got.append(_end_model_case(n))
            elif case == "minilm_embed":
                got.append(_minilm_case(n, rep))
            else:
                _label_model_case(case, n)
                got.append(time.perf_counter() - w0)
            if time.perf_counter() - start > CASE_SECONDS:  # a slow setting: fewer timings
                break
        out["cases"][case] = _median(got)
    return out


_VOTES: dict[tuple[int, int, int], Any] = {}
_FITTED: dict[tuple[int, int, int], Any] = {}


def _shape(case: str) -> tuple[int, int]:
    return (200, 4) if case == "lm_fit_predict_k4" else (50, 2)


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

    m, k = _shape(case)
    L = _votes(n, m, k)
    if case == "lm_predict":
        _FITTED[(n, m, k)].predict_proba(L)
        return
    LabelModel(k, "auto").fit(L).predict_proba(L)


def prepare(cases: dict[str, int]) -> None:
    """Make the votes (and the model whose prediction is timed) outside the timings."""
    from explicate.runtime.label_model import LabelModel

    for case, n in cases.items():
        if case.startswith("lm_"):
            m, k = _shape(case)
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
    return float(info["rows"] / info["train_seconds"])  # training rows per second


_ENCODER: list[Any] = []


def _minilm_case(n: int, rep: int) -> float:
    from explicate.runtime.end_model import SentenceEncoder, minilm_available

    if not minilm_available():
        return float("nan")
    import torch

    if not _ENCODER:
        _ENCODER.append(SentenceEncoder(torch.device("cpu"), None, progress=False))
        _ENCODER[0].encode(["warm up: load the weights"])
    # New texts each time: embeddings are cached by text.
    texts = [f"sentence {i} of round {rep} about a patient with a rare disease" for i in range(n)]
    t0 = time.perf_counter()
    _ENCODER[0].encode(texts)
    return n / (time.perf_counter() - t0)  # texts per second


# ----------------------------------------------------------------------- parent: the table
def measure(setting: str, cases: dict[str, int], inner: int, timeout: float = 1800.0
            ) -> dict[str, Any]:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"sys.argv = ['threads.py']; import benchmarks.threads as t; "
            f"c = json.loads({json.dumps(json.dumps(cases))}); t.prepare(c); "
            f"print(json.dumps(t._child({setting!r}, c, {inner})))")
    env = _settings_env(setting)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=timeout, check=False, cwd=ROOT)
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return {"busy": None, "chose": None, "cases": {c: float("nan") for c in cases}}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def run_all(cases: dict[str, int], settings: tuple[str, ...], repeats: int, inner: int,
            phases: tuple[str, ...]) -> dict[str, Any]:
    """Median figures per phase, case and setting, and what each child's policy read."""
    got: dict[str, dict[str, dict[str, list[float]]]] = {
        ph: {c: {s: [] for s in settings} for c in cases} for ph in phases}
    seen: dict[str, list[Any]] = {ph: [] for ph in phases}
    for r in range(repeats):
        # Each repeat starts with another setting and phase, so a load that drifts during the
        # run does not always favour the one measured last.
        order = settings[r % len(settings):] + settings[: r % len(settings)]
        for setting in order:
            for phase in phases[r % len(phases):] + phases[: r % len(phases)]:
                procs = [mp.Process(target=_busy, daemon=True)
                         for _ in range(2 if phase == "loaded" else 0)]
                for p in procs:
                    p.start()
                try:
                    time.sleep(1.0 if procs else 0.0)  # let the load show in the counters
                    res = measure(setting, cases, inner)
                finally:
                    for p in procs:
                        p.terminate()
                    for p in procs:
                        p.join()
                seen[phase].append({"setting": setting, "busy": res["busy"],
                                    "chose": res["chose"], "load_1m": _load()})
                for case, value in res["cases"].items():
                    got[phase][case][setting].append(value)
                    print(f"  {phase:6s} {case:18s} {setting:7s} {value:10.3f}"
                          f"{' /s' if case in RATE_CASES else ' s '}  (policy read busy="
                          f"{res['busy']}, would choose {res['chose']} threads; load "
                          f"{_load():.2f})", flush=True)
    table = {ph: {c: {s: _median(v) for s, v in d.items()} for c, d in t.items()}
             for ph, t in got.items()}
    return {"table": table, "seen": seen}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _median(v: list[float]) -> float | None:
    """The median of the figures that are not NaN (the mean of the middle two for an even
    count, so that two repeats favour neither the faster nor the slower)."""
    good = sorted(x for x in v if x == x)
    if not good:
        return None
    mid = len(good) // 2
    return round(good[mid] if len(good) % 2 else (good[mid - 1] + good[mid]) / 2, 4)


def ratio(case: str, row: dict[str, float | None], against: str) -> float | None:
    """The policy's figure against ``one`` or the best setting's (> 1: the policy is slower)."""
    pol = row.get("policy")
    vals = [v for v in row.values() if v is not None]
    ref = row.get("one") if against == "one" else (
        (max(vals) if case in RATE_CASES else min(vals)) if vals else None)
    if pol is None or ref is None or pol <= 0:
        return None
    return round(ref / pol if case in RATE_CASES else pol / ref, 3)


def verdicts(table: dict[str, Any]) -> dict[str, Any]:
    """Per case: the loaded ratio (policy / one thread) and the quiet one (policy / best),
    each with whether it meets its target; and the overall verdicts."""
    rows: dict[str, Any] = {}
    for phase, against, target in (("loaded", "one", LOADED_TARGET),
                                   ("quiet", "best", QUIET_TARGET)):
        for case, row in table.get(phase, {}).items():
            r = ratio(case, row, against)
            rows.setdefault(case, {})[f"{phase}_vs_{against}"] = r
            rows[case][f"{phase}_pass"] = None if r is None else r <= target
    out: dict[str, Any] = {"rows": rows}
    for phase, key in (("loaded", "loaded_within_1_3_of_one_thread"),
                       ("quiet", "quiet_within_1_1_of_best")):
        passes = [v[f"{phase}_pass"] for v in rows.values() if v.get(f"{phase}_pass") is not None]
        out[key] = all(passes) if passes else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (2-4 minutes)")
    ap.add_argument("--full", action="store_true", help="the issue's sizes (10^7 rows)")
    ap.add_argument("--repeats", type=int, default=1, help="children per setting and phase")
    ap.add_argument("--inner", type=int, default=3, help="timings of each case in a child")
    ap.add_argument("--settings", default=",".join(SETTINGS),
                    help="comma-separated: torch, one, policy, passive")
    ap.add_argument("--skip-quiet", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated cases to run (default: all)")
    args = ap.parse_args()
    pick = 0 if args.quick else (2 if args.full else 1)
    cases = {case: n[pick] for case, n in SIZES.items()
             if not args.only or case in args.only.split(",")}
    settings = tuple(args.settings.split(","))
    phases = PHASES[:1] if args.skip_quiet else PHASES
    t0 = time.perf_counter()
    before = _load()
    print(f"load before: {before:.2f}, cores {os.cpu_count()}, sizes {cases}", flush=True)
    res = run_all(cases, settings, args.repeats, args.inner, phases)
    figures: dict[str, Any] = {
        "benchmark": "threads", "sizes": cases, "settings": settings,
        "load_avg_1m_before": before, "load_avg_1m_after": _load(), "cores": os.cpu_count(),
        "seconds": round(time.perf_counter() - t0, 1), **res["table"],
        "policy_read": res["seen"], **verdicts(res["table"]),
    }
    print("\ncase                loaded policy/one  pass   quiet policy/best  pass")
    for case, v in figures["rows"].items():
        print(f"{case:18s}  {v.get('loaded_vs_one')!s:>17s}  {v.get('loaded_pass')!s:5s}  "
              f"{v.get('quiet_vs_best')!s:>17s}  {v.get('quiet_pass')!s:5s}")
    print(f"loaded target (<= {LOADED_TARGET}x one thread): "
          f"{figures['loaded_within_1_3_of_one_thread']}; quiet target (<= {QUIET_TARGET}x "
          f"best): {figures['quiet_within_1_1_of_best']}  (load {before} -> "
          f"{figures['load_avg_1m_after']}; a quiet phase on a busy machine is not quiet)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
