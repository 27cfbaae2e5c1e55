"""One-symbol lookahead for lark's Earley predictor.

lark's Earley predictor adds, at every position, every rule reachable from the expected
nonterminal through leftmost nonterminals (its ``predictions`` closure): over the explanation
grammar, hundreds of items per position, nearly all of which can never scan the next symbol.
``LookaheadEarley`` predicts only the rules that can begin with the next symbol (the symbol is in
the rule's FIRST set) or derive the empty string. That is sound and complete: a dropped item
could never advance, so the chart holds the same useful items, the forest the same derivations,
and a sentence fails at the same symbol. Only the parse error's ``expected`` set would shrink
(to nothing: no item expects the unreadable symbol), so a failed parse is re-run without
lookahead, on demand, when a diagnostic asks what was expected (``full_error``).

Within one column a nonterminal's closure is predicted once (``_Once``). The filtered closures
are computed lazily, once per (next symbol, nonterminal), and kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedInput
from lark.grammar import NonTerminal, Rule
from lark.parsers import earley


class _Ahead(dict[NonTerminal, list[Rule]]):
    """The predictions closure restricted to rules that can begin with one terminal (``None``:
    the end of the input)."""

    def __init__(self, full: dict[NonTerminal, list[Rule]], first: dict[Rule, frozenset[str]],
                 nullable: frozenset[Rule], terminal: str | None) -> None:
        super().__init__()
        self._full, self._first, self._nullable, self._terminal = full, first, nullable, terminal

    def __missing__(self, nt: NonTerminal) -> list[Rule]:
        rules = [r for r in self._full[nt]
                 if r in self._nullable or (self._terminal is not None
                                            and self._terminal in self._first[r])]
        self[nt] = rules
        return rules


class _Once:
    """One column's predictions: each rule once (lark re-creates a nonterminal's whole closure
    for every item that expects it, and closures overlap; the copies are then dropped as already
    in the column)."""

    __slots__ = ("_table", "_seen", "_rules")

    def __init__(self, table: dict[NonTerminal, list[Rule]]) -> None:
        self._table = table
        self._seen: set[NonTerminal] = set()
        self._rules: set[Rule] = set()

    def __getitem__(self, nt: NonTerminal) -> list[Rule]:
        if nt in self._seen:
            return []
        self._seen.add(nt)
        rules = [r for r in self._table[nt] if r not in self._rules]
        self._rules.update(rules)
        return rules


class _Tokens:
    """A lexer that replays tokens already lexed (lark's ``_parse`` asks a lexer for them)."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens

    def lex(self, expects: Any) -> Iterator[Any]:
        return iter(self.tokens)


class LookaheadEarley(earley.Parser):
    """lark's basic-lexer Earley parser, predicting with one symbol of lookahead."""

    def __init__(self, base: earley.Parser) -> None:  # adopts a built parser's tables
        self.__dict__.update(base.__dict__)
        self._full: dict[NonTerminal, list[Rule]] = base.predictions
        first: dict[Rule, frozenset[str]] = {}
        nullable: set[Rule] = set()
        rules = {r for rs in base.predictions.values() for r in rs}
        for rule in rules:
            names: set[str] = set()
            for sym in rule.expansion:
                names.update(t.name for t in base.FIRST.get(sym, {sym} if sym.is_term else ()))
                if sym.is_term or sym not in base.NULLABLE:
                    break
            else:
                nullable.add(rule)
            first[rule] = frozenset(names)
        self._first, self._nullable = first, frozenset(nullable)
        self._ahead: dict[str | None, _Ahead] = {}
        self._next: list[str | None] = []
        self._lock = threading.Lock()

    def _table(self, terminal: str | None) -> _Ahead:
        table = self._ahead.get(terminal)
        if table is None:
            table = self._ahead[terminal] = _Ahead(self._full, self._first, self._nullable,
                                                   terminal)
        return table

    def parse(self, lexer: Any, start: Any) -> Any:
        return self._run(lexer, start, ahead=True)

    def parse_full(self, lexer: Any, start: Any) -> Any:
        """The parse without lookahead (for the complete ``expected`` set of a parse error);
        each rule is still predicted once per column."""
        return self._run(lexer, start, ahead=False)

    def _run(self, lexer: Any, start: Any, ahead: bool) -> Any:
        tokens = list(lexer.lex(None))
        with self._lock:
            self._next = [t.type for t in tokens] + [None] if ahead else []
            self.predictions = self._table(self._next[0]) if ahead else self._full
            try:
                return super().parse(_Tokens(tokens), start)
            finally:
                self.predictions = self._full

    def predict_and_complete(self, i: int, to_scan: Any, columns: Any, transitives: Any,
                             node_cache: Any) -> Any:
        table = self._table(self._next[i]) if self._next else self._full
        self.predictions = _Once(table)  # type: ignore[assignment]
        return super().predict_and_complete(i, to_scan, columns, transitives, node_cache)


def install(lark: Lark) -> LookaheadEarley:
    """Replace a built Earley ``Lark``'s parser by the lookahead one (same tables)."""
    frontend = lark.parser
    inner = LookaheadEarley(frontend.parser)
    frontend.parser = inner
    return inner


def full_error(lark: Lark, text: str, start: str) -> UnexpectedInput | None:
    """The parse error of ``text`` as the plain Earley parser reports it (every expected
    terminal), or None when it parses."""
    frontend = lark.parser
    inner = frontend.parser
    try:
        stream = frontend._make_lexer_thread(text)
        if isinstance(inner, LookaheadEarley):
            inner.parse_full(stream, start)
        else:
            inner.parse(stream, start)
    except UnexpectedInput as exc:
        return exc
    return None
