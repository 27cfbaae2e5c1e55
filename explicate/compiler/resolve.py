"""Resolve names: labels to ids, word lists to their words, fields against the data's schema."""

from __future__ import annotations

import dataclasses
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from explicate import ir
from explicate.compiler.schema import Schema
from explicate.errors import Diagnostic, did_you_mean
from explicate.primitives.text import regex_flags_prefix


@dataclass
class Names:
    """Everything a rule file declares, after checking."""

    labels: tuple[str, ...] = ()
    word_lists: dict[str, tuple[ir.Phrase, ...]] = field(default_factory=dict)
    spans: dict[str, str] = field(default_factory=dict)  # declared mention -> its text field
    # `let` definitions, each with the lets it uses already expanded.
    lets: dict[str, ir.Expr] = field(default_factory=dict)


# The most words or phrases one word list (inline, from a file, or `any of`) may hold.
MAX_WORDS = 1_000_000


def word_file_problem(path: str, file: Path) -> tuple[str, str, str] | None:
    """(code, message, label) when a word-list file cannot be used: missing, not a regular file
    (a device, a pipe, a folder: reading one could block or never end), or not a valid path."""
    try:
        info = os.stat(file)
    except ValueError:
        return "E213", f"word list path '{path}' is not a valid path", "it holds a NUL character"
    except OSError:
        return "E207", f"word list file '{path}' not found", f"looked for {file}"
    if not stat.S_ISREG(info.st_mode):
        return ("E213", f"word list file '{path}' is not a regular file",
                f"{file} is a device, pipe or folder")
    return None


def read_word_file(path: Path) -> tuple[ir.Phrase, ...]:
    """Words from a file: one word or phrase per line; blank lines and ``#`` comments skipped."""
    items = []
    for line in path.read_bytes().decode("utf-8-sig").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            items.append(ir.Phrase(text))
    return tuple(items)


def declarations(rules: ir.RuleFile, base_dir: Path, diags: list[Diagnostic]) -> Names:
    """Collect the labels, word lists and span declarations of a file."""
    names = Names()
    labels_seen: ir.LabelsDecl | None = None
    for stmt in rules.statements:
        match stmt:
            case ir.LabelsDecl(names=label_names):
                if labels_seen is not None:
                    diags.append(Diagnostic("E204", "labels are declared twice", stmt.span,
                                            "second declaration", ("keep one 'labels:' line",)))
                    continue
                labels_seen = stmt
                dupes = sorted({n for n in label_names if label_names.count(n) > 1})
                if dupes:
                    diags.append(Diagnostic("E204", f"label '{dupes[0]}' is listed twice",
                                            stmt.span))
                if len(label_names) > ir.MAX_LABELS:
                    diags.append(Diagnostic("E106", f"{len(label_names):,} labels, more than "
                                            f"{ir.MAX_LABELS:,}", stmt.span, "",
                                            ("label ids must fit L's int16 entries",)))
                names.labels = label_names
            case ir.WordsDecl(name=wname, items=items, path=path):
                if wname in names.word_lists:
                    diags.append(Diagnostic("E204", f"word list '{wname}' is defined twice",
                                            stmt.span))
                    continue
                if path is not None:
                    file = base_dir / path
                    problem = word_file_problem(path, file)
                    if problem is None:
                        try:
                            items = read_word_file(file.resolve())
                        except UnicodeDecodeError as exc:
                            problem = ("E213", f"word list file '{path}' is not UTF-8 text",
                                       f"byte {exc.object[exc.start]:#04x} at offset {exc.start}")
                        except OSError as exc:
                            problem = ("E213", f"word list file '{path}' cannot be read",
                                       exc.strerror or str(exc))
                    if problem is not None:
                        diags.append(Diagnostic(problem[0], problem[1], stmt.span, problem[2]))
                        names.word_lists[wname] = ()
                        continue
                if len(items) > MAX_WORDS:
                    diags.append(Diagnostic("E106", f"word list '{wname}' has {len(items):,} "
                                            f"words, more than {MAX_WORDS:,}", stmt.span, "",
                                            ("split it into several lists",)))
                    names.word_lists[wname] = ()
                    continue
                names.word_lists[wname] = items
            case ir.SpansDecl(names=span_names, text=text):
                for s in span_names:
                    names.spans[s] = text
            case ir.LetDecl(name=lname, value=value):
                if lname in names.lets:
                    diags.append(Diagnostic("E204", f"'{lname}' is defined twice", stmt.span,
                                            "second definition", ("let names must be unique",)))
                    continue
                # A let may use the lets above it; expanding now makes each use one substitution.
                names.lets[lname] = expand_lets(value, names.lets)
    if labels_seen is None and rules.lfs:
        diags.append(Diagnostic("E205", "no 'labels:' declaration", None, "",
                                ("start the file with e.g. 'labels: HAM, SPAM' (ids 0, 1, ...)",)))
    return names


