"""The whole loop in one call (``explicate run PIPELINE.toml``): ``config.py`` reads and checks
the pipeline file (a dataclass per section), ``splits.py`` reads the data and gold labels,
``rules.py`` compiles and applies the rules, ``run.py`` runs the stages (label matrix, label
model, end model, metrics), ``report.py`` prints and writes the report of a
:class:`PipelineResult` (``results.py``)."""

from __future__ import annotations

from explicate.runtime.pipeline.config import (
    E_CONFIG,
    E_NO_VOTES,
    SCHEMA,
    SECTIONS,
    SPLITS,
    DataSection,
    EndModelSection,
    LabelModelSection,
    OutputSection,
    PipelineConfig,
    RulesSection,
    config_from_dict,
    load_config,
)
from explicate.runtime.pipeline.report import (
    METHOD_NAMES,
    lf_table,
    plot_lfs,
    print_report,
    write_report,
)
from explicate.runtime.pipeline.results import PipelineResult
from explicate.runtime.pipeline.rules import RuleSet, apply_all, compile_sources, text_spec
from explicate.runtime.pipeline.run import run_pipeline
from explicate.runtime.pipeline.splits import gold_labels

__all__ = [
    "E_CONFIG", "E_NO_VOTES", "METHOD_NAMES", "SCHEMA", "SECTIONS", "SPLITS", "DataSection",
    "EndModelSection", "LabelModelSection", "OutputSection", "PipelineConfig", "PipelineResult",
    "RuleSet", "RulesSection", "apply_all", "compile_sources", "config_from_dict", "gold_labels",
    "lf_table", "load_config", "plot_lfs", "print_report", "run_pipeline", "text_spec",
    "write_report",
]
