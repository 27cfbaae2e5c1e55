"""Primitives: the registry and every built-in primitive (importing this registers them)."""

from explicate.primitives import entities, image, text, text_extra
from explicate.primitives.registry import REGISTRY, primitive, registered

__all__ = ["REGISTRY", "entities", "image", "primitive", "registered", "text", "text_extra"]
