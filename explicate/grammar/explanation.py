"""English explanations → readings in the LF IR.

An explanation is one sentence an expert wrote about one example ("label SPOUSE because 'his wife'
is between person1 and person2"). Parsing is three steps:

1. ``scan`` cuts the sentence into lexemes (quoted phrases of any quote style, numbers, words,
   punctuation) and ``classify`` maps each to a grammar symbol using what the context knows: the
   example's mention fields (``person1``, ``X``/``Y``, ``arg 1``), text fields (``the sentence``),
   word lists, labels, and the example's own mention strings ("Daniel Ammann" → its mention).
   Articles are dropped; pronouns ("them", "it") are resolved to what they refer to.
2. lark's Earley parser (``explanation.lark``, ``ambiguity="explicit"``) finds every derivation;
   ``ExplanationToIR`` turns each into an IR condition. Equal conditions are merged.
3. When the whole sentence has no reading, parts of it are tried: unknown words are dropped, then
   clauses are split at "and", ";" and "," and the parts that parse are joined with AND (as
   BabbleLabble's parser absorbs what it cannot read). Every skipped word is reported.

Sentences that still have no reading get a diagnostic pointing at the first word that could not
be read, with the phrasing the grammar knows that is nearest to the sentence.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from explicate import ir
from explicate.errors import Diagnostic
from explicate.primitives import image
from explicate.primitives import text as prim

GRAMMAR_PATH = Path(__file__).with_name("explanation.lark")
MAX_READINGS = 16  # readings kept per explanation; more is reported as a warning

_ARTICLES = frozenset({"the", "a", "an"})
_NUMBER_WORDS = {
    w: i for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen", "twenty"]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
     "ninety": 90, "hundred": 100, "single": 1, "once": 1, "twice": 2}
# Names of punctuation that experts spell out ("the number of commas").
_PUNCT_NAMES = {
    "comma": ",", "commas": ",", "period": ".", "periods": ".", "colon": ":", "colons": ":",
    "semicolon": ";", "semicolons": ";", "hyphen": "-", "hyphens": "-", "dash": "-",
    "dashes": "-", "apostrophe": "'", "apostrophes": "'", "slash": "/", "slashes": "/",
    "parenthesis": "(", "parentheses": "(", "ampersand": "&",
}
_TEXT_ALIASES = ("sentence", "text", "passage", "document", "paragraph", "example", "article",
                 "snippet", "message")
_QUOTES = [("“", "”"), ("‘", "’"), ("``", "''"), ("«", "»"), ('"', '"'), ("'", "'")]
_SYMBOLS = ("<=", ">=", "!=", "==", "<", ">", "=")


# Synonyms the grammar treats alike: each member word becomes its class symbol before parsing
# (one terminal instead of many alternatives keeps the Earley chart small).
WORD_CLASSES: dict[str, tuple[str, ...]] = {
    "BE": ("is", "are", "was", "were", "be", "being"),
    "OCCUR": ("occurs", "occur", "occurring", "appears", "appear", "comes", "come", "exists",
              "exist", "lies", "sits", "stands", "falls"),
    "PP": ("found", "present", "located", "used", "mentioned", "written", "placed", "seen", "said",
           "included", "contained"),
    "DO": ("does", "do", "did"),
    "CAN": ("can", "could", "may", "might"),
    "WN": ("word", "words", "phrase", "phrases", "term", "terms", "string", "strings", "token",
           "tokens", "expression"),
    "CHARS": ("character", "characters", "chars", "letters"),
    "CONTAINS": ("contains", "contain", "has", "have", "includes", "include", "mentions", "says",
                 "say", "uses", "use"),
    "STARTS": ("starts", "start", "begins", "begin"),
    "ENDS": ("ends", "end"),
    "FOLLOWS": ("follows", "follow"),
    "PRECEDES": ("precedes", "precede"),
    "ENTTYPE": ("person", "people", "location", "place", "organization", "company", "date",
                "country", "city"),
    "RELATING": ("relating", "related", "referring", "about"),
    "IMMED": ("immediately", "directly", "just"),
    "LESS": ("less", "fewer", "smaller", "lower", "shorter"),
    "MORE": ("more", "greater", "larger", "bigger", "higher", "longer"),
}
_CLASS_OF = {w: c for c, words in WORD_CLASSES.items() for w in words}


class Unsupported(Exception):
    """A reading the grammar recognises but explicate cannot yet turn into an LF."""


# --- context ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What an explanation may refer to.

    ``spans`` maps each mention field to its text field (``person1`` → ``sentence``); ``texts``
    are the text fields; ``word_lists`` the user's named lists; ``labels`` the class names in id
    order; ``example`` the example's field values (to resolve mention strings and check unquoted
    words).
    """

    labels: tuple[str, ...] = ()
    spans: Mapping[str, str] = field(default_factory=dict)
    texts: tuple[str, ...] = ()
    word_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    example: Mapping[str, Any] = field(default_factory=dict)
    objects: tuple[str, ...] = ()  # image object fields (lists of named boxes)

    @property
    def default_text(self) -> str | None:
        span_texts = list(dict.fromkeys(self.spans.values()))
        if len(span_texts) == 1:
            return span_texts[0]
        if len(self.texts) == 1:
            return self.texts[0]
        for name in ("sentence", "text"):
            if name in self.texts:
                return name
        return self.texts[0] if self.texts else None


# --- lexing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexeme:
    """A piece of the explanation: ``kind`` is quote, num, word, poss, punct or symbol."""

    kind: str
    text: str  # as written
    value: Any  # the quoted text, the number, the word
    start: int
    end: int


_LEX = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<poss>['’]s\b)"
    r"|(?P<word>[A-Za-z][A-Za-z0-9_\-]*(?:'t\b)?)"
    r"|(?P<symbol><=|>=|!=|==|<|>|=)"
    r"|(?P<punct>[,;():])"
    r"|(?P<end>[.!?]+)"
    r"|(?P<other>.)",
    re.S,
)


def _quote_at(text: str, i: int) -> tuple[str, str] | None:
    for open_, close in _QUOTES:
        if not text.startswith(open_, i):
            continue
        if open_ == "'" and i > 0 and (text[i - 1].isalnum() or text[i - 1] in "'’"):
            continue  # an apostrophe inside a word ("person2's"), not a quote
        return open_, close
    return None


def _find_close(text: str, start: int, close: str) -> int:
    j = text.find(close, start)
    while close == "'" and j >= 0 and j + 1 < len(text) and text[j + 1].isalnum():
        j = text.find(close, j + 1)  # "don't" inside a single-quoted phrase
    return j


def scan(text: str, source: ir.Source | None = None) -> tuple[list[Lexeme], list[Diagnostic]]:
    """Cut an explanation into lexemes; an unterminated quote is a diagnostic."""
    out: list[Lexeme] = []
    diags: list[Diagnostic] = []
    i = 0
    while i < len(text):
        q = _quote_at(text, i)
        if q is not None:
            open_, close = q
            j = _find_close(text, i + len(open_), close)
            if j < 0:
                span = ir.Span(source, i, i + len(open_)) if source else None
                diags.append(Diagnostic("E101", "this quote is never closed", span,
                                        f"expected a closing {close}"))
                i += len(open_)
                continue
            body = text[i + len(open_) : j]
            out.append(Lexeme("quote", text[i : j + len(close)], body, i, j + len(close)))
            i = j + len(close)
            continue
        m = _LEX.match(text, i)
        assert m is not None
        kind = m.lastgroup or "other"
        if kind != "space":
            value: Any = m.group()
            if kind == "num":
                value = float(value) if "." in value else int(value)
            out.append(Lexeme(kind, m.group(), value, m.start(), m.end()))
        i = m.end()
    return out, diags


