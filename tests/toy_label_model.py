"""A toy label-model method, registered the way a plugin would: one module, one registry entry.

``toy``: each LF's accuracy is how often it agrees with the (soft) majority vote, one step and
no EM; errors are spread evenly over the other classes and the class prior is uniform.
"""

from __future__ import annotations

from explicate.runtime.label_model.design import one_coin_theta
from explicate.runtime.label_model.registry import FitProblem, Fitted, label_models


@label_models.register("toy")
class Toy:
    """Agreement with the majority vote as accuracy."""

    detect_dependencies = False

    def fit(self, problem: FitProblem) -> Fitted:
        k = problem.k
        V = problem.design.class_votes(problem.majority_posteriors())  # [m, y, a]
        agree = V.diagonal(dim1=1, dim2=2).sum(1)
        alpha = ((agree + 1.0) / (V.sum((1, 2)) + 2.0)).clamp(1.0 / k + 1e-3, 1 - 1e-6)
        return Fitted(one_coin_theta(alpha, k), problem.uniform_prior(), info={"toy": True})
