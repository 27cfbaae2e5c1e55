"""Clauses as crowd workers say them, said the way the grammar reads them.

- ``short_forms``: "r", "ur", "u", "btwn", "bc", "cuz" are "are", "your", "you", "between",
  "because".
- ``mention_words``: a mention written as its own words in lower case ("husband right before
  daniel", "rude is after the waiter") is the mention, where a word of place or order stands
  before it or after it; otherwise the word is read as a quoted word, and the reading says
  something else than the sentence ('"husband" followed by "daniel"').
- ``said_of_mention``: "the stadium is terrible", "the speaker is dead": words the example has
  after the mention, said of it with "is", stand after it ('"terrible" right of target'); not
  when the words are the mention's own value ("the aspect is the waiter" is an identity).
- ``order_words``: with two mentions, "X is first" / "X comes first" is "X before Y" ("second",
  "last": after); a clause-final "in between" or "between the names" is "between them"; a
  clause-final "in there" is "in it" when the task has one text.
- ``there_is_between``: "there is brother between the names" is "brother is between ...".
- ``both_in``: "wire and deposit are both in the details" is said once per word, quoted, when
  each is the example's.
- ``field_of_saying``: in a task with several texts, "says <excerpt>" with no field named is
  said of the one text field that has the excerpt.
- ``negated_saying``: "it doesnt say founded": the one word after a negated verb of saying is
  the word the text lacks, even when the example does not have it (a quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation.crowd_notes import excerpt_fields
from explicate.grammar.explanation.lexicon import CONTENT_WORDS, Context, Lexeme, keywords

_SHORT = {"r": "are", "ur": "your", "u": "you", "btwn": "between", "btw": "between",
          "bc": "because", "cuz": "because", "coz": "because", "b4": "before",
          "rite": "right"}
_ARTICLES = frozenset({"the", "a", "an"})
# Words of place or order next to which a word is read as a mention.
_PLACE_BEFORE = frozenset({"before", "after", "between", "and", "of", "by", "than", "then",
                           "precedes", "follows", "from", "to"})
_PLACE_AFTER = frozenset({"comes", "came", "appears", "precedes", "follows", "before", "after",
                          "then", "first", "and"})
_COPULA = frozenset({"is", "was", "are", "equals", "named", "called"})
_CLAUSE_END = frozenset({",", ";", ".", "!", "?", "and", "but", "so", "because"})
_FIRST = frozenset({"first", "earlier"})
_LAST = frozenset({"second", "last", "later"})
_ORDER_VERBS = frozenset({"is", "comes", "appears", "goes", "shows"})
_PAIR = frozenset({"names", "people", "persons", "mentions", "entities", "two"})
_SAYING = frozenset({"says", "say", "said", "mentions", "mention", "uses", "use", "contains",
                     "contain", "has", "have"})
_NEGATED = frozenset({"doesn't", "don't", "didn't", "isn't", "not", "never"})
# Words that make "there is ... between" about a list or a count, which the grammar reads.
_QUANTITY = frozenset({"a", "an", "no", "any", "some", "one", "two", "word", "words", "only",
                       "exactly", "more", "less", "fewer", "than", "at", "least", "most"})
# Nouns after a list's name that make it the list ("a crash word", "no birth stuff").
_LIST_NOUNS = frozenset({"word", "words", "term", "terms", "stuff", "list", "phrase", "phrases",
                         "things", "thing", "ones"})
_TOKEN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def _low(lx: Lexeme | None) -> str:
    return lx.text.lower() if lx is not None and lx.kind in ("word", "punct", "end") else ""


def _word(lx: Lexeme, text: str) -> Lexeme:
    return Lexeme("word", text, text, lx.start, lx.end)


def _at(lxs: Sequence[Lexeme], i: int) -> Lexeme | None:
    return lxs[i] if 0 <= i < len(lxs) else None


def short_forms(lexemes: Sequence[Lexeme]) -> list[Lexeme]:
    """The lexemes with chat short forms written out."""
    return [_word(lx, _SHORT[_low(lx)]) if lx.kind == "word" and _low(lx) in _SHORT else lx
            for lx in lexemes]


def mention_of(word: str, ctx: Context) -> str | None:
    """The mention a lower-case word is, by being its whole one-word string or a word of its
    string that no other mention has (not a stop word, keyword or any field's name)."""
    low = word.lower()
    if len(low) < 3 or low in STOP_WORDS or low in keywords() or low in {
            n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)}:
        return None
    owners = [m for m in ctx.spans if isinstance(v := ctx.example.get(m), str)
              and low in _TOKEN.findall(v.lower())]
    if len(owners) != 1:
        return None
    # A word the mention's text also has outside the mention ("earthquake" beside the hashtag
    # "#earthquake") is that word, not the mention.
    text, value = ctx.example.get(ctx.spans[owners[0]]), str(ctx.example.get(owners[0]))
    if isinstance(text, str) and low in _TOKEN.findall(text.lower().replace(value.lower(), " ")):
        return None
    return owners[0]


