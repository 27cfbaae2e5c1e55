"""Start-up of the ``explicate`` command: wall time, CPU time and peak memory (issue 18).

Runs ``explicate --help``, ``explicate check`` and ``explicate summary`` (the embedded ads demo)
as fresh processes of this checkout, several times each, and reports the median wall time, the
median CPU time (user + system: what the start-up costs however loaded the machine is), the
peak resident memory, and whether torch was imported (a second run of each command asks the
interpreter at exit). Targets: ``--help`` and ``check`` (no data: no pandas, no spaCy) at most
1 s, ``--help`` at most 150 MB.

    .venv/bin/python benchmarks/startup.py [--repeats 5]

The last line is one JSON object with every figure.
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

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "explicate" / "demo"
COMMANDS = {
    "help": ["--help"],
    "check": ["check", str(DEMO / "ads.lf")],
    "summary": ["summary", str(DEMO / "ads.lf"), "--data", str(DEMO / "ads.csv")],
}
# The command as the console script runs it, from this checkout (not an installed copy).
RUN = "import sys; from explicate.cli import main; sys.argv[0] = 'explicate'; main()"
PROBE = ("import atexit, sys; atexit.register(lambda: sys.__stderr__.write("
         "'TORCH=%d\\n' % ('torch' in sys.modules))); " + RUN)


def _usage_of(args: list[str], code: str) -> object:
    """Resource usage (``os.wait4``'s struct_rusage) of one run of the command."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage


def measure(name: str, args: list[str], repeats: int) -> dict[str, float | bool]:
    walls, cpus, rss = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        usage: Any = _usage_of(args, RUN)
        walls.append(time.perf_counter() - t0)
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss.append(usage.ru_maxrss / 1024)  # KiB on Linux
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True,
                           text=True, check=False)
    torch_loaded = "TORCH=1" in probe.stderr
    med = sorted(walls)[len(walls) // 2]
    print(f"{name:8s} wall {med:6.3f} s (min {min(walls):.3f})  cpu {sorted(cpus)[len(cpus) // 2]:6.3f} s"
          f"  peak {max(rss):6.1f} MB  torch imported: {torch_loaded}", flush=True)
    return {
        f"{name}_wall_s": round(med, 3),
        f"{name}_wall_min_s": round(min(walls), 3),
        f"{name}_cpu_s": round(sorted(cpus)[len(cpus) // 2], 3),
        f"{name}_peak_mb": round(max(rss), 1),
        f"{name}_imports_torch": torch_loaded,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}, {os.cpu_count()} cores", flush=True)
    figures: dict[str, object] = {"benchmark": "startup", "load_avg_1m": round(load, 2)}
    for name, cmd in COMMANDS.items():
        figures.update(measure(name, cmd, args.repeats))
    figures["help_within_1s"] = bool(figures["help_wall_s"] <= 1.0)  # type: ignore[operator]
    figures["check_within_1s"] = bool(figures["check_wall_s"] <= 1.0)  # type: ignore[operator]
    figures["help_within_150mb"] = bool(figures["help_peak_mb"] <= 150)  # type: ignore[operator]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