def resolve_lf(lf: ir.LF, names: Names, schema: Schema | None, diags: list[Diagnostic]) -> ir.LF:
    """Check every name an LF uses; give its label its id."""
    label = lf.label
    check_holes(lf, diags)
    if isinstance(label, ir.LabelHole):
        pass  # filled with one of the declared labels
    elif names.labels:
        if label.name in names.labels:
            label = dataclasses.replace(label, id=names.labels.index(label.name))
        else:
            diags.append(Diagnostic("E202", f"unknown label '{label.name}'", label.span,
                                    "not declared in 'labels:'",
                                    did_you_mean(label.name, names.labels, "labels")))
    for node in ir.walk(lf.when):
        match node:
            case ir.WordList(name=wname) if wname not in names.word_lists:
                diags.append(Diagnostic("E203", f"unknown word list '{wname}'", node.span,
                                        "no 'words' declaration with this name",
                                        did_you_mean(wname, names.word_lists, "word lists")))
            case ir.Field(name=fname) if schema is not None and fname not in schema.kinds:
                diags.append(Diagnostic("E201", f"unknown field '{fname}'", node.span,
                                        "not a field of this dataset",
                                        did_you_mean(fname, schema.kinds, "fields")))
            case ir.Regex():
                problem = regex_problem(node)
                if problem:
                    diags.append(Diagnostic("E206", "bad regular expression", node.span, problem,
                                            ("the dialect is RE2: no backreferences or lookaround",)))
    return dataclasses.replace(lf, label=label)


def check_holes(lf: ir.LF, diags: list[Diagnostic]) -> None:
    """A sketch's holes: one name is one value, so its uses agree on kind and constraints."""
    first: dict[str, ir.Hole | ir.LabelHole] = {}
    for hole in ir.holes(lf):
        if isinstance(hole, ir.Hole) and hole.low is not None and hole.high is not None \
                and hole.low > hole.high:
            diags.append(Diagnostic("E212", f"empty range for hole '?{hole.name}'", hole.span,
                                    f"{hole.low:g} is above {hole.high:g}"))
        seen = first.setdefault(hole.name, hole)
        if seen is hole:
            continue
        if _kind(seen) != _kind(hole):
            diags.append(Diagnostic(
                "E212", f"hole '?{hole.name}' stands for {_kind(seen)} and for {_kind(hole)}",
                hole.span, f"used as {_kind(hole)} here",
                ("one name is one value: give the other hole its own name",)))
        elif _constrained(seen) and _constrained(hole):
            diags.append(Diagnostic(
                "E212", f"hole '?{hole.name}' is constrained twice", hole.span,
                "the constraints differ", ("write the constraint on one use only",)))
        elif _constrained(hole):
            first[hole.name] = hole


def _kind(hole: ir.Hole | ir.LabelHole) -> str:
    return "label" if isinstance(hole, ir.LabelHole) else hole.kind


def _constrained(hole: ir.Hole | ir.LabelHole) -> bool:
    return isinstance(hole, ir.Hole) and (
        hole.within is not None or bool(hole.like) or hole.low is not None)


def expand_lets(expr: ir.Expr, lets: dict[str, ir.Expr]) -> ir.Expr:
    """Replace uses of ``let`` names by their definitions: a value (``Field``) by the expression,
    a per-object measure (``Attr``) by the expression read as measures of each object."""
    if not lets:
        return expr

    def swap(node: ir.Expr) -> ir.Expr:
        if isinstance(node, ir.Field) and node.name in lets:
            return lets[node.name]
        if isinstance(node, ir.Attr) and node.name in lets:
            return as_measure(lets[node.name])
        return node

    return ir.transform(expr, swap)


def as_measure(expr: ir.Expr) -> ir.Expr:
    """A let's expression read per object: its names are the object's measures."""

    def swap(node: ir.Expr) -> ir.Expr:
        return ir.Attr(node.name, span=node.span) if isinstance(node, ir.Field) else node

    return ir.transform(expr, swap)


def regex_problem(regex: ir.Regex) -> str | None:
    """Why the RE2 engine rejects a pattern, or None when it compiles."""
    try:
        # A null string still compiles the pattern; unlike pa.array([...]) it does not make
        # pyarrow import pandas (a second of `explicate check`'s start-up).
        pc.match_substring_regex(pa.nulls(1, pa.string()),
                                 regex_flags_prefix(regex.flags) + regex.pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        return str(exc).split(":", 1)[-1].strip() or "does not compile"
    return None


def expand_word_lists(expr: ir.Expr, word_lists: dict[str, tuple[ir.Phrase, ...]]) -> ir.Expr:
    """Replace word-list references by the words they name (for lowering)."""

    def swap(node: ir.Expr) -> ir.Expr:
        if isinstance(node, ir.WordList):
            return ir.AnyOf(word_lists.get(node.name, ()), span=node.span)
        return node

    return ir.transform(expr, swap)
