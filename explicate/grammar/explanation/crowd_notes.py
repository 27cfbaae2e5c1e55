"""Terse crowd notes: an excerpt of the example and a remark ("terrible waste = against",
"attributed to means it caused it", "click here is always a scam", "worst idea ever lol",
"her husband").

Crowd workers often write no sentence at all: they copy a few words of the example, unquoted,
and add why those words decide the label. The grammar reads neither part: the remark is not a
condition, and the copied words, taken one by one, are keywords ("at any time") or nothing.

- ``cut_remark`` marks where the remark starts, for ``speech.split_conclusion`` to cut and
  report it: always at "means", or at "=" before words (a conclusion, as after "which means");
  after a comma, or after an excerpt that opens the note where a remark's opening word follows
  ("is", "thats", "lol"), only when the remark says nothing
  checkable of the example (no quote, number, field, mention, list, negation, relation,
  letter-case or place word, no slip of an example word, and no word of the example's own
  besides stop words).
  After an excerpt that is no mention and has a word that is not a stop word, a judgement
  of it is cut too, though it may use the example's or a list's words ("roads underwater
  thats a flood", "button colour is cosmetic", "reuters reported it"; ``_judgement``: no field,
  mention, negation, relation or form word), and so is what follows "so" ("separate tumours so
  no link"); after a comma, a judgement that names a kind ("..., thats an interaction").
  Excerpts are found as typed (``crowd_excerpt``: "u wont", a slip, "6.1").
- ``quote_excerpts``: a run-on of such excerpts joined by "and", "+" or commas ("sole discretion
  and without notice", "widow, late husband") is each of them quoted, joined by "and"; only
  when every part is one.
- ``quote_excerpt``: what is left, when it is wholly a run of one text field's own words in
  order (punctuation aside) and names no mention, field or list, is that run quoted: "<field> says
  '<run>'"; in a task with two mentions, a run of two words or more that lies between them in the
  example is said to be between them ("her husband" → "'her husband' is between them"). The
  quote is the example's own spelling; a closing letter case ("SHOCKING in caps") is kept when
  the example shows the excerpt in it; "MENTION words MENTION" as written in the example is
  "MENTION 'words' MENTION" ("cdk2 phosphorylates rb").

All only rewrite lexemes; what they change is read by the grammar as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation import crowd_excerpt
from explicate.grammar.explanation.crowd_typos import nearest_example_word
from explicate.grammar.explanation.lexicon import CONTENT_WORDS, Context, Lexeme

# The kind of the lexeme that marks where a remark starts (cut by ``speech.split_conclusion``).
REMARK = "remark"
# Words that open a conclusion whatever follows ("X means Y", "X = Y").
_ALWAYS = frozenset({"means", "mean"})
# Filler that may open a terse note ("just governing law", "says claim your prize").
_OPENERS = frozenset({"just", "its", "it's", "a", "an", "because", "cause", "bc", "cuz", "coz",
                      "of", "it", "says", "said", "the", "phrase", "words", "word", "asks",
                      "asking", "for", "about", "talks", "mentions", "wants", "want", "they", "he", "she",
                      "has", "have", "had"})
# Words that relate the two mentions ("married each other", "work together") or point at a
# place ("born there"): not a remark.
_RELATING = frozenset({"each", "other", "together", "both", "them", "they", "their", "one",
                       "another", "there", "here"})
# Words of letter case and form ("in caps"): a condition, not a remark.
_FORM = frozenset({"caps", "capital", "capitals", "capitalized", "uppercase", "lowercase",
                   "upper", "lower", "case", "letters", "bold", "hashtag", "number", "numbers",
                   "long", "short", "length", "starts", "ends", "first", "last"})
# A tail that opens with these joins another condition ("says cracked and replacment").
# Words a remark opens with after an excerpt ("worst idea ever lol", "click here is always a
# scam", "studied there thats all"); without one, the next words may go on the excerpt ("John
# Smith and his sister" is no excerpt and a remark).
_REMARK_OPENERS = frozenset({"is", "are", "was", "were", "thats", "that's", "its", "it's",
                             "this", "lol", "duh", "obviously", "clearly", "haha", "lmao",
                             "definitely", "probably", "totally", "!", "."})
_NEGATED_BARE = frozenset({"dont", "doesnt", "isnt", "didnt", "wasnt", "arent", "cant", "nor"})
_JOINING = frozenset({"and", "or", "but", "nor", "plus", "also", "&", "+"})
# Content words that in a remark with nothing else checkable qualify the remark itself ("its
# only a rumor", "just sports").
_HEDGES = frozenset({"only", "just"})
_TOKEN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*|['’]s\b")


def _low(lx: Lexeme) -> str:
    return lx.text.lower()


def text_tokens(ctx: Context) -> dict[str, list[str]]:
    """Each text field's words in order, lowercased, punctuation left out ("'s" kept)."""
    out: dict[str, list[str]] = {}
    for name in ctx.texts:
        value = ctx.example.get(name)
        if isinstance(value, str):
            out[name] = [t.replace("’", "'") for t in _TOKEN.findall(value.lower())]
    return out