def mention_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a mention's own word read as the mention next to a word of place."""
    out: list[Lexeme] = []
    whole = whole_mentions(lexemes, ctx)  # a mention's whole string written out: kept
    for i, lx in enumerate(lexemes):
        if i in whole:
            out.append(lx)
            continue
        name = mention_of(lx.text, ctx) if lx.kind == "word" else None
        prev = _at(lexemes, i - 1)
        if prev is not None and _low(prev) in _ARTICLES:
            prev = _at(lexemes, i - 2)
        nxt = _at(lexemes, i + 1)
        # "the aspect is the waiter", "the target is stadium": the mention's value, said.
        said = prev is not None and _low(prev) in _COPULA
        first = _low(nxt) in _ORDER_VERBS and _low(_at(lexemes, i + 2)) in _FIRST | _LAST
        if name is not None and not said and (_low(prev) in _PLACE_BEFORE or (
                (_low(nxt) in _PLACE_AFTER or first) and i == 0)):
            out.append(_word(lx, name))
        else:
            out.append(lx)
    return out


def _mention_span(lexemes: Sequence[Lexeme], i: int, ctx: Context) -> tuple[str, int] | None:
    """(mention, lexemes it takes) when a mention is named at ``i``: by its field name or its
    whole string."""
    if i >= len(lexemes) or lexemes[i].kind != "word":
        return None
    low = _low(lexemes[i])
    for m in ctx.spans:
        if low == m.lower():
            return m, 1
        value = ctx.example.get(m)
        words = _TOKEN.findall(value.lower()) if isinstance(value, str) else []
        if words and [_low(x) for x in lexemes[i : i + len(words)]] == words:
            return m, len(words)
    return None


def whole_mentions(lexemes: Sequence[Lexeme], ctx: Context) -> set[int]:
    """Positions of the lexemes that write out a mention's whole string of two words or more."""
    out: set[int] = set()
    for i in range(len(lexemes)):
        found = _mention_span(lexemes, i, ctx)
        if found is not None and found[1] > 1:
            out.update(range(i, i + found[1]))
    return out


