"""Domain statements grounded in the example: a sentence with no reading, read by its words.

Writers often state what they know about the domain instead of what the text says: "Gift card
purchases are a classic sign of fraud", "Sore legs mean a rest day", "Swimming laps is cardio".
Such a sentence has no reading in the grammar, but the words it shares with the example's text
are what it points at. When the whole sentence has no reading and holds no quote, it is read as
``contains`` of the words it shares with the example:

- A *run* is a longest sequence of the sentence's words that occurs, in that order and as whole
  tokens (any case, or another inflection: ``grounding.inflected``), in one of the example's
  text fields; it opens and ends with a *content* word: no stop word, no word of the grammar's
  (negation, relation, comparison, a verb class such as "is" or "has"), and no name the grammar
  reads by name (a label, a field, a word list, a mention or a mention's words). Judgement
  words ("classic", "sign", "common") are not in the example, so they are never grounded.
- Runs joined by "and", "or", "&", "plus", "both", an article or a comma, or written side by
  side ("sore legs" over "legs too sore"), or in two clauses joined by "and" (not "but"), are
  one *group*: the text contains all of them ("or": any). Single content words listed with the
  group by "or" are alternatives though the example lacks them ("run or jog is cardio"); a
  group joined by "and" or "or" to anything else gives no reading ("sets and a weight in
  kilograms": the weight would be lost).
- The group read is the sentence's first (the subject comes first in a statement: "Sore legs
  mean a rest day"), or the first after "because" or "since" (the reason: "I'd label it cardio
  because the person went for a run").
- A sentence that names a mention or holds its words, or weighs two things ("but",
  "although"), gives no reading: what it says of the mention, or which side wins, would be lost.
- A negation anywhere in the sentence ("not", "no", "never", "didn't") gives no reading: a
  reading without the NOT would say the opposite of what was meant; so does a number, or a
  word of relation or comparison ("under", "more", "only", "between") outside the group: the
  reading would say less than the sentence.

Every other word is reported as skipped, the grounded words and any other run left unread as a
warning, so nothing is read silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from explicate import ir
from explicate.grammar.explanation.grounding import inflected
from explicate.grammar.explanation.lexicon import Context, Lexeme
from explicate.grammar.explanation.vocabulary import CLASS_OF, CONTENT_WORDS, NUMBER_WORDS
from explicate.primitives.text import Contains

# How the grammar's note on unquoted words the example lacks opens (``say_clauses``): such a
# sentence may still be a statement about other words it has.
UNGROUNDED = "unquoted words "
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z0-9]+)*")
# Words that open the reason for a label: the group after them is the condition.
_REASON = frozenset({"because", "since", "cause", "cuz", "bc"})
# What may stand between two runs of one group; "or" makes the group an alternative.
_JOINERS = frozenset({"and", "or", ",", "&", "+", "plus", "both", "the", "a", "an"})
_CONTRAST = frozenset({"but", "yet", "although", "though", "while", "whereas", *_REASON})
_ALTERNATIVE = frozenset({"or", ","})
# A sentence that weighs two things ("the script is thin but the actor is good"): a statement
# reading would take one side of it.
_WEIGHING = frozenset({"but", "yet", "although", "though", "whereas", "however"})
# Words that say more than that the text contains words: relation, order, comparison, a count.
_MORE = (CONTENT_WORDS - {"or"}) | set(NUMBER_WORDS) | {"ending", "starting", "beginning",
                                                         "thousand", "million", "dollars",
                                                         # a named list the grammar reads
                                                         "list", "lists"}
_NEGATION = frozenset({"not", "no", "never", "none", "neither", "nor", "without", "nothing",
                       "nobody", "cannot", "lacks", "lack", "missing", "absent", "isnt", "wasnt",
                       "didnt", "doesnt", "dont", "cant", "wont", "arent", "werent", "aint",
                       "hasnt", "havent", "hadnt", "couldnt", "wouldnt", "shouldnt", "nope"})


@dataclass(frozen=True)
class Statement:
    """A domain statement's reading: the condition, the example's words it reads (``grounded``),
    the sentence's words it does not (``skipped``) and its warnings."""

    when: ir.Expr
    grounded: tuple[str, ...]
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Run:
    start: int  # first and one-past-last lexeme index
    end: int
    field: str
    example: str  # the example's characters for it


def negated(lexemes: Sequence[Lexeme]) -> bool:
    """Whether the sentence holds a word of negation ("not", "no", "didn't", "isnt")."""
    for lx in lexemes:
        low = lx.text.lower().replace("’", "'")
        if low in _NEGATION or low.endswith("n't") or low.replace("'", "") in _NEGATION:
            return True
    return False