@dataclass(frozen=True)
class Symbol:
    """A grammar symbol and what it stands for (a lexeme, a field, a list or a label)."""

    name: str  # QUOTE, NUM, ENT, FIELD, LIST, LABEL, WORD, or a keyword
    value: Any
    start: int
    end: int


@cache
def keywords() -> frozenset[str]:
    """Every literal word of the explanation grammar."""
    found = re.findall(r'"([^"\s]+)"', GRAMMAR_PATH.read_text(encoding="utf-8"))
    return frozenset(w for w in found if not w.isupper() and w != " ") | frozenset(_CLASS_OF)


def classify(lexemes: Sequence[Lexeme], ctx: Context) -> list[Symbol]:
    """Map lexemes to grammar symbols (see the module docstring)."""
    kw = keywords()
    spans = list(ctx.spans)
    lower_fields = {f.lower(): f for f in spans}
    lower_texts = {f.lower(): f for f in ctx.texts}
    lists = {n.lower(): n for n in ctx.word_lists}
    labels = {lab.lower(): lab for lab in ctx.labels}
    mention_strings = _mention_strings(ctx)
    object_names = _object_names(ctx) if ctx.objects else set()
    out: list[Symbol] = []
    seen_ents: list[Symbol] = []
    last_ref: Symbol | None = None
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        nxt = lexemes[i + 1] if i + 1 < len(lexemes) else None
        sym: Symbol | None = None
        if lx.kind == "quote":
            sym = Symbol("QUOTE", lx.value, lx.start, lx.end)
        elif lx.kind == "num":
            sym = Symbol("NUM", lx.value, lx.start, lx.end)
        elif lx.kind == "poss":
            sym = Symbol("'s", "'s", lx.start, lx.end)
        elif lx.kind in ("punct", "symbol"):
            if lx.text == ":" and not (out and out[-1].name == "LABEL"):
                i += 1
                continue
            sym = Symbol(lx.text, lx.text, lx.start, lx.end)
        elif lx.kind == "end":
            i += 1
            continue
        elif lx.kind == "word":
            word = lx.text.lower()
            # A mention written out ("Daniel Ammann comes after 'wife'"): longest match first.
            hit = _match_mention(lexemes, i, mention_strings)
            if hit is not None:
                name, used = hit
                sym = Symbol("ENT", name, lx.start, lexemes[i + used - 1].end)
                out.append(sym)
                seen_ents.append(sym)
                last_ref = sym
                i += used
                continue
            if word in ("arg", "argument", "person", "entity", "mention") and nxt is not None \
                    and nxt.kind == "num" and nxt.value in (1, 2) and len(spans) >= 2:
                name = lower_fields.get(f"{word}{nxt.value}", spans[nxt.value - 1])
                sym = Symbol("ENT", name, lx.start, nxt.end)
                out.append(sym)
                seen_ents.append(sym)
                last_ref = sym
                i += 2
                continue
            if word in lower_fields:
                sym = Symbol("ENT", lower_fields[word], lx.start, lx.end)
            elif word in ("x", "y") and len(spans) >= 2 and lx.text.isupper():
                sym = Symbol("ENT", spans[0 if word == "x" else 1], lx.start, lx.end)
            elif word in lower_texts:
                sym = Symbol("FIELD", lower_texts[word], lx.start, lx.end)
            elif word in _TEXT_ALIASES and ctx.default_text and word not in kw:
                sym = Symbol("FIELD", ctx.default_text, lx.start, lx.end)
            elif word in labels and _label_position(out, nxt):
                sym = Symbol("LABEL", labels[word], lx.start, lx.end)
            elif ctx.objects and _is_object(word, lists, kw, object_names, ctx):
                listed = lists.get(word) or lists.get(word.rstrip("s"))
                sym = Symbol("OBJ", ("list", listed) if listed else ("word", word), lx.start,
                             lx.end)
            elif word in lists or (word.endswith("s") and word[:-1] in lists):
                sym = Symbol("LIST", lists.get(word) or lists[word[:-1]], lx.start, lx.end)
            elif word in ("them", "they") and len(seen_ents) >= 2:
                a, b = seen_ents[-2], seen_ents[-1]
                out.extend([Symbol("ENT", a.value, lx.start, lx.end),
                            Symbol("and", "and", lx.start, lx.end),
                            Symbol("ENT", b.value, lx.start, lx.end)])
                i += 1
                continue
            elif word == "it":
                follow = nxt.text.lower() if nxt is not None else ""
                if follow in ("says", "contains", "mentions", "includes", "has", "starts", "ends"):
                    sym = Symbol("FIELD", ctx.default_text or "text", lx.start, lx.end)
                elif follow == "is" and _next_is(lexemes, i + 2, "not") and (
                        _next_is(lexemes, i + 3, "the") or _next_is(lexemes, i + 3, "case")):
                    sym = Symbol("it", "it", lx.start, lx.end)
                elif last_ref is not None:
                    ref = _antecedent(out, last_ref)
                    sym = Symbol(ref.name, ref.value, lx.start, lx.end)
                else:
                    sym = Symbol("FIELD", ctx.default_text or "text", lx.start, lx.end)
            elif word in _ARTICLES:
                i += 1
                continue
            elif word in _NUMBER_WORDS and word not in ("one",) or (
                word == "one" and not (nxt is not None and nxt.text.lower() == "of")
            ):
                sym = Symbol("NUM", _NUMBER_WORDS[word], lx.start, lx.end)
            elif word in _PUNCT_NAMES:
                sym = Symbol("QUOTE", _PUNCT_NAMES[word], lx.start, lx.end)
            elif word in ("isn't", "aren't", "doesn't", "don't", "wasn't", "weren't", "didn't"):
                verb = "DO" if word[0] == "d" else "BE"
                out.extend([Symbol(verb, word, lx.start, lx.end),
                            Symbol("not", "not", lx.start, lx.end)])
                i += 1
                continue
            elif word in ("says", "say", "reads", "mentions") and _said(lexemes, i + 1, ctx):
                # "it says historic neighborhood": the unquoted words that follow, as one phrase.
                k = _said(lexemes, i + 1, ctx)
                words = lexemes[i + 1 : i + 1 + k]
                out.append(Symbol("CONTAINS", word, lx.start, lx.end))
                out.append(Symbol("QUOTE", " ".join(w.text for w in words), words[0].start,
                                  words[-1].end))
                i += 1 + k
                continue
            elif word in _CLASS_OF:
                sym = Symbol(_CLASS_OF[word], word, lx.start, lx.end)
            elif word in kw:
                sym = Symbol(word, word, lx.start, lx.end)
            else:
                sym = Symbol("WORD", lx.text, lx.start, lx.end)
        else:
            sym = Symbol("WORD", lx.text, lx.start, lx.end)
        if sym is not None:
            out.append(sym)
            if sym.name == "ENT":
                seen_ents.append(sym)
            if sym.name in ("ENT", "QUOTE", "OBJ"):
                last_ref = sym
        i += 1
    return _merge_words(out)


