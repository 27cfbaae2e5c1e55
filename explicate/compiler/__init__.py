"""The compiler: resolve → typecheck → normalize → lower. All problems are collected, then raised once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from explicate import ir
from explicate.compiler.lower import Program
from explicate.compiler.normalize import normalize, normalize_lf
from explicate.compiler.resolve import declarations, expand_lets, expand_word_lists, resolve_lf
from explicate.compiler.schema import FieldKind, Schema
from explicate.compiler.typecheck import TypeChecker
from explicate.errors import CompileError, Diagnostic, ParseError, did_you_mean


def compile_rules(
    rules: ir.RuleFile,
    schema: Schema | None = None,
    base_dir: str | Path = ".",
    prior: Sequence[Diagnostic] = (),
    holes: bool = False,
) -> Program:
    """Check a parsed rule file against a schema (or alone) and lower it to a ``Program``.

    ``prior`` are problems found by earlier stages (syntax errors of statements that did not
    parse); they are reported together with this stage's, in file order. With ``holes`` true
    the file may hold sketches (LFs with holes): they are checked like every LF and kept in the
    program (word lists expanded, ``?w in @list`` included) for ``explicate.runtime.sketch`` to
    fill; such a program cannot be applied. Without it a hole is an error (E209).
    """
    diags: list[Diagnostic] = []
    names = declarations(rules, Path(base_dir), diags)
    if prior:
        # A broken 'labels:' line would otherwise also read as a missing one.
        diags = [d for d in diags if d.code != "E205"]
        diags.extend(prior)
    if schema is not None:
        _check_span_decls(rules, schema, diags)
    seen: dict[str, ir.LF] = {}
    resolved: list[ir.LF] = []
    written: list[ir.LF] = []  # as written (lets by name), for printing
    for lf in rules.lfs:
        if lf.name in seen:
            diags.append(Diagnostic("E204", f"LF '{lf.name}' is defined twice", lf.span,
                                    "second definition", ("LF names must be unique",)))
            continue
        seen[lf.name] = lf
        if not holes:
            _no_holes(lf, diags)
        expanded = expand_lets(lf, names.lets)
        assert isinstance(expanded, ir.LF)
        resolved.append(resolve_lf(expanded, names, schema, diags))
        written.append(dataclasses.replace(lf, label=resolved[-1].label))
    checker = TypeChecker(schema, names.spans)
    for lf in resolved:
        checker.check_lf(lf)
    inferred = checker.finish()
    diags.extend(checker.diags)
    if diags:
        error = ParseError if all(d.code.startswith("E1") for d in diags) else CompileError
        raise error(_ordered(diags))
    checked = tuple(normalize_lf(lf) for lf in resolved)
    lowered = tuple(expand_word_lists(lf, names.word_lists) for lf in checked)
    kinds = _field_kinds(checked, schema, names.spans, inferred)
    return Program(
        labels=names.labels,
        lfs=tuple(normalize_lf(lf) for lf in written),
        lowered=tuple(lf for lf in lowered if isinstance(lf, ir.LF)),
        field_kinds=kinds,
        spans=dict(names.spans),
        word_lists=names.word_lists,
    )


def _no_holes(lf: ir.LF, diags: list[Diagnostic]) -> None:
    found = ir.holes(lf)
    if found:
        listed = ", ".join(sorted({f"?{h.name}" for h in found}))
        diags.append(Diagnostic("E209", f"LF '{lf.name}' is a sketch: {listed} not filled",
                                found[0].span, "a hole", (
                                    "fill its holes from data: explicate fill SKETCHES.lf "
                                    "--data POOL --dev DEV --gold COLUMN -o rules.lf",)))


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


__all__ = ["FieldKind", "Program", "Schema", "compile_rules", "normalize"]
