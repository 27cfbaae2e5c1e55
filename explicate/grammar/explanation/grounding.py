"""Unquoted content grounded in the example: words named without quotes, read as a quote.

Experts and crowd workers name the words they saw without quotes: "the tweet mentions the
delay", "it says nobody told us anything", "talks about a refund", "uses the word amazing".
After a verb of saying, containing, using or mentioning (and its crowd spellings: "sez",
"mentiones"), the longest run of the sentence's words that occurs in the example's text (whole
tokens, any case) is read as if it were quoted; in the generous reading (``operands=True``) so is
the operand of a word of place or order ("after refunds", "followed by never leaked", "next to
the fee").

A run never names a field, a mention (by its field name or its words), a word list or a label;
it never opens with a pronoun ("after it"), never opens or ends with an article or a conjunction
("benefits and": the writer joins two things), never ends with a word of negation, relation or
comparison ("mentions refund not airline" keeps NOT) and is no such word alone (a longer run
may open with one the example has: "says nobody told us"). A negation before the verb is not in the
run ("does not mention refund").

A word the example has in another inflected form ("delay" for "delayed", "refunds" for
"refund") is grounded too: the quote is then any of the writer's words and the example's ("any
of ('delay', 'delayed')"). Only inflections count (-s, -es, -ed, -d, -ing, -ies, -ied), both
words of four letters or more and neither a keyword nor a stop word: "former" is not "form",
"lovely" not "love". Every grounded run is reported (``Grounded``), so nothing is read silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation.lexicon import Context, Lexeme, keywords
from explicate.grammar.explanation.vocabulary import CLASS_OF, CONTENT_WORDS

# Verbs after which the words that follow are what the text says (as the grammar spells them).
_SAYING = frozenset({"says", "say", "said", "mentions", "mention", "mentioned", "uses", "use",
                     "used", "reads", "writes", "wrote", "contains", "contain",
                     "includes", "include", "states", "stated", "quotes"})
# Those the grammar reads as a verb of containing; the others are read as "says" before a quote.
_GRAMMAR_VERBS = frozenset({"says", "say", "mentions", "mention", "uses", "use", "contains",
                            "contain", "includes", "include"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "isn't", "wasn't"})
# The crowd's spellings of them, read as the grammar's word.
_CROWD_SPELLINGS = {"sez": "says", "sayz": "says", "sais": "says", "sayes": "says",
                    "mentiones": "mentions", "mentionz": "mentions", "mentons": "mentions",
                    "metions": "mentions", "menions": "mentions", "mension": "mentions",
                    "mensions": "mentions", "containes": "contains", "contians": "contains",
                    "usees": "uses", "useses": "uses"}
# Two-word verbs of saying: "talks about", "refers to".
_SAYING_PAIRS = frozenset({("talks", "about"), ("talk", "about"), ("talked", "about"),
                           ("talking", "about"), ("speaks", "about"), ("speaks", "of"),
                           ("refers", "to"), ("complains", "about")})
# Words of place or order whose operand may be grounded (generous reading only).
_PLACE = frozenset({"before", "after", "following", "preceding", "behind", "follows",
                    "precedes"})
_PLACE_PAIRS = frozenset({("followed", "by"), ("preceded", "by"), ("next", "to")})
# Nouns that introduce the words themselves: "uses the word amazing".
_WORD_NOUNS = frozenset({"word", "words", "term", "terms", "phrase", "phrases"})
_ARTICLES = frozenset({"the", "a", "an"})
_PRONOUNS = frozenset({"it", "its", "it's", "them", "they", "their", "this", "that", "these",
                       "those", "he", "she", "him", "her", "his", "hers", "which", "what"})
_CONJUNCTIONS = frozenset({"and", "or", "but", "nor", "&", "+", "plus", "then"})
# Inflections: two forms of one word differ only in these endings ("delay", "delayed").
_STEM_ENDINGS = frozenset({"", "e", "y"})
_INFLECTIONS = frozenset({"s", "es", "ed", "d", "ing", "ies", "ied"})
_MIN_INFLECTED = 4
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z0-9]+)*")


@dataclass(frozen=True)
class Grounded:
    """Words written without quotes and read as a quote: ``written`` as the writer typed them,
    ``example`` the example's words they were matched to (other where a word is inflected)."""

    written: str
    example: str

    def note(self) -> str:
        if self.written.lower() == self.example.lower():
            return f"read the unquoted words '{self.written}' as a quote (the example's words)"
        return (f"read the unquoted words '{self.written}' as a quote: any of '{self.written}' "
                f"or the example's '{self.example}'")


