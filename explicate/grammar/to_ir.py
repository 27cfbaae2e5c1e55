"""Lark parse trees → IR nodes. Rule names are the snake_case of the IR class they build."""

from __future__ import annotations

import math
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from explicate import ir
from explicate.grammar.syntax import relation_alias
from explicate.primitives import registry
from explicate.primitives.image import RELATIONS

_RELATION_OF = {relation_alias(name): name for name in RELATIONS}


# The DSL's own string escapes (the printer writes the same ones). Anything else after a
# backslash is an error with a caret: no escape silently means something else, and a Windows path
# ("C:\\Users\\me") must double its backslashes or use forward slashes.
ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
ESCAPE_HELP = ('the escapes are \\\\ \\" \\\' \\n \\t \\r and \\uXXXX (four hex digits); '
               'write a backslash as \\\\ (a Windows path: "C:\\\\Users\\\\me.txt", '
               'or "C:/Users/me.txt")')


class BadEscape(ValueError):
    """A backslash sequence the DSL does not define, at ``offset`` within the token."""

    def __init__(self, offset: int, length: int, sequence: str):
        super().__init__(f"unknown escape '{sequence}'")
        self.offset, self.length, self.sequence = offset, length, sequence
        self.span: ir.Span | None = None  # set by ToIR, which knows where the token is


def unquote(token: str) -> str:
    """The value of a quoted string literal ('...' or "...") with the DSL's escapes (``ESCAPES``
    and ``\\uXXXX``); raises :class:`BadEscape` for any other backslash sequence."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in ESCAPES and nxt:
            out.append(ESCAPES[nxt])
            i += 2
        elif nxt == "u" and _is_hex(body[i + 2 : i + 6]):
            code = int(body[i + 2 : i + 6], 16)
            if 0xD800 <= code <= 0xDFFF:
                raise BadEscape(i + 1, 6, body[i : i + 6])
            out.append(chr(code))
            i += 6
        else:
            shown = body[i : i + 6] if nxt == "u" else body[i : i + 2]
            raise BadEscape(i + 1, max(2, len(shown)), shown)
    return "".join(out)


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)


# The largest whole number (a distance in words, a count) the DSL reads.
MAX_INT = 10**9


class DslLimitError(ValueError):
    """A literal over one of the DSL's limits (a number too large to be finite)."""

    def __init__(self, message: str, span: ir.Span, hint: str):
        super().__init__(message)
        self.span, self.hint = span, hint