def _names(ctx: Context) -> set[str]:
    """Lower-case words the grammar reads by name: labels, fields, lists, mentions and the
    words of the example's mentions."""
    names = {w for n in (*ctx.labels, *ctx.texts, *ctx.word_lists, *ctx.spans, *ctx.numbers)
             for w in (n.lower(), *n.lower().replace("_", " ").split())}
    for m in ctx.spans:
        value = ctx.example.get(m)
        if isinstance(value, str):
            names |= set(_TOKEN.findall(value.lower()))
    return names


def _content(word: str, names: set[str]) -> bool:
    """Whether ``word`` may open or end a run."""
    return (word.isalnum() and word not in STOP_WORDS and word not in CONTENT_WORDS
            and word not in CLASS_OF and word not in names)


def _same(word: str, there: str) -> bool:
    return word == there or (word not in STOP_WORDS and inflected(word, there))


def _match(words: Sequence[str], ctx: Context) -> tuple[str, str] | None:
    """(field, the example's characters) of the text field holding ``words`` in order as whole
    tokens: the sentence's focused field if it holds them, else the one field that does; None
    when none does, or when several do and the sentence names none (which one is a guess)."""
    found: list[tuple[str, str]] = []
    for name in sorted(ctx.texts, key=lambda f: f != ctx.focus):
        value = ctx.example.get(name)
        if not isinstance(value, str):
            continue
        toks = list(_TOKEN.finditer(value.lower()))
        for i in range(len(toks) - len(words) + 1):
            window = toks[i : i + len(words)]
            if all(_same(w, t.group()) for w, t in zip(words, window, strict=True)):
                if name == ctx.focus:
                    return name, value[window[0].start() : window[-1].end()]
                found.append((name, value[window[0].start() : window[-1].end()]))
                break
    return found[0] if len(found) == 1 else None


def _runs(lexemes: Sequence[Lexeme], ctx: Context) -> list[_Run]:
    """The sentence's runs, left to right, each the longest from where it opens."""
    names = _names(ctx)
    words = [lx.text.lower() if lx.kind == "word" else "" for lx in lexemes]
    out: list[_Run] = []
    i = 0
    while i < len(words):
        found = None
        if _content(words[i], names):
            j = i
            # A run is content words only: "a photo of the error screen" is "photo" and
            # "error screen", the words a writer would quote.
            while j < len(words) and _content(words[j], names):
                j += 1
            for end in range(j, i, -1):
                if not _content(words[end - 1], names):
                    continue
                got = _match(words[i:end], ctx)
                if got is not None:
                    found = _Run(i, end, *got)
                    break
        if found is None:
            i += 1
            continue
        out.append(found)
        i = found.end
    return out


def _groups(runs: list[_Run], lexemes: Sequence[Lexeme]) -> list[list[_Run]]:
    """Runs joined by a conjunction or a comma, or side by side, as one group each."""
    groups: list[list[_Run]] = []
    for run in runs:
        if groups:
            between = [lx.text.lower() for lx in lexemes[groups[-1][-1].end : run.start]]
            # Joined directly, or by a clause-level "and" ("the courier left it in the porch,
            # and the customer got it"); "but" and a reason open what the writer means instead.
            if all(w in _JOINERS for w in between) or (
                    "and" in between and not _CONTRAST.intersection(between)):
                groups[-1].append(run)
                continue
        groups.append([run])
    return groups


def _chosen(groups: list[list[_Run]], lexemes: Sequence[Lexeme]) -> list[_Run]:
    """The group the statement is about: the first after a word of reason, else the first."""
    reason = next((k for k, lx in enumerate(lexemes) if lx.text.lower() in _REASON), None)
    if reason is not None:
        after = [g for g in groups if g[0].start > reason]
        if after:
            return after[0]
    return groups[0]


def _alternatives(lexemes: Sequence[Lexeme], group: list[_Run], ctx: Context
                  ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]] | None:
    """The words listed with the group by "or" that the example lacks ("run or jog or cycling
    is cardio": "jog", "cycling"), before and after it, as (index, word); None when the group
    is joined by "and" or "or" to words that are no single content word ("sets and a weight":
    the reading would leave the weight out)."""
    names = _names(ctx)
    low = [lx.text.lower() if lx.kind in ("word", "punct") else "" for lx in lexemes]

    def walk(k: int, step: int) -> list[tuple[int, str]] | None:
        out: list[tuple[int, str]] = []
        while 0 <= k < len(low) and low[k] in _ALTERNATIVE | {"and"}:
            nxt = k + step
            if low[k] == "," and not (0 <= nxt < len(low) and low[nxt] in ("or", "and")) \
                    and not out:
                return out  # a comma that ends the clause
            while 0 <= nxt < len(low) and low[nxt] in _ALTERNATIVE:
                nxt += step
            if low[k] == "and" or not (0 <= nxt < len(low) and _content(low[nxt], names)):
                return None
            out.append((nxt, lexemes[nxt].text))
            k = nxt + step
        return out

    before, after = walk(group[0].start - 1, -1), walk(group[-1].end, 1)
    if before is None or after is None:
        return None
    return before[::-1], after


