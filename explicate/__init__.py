"""explicate: compile what experts know (rules, explanations) into labeling functions and labels.

The public API::

    from explicate import parse, to_dsl, compile_rules, apply_rules, apply_file, ABSTAIN
    from explicate import LabelMatrix, lf_summary, majority_vote, LabelModel
    from explicate import explain          # English explanations -> LFs
    from explicate import run_pipeline, EndModel   # the whole loop; end models
"""

from __future__ import annotations

from typing import Any

from explicate.compiler import compile_rules
from explicate.errors import ExplicateError
from explicate.grammar import parse, to_dsl
from explicate.ir import ABSTAIN
from explicate.runtime.apply import apply_file, apply_rules
from explicate.runtime.explain import ExplainResult, explain
from explicate.runtime.matrix import LabelMatrix, lf_summary, majority_vote

__all__ = [
    "ABSTAIN",
    "EndModel",
    "ExplainResult",
    "ExplicateError",
    "LabelMatrix",
    "LabelModel",
    "apply_file",
    "apply_rules",
    "compile_rules",
    "explain",
    "lf_summary",
    "majority_vote",
    "parse",
    "run_pipeline",
    "to_dsl",
]


def __getattr__(name: str) -> Any:
    # torch is imported only when the label model is asked for, so `explicate check` stays fast.
    if name == "LabelModel":
        from explicate.runtime.label_model import LabelModel

        return LabelModel
    if name == "EndModel":
        from explicate.runtime.end_model import EndModel

        return EndModel
    if name == "run_pipeline":
        from explicate.runtime.pipeline import run_pipeline

        return run_pipeline
    raise AttributeError(f"module 'explicate' has no attribute {name!r}")
