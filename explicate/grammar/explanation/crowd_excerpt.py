"""Finding the words a crowd worker copied from the example, as they typed them.

Crowd workers copy a few words of the example and type them their own way: in lower case, without
apostrophes ("wont" for "won't"), in chat short forms ("u" for "you"), with a slip
("disapeared" for "disappeared") or another spelling ("colour" for "color"), with a number cut
in two by the scanner ("6.1"). A copied run is found here token by token against each text
field of the example, each token compared by its plain form (letters and digits, lower case,
apostrophes left out, short forms written out) and, for a word of five letters or more that the
example does not have, by one slip (two from eight letters; never another form of the same word,
"crashed" for "crashes", which may be meant). What is found is reported in the example's own
spelling, so the quote a reading makes of it matches the text it is applied to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from explicate.grammar.explanation.crowd_typos import _another_form
from explicate.grammar.explanation.lexicon import Context, Lexeme, edit_distance

# Chat short forms as the full words the example has.
SHORT_FORMS: Mapping[str, str] = {
    "u": "you", "ur": "your", "r": "are", "n": "and", "thru": "through", "tho": "though",
    "pls": "please", "plz": "please", "b4": "before", "ppl": "people", "msg": "message",
    "im": "i'm", "ive": "i've", "wont": "won't", "cant": "can't", "idk": "i don't know",
}
_TOKEN = re.compile(r"[a-z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'’")
_MIN_SLIP = 5


# One plain token for words written two ways ("can't" is also typed "cannot").
_ONE_TOKEN = {"cannot": "cant"}


def plain(text: str) -> list[str]:
    """The plain tokens of ``text``: lower case, apostrophes left out, split at anything that is
    neither a letter nor a digit ("Won't" → ["wont"], "6.1" → ["6", "1"])."""
    return [_ONE_TOKEN.get(t, t) for t in _TOKEN.findall(text.lower().translate(_APOSTROPHES))]


@dataclass(frozen=True)
class Token:
    """One plain token of a text field, with where it lies in the field's value."""

    key: str
    start: int
    end: int


def field_tokens(ctx: Context) -> dict[str, tuple[Token, ...]]:
    """Each text field's plain tokens in order, with their offsets in the example's value."""
    texts = tuple((n, v) for n in ctx.texts if isinstance(v := ctx.example.get(n), str))
    return dict(_tokens_of(texts))


@functools.lru_cache(maxsize=64)
def _tokens_of(texts: tuple[tuple[str, str], ...]
               ) -> tuple[tuple[str, tuple[Token, ...]], ...]:
    """(field, tokens) per text; cached, as one explanation asks for them many times."""
    out: dict[str, tuple[Token, ...]] = {}
    for name, value in texts:
        toks = []
        for m in re.finditer(r"[A-Za-z0-9]+(?:['’][A-Za-z0-9]+)*", value):
            # "won't" is one token ("wont"), spanning the word with its apostrophe.
            key = m.group().lower().translate(_APOSTROPHES)
            toks.append(Token(_ONE_TOKEN.get(key, key), m.start(), m.end()))
        out[name] = tuple(toks)
    return tuple(out.items())


def lexeme_tokens(lexemes: Sequence[Lexeme]) -> list[tuple[int, str]]:
    """(lexeme index, plain token) for each plain token of the word, number and possessive
    lexemes, short forms written out; a possessive joins the word before it ("Depp" "'s" →
    "depps", as the example's "Depp's" reads)."""
    out: list[tuple[int, str]] = []
    for i, lx in enumerate(lexemes):
        if lx.kind == "poss" and out and out[-1][0] == i - 1:
            out[-1] = (i, out[-1][1] + "s")
            continue
        low = lx.text.lower()
        for tok in plain(SHORT_FORMS.get(low, low)):
            out.append((i, tok))
    return out


def _same(written: str, there: str, vocab: frozenset[str]) -> bool:
    """Whether a written token is the example's token: equal, or (five letters or more, a word
    the example lacks) one slip from it (two from eight letters), not another form of it."""
    if written == there:
        return True
    if not vocab or len(written) < _MIN_SLIP or written in vocab or not written.isalpha():
        return False
    limit = 1 if len(written) < 8 else 2
    return edit_distance(written, there, limit) <= limit and not _another_form(written, there)


