"""The seam for label-model methods: a catalogue registry and the protocol a method implements.

A method is a class registered under its name; :class:`~explicate.runtime.label_model.LabelModel`
looks it up by ``method=``, instantiates it without arguments and calls :meth:`Method.fit` with a
:class:`FitProblem`. Everything that lists methods (``METHODS``, ``explicate fit --method``, the
pipeline's ``[label_model] method`` check, the docs) reads this registry, so a new method is one
module::

    from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models

    @label_models.register("my_method")
    class MyMethod:
        detect_dependencies = False        # True: always look for dependent LFs (as "auto")

        def fit(self, problem: FitProblem) -> Fitted:
            alpha = ...                    # what the method learns from problem.design
            return Fitted(one_coin_theta(alpha, problem.k), problem.uniform_prior())

Other packages can register methods without importing explicate first, through the entry-point
group ``explicate_label_models`` (``my_method = my_package.module:MyMethod``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import catalogue
import numpy as np
import torch

from explicate.runtime.label_model.design import Design, mv_init

label_models = catalogue.create("explicate", "label_models", entry_points=True)
"""Name -> method class (see :class:`Method`)."""

Table = Literal["learned", "majority", "vote_first"]


@dataclass(frozen=True)
class FitOptions:
    """The model's settings a method may read (see :class:`LabelModel` for their meaning)."""

    max_iter: int = 100
    tol: float = 1e-6
    abstain: str = "neutral"
    min_overlap: float = 0.35
    prior: str = "tempered"
    seed: int = 0


@dataclass
class FitProblem:
    """What a method fits: the patterns (``design``), the class prior when the user fixed one
    (``fixed_pi``, else None: estimate it), the dependent LF pairs and the per-LF weights derived
    from them (1 / size of the LF's dependency group), and the model's options."""

    design: Design
    fixed_pi: torch.Tensor | None
    dependencies: list[tuple[int, int]]
    weights: np.ndarray
    options: FitOptions = field(default_factory=FitOptions)

    @property
    def k(self) -> int:
        """Number of classes."""
        return self.design.k

    @property
    def m(self) -> int:
        """Number of LFs."""
        return self.design.m

    @property
    def device(self) -> torch.device:
        """Where the tensors live."""
        return self.design.device

    def uniform_prior(self) -> torch.Tensor:
        """The fixed class prior if any, else the uniform one."""
        if self.fixed_pi is not None:
            return self.fixed_pi
        return torch.full((self.k,), 1.0 / self.k, device=self.device)

    def majority_posteriors(self) -> torch.Tensor:
        """``[p, k]``: the soft (dependency-weighted) majority vote of each pattern."""
        return mv_init(self.design, self.fixed_pi, self.weights)


@dataclass
class Fitted:
    """What a method learned: confusions ``theta`` (float32 ``[m, k, k+1]``: P(LF votes a | Y=y),
    last column abstaining) and the class balance ``pi`` (``[k]``).

    ``informative``: abstaining shapes the posterior (the abstain column enters the lookup
    table). ``table`` says how votes become predictions: ``"learned"`` (log-confusions),
    ``"majority"`` (vote counts; theta only feeds ``accuracies``) or ``"vote_first"`` (vote counts
    decide, the learned table breaks ties). ``info`` goes into ``LabelModel.fit_info``.
    """

    theta: torch.Tensor
    pi: torch.Tensor
    informative: bool = False
    table: Table = "learned"
    info: dict[str, Any] = field(default_factory=dict)


class Method(Protocol):
    """The protocol of a registered label-model method (a class, instantiated without arguments)."""

    detect_dependencies: ClassVar[bool]
    """True where the method always adds dependencies detected in the votes to the given ones."""

    def fit(self, problem: FitProblem) -> Fitted:
        """Learn confusions and class balance from ``problem``."""
        ...


def method_names() -> tuple[str, ...]:
    """The registered method names (in-process and entry points), sorted."""
    return tuple(sorted(label_models.get_all()))


def get_method(name: str) -> Method:
    """A fresh instance of the method registered as ``name`` (ValueError naming the choices)."""
    if name not in label_models:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(method_names())}")
    method: Method = label_models.get(name)()
    return method
