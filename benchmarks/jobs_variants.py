"""``apply_program`` in one process and with ``--jobs 2`` under variants, interleaved in one run:
piece sizes (``runtime.forks.pieces``), ``gc.freeze`` before forking or not, and the chunk size
of the one-process path. Per variant: median wall seconds, the speed-up against the first
variant (the anchor), CPU seconds (median, and the least total of the runs: on a loaded
machine the steadier figure, since other work only adds to it) and minor page faults of this
process and of its forked children (``getrusage``), the parent's serial part before the children start
(``runtime.forks.Phases``), and the idle-core model (``Phases.idle_wall``: the wall seconds from
CPU seconds alone, for a loaded machine) with its speed-up. Every L is checked against the
first run's.

Two ways to run, and why both: in one process (the default) every variant runs in a heap that
earlier runs have grown and warmed, so a one-process run reuses memory it has already touched
while a forked child must fault in (copy on write) every page it writes; ``--fresh`` runs every
(variant, repeat) in a new Python process that generates the documents, compiles the rules and
times its one ``apply_program`` call, which is what ``explicate apply`` does: both sides pay the
same start-up (spaCy's tokenizer built, its cache of words empty, a heap that has not held the
working set yet).

spaCy is imported without torch, as the ``explicate`` command does
(``device.keep_torch_out_of_spacy``, called by ``apply_throughput``); ``--torch`` imports torch
first, as in a program that holds it: a process ~125 MB larger, whose fork takes longer.

Usage: ``PYTHONPATH=. python benchmarks/jobs_variants.py [--fresh] [--torch] [N] [REPEATS]
[VARIANTS]``,
variants comma-separated from: ``one`` (one process as shipped), ``oneK`` (one process, chunks
of K thousand rows), ``base`` (jobs 2 as shipped), ``jobsJ`` (J processes as shipped),
``nofreeze`` (jobs 2 without ``gc.freeze``), ``keepheap`` (jobs 2, the child keeps its free
heap pages: no ``forks.release_heap``), ``previous`` (jobs 2 as shipped before that and before
``apply.warm_rows``: the warm piece always, no ``release_heap``), ``parK`` (jobs 2,
``chunk_rows`` K thousand),
``pA-B`` (jobs 2, pieces of at least A and at most B thousand rows), ``warmN`` (jobs 2, the
first N rows alone before forking whether or not this process has tokenized before; ``warm0``:
fork at once). The first variant is the anchor
(default ``one,base``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

if "--torch" in sys.argv:  # a process that holds torch (apply_throughput then cannot keep it out)
    import torch  # noqa: F401
sys.path.insert(0, str(Path(__file__).resolve().parent))
import apply_throughput as at  # noqa: E402 - the same generated documents and rules

from explicate.grammar import parse  # noqa: E402
from explicate.runtime import apply as apply_mod  # noqa: E402
from explicate.runtime import forks  # noqa: E402
from explicate.runtime.apply import apply_program, compile_for  # noqa: E402

REAL_GC = forks.gc
NO_FREEZE = types.SimpleNamespace(freeze=lambda: None, unfreeze=lambda: None)
REAL_PIECES = apply_mod.pieces
REAL_WARM = apply_mod.warm_rows
REAL_WARM_ROWS = apply_mod.WARM_ROWS


def _trimmed_freeze() -> None:
    import ctypes
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    REAL_GC.freeze()


TRIM = types.SimpleNamespace(freeze=_trimmed_freeze, unfreeze=REAL_GC.unfreeze)


def usage() -> tuple[float, float, int, int]:
    """CPU seconds of this process and of its reaped children, their minor page faults."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, me.ru_minflt,
            kids.ru_minflt)


