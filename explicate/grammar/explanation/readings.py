"""Reading search: every reading of an explanation, or the best cover of it by clauses.

1. The sentence's symbols are parsed whole; ``ExplanationToIR`` turns each derivation of the
   forest into an IR condition, and equal conditions (after ``simplify``) are merged.
2. When the whole sentence has no reading, unknown words that are not the example's own are
   dropped and it is tried again.
3. Then parts of it are tried (``clause_cover``): clauses split at "and", ";" and "," whose parts
   that parse are joined with AND (as BabbleLabble's parser absorbs what it cannot read). Every
   skipped word is reported on the reading.

Sentences that still have no reading get a diagnostic (``diagnose``).
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lark import Tree
from lark.exceptions import UnexpectedInput, VisitError
from spacy.lang.en.stop_words import STOP_WORDS

from explicate import ir
from explicate.errors import Diagnostic
from explicate.grammar.explanation import speech
from explicate.grammar.explanation.diagnose import diagnose
from explicate.grammar.explanation.ellipsis import (
    colon_split,
    elided_anchor,
    shared_predicate,
    shared_subject,
    shared_verb,
)
from explicate.grammar.explanation.grounding import Grounded, ground
from explicate.grammar.explanation.lexicon import (
    SEPARATORS,
    Context,
    Lexeme,
    Symbol,
    carries_content,
    classify,
    focused,
    in_example,
    number_notes,
    part_noun,
    role_field,
    scan,
)
from explicate.grammar.explanation.parser import MAX_ITEMS, OverBudget, parse_symbols, reading_budget, render
from explicate.grammar.explanation.roles import Unsupported
from explicate.grammar.explanation.spelling import correct_spelling
from explicate.grammar.explanation.statements import UNGROUNDED, read_statement
from explicate.grammar.explanation.to_ir import ExplanationToIR
from explicate.grammar.explanation.vague_counts import vague_counts
from explicate.primitives.text import Between, Contains, Near

MAX_READINGS = 16  # readings kept per explanation; more is reported as a warning


@dataclass(frozen=True)
class Reading:
    """One meaning of an explanation: a condition, the label the sentence names (if any), the
    words that were skipped to reach it, and of those the ones that carry content (``dropped``:
    quotes, mentions, negation, relation or comparison words). A reading that dropped content is
    *partial*: it says less than (or something else than) the sentence."""

    when: ir.Expr
    label: str | None = None
    skipped: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.dropped)


def _unread_clauses(symbols: Sequence[Symbol], unknown: Sequence[Symbol]) -> tuple[str, ...]:
    """The unknown words of each clause (between separators) that is nothing but unknown words
    and grammar words: "the applicant is asked for references, and the salary is ...". Dropping
    a few unknown words is forgiving slips; dropping a whole clause drops what it says."""
    out: list[str] = []
    clause: list[Symbol] = []
    ended = [*symbols, Symbol(",", ",", 0, 0)]
    for k, s in enumerate(ended):
        if s.name not in SEPARATORS:
            clause.append(s)
            continue
        words = [x for x in clause if x in unknown]
        rest = [x for x in clause if x not in unknown]
        said = {w for x in clause for w in str(x.value).lower().split()}
        reason_next = k + 1 < len(ended) and ended[k + 1].name in _REASONS
        if len(words) >= 2 and not any(carries_content(x) or x.name in _CONDITION_SYMBOLS
                                       or x.name == "NUM" for x in rest) \
                and not said & _JUDGING and not reason_next:
            out.extend(str(x.value) for x in words)
        clause = []
    return tuple(out)


# Words of a clause that judges rather than describes ("I'm fairly sure this is sarcastic"), and
# the words that open the reason after a judgement: such a clause left out drops no condition.
_JUDGING = frozenset({"i", "i'm", "im", "i'd", "i've", "we", "me", "my", "think", "sure",
                      "believe", "probably", "likely", "guess", "seems", "clearly", "obviously"})
_REASONS = frozenset({"because", "since", "as", "given", "so"})


def _words_of(symbols: Sequence[Symbol], ctx: Context, when: ir.Expr, restated: bool = False
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(skipped, dropped) for the symbols skipped to reach ``when``. Where the task has several
    text fields, a skipped field name the reading does not read is content ("in the title and
    the body": dropping "body" changes what is read); one it reads anyway is not. So is a
    skipped document-part noun that no field plays (``lexicon.part_noun``). ``restated``: the
    skipped words are a clause the reading spells out (before a colon), so a mention the reading
    reads is not dropped either."""
    fields = set(ir.fields_read(when))
    read = fields if len(ctx.texts) > 1 else set()

    def kept(s: Symbol) -> bool:
        return restated and s.name in ("ENT", "FIELD") and str(s.value) in fields

    return (tuple(str(s.value) for s in symbols),
            tuple(str(s.value) for s in symbols if not kept(s) and (
                carries_content(s) or (read and s.name == "FIELD" and str(s.value) not in read)
                or part_noun(str(s.value), ctx.texts))))


