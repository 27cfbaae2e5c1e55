"""The built-in methods; importing this module registers them (each in its own module)."""

from __future__ import annotations

from explicate.runtime.label_model.auto import Auto
from explicate.runtime.label_model.dawid_skene import DawidSkene
from explicate.runtime.label_model.majority import Majority
from explicate.runtime.label_model.matrix_completion import MatrixCompletion
from explicate.runtime.label_model.triplets import Triplets
from explicate.runtime.label_model.weighted_majority import WeightedMajority

BUILTIN_METHODS: tuple[type, ...] = (
    Auto, Majority, WeightedMajority, DawidSkene, MatrixCompletion, Triplets,
)
"""The method classes explicate ships (registered under their names by their modules)."""