def said_of_mention(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"(the) MENTION is WORDS" (the whole sentence) with WORDS the example's, after the mention
    and not its value: "'WORDS' is after MENTION"."""
    lxs = list(lexemes)
    k = 1 if lxs and _low(lxs[0]) in _ARTICLES else 0
    found = _mention_span(lxs, k, ctx)
    if found is None:
        return lxs
    m, n = found
    if _low(_at(lxs, k + n)) not in ("is", "was", "are"):
        return lxs
    rest = lxs[k + n + 1:]
    words = [_low(x) for x in rest]
    value = ctx.example.get(m)
    if not rest or any(x.kind != "word" for x in rest) or not isinstance(value, str) or \
            " ".join(words) == value.lower() or words[0] in _ARTICLES or \
            any(w in CONTENT_WORDS or w in keywords() for w in words):
        return lxs
    text = ctx.example.get(ctx.spans[m])
    said = " ".join([value.lower(), *[_low(x) for x in lxs[k + n: k + n + 1]], *words])
    if not isinstance(text, str) or said in " ".join(_TOKEN.findall(text.lower())):
        return lxs  # "the camera is great" is the example's own: an excerpt
    low = " ".join(_TOKEN.findall(text.lower()))
    at = low.find(" ".join(_TOKEN.findall(value.lower())))
    phrase = " ".join(words)
    if at < 0 or not re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", low[at:]):
        return lxs
    quote = Lexeme("quote", " ".join(x.text for x in rest), phrase, rest[0].start, rest[-1].end)
    return [quote, _word(rest[0], "is"), _word(rest[0], "after"), _word(rest[0], m)]


def _then_follows(lexemes: Sequence[Lexeme], i: int) -> bool:
    """Whether "then" opens what follows ``i`` (", then Y", "and then Y"): "X comes first, then
    Y" is a sequence the grammar reads whole, not "X is before <the other mention>"."""
    return "then" in (_low(_at(lexemes, i)), _low(_at(lexemes, i + 1)))


def order_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"X is first", "in between", "between the names", "in there" (see the module docstring)."""
    pair = list(ctx.spans) if len(ctx.spans) == 2 else []
    one_text = len(ctx.texts) == 1
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        low = _low(lx)
        nxt, after = _at(lexemes, i + 1), _at(lexemes, i + 2)
        end_after = _at(lexemes, i + 3)
        if pair and low in {p.lower() for p in pair} and _low(nxt) in _ORDER_VERBS and (
                _low(after) in _FIRST | _LAST) and (end_after is None
                                                    or _low(end_after) in _CLAUSE_END) and not (
                _then_follows(lexemes, i + 3)):
            this = next(p for p in pair if p.lower() == low)
            other = next(p for p in pair if p != this)
            first, second = (this, other) if _low(after) in _FIRST else (other, this)
            out += [_word(lx, first), _word(lx, "is"), _word(lx, "before"), _word(lx, second)]
            i += 3
            continue
        # "... with at most four words in between" is a distance, which the grammar reads.
        if pair and low == "in" and _low(nxt) == "between" and (
                after is None or _low(after) in _CLAUSE_END) and not (
                out and _low(out[-1]) in ("word", "words", "tokens")):
            out += [_word(lx, "between"), _word(lx, "them")]
            i += 2
            continue
        if pair and low == "between" and out and _low(out[-1]) in ("is", "are", "appears") \
                and (nxt is None or _low(nxt) in _CLAUSE_END):
            out += [lx, _word(lx, "them")]  # "died in is between"
            i += 1
            continue
        if pair and low == "between" and _low(nxt) == "the" and _low(after) in _PAIR and (
                end_after is None or _low(end_after) in _CLAUSE_END):
            out += [lx, _word(lx, "them")]
            i += 3
            continue
        if one_text and low == "in" and _low(nxt) == "there" and (
                after is None or _low(after) in _CLAUSE_END):
            out += [lx, _word(lx, "it")]
            i += 2
            continue
        out.append(lx)
        i += 1
    return out


def there_is_between(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"there is WORDS (in) between ..." as "WORDS is between ...", when WORDS are plain words
    of the example (not "a word", "no words": the grammar reads those)."""
    lxs = list(lexemes)
    for i in range(len(lxs) - 2):
        if _low(lxs[i]) != "there" or _low(lxs[i + 1]) not in ("is", "are"):
            continue
        j = i + 2
        while j < len(lxs) and lxs[j].kind == "word" and _low(lxs[j]) not in (
                "between", "in") and _low(lxs[j]) not in _CLAUSE_END:
            j += 1
        words = [_low(x) for x in lxs[i + 2:j]]
        k = j + (j < len(lxs) and _low(lxs[j]) == "in")
        if not words or _low(_at(lxs, k)) != "between" or any(
                w in _QUANTITY or w in _ARTICLES or w in CONTENT_WORDS for w in words) or \
                not excerpt_fields(words, ctx):
            continue
        body = lxs[i + 2:j]
        text = " ".join(x.text for x in body)
        quote = Lexeme("quote", text, text, body[0].start, body[-1].end)
        return [*lxs[:i], quote, _word(lxs[i + 1], "is"), *lxs[k:]]
    return lxs


def _field_named(lexemes: Sequence[Lexeme], ctx: Context) -> bool:
    texts = {t.lower() for t in ctx.texts}
    return any(_low(x) in texts for x in lexemes)


def both_in(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"(both) A and B are (both) in (the) F" (the whole sentence) said once per word: "F says
    'A' and F says 'B'", when A and B are single words of F in the example (or of the one text,
    for "in it" / "in there")."""
    lxs = [x for x in lexemes if x.kind != "end"]
    if lxs and _low(lxs[0]) == "both":
        lxs = lxs[1:]
    if len(lxs) < 5 or _low(lxs[1]) != "and" or _low(lxs[3]) not in ("are", "is"):
        return list(lexemes)
    a, b = lxs[0], lxs[2]
    rest = [_low(x) for x in lxs[4:]]
    if rest and rest[0] == "both":
        rest = rest[1:]
    if not rest or rest[0] != "in":
        return list(lexemes)
    place = [w for w in rest[1:] if w not in _ARTICLES]
    fields = {t.lower(): t for t in ctx.texts}
    if len(place) != 1:
        return list(lexemes)
    field = fields.get(place[0]) or (ctx.texts[0] if len(ctx.texts) == 1
                                     and place[0] in ("it", "there") else None)
    if field is None or a.kind != "word" or b.kind != "word":
        return list(lexemes)
    if any(field not in excerpt_fields([_low(x)], ctx) or _low(x) in keywords()
           for x in (a, b)):
        return list(lexemes)
    return [_word(a, field), _word(a, "says"), Lexeme("quote", a.text, a.text, a.start, a.end),
            _word(lxs[1], "and"), _word(b, field), _word(b, "says"),
            Lexeme("quote", b.text, b.text, b.start, b.end)]


def field_of_saying(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """In a task with several texts: "(it) says WORDS" with no text field named in the clause
    before it, and WORDS the excerpt of exactly one text field: "FIELD says WORDS"."""
    if len(ctx.texts) < 2:
        return list(lexemes)
    out: list[Lexeme] = []
    for i, lx in enumerate(lexemes):
        if lx.kind == "word" and _low(lx) in ("says", "say", "mentions") \
                and i + 1 < len(lexemes):
            start = max((k + 1 for k in range(i) if _low(lexemes[k]) in _CLAUSE_END), default=0)
            j = i + 1
            while j < len(lexemes) and lexemes[j].kind == "word" and \
                    _low(lexemes[j]) not in _CLAUSE_END:
                j += 1
            fields = excerpt_fields([_low(x) for x in lexemes[i + 1:j]], ctx)
            if not _field_named(lexemes[start:i], ctx) and len(fields) == 1:
                if out and _low(out[-1]) == "it" and len(out) > start:
                    out.pop()
                out += [_word(lx, fields[0]), lx]
                continue
        out.append(lx)
    return out


def negated_saying(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"doesnt say WORD" (WORD last in its clause, not a keyword or a name): WORD quoted."""
    # A list's or label's name is quoted too ("doesnt say crash" is the word; "a crash word"
    # the list).
    names = {n.lower() for n in (*ctx.spans, *ctx.texts)}
    out: list[Lexeme] = []
    for i, lx in enumerate(lexemes):
        prev, verb = _at(lexemes, i - 2), _at(lexemes, i - 1)
        nxt = _at(lexemes, i + 1)
        low = _low(lx)
        if lx.kind == "word" and verb is not None and _low(verb) in _SAYING \
                and _low(prev) in _NEGATED and (nxt is None or _low(nxt) in _CLAUSE_END) \
                and low not in keywords() and low not in names and low not in STOP_WORDS \
                and len(low) >= 3:
            out.append(Lexeme("quote", lx.text, lx.text, lx.start, lx.end))
        else:
            out.append(lx)
    return out


def list_name_as_word(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """A list's name said bare ("urgent in the subject") where the example has that very word,
    and no noun of words follows ("an urgent word" is the list): the word, quoted."""
    lists = {n.lower() for n in ctx.word_lists}
    out: list[Lexeme] = []
    for i, lx in enumerate(lexemes):
        nxt = _at(lexemes, i + 1)
        if lx.kind == "word" and _low(lx) in lists and _low(nxt) not in _LIST_NOUNS and \
                excerpt_fields([_low(lx)], ctx) and not (out and _low(out[-1]) in (
                    "a", "an", "any", "no", "some")):
            out.append(Lexeme("quote", lx.text, lx.text, lx.start, lx.end))
        else:
            out.append(lx)
    return out


def no_list_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"no LIST words (at all)" as the whole sentence, in a task with one text: "... in it"."""
    lxs = [x for x in lexemes if x.kind != "end"]
    lists = {n.lower() for n in ctx.word_lists}
    words = [_low(x) for x in lxs]
    if words[-2:] == ["at", "all"]:
        words, lxs = words[:-2], lxs[:-2]
    if len(ctx.texts) == 1 and len(words) == 3 and words[0] == "no" and words[1] in lists \
            and words[2] in _LIST_NOUNS:
        return [*lxs, _word(lxs[-1], "in"), _word(lxs[-1], "it")]
    return list(lexemes)


def no_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"no X no Y", "no X or Y (words)", "no X (at all)" as the whole sentence, in a task with
    one text, X and Y single words that name nothing of the task: "it does not say 'X' or
    'Y'"."""
    lxs = [x for x in lexemes if x.kind != "end"]
    words = [_low(x) for x in lxs]
    if words[-2:] == ["at", "all"]:
        words, lxs = words[:-2], lxs[:-2]
    if words and words[-1] in _LIST_NOUNS:
        words, lxs = words[:-1], lxs[:-1]
    if len(ctx.texts) != 1 or len(words) < 2 or words[0] != "no":
        return list(lexemes)
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)}
    picked: list[Lexeme] = []
    k = 1
    while k < len(lxs):
        w = words[k]
        if lxs[k].kind != "word" or w in names or w in keywords() or w in STOP_WORDS \
                or w in CONTENT_WORDS or len(w) < 3:
            return list(lexemes)
        picked.append(lxs[k])
        k += 1
        if k < len(lxs) and words[k] in ("no", "or", "nor"):
            k += 1
        elif k < len(lxs):
            return list(lexemes)
    first = lxs[0]
    out = [_word(first, "it"), _word(first, "does"), _word(first, "not"), _word(first, "say")]
    for j, lx in enumerate(picked):
        if j:
            out.append(_word(lx, "or"))
        out.append(Lexeme("quote", lx.text, lx.text, lx.start, lx.end))
    return out