def _find(tokens: Sequence[str], words: Sequence[str]) -> int:
    """Where ``words`` first occur together in ``tokens`` (-1 when they do not)."""
    k = len(words)
    for i in range(len(tokens) - k + 1):
        if list(tokens[i : i + k]) == list(words):
            return i
    return -1


def excerpt_fields(words: Sequence[str], ctx: Context) -> list[str]:
    """The text fields in which ``words`` (lowercased) occur together, in order, each word as
    written or in its plain form ("wont" for "won't", "u" for "you"; no slips)."""
    return [e.field for e in crowd_excerpt.find(crowd_excerpt.plain_words(words), ctx,
                                                slips=False)]


def _names(ctx: Context) -> set[str]:
    """Lowercased names a note may not quote: fields, lists, and every word of every mention."""
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.numbers)}
    for m in ctx.spans:
        value = ctx.example.get(m)
        if isinstance(value, str):
            names |= set(_TOKEN.findall(value.lower()))
    return names


def _names_in(words: Sequence[str], found: Sequence[crowd_excerpt.Excerpt], ctx: Context
              ) -> bool:
    """Whether lowercased ``words`` name a field or list, or the run found of them in the
    example overlaps a mention there: a run that only shares a word with a mention ("stopped
    charging" after "the charging port") names none."""
    fields = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.numbers)}
    return any(w in fields for w in words) or any(
        crowd_excerpt.names_mention(e, ctx) for e in found)


def _list_members(ctx: Context) -> set[str]:
    return {w.lower() for words in ctx.word_lists.values() for p in words for w in p.split()}


def _content_free(lexemes: Sequence[Lexeme], ctx: Context) -> list[bool]:
    """Per lexeme, whether a remark may hold it: a comma, an end mark, "+", "&", or a word that
    is not a field, mention, list or list member, a negation, relation, letter-case or place
    word, a slip of an example word, or a word of the example's that is not a stop word."""
    example = {t for toks in text_tokens(ctx).values() for t in toks}
    blocked = _names(ctx) | _list_members(ctx)
    out: list[bool] = []
    for lx in lexemes:
        if lx.kind in ("punct", "end") or (lx.kind == "other" and lx.text in "+&!"):
            out.append(True)
            continue
        w = _low(lx).replace("n't", "")
        out.append(lx.kind == "word" and not (
            w in blocked or (w in CONTENT_WORDS and w not in _HEDGES) or w in _RELATING
            or w in _FORM or _low(lx).endswith("n't") or w in _NEGATED_BARE
            or (w in example and w not in STOP_WORDS)
            or nearest_example_word(w, ctx) is not None))
    return out


def _remark_starts(lexemes: Sequence[Lexeme], ctx: Context) -> list[bool]:
    """Per position, whether the lexemes from there on are a remark that says nothing
    checkable of the example (see the module docstring): all content free, with a word, not
    opening with a conjunction."""
    free = _content_free(lexemes, ctx)
    out = [False] * (len(lexemes) + 1)
    all_free, word = True, False
    for k in range(len(lexemes) - 1, -1, -1):
        all_free = all_free and free[k]
        word = word or lexemes[k].kind == "word"
        out[k] = all_free and word and _low(lexemes[k]) not in _JOINING
    return out


