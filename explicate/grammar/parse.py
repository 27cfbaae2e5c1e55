"""Parse DSL text into IR, reporting every syntax error of a file at once.

A file is split into statements first: a statement starts on a line whose first word is a statement
keyword (``lf``, ``labels``, ``words``, ``spans``); other lines continue the statement above. Each
statement is parsed on its own (lark LALR), so one mistake does not hide the next.
"""

from __future__ import annotations

import difflib
import functools
import re

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError
from lark.lexer import PatternStr

from explicate import ir
from explicate.errors import Diagnostic, ParseError
from explicate.grammar import prebuilt
from explicate.grammar.syntax import grammar_text, keywords
from explicate.grammar.to_ir import ESCAPE_HELP, BadEscape, DslLimitError, ToIR, unquote

_STATEMENT_START = re.compile(r"^[ \t]*(?:lf|labels|words|spans|let)\b",
                              re.IGNORECASE | re.MULTILINE)

_TERMINAL_NAMES = {
    "NAME": "a name",
    "QUOTED_NAME": "a name",
    "STRING": "a quoted word or phrase",
    "NUMBER": "a number",
    "INT": "a whole number",
    "REGEX": "a /regular expression/",
    "ENTITY_TYPES": "an entity type (a PERSON, an ORG, a GPE/LOC)",
    "COMPARE_OP": "a comparison (<, <=, >, >=, ==, !=)",
    "ADD_OP": "arithmetic (+, -, *, /, ^)",
    "MUL_OP": "arithmetic (+, -, *, /, ^)",
    "POW_OP": "arithmetic (+, -, *, /, ^)",
    "$END": "the end of the statement",
}


@functools.cache
def _parser() -> Lark:
    """The DSL's LALR parser: built once per machine (a tenth of a second), then loaded."""
    return prebuilt.lark_parser("dsl-parser", grammar_text(), start="statement", parser="lalr",
                                propagate_positions=True, maybe_placeholders=False)


@functools.cache
def _terminal_display() -> dict[str, str]:
    out = dict(_TERMINAL_NAMES)
    for term in _parser().terminals:
        if term.name in _TERMINAL_NAMES:
            continue
        if isinstance(term.pattern, PatternStr):
            out[term.name] = f"'{term.pattern.value}'"
        elif term.name not in out and "i" in term.pattern.flags:
            # Case-insensitive keywords are regex patterns like (?i:contains).
            m = re.fullmatch(r"(?:\(\?i:)?([A-Za-z]+)\)?", term.pattern.value)
            if m:
                out[term.name] = f"'{m.group(1).lower()}'"
    return out


def statement_chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each statement in a file's text."""
    starts = [m.start() for m in _STATEMENT_START.finditer(text)]
    head = text[: starts[0]] if starts else text
    chunks = []
    if _has_code(head):
        chunks.append((0, starts[0] if starts else len(text)))
    bounds = [*starts, len(text)]
    chunks.extend((bounds[i], bounds[i + 1]) for i in range(len(starts)))
    return chunks


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in text.splitlines())


def parse(text: str, name: str = "<rules>") -> ir.RuleFile:
    """Parse a whole rule file; raise ``ParseError`` listing every syntax error."""
    rules, problems = parse_partial(text, name)
    if problems:
        raise ParseError(problems)
    return rules


def parse_partial(text: str, name: str = "<rules>") -> tuple[ir.RuleFile, list[Diagnostic]]:
    """Parse what parses; return it with a diagnostic for each statement that does not, so later
    stages can report their problems in the same run."""
    source = ir.Source(name, text)
    statements: list[ir.Expr] = []
    problems: list[Diagnostic] = []
    for start, end in statement_chunks(text):
        try:
            statements.append(_parse_chunk(source, start, end))
        except UnexpectedInput as exc:
            problems.append(_diagnose(source, start, end, exc))
        except _TooDeep as exc:
            problems.append(exc.diagnostic)
        except VisitError as exc:  # a literal the grammar accepts but the DSL does not
            problems.append(_literal_problem(exc.orig_exc, source, start, end))
        except RecursionError:
            problems.append(Diagnostic("E106", "statement nested too deeply to read",
                                       ir.Span(source, start, max(start + 1, end)), "",
                                       (f"at most {MAX_NESTING} levels of parentheses, 'not' "
                                        "and operators; split it with 'let' names",)))
    return ir.RuleFile(tuple(statements), span=ir.Span(source, 0, len(text))), problems


