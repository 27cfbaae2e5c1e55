"""Front ends: text (DSL, later English explanations) → IR."""

from explicate.grammar.parse import parse, parse_lf, parse_statement
from explicate.grammar.printer import to_dsl

__all__ = ["parse", "parse_lf", "parse_statement", "to_dsl"]