_DEMONSTRATIVES = frozenset({"that", "this", "it", "which"})
_COPULAS = frozenset({"is", "was", "'s", "’s", "means", "="})
# Words a judgement may open its noun with ("thats a flood", "its so serious").
_JUDGEMENT_FILLER = frozenset({"a", "an", "so", "very", "really", "totally", "definitely",
                               "obviously", "clearly", "probably", "def", "just", "like",
                               "pretty", "super"})


def _judgement(rest: Sequence[Lexeme], ctx: Context, noun: bool = False) -> bool:
    """Whether ``rest``, after an excerpt, is the writer's judgement of it: a pronoun for the
    excerpt alone ("reuters reported it"), or "that/this/it is (a) ..." ("thats a flood", "its
    serious", "= clickbait") whose words say nothing checkable of the example, though they may
    be the example's or a list's own words (the excerpt is called a flood, not said to be one of
    the example's words): no field or mention, negation, relation, comparison, letter-case or
    form word, no quote or number. ``noun``: only "that is a/an ..." (after a comma, where
    what is judged may be more than an excerpt)."""
    words = [lx for lx in rest if lx.kind not in ("end", "punct")]
    if [_low(lx) for lx in words] in (["it"], ["this"], ["that"], ["them"]):
        return True
    k = 1 if words and _low(words[0]) in _DEMONSTRATIVES else 0
    if k >= len(words) or _low(words[k]) not in _COPULAS:
        return False
    k += 1
    if noun and (k >= len(words) or _low(words[k]) not in ("a", "an")):
        return False  # ", thats serious" may be said of a mention before the comma
    while k < len(words) and _low(words[k]) in _JUDGEMENT_FILLER:
        k += 1
    said = words[k:]
    blocked = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.numbers)}
    for m in ctx.spans:
        value = ctx.example.get(m)
        if isinstance(value, str):
            blocked |= set(value.lower().split())  # "#flood" is the hashtag, "flood" a word
    return bool(said) and all(
        lx.kind == "word" and (w := _low(lx)) not in blocked and w not in CONTENT_WORDS
        and w not in _RELATING and w not in _FORM and not w.endswith("n't")
        and w not in _NEGATED_BARE and w not in _LIST_NOUNS for lx in said)


_LIST_NOUNS = frozenset({"word", "words", "term", "terms", "phrase", "phrases", "list"})


def _opening(lexemes: Sequence[Lexeme]) -> int:
    """How many lexemes of filler open the note ("just", "it says", "because of the word")."""
    k = 0
    while k < len(lexemes) and lexemes[k].kind == "word" and _low(lexemes[k]) in _OPENERS:
        k += 1
    return k