def _is_object(word: str, lists: Mapping[str, str], kw: frozenset[str], names: set[str],
               ctx: Context) -> bool:
    """Whether a word names image objects: a word list, an object of the example, an entity
    word ("person"), or (in data without text fields) any word that is not a keyword."""
    if word in lists or word.rstrip("s") in lists:
        return True
    if word in kw and _CLASS_OF.get(word) != "ENTTYPE":
        return False
    return word in names or word in WORD_CLASSES["ENTTYPE"] or (
        not ctx.texts and word not in _ARTICLES and word not in _NUMBER_WORDS)


def _object_names(ctx: Context) -> set[str]:
    """Lower-case names of the example's objects (``[{"name": "bike", ...}, ...]``)."""
    names: set[str] = set()
    for f in ctx.objects:
        value = ctx.example.get(f)
        if isinstance(value, list | tuple):
            for obj in value:
                if isinstance(obj, Mapping) and isinstance(obj.get("name"), str):
                    names.add(obj["name"].lower())
                    names.add(obj["name"].lower().split()[-1])
    return names


def _said(lexemes: Sequence[Lexeme], i: int, ctx: Context) -> int:
    """How many word lexemes from ``i`` on, read together, occur in the example (longest)."""
    if not ctx.example:
        return 0
    run = 0
    while i + run < len(lexemes) and lexemes[i + run].kind == "word":
        run += 1
    for k in range(run, 0, -1):
        if _in_example(" ".join(lx.text for lx in lexemes[i : i + k]), ctx):
            return k
    return 0


def _merge_words(symbols: list[Symbol]) -> list[Symbol]:
    """Join runs of unknown words into one WORD: a run is read as one unquoted phrase or one
    stretch of filler, never split (splits only multiply Earley derivations)."""
    out: list[Symbol] = []
    for s in symbols:
        if s.name == "WORD" and out and out[-1].name == "WORD":
            prev = out.pop()
            s = Symbol("WORD", f"{prev.value} {s.value}", prev.start, s.end)
        out.append(s)
    return out


def _antecedent(out: list[Symbol], last: Symbol) -> Symbol:
    """What "it" refers to: the latest mention, phrase or object that is not the subject of the
    current clause ("a person's box overlaps a bike's box and the person is above it")."""
    clause_start = max((k + 1 for k, s in enumerate(out) if s.name in _SEPARATORS), default=0)
    refs = [s for s in out if s.name in ("ENT", "QUOTE", "OBJ")]
    subject = next((s for s in out[clause_start:] if s.name in ("ENT", "QUOTE", "OBJ")), None)
    for s in reversed(refs):
        if subject is None or s.value != subject.value:
            return s
    return last


def _next_is(lexemes: Sequence[Lexeme], i: int, word: str) -> bool:
    return i < len(lexemes) and lexemes[i].text.lower() == word


def _label_position(out: list[Symbol], nxt: Lexeme | None) -> bool:
    # A label name is a label only where a frame puts one: "label X because", "X because", "X:".
    before = not out or out[-1].name == "label"
    after = nxt is not None and nxt.text.lower() in ("because", "if", "since", "when", ":", "as")
    return before and (after or bool(out))


def _mention_strings(ctx: Context) -> list[tuple[list[str], str]]:
    out = []
    for name in ctx.spans:
        value = ctx.example.get(name)
        if isinstance(value, str) and value.strip():
            words = re.findall(r"[A-Za-z0-9][A-Za-z0-9_\-]*", value.lower())
            if words:
                out.append((words, name))
    return sorted(out, key=lambda p: -len(p[0]))


def _match_mention(lexemes: Sequence[Lexeme], i: int, mentions: list[tuple[list[str], str]]
                   ) -> tuple[str, int] | None:
    for words, name in mentions:
        k = len(words)
        window = lexemes[i : i + k]
        if len(window) == k and all(lx.kind == "word" for lx in window) and \
                [lx.text.lower() for lx in window] == words:
            # A single common word ("and") is not taken for a mention.
            if k == 1 and window[0].text[:1].islower():
                continue
            return name, k
    return None


# --- parsing ------------------------------------------------------------------------------------


CLAUSE_KINDS = ("words_clause", "mention_clause", "text_clause", "number_clause", "const_clause",
                "image_clause")
# The rules above the clauses: copied once per set of clause kinds (see ``_parser``).
_LOGIC_RULES = ("start", "frame", "cond", "disj", "conj", "negation", "atom", "clause")


def _variant(name: str) -> str:
    return "start" if not name else f"start_{name}"


@cache
def _parser() -> Lark:
    """The Earley parser. Earley predicts every alternative of every reachable rule at each
    clause start, so the logic rules are copied once per subset of clause kinds (start symbol
    ``start_<mask>``) and a sentence is parsed from the start symbol whose kinds its symbols can
    begin (``_clause_kinds``): a smaller chart, the same readings."""
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    blocks = _rule_blocks(grammar)
    extra = []
    starts = ["start"]
    for mask in range(1, 2 ** len(CLAUSE_KINDS)):
        kinds = [k for i, k in enumerate(CLAUSE_KINDS) if mask >> i & 1]
        suffix = f"_{mask}"
        for block in blocks:
            text = re.sub(rf"\b({'|'.join(_LOGIC_RULES)})\b(?!_\d)", rf"\1{suffix}", block)
            if text.lstrip("?").startswith(f"clause{suffix}:"):
                text = f"?clause{suffix}: " + " | ".join(kinds)
            extra.append(text)
        starts.append(_variant(str(mask)))
    return Lark(grammar + "\n" + "\n".join(extra) + "\n", parser="earley", lexer="basic",
                ambiguity="explicit", propagate_positions=False, start=starts)


def _rule_blocks(grammar: str) -> list[str]:
    """The definitions (with continuation lines) of the logic rules in ``grammar``."""
    out = []
    lines = grammar.splitlines()
    for i, line in enumerate(lines):
        head = line.lstrip("?").split(":", 1)[0]
        if head in _LOGIC_RULES and ":" in line:
            block = [line]
            for nxt in lines[i + 1 :]:
                if nxt.startswith((" ", "\t")) and nxt.strip().startswith("|"):
                    block.append(nxt)
                else:
                    break
            out.append("\n".join(block))
    return out


def _clause_kinds(names: set[str]) -> str:
    """The start symbol for a sentence made of the symbols ``names``: the clause kinds it can
    contain."""
    words = bool(names & {"QUOTE", "LIST", "WORD"})
    present = {
        "words_clause": words,
        "mention_clause": bool(names & {"ENT", "ENTTYPE"}),
        "text_clause": "FIELD" in names,
        "number_clause": bool(names & {"NUM", "number", "length", "distance", "gap"}),
        "const_clause": "QUOTE" in names,
        "image_clause": "OBJ" in names,
    }
    mask = sum(1 << i for i, k in enumerate(CLAUSE_KINDS) if present[k])
    return _variant(str(mask)) if mask else "start"


@lru_cache(maxsize=4096)
def _parse_symbols(text: str) -> Tree | UnexpectedInput:
    """The parse forest of a symbol string (explanations often share one shape, e.g.
    ``QUOTE BE between ENT and ENT``), or the parse error."""
    try:
        return _parser().parse(text, start=_clause_kinds(set(text.split())))
    except UnexpectedInput as exc:
        return exc