class ToIR(Transformer[Token, Any]):
    """Builds IR from a parse tree, attaching source spans from lark's position metadata."""

    def __init__(self, source: ir.Source, base: int = 0):
        super().__init__()
        self.source = source
        self.base = base  # offset of the parsed text within the source

    def _span(self, meta: Meta) -> ir.Span | None:
        if getattr(meta, "empty", True):
            return None
        return ir.Span(self.source, self.base + meta.start_pos, self.base + meta.end_pos)

    def _unquote(self, tok: Token) -> str:
        try:
            return unquote(str(tok))
        except BadEscape as exc:
            start = self._tok_span(tok).start + exc.offset
            exc.span = ir.Span(self.source, start, start + exc.length)
            raise

    def _tok_span(self, tok: Token) -> ir.Span:
        start = self.base + (tok.start_pos or 0)
        return ir.Span(self.source, start, start + len(tok))

    # terminals
    def INT(self, tok: Token) -> int:  # noqa: N802 - lark calls terminal callbacks by name
        digits = str(tok).lstrip("-").lstrip("0")
        if len(digits) > len(str(MAX_INT)) or (digits and int(digits) > MAX_INT):
            raise DslLimitError(f"whole number '{str(tok)[:20]}{'...' if len(tok) > 20 else ''}' "
                                "is too large", self._tok_span(tok),
                                f"whole numbers (word distances, counts) are at most {MAX_INT:,}")
        return int(tok)

    def REGEX(self, tok: Token) -> ir.Regex:  # noqa: N802
        body, _, flags = str(tok)[1:].rpartition("/")
        # "\/" inside the literal stands for a slash; RE2 would read "\/" as "/" too.
        return ir.Regex(body.replace("\\/", "/"), flags, span=self._tok_span(tok))

    def ENTITY_TYPES(self, tok: Token) -> ir.EntityTypes:  # noqa: N802 - "a GPE/LOC"
        labels = str(tok).split(maxsplit=1)[1].split("/")
        return ir.EntityTypes(tuple(labels), span=self._tok_span(tok))

    # names
    def name(self, children: list[Token]) -> Token:
        tok = children[0]
        if tok.type == "QUOTED_NAME":
            return tok.update(value=str(tok)[1:-1])
        return tok

    # statements
    @v_args(meta=True)
    def lf_def(self, meta: Meta, c: list[Any]) -> ir.LF:
        name, when, label = c
        if label.type == "HOLE":
            return ir.LF(str(name), ir.LabelHole(str(label)[1:], span=self._tok_span(label)),
                         when, span=self._span(meta))
        return ir.LF(str(name), ir.Label(str(label), span=self._tok_span(label)), when,
                     span=self._span(meta))

    @v_args(meta=True)
    def labels_decl(self, meta: Meta, c: list[Token]) -> ir.LabelsDecl:
        return ir.LabelsDecl(tuple(str(t) for t in c), span=self._span(meta))

    @v_args(meta=True)
    def words_inline(self, meta: Meta, c: list[Any]) -> ir.WordsDecl:
        return ir.WordsDecl(str(c[0]), tuple(c[1:]), span=self._span(meta))

    @v_args(meta=True)
    def words_file(self, meta: Meta, c: list[Any]) -> ir.WordsDecl:
        return ir.WordsDecl(str(c[0]), (), self._unquote(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def spans_decl(self, meta: Meta, c: list[Token]) -> ir.SpansDecl:
        *names, text = c
        return ir.SpansDecl(tuple(str(t) for t in names), str(text), span=self._span(meta))

    @v_args(meta=True)
    def let_decl(self, meta: Meta, c: list[Any]) -> ir.LetDecl:
        return ir.LetDecl(str(c[0]), c[1], span=self._span(meta))

    # logic
    @v_args(meta=True)
    def or_(self, meta: Meta, c: list[ir.Expr]) -> ir.Or:
        return ir.Or(tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def and_(self, meta: Meta, c: list[ir.Expr]) -> ir.And:
        return ir.And(tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def not_(self, meta: Meta, c: list[ir.Expr]) -> ir.Not:
        return ir.Not(c[0], span=self._span(meta))

    @v_args(meta=True)
    def compare(self, meta: Meta, c: list[Any]) -> ir.Compare:
        left, op, right = c
        return ir.Compare(str(op), left, right, span=self._span(meta))

    # values
    @v_args(meta=True)
    def field(self, meta: Meta, c: list[Token]) -> ir.Field:
        return ir.Field(str(c[0]), span=self._tok_span(c[0]))

    @v_args(meta=True)
    def num(self, meta: Meta, c: list[Token]) -> ir.Num:
        value = float(c[0])
        if not math.isfinite(value):
            raise DslLimitError(f"number '{c[0]}' is too large", self._tok_span(c[0]),
                                "numbers must be below about 1.8e308 (a double)")
        return ir.Num(value, span=self._tok_span(c[0]))

    @v_args(meta=True)
    def arith(self, meta: Meta, c: list[Any]) -> ir.Arith:
        left, op, right = c
        return ir.Arith(str(op), left, right, span=self._span(meta))

    # image objects
    @v_args(meta=True)
    def objects(self, meta: Meta, c: list[Any]) -> ir.Objects:
        if len(c) == 2:
            return ir.Objects(c[0], ir.Field(str(c[1]), span=self._tok_span(c[1])),
                              span=self._span(meta))
        return ir.Objects(c[0], span=self._span(meta))

    @v_args(meta=True)
    def measure(self, meta: Meta, c: list[Token]) -> ir.Attr:
        return ir.Attr(str(c[0]), span=self._tok_span(c[0]))

    def relations(self, c: list[str]) -> tuple[str, ...]:
        return tuple(c)

    # words
    @v_args(meta=True)
    def phrase(self, meta: Meta, c: list[Token]) -> ir.Phrase:
        return ir.Phrase(self._unquote(c[0]), span=self._tok_span(c[0]))

    @v_args(meta=True)
    def case_phrase(self, meta: Meta, c: list[Token]) -> ir.Phrase:
        return ir.Phrase(self._unquote(c[0]), case_sensitive=True, span=self._span(meta))

    @v_args(meta=True)
    def word_ref(self, meta: Meta, c: list[Token]) -> ir.WordList:
        return ir.WordList(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def any_of(self, meta: Meta, c: list[ir.Phrase]) -> ir.AnyOf:
        return ir.AnyOf(tuple(c), span=self._span(meta))

    # holes (sketches): `?name` tokens; HOLE_IN tokens hold `?name in`
    @staticmethod
    def _hole_name(tok: Token) -> str:
        return str(tok)[1:].split()[0]

    @v_args(meta=True)
    def words_hole(self, meta: Meta, c: list[Any]) -> ir.Hole:
        seeds = tuple(c[1]) if len(c) > 1 else ()
        return ir.Hole(self._hole_name(c[0]), "words", like=seeds, span=self._span(meta))

    def seeds(self, c: list[ir.Phrase]) -> tuple[ir.Phrase, ...]:
        return tuple(c)

    @v_args(meta=True)
    def words_hole_list(self, meta: Meta, c: list[Any]) -> ir.Hole:
        ref = ir.WordList(str(c[1]), span=self._span(meta))
        return ir.Hole(self._hole_name(c[0]), "words", within=ref, span=self._span(meta))

    @v_args(meta=True)
    def words_hole_any(self, meta: Meta, c: list[Any]) -> ir.Hole:
        return ir.Hole(self._hole_name(c[0]), "words", within=ir.AnyOf(tuple(c[1:])),
                       span=self._span(meta))

    @v_args(meta=True)
    def number_hole(self, meta: Meta, c: list[Any]) -> ir.Hole:
        if len(c) == 3:
            return ir.Hole(self._hole_name(c[0]), "number", low=float(c[1]), high=float(c[2]),
                           span=self._span(meta))
        return ir.Hole(self._hole_name(c[0]), "number", span=self._tok_span(c[0]))

    # primitives: every generated alternative is named `<primitive>__<k>`
    def __default__(self, data: Any, children: list[Any], meta: Meta) -> Any:
        if isinstance(data, str) and registry.lookup(data) is not None:
            return registry.build(data, children, self._span(meta))
        if isinstance(data, str) and data in _RELATION_OF:  # rel_left_of -> "left of"
            return _RELATION_OF[data]
        return Tree(data, children, meta)
