"""Lexing and word classes: an explanation's text → grammar symbols.

``scan`` cuts the sentence into lexemes (quoted phrases of any quote style, numbers, words,
punctuation) and ``classify`` maps each to a grammar symbol using what the ``Context`` knows: the
example's mention fields (``person1``, ``X``/``Y``, ``arg 1``), text fields (``the sentence``),
word lists, labels, and the example's own mention strings ("Daniel Ammann" → its mention).
Articles are dropped; pronouns ("them", "it") are resolved to what they refer to; synonyms
(``WORD_CLASSES``) become one class symbol each, which keeps the Earley chart small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from explicate import ir
from explicate.errors import Diagnostic
from explicate.grammar.explanation.field_names import TEXT_NOUNS, numbered_mention_at, text_field_at
from explicate.grammar.explanation.patterns import PATTERNS, pattern_at
from explicate.grammar.explanation.role_nouns import (
    intensifier_at,
    list_examples,
    noun_before_quote,
    observed_at,
    pair_plural,
)
from explicate.grammar.explanation.vocabulary import ARTICLES as _ARTICLES
from explicate.grammar.explanation.vocabulary import BODY_NOUNS as _BODY_NOUNS
from explicate.grammar.explanation.vocabulary import CLASS_OF as _CLASS_OF
from explicate.grammar.explanation.vocabulary import (
    CONTENT_SYMBOLS,
    CONTENT_WORDS,
    SEPARATORS,
    WORD_CLASSES,
)
from explicate.grammar.explanation.vocabulary import NUMBER_WORDS as _NUMBER_WORDS
from explicate.grammar.explanation.vocabulary import QUOTES as _QUOTES
from explicate.grammar.explanation.vocabulary import TEXT_ALIASES as _TEXT_ALIASES
from explicate.grammar.explanation.vocabulary import TITLE_NOUNS as _TITLE_NOUNS

# Re-exported: spelling slips are measured where the example's words are read (crowd_typos).
from explicate.grammar.explanation.vocabulary import edit_distance as edit_distance
from explicate.grammar.explanation.word_fields import (
    PUNCT_NAMES,
    abbreviated_mention,
    in_itself,
    named_number,
    punct_at,
)
from explicate.primitives.image import RELATIONS

GRAMMAR_PATH = Path(__file__).with_name("explanation.lark")

# An entity-type word after these is the type, even where a mention has that name ("the person
# is a person", "no other place"): a mention is "the person", never "a person".
_TYPE_DETERMINERS = frozenset({"a", "an", "another", "other", "any"})

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
    # The one text field an explanation names, when the task has several: a text left unsaid
    # elsewhere in it ("the clause has 12 words and includes 'x'") is that one.
    focus: str | None = None

    @property
    def default_text(self) -> str | None:
        if self.focus in self.texts:
            return self.focus
        span_texts = list(dict.fromkeys(self.spans.values()))
        if len(span_texts) == 1:
            return span_texts[0]
        if len(self.texts) == 1:
            return self.texts[0]
        for name in ("sentence", "text"):
            if name in self.texts:
                return name
        return self.texts[0] if self.texts else None

    @property
    def numbers(self) -> tuple[str, ...]:
        """The example's numeric fields ("links", "section"): number-valued fields that are
        neither a text nor a mention, which an explanation may compare ("more than 2 links")."""
        return tuple(k for k, v in self.example.items()
                     if isinstance(v, int | float) and not isinstance(v, bool)
                     and k not in self.texts and k not in self.spans and k.isidentifier())


def role_field(word: str, texts: Sequence[str]) -> str | None:
    """The text field a document-part noun ("title", "body") names among ``texts``, when the
    task has several text fields, ``word`` is none of them, and exactly one field plays that part
    (the body: the one field that is not title-like, when no field is body-like by name)."""
    lower = {t.lower(): t for t in texts}
    if len(texts) < 2 or word in lower:
        return None
    titles = [t for low, t in lower.items() if low in _TITLE_NOUNS]
    if word in _TITLE_NOUNS:
        return titles[0] if len(titles) == 1 else None
    if word in _BODY_NOUNS:
        bodies = [t for low, t in lower.items() if low in _BODY_NOUNS]
        rest = [t for t in texts if t not in titles]
        hits = bodies or (rest if len(titles) == 1 else [])
        return hits[0] if len(hits) == 1 else None
    return None


def part_noun(word: str, texts: Sequence[str]) -> bool:
    """Whether ``word`` names a part of a document ("title", "body", "headline") that is not one
    of the task's several text fields by name: skipping it changes which text is read (on a task
    with ``left_text``/``right_text``, "the body contains 'x'" does not say which). Words for the
    whole text ("sentence", "text", "message") are not parts."""
    low = word.lower()
    return (len(texts) > 1 and low in _TITLE_NOUNS | _BODY_NOUNS and low not in _TEXT_ALIASES
            and low not in {t.lower() for t in texts})


def focused(ctx: Context, lexemes: Sequence[Lexeme]) -> Context:
    """``ctx`` with its ``focus`` set to the one text field the explanation names by name, when
    the task has several text fields and exactly one of them is named; when none is named, the
    one field of the example that holds every quoted phrase of the explanation (a sentence
    about its example: "'change' occurs before 'terms'" is about the field where they are)."""
    if len(ctx.texts) < 2:
        return ctx
    lower = {t.lower(): t for t in ctx.texts}
    named = {lower.get(w) or role_field(w, ctx.texts) for lx in lexemes if lx.kind == "word"
             and ((w := lx.text.lower()) in lower or role_field(w, ctx.texts))}
    if len(named) == 1:
        return replace(ctx, focus=named.pop())
    quotes = [str(lx.value).lower() for lx in lexemes if lx.kind == "quote" and str(lx.value)]
    if named or not quotes:
        return ctx
    holding = [t for t in ctx.texts if isinstance(v := ctx.example.get(t), str)
               and all(re.search(rf"(?<!\w){re.escape(q)}(?!\w)", v.lower()) for q in quotes)]
    return replace(ctx, focus=holding[0]) if len(holding) == 1 else ctx


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
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]\d)|\d+(?:\.\d+)?)"  # "40,000" is one number
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
                value = value.replace(",", "")
                value = float(value) if "." in value else int(value)
            out.append(Lexeme(kind, m.group(), value, m.start(), m.end()))
        i = m.end()
    return out, diags


@dataclass(frozen=True)
class Symbol:
    """A grammar symbol and what it stands for (a lexeme, a field, a list or a label)."""

    name: str  # QUOTE, NUM, ENT, FIELD, NFIELD, NWORDS, LIST, LABEL, WORD, or a keyword
    value: Any
    start: int
    end: int


def _phrase_symbols(phrase: str) -> str:
    """A phrase as grammar symbols: class words as their class terminal, articles dropped (the
    classifier drops them too), other words as literals."""
    out = []
    for word in phrase.lower().split():
        if word in _ARTICLES:
            continue
        out.append(f"_{_CLASS_OF[word]}" if word in _CLASS_OF else f'"{word}"')
    return " ".join(out)


def relation_rule() -> str:
    """``relation``: one alternative per English phrasing of each entry of
    ``primitives.image.RELATIONS`` (the table the DSL, printer and tests read too)."""
    alts = [f"{_phrase_symbols(p)} -> rel_{r.name.replace(' ', '_')}"
            for r in RELATIONS.values() for p in r.english]
    return "relation: " + "\n        | ".join(alts) + "\n"


@cache
def grammar_text() -> str:
    """The explanation grammar: ``explanation.lark`` plus the rules generated from tables."""
    return GRAMMAR_PATH.read_text(encoding="utf-8") + "\n" + relation_rule()


@cache
def keywords() -> frozenset[str]:
    """Every literal word of the explanation grammar."""
    found = re.findall(r'"([^"\s]+)"', grammar_text())
    return frozenset(w for w in found if not w.isupper() and w != " ") | frozenset(_CLASS_OF)


def classify(lexemes: Sequence[Lexeme], ctx: Context) -> list[Symbol]:
    """Map lexemes to grammar symbols (see the module docstring)."""
    kw = keywords()
    spans = list(ctx.spans)
    lower_fields = {f.lower(): f for f in spans}
    lower_texts = {f.lower(): f for f in ctx.texts}
    # A numeric field counts things: "one link" is the field "links" (and "2 sections" "section").
    lower_numbers = {w: f for f in ctx.numbers
                     for w in (f.lower(), f.lower()[:-1] if f.endswith("s") else f.lower() + "s")}
    lists = {n.lower(): n for n in ctx.word_lists}
    labels = {lab.lower(): lab for lab in ctx.labels}
    mention_strings = _mention_strings(ctx)
    object_names = _object_names(ctx) if ctx.objects else set()
    out: list[Symbol] = []
    seen_ents: list[Symbol] = []
    last_ref: Symbol | None = None
    floor = 0  # where the current clause starts, after a colon ("X: 'w' occurs before it")
    named = named_number(lexemes, ctx.numbers, _NUMBER_WORDS, lower_numbers, kw)  # "users affected"
    # Nouns that name the kind of a quote after them: role nouns (not "person1") and list names.
    list_nouns = set(lists) | {n + "s" for n in lists} | {n[:-1] for n in lists if n.endswith("s")}
    role_nouns = {f for f in lower_fields if f.isalpha()} | list_nouns
    skip: set[int] = set()  # examples after a named list ("a praise word like 'great'")
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        if i in skip:
            i += 1
            continue
        skip.update(list_examples(lexemes, i, list_nouns))
        if named is not None and i in named.indices:  # later name words: in the one reference
            end = named.span_end(lexemes) if i == named.indices[0] else i + 1
            if i == named.indices[0]:
                out.append(Symbol("NWORDS", named.field, lx.start, lexemes[end - 1].end))
            i = end
            continue
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
                floor = len(out)
                i += 1
                continue
            sym = Symbol(lx.text, lx.text, lx.start, lx.end)
        elif lx.kind == "end":
            i += 1
            continue
        elif lx.kind == "other" and lx.text in ("-", "\u2013", "\u2014"):
            floor = len(out)  # a lone dash opens an elaboration, as a colon does
            i += 1
            continue
        elif lx.kind == "word":
            word = lx.text.lower()
            used = pattern_at(lexemes, i)
            if used and word not in lower_fields and word not in lower_texts:
                key = tuple(x.text.lower() for x in lexemes[i : i + used])
                out.append(Symbol("PATTERN", PATTERNS[key], lx.start, lexemes[i + used - 1].end))
                i += used
                continue
            if word not in lower_fields and word not in lower_texts and (
                    named_punct := punct_at(lexemes, i)) is not None:  # "exclamation marks"
                out.append(Symbol("QUOTE", named_punct, lx.start, lexemes[i + 1].end))
                i += 2
                continue
            if intensifier_at(lexemes, i):  # "the very next word": the next word
                i += 1
                continue
            if observed_at(lexemes, i):  # "right after it we read 'did not'": it occurs there
                out.append(Symbol("OCCUR", word, lx.start, lexemes[i + 1].end))
                i += 2
                continue
            if noun_before_quote(lexemes, i, role_nouns):  # "the hashtag '#fire'": the quote
                i += 1
                continue
            if pair_plural(word, spans):  # "between the two parties": both mentions
                if out and out[-1].name == "NUM" and out[-1].value == 2:
                    out.pop()
                out.extend([Symbol("ENT", spans[0], lx.start, lx.end),
                            Symbol("and", "and", lx.start, lx.end),
                            Symbol("ENT", spans[1], lx.start, lx.end)])
                seen_ents.extend(out[-3::2])
                i += 1
                continue
            prev = lexemes[i - 1].text.lower() if i > 0 and lexemes[i - 1].kind == "word" else ""
            if prev in _TYPE_DETERMINERS and word in WORD_CLASSES["ENTTYPE"] and (
                    word in lower_fields or _match_mention(lexemes, i, mention_strings)):
                out.append(Symbol("ENTTYPE", word, lx.start, lx.end))
                i += 1
                continue
            if word in ("consists", "consist", "comprises") and nxt is not None \
                    and nxt.text.lower() == "of":
                out.append(Symbol("CONTAINS", word, lx.start, nxt.end))  # "consists of": has
                i += 2
                continue
            # A field or mention named by the words of its name ("the email body", "paper 1").
            by_words = None if word in lower_fields or word in lower_texts else (
                numbered_mention_at(lexemes, i, lower_fields) or text_field_at(
                    lexemes, i, ctx.texts, kw - {"title"} | lists.keys() | labels.keys()))
            if by_words is not None:
                name, used = by_words
                sym = Symbol("ENT" if name in spans else "FIELD", name, lx.start,
                             lexemes[i + used - 1].end)
                out.append(sym)
                if sym.name == "ENT":
                    seen_ents.append(sym)
                    last_ref = sym
                i += used
                continue
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
            elif (part := role_field(word, ctx.texts)) is not None and word not in lower_fields:
                sym = Symbol("FIELD", part, lx.start, lx.end)
            elif word in lower_numbers:
                sym = Symbol("NFIELD", lower_numbers[word], lx.start, lx.end)
            elif (word in _TEXT_ALIASES and ctx.default_text and word not in kw) or (
                    word in TEXT_NOUNS and len(ctx.texts) == 1 and word not in kw
                    and word not in lists and word not in labels):
                sym = Symbol("FIELD", ctx.default_text or ctx.texts[0], lx.start, lx.end)
            elif (full := abbreviated_mention(word, lower_fields, kw)) is not None:
                sym = Symbol("ENT", full, lx.start, lx.end)
            elif word in labels and _label_position(out, nxt):
                sym = Symbol("LABEL", labels[word], lx.start, lx.end)
            elif ctx.objects and _is_object(word, lists, kw, object_names, ctx):
                listed = lists.get(word) or lists.get(word.rstrip("s"))
                sym = Symbol("OBJ", ("list", listed) if listed else ("word", word), lx.start,
                             lx.end)
            elif word in lists or (word.endswith("s") and word[:-1] in lists) or (
                    word + "s" in lists and (word not in kw or _next_class(nxt) == "WN")):
                listed = lists.get(word) or lists.get(word[:-1]) or lists[word + "s"]
                sym = Symbol("LIST", listed, lx.start, lx.end)
            elif (word in ("them", "they") and (len(seen_ents) >= 2 or (
                    len(spans) == 2 and not seen_ents))) or (
                    word in ("names", "mentions", "entities") and len(spans) == 2
                    and i > 0 and lexemes[i - 1].text.lower() == "the"
                    and not (nxt is not None and nxt.text.lower() in ("of", "in"))):
                # ... and "the names" of a task's two mentions ("the names are 2 words apart").
                # "they": the last two mentions named, or the task's two mentions.
                a_name, b_name = ((seen_ents[-2].value, seen_ents[-1].value)
                                  if len(seen_ents) >= 2 else (spans[0], spans[1]))
                out.extend([Symbol("ENT", a_name, lx.start, lx.end),
                            Symbol("and", "and", lx.start, lx.end),
                            Symbol("ENT", b_name, lx.start, lx.end)])
                i += 1
                continue
            elif word == "it":
                follow = nxt.text.lower() if nxt is not None else ""
                if follow in ("says", "contains", "mentions", "includes", "has", "starts", "ends",
                              "refers", "uses", "reads", "talks", "speaks"):
                    sym = Symbol("FIELD", ctx.default_text or "text", lx.start, lx.end)
                elif follow == "is" and _next_is(lexemes, i + 2, "not") and (
                        _next_is(lexemes, i + 3, "the") or _next_is(lexemes, i + 3, "case")):
                    sym = Symbol("it", "it", lx.start, lx.end)
                elif in_itself(out, floor, SEPARATORS):
                    out.pop()  # "the amount has 'pinch' in it": the amount has 'pinch'
                    i += 1
                    continue
                elif last_ref is not None and (ref := _antecedent(out, floor)) is not None:
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
            elif word in PUNCT_NAMES and not (nxt is not None and nxt.kind == "quote"):
                sym = Symbol("QUOTE", PUNCT_NAMES[word], lx.start, lx.end)
            elif word in ("isn't", "aren't", "doesn't", "don't", "wasn't", "weren't", "didn't"):
                verb = "DO" if word[0] == "d" else "BE"
                out.extend([Symbol(verb, word, lx.start, lx.end),
                            Symbol("not", "not", lx.start, lx.end)])
                i += 1
                continue
            elif word == "lower" and nxt is not None and nxt.text.lower() == "case":
                sym = Symbol("lower", word, lx.start, lx.end)  # a letter case, not "less"
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


def _antecedent(out: list[Symbol], floor: int = 0) -> Symbol | None:
    """What "it" refers to: the latest mention, phrase or object that is not the subject of the
    current clause ("a person's box overlaps a bike's box and the person is above it"); the
    clause starts after the last separator or colon (``floor``). None where "it" is the text:
    nothing but the subject came before, or a quoted phrase is said to be "in it" ("'his wife'
    is in it" is about the example's text, never the phrase inside itself or another quote)."""
    clause_start = max((k + 1 for k, s in enumerate(out) if s.name in SEPARATORS), default=floor)
    clause_start = max(clause_start, floor)
    refs = [s for s in out if s.name in ("ENT", "QUOTE", "OBJ")]
    subject = next((s for s in out[clause_start:] if s.name in ("ENT", "QUOTE", "OBJ")), None)
    if subject is not None and subject.name == "QUOTE" and out and out[-1].value in (
            "in", "inside", "within"):
        return None
    for s in reversed(refs):
        if subject is None or s.value != subject.value:
            return s
    return None


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


# Words that place something relative to what follows them ("after the waiter").
_PLACE_WORDS = frozenset({"after", "before", "between", "following", "preceding", "behind",
                          "near", "around", "precedes", "follows"})


def _placed(lexemes: Sequence[Lexeme], i: int) -> bool:
    """Whether the word at ``i`` follows "the" after a place word ("after the waiter", "between
    the chef and the waiter")."""
    return i >= 2 and lexemes[i - 1].text.lower() == "the" and \
        lexemes[i - 2].text.lower() in _PLACE_WORDS


def _match_mention(lexemes: Sequence[Lexeme], i: int, mentions: list[tuple[list[str], str]]
                   ) -> tuple[str, int] | None:
    for words, name in mentions:
        k = len(words)
        window = lexemes[i : i + k]
        if len(window) == k and all(lx.kind == "word" for lx in window) and \
                [lx.text.lower() for lx in window] == words:
            # A single common word ("and") is not taken for a mention, unless it is the object
            # of a place word ("rude is after the waiter"; not "because the staff were rude").
            if k == 1 and window[0].text[:1].islower() and not _placed(lexemes, i):
                continue
            return name, k
    return None


def carries_content(symbol: Symbol) -> bool:
    """Whether dropping ``symbol`` would change what the sentence says (see CONTENT_WORDS)."""
    if symbol.name in CONTENT_SYMBOLS:
        return True
    words = str(symbol.value).lower().replace("n't", " not").split()
    return symbol.name in CONTENT_WORDS or any(w in CONTENT_WORDS for w in words)


def in_example(word: str, ctx: Context) -> bool:
    w = word.lower()
    for value in ctx.example.values():
        if isinstance(value, str) and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", value.lower()):
            return True
    return False


def _next_class(nxt: Lexeme | None) -> str | None:
    """The word class of the next lexeme ("title word": WN)."""
    return _CLASS_OF.get(nxt.text.lower()) if nxt is not None else None
