"""Diagnostics: what went wrong, where in the user's text, and how to fix it.

Rendered like rustc (and sqlglot), as plain text so golden tests can compare bytes::

    error[E201]: unknown field 'titel'
     --> rules.lf:3:14
      |
    3 | lf t: titel contains "job" -> JOB
      |       ^^^^^ not a field of this dataset
      = help: did you mean 'title'? fields: title, body
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from explicate.ir import Span

# Every diagnostic code, by stage, with what it means: E1xx syntax, E2xx names, E3xx types,
# E4xx data, E5xx pipeline files, E6xx command-line inputs, E7xx studio requests, E8xx
# partitioned runs (shards, engines). A Diagnostic with a code not listed here is a programming
# error (so the table, which the README lists, is always complete).
CODES: dict[str, str] = {
    "E101": "syntax error",
    "E102": "unexpected character",
    "E103": "explanation could not be read",
    "E104": "bad string escape",
    "E105": "explanation too long to read",
    "E106": "over a limit of the DSL (nesting depth, list size, label count, number size)",
    "E107": "empty rule file",
    "E201": "unknown field",
    "E202": "unknown label",
    "E203": "unknown word list",
    "E204": "duplicate name",
    "E205": "missing labels declaration",
    "E206": "bad regular expression",
    "E207": "word list file not found",
    "E208": "bad span declaration",
    "E209": "rule file not found or not UTF-8",
    "E210": "unknown object measure",
    "E211": "unfilled hole",
    "E212": "inconsistent hole",
    "E213": "word list file unusable (not a regular file, not UTF-8)",
    "E220": "unknown entity type",
    "E221": "concept with no words in the data",
    "E301": "type mismatch",
    "E401": "data file not found or unreadable",
    "E402": "unknown data format",
    "E403": "missing or mismatched columns",
    "E404": "value that is not a label",
    "E501": "bad pipeline file",
    "E502": "no LF votes on any row",
    "E503": "output folder in use by another run",
    "E601": "unknown label model method",
    "E602": "bad label matrix file",
    "E603": "nothing to fit",
    "E604": "bad fill input",
    "E605": "bad command-line option value",
    "E620": "the ner extra is not installed",
    "E701": "unknown rule file version",
    "E702": "bad studio request",
    "E703": "nothing to undo or redo",
    "E704": "the studio extra is not installed",
    "E801": "no data shards match",
    "E802": "unknown or unavailable engine",
    "E803": "a shard does not fit the rules",
    "E804": "bad label-matrix directory",
    "E805": "cluster not reachable",
    "E806": "data shards do not match the probabilities",
    "E807": "a shard lacks a field the end model reads",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: a code, a message, where (optional), a label under the caret, and hints."""

    code: str
    message: str
    span: Span | None = None
    label: str = ""
    hints: tuple[str, ...] = field(default=())
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"diagnostic code {self.code!r} is not in errors.CODES")

    @property
    def meaning(self) -> str:
        """What the code means, from the table (e.g. ``E201`` -> ``unknown field``)."""
        return CODES[self.code]

    def render(self) -> str:
        """The diagnostic as rustc-style plain text."""
        out = [f"{self.severity}[{self.code}]: {self.message}"]
        if self.span is not None:
            src = self.span.source
            line, col = src.line_col(self.span.start)
            text = src.line_text(line)
            end_line, _ = src.line_col(max(self.span.start, self.span.end - 1))
            if end_line == line:
                width = max(1, self.span.end - self.span.start)
            else:
                width = max(1, len(text) - col + 1)
            gutter = " " * len(str(line))
            out.append(f"{gutter}--> {src.name}:{line}:{col}")
            out.append(f"{gutter} |")
            out.append(f"{line} | {text}")
            caret = " " * (col - 1) + "^" * width
            out.append(f"{gutter} | {caret}{' ' + self.label if self.label else ''}".rstrip())
            for hint in self.hints:
                out.append(f"{gutter} = help: {hint}")
        else:
            out.extend(f"  = help: {hint}" for hint in self.hints)
        return "\n".join(out)


def render(diagnostics: Iterable[Diagnostic]) -> str:
    """All diagnostics, separated by blank lines, with a count at the end."""
    diags = list(diagnostics)
    body = "\n\n".join(d.render() for d in diags)
    errors = sum(d.severity == "error" for d in diags)
    if errors:
        body += f"\n\n{errors} error{'s' if errors != 1 else ''} found"
    return body


class ExplicateError(Exception):
    """A user mistake, carrying every diagnostic found (never a bare traceback for these)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(render(self.diagnostics))


class ParseError(ExplicateError):
    """The text does not follow the grammar."""


class CompileError(ExplicateError):
    """Names or types do not check."""


class DataError(ExplicateError):
    """The data does not fit the rules (missing column, unreadable file)."""


def did_you_mean(name: str, candidates: Iterable[str], what: str) -> tuple[str, ...]:
    """Hints for an unknown name: the closest candidate (if any) and the full list."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    listing = f"{what}: {', '.join(options)}" if options else f"no {what} are defined"
    return (f"did you mean '{close[0]}'? {listing}",) if close else (listing,)
