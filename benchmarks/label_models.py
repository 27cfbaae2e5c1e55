"""Label models side by side: explicate vs Snorkel 0.10 (LabelModel, MajorityLabelVoter) and
FlyingSquid.

Synthetic label matrices with known truth (independent and correlated LFs, k = 2 and 4,
n = 1e4..1e6, m = 10 and 50; and class-imbalanced binary sets) give accuracy and fit + predict
seconds; real LF votes (WRENCH youtube, sms, trec, semeval, chemprot and the FlyingSquid
tennis-rally video) give accuracy (F1 for sms), fitting on the train split (valid where there is
none) and scoring on test (tennis: dev).

    .venv/bin/python benchmarks/label_models.py [--quick] [--data DIR] [--device auto]

Snorkel and FlyingSquid are optional (``pip install -e ".[bench]"``); without them their columns
are null. No model is given a class balance or any gold label (WRENCH passes the valid-label
balance to its label models; see benchmarks/LABEL_MODELS.md). The last line of the output is
one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explicate.runtime.label_model import LabelModel, synthetic_votes  # noqa: E402
from explicate.runtime.metrics import score_predictions  # noqa: E402

WRENCH = ("youtube", "sms", "trec", "semeval", "chemprot")
OURS = ("auto", "majority", "weighted_majority", "dawid_skene", "matrix_completion", "triplets")
# ``auto`` with its other class priors (ablation; the default is "tempered").
PRIOR_VARIANTS = ("uniform", "estimate")
# The published WRENCH label-model table (Zhang et al., NeurIPS 2021 Datasets and Benchmarks) was
# not available to this benchmark as text (the repository shows it only as an image), so no
# published figure is printed; see benchmarks/LABEL_MODELS.md. Never fill this in from memory.
PUBLISHED_WRENCH: dict[str, dict[str, float]] = {}


def snorkel_models() -> tuple[Any, Any] | None:
    """Snorkel's LabelModel and MajorityLabelVoter classes, or None where it is not installed."""
    try:
        import logging

        logging.getLogger("snorkel").setLevel(logging.ERROR)
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
        from snorkel.labeling.model import MajorityLabelVoter
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    return SnorkelLabelModel, MajorityLabelVoter


def run_ours(method: str, k: int, L_fit: np.ndarray, L_eval: np.ndarray, device: str,
             prior: str = "tempered", class_balance: list[float] | None = None
             ) -> tuple[np.ndarray, float]:
    """Probabilities on ``L_eval`` and fit + predict seconds of one explicate method."""
    t0 = time.perf_counter()
    model = LabelModel(cardinality=k, method=method, device=device, seed=0, prior=prior)
    model.fit(L_fit, class_balance=class_balance)
    probs = model.predict_proba(L_eval)
    return probs, time.perf_counter() - t0


def flyingsquid_model() -> Any | None:
    """FlyingSquid's LabelModel class, or None where it (or pgmpy) is not installed."""
    try:
        import logging

        logging.getLogger("pgmpy").setLevel(logging.ERROR)  # "MarkovModel has been renamed"
        from flyingsquid.label_model import LabelModel as SquidLabelModel
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    return SquidLabelModel


def run_flyingsquid(k: int, L_fit: np.ndarray, L_eval: np.ndarray
                    ) -> tuple[np.ndarray, float] | None:
    """FlyingSquid fitted as WRENCH wraps it (votes recoded to +1/-1, abstain 0; one-vs-rest
    binary models for k > 2, their P(+1) softmax-normalized), uniform class balance."""
    Squid = flyingsquid_model()
    if Squid is None:
        return None

    def recode(L: np.ndarray, positive: int) -> np.ndarray:
        return np.where(L == -1, 0, np.where(positive == L, 1, -1)).astype(np.int64)

    t0 = time.perf_counter()
    m = L_fit.shape[1]
    if k == 2:
        model = Squid(m)
        model.fit(recode(L_fit, 1), class_balance=np.array([0.5, 0.5]))
        probs = model.predict_proba(recode(L_eval, 1), verbose=False)
    else:
        scores = np.zeros((L_eval.shape[0], k))
        for c in range(k):
            model = Squid(m)
            model.fit(recode(L_fit, c), class_balance=np.array([1 - 1 / k, 1 / k]))
            scores[:, c] = model.predict_proba(recode(L_eval, c), verbose=False)[:, 1]
        scores = np.nan_to_num(scores, nan=-np.inf)
        probs = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    return np.asarray(probs), time.perf_counter() - t0