def _render(symbols: Sequence[Symbol]) -> tuple[str, dict[int, Symbol]]:
    text = ""
    at: dict[int, Symbol] = {}
    for s in symbols:
        if text:
            text += " "
        at[len(text)] = s
        text += s.name
    return text, at


@dataclass(frozen=True)
class Reading:
    """One meaning of an explanation: a condition, the label the sentence names (if any), and
    the words that were skipped to reach it."""

    when: ir.Expr
    label: str | None = None
    skipped: tuple[str, ...] = ()


@dataclass
class Parsed:
    """Every reading of one explanation, the readings that could not become LFs (with why), and
    diagnostics when there is no reading."""

    text: str
    readings: list[Reading] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_explanation(text: str, ctx: Context | None = None, name: str = "<explanation>",
                      max_readings: int = MAX_READINGS) -> Parsed:
    """Every reading of an English explanation (see the module docstring)."""
    ctx = ctx or Context()
    source = ir.Source(name, text)
    out = Parsed(text)
    lexemes, diags = scan(text, source)
    if diags:
        out.diagnostics.extend(diags)
        return out
    symbols = classify(lexemes, ctx)
    if not symbols:
        out.diagnostics.append(Diagnostic("E102", "the explanation is empty",
                                          ir.Span(source, 0, len(text)), "nothing to read"))
        return out
    first_error: UnexpectedInput | None = None
    attempts: list[tuple[list[Symbol], tuple[str, ...]]] = [(symbols, ())]
    # Unknown words that are not the example's own words: what a second attempt may drop.
    unknown = [s for s in symbols if s.name == "WORD" and not _in_example(str(s.value), ctx)]
    if unknown:
        attempts.append(([s for s in symbols if s not in unknown],
                         tuple(str(s.value) for s in unknown)))
    for syms, skipped in attempts:
        found, error = _readings(syms, ctx, out, max_readings)
        first_error = first_error or error
        if found:
            out.readings = [Reading(w, lab, skipped) for w, lab in found]
            return out
    # Parts of the sentence: the best cover by clauses that parse, joined with AND.
    parts = _clause_cover(symbols, unknown, ctx, out, max_readings)
    if parts:
        out.readings = parts
        return out
    if not out.unsupported:
        out.diagnostics.append(_diagnose(source, symbols, first_error))
    return out


def _in_example(word: str, ctx: Context) -> bool:
    w = word.lower()
    for value in ctx.example.values():
        if isinstance(value, str) and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", value.lower()):
            return True
    return False


def _readings(symbols: Sequence[Symbol], ctx: Context, out: Parsed, cap: int
              ) -> tuple[list[tuple[ir.Expr, str | None]], UnexpectedInput | None]:
    text, at = _render(symbols)
    tree = _parse_symbols(text)
    if isinstance(tree, UnexpectedInput):
        return [], tree
    found: dict[ir.Expr, str | None] = {}
    trees = _expand(tree, cap * 4)
    if len(trees) >= cap * 4:
        out.warnings.append(f"more than {cap * 4} derivations; only the first were read")
    for t in trees:
        try:
            label, when = ExplanationToIR(at, ctx).transform(t)
        except VisitError as exc:
            if isinstance(exc.orig_exc, Unsupported):
                msg = str(exc.orig_exc)
                if msg not in out.unsupported:
                    out.unsupported.append(msg)
                continue
            raise
        when = _simplify(when)
        if when not in found:
            found[when] = label
        if len(found) >= cap:
            out.warnings.append(f"more than {cap} readings; kept the first {cap}")
            break
    return list(found.items()), None


def _expand(tree: Any, cap: int) -> list[Any]:
    """All trees an ``_ambig`` forest stands for (at most ``cap``), simplest first."""
    if not isinstance(tree, Tree):
        return [tree]
    if tree.data == "_ambig":
        options: list[Any] = []
        for child in tree.children:
            options.extend(_expand(child, cap))
            if len(options) >= cap:
                break
        options.sort(key=_size)
        return options[:cap]
    per_child = [_expand(c, cap) for c in tree.children]
    out = []
    for combo in itertools.product(*per_child):
        out.append(Tree(tree.data, list(combo)))
        if len(out) >= cap:
            break
    return out


def _size(tree: Any) -> int:
    return 1 + sum(_size(c) for c in tree.children) if isinstance(tree, Tree) else 1


_SEPARATORS = frozenset({",", ";", "and", "but"})
# Words that often open a trailing modifier ("... person2 in '2008'"): a part may end before them.
_MODIFIERS = frozenset({"in", "from", "to", "at", "on", "with", "after", "because", "when", "while",
                        "as", "since", "for"})


def _clause_cover(symbols: list[Symbol], unknown: list[Symbol], ctx: Context, out: Parsed,
                  cap: int) -> list[Reading]:
    """Readings of the largest part of the sentence that parses as clauses joined by AND.

    Pieces start at the beginning or after a separator and end at a separator or the end, or
    anywhere (to drop a trailing modifier). Each piece keeps its own readings; the cover with the
    most symbols read wins.
    """
    n = len(symbols)
    starts = [0] + [i + 1 for i, s in enumerate(symbols) if s.name in _SEPARATORS]
    ends = {i for i, s in enumerate(symbols) if s.name in _SEPARATORS or s.name in _MODIFIERS}
    if n > 1 and symbols[-1].name == "QUOTE":
        ends.add(n - 1)  # a trailing quoted remark ("... person2 'from 1983 to 1988'")
    cache_: dict[tuple[int, int], list[tuple[ir.Expr, str | None]]] = {}

    def piece(i: int, j: int) -> list[tuple[ir.Expr, str | None]]:
        if (i, j) not in cache_:
            syms = [s for s in symbols[i:j] if s not in unknown]
            scratch = Parsed(out.text)
            found, _ = _readings(syms, ctx, scratch, cap) if syms else ([], None)
            cache_[(i, j)] = found
            for u in scratch.unsupported:
                if u not in out.unsupported:
                    out.unsupported.append(u)
        return cache_[(i, j)]

    # best[i]: (symbols covered, pieces) for the suffix starting at i.
    best: dict[int, tuple[int, list[tuple[int, int]]]] = {n: (0, [])}
    for i in sorted(set(starts), reverse=True):
        options: list[tuple[int, list[tuple[int, int]]]] = []
        later = [s for s in starts if s > i]
        for j in range(n, i, -1):
            if j < n and j not in ends:
                continue
            nxt = min((s for s in later if s >= j), default=n)
            rest = best.get(nxt, (0, []))
            if piece(i, j):
                options.append((j - i + rest[0], [(i, j), *rest[1]]))
        skip_to = min(later, default=n)
        options.append(best.get(skip_to, (0, [])))
        best[i] = max(options, key=lambda o: (o[0], -len(o[1])))
    covered, pieces = best[0]
    if not pieces:
        return []
    used: set[int] = set()
    for i, j in pieces:
        used.update(range(i, j))
    skipped = tuple(str(s.value) for k, s in enumerate(symbols)
                    if k not in used and s.name not in _SEPARATORS)
    skipped += tuple(str(s.value) for k, s in enumerate(symbols) if k in used and s in unknown)
    readings: list[Reading] = []
    for combo in itertools.islice(itertools.product(*[piece(i, j) for i, j in pieces]), cap):
        label = next((lab for _, lab in combo if lab is not None), None)
        when = _simplify(ir.And(tuple(w for w, _ in combo))) if len(combo) > 1 else combo[0][0]
        if all(r.when != when for r in readings):
            readings.append(Reading(when, label, skipped))
    return readings


