"""Lark parse trees → IR nodes. Rule names are the snake_case of the IR class they build."""

from __future__ import annotations

import ast
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from explicate import ir
from explicate.grammar.syntax import relation_alias
from explicate.primitives import registry
from explicate.primitives.image import RELATIONS

_RELATION_OF = {relation_alias(name): name for name in RELATIONS}


def unquote(token: str) -> str:
    """The value of a quoted string literal ('...' or "..." with backslash escapes)."""
    quote = token[0]
    body = token[1:-1]
    if "\\" not in body:
        return body
    # Reuse Python's escape rules for \n, \t, \", \\ and \uXXXX, within the same quote kind.
    if quote == "'":
        body = body.replace('"', '\\"')
        return str(ast.literal_eval('"' + body.replace("\\'", "'") + '"'))
    return str(ast.literal_eval('"' + body + '"'))


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

    def _tok_span(self, tok: Token) -> ir.Span:
        start = self.base + (tok.start_pos or 0)
        return ir.Span(self.source, start, start + len(tok))

    # terminals
    def INT(self, tok: Token) -> int:  # noqa: N802 - lark calls terminal callbacks by name
        return int(tok)

    def REGEX(self, tok: Token) -> ir.Regex:  # noqa: N802
        body, _, flags = str(tok)[1:].rpartition("/")
        # "\/" inside the literal stands for a slash; RE2 would read "\/" as "/" too.
        return ir.Regex(body.replace("\\/", "/"), flags, span=self._tok_span(tok))

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
        return ir.WordsDecl(str(c[0]), (), unquote(c[1]), span=self._span(meta))

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
        return ir.Num(float(c[0]), span=self._tok_span(c[0]))

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
        return ir.Phrase(unquote(c[0]), span=self._tok_span(c[0]))

    @v_args(meta=True)
    def case_phrase(self, meta: Meta, c: list[Token]) -> ir.Phrase:
        return ir.Phrase(unquote(c[0]), case_sensitive=True, span=self._span(meta))

    @v_args(meta=True)
    def word_ref(self, meta: Meta, c: list[Token]) -> ir.WordList:
        return ir.WordList(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def any_of(self, meta: Meta, c: list[ir.Phrase]) -> ir.AnyOf:
        return ir.AnyOf(tuple(c), span=self._span(meta))

    # primitives: every generated alternative is named `<primitive>__<k>`
    def __default__(self, data: Any, children: list[Any], meta: Meta) -> Any:
        if isinstance(data, str) and registry.lookup(data) is not None:
            return registry.build(data, children, self._span(meta))
        if isinstance(data, str) and data in _RELATION_OF:  # rel_left_of -> "left of"
            return _RELATION_OF[data]
        return Tree(data, children, meta)
