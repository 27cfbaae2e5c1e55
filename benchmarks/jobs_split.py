"""The ``--jobs`` figures of ``apply_throughput.py`` beside its own: where the time of one
``apply_program`` call goes per phase (``runtime.forks.Phases``), and ``jobs`` processes against
one in fresh processes (``jobs_variants.py --fresh``)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from explicate.runtime.forks import Phases

REPO = Path(__file__).resolve().parents[1]


def fresh_jobs(n: int, jobs: int, repeat: int) -> dict[str, Any]:
    """``jobs`` processes against one with every run in a new Python process
    (``benchmarks/jobs_variants.py --fresh``, the same generated documents, seed 0), as
    ``explicate apply`` runs: both sides start with spaCy's tokenizer built and everything else
    cold (its cache of words, a heap that has not held a batch), where in ``bench`` the
    one-process runs reuse memory that earlier runs faulted in and a forked child never does.
    Medians of ``repeat`` runs each, interleaved; L checked equal there."""
    script = Path(__file__).with_name("jobs_variants.py")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(script), "--fresh", str(n), str(repeat),
                          f"one,jobs{jobs}"], check=True, capture_output=True, text=True, env=env)
    got = json.loads(run.stdout.strip().splitlines()[-1])["variants"]
    one, par = got["one"], got[f"jobs{jobs}"]
    return {"fresh_apply_one_s": one["wall_s"], "fresh_apply_parallel_s": par["wall_s"],
            "fresh_parallel_speedup": one["wall_s"] / par["wall_s"],
            "fresh_apply_one_cpu_s": one["cpu_self_s"],
            "fresh_apply_parallel_cpu_s": par["cpu_self_s"] + par["cpu_children_s"],
            "fresh_parallel_serial_ms": par["serial_ms"]}


def phase_medians(runs: Sequence[Phases]) -> dict[str, list[float]]:
    """Per phase of ``runtime.forks.Phases``, in the order first seen: the median over ``runs``
    of [wall ms, CPU ms, minor page faults] (a phase missing from a run counts as zero)."""
    names = list(dict.fromkeys(name for r in runs for name in r.split))
    return {name: [round(statistics.median(r.split.get(name, [0.0] * 3)[k] for r in runs)
                         * scale, 1) for k, scale in ((0, 1e3), (1, 1e3), (2, 1))]
            for name in names} if runs else {}


def rows_median(runs: Sequence[Phases]) -> float:
    """The median rows a process did over ``runs``."""
    return float(statistics.median(r.rows for r in runs)) if runs else 0.0


def report_split(title: str, split: dict[str, list[float]], rows: float) -> None:
    """One line per phase: wall ms, CPU ms, minor faults."""
    wall, cpu, faults = (sum(v[k] for v in split.values()) for k in range(3))
    print(f"    {title}: {rows:,.0f} rows, wall {wall:.0f} ms, CPU {cpu:.0f} ms, {faults:,.0f} "
          "minor faults")
    for name, (w, c, f) in split.items():
        print(f"      {name:<12} wall {w:7.1f} ms  CPU {c:7.1f} ms  faults {f:8,.0f}")