@dataclass
class Parsed:
    """Every reading of one explanation, the readings that could not become LFs (with why), and
    diagnostics when there is no reading."""

    text: str
    readings: list[Reading] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# The reading budget at the entry (the longest explanation in the shared data sets has 21 symbols
# and 114 characters): longer text is reported as too long to read instead of parsed for seconds.
MAX_CHARS = 1000
MAX_SYMBOLS = 48


def _too_long(source: ir.Source, size: str, limit: int, unit: str) -> Diagnostic:
    return Diagnostic("E105", f"explanation too long to read ({size})",
                      ir.Span(source, 0, max(1, min(len(source.text), 80))), "",
                      (f"at most {limit:,} {unit}; split it into several explanations, or put a "
                       "long word list in a `words` file and name it",))


def parse_explanation(text: str, ctx: Context | None = None, name: str = "<explanation>",
                      max_readings: int = MAX_READINGS) -> Parsed:
    """Every reading of an English explanation (see the module docstring). An explanation over
    the reading budget (``MAX_CHARS`` characters, ``MAX_SYMBOLS`` grammar symbols, and
    ``parser.MAX_ITEMS`` Earley items over all its parses) is not read: it gets an E105 "too long
    to read" diagnostic, since Earley parsing grows fast with length and ambiguity.

    Python's cyclic garbage collector is paused while one explanation is read: the Earley chart
    allocates tens of thousands of short-lived objects, which otherwise trigger full collections
    over the whole heap (seconds on a loaded machine); the parse's garbage is collected after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        with reading_budget():
            return _parse(text, ctx, name, max_readings)
    except OverBudget:
        out = Parsed(text)
        out.diagnostics.append(_too_long(ir.Source(name, text), "it can be read too many ways",
                                         MAX_ITEMS, "parser steps (repeated commas, 'and's or "
                                         "list words multiply them)"))
        return out
    finally:
        if enabled:
            gc.enable()


# Symbols that make a clause a condition on the example: a field, mention, list or quote, or a
# verb of containing or asking ("the description asks the applicant to pay a fee").
_CONDITION_SYMBOLS = frozenset({"FIELD", "NFIELD", "ENT", "LIST", "QUOTE", "CONTAINS", "ASKS",
                                "STARTS", "ENDS"})


def _conclusion_conditions(conclusion: str, ctx: Context) -> tuple[str, ...]:
    """The content words of a condition coordinated after a cut-off conclusion ("the salary is
    over 250,000, which is far more than such work could pay, and the description asks for a
    fee"): the conclusion ends at its clause, so a later clause naming a field, mention, list or
    quote is a condition the reading does not read, and every reading is partial without it."""
    clauses = re.split(r"\s(?:,\s*and|;|,\s*but|and\s+also)\s", conclusion)
    if len(clauses) < 2:
        return ()
    lexemes, diags = scan(" ".join(clauses[1:]))
    if diags:
        return ()
    return tuple(str(s.value) for s in classify(lexemes, ctx) if s.name in _CONDITION_SYMBOLS)


def _losing(reading: Reading, lost: tuple[str, ...]) -> Reading:
    """``reading`` with ``lost`` (content the sentence says outside it) among its dropped words."""
    if not lost:
        return reading
    return Reading(reading.when, reading.label, reading.skipped + lost, reading.dropped + lost)


def _guessed_text(ctx: Context) -> str | None:
    # ``Context.default_text`` when nothing chose it: the first of several text fields, none
    # of them the mentions' text or named "sentence"/"text", and no focus.
    if len(ctx.texts) < 2 or ctx.focus in ctx.texts or len(set(ctx.spans.values())) == 1:
        return None
    if any(name in ctx.texts for name in ("sentence", "text")):
        return None
    return ctx.texts[0]


def _guess_warning(ctx: Context, lexemes: Sequence[Lexeme],
                   found: Sequence[tuple[ir.Expr, str | None]]) -> list[str]:
    """A warning when a reading reads a text field the sentence never named, picked only for
    being the first of several ("the text contains 'urgent'" over subject and message)."""
    guess = _guessed_text(ctx)
    if guess is None or not any(guess in ir.fields_read(w) for w, _ in found):
        return []
    lower = {t.lower() for t in ctx.texts}
    if any(lx.kind == "word" and (lx.text.lower() in lower or role_field(lx.text.lower(),
                                                                          ctx.texts))
           for lx in lexemes):
        return []
    return [f"no text field named: read '{guess}', the first of {', '.join(ctx.texts)}; "
            "name the field to choose another"]


def _parse(text: str, ctx: Context | None, name: str, max_readings: int) -> Parsed:
    ctx = ctx or Context()
    source = ir.Source(name, text)
    out = Parsed(text)
    if len(text) > MAX_CHARS:
        out.diagnostics.append(_too_long(source, f"{len(text):,} characters", MAX_CHARS,
                                         "characters"))
        return out
    excerpt = bare_excerpt(text, ctx)
    if excerpt is not None:
        out.readings = [Reading(excerpt)]
        out.warnings.append("read as a piece of the example's text (a bare excerpt)")
        return out
    lexemes, diags = scan(text, source)
    if diags:
        out.diagnostics.extend(diags)
        return out
    written = lexemes
    lexemes, counted = vague_counts(lexemes)  # "a few words": a number chosen, and said so
    out.warnings.extend(counted)
    lexemes, conclusion = speech.split_conclusion(speech.normalize(lexemes, ctx))
    lexemes, preamble = speech.strip_preamble(lexemes, ctx)
    ctx = focused(ctx, lexemes)
    out.warnings.extend(number_notes(lexemes, ctx))  # "read 'people' as the field recipients"
    if conclusion:
        out.warnings.append(f"read '{conclusion}' as the reason for the label, not a condition")
    lost = _conclusion_conditions(conclusion, ctx)
    # As written, then read generously (name parts as mentions, unquoted excerpts as quotes),
    # then with spelling slips corrected ("betwen"), then without unknown words: a correction
    # is a fallback ("likes" is not "lies" when the sentence reads as written), and dropping a
    # word the last resort.
    # Unquoted words after a verb of saying that the example has are read as quoted as written;
    # the generous readings ground the operands of words of place too (``grounding``).
    corrected, fixes = correct_spelling(lexemes, ctx)
    lexeme_variants = [(*ground(lexemes, ctx), list[tuple[str, str]]())]
    lexeme_variants.append((*ground(speech.generous(lexemes, ctx), ctx, operands=True), []))
    if fixes:
        lexeme_variants.append((*ground(corrected, ctx), fixes))
        lexeme_variants.append((*ground(speech.generous(corrected, ctx), ctx, operands=True),
                                fixes))
    variants: list[tuple[list[Symbol], list[Symbol], list[tuple[str, str]]]] = []
    notes: list[list[Grounded]] = []  # per variant: what was grounded
    for lxs, grounded, fx in lexeme_variants:
        syms = speech.tidy(classify(lxs, ctx), ctx)
        if all(syms != v[0] for v in variants):
            variants.append((syms, preamble, fx))
            notes.append(grounded)
    symbols = variants[-1][0]
    if len(symbols) > MAX_SYMBOLS:
        out.diagnostics.append(_too_long(source, f"{len(symbols)} words and symbols",
                                         MAX_SYMBOLS, "words and symbols"))
        return out
    if not symbols:
        out.diagnostics.append(Diagnostic("E102", "the explanation is empty",
                                          ir.Span(source, 0, len(text)), "nothing to read"))
        return out
    attempts: list[tuple[list[Symbol], list[Symbol], list[tuple[str, str]]]] = list(variants)
    grounded_in = {id(a[0]): g for a, g in zip(variants, notes, strict=True)}
    for syms, preamble, fx in variants:
        # A subject or predicate said once for two clauses ("X is long and starts with 'Y'",
        # "X is upper and Y is not"), said again.
        for restored in (shared_subject(syms), shared_predicate(syms), shared_verb(syms),
                         elided_anchor(syms)):
            if restored is not None and all(restored != a[0] for a in attempts):
                attempts.append((restored, preamble, fx))
                grounded_in[id(restored)] = grounded_in[id(syms)]
    unread: dict[int, tuple[str, ...]] = {}  # attempt -> words of whole clauses it drops
    for syms, preamble, fx in list(attempts):
        # Unknown words that are not the example's own words: what a later attempt may drop.
        unknown = [s for s in syms if s.name == "WORD" and not in_example(str(s.value), ctx)]
        if unknown:
            unread[len(attempts)] = _unread_clauses(syms, unknown)
            kept = [s for s in syms if s not in unknown]
            attempts.append((kept, preamble + unknown, fx))
            grounded_in[id(kept)] = grounded_in[id(syms)]
    first_error: UnexpectedInput | None = None
    unsupported: list[str] = []
    for k, (syms, skipped, fx) in enumerate(attempts):
        scratch = Parsed(text)
        found, error = _readings(syms, ctx, scratch, max_readings)
        first_error = first_error or error
        if found:
            out.readings = [_losing(Reading(w, lab, *_words_of(skipped, ctx, w)),
                                    lost + unread.get(k, ())) for w, lab in found]
            out.unsupported = scratch.unsupported
            out.warnings.extend(scratch.warnings)  # after the conclusion's, if any
            out.warnings.extend(_guess_warning(ctx, lexemes, found))
            out.warnings.extend(f"read '{w}' as '{r}'" for w, r in fx)
            out.warnings.extend(g.note() for g in grounded_in.get(id(syms), ()))
            return out
        unsupported += [u for u in scratch.unsupported if u not in unsupported]
    out.unsupported = unsupported
    unknown = [s for s in symbols if s.name == "WORD" and not in_example(str(s.value), ctx)]
    out.warnings.extend(f"read '{w}' as '{r}'" for w, r in fixes)
    # An elaboration: "the subject is a question: it ends with '?'" reads what the colon opens.
    split = colon_split(symbols, lexemes)
    if split is not None:
        head, tail = split
        scratch = Parsed(text)
        found, _ = _readings(tail, ctx, scratch, max_readings)
        if found:
            out.readings = [_losing(Reading(w, lab, *_words_of(head, ctx, w, restated=True)),
                                    lost) for w, lab in found]
            out.warnings.extend(scratch.warnings)
            out.warnings.extend(g.note() for g in notes[-1])
            return out
    # Parts of the sentence: the best cover by clauses that parse, joined with AND.
    parts = _clause_cover(symbols, unknown, ctx, out, max_readings)
    if parts:
        out.readings = [_losing(r, lost) for r in parts]
        out.warnings.extend(g.note() for g in notes[-1])
        return out
    # A domain statement: the words it shares with the example (``statements``); tried where
    # the grammar found nothing it cannot say but unquoted words the example lacks.
    if all(u.startswith(UNGROUNDED) for u in out.unsupported):
        statement = read_statement(lexemes, ctx, written)
        if statement is not None:
            out.readings = [_losing(Reading(statement.when, None, statement.skipped), lost)]
            out.warnings.extend(statement.warnings)
            out.unsupported = []
            return out
    if not out.unsupported:
        out.diagnostics.append(diagnose(source, symbols, first_error, ctx))
    return out



def bare_excerpt(text: str, ctx: Context) -> ir.Expr | None:
    """A bare excerpt: the whole explanation is a verbatim piece (3 words or more, any case) of
    the example's text with the example's mentions in it ("Depp's wife actress Amber Heard").
    Read as the words between the first two mentions in it, else as the words right before and
    after its one mention; None when it is not such a piece."""
    body = text.strip().strip(" .\"'“”‘’")
    name = ctx.default_text
    source = ctx.example.get(name) if name else None
    if name is None or not isinstance(source, str) or len(body.split()) < 3:
        return None
    at = source.lower().find(body.lower())
    if at < 0:
        return None
    piece = source[at:at + len(body)]
    found = sorted((piece.find(v), piece.find(v) + len(v), m) for m, t in ctx.spans.items()
                   if t == name and isinstance(mention := ctx.example.get(m), str)
                   and (v := _shown_as(mention, piece, others=[
                       str(ctx.example.get(o, "")) for o in ctx.spans if o != m])))

    def phrase(s: str) -> ir.Phrase:
        return ir.Phrase(text=s.strip(" ,;:"), case_sensitive=False)

    def sides(left: str, first: str, right: str, last: str) -> list[ir.Expr]:
        """The words ``left`` of mention ``first`` and ``right`` of mention ``last``, each
        right beside it; punctuation between the words and the mention counts as tokens."""
        gaps = {"left": left[len(left.rstrip(" ,;:")):],
                "right": right[:len(right) - len(right.lstrip(" ,;:"))]}
        return [Near(words=phrase(w), target=ir.Field(name=m), side=side,
                     within=sum(ch in ",;:" for ch in gaps[side]))
                for w, m, side in ((left, first, "left"), (right, last, "right"))
                if w.strip(" ,;:") and w.strip(" ,;:").lower() not in ("the", "a", "an")]

    if len(found) >= 2:
        (first, end, a), (start, last, b) = found[0], found[1]
        if end < start and piece[end:start].strip(" ,;:"):
            # Words before the first mention or after the second are said too ("... was
            # noted"), not dropped.
            said: list[ir.Expr] = [Between(words=phrase(piece[end:start]), left=ir.Field(name=a),
                                           right=ir.Field(name=b)),
                                   *sides(piece[:first], a, piece[last:], b)]
            return ir.And(args=tuple(said)) if len(said) > 1 else said[0]
        if end >= start or not (piece[:first].strip(" ,;:") or piece[last:].strip(" ,;:")):
            return None
        # The two mentions side by side with words around them ("take amoxicillin 500 mg"):
        # nothing lies between them to relate them by, so the piece is read as it is written.
        return Contains(text=ir.Field(name=name), words=phrase(piece))
    if len(found) == 1:
        start, end, m = found[0]
        near = sides(piece[:start], m, piece[end:], m)
        return (ir.And(args=tuple(near)) if len(near) > 1 else near[0]) if near else None
    return None


def _shown_as(mention: str, piece: str, others: Sequence[str]) -> str:
    """How a mention appears in a piece of its text: whole, or (a name cut short: "Obama" for
    "Barack Obama", "rash" for "severe rash") as its last word or a capitalized word of it that no
    other mention has; "" when it does not."""
    if mention.strip() and mention in piece:
        return mention
    words = [w.strip(",.;:") for w in mention.split()]
    if len(words) < 2:
        return ""
    shared = {w for o in others for w in o.split()}
    for w in [words[-1], *[w for w in words[:-1] if w[:1].isupper()]]:
        if len(w) >= 3 and w.lower() not in STOP_WORDS and w not in shared and re.search(
                rf"\b{re.escape(w)}\b", piece):
            return w
    return ""


def _readings(symbols: Sequence[Symbol], ctx: Context, out: Parsed, cap: int
              ) -> tuple[list[tuple[ir.Expr, str | None]], UnexpectedInput | None]:
    text, at = render(symbols)
    tree = parse_symbols(text)
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
        when = simplify(when)
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
    starts = [0] + [i + 1 for i, s in enumerate(symbols) if s.name in SEPARATORS]
    ends = {i for i, s in enumerate(symbols) if s.name in SEPARATORS or s.name in _MODIFIERS}
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
    skipped = [s for k, s in enumerate(symbols) if k not in used and s.name not in SEPARATORS]
    skipped += [s for k, s in enumerate(symbols) if k in used and s in unknown]
    # A clause left out whole says something the reading does not read.
    left_out = [s if k not in used else Symbol(",", ",", s.start, s.end)
                for k, s in enumerate(symbols)]
    lost = _unread_clauses(left_out, [s for s in left_out if s.name == "WORD"])
    readings: list[Reading] = []
    for combo in itertools.islice(itertools.product(*[piece(i, j) for i, j in pieces]), cap):
        label = next((lab for _, lab in combo if lab is not None), None)
        when = simplify(ir.And(tuple(w for w, _ in combo))) if len(combo) > 1 else combo[0][0]
        if all(r.when != when for r in readings):
            said, dropped = _words_of(skipped, ctx, when)
            readings.append(Reading(when, label, said,
                                    dropped + tuple(w for w in lost if w not in dropped)))
    return readings


def simplify(expr: ir.Expr) -> ir.Expr:
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

