"""The DSL grammar's text (``dsl.lark`` plus what the registries generate) and its keywords."""

from __future__ import annotations

import functools
import re
from importlib import resources

from explicate.primitives import registry
from explicate.primitives.entities import ENTITY_TYPES
from explicate.primitives.image import RELATIONS


def grammar_text() -> str:
    """The full DSL grammar: ``dsl.lark`` plus the alternatives generated from the registry."""
    base = resources.files("explicate.grammar").joinpath("dsl.lark").read_text(encoding="utf-8")
    return (base + "\n// generated from the primitive registry\n" + registry.grammar_rules()
            + relation_rule() + entity_terminal())


def entity_terminal() -> str:
    """``ENTITY_TYPES``: an article and one or more entity types joined by ``/`` (``a GPE/LOC``),
    one token, so ``a`` stays free as a field name."""
    label = "(" + "|".join(ENTITY_TYPES) + ")"
    return f"ENTITY_TYPES.2: /\\b[aA][nN]?[ \\t]+{label}(\\/{label})*(?![A-Za-z0-9_])/\n"


def relation_alias(relation: str) -> str:
    """The parse-tree name of a relation's alternative: ``left of`` -> ``rel_left_of``."""
    return "rel_" + relation.replace(" ", "_")


def relation_rule() -> str:
    """``relation``: one alternative per entry of ``primitives.image.RELATIONS``."""
    alts = [" ".join(f'"{w}"i' for w in name.split()) + f" -> {relation_alias(name)}"
            for name in RELATIONS]
    return "relation: " + "\n        | ".join(alts) + "\n"


_KEYWORD = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"i')


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar reads as a keyword (lower case): the printer writes a name that is
    one of them in backticks, so what it prints always parses back."""
    return frozenset(m.group(1).lower() for m in _KEYWORD.finditer(grammar_text()))
