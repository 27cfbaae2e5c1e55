"""IR → canonical DSL text. ``parse(to_dsl(x)) == x`` for every LF the DSL can express."""

from __future__ import annotations

import re

from explicate import ir
from explicate.grammar.syntax import keywords
from explicate.primitives import entities, registry

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Binding strength: a child binds looser than its parent needs parentheses.
_PRECEDENCE = {ir.Or: 1, ir.And: 2, ir.Not: 3}
# Arithmetic binding strength (all looser than a bare value, 9); ^ groups to the right.
_ARITH_PRECEDENCE = {"+": 5, "-": 5, "*": 6, "/": 6, "^": 7}


def quote(text: str) -> str:
    """A double-quoted DSL string literal for ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def name(text: str) -> str:
    """A DSL name: bare when it is an identifier and not a keyword, else in backticks."""
    if _IDENT.fullmatch(text) and text.lower() not in keywords():
        return text
    return f"`{text}`"


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def _precedence(node: ir.Expr) -> int:
    if isinstance(node, ir.Arith):
        return _ARITH_PRECEDENCE[node.op]
    return _PRECEDENCE.get(type(node), 4)


def _arith(node: ir.Arith) -> str:
    mine = _precedence(node)
    right_assoc = node.op == "^"
    # The side an operator does not group towards needs parentheses at equal strength.
    left = _wrap_arith(node.left, mine + (1 if right_assoc else 0))
    right = _wrap_arith(node.right, mine + (0 if right_assoc else 1))
    return f"{left} {node.op} {right}"


def _wrap_arith(node: ir.Expr, needed: int) -> str:
    text = to_dsl(node)
    strength = _precedence(node) if isinstance(node, ir.Arith) else 9
    return f"({text})" if strength < needed else text


def to_dsl(node: ir.Expr) -> str:
    """Canonical DSL text for an IR node (an LF, a condition, a declaration or a whole file)."""
    match node:
        case ir.RuleFile(statements=statements):
            return "\n".join(to_dsl(s) for s in statements) + "\n"
        case ir.LF(name=lf_name, label=label, when=when):
            target = f"?{label.name}" if isinstance(label, ir.LabelHole) else name(label.name)
            return f"lf {name(lf_name)}: {to_dsl(when)} -> {target}"
        case ir.Hole():
            return _hole(node)
        case ir.LabelsDecl(names=names):
            return "labels: " + ", ".join(name(n) for n in names)
        case ir.WordsDecl(name=wname, items=items, path=path):
            if path is not None:
                return f"words {name(wname)} from {quote(path)}"
            return f"words {name(wname)} = " + ", ".join(to_dsl(p) for p in items)
        case ir.SpansDecl(names=names, text=text):
            return "spans: " + ", ".join(name(n) for n in names) + f" in {name(text)}"
        case ir.LetDecl(name=lname, value=value):
            return f"let {name(lname)} = {to_dsl(value)}"
        case ir.Arith():
            return _arith(node)
        case ir.Attr(name=aname):
            return name(aname)
        case ir.Objects(names=names, field=objects_field):
            words = f"@{name(names.name)}" if isinstance(names, ir.WordList) else _wrap(names, 4)
            if objects_field.name == ir.DEFAULT_OBJECTS:
                return words
            return f"{words} from {name(objects_field.name)}"
        case ir.Or(args=args) | ir.And(args=args):
            word = " or " if isinstance(node, ir.Or) else " and "
            return word.join(_wrap(a, _precedence(node) + 1) for a in args)
        case ir.Not(arg=arg):
            return "not " + _wrap(arg, _precedence(node))
        case ir.Compare(op=op, left=left, right=right):
            return f"{to_dsl(left)} {op} {to_dsl(right)}"
        case ir.Field(name=fname):
            return name(fname)
        case ir.Num(value=value):
            return number(value)
        case ir.Phrase(text=text, case_sensitive=case_sensitive):
            return ("case " if case_sensitive else "") + quote(text)
        case ir.AnyOf(items=items):
            return "any of (" + ", ".join(to_dsl(p) for p in items) + ")"
        case ir.WordList(name=wname):
            return f"any of @{name(wname)}"
        case ir.EntityTypes(labels=labels):
            return f"{entities.article(labels[0])} " + "/".join(labels)
        case ir.Regex(pattern=pattern, flags=flags):
            return "/" + pattern.replace("/", "\\/") + "/" + flags
    if isinstance(node, ir.Primitive):
        return registry.default_dsl(node, _show)
    raise TypeError(f"cannot print {type(node).__name__}")


def _hole(hole: ir.Hole) -> str:
    """``?name`` with its constraint, as written (canonical spacing)."""
    text = f"?{hole.name}"
    if isinstance(hole.within, ir.WordList):
        text += f" in @{name(hole.within.name)}"
    elif isinstance(hole.within, ir.AnyOf):
        text += " in (" + ", ".join(to_dsl(p) for p in hole.within.items) + ")"
    if hole.like:
        seeds = ", ".join(to_dsl(p) for p in hole.like)
        text += f" like {seeds}" if len(hole.like) == 1 else f" like ({seeds})"
    if hole.low is not None and hole.high is not None:
        text += f" in {number(hole.low)}..{number(hole.high)}"
    return text


def _show(expr: ir.Expr) -> str:
    if isinstance(expr, int):  # counts (within N words) are plain ints
        return str(expr)
    if isinstance(expr, tuple):  # relations between image objects: ("above", "overlaps")
        return " and ".join(expr)
    # Operands of a primitive are values or words, never bare boolean chains, except via parens.
    return _wrap(expr, 4)


def _wrap(node: ir.Expr, needed: int) -> str:
    text = to_dsl(node)
    return f"({text})" if _precedence(node) < needed else text
