"""The embedded demo: the whole loop on synthetic job postings (``jobs.py`` writes them; not real
data). ``run_demo`` copies the demo's rules (``jobs.lf``), English explanations
(``jobs_explanations.csv``) and pipeline file (``pipeline.toml``) into a folder, writes the data
there, and runs ``explicate run`` on it, so the user can edit and re-run it.

(``ads.lf``/``ads.csv``: the earlier demo, 60 synthetic small ads, kept as a small example.)"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console

DEMO_FILES = ("jobs.lf", "jobs_explanations.csv", "pipeline.toml")


def prepare_demo(folder: Path) -> Path:
    """Write the demo's data, rules, explanations and pipeline file into ``folder``; return the
    pipeline file."""
    from explicate.demo.jobs import write_demo_data

    folder.mkdir(parents=True, exist_ok=True)
    package = resources.files("explicate.demo")
    for name in DEMO_FILES:
        with resources.as_file(package.joinpath(name)) as src:
            shutil.copyfile(src, folder / name)
    write_demo_data(folder)
    return folder / "pipeline.toml"


def run_demo(console: Console, folder: Path = Path("explicate-demo"),
             progress: bool | None = None) -> None:
    """Prepare the demo folder and run its pipeline, printing the report."""
    from explicate.runtime.pipeline import print_report, run_pipeline

    pipeline = prepare_demo(folder)
    console.print(f"[bold]explicate demo[/bold]: is a job posting a SCAM? 600 synthetic postings "
                  f"to label (written for this demo, not real data), 5 DSL rules and 4 English "
                  f"explanations; files in {folder}/ (edit them and run "
                  f"`explicate run {pipeline}`)\n")
    result = run_pipeline(pipeline, log=lambda m: console.print(m, markup=False, highlight=False),
                          progress=progress)
    print_report(result, console)
    console.print(f"report: {result.output / 'report.md'}")
