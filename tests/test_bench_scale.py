"""benchmarks/scale.py's per-thread CPU accounting (what its idle-core bound for the threads
engine is made of): a thread's CPU is read as that thread's, not the driver's."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

SCALE = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"


def _scale() -> object:
    spec = importlib.util.spec_from_file_location("scale_bench_test", SCALE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or sys.platform != "linux",
                    reason="per-thread CPU is read from /proc")
def test_a_busy_thread_counts_as_its_own_and_bounds_the_wall() -> None:
    scale = _scale()
    before = scale.thread_cpu()  # type: ignore[attr-defined]

    spun, measured = threading.Event(), threading.Event()

    def spin() -> None:
        end = time.thread_time() + 0.3  # 0.3 s of this thread's own CPU, however loaded
        while time.thread_time() < end:
            pass
        spun.set()
        measured.wait()  # alive while read: a thread that has ended is gone from /proc

    worker = threading.Thread(target=spin)
    worker.start()
    spun.wait()
    after = scale.thread_cpu()  # type: ignore[attr-defined]
    measured.set()
    worker.join()
    got = scale.cpu_critical_path(before, after)  # type: ignore[attr-defined]
    assert got["other_threads_cpu_s"] and got["other_threads_cpu_s"][0] >= 0.25
    assert got["driver_cpu_s"] < 0.2  # the driver only waited
    assert got["idle_wall_lower_bound_s"] >= got["other_threads_cpu_s"][0]