def cut_remark(lexemes: list[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a ``REMARK`` marker where a trailing remark starts (see the module
    docstring); unchanged when there is none. A remark with a quote is never cut."""
    last_quote = max((k for k, lx in enumerate(lexemes) if lx.kind == "quote"), default=-1)
    remark = _remark_starts(lexemes, ctx)
    numbers = [k for k, lx in enumerate(lexemes) if lx.kind == "num"]
    for i in range(max(1, last_quote + 1), len(lexemes) - 1):
        lx = lexemes[i]
        # "=" before a number compares ("links = 3"); before words it concludes.
        equals = lx.text == "=" and lexemes[i + 1].kind == "word" and not any(
            k > i for k in numbers)
        # ", thats an interaction": after a comma, a judgement that names a kind of thing.
        # "... so legit": "so" before a remark that says nothing checkable concludes.
        concluded = lx.kind == "word" and _low(lx) == "so" and remark[i + 1]
        if (lx.kind == "word" and _low(lx) in _ALWAYS) or equals or concluded or (
                lx.text == "," and (remark[i + 1] or _judgement(lexemes[i + 1:], ctx, True))):
            return _marked(lexemes, i)
    for start in range(_opening(lexemes) + 1):
        j, found = crowd_excerpt.longest_prefix(lexemes, start, ctx)
        if not start < j < len(lexemes) or j <= last_quote:
            continue
        # "the screen is dim" is said of the mention, no judgement of an excerpt; nor is a run
        # of stop words ("it is so") an excerpt.
        excerpt = not any(crowd_excerpt.names_mention(e, ctx) for e in found) and any(
            _low(lx) not in STOP_WORDS for lx in lexemes[start:j])
        judged = excerpt and (_judgement(lexemes[j:], ctx) or (
            _low(lexemes[j]) == "so" and j + 1 < len(lexemes)))  # "separate tumours so no link"
        if (remark[j] and _low(lexemes[j]) in _REMARK_OPENERS) or judged:
            return _marked(lexemes, j)
    return lexemes


def _marked(lexemes: list[Lexeme], i: int) -> list[Lexeme]:
    """The lexemes with an empty ``REMARK`` marker before the ``i``-th."""
    at = lexemes[i].start
    return [*lexemes[:i], Lexeme(REMARK, "", "", at, at), *lexemes[i:]]


def _between_mentions(words: Sequence[str], field: str, ctx: Context) -> bool:
    """Whether ``words`` lie between the task's two mentions in ``field`` (first occurrences)."""
    mentions = [m for m, t in ctx.spans.items() if t == field]
    toks = text_tokens(ctx).get(field, [])
    if len(ctx.spans) != 2 or len(mentions) != 2:
        return False
    spots = []
    for m in mentions:
        value = ctx.example.get(m)
        at = _find(toks, _TOKEN.findall(value.lower())) if isinstance(value, str) else -1
        if at < 0:
            return False
        spots.append((at, at + len(_TOKEN.findall(str(value).lower()))))
    (_, end), (start, _) = sorted(spots)
    at = _find(toks[end:start], words)
    return at >= 0


def quote_excerpt(lexemes: list[Lexeme], ctx: Context, bare: bool = True) -> list[Lexeme]:
    """The note read as its excerpt quoted (see the module docstring); unchanged when the
    lexemes are not one excerpt of one text field. ``bare``: nothing was cut after it (only a
    bare note of two words or more is read as the words between two mentions). An excerpt that
    names a mention is left to the generous reading, without a verb of saying before it ("says
    born in london": "born in" right before the place)."""
    opened = _opening(lexemes)
    ended = len(lexemes)
    while ended > 1 and lexemes[ended - 1].kind == "end":
        ended -= 1  # "evacuate now!!": the end mark closes the note
    case = _case_tail(lexemes[:ended])
    ended -= len(case)  # "SHOCKING in caps": the excerpt and its letter case
    found: list[crowd_excerpt.Excerpt] = []
    for start in range(opened + 1):
        body = lexemes[start:ended]
        if not body or any(lx.kind not in ("word", "num", "poss") for lx in body):
            return lexemes
        words = [_low(lx).replace("’", "'") for lx in body]
        found = crowd_excerpt.find(crowd_excerpt.plain_words(words), ctx)
        if found:
            break
    else:
        return lexemes
    fields = [e.field for e in found]
    whole = str(ctx.example.get(found[0].field, "")).strip(" .!?").lower()
    if case and found[0].text.lower() == whole:
        return lexemes  # "TERMINATION in caps": the case of the whole field, said of it
    upper = bool(case) and _low(case[-1]) != "lowercase"
    if case and not (found[0].text.isupper() if upper else found[0].text.islower()):
        return lexemes  # "end in caps" of the example's "end": not what the example shows
    spanned = _between_excerpt(body, ctx) if not case and len(found) == 1 else None
    if spanned is not None:
        return spanned  # "cdk2 phosphorylates rb": the words between the two mentions
    if words[0] == "'s" or _names_in(words, found, ctx):
        # A mention or field is named: the grammar reads it.
        mention = any(w in _TOKEN.findall(str(ctx.example.get(m, "")).lower())
                      for m in ctx.spans for w in words)
        # Only a note's bare "says" ("says born in london"): "it says the staff were rude"
        # states the words the text has, mention and all.
        saying = [_low(lx) for lx in lexemes[:start]] in (["says"], ["said"])
        return body if mention and saying and len(words) >= 2 else lexemes
    if len(words) == 1 and (words[0] in STOP_WORDS or words[0] in CONTENT_WORDS
                            or len(words[0]) < 3):
        return lexemes
    if len(fields) != 1:
        return lexemes  # in two texts: which one is the writer's to say
    first, last = body[0], body[-1]
    # In the example's own spelling ("disapeared" → "disappeared", "u wont" → "you won't"), in
    # lower case when the writer typed it so (the match ignores case either way).
    typed = " ".join(lx.text for lx in body)
    # A letter case said of it is the example's: its own spelling, as it is.
    text = found[0].text.lower() if typed == typed.lower() and not case else found[0].text
    quote = Lexeme("quote", text, text, first.start, last.end)

    def word(w: str) -> Lexeme:
        return Lexeme("word", w, w, first.start, first.start)

    said = any(_low(lx) not in ("just", "because", "bc", "cuz", "coz", "cause")
               for lx in lexemes[:start])
    if len(words) >= 2 and bare and not said and _between_mentions(words, fields[0], ctx):
        return [quote, word("is"), word("between"), word("them")]
    return [word(fields[0]), word("says"), quote, *case]


_CASE_NOUNS = frozenset({"caps", "capitals", "uppercase", "lowercase"})


def _case_tail(lexemes: Sequence[Lexeme]) -> list[Lexeme]:
    """A closing letter case said of the excerpt ("in caps", "in all caps", "all caps", "in
    uppercase"), or []."""
    words = [_low(lx) for lx in lexemes]
    for n in (3, 2):
        tail = words[-n:] if len(words) > n else []
        if tail and tail[-1] in _CASE_NOUNS and (tail[:-1] in (["in", "all"], ["in"], ["all"])
                                                 or (n == 3 and tail[0] == "written")):
            return list(lexemes[-n:])
    return []


def _between_excerpt(body: Sequence[Lexeme], ctx: Context) -> list[Lexeme] | None:
    """"MENTION words MENTION" written as it stands in the example (the two mentions by their
    strings): the words between the two, with a word that is not a stop word, as "MENTION
    'words' MENTION"; None otherwise."""
    values = {m: crowd_excerpt.plain(v) for m in ctx.spans
              if isinstance(v := ctx.example.get(m), str) and crowd_excerpt.plain(v)}
    for a, va in values.items():
        for b, vb in values.items():
            if a == b:
                continue
            for i in range(1, len(body)):
                if crowd_excerpt.plain_words([_low(x) for x in body[:i]]) != va:
                    continue
                for j in range(len(body) - 1, i, -1):
                    middle = body[i:j]
                    if crowd_excerpt.plain_words([_low(x) for x in body[j:]]) == vb and any(
                            _low(x) not in STOP_WORDS for x in middle):
                        typed = " ".join(x.text for x in middle)
                        there = crowd_excerpt.find(
                            crowd_excerpt.plain_words([_low(x) for x in middle]), ctx)
                        if not there:
                            continue
                        # In the example's spelling ("indemify" → "indemnify").
                        text = there[0].text.lower() if typed == typed.lower() \
                            else there[0].text
                        at = body[0]
                        return [Lexeme("word", a, a, at.start, at.end),
                                Lexeme("quote", text, text, middle[0].start, middle[-1].end),
                                Lexeme("word", b, b, body[j].start, body[-1].end)]
    return None


_JOINS = frozenset({"and", ",", "+", "&", ";"})


def quote_excerpts(lexemes: list[Lexeme], ctx: Context) -> list[Lexeme]:
    """A run-on of excerpts, each quoted (see the module docstring); unchanged unless every
    part is an excerpt of one text field."""
    parts: list[list[Lexeme]] = [[]]
    for lx in lexemes:
        if lx.text.lower() in _JOINS and lx.kind in ("word", "punct", "other"):
            parts.append([])
        else:
            parts[-1].append(lx)
    if len(parts) < 2 or any(not p for p in parts):
        return lexemes
    out: list[Lexeme] = []
    for part in parts:
        quoted = quote_excerpt(part, ctx, bare=False)
        if quoted == part:
            return lexemes
        if out:
            out.append(Lexeme("word", "and", "and", part[0].start, part[0].start))
        out += quoted
    return out
