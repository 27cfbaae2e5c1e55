"""Label models: learn how accurate each LF is from their agreements alone, then vote by it.

``LabelModel(cardinality=k, method=...).fit(L)`` turns a label matrix ``L`` (n x m,
``ABSTAIN = -1``) into probabilistic labels ``predict_proba(L) -> float32[n, k]`` without any
gold label. Every method describes the votes with the same generative picture (a class ``Y``
drawn with the class balance, then each LF voting independently given ``Y``, dependent LFs
down-weighted) and differs in how it estimates the LF parameters; each lives in its own module
and is registered by name (:mod:`.registry`):

``majority``           unweighted vote; ties share the probability.
``weighted_majority``  one accuracy per LF ("one-coin" Dawid-Skene, EM); votes weighted by log-odds.
``dawid_skene``        a full confusion matrix per LF (abstain as one outcome), fitted by EM;
                       abstains shape the posterior only with ``abstain="informative"``.
``matrix_completion``  Snorkel/MeTaL style: fit the confusion matrices to the LF overlap matrix
                       (second moments), masking dependent pairs.
``triplets``           FlyingSquid style closed form: each LF's accuracy from triples of pairwise
                       agreement rates (the one-coin multiclass extension).
``auto``               finds dependent LFs (robust correlation test) and counts each group
                       once, then Dawid-Skene EM under a tempered class prior (or the given
                       class balance); where under 35% of covered rows carry two votes (little
                       agreement to learn from) the (dependency-weighted) majority decides and
                       the learned model breaks its ties. Figures: benchmarks/LABEL_MODELS.md.

Fitting works on sufficient statistics (:class:`VoteStats`: unique vote patterns with counts,
:mod:`.stats`), so its cost grows with the number of distinct patterns, capped at
``max_patterns`` by a seeded, count-weighted sample; prediction is one embedding-bag lookup per
row. All math is float32 torch on ``device`` ("auto": CUDA when present).

Layout: ``model`` (the :class:`LabelModel` facade), ``registry`` (the seam: protocol and
catalogue registry), ``design`` (the fit data), ``dependencies``, ``stats``, one module per
method, ``fit_file`` (``explicate fit``).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from explicate.runtime.label_model.auto import PRIORS
    from explicate.runtime.label_model.dependencies import dependency_weights
    from explicate.runtime.label_model.fit_file import fit_label_model_cli
    from explicate.runtime.label_model.model import LabelModel, TieBreak, probs_to_preds
    from explicate.runtime.label_model.registry import (
        FitOptions,
        FitProblem,
        Fitted,
        Method,
        get_method,
        label_models,
        method_names,
    )
    from explicate.runtime.label_model.stats import (
        ABSTAIN,
        VoteStats,
        covered_mask,
        synthetic_votes,
    )
    from explicate.runtime.metrics import score_predictions

# Names are loaded on first use (PEP 562): a process that only needs the vote statistics (a
# worker applying rules to a shard imports ``label_model.stats``) never imports torch, which the
# fitting modules need. Every name but the statistics' loads ``model`` first, as an eager import
# of this package did, so the built-in methods are registered before the registry is read.
_TORCH_FREE = {"ABSTAIN": "stats", "VoteStats": "stats", "covered_mask": "stats",
               "synthetic_votes": "stats"}
_FITTING = {"PRIORS": "auto", "dependency_weights": "dependencies",
            "fit_label_model_cli": "fit_file", "LabelModel": "model", "TieBreak": "model",
            "probs_to_preds": "model", "FitOptions": "registry", "FitProblem": "registry",
            "Fitted": "registry", "Method": "registry", "get_method": "registry",
            "label_models": "registry", "method_names": "registry"}


def __getattr__(name: str) -> Any:
    if name == "score_predictions":
        from explicate.runtime.metrics import score_predictions

        return score_predictions
    if name in _TORCH_FREE:
        module = importlib.import_module(f"{__name__}.{_TORCH_FREE[name]}")
    elif name in _FITTING:
        importlib.import_module(f"{__name__}.model")
        module = importlib.import_module(f"{__name__}.{_FITTING[name]}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def _method_names() -> tuple[str, ...]:
    from explicate.runtime.label_model.model import LabelModel  # noqa: F401  (registers them)
    from explicate.runtime.label_model.registry import method_names

    return method_names()


class _MethodNames(Sequence[str]):
    """The registered method names, read from the registry each time (so a method registered
    after import is listed too); behaves as a tuple of str."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return _method_names()[index]

    def __len__(self) -> int:
        return len(_method_names())

    def __repr__(self) -> str:
        return repr(_method_names())


METHODS: Sequence[str] = _MethodNames()
"""The label-model method names (live view of :func:`method_names`)."""

__all__ = [
    "ABSTAIN",
    "METHODS",
    "PRIORS",
    "FitOptions",
    "FitProblem",
    "Fitted",
    "LabelModel",
    "Method",
    "TieBreak",
    "VoteStats",
    "covered_mask",
    "dependency_weights",
    "fit_label_model_cli",
    "get_method",
    "label_models",
    "method_names",
    "probs_to_preds",
    "score_predictions",
    "synthetic_votes",
]
