"""The compiler: resolve → typecheck → normalize → lower. All problems are collected, then raised once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from explicate import ir
from explicate.compiler.lower import Program
from explicate.compiler.normalize import normalize, normalize_lf
from explicate.compiler.resolve import (
    Names,
    declarations,
    expand_lets,
    expand_word_lists,
    resolve_lf,
)
from explicate.compiler.schema import FieldKind, Schema
from explicate.compiler.typecheck import TypeChecker
from explicate.errors import CompileError, Diagnostic, ParseError, did_you_mean


@dataclass
class Compilation:
    """What the passes share: the input, what each pass found, and every problem so far."""

    rules: ir.RuleFile
    schema: Schema | None
    base_dir: Path
    diags: list[Diagnostic]
    names: Names | None = None
    resolved: list[ir.LF] = field(default_factory=list)
    written: list[ir.LF] = field(default_factory=list)  # as written (lets by name), for printing
    inferred: dict[str, FieldKind] = field(default_factory=dict)
    checked: tuple[ir.LF, ...] = ()
    program: Program | None = None


def resolve(c: Compilation) -> None:
    """Names: declarations, labels, word lists, fields against the schema, lets expanded."""
    prior = list(c.diags)
    c.diags.clear()
    c.names = declarations(c.rules, c.base_dir, c.diags)
    if prior:
        # A broken 'labels:' line would otherwise also read as a missing one.
        c.diags[:] = [d for d in c.diags if d.code != "E205"]
        c.diags.extend(prior)
    if c.schema is not None:
        _check_span_decls(c.rules, c.schema, c.diags)
    seen: dict[str, ir.LF] = {}
    for lf in c.rules.lfs:
        if lf.name in seen:
            c.diags.append(Diagnostic("E204", f"LF '{lf.name}' is defined twice", lf.span,
                                      "second definition", ("LF names must be unique",)))
            continue
        seen[lf.name] = lf
        expanded = expand_lets(lf, c.names.lets)
        assert isinstance(expanded, ir.LF)
        c.resolved.append(resolve_lf(expanded, c.names, c.schema, c.diags))
        c.written.append(dataclasses.replace(lf, label=c.resolved[-1].label))


def typecheck(c: Compilation) -> None:
    """Types: every operand has the type its operator needs (field kinds inferred without data)."""
    assert c.names is not None
    checker = TypeChecker(c.schema, c.names.spans)
    for lf in c.resolved:
        checker.check_lf(lf)
    c.inferred = checker.finish()
    c.diags.extend(checker.diags)


def normalize_pass(c: Compilation) -> None:
    """Canonical form: flattened, deduplicated, double negations removed."""
    c.checked = tuple(normalize_lf(lf) for lf in c.resolved)


def lower(c: Compilation) -> None:
    """The executable program: word lists expanded, field kinds fixed."""
    assert c.names is not None
    lowered = tuple(expand_word_lists(lf, c.names.word_lists) for lf in c.checked)
    c.program = Program(
        labels=c.names.labels,
        lfs=tuple(normalize_lf(lf) for lf in c.written),
        lowered=tuple(lf for lf in lowered if isinstance(lf, ir.LF)),
        field_kinds=_field_kinds(c.checked, c.schema, c.names.spans, c.inferred),
        spans=dict(c.names.spans),
        word_lists=c.names.word_lists,
    )


# The passes, in order. The checking passes report every problem; none after them runs when any
# was found.
CHECKS: tuple[Callable[[Compilation], None], ...] = (resolve, typecheck)
PASSES: tuple[Callable[[Compilation], None], ...] = (*CHECKS, normalize_pass, lower)


def compile_rules(
    rules: ir.RuleFile,
    schema: Schema | None = None,
    base_dir: str | Path = ".",
    prior: Sequence[Diagnostic] = (),
) -> Program:
    """Check a parsed rule file against a schema (or alone) and lower it to a ``Program``.

    ``prior`` are problems found by earlier stages (syntax errors of statements that did not
    parse); they are reported together with this stage's, in file order.
    """
    c = Compilation(rules, schema, Path(base_dir), list(prior))
    for step in PASSES:
        step(c)
        if step is CHECKS[-1] and c.diags:
            diags = c.diags
            error = ParseError if all(d.code.startswith("E1") for d in diags) else CompileError
            raise error(_ordered(diags))
    assert c.program is not None
    return c.program


def _check_span_decls(rules: ir.RuleFile, schema: Schema, diags: list[Diagnostic]) -> None:
    columns = schema.columns or schema.names
    for stmt in rules.statements:
        if not isinstance(stmt, ir.SpansDecl):
            continue
        if stmt.text not in columns:
            diags.append(Diagnostic("E208", f"unknown text field '{stmt.text}' in spans",
                                    stmt.span, "", did_you_mean(stmt.text, columns, "fields")))
        for s in stmt.names:
            if s not in columns and f"{s}_start" not in columns:
                hint = did_you_mean(s, columns, "fields")[0]
                diags.append(Diagnostic("E208", f"unknown mention field '{s}' in spans", stmt.span,
                                        "", (f"{hint}; a mention is a string column or "
                                             f"'{s}_start'/'{s}_end' character offsets",)))


def _field_kinds(lfs: tuple[ir.LF, ...], schema: Schema | None, spans: dict[str, str],
                 inferred: dict[str, FieldKind]) -> dict[str, FieldKind]:
    kinds: dict[str, FieldKind] = {}
    for lf in lfs:
        for name in ir.fields_read(lf.when):
            if name in spans:
                kinds[name] = FieldKind.SPAN
            elif schema is not None and name in schema.kinds:
                kinds[name] = schema.kinds[name]
            else:
                kinds[name] = inferred.get(name, FieldKind.TEXT)
    return kinds


def _ordered(diags: list[Diagnostic]) -> list[Diagnostic]:
    # File order, then code: the user reads errors top to bottom.
    return sorted(diags, key=lambda d: (d.span.start if d.span else -1, d.code))


__all__ = ["PASSES", "Compilation", "FieldKind", "Program", "Schema", "compile_rules", "normalize"]
