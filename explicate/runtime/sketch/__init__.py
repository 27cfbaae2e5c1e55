"""Sketches: LFs with typed holes (``?w``, ``?n``, ``-> ?label``) that the data fills.

``fill(rules, pool, dev, gold)`` draws candidate values from the unlabeled pool, scores them on the
labeled dev rows with a prior-relative precision bound, picks fills with caps, diversity and the
label model's feedback, and reports cross-fitted precision per fill. Any front end that builds an
``ir.RuleFile`` with ``ir.Hole`` / ``ir.LabelHole`` nodes (the DSL, English sketches) can call it.
"""

from explicate.runtime.sketch.candidates import CandidateConfig
from explicate.runtime.sketch.fill import fill
from explicate.runtime.sketch.result import (
    Fill,
    FillConfig,
    FillResult,
    HeldOutStats,
    sketch_groups,
)
from explicate.runtime.sketch.select import SelectConfig, wilson

__all__ = ["CandidateConfig", "Fill", "FillConfig", "FillResult", "HeldOutStats", "SelectConfig",
           "fill", "sketch_groups", "wilson"]