def run_snorkel(which: str, k: int, L_fit: np.ndarray, L_eval: np.ndarray
                ) -> tuple[np.ndarray, float] | None:
    """The same for Snorkel's LabelModel ("snorkel") or MajorityLabelVoter ("snorkel_mv")."""
    models = snorkel_models()
    if models is None:
        return None
    SnorkelLabelModel, MajorityLabelVoter = models
    t0 = time.perf_counter()
    if which == "snorkel":
        model = SnorkelLabelModel(cardinality=k, verbose=False)
        model.fit(L_fit, seed=0, progress_bar=False)
    else:
        model = MajorityLabelVoter(cardinality=k)
    probs = model.predict_proba(L_eval)
    return np.asarray(probs), time.perf_counter() - t0


def metric_of(Y: np.ndarray, probs: np.ndarray, metric: str) -> float:
    """WRENCH's protocol: the argmax of the probabilities (first class on ties) against gold."""
    return score_predictions(Y, probs.argmax(1), [metric])[metric]


def synthetic(quick: bool, device: str) -> list[dict[str, Any]]:
    """Accuracy and seconds on synthetic votes with known truth."""
    ns = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    rows = []
    for kind in ("independent", "correlated"):
        for k in (2, 4):
            for m in (10, 50):
                for n in ns:
                    groups, size = (2, 3) if m == 10 else (5, 4)
                    if kind == "independent":
                        groups = 0
                    L, Y, _, _ = synthetic_votes(
                        n, m, k, seed=n + m + k, groups=groups, group_size=size,
                        accuracy=(0.65, 0.85), coverage=(0.3, 0.6),
                    )
                    row: dict[str, Any] = {"set": kind, "k": k, "m": m, "n": n}
                    for name in ("auto", "majority"):
                        run_ours(name, k, L[:1000], L[:1000], device)  # warm-up
                        probs, sec = run_ours(name, k, L, L, device)
                        row[name] = {"acc": round(metric_of(Y, probs, "accuracy"), 4),
                                     "s": round(sec, 3)}
                    for name in ("snorkel", "snorkel_mv"):
                        res = run_snorkel(name, k, L, L)
                        row[name] = None if res is None else {
                            "acc": round(metric_of(Y, res[0], "accuracy"), 4),
                            "s": round(res[1], 3),
                        }
                    # FlyingSquid's predict_proba walks a junction tree per row: minutes at
                    # n = 1e6, so it runs on the binary sets up to n = 1e5.
                    fs = run_flyingsquid(k, L, L) if k == 2 and n <= 100_000 else None
                    row["flyingsquid"] = None if fs is None else {
                        "acc": round(metric_of(Y, fs[0], "accuracy"), 4), "s": round(fs[1], 3)}
                    if row["snorkel"]:
                        row["speedup_vs_snorkel"] = round(row["snorkel"]["s"] / row["auto"]["s"], 1)
                    rows.append(row)
                    print(_fmt_synth(row), flush=True)
    return rows


def imbalanced(device: str) -> list[dict[str, Any]]:
    """Binary sets whose classes are 80/20 and 90/10: accuracy without and with the class
    balance given (n = 1e5, coverage 0.1..0.4, so many rows carry one vote or none)."""
    rows = []
    for balance in ((0.8, 0.2), (0.9, 0.1)):
        for m in (10, 50):
            L, Y, _, _ = synthetic_votes(
                100_000, m, 2, seed=3, class_balance=np.array(balance),
                accuracy=(0.65, 0.85), coverage=(0.1, 0.4),
            )
            row: dict[str, Any] = {"set": "imbalanced", "balance": list(balance), "m": m,
                                   "n": 100_000}
            for prior in ("tempered", "uniform", "estimate"):
                row[f"auto_{prior}"] = round(metric_of(Y, run_ours(
                    "auto", 2, L, L, device, prior=prior)[0], "accuracy"), 4)
            row["auto_given_balance"] = round(metric_of(Y, run_ours(
                "auto", 2, L, L, device, class_balance=list(balance))[0], "accuracy"), 4)
            row["dawid_skene"] = round(metric_of(Y, run_ours(
                "dawid_skene", 2, L, L, device)[0], "accuracy"), 4)
            row["majority"] = round(metric_of(Y, run_ours(
                "majority", 2, L, L, device)[0], "accuracy"), 4)
            for name in ("snorkel", "snorkel_mv"):
                res = run_snorkel(name, 2, L, L)
                row[name] = None if res is None else round(metric_of(Y, res[0], "accuracy"), 4)
            fs = run_flyingsquid(2, L, L)
            row["flyingsquid"] = None if fs is None else round(metric_of(Y, fs[0], "accuracy"), 4)
            rows.append(row)
            print(" ".join(f"{c}={v}" for c, v in row.items()), flush=True)
    return rows


