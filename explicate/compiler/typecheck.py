"""Type checking: every operand has the type its operator needs.

With a schema (from the data) field types are known; without one (``explicate check`` on a file
alone) each field's kind is inferred from how the rules use it, and conflicting uses are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explicate import ir
from explicate.compiler.schema import FieldKind, Schema
from explicate.errors import Diagnostic
from explicate.grammar.printer import to_dsl


@dataclass
class TypeChecker:
    """Checks expressions; implements the ``CheckEnv`` that primitives' type rules use."""

    schema: Schema | None
    spans: dict[str, str]  # declared mentions -> text field
    diags: list[Diagnostic] = field(default_factory=list)
    # Without a schema: the kinds each field was used as, with the first use (for messages).
    uses: dict[str, dict[FieldKind, ir.Expr]] = field(default_factory=dict)

    def kind(self, name: str) -> FieldKind | None:
        if name in self.spans:
            return FieldKind.SPAN
        if self.schema is not None:
            return self.schema.kinds.get(name)
        return None

    def type_of(self, expr: ir.Expr) -> ir.Type:
        match expr:
            case ir.Field(name=name):
                kind = self.kind(name)
                return kind.type if kind is not None else ir.Type.TEXT
            case ir.Num():
                return ir.Type.NUM
            case ir.Phrase() | ir.AnyOf() | ir.WordList():
                return ir.Type.WORDS
            case ir.And(args=args) | ir.Or(args=args):
                for a in args:
                    self.expect(a, ir.Type.BOOL, f"each side of '{type(expr).__name__.lower()}'")
                return ir.Type.BOOL
            case ir.Not(arg=arg):
                self.expect(arg, ir.Type.BOOL, "what 'not' negates")
                return ir.Type.BOOL
            case ir.Compare(op=op, left=left, right=right):
                self.expect(left, ir.Type.NUM, f"the left side of '{op}'")
                self.expect(right, ir.Type.NUM, f"the right side of '{op}'")
                return ir.Type.BOOL
            case ir.Arith(op=op, left=left, right=right):
                self.expect(left, ir.Type.NUM, f"the left side of '{op}'")
                self.expect(right, ir.Type.NUM, f"the right side of '{op}'")
                return ir.Type.NUM
            case ir.Attr():
                return ir.Type.NUM
            case ir.Hole(kind=kind, within=within):
                if within is not None:
                    self.expect(within, ir.Type.WORDS, f"the words '?{expr.name}' is drawn from")
                return ir.Type.WORDS if kind == "words" else ir.Type.NUM
            case ir.Objects(names=names, field=objects):
                self.expect(names, ir.Type.WORDS, "the names of the objects")
                self.expect(objects, ir.Type.OBJECTS, "the field the objects are in")
                return ir.Type.OBJECTS
        check = getattr(expr, "check", None)
        if check is None:
            raise TypeError(f"no type rule for {type(expr).__name__}")
        result: ir.Type = check(self)
        return result

    # --- CheckEnv ---------------------------------------------------------------------------------

    def expect(self, expr: ir.Expr, expected: ir.Type, role: str) -> ir.Type:
        if isinstance(expr, ir.Field) and self.kind(expr.name) is None:
            # Unknown kind (no data given): record the use, check consistency at the end.
            wanted = {ir.Type.NUM: FieldKind.NUM, ir.Type.SPAN: FieldKind.SPAN,
                      ir.Type.OBJECTS: FieldKind.OBJECTS}.get(expected, FieldKind.TEXT)
            self.uses.setdefault(expr.name, {}).setdefault(wanted, expr)
            return expected
        actual = self.type_of(expr)
        if not expected.accepts(actual):
            hint: tuple[str, ...] = ()
            if expected is ir.Type.SPAN and actual is ir.Type.TEXT:
                hint = ("declare it as a mention, e.g. 'spans: person1, person2 in sentence'",)
            self.diags.append(
                Diagnostic("E301", f"{role} must be {expected.value}", expr.span,
                           f"`{to_dsl(expr)}` is {actual.value}", hint)
            )
        return actual

    def parent_text(self, expr: ir.Expr) -> str | None:
        if isinstance(expr, ir.Field):
            if expr.name in self.spans:
                return self.spans[expr.name]
            if self.schema is not None:
                return self.schema.span_of.get(expr.name)
        return None

    def same_text(self, a: ir.Expr, b: ir.Expr, role: str) -> None:
        pa, pb = self.parent_text(a), self.parent_text(b)
        if pa is not None and pb is not None and pa != pb:
            self.diags.append(Diagnostic("E301", role, b.span,
                                         f"`{to_dsl(a)}` is in '{pa}', `{to_dsl(b)}` in '{pb}'"))

    def error(self, code: str, message: str, node: ir.Expr, label: str = "") -> None:
        self.diags.append(Diagnostic(code, message, node.span, label))

    # --- whole LFs --------------------------------------------------------------------------------

    def check_lf(self, lf: ir.LF) -> None:
        self.expect(lf.when, ir.Type.BOOL, f"the condition of LF '{lf.name}'")

    def finish(self) -> dict[str, FieldKind]:
        """Report conflicting inferred uses; return the kind of every field the rules read."""
        kinds: dict[str, FieldKind] = {}
        for name, uses in self.uses.items():
            single = FieldKind.NUM if FieldKind.NUM in uses else (
                FieldKind.OBJECTS if FieldKind.OBJECTS in uses else None)
            if single is not None and len(uses) > 1:
                other = next(k for k in uses if k is not single)
                node = uses[other]
                self.diags.append(
                    Diagnostic("E301", f"field '{name}' is used both as {single.type.value} and as "
                               f"{other.value}", node.span, f"used as {other.value} here",
                               ("a field has one kind: text, a mention, a number or objects",)))
            kinds[name] = (
                single if single is not None
                else FieldKind.SPAN if FieldKind.SPAN in uses
                else FieldKind.TEXT
            )
        return kinds