def _simplify(expr: ir.Expr) -> ir.Expr:
    """Flatten nested AND/OR so equal meanings compare equal."""

    def flat(node: ir.Expr) -> ir.Expr:
        if isinstance(node, ir.And | ir.Or):
            args: list[ir.Expr] = []
            for a in node.args:
                if type(a) is type(node):
                    args.extend(a.args)
                elif a not in args:
                    args.append(a)
            return args[0] if len(args) == 1 else type(node)(tuple(args), span=node.span)
        return node

    return ir.transform(expr, flat)


# --- diagnostics --------------------------------------------------------------------------------

# Phrasings the grammar knows, for "did you mean" suggestions.
EXAMPLES = (
    "label LABEL because \"his wife\" is between X and Y",
    "\"wife\" is within 3 words to the left of Y",
    "\"wife\" occurs immediately before Y",
    "X is immediately followed by \"and\"",
    "X and Y are more than 20 words apart",
    "the sentence contains \"married\"",
    "there are no spouse words in the sentence",
    "the words \"husband\" or \"wife\" do not occur between X and Y",
    "X is upper case",
    "X starts with \"Mr\"",
    "X is the same as Y",
    "the number of words between X and Y is less than 5",
    "\"married\" is after Y",
)


def _diagnose(source: ir.Source, symbols: list[Symbol], exc: UnexpectedInput | None
              ) -> Diagnostic:
    text = source.text
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        index = _symbol_index(symbols, exc)
        sym = symbols[index] if index is not None and index < len(symbols) else symbols[-1]
        span = ir.Span(source, sym.start, sym.end)
        label = "could not read the explanation from here"
    else:
        span = ir.Span(source, len(text.rstrip()), len(text.rstrip()))
        label = "the explanation ends before it says what holds"
    expected = _expected(exc)
    hints = []
    if expected:
        hints.append("expected " + ", ".join(expected[:8]))
    hints.append(f"nearest phrasing explicate knows: {nearest_phrasing(text)}")
    return Diagnostic("E103", "could not read this explanation", span, label, tuple(hints))


def _symbol_index(symbols: list[Symbol], exc: UnexpectedInput) -> int | None:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        tok = getattr(exc, "token", None)
        pos = getattr(tok, "start_pos", None)
    if pos is None:
        return None
    _, at = _render(symbols)
    order = sorted(at)
    for k, p in enumerate(order):
        if p >= pos:
            return k if p == pos else max(k - 1, 0)
    return len(order) - 1


def _expected(exc: UnexpectedInput | None) -> list[str]:
    if exc is None:
        return []
    names = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    terminals = {t.name: t for t in _parser().terminals}
    shown = []
    for n in sorted(names):
        t = terminals.get(n)
        if n.lstrip("_") in WORD_CLASSES:
            shown.append(f"'{WORD_CLASSES[n.lstrip('_')][0]}'")
        elif n in ("QUOTE", "NUM", "ENT", "FIELD", "LIST", "LABEL", "WORD"):
            shown.append({"QUOTE": "a quoted phrase", "NUM": "a number", "ENT": "a mention",
                          "FIELD": "a text field", "LIST": "a word list", "LABEL": "a label",
                          "WORD": "a word"}[n])
        elif t is not None and t.pattern.type == "str":
            shown.append(f"'{t.pattern.value}'")
    return sorted(set(shown), key=lambda s: (s.startswith("'"), s))


def nearest_phrasing(text: str) -> str:
    """The known phrasing most similar to ``text``."""
    norm = re.sub(r"[\"'“”‘’`][^\"'“”‘’`]*[\"'“”‘’`]", '"w"', text.lower())
    return max(EXAMPLES, key=lambda e: difflib.SequenceMatcher(None, norm, e.lower()).ratio())


# --- parse tree → IR ----------------------------------------------------------------------------


class _Ent(str):
    """A mention field's name (unlike a WORD, which is also a string)."""

    __slots__ = ()


@dataclass(frozen=True)
class _Words:
    items: tuple[ir.Expr, ...]
    mode: str  # one, any, all, none


@dataclass(frozen=True)
class _Mentions:
    names: tuple[str, ...]
    mode: str  # one, all, any


@dataclass(frozen=True)
class _Numbers:
    items: tuple[ir.Expr, ...]
    mode: str  # one, any, all, none


Place = Callable[[ir.Expr], ir.Expr]

_OPS = {"lt": "<", "gt": ">", "ge": ">=", "le": "<=", "eq": "==", "ne": "!="}


def _combine(mode: str, parts: Sequence[ir.Expr]) -> ir.Expr:
    if len(parts) == 1:
        return parts[0] if mode != "none" else ir.Not(parts[0])
    if mode == "all":
        return ir.And(tuple(parts))
    if mode == "none":
        return ir.Not(ir.Or(tuple(parts)))
    return ir.Or(tuple(parts))


def over_words(words: _Words, make: Callable[[ir.Expr], ir.Expr]) -> ir.Expr:
    """Apply a predicate to words: once for one item or an 'or' of phrases, per item for 'and'."""
    if words.mode == "one" or len(words.items) == 1:
        return make(words.items[0])
    if words.mode in ("any", "none") and all(isinstance(i, ir.Phrase) for i in words.items):
        found = make(ir.AnyOf(tuple(i for i in words.items if isinstance(i, ir.Phrase))))
        return ir.Not(found) if words.mode == "none" else found
    return _combine(words.mode, [make(i) for i in words.items])


def over_mentions(m: _Mentions, make: Callable[[ir.Field], ir.Expr]) -> ir.Expr:
    return _combine(m.mode, [make(ir.Field(n)) for n in m.names])


def _neg(children: Sequence[Any]) -> bool:
    return any(isinstance(c, Tree) and c.data in ("neg", "neg_verb", "neg_do") for c in children)


def _of(children: Sequence[Any], kind: type) -> list[Any]:
    return [c for c in children if isinstance(c, kind)]


