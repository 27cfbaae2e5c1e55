"""The Earley parser over symbol strings, and its forest cache.

The sentence's symbols (``lexicon.classify``) are rendered as a space-separated string of symbol
names (``QUOTE BE between ENT and ENT``) and parsed by lark's Earley parser with
``ambiguity="explicit"``, so the forest keeps every derivation.

Earley predicts every alternative of every reachable rule at each clause start. The logic rules
of ``explanation.lark`` are lark templates over the clause rule (``frame{c}``, ``cond{c}``, ...);
this module instantiates them once per subset of clause kinds (start symbol ``start_<mask>``)
and parses a sentence from the start symbol whose kinds its symbols can begin
(``clause_kinds``): a smaller chart, the same readings.

The reading budget (``reading_budget``): Earley work grows fast with ambiguity (runs of commas,
repeated list words), so every parse is charged the Earley items it creates, a cached parse what
it cost when it ran, and an explanation whose parses together pass ``MAX_ITEMS`` stops with
``OverBudget`` (reported as "too long to read") instead of running for seconds. The charge is a
property of the symbol strings alone, so the verdict never depends on the machine or the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from explicate.grammar import prebuilt
from explicate.grammar.explanation import lookahead
from explicate.grammar.explanation.lexicon import Symbol, grammar_text

CLAUSE_KINDS = ("words_clause", "mention_clause", "text_clause", "number_clause", "const_clause",
                "image_clause")

# Which symbols can begin (or must occur in) each clause kind.
_KIND_SYMBOLS: dict[str, frozenset[str]] = {
    "words_clause": frozenset({"QUOTE", "LIST", "WORD"}),
    "mention_clause": frozenset({"ENT", "ENTTYPE"}),
    "text_clause": frozenset({"FIELD", "CONTAINS", "refers", "refer", "talks", "talk", "speaks",
                              "starting", "beginning", "PATTERN"}),
    "number_clause": frozenset({"NUM", "NFIELD", "NWORDS", "number", "length", "distance", "gap"}),
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
    """The Earley parser with every start symbol, its work counted: built once per process
    (~1 s), or loaded in a fraction of that from the copy an earlier process saved
    (``prebuilt``)."""
    grammar = grammar_text() + "\n" + _instances() + "\n"
    starts = [start_symbol(m) for m in range(2 ** len(CLAUSE_KINDS))]
    lark = prebuilt.lark_parser("explanation-parser", grammar, parser="earley", lexer="basic",
                                ambiguity="explicit", propagate_positions=False, start=starts)
    lookahead.install(lark)
    _count_items(lark)  # on top of the lookahead parser: it wraps the installed one
    return lark


# --- the reading budget -----------------------------------------------------------------------------

# Earley items one explanation's parses may create together. The shared data sets' explanations
# take at most ~11,000 (spouse_grad_explanations.tsv, the golden cases); 30,000 take ~1 s here.
MAX_ITEMS = 30_000


class OverBudget(Exception):
    """An explanation's parses created more than their budget of Earley items."""


class _Budget(threading.local):
    left: int | None = None  # items the current explanation may still create; None: no budget
    spent: int = 0  # items created by the parse running now
    cap: int | None = None  # the most the parse running now may create


_budget = _Budget()


@contextmanager
def reading_budget(items: int | None = None) -> Iterator[None]:
    """Parses inside the block together create at most ``items`` Earley items (default
    ``MAX_ITEMS``, read when the block starts), else ``OverBudget``."""
    outer = _budget.left
    _budget.left = MAX_ITEMS if items is None else items
    try:
        yield
    finally:
        _budget.left = outer


def _count_items(lark: Lark) -> None:
    """Charge each Earley set as the parser completes it (lark's ``predict_and_complete``)."""
    earley: Any = lark.parser.parser  # the frontend's Earley parser
    step = earley.predict_and_complete

    def counted(i: int, to_scan: Any, columns: Any, *args: Any) -> Any:
        result = step(i, to_scan, columns, *args)
        _budget.spent += len(columns[i])
        if _budget.cap is not None and _budget.spent > _budget.cap:
            raise OverBudget("over the parser-step budget")
        return result

    earley.predict_and_complete = counted


def clause_kinds(names: set[str]) -> str:
    """The start symbol for a sentence made of the symbols ``names``: the clause kinds it can
    contain."""
    mask = sum(1 << i for i, k in enumerate(CLAUSE_KINDS) if names & _KIND_SYMBOLS[k])
    return start_symbol(mask)


@lru_cache(maxsize=4096)
def _parse_counted(text: str) -> tuple[Tree | UnexpectedInput, int]:
    """The forest (or error) and the Earley items it took; raises ``OverBudget`` (and caches
    nothing) once the parse passes ``_budget.cap``."""
    _budget.spent = 0
    try:
        result: Tree | UnexpectedInput = parser().parse(text, start=clause_kinds(set(text.split())))
    except UnexpectedInput as exc:
        result = _compact(exc)
        result.symbols = text  # type: ignore[attr-defined]  # for full_error
    return result, _budget.spent


def _compact(exc: UnexpectedInput) -> UnexpectedInput:
    """The parse error without what ties it to the chart (its traceback's frames, the Earley
    items it considered): cached errors would otherwise keep whole charts alive, and the
    garbage collector's full passes over them cost seconds."""
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    for name in ("considered_rules", "state", "interactive_parser", "token_history"):
        if hasattr(exc, name):
            setattr(exc, name, None)
    return exc


def parse_symbols(text: str) -> Tree | UnexpectedInput:
    """The parse forest of a symbol string (explanations often share one shape, e.g.
    ``QUOTE BE between ENT and ENT``, so forests are cached), or the parse error. Inside a
    ``reading_budget`` a parse is charged its items, cached or not, and raises ``OverBudget``
    when they pass what is left."""
    _budget.cap = _budget.left
    try:
        result, items = _parse_counted(text)
    finally:
        _budget.cap = None
    if _budget.left is not None:
        _budget.left -= items
        if _budget.left < 0:
            raise OverBudget("over the parser-step budget")
    return result


def full_error(exc: UnexpectedInput) -> UnexpectedInput:
    """A parse error of ``parse_symbols`` with every terminal the grammar expected there (the
    lookahead parser's own error names none; ``lookahead.full_error`` re-parses)."""
    text = getattr(exc, "symbols", None)
    if text is None:
        return exc
    # The re-parse predicts every rule, so it is charged too (on its own budget: it runs once,
    # for the diagnostic); past it the diagnostic names no expected words.
    _budget.spent, _budget.cap = 0, MAX_ITEMS
    try:
        return lookahead.full_error(parser(), text, clause_kinds(set(text.split()))) or exc
    except OverBudget:
        return exc
    finally:
        _budget.cap = None


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
