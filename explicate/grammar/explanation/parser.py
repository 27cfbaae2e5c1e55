"""The Earley parser over symbol strings, and its forest cache.

The sentence's symbols (``lexicon.classify``) are rendered as a space-separated string of symbol
names (``QUOTE BE between ENT and ENT``) and parsed by lark's Earley parser with
``ambiguity="explicit"``, so the forest keeps every derivation.

Earley predicts every alternative of every reachable rule at each clause start. The logic rules
of ``explanation.lark`` are lark templates over the clause rule (``frame{c}``, ``cond{c}``, ...);
this module instantiates them once per subset of clause kinds (start symbol ``start_<mask>``)
and parses a sentence from the start symbol whose kinds its symbols can begin
(``clause_kinds``): a smaller chart, the same readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from explicate.grammar.explanation import lookahead
from explicate.grammar.explanation.lexicon import Symbol, grammar_text

CLAUSE_KINDS = ("words_clause", "mention_clause", "text_clause", "number_clause", "const_clause",
                "image_clause")

# Which symbols can begin (or must occur in) each clause kind.
_KIND_SYMBOLS: dict[str, frozenset[str]] = {
    "words_clause": frozenset({"QUOTE", "LIST", "WORD"}),
    "mention_clause": frozenset({"ENT", "ENTTYPE"}),
    "text_clause": frozenset({"FIELD", "CONTAINS", "refers", "refer", "talks", "talk", "speaks",
                              "starting", "beginning"}),
    "number_clause": frozenset({"NUM", "number", "length", "distance", "gap"}),
    "const_clause": frozenset({"QUOTE"}),
    "image_clause": frozenset({"OBJ"}),
}


def start_symbol(mask: int) -> str:
    """The start symbol of the instance for the clause kinds in ``mask`` (0: all kinds)."""
    return f"start_{mask}" if mask else "start"


def _instances() -> str:
    """One start rule and one clause rule per non-empty subset of clause kinds."""
    lines = []
    for mask in range(1, 2 ** len(CLAUSE_KINDS)):
        kinds = [k for i, k in enumerate(CLAUSE_KINDS) if mask >> i & 1]
        lines.append(f"start_{mask}: frame{{clause_{mask}}}")
        lines.append(f"?clause_{mask}: " + " | ".join(kinds))
    return "\n".join(lines)


@cache
def parser() -> Lark:
    """The Earley parser with every start symbol (built once; ~1 s)."""
    grammar = grammar_text() + "\n" + _instances() + "\n"
    starts = [start_symbol(m) for m in range(2 ** len(CLAUSE_KINDS))]
    lark = Lark(grammar, parser="earley", lexer="basic", ambiguity="explicit",
                propagate_positions=False, start=starts)
    lookahead.install(lark)
    return lark


def clause_kinds(names: set[str]) -> str:
    """The start symbol for a sentence made of the symbols ``names``: the clause kinds it can
    contain."""
    mask = sum(1 << i for i, k in enumerate(CLAUSE_KINDS) if names & _KIND_SYMBOLS[k])
    return start_symbol(mask)


@lru_cache(maxsize=4096)
def parse_symbols(text: str) -> Tree | UnexpectedInput:
    """The parse forest of a symbol string (explanations often share one shape, e.g.
    ``QUOTE BE between ENT and ENT``), or the parse error."""
    try:
        return parser().parse(text, start=clause_kinds(set(text.split())))
    except UnexpectedInput as exc:
        exc.symbols = text  # type: ignore[attr-defined]  # for full_error
        return exc


def full_error(exc: UnexpectedInput) -> UnexpectedInput:
    """A parse error of ``parse_symbols`` with every terminal the grammar expected there (the
    lookahead parser's own error names none; ``lookahead.full_error`` re-parses)."""
    text = getattr(exc, "symbols", None)
    if text is None:
        return exc
    return lookahead.full_error(parser(), text, clause_kinds(set(text.split()))) or exc


def render(symbols: Sequence[Symbol]) -> tuple[str, dict[int, Symbol]]:
    """The symbol string the parser reads, and the symbol at each character offset of it."""
    text = ""
    at: dict[int, Symbol] = {}
    for s in symbols:
        if text:
            text += " "
        at[len(text)] = s
        text += s.name
    return text, at
