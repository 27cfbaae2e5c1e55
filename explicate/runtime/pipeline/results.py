"""What a pipeline run returns (read by the report, written by the run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class PipelineResult:
    """What a run produced: metrics per method and split, the LF summary, timings, files."""

    metrics: dict[str, dict[str, dict[str, float]]]  # method -> split -> metric -> value
    lf_table: pd.DataFrame
    timings: dict[str, float]
    labels: tuple[str, ...]
    output: Path
    files: dict[str, str]  # what -> file name in ``output``
    info: dict[str, Any]