def _fmt_synth(r: dict[str, Any]) -> str:
    def cell(x: dict[str, float] | None) -> str:
        return "      -       " if x is None else f"{x['acc']:.4f} {x['s']:7.3f}s"

    return (
        f"{r['set']:<11} k={r['k']} m={r['m']:<2} n={r['n']:<8} auto {cell(r['auto'])} | "
        f"mv {cell(r['majority'])} | snorkel {cell(r['snorkel'])} | "
        f"snorkel_mv {cell(r['snorkel_mv'])} | fs {cell(r['flyingsquid'])} | "
        f"x{r.get('speedup_vs_snorkel', '-')}"
    )


def load_wrench(root: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, str]:
    """(L_fit, L_test, Y_test, cardinality, metric) of a WRENCH dataset."""
    def split(s: str) -> tuple[np.ndarray, np.ndarray]:
        with open(root / name / f"{s}.json") as fh:
            d = json.load(fh)
        L = np.array([v["weak_labels"] for v in d.values()], dtype=np.int8)
        return L, np.array([v["label"] for v in d.values()], dtype=np.int64)

    with open(root / name / "label.json") as fh:
        k = len(json.load(fh))
    fit_split = "train" if (root / name / "train.json").exists() else "valid"
    L_fit, _ = split(fit_split)
    L_test, Y_test = split("test")
    return L_fit, L_test, Y_test, k, ("f1" if name == "sms" else "accuracy")


def load_tennis(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, str]:
    """The tennis-rally votes, recoded from {-1, 0 (abstain), +1} to {0, ABSTAIN, 1}."""
    def recode(a: np.ndarray) -> np.ndarray:
        out = np.full(a.shape, -1, dtype=np.int8)
        out[a == 1] = 1
        out[a == -1] = 0
        return out

    d = root / "video" / "tennis_rally"
    Y = (np.load(d / "Y_dev_video.npy") == 1).astype(np.int64)
    return (recode(np.load(d / "L_train_video.npy")), recode(np.load(d / "L_dev_video.npy")),
            Y, 2, "accuracy")


def real(data: Path, device: str) -> list[dict[str, Any]]:
    """Every method on the real LF votes."""
    rows = []
    sets: list[tuple[str, Any]] = [(n, lambda n=n: load_wrench(data / "wrench", n)) for n in WRENCH]
    sets.append(("tennis_rally", lambda: load_tennis(data)))
    for name, loader in sets:
        try:
            L_fit, L_test, Y, k, metric = loader()
        except FileNotFoundError as exc:
            print(f"skip {name}: {exc}")
            continue
        row: dict[str, Any] = {"data": name, "metric": metric, "n_fit": int(L_fit.shape[0]),
                               "m": int(L_fit.shape[1]), "k": k}
        for method in OURS:
            probs, _ = run_ours(method, k, L_fit, L_test, device)
            row[method] = round(metric_of(Y, probs, metric), 4)
        for prior in PRIOR_VARIANTS:
            probs, _ = run_ours("auto", k, L_fit, L_test, device, prior=prior)
            row[f"auto_{prior}"] = round(metric_of(Y, probs, metric), 4)
        for which in ("snorkel", "snorkel_mv"):
            res = run_snorkel(which, k, L_fit, L_test)
            row[which] = None if res is None else round(metric_of(Y, res[0], metric), 4)
        fs = run_flyingsquid(k, L_fit, L_test)
        row["flyingsquid"] = None if fs is None else round(metric_of(Y, fs[0], metric), 4)
        row["published_wrench"] = PUBLISHED_WRENCH.get(name)
        rows.append(row)
        cols = (*OURS, *(f"auto_{p}" for p in PRIOR_VARIANTS), "snorkel", "snorkel_mv",
                "flyingsquid")
        print(f"{name:<13} {metric:<8} " + " ".join(f"{c}={row[c]}" for c in cols), flush=True)
    return rows