def _low(lx: Lexeme | None) -> str:
    return lx.text.lower() if lx is not None and lx.kind == "word" else ""


def inflected(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are two inflected forms of one word ("delay" / "delayed",
    "refund" / "refunds", "crashes" / "crashed", "try" forms aside: both of four letters or
    more); never a derivation ("form" / "former", "love" / "lovely", "plan" / "plane")."""
    if a == b or min(len(a), len(b)) < _MIN_INFLECTED or not (a.isalpha() and b.isalpha()):
        return False
    common = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
    ends = sorted((a[common:], b[common:]), key=len)
    if common < _MIN_INFLECTED - 1 or not all(e in _STEM_ENDINGS | _INFLECTIONS for e in ends):
        return False
    # One stem form and one inflection, or two inflections ("crashes" / "crashed").
    return (ends[0] in _STEM_ENDINGS and ends[1] in _INFLECTIONS) or (
        ends[0] in _INFLECTIONS and ends[1] in _INFLECTIONS)


def _texts(ctx: Context) -> list[tuple[str, list[re.Match[str]]]]:
    """Each text field's value and its tokens (lower case)."""
    out = []
    for name in ctx.texts:
        value = ctx.example.get(name)
        if isinstance(value, str):
            out.append((value, list(_TOKEN.finditer(value.lower()))))
    return out


def _names(ctx: Context) -> set[str]:
    """Lower-case words that name something the grammar reads by name."""
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels,
                                 *ctx.numbers)}
    for m in ctx.spans:
        value = ctx.example.get(m)
        if isinstance(value, str):
            names |= set(_TOKEN.findall(value.lower()))
    return names


def _may_be(word: str, there: str, known: frozenset[str]) -> bool:
    """Whether the written token ``word`` stands for the example's token ``there``."""
    return word == there or (word not in known and word not in STOP_WORDS
                             and inflected(word, there))


def _find(words: Sequence[str], texts: list[tuple[str, list[re.Match[str]]]],
          known: frozenset[str]) -> str | None:
    """The example's own characters for ``words`` (an exact occurrence first, else one where
    some words are other inflections of the example's), or None."""
    best: str | None = None
    for value, toks in texts:
        for i in range(len(toks) - len(words) + 1):
            window = toks[i : i + len(words)]
            if not all(_may_be(w, t.group(), known) for w, t in zip(words, window, strict=True)):
                continue
            found = value[window[0].start() : window[-1].end()]
            if all(w == t.group() for w, t in zip(words, window, strict=True)):
                return found
            best = best or found
    return best


def _edge_ok(word: str, known: frozenset[str]) -> bool:
    """Whether a run may open or end with ``word``."""
    return word not in _ARTICLES and word not in _CONJUNCTIONS and word not in CONTENT_WORDS \
        and not (word in known and CLASS_OF.get(word) is not None)


def grounded_run(lexemes: Sequence[Lexeme], i: int, ctx: Context, said: bool = True
                 ) -> tuple[int, Grounded] | None:
    """(length, what was read) of the longest run of word lexemes from ``i`` that the example
    has (see the module docstring), or None. ``said``: the run is what a verb of saying says,
    so a longer one may hold a mention's words and open with an article, as the example has
    them ("it says the staff were rude"); an operand of place stops at a name (the mention is
    read by name) and opens with no article."""
    known = keywords()
    names = _names(ctx)
    run = 0
    while i + run < len(lexemes) and lexemes[i + run].kind == "word" \
            and (said or _low(lexemes[i + run]) not in names):
        run += 1
    first = _low(lexemes[i]) if i < len(lexemes) else ""
    if not run or first in _PRONOUNS or first in _CONJUNCTIONS or (
            first in _ARTICLES and not said):
        return None
    texts = _texts(ctx)
    for k in range(run, 0, -1):
        words = [_low(lx) for lx in lexemes[i : i + k]]
        # Names alone are read by name; after a verb of saying, an article and a mention's
        # words are a phrase of the text ("says the battery was 'dead'": what follows is said
        # of the battery, not a word the review contains).
        if not _edge_ok(words[-1], known) or all(w in names or w in _ARTICLES for w in words) \
                and not (said and k > 1 and words[0] in _ARTICLES):
            continue
        # One word alone is no keyword, negation or relation word; a longer run may open with
        # the example's own ("says nobody told us").
        if k == 1 and (words[0] in known or not _edge_ok(words[0], known)):
            continue
        found = _find(words, texts, known)
        if found is not None:
            written = " ".join(lx.text for lx in lexemes[i : i + k])
            return k, Grounded(written, found)
    return None


