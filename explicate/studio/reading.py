"""What a typed rationale means: its readings as LFs compiled against the cached schema.

Text that starts with ``lf`` is DSL. Other text is first read as a DSL condition
(``text contains "win"``, with ``-> LABEL`` or the chosen label); where that does not parse it is
read as English through ``explicate.explain`` on the example it is about (every reading, each
with what the explanation filters said of it). Errors come back as rendered diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from explicate import ir
from explicate.compiler import Program, Schema, compile_rules
from explicate.errors import Diagnostic, ExplicateError
from explicate.grammar import to_dsl
from explicate.grammar.parse import parse_partial
from explicate.runtime.explain import explain

MEMO = 64  # read results remembered (the last typed texts)
_OPERATORS = ("contains", "starts", "ends", "matches", "is", "same", "followed")
_LF_START = re.compile(r"\s*lf\b", re.IGNORECASE)
_NAME_WORD = re.compile(r"[a-z0-9]+")
_KEYWORDS = {"text", "contains", "followed", "by", "in", "within", "words", "and", "or", "not",
             "any", "of", "the", "is", "a", "an", "label", "because", "if", "word", "sentence",
             "count", "between", "left", "right", "starts", "ends", "with", "matches"}


@dataclass(frozen=True)
class Reading:
    """One meaning of the typed text as an LF; ``program`` is None where it does not compile
    (then ``note`` says why)."""

    lf: ir.LF
    lowered: ir.LF
    program: Program | None
    dsl: str
    source: str
    note: str = ""


@dataclass
class ReadResult:
    kind: str  # "dsl", "english" or "empty"
    readings: list[Reading] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"code": d.code, "message": d.message, "rendered": d.render(),
                 "line": d.span.line if d.span else None,
                 "column": d.span.column if d.span else None} for d in self.diagnostics]


def auto_name(text: str, taken: set[str]) -> str:
    """A readable unused LF name from the words of the text (``"prize" followed by "claim"``
    → ``prize_claim``)."""
    quoted = [a or b or c for a, b, c in re.findall(r'"([^"]+)"|“([^”]+)”|\'([^\']+)\'', text)]
    source = " ".join(quoted) if quoted else text
    words = [w for w in _NAME_WORD.findall(source.lower()) if w not in _KEYWORDS][:3]
    base = "_".join(words) or "rule"
    if base[0].isdigit():
        base = "r_" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


class Reader:
    """Reads typed text against the studio's header (labels, word lists, spans) and schema."""

    def __init__(self, header: Sequence[ir.Expr], schema: Schema, base_dir: Path,
                 labels: tuple[str, ...], word_lists: Mapping[str, tuple[str, ...]]):
        self.header = tuple(header)
        self.schema = schema
        self.base_dir = base_dir
        self.labels = labels
        self.word_lists = dict(word_lists)
        self._memo: dict[Any, ReadResult] = {}

    def read(self, text: str, label: str | None, example: Mapping[str, Any] | None,
             taken: set[str], name: str | None = None) -> ReadResult:
        """The readings of ``text`` (memoized: the page asks for the same text twice, for its
        figures and then for the label model's change; English is the slow part)."""
        key = (text, label, tuple(example.items()) if example is not None else None,
               frozenset(taken), name)
        try:
            hit = self._memo.get(key)
        except TypeError:  # a value that does not hash: read it anew
            return self._read(text, label, example, taken, name)
        if hit is None:
            hit = self._memo[key] = self._read(text, label, example, taken, name)
            while len(self._memo) > MEMO:
                self._memo.pop(next(iter(self._memo)))
        return hit

    def _read(self, text: str, label: str | None, example: Mapping[str, Any] | None,
              taken: set[str], name: str | None = None) -> ReadResult:
        if not text.strip():
            return ReadResult("empty")
        explicit = bool(_LF_START.match(text))
        lf_name = name or auto_name(text, taken)
        if explicit:
            return self._dsl(text, text, name)
        if "->" in text:
            src = f"lf {lf_name}: {text.strip()}"
        elif label is not None:
            src = f"lf {lf_name}: {text.strip()} -> {label}"
        else:
            src = ""
        if src:
            dsl = self._dsl(src, text, None)
            if dsl.readings or not _syntax_only(dsl.diagnostics) or self.looks_like_dsl(text):
                return dsl
        english = self._english(text, label, example, lf_name, taken)
        if english.readings:
            return english
        if src:  # neither reads: show both
            english.diagnostics = [*dsl.diagnostics, *english.diagnostics]
        elif label is None and not english.diagnostics:
            english.diagnostics.append(Diagnostic("E202", "no label: choose one, or end the "
                                                  "rule with '-> LABEL'"))
        return english

    def looks_like_dsl(self, text: str) -> bool:
        """Whether text begins the way only a DSL condition does: a field or a DSL function
        followed by a DSL operator (``text contains``, ``count(``, ``"a" followed by``). Such
        text is not also read as English while it does not parse: it is a rule being typed, and
        its syntax error (with the caret) is the useful answer."""
        fields = "|".join(re.escape(f) for f in sorted(self.schema.kinds, key=len, reverse=True))
        start = (r"^\s*(not\s+|\(\s*)*((count|chars|distance|any|all|has|min|max|mean|sum)\b|"
                 r"true\b|false\b|@|`|[\"'][^\"']*[\"']\s+(followed|between|within|left|right|"
                 r"before|after|of)\b")
        if fields:
            start += rf"|({fields})\s+(contains|starts|ends|matches|is|same|followed|[<>=!])"
        if re.match(start + ")", text, re.IGNORECASE):
            return True
        # A field and the start of an operator, as typed so far ("text cont").
        words = text.split()
        return len(words) == 2 and words[0] in self.schema.kinds and not text[-1].isspace() and \
            any(op.startswith(words[1].lower()) for op in _OPERATORS)

    def _dsl(self, src: str, typed: str, rename: str | None, note: str = "") -> ReadResult:
        rules, problems = parse_partial(src, "<typed>")
        out = ReadResult("dsl")
        decls = [s for s in rules.statements if not isinstance(s, ir.LF)]
        for d in decls:
            out.diagnostics.append(Diagnostic("E702", "declarations (labels, words, spans) "
                                              "belong in the rule file", d.span, "not an LF"))
        if problems or out.diagnostics:
            out.diagnostics[:0] = problems
            return out
        lfs = list(rules.lfs)
        if rename and len(lfs) == 1:
            lfs = [ir.LF(rename, lfs[0].label, lfs[0].when, span=lfs[0].span)]
        try:
            program = compile_rules(ir.RuleFile((*self.header, *lfs)), self.schema, self.base_dir)
        except ExplicateError as exc:
            out.diagnostics.extend(exc.diagnostics)
            return out
        for lf, low in zip(program.lfs, program.lowered, strict=True):
            out.readings.append(Reading(lf, low, program, to_dsl(lf), typed, note))
        return out

    def _english(self, text: str, label: str | None, example: Mapping[str, Any] | None,
                 name: str, taken: set[str]) -> ReadResult:
        out = ReadResult("english")
        if example is None:
            out.diagnostics.append(Diagnostic("E103", "an English explanation is about an "
                                              "example: open one first"))
            return out
        row = {k: v for k, v in example.items() if k not in ("label", "explanation", "name")}
        row["label"] = label if label is not None else float("nan")
        row["explanation"] = text
        try:
            result = explain(pd.DataFrame([row]), self.labels, word_lists=self.word_lists)
        except ExplicateError as exc:
            out.diagnostics.extend(exc.diagnostics)
            return out
        e = result.explained[0]
        out.diagnostics.extend(e.parsed.diagnostics)
        out.notes.extend(f"not supported: {u}" for u in e.parsed.unsupported)
        out.notes.extend(e.parsed.warnings)
        skipped = sorted({w for r in e.parsed.readings for w in r.skipped})
        if skipped:
            out.notes.append(f"skipped word(s): {', '.join(skipped)}")
        kept = {to_dsl(lf.when): lf.label.name for lf in e.kept}
        said = {to_dsl(r.when): r.label for r in e.parsed.readings}
        why = {r["reading"]: r["reason"] for r in e.rejected}
        used = set(taken)
        for i, cond in enumerate(e.readings):
            lab = kept.get(cond) or e.label or said.get(cond)
            note = "passes the explanation filters" if cond in kept else why.get(cond, "")
            if lab is None:
                out.notes.append(f"{cond}: {note or 'no label'}")
                continue
            lf_name = name if i == 0 else auto_name(f"{name} {i + 1}", used)
            used.add(lf_name)
            got = self._dsl(f"lf {lf_name}: {cond} -> {lab}", text, None, note)
            out.readings.extend(got.readings)
            if not got.readings:
                out.notes.append(f"{cond}: " + "; ".join(d.message for d in got.diagnostics))
        return out


def _syntax_only(diags: Sequence[Diagnostic]) -> bool:
    return bool(diags) and all(d.code.startswith("E1") for d in diags)