def setup(variant: str) -> tuple[int, int]:
    """Patch ``runtime.forks`` / ``runtime.apply`` for ``variant`` (undoing every other patch);
    the jobs and ``chunk_rows`` it runs with."""
    forks.gc = {"nofreeze": NO_FREEZE, "trim": TRIM}.get(variant, REAL_GC)  # type: ignore[assignment]
    forks.TRIM_CHILD = variant not in ("keepheap", "previous")
    apply_mod.pieces = REAL_PIECES  # type: ignore[assignment]
    apply_mod.warm_rows = REAL_WARM  # type: ignore[assignment]
    chunk = apply_mod.CHUNK_ROWS
    if variant.startswith("one"):
        return 1, int(variant[3:]) * 1000 if variant[3:] else chunk
    if variant.startswith("jobs"):
        return int(variant[4:]), chunk
    if variant.startswith("par"):
        return 2, int(variant[3:]) * 1000
    if variant.startswith("warm") or variant == "previous":
        rows = int(variant[4:]) if variant != "previous" else REAL_WARM_ROWS
        apply_mod.warm_rows = lambda n: min(rows, n // 10)  # type: ignore[assignment]
    elif variant.startswith("p") and "-" in variant:
        least, most = (int(x) * 1000 for x in variant[1:].split("-"))

        def sized(n: int, jobs: int, _least: int, _most: int, first: int = 0
                  ) -> list[tuple[int, int]]:
            return REAL_PIECES(n, jobs, least, most, first)

        apply_mod.pieces = sized  # type: ignore[assignment]
    elif variant not in ("base", "nofreeze", "trim", "keepheap"):
        raise SystemExit(f"unknown variant {variant!r}")
    return 2, chunk


def measure(variant: str, program: Any, schema: Any, texts: Any) -> dict[str, Any]:
    """One run of ``variant``: wall, CPU and faults (here, children), the parent's split, L."""
    jobs, chunk = setup(variant)
    gc.collect()
    phases = forks.Phases()
    before, t0 = usage(), time.perf_counter()
    out = apply_program(program, texts, schema, progress=False, jobs=jobs, cache=None,
                        chunk_rows=chunk, phases=phases)
    wall = time.perf_counter() - t0
    deadline = time.perf_counter() + 1.0  # children are reaped by a thread: wait for them
    while jobs > 1 and usage()[1] == before[1] and time.perf_counter() < deadline:
        time.sleep(0.002)
    used = [b - a for a, b in zip(before, usage(), strict=True)]
    split = phases.split
    serial = sum(split.get(k, [0.0])[0] for k in forks.SERIAL)
    child = phases.children[0].split.get("pieces", [0.0, 0.0, 0.0]) if phases.children else None
    setup("base")
    return {"wall": wall, "cpu_self": used[0], "cpu_children": used[1], "minflt_self": used[2],
            "minflt_children": used[3], "serial_ms": serial * 1e3,
            "fork_ms": split.get("fork", [0.0])[0] * 1e3, "idle_wall": phases.idle_wall(),
            "child_faults": child[2] if child else 0.0, "L": out.L}


def prepare(n: int) -> tuple[Any, Any, Any]:
    """The benchmark's ``n`` generated documents, its rules compiled for them."""
    texts = at.generate(n, 0)[["text"]]
    program, schema = compile_for(parse(at.RULES), texts)
    return program, schema, texts


def child_main(variant: str, n: int) -> None:
    """``--child``: one fresh run of ``variant``, one JSON line (L as a digest). spaCy's
    tokenizer is built first (a start-up both sides pay alike, outside every figure, as in
    ``apply_throughput.py``); its cache of words starts empty."""
    job = prepare(n)
    at.tokenizer()
    got = measure(variant, *job)
    L = got.pop("L")
    got["L"] = hashlib.sha256(np.ascontiguousarray(L).tobytes()).hexdigest()
    print(json.dumps(got))


def main(argv: list[str]) -> None:
    fresh = "--fresh" in argv
    flags = [a for a in argv if a == "--torch"]
    args = [a for a in argv if a not in ("--fresh", "--torch")]
    if args and args[0] == "--child":
        child_main(args[1], int(args[2]))
        return
    n = int(args[0]) if args else 100_000
    reps = int(args[1]) if len(args) > 1 else 5
    variants = args[2].split(",") if len(args) > 2 else ["one", "base"]
    got: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    if fresh:
        env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", ".")}
        for _ in range(reps):
            for v in variants:
                out = subprocess.run([sys.executable, __file__, *flags, "--child", v, str(n)],
                                     check=True, capture_output=True, text=True, env=env)
                got[v].append(json.loads(out.stdout.strip().splitlines()[-1]))
        expected = got[variants[0]][0]["L"]
        for v, runs in got.items():
            assert all(r["L"] == expected for r in runs), f"{v} changed L"
    else:
        job = prepare(n)
        expected_L = measure("one", *job)["L"]  # also warms the tokenizer
        for _ in range(reps):
            for v in variants:
                run = measure(v, *job)
                assert np.array_equal(run.pop("L"), expected_L), f"{v} changed L"
                got[v].append(run)
    anchor = statistics.median(r["wall"] for r in got[variants[0]])
    idle_anchor = statistics.median(r["idle_wall"] for r in got[variants[0]])
    figures: dict[str, dict[str, float]] = {}
    keys = ("wall", "cpu_self", "cpu_children", "minflt_self", "minflt_children", "serial_ms",
            "fork_ms", "idle_wall")
    for v, runs in got.items():
        m = {k: statistics.median(r[k] for r in runs) for k in keys}
        # The least total CPU of the runs too: other sessions' load only ever adds to it.
        least = min(r["cpu_self"] + r["cpu_children"] for r in runs)
        least_idle = min(r["idle_wall"] for r in runs)
        print(f"{v:9s} wall {m['wall']:.3f}s x{anchor / m['wall']:.3f}  cpu self "
              f"{m['cpu_self']:.3f} children {m['cpu_children']:.3f} total "
              f"{m['cpu_self'] + m['cpu_children']:.3f} (least {least:.3f})  minflt self "
              f"{m['minflt_self']:.0f} "
              f"children {m['minflt_children']:.0f}  serial {m['serial_ms']:.1f} ms (fork "
              f"{m['fork_ms']:.1f})  idle-core model {m['idle_wall']:.3f}s "
              f"x{idle_anchor / m['idle_wall']:.3f} (least {least_idle:.3f}s)")
        figures[v] = {"wall_s": round(m["wall"], 4), "speedup": round(anchor / m["wall"], 3),
                      "cpu_self_s": round(m["cpu_self"], 3),
                      "cpu_children_s": round(m["cpu_children"], 3),
                      "cpu_least_s": round(least, 3),
                      "minflt_self": m["minflt_self"], "minflt_children": m["minflt_children"],
                      "serial_ms": round(m["serial_ms"], 1),
                      "idle_wall_s": round(m["idle_wall"], 4),
                      "idle_wall_least_s": round(least_idle, 4),
                      "idle_speedup": round(idle_anchor / m["idle_wall"], 3)}
    print(json.dumps({"benchmark": "jobs-variants", "n": n, "repeats": reps, "fresh": fresh,
                      "torch": bool(flags),
                      "anchor": variants[0], "load_1m": round(os.getloadavg()[0], 2),
                      "variants": figures}))


if __name__ == "__main__":
    main(sys.argv[1:])