def memory_ratio(n: int = 1_000_000, m: int = 50) -> float | None:
    """Peak resident memory of fit + predict above what was resident before, over the size of L
    (the probabilities returned included), measured in a fresh process."""
    code = f"""
import sys, numpy as np
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from explicate.runtime.label_model import LabelModel
rng = np.random.default_rng(0)
small = rng.integers(-1, 2, size=(2000, {m})).astype(np.int8)
LabelModel(2).fit(small).predict_proba(small)  # one-time library set-up is not per-L memory
L = np.full(({n}, {m}), -1, dtype=np.int8)
for j in range({m}):
    v = np.flatnonzero(rng.random({n}) < 0.4)
    L[v, j] = rng.integers(0, 2, v.size)
del v
import gc; gc.collect()
def kb(field):
    return int(next(x for x in open("/proc/self/status") if x.startswith(field)).split()[1])
base = kb("VmRSS")
LabelModel(2).fit(L).predict_proba(L)
# VmHWM (peak RSS of this process image) never falls, so an earlier, higher peak could only
# make the figure larger; ru_maxrss is not used because it survives exec from the parent.
print((kb("VmHWM") - base) * 1024 / L.nbytes)
"""
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, timeout=300)
        return round(float(out.stdout.strip().splitlines()[-1]), 2)
    except Exception as exc:  # noqa: BLE001 - a figure we can do without
        print(f"memory measurement failed: {exc}")
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n up to 1e5, fewer repeats")
    ap.add_argument("--data", default=os.environ.get("EXPLICATE_DATA", "../shared/data"))
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    t0 = time.perf_counter()
    device = str(LabelModel(2, device=args.device).device)
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} "
          f"load={os.getloadavg()[0]:.2f} snorkel={'yes' if snorkel_models() else 'no'} "
          f"flyingsquid={'yes' if flyingsquid_model() else 'no'}")
    synth = synthetic(args.quick, args.device)
    imbal = imbalanced(args.device)
    data = Path(args.data)
    reals = real(data, args.device) if data.exists() else []
    if not reals:
        print(f"no real data under {data}; set EXPLICATE_DATA or --data")
    mem = None if args.quick else memory_ratio()
    summary: dict[str, Any] = {}
    if reals and all(r["snorkel"] is not None for r in reals):
        for col in ("auto", "majority", "snorkel", "snorkel_mv", "auto_uniform", "auto_estimate"):
            summary[f"real_mean_{col}"] = round(float(np.mean([r[col] for r in reals])), 4)
        if all(r["flyingsquid"] is not None for r in reals):
            summary["real_mean_flyingsquid"] = round(
                float(np.mean([r["flyingsquid"] for r in reals])), 4)
        summary["real_worst_auto_minus_snorkel"] = round(
            min(r["auto"] - r["snorkel"] for r in reals), 4)
        best = max(summary["real_mean_majority"], summary["real_mean_snorkel"],
                   summary["real_mean_snorkel_mv"])
        summary["real_auto_mean_minus_best_baseline"] = round(summary["real_mean_auto"] - best, 4)
    big = [r for r in synth if r["n"] == max(x["n"] for x in synth) and r["m"] == 50]
    if big:
        summary["largest_auto_seconds_max"] = max(r["auto"]["s"] for r in big)
        if all(r.get("speedup_vs_snorkel") for r in big):
            summary["largest_speedup_vs_snorkel_min"] = min(r["speedup_vs_snorkel"] for r in big)
    corr = [r for r in synth if r["set"] == "correlated"]
    summary["correlated_auto_minus_mv_min"] = round(
        min(r["auto"]["acc"] - r["majority"]["acc"] for r in corr), 4)
    result = {
        "benchmark": "label_models",
        "quick": args.quick,
        "device": device,
        "torch_threads": torch.get_num_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "summary": summary,
        "memory_peak_over_L": mem,
        "synthetic": synth,
        "imbalanced": imbal,
        "real": reals,
        "published_wrench": PUBLISHED_WRENCH or None,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