def _about_mentions(lexemes: Sequence[Lexeme], ctx: Context) -> bool:
    """Whether the sentence names a mention or holds a mention's words: it says something of the
    mention (where it lies, what is near it), which words the text contains would leave out."""
    mention_words = {m.lower() for m in ctx.spans}
    for m in ctx.spans:
        value = ctx.example.get(m)
        if isinstance(value, str):
            mention_words |= {w for w in _TOKEN.findall(value.lower()) if w not in STOP_WORDS}
    return any(lx.kind == "word" and lx.text.lower() in mention_words for lx in lexemes)


def read_statement(lexemes: Sequence[Lexeme], ctx: Context,
                   sentence: Sequence[Lexeme] | None = None) -> Statement | None:
    """The sentence's condition (``lexemes``) read as a domain statement (see the module
    docstring), or None: the whole ``sentence`` (by default the lexemes; with its preamble and
    conclusion) holds a quote or a negation, or no run of its words is in the example."""
    whole = lexemes if sentence is None else sentence
    if not ctx.example or any(lx.kind == "quote" for lx in whole) or negated(whole):
        return None
    if _about_mentions(whole, ctx) or any(lx.text.lower() in _WEIGHING for lx in whole):
        return None
    runs = _runs(lexemes, ctx)
    if not runs:
        return None
    groups = _groups(runs, lexemes)
    group = _chosen(groups, lexemes)
    used = {k for r in group for k in range(r.start, r.end)}
    if any(k not in used and (lx.kind == "num" or lx.text.lower() in _MORE)
           for k, lx in enumerate(lexemes)):
        return None  # a number, relation or comparison the reading would leave out
    listed = _alternatives(lexemes, group, ctx)
    if listed is None:
        return None
    before, after = listed
    used |= {k for k, _ in (*before, *after)}
    alternative = bool(before or after) or any(
        lx.text.lower() == "or" for lx in lexemes[group[0].start : group[-1].end])
    # A run said twice ("tannins ... firm tannins") is read once, in its longest form.
    group = [r for r in group if not any(
        o is not r and r.example.lower() in o.example.lower() for o in group)]
    parts: list[ir.Expr] = [Contains(text=ir.Field(name=group[0].field),
                                     words=ir.Phrase(text=w, case_sensitive=False))
                            for _, w in before]
    for r in group:
        written = " ".join(lx.text for lx in lexemes[r.start : r.end])
        # The example's own characters; with another inflection, the writer's words too.
        words: ir.Expr = ir.Phrase(text=r.example, case_sensitive=False)
        if written.lower() != r.example.lower():
            words = ir.AnyOf(items=(ir.Phrase(text=written, case_sensitive=False),
                                    ir.Phrase(text=r.example, case_sensitive=False)))
        parts.append(Contains(text=ir.Field(name=r.field), words=words))
    parts += [Contains(text=ir.Field(name=group[-1].field),
                       words=ir.Phrase(text=w, case_sensitive=False)) for _, w in after]
    when: ir.Expr = parts[0] if len(parts) == 1 else (
        ir.Or(args=tuple(parts)) if alternative else ir.And(args=tuple(parts)))
    grounded = tuple(r.example for r in group)
    skipped = tuple(lx.text for k, lx in enumerate(lexemes)
                    if k not in used and lx.kind in ("word", "num"))
    warnings = ["read as a statement about the example's words: "
                + ", ".join(f"'{g}'" for g in grounded)
                + (f" in {group[0].field}" if len(ctx.texts) > 1 else "")]
    if before or after:
        warnings.append("read the words listed with them by 'or' as alternatives: "
                        + ", ".join(f"'{w}'" for _, w in (*before, *after)))
    others = [r.example for g in groups if g is not group for r in g]
    if others:
        warnings.append("also in the example, not read: " + ", ".join(f"'{o}'" for o in others))
    return Statement(when, grounded, skipped, tuple(warnings))