def _quote(lexemes: Sequence[Lexeme], got: Grounded) -> list[Lexeme]:
    """The lexemes a grounded run is read as: one quote, or "any of (written, example's)"."""
    a, b = lexemes[0].start, lexemes[-1].end
    if got.written.lower() == got.example.lower():
        return [Lexeme("quote", got.written, got.written, a, b)]
    return [Lexeme("word", "any", "any", a, a), Lexeme("word", "of", "of", a, a),
            Lexeme("punct", "(", "(", a, a), Lexeme("quote", got.written, got.written, a, b),
            Lexeme("punct", ",", ",", b, b), Lexeme("quote", got.example, got.example, b, b),
            Lexeme("punct", ")", ")", b, b)]


def _trigger(lexemes: Sequence[Lexeme], i: int, operands: bool) -> int:
    """How many lexemes from ``i`` are a verb of saying (or, with ``operands``, a word of place)
    after which a run may be grounded (0 when none)."""
    low = _low(lexemes[i])
    nxt = _low(lexemes[i + 1]) if i + 1 < len(lexemes) else ""
    if low in _SAYING or low in _CROWD_SPELLINGS:
        return 1
    if (low, nxt) in _SAYING_PAIRS:
        return 2
    if operands and low in _PLACE:
        return 1
    if operands and (low, nxt) in _PLACE_PAIRS:
        return 2
    return 0


def ground(lexemes: Sequence[Lexeme], ctx: Context, operands: bool = False
           ) -> tuple[list[Lexeme], list[Grounded]]:
    """The lexemes with each grounded run read as a quote, and what was grounded (see the
    module docstring). ``operands``: ground the operands of words of place and order too."""
    if not ctx.example or not any(_texts(ctx)):
        return list(lexemes), []
    out: list[Lexeme] = []
    found: list[Grounded] = []
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        k = _trigger(lexemes, i, operands) if lx.kind == "word" else 0
        if not k:
            out.append(lx)
            i += 1
            continue
        verb = list(lexemes[i : i + k])
        i += k
        # "uses the word amazing": the article and the word noun stay, the words are grounded.
        said = _low(lx) in _SAYING or _low(lx) in _CROWD_SPELLINGS or (
            _low(lx), _low(verb[-1])) in _SAYING_PAIRS
        j = i + (_low(lexemes[i] if i < len(lexemes) else None) in _ARTICLES)
        noun: list[Lexeme] = []
        if j < len(lexemes) and _low(lexemes[j]) in _WORD_NOUNS:
            noun, i = list(lexemes[i : j + 1]), j + 1
        got = grounded_run(lexemes, i, ctx, said)
        if got is None and j > i:
            got = grounded_run(lexemes, j, ctx, said)  # "mentions the delay": no article quoted
            i = j if got is not None else i
        if _low(lx) in _CROWD_SPELLINGS:
            verb = [Lexeme("word", _CROWD_SPELLINGS[_low(lx)], _CROWD_SPELLINGS[_low(lx)],
                           lx.start, lx.end)]
        elif _low(lx) in _SAYING and k == 1 and _low(lx) not in _GRAMMAR_VERBS and (
                got is not None or (_low(lx) != "reads" and i < len(lexemes)
                                    and lexemes[i].kind == "quote")) \
                and _low(out[-1] if out else None) not in _BE:
            # "it wrote refund": the grammar's verb ("refund is mentioned" stays, and so does
            # "the amount reads 'a pinch'": the grammar reads it as what the mention is).
            verb = [Lexeme("word", "says", "says", lx.start, lx.end)]
        if got is None:
            out += verb + noun
            continue
        n, what = got
        quote = _quote(lexemes[i : i + n], what)
        # "the word" names one quote; words in two forms are "any of" them.
        out += verb + (noun if len(quote) == 1 else []) + quote
        found.append(what)
        i += n
    return out, found