def _literal_problem(exc: Exception, source: ir.Source, start: int, end: int) -> Diagnostic:
    if isinstance(exc, BadEscape):
        return Diagnostic("E104", str(exc), exc.span, "not an escape of the DSL", (ESCAPE_HELP,))
    if isinstance(exc, DslLimitError):
        return Diagnostic("E106", str(exc), exc.span, "", (exc.hint,))
    raise exc


# How deeply conditions and numbers may nest in one statement (parentheses, 'not', '^', ...).
# The LALR parser is iterative, but the tree transformer, the checker and the evaluator recurse;
# the limit keeps every stage far inside Python's recursion limit.
MAX_NESTING = 100


def _too_deep(tree: Tree[Token], source: ir.Source, base: int) -> Diagnostic | None:
    """A diagnostic at the first node deeper than ``MAX_NESTING`` (an iterative walk)."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            meta = node.meta
            start = base + (getattr(meta, "start_pos", 0) or 0)
            end = base + (getattr(meta, "end_pos", 0) or 0)
            return Diagnostic("E106", f"nested more than {MAX_NESTING} levels deep",
                              ir.Span(source, start, max(start + 1, min(end, start + 1))),
                              "too deep from here",
                              (f"at most {MAX_NESTING} levels of parentheses, 'not', '^' and "
                               "operators; name parts with 'let' to split it",))
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return None


def parse_statement(text: str, name: str = "<rule>") -> ir.Expr:
    """Parse one statement (an ``lf`` line or a declaration)."""
    rules = parse(text, name)
    if len(rules.statements) != 1:
        raise ValueError(f"expected one statement, found {len(rules.statements)}")
    return rules.statements[0]


def parse_lf(text: str, name: str = "<rule>") -> ir.LF:
    """Parse one ``lf NAME: CONDITION -> LABEL`` line."""
    stmt = parse_statement(text, name)
    if not isinstance(stmt, ir.LF):
        raise ValueError("expected an 'lf' statement")
    return stmt


class _TooDeep(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _parse_chunk(source: ir.Source, start: int, end: int) -> ir.Expr:
    if end - start >= FAST_WORDS_CHARS:
        words = _words_list(source, start, end)
        if words is not None:
            return words
    tree = _parser().parse(source.text[start:end])
    deep = _too_deep(tree, source, start)
    if deep is not None:
        raise _TooDeep(deep)
    result = ToIR(source, base=start).transform(tree)
    assert isinstance(result, ir.Expr), result
    return result


def _expected(names: set[str]) -> list[str]:
    display = _terminal_display()
    return sorted({display.get(n, n) for n in names})


def _accepted(exc: UnexpectedToken) -> set[str]:
    """Terminals the parser would really accept here (LALR states over-approximate)."""
    try:
        return set(exc.interactive_parser.accepts()) or set(exc.expected)
    except Exception:  # noqa: BLE001 - fall back to lark's own list on any failure
        return set(exc.expected)


def _diagnose(source: ir.Source, start: int, end: int, exc: UnexpectedInput) -> Diagnostic:
    chunk = source.text[start:end]
    hints: list[str] = []
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok: Token = exc.token
        pos = start + (tok.start_pos or 0)
        span = ir.Span(source, pos, pos + max(1, len(tok)))
        what = _TERMINAL_NAMES.get(tok.type, "").split(" (")[0]
        what = what.removeprefix("a ").removeprefix("an ")
        message = f"unexpected {what + ' ' if what else ''}'{tok}'"
        expected = _expected(_accepted(exc))
        keywords = [e.strip("'") for e in expected if e.startswith("'")]
        close = difflib.get_close_matches(str(tok).lower(), keywords, n=1, cutoff=0.7)
        if close:
            hints.append(f"did you mean '{close[0]}'?")
    elif isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        pos = start + at
        span = ir.Span(source, pos, pos + 1)
        char = chunk[at] if at < len(chunk) else ""
        message = f"unexpected character {char!r}"
        if char in "\"'":
            hints.append("strings end on the same line: is a closing quote missing?")
        expected = _expected(set(exc.allowed or ()))
    else:
        # End of statement reached too early: point just after its last non-blank character.
        code_end = start + len(_strip_comments(chunk).rstrip())
        span = ir.Span(source, max(start, code_end - 1), max(start + 1, code_end))
        message = "unexpected end of statement"
        names: set[str] = set()
        if isinstance(exc, UnexpectedToken):
            names = _accepted(exc)
        elif isinstance(exc, UnexpectedEOF):
            names = set(exc.expected)
        expected = _expected(names)
    shown = ", ".join(expected[:10]) + (", ..." if len(expected) > 10 else "")
    label = f"expected {shown}" if expected else ""
    if _STATEMENT_START.match(chunk) is None:
        hints.append("a statement starts with 'lf', 'labels', 'words', 'spans' or 'let'")
    code = "E102" if isinstance(exc, UnexpectedCharacters) else "E101"
    return Diagnostic(code, message, span, label, tuple(hints))


def _strip_comments(chunk: str) -> str:
    # Comments run from '#' outside a string to the end of the line; good enough for locating EOF.
    lines = []
    for line in chunk.split("\n"):
        stripped = re.sub(r"#[^\"'\n]*$", "", line)
        lines.append(stripped)
    return "\n".join(lines)


# --- word lists: a scanner for long `words NAME = "a", "b", ...` statements ------------------------
# lark builds a tree node per item; a 100,000-word list would take seconds. A statement this long
# that is nothing but a plain list (names that are no keyword, items with valid escapes) is read
# by the regexes below, which accept a subset of what the grammar accepts and give the same IR;
# anything else (a mistake included) goes to lark, which reports it.
FAST_WORDS_CHARS = 4096
_IGNORED = r"(?:[ \t\f\r\n]|#[^\n]*+)*+"  # the grammar's %ignore WS and COMMENT
_STRING = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"  # the grammar's STRING
_WORDS_HEAD = re.compile(
    rf"{_IGNORED}(words)[ \t\f\r\n]+([A-Za-z_][A-Za-z0-9_]*){_IGNORED}={_IGNORED}", re.IGNORECASE)
_WORDS_ITEM = re.compile(rf"(case[ \t\f\r\n]+)?({_STRING})(?:{_IGNORED}(,){_IGNORED})?",
                         re.IGNORECASE)
_WORDS_END = re.compile(rf"{_IGNORED}\Z")


def _words_list(source: ir.Source, start: int, end: int) -> ir.WordsDecl | None:
    """The statement as a word list, or None when it is not one the scanner reads."""
    text = source.text
    head = _WORDS_HEAD.match(text, start, end)
    if head is None or head.group(2).lower() in keywords():
        return None
    items: list[ir.Phrase] = []
    pos, more, last = head.end(), True, head.end()
    # Each item is matched where the last one ended (a search would scan the rest of a long
    # statement for the next item whenever one is not there).
    while more and (item := _WORDS_ITEM.match(text, pos, end)) is not None:
        case, quoted, comma = item.group(1, 2, 3)
        more = comma is not None
        if "\\" in quoted:
            try:
                value = unquote(quoted)
            except BadEscape:
                return None
        else:
            value = quoted[1:-1]
        at = item.start() if case else item.start(2)
        items.append(ir.Phrase(value, case_sensitive=case is not None,
                               span=ir.Span(source, at, item.end(2))))
        last, pos = item.end(2), item.end()
    if more or not items or _WORDS_END.match(text, pos, end) is None:
        return None
    return ir.WordsDecl(head.group(2), tuple(items), span=ir.Span(source, head.start(1), last))
