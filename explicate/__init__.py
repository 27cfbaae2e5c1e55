"""explicate: compile what experts know (rules, explanations) into labeling functions and labels.

The public API::

    from explicate import parse, to_dsl, compile_rules, apply_rules, apply_file, ABSTAIN
    from explicate import LabelMatrix, lf_summary, majority_vote, LabelModel
    from explicate import explain          # English explanations -> LFs
    from explicate import run_pipeline, EndModel   # the whole loop; end models

Each name is imported on first use (PEP 562), so ``import explicate`` (and the ``explicate``
command's start-up) loads neither the data stack nor torch until something needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explicate.errors import ExplicateError
from explicate.ir import ABSTAIN

if TYPE_CHECKING:
    from explicate.compiler import compile_rules
    from explicate.grammar.parse import parse
    from explicate.grammar.printer import to_dsl
    from explicate.runtime.apply import apply_file, apply_rules
    from explicate.runtime.end_model import EndModel
    from explicate.runtime.explain import ExplainResult, explain
    from explicate.runtime.label_model import LabelModel
    from explicate.runtime.matrix import LabelMatrix, lf_summary, majority_vote
    from explicate.runtime.pipeline import run_pipeline

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
    """The public names, each imported where it lives on first use."""
    value = _load(name)
    globals()[name] = value  # later look-ups skip this function
    return value


def _load(name: str) -> Any:
    if name == "compile_rules":
        from explicate.compiler import compile_rules

        return compile_rules
    if name in ("parse", "to_dsl"):
        from explicate import grammar

        return getattr(grammar, name)
    if name in ("apply_file", "apply_rules"):
        from explicate.runtime import apply

        return getattr(apply, name)
    if name in ("explain", "ExplainResult"):
        from explicate.runtime import explain

        return getattr(explain, name)
    if name in ("LabelMatrix", "lf_summary", "majority_vote"):
        from explicate.runtime import matrix

        return getattr(matrix, name)
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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
