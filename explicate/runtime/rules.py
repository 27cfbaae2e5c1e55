"""Rule files read and compiled: all that ``explicate check`` needs.

Kept apart from ``runtime.apply`` (featurizing and applying) so that reading and checking a
rule file imports neither pandas nor spaCy: ``check`` without data starts in a fraction of a
second. The data side (``runtime.data``) is imported only when rules are compiled against a
DataFrame, which its caller has already read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from explicate import ir
from explicate.compiler import Program, Schema, compile_rules
from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar.parse import parse_partial

if TYPE_CHECKING:
    import pandas as pd


def declared_spans(rules: ir.RuleFile) -> dict[str, str]:
    """Each mention field a ``spans:`` statement declares, with its text field."""
    return {s: d.text for d in rules.statements if isinstance(d, ir.SpansDecl) for s in d.names}


@dataclass(frozen=True)
class RuleSource:
    """A rule file as parsed: the statements that parsed, and syntax errors of the rest."""

    rules: ir.RuleFile
    syntax_errors: tuple[Diagnostic, ...] = ()
    base_dir: Path = Path(".")


def load_rules(path: str | Path) -> RuleSource:
    """Parse a rule file from disk (syntax errors are raised later, with the compiler's)."""
    p = Path(path)
    if not p.is_file():
        raise ExplicateError([Diagnostic("E209", f"rule file '{path}' not found")])
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ExplicateError([Diagnostic(
            "E209", f"rule file '{path}' is not UTF-8 text: byte {data[exc.start]:#04x} at "
            f"{path}:{line}:{col}", None, "", ("save the file as UTF-8",))]) from None
    rules, problems = parse_partial(text, str(path))
    return RuleSource(rules, tuple(problems), p.parent)


def compile_for(source: RuleSource | ir.RuleFile, df: pd.DataFrame | None
                ) -> tuple[Program, Schema | None]:
    """Compile rules against a DataFrame's schema (or alone when ``df`` is None); every syntax,
    name and type error of the file is raised at once."""
    if isinstance(source, ir.RuleFile):
        source = RuleSource(source)
    schema = None
    if df is not None:
        from explicate.runtime.data import infer_schema

        schema = infer_schema(df, declared_spans(source.rules))
    program = compile_rules(source.rules, schema, source.base_dir, source.syntax_errors)
    return program, schema