class ExplanationToIR(Transformer[Token, Any]):
    """Builds ``(label or None, condition)`` from one derivation."""

    def __init__(self, at: dict[int, Symbol], ctx: Context):
        super().__init__()
        self.at = at
        self.ctx = ctx

    def _sym(self, tok: Token) -> Symbol:
        return self.at[tok.start_pos or 0]

    # terminals
    def QUOTE(self, tok: Token) -> ir.Phrase:  # noqa: N802 - lark calls terminals by name
        return ir.Phrase(str(self._sym(tok).value))

    def NUM(self, tok: Token) -> int | float:  # noqa: N802
        value = self._sym(tok).value
        return value if isinstance(value, int | float) else int(value)

    def ENT(self, tok: Token) -> _Ent:  # noqa: N802
        return _Ent(self._sym(tok).value)

    def FIELD(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def LIST(self, tok: Token) -> ir.WordList:  # noqa: N802
        return ir.WordList(str(self._sym(tok).value))

    def OBJ(self, tok: Token) -> ir.Objects:  # noqa: N802
        kind, name = self._sym(tok).value
        words: ir.Expr = ir.WordList(name) if kind == "list" else ir.Phrase(name)
        return ir.Objects(words, ir.Field(self.ctx.objects[0]))

    def LABEL(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def WORD(self, tok: Token) -> str:  # noqa: N802
        return str(self._sym(tok).value)

    def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
        if data == "start" or re.fullmatch(r"start_\d+", str(data)):
            return children[0]
        return super().__default__(data, children, meta)

    # frames
    def bare(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return None, c[-1]

    def labeled(self, c: list[Any]) -> tuple[str | None, ir.Expr]:
        return c[0], c[-1]

    def label_ref(self, c: list[Any]) -> str:
        value = c[0]
        if isinstance(value, Token) and value.type in ("TRUE", "FALSE"):
            if len(self.ctx.labels) != 2:
                raise Unsupported("'true'/'false' as a label needs exactly two labels")
            return self.ctx.labels[1 if value.type == "TRUE" else 0]
        return str(value)

    # logic
    def or_(self, c: list[Any]) -> ir.Expr:
        return ir.Or((c[0], c[-1]))

    def and_(self, c: list[Any]) -> ir.Expr:
        return ir.And((c[0], c[-1]))

    def not_(self, c: list[Any]) -> ir.Expr:
        return ir.Not(c[-1])

    def nor(self, c: list[Any]) -> ir.Expr:
        return ir.And((ir.Not(c[0]), ir.Not(c[1])))

    def true_(self, c: list[Any]) -> ir.Expr:
        return prim.Truth(True)

    def false_(self, c: list[Any]) -> ir.Expr:
        return prim.Truth(False)

    # words
    def quoted(self, c: list[Any]) -> ir.Expr:
        return c[-1]

    def word_list(self, c: list[Any]) -> ir.Expr:
        return _of(c, ir.WordList)[0]

    def unquoted(self, c: list[Any]) -> ir.Expr:
        words = " ".join(x for x in c if isinstance(x, str))
        if self.ctx.example and not _in_example(words, self.ctx):
            raise Unsupported(f"unquoted words '{words}' do not occur in the example; quote them")
        return ir.Phrase(words)

    def one_word(self, c: list[Any]) -> _Words:
        return _Words((c[0],), "one")

    def any_words(self, c: list[Any]) -> _Words:
        return _Words(tuple(_of(c, ir.Expr)), "any")

    def no_words(self, c: list[Any]) -> _Words:
        return _Words(tuple(_of(c, ir.Expr)), "none")

    def all_words(self, c: list[Any]) -> _Words:
        return _Words(tuple(_of(c, ir.Expr)), "all")

    # mentions
    def one_mention(self, c: list[Any]) -> _Mentions:
        return _Mentions((c[0],), "one")

    def all_mentions(self, c: list[Any]) -> _Mentions:
        return _Mentions(tuple(_of(c, _Ent)), "all")

    def any_mentions(self, c: list[Any]) -> _Mentions:
        return _Mentions(tuple(_of(c, _Ent)), "any")

    def pair(self, c: list[Any]) -> tuple[str, str]:
        a, b = _of(c, _Ent)
        if a == b:
            raise Unsupported(f"'{a}' cannot be between itself")
        return a, b

    def text(self, c: list[Any]) -> ir.Field:
        return ir.Field(c[0])

    # places: functions from words to a condition
    def between(self, c: list[Any]) -> Place:
        a, b = _of(c, tuple)[0]
        return lambda w: prim.Between(w, ir.Field(a), ir.Field(b))

    def _near(self, side: str, within: int | None, m: _Mentions) -> Place:
        return lambda w: over_mentions(m, lambda e: prim.Near(w, e, side, within))

    def near(self, c: list[Any]) -> Place:
        sides = [x.data for x in c if isinstance(x, Tree) and x.data in ("left", "right")]
        side = sides[0] if sides else "any"
        immediate = any(isinstance(x, Tree) and x.data == "immediately" for x in c)
        return self._near(side, 0 if immediate else None, _of(c, _Mentions)[0])

    def near_within(self, c: list[Any]) -> Place:
        self._words_unit(c)
        n = int(_of(c, int)[0])
        if any(isinstance(x, Tree) and x.data == "less_than" for x in c):
            n -= 1
        dirs = [x.data for x in c if isinstance(x, Tree) and x.data in ("left", "right")]
        return self._near(dirs[0] if dirs else "any", max(n, 0), _of(c, _Mentions)[0])

    def near_cmp(self, c: list[Any]) -> Place:
        self._words_unit(c)
        op = self._op(c)
        if op not in ("<", "<="):
            raise Unsupported("'more than N words before/after' for words is not supported yet; "
                              "say 'within N words' or use 'not'")
        n = int(_of(c, int)[0]) - (1 if op == "<" else 0)
        dirs = [x.data for x in c if isinstance(x, Tree) and x.data in ("left", "right")]
        return self._near(dirs[0] if dirs else "any", max(n, 0), _of(c, _Mentions)[0])

    def next_to(self, c: list[Any]) -> Place:
        return self._near("any", 0, _of(c, _Mentions)[0])

    def in_text(self, c: list[Any]) -> Place:
        if _of(c, ir.Field):
            t = _of(c, ir.Field)[0]
            return lambda w: prim.Contains(t, w)
        m = _of(c, _Mentions)[0]
        return lambda w: over_mentions(m, lambda e: prim.Contains(e, w))

    def place_in(self, c: list[Any]) -> Place:
        return c[0]

    def _words_unit(self, c: list[Any]) -> None:
        if any(isinstance(x, Tree) and x.data == "char_unit" for x in c):
            raise Unsupported("distances in characters are not supported yet; count words")

    # clauses over words
    def words_at(self, c: list[Any]) -> ir.Expr:
        words, place = _of(c, _Words)[0], [x for x in c if callable(x)][-1]
        return over_words(words, place)

    def words_not_at(self, c: list[Any]) -> ir.Expr:
        return ir.Not(self.words_at(c))

    def words_after(self, c: list[Any]) -> ir.Expr:
        return over_words(_of(c, _Words)[0], self._near("right", None, _of(c, _Mentions)[0]))

    def words_before(self, c: list[Any]) -> ir.Expr:
        return over_words(_of(c, _Words)[0], self._near("left", None, _of(c, _Mentions)[0]))

    # clauses over mentions
    def _immediate(self, c: list[Any]) -> int | None:
        return 0 if any(isinstance(x, Tree) and x.data == "immediately" for x in c) else None

    def mention_after(self, c: list[Any]) -> ir.Expr:  # X is preceded by W
        return over_words(_of(c, _Words)[0],
                          self._near("left", self._immediate(c), _of(c, _Mentions)[0]))

    def mention_before(self, c: list[Any]) -> ir.Expr:  # X is followed by W
        return over_words(_of(c, _Words)[0],
                          self._near("right", self._immediate(c), _of(c, _Mentions)[0]))

    def _negated(self, c: list[Any], expr: ir.Expr) -> ir.Expr:
        return ir.Not(expr) if _neg(c) else expr

    def mention_order(self, c: list[Any]) -> ir.Expr:
        a, b = _of(c, _Mentions)
        side = [x.data for x in c if isinstance(x, Tree) and x.data in ("left", "right")][0]

        def make(x: ir.Field) -> ir.Expr:
            return over_mentions(b, lambda y: prim.Precedes(x, y) if side == "left"
                                 else prim.Precedes(y, x))
        return self._negated(c, over_mentions(a, make))

    def mention_within(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, _Mentions)
        n = int(_of(c, int)[0])
        return self._negated(c, over_mentions(
            a, lambda x: over_mentions(b, lambda y: prim.MentionsWithin(x, y, n))))

    def pair_within(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, tuple)[0]
        n = int(_of(c, int)[0])
        return self._negated(c, prim.MentionsWithin(ir.Field(a), ir.Field(b), n))

    def _op(self, c: list[Any], default: str = "==") -> str:
        ops = [x for x in c if isinstance(x, Tree) and x.data in _OPS]
        return _OPS[ops[0].data] if ops else default

    def mention_gap(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, _Mentions)
        n = ir.Num(float(_of(c, int)[0]))
        op = self._op(c)
        return self._negated(c, over_mentions(a, lambda x: over_mentions(
            b, lambda y: ir.Compare(op, prim.Distance(x, y), n))))

    def pair_gap(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, tuple)[0]
        n = ir.Num(float(_of(c, int)[0]))
        return self._negated(c, ir.Compare(self._op(c), prim.Distance(ir.Field(a), ir.Field(b)), n))

    pair_gap_by = pair_gap

    def mention_gap_dir(self, c: list[Any]) -> ir.Expr:
        # "X is more than three words to the left of Y": X before Y, and that far apart.
        self._words_unit(c)
        a, b = _of(c, _Mentions)
        side = [x.data for x in c if isinstance(x, Tree) and x.data in ("left", "right")][0]
        n = ir.Num(float(_of(c, int)[0]))
        op = self._op(c)

        def one(x: ir.Field, y: ir.Field) -> ir.Expr:
            order = prim.Precedes(x, y) if side == "left" else prim.Precedes(y, x)
            return ir.And((order, ir.Compare(op, prim.Distance(x, y), n)))
        return self._negated(c, over_mentions(a, lambda x: over_mentions(b, lambda y: one(x, y))))

    def mention_case(self, c: list[Any]) -> ir.Expr:
        kind = [x.data for x in c if isinstance(x, Tree) and x.data in
                ("upper", "lower", "capitalized")][0]
        cls = {"upper": prim.IsUpper, "lower": prim.IsLower, "capitalized": prim.IsCapitalized}[kind]
        return self._negated(c, over_mentions(_of(c, _Mentions)[0], lambda e: cls(e)))

    def _mention_words(self, c: list[Any], make: Callable[[ir.Field, ir.Expr], ir.Expr]
                       ) -> ir.Expr:
        m, w = _of(c, _Mentions)[0], _of(c, _Words)[0]
        return self._negated(c, over_mentions(m, lambda e: over_words(w, lambda x: make(e, x))))

    def mention_starts(self, c: list[Any]) -> ir.Expr:
        return self._mention_words(c, prim.StartsWith)

    def mention_ends(self, c: list[Any]) -> ir.Expr:
        return self._mention_words(c, prim.EndsWith)

    def mention_contains(self, c: list[Any]) -> ir.Expr:
        return self._mention_words(c, prim.Contains)

    def mention_equals(self, c: list[Any]) -> ir.Expr:
        return self._mention_words(c, prim.Equals)

    def mention_same(self, c: list[Any]) -> ir.Expr:
        a, b = _of(c, _Mentions)
        return self._negated(c, over_mentions(
            a, lambda x: over_mentions(b, lambda y: prim.SameText(x, y))))

    def mention_length(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        n = ir.Num(float(_of(c, int)[0]))
        op = self._op(c)
        return self._negated(c, over_mentions(
            _of(c, _Mentions)[0], lambda e: ir.Compare(op, prim.Count(e), n)))

    def implicit_between(self, c: list[Any]) -> ir.Expr:
        a, b = _of(c, _Ent)[0], _of(c, _Ent)[-1]
        if a == b:
            raise Unsupported(f"'{a}' cannot be between itself")
        return prim.Between(_of(c, ir.Phrase)[0], ir.Field(a), ir.Field(b))

    def possessive(self, c: list[Any]) -> ir.Expr:
        ents = _of(c, _Ent)
        if len(ents) == 2:
            # "person1 is referred to as person2's 'wife'": the words describe person1, so they
            # stand next to it ("his wife, Della"; "Della, his wife").
            return over_words(_of(c, _Words)[0],
                              lambda w: prim.Near(w, ir.Field(ents[0]), "any", 2))
        # "person2's 'wife'": the words follow the mention, after its "'s".
        return over_words(_of(c, _Words)[0], lambda w: prim.Near(w, ir.Field(ents[-1]), "right", 1))

    def entity_type(self, c: list[Any]) -> ir.Expr:
        raise Unsupported("entity types (person, location, ...) need a named-entity model; "
                          "none is available offline yet")

    entity_count = entity_type

    # clauses over a text
    def _text_words(self, c: list[Any], make: Callable[[ir.Field, ir.Expr], ir.Expr]) -> ir.Expr:
        t, w = _of(c, ir.Field)[0], _of(c, _Words)[0]
        return self._negated(c, over_words(w, lambda x: make(t, x)))

    def text_contains(self, c: list[Any]) -> ir.Expr:
        return self._text_words(c, prim.Contains)

    def text_starts(self, c: list[Any]) -> ir.Expr:
        return self._text_words(c, prim.StartsWith)

    def text_ends(self, c: list[Any]) -> ir.Expr:
        return self._text_words(c, prim.EndsWith)

    def text_substring(self, c: list[Any]) -> ir.Expr:
        t, q = _of(c, ir.Field)[0], _of(c, ir.Phrase)[0]
        return self._negated(c, prim.Matches(t, ir.Regex(re.escape(q.text), "i")))

    def text_case(self, c: list[Any]) -> ir.Expr:
        kind = [x.data for x in c if isinstance(x, Tree) and x.data in
                ("upper", "lower", "capitalized")][0]
        cls = {"upper": prim.IsUpper, "lower": prim.IsLower, "capitalized": prim.IsCapitalized}[kind]
        return self._negated(c, cls(_of(c, ir.Field)[0]))

    def text_length(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        return ir.Compare(self._op(c), prim.Count(_of(c, ir.Field)[0]),
                          ir.Num(float(_of(c, int)[0])))

    # numbers
    def literal(self, c: list[Any]) -> ir.Expr:
        return ir.Num(float(c[0]))

    def gap(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, tuple)[0]
        return prim.Distance(ir.Field(a), ir.Field(b))

    def length(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        target = (_of(c, ir.Field) or [ir.Field(n) for n in
                                        (_of(c, _Mentions)[0].names if _of(c, _Mentions) else ())])
        if not target:
            raise Unsupported("the length of what?")
        return prim.Count(target[0])

    def occurrences(self, c: list[Any]) -> ir.Expr:
        words = _of(c, _CountWords)[0].words
        fields = _of(c, ir.Field)
        if fields:
            t = fields[0]
        elif _of(c, _Mentions):
            t = ir.Field(_of(c, _Mentions)[0].names[0])
        elif self.ctx.default_text:
            t = ir.Field(self.ctx.default_text)
        else:
            raise Unsupported("count in which text?")
        return prim.CountOf(words, t)

    def count_words(self, c: list[Any]) -> _CountWords:
        x = c[0]
        if isinstance(x, str):
            word = x[:-1] if x.endswith("s") and len(x) > 3 else x
            return _CountWords(ir.Phrase(word))
        return _CountWords(x)

    def num_one(self, c: list[Any]) -> _Numbers:
        return _Numbers((c[0],), "one")

    def num_any(self, c: list[Any]) -> _Numbers:
        return _Numbers(tuple(c), "any")

    def num_all(self, c: list[Any]) -> _Numbers:
        return _Numbers(tuple(c), "all")

    def num_all_of(self, c: list[Any]) -> _Numbers:
        return _Numbers(c[0], "all")

    def num_any_of(self, c: list[Any]) -> _Numbers:
        return _Numbers(c[0], "any")

    def num_none_of(self, c: list[Any]) -> _Numbers:
        return _Numbers(c[0], "none")

    def ntuple(self, c: list[Any]) -> tuple[ir.Expr, ...]:
        return tuple(c)

    def num_compare(self, c: list[Any]) -> ir.Expr:
        subj, obj = _of(c, _Numbers)
        op = self._op(c)
        return self._negated(c, _combine(subj.mode, [
            _combine(obj.mode, [ir.Compare(op, s, o) for o in obj.items]) for s in subj.items]))

    def num_equal(self, c: list[Any]) -> ir.Expr:
        subj = _of(c, _Numbers)[0]
        n = ir.Num(float(_of(c, int)[0]))
        return self._negated(c, _combine(subj.mode, [ir.Compare("==", s, n) for s in subj.items]))

    def num_in(self, c: list[Any]) -> ir.Expr:
        subj, values = _of(c, _Numbers)[0], _of(c, tuple)[0]
        return self._negated(c, _combine(subj.mode, [
            _combine("any", [ir.Compare("==", s, v) for v in values]) for s in subj.items]))

    def tuple_contains(self, c: list[Any]) -> ir.Expr:
        values, obj = _of(c, tuple)[0], _of(c, _Numbers)[0]
        return self._negated(c, _combine(obj.mode, [
            _combine("any", [ir.Compare("==", o, v) for v in values]) for o in obj.items]))

    def gap_count(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        a, b = _of(c, tuple)[0]
        n = ir.Num(float(_of(c, int)[0]))
        return self._negated(c, ir.Compare(self._op(c), prim.Distance(ir.Field(a), ir.Field(b)), n))

    gap_count_at = gap_count

    def length_count(self, c: list[Any]) -> ir.Expr:
        self._words_unit(c)
        target = _of(c, ir.Field) or [ir.Field(_of(c, _Mentions)[0].names[0])]
        return ir.Compare(self._op(c), prim.Count(target[0]), ir.Num(float(_of(c, int)[0])))

    def occurrence_count(self, c: list[Any]) -> ir.Expr:
        words = _of(c, _CountWords)[0].words
        target = _of(c, ir.Field) or [ir.Field(_of(c, _Mentions)[0].names[0])]
        return ir.Compare(self._op(c), prim.CountOf(words, target[0]),
                          ir.Num(float(_of(c, int)[0])))

    # image objects
    def thing(self, c: list[Any]) -> ir.Objects:
        return _of(c, ir.Objects)[0]

    def relations(self, c: list[Any]) -> tuple[str, ...]:
        return tuple(x.data.removeprefix("rel_").replace("_", " ") for x in c
                     if isinstance(x, Tree))

    def things_related(self, c: list[Any]) -> ir.Expr:
        a, b = _of(c, ir.Objects)
        rels = tuple(dict.fromkeys(r for x in c if isinstance(x, tuple) for r in x))
        return self._negated(c, image.Related(a, rels, b))

    def things_related_each(self, c: list[Any]) -> ir.Expr:
        # "a person is above a bike and overlaps it": one subject, a relation to each object.
        subject, *objects = _of(c, ir.Objects)
        rels = [x for x in c if isinstance(x, tuple)]
        return ir.And(tuple(image.Related(subject, r, o) for r, o in zip(rels, objects,
                                                                          strict=True)))

    def thing_present(self, c: list[Any]) -> ir.Expr:
        return image.Has(_of(c, ir.Objects)[0])

    def thing_absent(self, c: list[Any]) -> ir.Expr:
        return ir.Not(image.Has(_of(c, ir.Objects)[0]))

    def thing_count(self, c: list[Any]) -> ir.Expr:
        n = ir.Num(float(_of(c, int)[0]))
        return self._negated(c, ir.Compare(self._op(c, ">="), image.CountObjects(
            _of(c, ir.Objects)[0]), n))

    def thing_number(self, c: list[Any]) -> ir.Expr:
        if _of(c, ir.Objects):
            return image.CountObjects(_of(c, ir.Objects)[0])
        return ir.Num(float(_of(c, int)[0]))

    def thing_count_cmp(self, c: list[Any]) -> ir.Expr:
        left = image.CountObjects(_of(c, ir.Objects)[0])
        right = [x for x in c if isinstance(x, ir.Expr) and not isinstance(x, ir.Objects)][-1]
        return self._negated(c, ir.Compare(self._op(c), left, right))

    # literal strings: evaluated now
    def lit_or(self, c: list[Any]) -> tuple[str, tuple[str, ...]]:
        return "any", tuple(p.text for p in _of(c, ir.Phrase))

    def lit_and(self, c: list[Any]) -> tuple[str, tuple[str, ...]]:
        return "all", tuple(p.text for p in _of(c, ir.Phrase))

    def _lit(self, c: list[Any], test: Callable[[str, str], bool]) -> ir.Expr:
        subject = _of(c, ir.Phrase)[0].text
        mode, values = [x for x in c if isinstance(x, tuple)][0]
        agg = any if mode == "any" else all
        return prim.Truth(agg(test(subject, v) for v in values) != _neg(c))

    def lit_equals(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s == v)

    def lit_starts(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s.startswith(v))

    def lit_ends(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: s.endswith(v))

    def lit_contains(self, c: list[Any]) -> ir.Expr:
        return self._lit(c, lambda s, v: v in s)

    def lit_in(self, c: list[Any]) -> ir.Expr:
        mode, values = [x for x in c if isinstance(x, tuple)][0]
        container = _of(c, ir.Phrase)[-1].text
        agg = any if mode == "any" else all
        return prim.Truth(agg(v in container for v in values) != _neg(c))

    def lit_in_list(self, c: list[Any]) -> ir.Expr:
        mode, values = [x for x in c if isinstance(x, tuple)][0]
        name = _of(c, ir.WordList)[0].name
        items = {str(w).lower() for w in self.ctx.word_lists.get(name, ())}
        agg = any if mode == "any" else all
        return prim.Truth(agg(v.lower() in items for v in values) != _neg(c))


@dataclass(frozen=True)
class _CountWords:
    words: ir.Expr


def iter_symbols(text: str, ctx: Context | None = None) -> Iterator[tuple[str, Any]]:
    """(symbol, value) pairs the parser sees for ``text`` (for debugging and docs)."""
    lexemes, _ = scan(text)
    for s in classify(lexemes, ctx or Context()):
        yield s.name, s.value