_CASE_WORDS = frozenset({"caps", "capitals", "uppercase", "lowercase", "capital"})


def case_without_is(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"(the) X (name) in (all) caps" as the whole sentence, X a mention or text field named,
    or a field's whole value written out ("INDEMNIFICATION in caps"): "X is in ... caps"."""
    lxs = [x for x in lexemes if x.kind != "end"]
    k = 1 if lxs and _low(lxs[0]) in _ARTICLES else 0
    words = [_low(x) for x in lxs]
    try:
        at = words.index("in", k + 1)
    except ValueError:
        return list(lexemes)
    tail = words[at + 1:]
    if not tail or tail[-1] not in _CASE_WORDS and tail[-2:] != ["lower", "case"] or \
            len(tail) > 3 or any(w not in ("all", "in", "lower", "case", "upper", "letters")
                                 and w not in _CASE_WORDS for w in tail):
        return list(lexemes)
    subject = words[k:at]
    if subject[-1:] == ["name"]:
        subject = subject[:-1]
    fields = {f.lower(): f for f in (*ctx.spans, *ctx.texts)}
    name = fields.get(" ".join(subject))
    if name is None:
        whole = [f for f in (*ctx.spans, *ctx.texts) if isinstance(v := ctx.example.get(f), str)
                 and " ".join(_TOKEN.findall(v.lower())) == " ".join(subject)]
        name = whole[0] if len(whole) == 1 else None
    if name is None:
        return list(lexemes)
    first = lxs[k]
    return [_word(first, name), _word(first, "is"), *lxs[at:]]


def word_before_noun(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """"X word is in ..." with X a word of the example and no list's name (a list's name before
    "word" is the list: "a spouse word"): "the word X is in ..."."""
    lists = {n.lower() for n in ctx.word_lists}
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        lx, nxt = lexemes[i], _at(lexemes, i + 1)
        prev = out[-1] if out else None
        if lx.kind == "word" and _low(nxt) in ("word", "term") and _low(lx) not in lists \
                and _low(lx) not in keywords() and _low(lx) not in STOP_WORDS \
                and (prev is None or _low(prev) in _CLAUSE_END) \
                and excerpt_fields([_low(lx)], ctx) and nxt is not None:
            out += [_word(lx, "the"), nxt, Lexeme("quote", lx.text, lx.text, lx.start, lx.end)]
            i += 2
            continue
        out.append(lx)
        i += 1
    return out


def rewrite(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """All of the above, in order."""
    lxs = no_words(no_list_words(short_forms(lexemes), ctx), ctx)
    lxs = word_before_noun(case_without_is(lxs, ctx), ctx)
    lxs = list_name_as_word(both_in(lxs, ctx), ctx)
    lxs = there_is_between(lxs, ctx)
    lxs = mention_words(lxs, ctx)
    lxs = said_of_mention(lxs, ctx)
    lxs = order_words(lxs, ctx)
    lxs = field_of_saying(lxs, ctx)
    return negated_saying(lxs, ctx)
