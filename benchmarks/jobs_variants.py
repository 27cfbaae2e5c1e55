"""``apply_program`` in one process and with ``--jobs 2`` under variants, interleaved in one run:
piece sizes (``runtime.forks.pieces``), ``gc.freeze`` before forking or not, and the chunk size
of the one-process path. Per variant: median wall seconds, the speed-up against ``one`` (the
default one-process run), CPU seconds and minor page faults of this process and of its forked
children (``getrusage``). Every L is checked against the first one-process run.

Read ``one`` with care: here, in a process with a small heap, its 50k-row chunks' arrays come
from fresh mappings (~12-14k minor faults a run, 0.50-0.62 s CPU at 100k) while in
``apply_throughput.py`` (a heap grown by the earlier stages) the same run reuses memory (~3k
faults, 0.39 s), so the speed-ups printed here are larger than the benchmark's; ``one10`` is
the closer anchor.

Usage: ``PYTHONPATH=. python benchmarks/jobs_variants.py [N] [REPEATS] [VARIANTS]``, variants
comma-separated from: base (jobs 2 as shipped), nofreeze, big (two 50k pieces), mid (10k-25k),
small (2k-10k), p2k (2k-chunk), oneK / parK (one process / jobs 2 with ``chunk_rows`` K thousand).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import apply_throughput as at  # noqa: E402 - the same generated documents and rules

from explicate.grammar import parse  # noqa: E402
from explicate.runtime import apply as apply_mod  # noqa: E402
from explicate.runtime import forks  # noqa: E402
from explicate.runtime.apply import apply_program, compile_for  # noqa: E402

REAL_GC = forks.gc
NO_FREEZE = types.SimpleNamespace(freeze=lambda: None, unfreeze=lambda: None)
REAL_PIECES = apply_mod.pieces
SIZES = {"big": (50_000, 50_000), "mid": (10_000, 25_000), "small": (2_000, 10_000)}


def usage() -> tuple[float, float, int, int]:
    """CPU seconds of this process and of its reaped children, their minor page faults."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, me.ru_minflt,
            kids.ru_minflt)


def setup(variant: str) -> None:
    """Patch ``runtime.forks`` / ``runtime.apply`` for ``variant`` (base undoes every patch)."""
    forks.gc = NO_FREEZE if variant == "nofreeze" else REAL_GC  # type: ignore[assignment]
    if variant in SIZES:
        least, most = SIZES[variant]
        apply_mod.pieces = lambda n, j, _l, _m: REAL_PIECES(n, j, least, most)
    elif variant == "p2k":
        apply_mod.pieces = lambda n, j, _l, m: REAL_PIECES(n, j, 2_000, m)
    else:
        apply_mod.pieces = REAL_PIECES


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    variants = ["one", *(sys.argv[3].split(",") if len(sys.argv) > 3 else ["base", "small"])]
    texts = at.generate(n, 0)[["text"]]
    program, schema = compile_for(parse(at.RULES), texts)

    def run(jobs: int, chunk: int) -> tuple[float, list[float], np.ndarray]:
        gc.collect()
        before, t0 = usage(), time.perf_counter()
        out = apply_program(program, texts, schema, progress=False, jobs=jobs, cache=None,
                            chunk_rows=chunk)
        wall = time.perf_counter() - t0
        deadline = time.perf_counter() + 1.0  # children are reaped by a thread: wait for them
        while jobs > 1 and usage()[1] == before[1] and time.perf_counter() < deadline:
            time.sleep(0.002)
        return wall, [b - a for a, b in zip(before, usage(), strict=True)], out.L

    expected = run(1, apply_mod.CHUNK_ROWS)[2]  # also warms the tokenizer
    got: dict[str, list[list[float]]] = {v: [] for v in variants}
    for _ in range(reps):
        for v in variants:
            setup(v)
            if v[:3] in ("one", "par") and v[3:].isdigit():
                jobs, chunk = (1 if v.startswith("one") else 2), int(v[3:]) * 1000
            else:
                jobs, chunk = (1 if v == "one" else 2), apply_mod.CHUNK_ROWS
            wall, used, L = run(jobs, chunk)
            assert np.array_equal(L, expected), f"{v} changed L"
            got[v].append([wall, *used])
    setup("base")
    one = statistics.median(x[0] for x in got["one"])
    figures: dict[str, dict[str, float]] = {}
    for v, xs in got.items():
        w, cs, ck, fs, fk = (statistics.median(x[k] for x in xs) for k in range(5))
        print(f"{v:9s} wall {w:.3f}s x{one / w:.3f}  cpu self {cs:.2f} children {ck:.2f} "
              f"total {cs + ck:.2f}  minflt self {fs:.0f} children {fk:.0f}")
        figures[v] = {"wall_s": round(w, 4), "speedup": round(one / w, 3),
                      "cpu_self_s": round(cs, 3), "cpu_children_s": round(ck, 3),
                      "minflt_self": fs, "minflt_children": fk}
    print(json.dumps({"benchmark": "jobs-variants", "n": n, "repeats": reps,
                      "load_1m": round(os.getloadavg()[0], 2), "variants": figures}))


if __name__ == "__main__":
    main()