@functools.lru_cache(maxsize=4096)
def _slips_of(written: str, vocab: frozenset[str]) -> frozenset[str]:
    """The example's tokens ``written`` is one slip of (cached: a note's words are looked up
    once per run tried)."""
    return frozenset(v for v in vocab if abs(len(v) - len(written)) <= 2
                     and _same(written, v, vocab))


@dataclass(frozen=True)
class Excerpt:
    """A run of written tokens found in one text field, in the example's spelling."""

    field: str
    text: str  # the example's own characters for the run
    slips: int  # written tokens that matched by a slip
    start: int  # where the run lies in the field's value
    end: int


def names_mention(excerpt: Excerpt, ctx: Context) -> bool:
    """Whether the run overlaps an occurrence of a mention of its field in the example (it is
    then said of the mention, which the grammar reads by name)."""
    value = ctx.example.get(excerpt.field)
    if not isinstance(value, str):
        return False
    low = value.lower()
    for m, text in ctx.spans.items():
        mention = ctx.example.get(m)
        if text != excerpt.field or not isinstance(mention, str) or not mention.strip():
            continue
        for hit in re.finditer(re.escape(mention.lower()), low):
            if hit.start() < excerpt.end and excerpt.start < hit.end():
                return True
    return False


def plain_words(words: Sequence[str]) -> list[str]:
    """The plain tokens of lowercased written words, short forms written out, a possessive
    "'s" joined to the word before it."""
    out: list[str] = []
    for w in words:
        if w in ("'s", "’s") and out:
            out[-1] += "s"
            continue
        out += plain(SHORT_FORMS.get(w, w))
    return out


def find(words: Sequence[str], ctx: Context, fields: Mapping[str, Sequence[Token]] | None = None,
         slips: bool = True) -> list[Excerpt]:
    """Where the plain tokens ``words`` occur together in the example, per text field (its first
    occurrence there, the one with fewest slips); without ``slips`` only exact plain matches."""
    if not words:
        return []
    toks = field_tokens(ctx) if fields is None else fields
    vocab = frozenset(t.key for ts in toks.values() for t in ts)
    # The example's tokens each written token may be: itself, or (``slips``) one slip away.
    may_be = {w: frozenset({w} & vocab) if not slips or w in vocab or len(w) < _MIN_SLIP
              else _slips_of(w, vocab) for w in set(words)}
    if any(not keys for keys in may_be.values()):
        return []
    out: list[Excerpt] = []
    for name, ts in toks.items():
        best: tuple[int, int] | None = None
        for i in range(len(ts) - len(words) + 1):
            if not all(ts[i + k].key in may_be[w] for k, w in enumerate(words)):
                continue
            missed = sum(w != ts[i + k].key for k, w in enumerate(words))
            if best is None or missed < best[1]:
                best = (i, missed)
            if missed == 0:
                break
        if best is not None:
            i, missed = best
            value = str(ctx.example[name])
            a, b = ts[i].start, ts[i + len(words) - 1].end
            out.append(Excerpt(name, value[a:b], missed, a, b))
    return out


def longest_prefix(lexemes: Sequence[Lexeme], start: int, ctx: Context
                   ) -> tuple[int, list[Excerpt]]:
    """(end, excerpts): the end of the longest run of word, number and possessive lexemes from
    ``start`` that is an excerpt of the example, and where it is (``start`` and [] when none)."""
    end = start
    while end < len(lexemes) and lexemes[end].kind in ("word", "num", "poss"):
        end += 1
    fields = field_tokens(ctx)
    toks = lexeme_tokens(lexemes[start:end])
    for k in range(len(toks), 0, -1):
        last = toks[k - 1][0]
        if k < len(toks) and toks[k][0] == last:
            continue  # a lexeme is taken whole ("6.1", not "6")
        found = find([t for _, t in toks[:k]], ctx, fields)
        if found:
            return start + last + 1, found
    return start, []


def glued_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a number and the letters typed onto it ("401k", "3pm", "2nd") as one
    word where the example has that one token: the scanner cuts it in two, and "401k" would then
    be read as the number 401,000, or as "401" and an unknown "k", not the example's word."""
    vocab = {t.key for ts in field_tokens(ctx).values() for t in ts}
    if not vocab:
        return list(lexemes)
    out: list[Lexeme] = []
    for lx in lexemes:
        last = out[-1] if out else None
        if last is not None and last.kind == "num" and lx.kind == "word" \
                and last.end == lx.start and (text := last.text + lx.text).lower() in vocab:
            out[-1] = Lexeme("word", text, text, last.start, lx.end)
            continue
        out.append(lx)
    return out
