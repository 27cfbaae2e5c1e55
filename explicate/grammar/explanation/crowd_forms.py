"""Numbers, mentions and word lists as crowd workers write them, said the way the grammar reads.

- ``crowd_numbers``: a count of a numeric field said before the field's words ("over a thousand
  users affected", "more then 40k shares", "only 3 people affected", "less than 5 users
  affected") is "FIELD is more than 1000": "over", "above", "more then" are "more than";
  "only", "just", "exactly" an equality (up to 20: "only 320 shares" says few, not how
  many); "40k", "2m", "a thousand", "3 thousand" are numbers; the
  field's words are its name with underscores as spaces ("users affected" for
  ``users_affected``), a word for people standing for another ("people affected").
- ``scaled_numbers``: "2k", "3 thousand", "1.5 million" are one number (the grammar would read
  "retweets over 2k" as more than 2).
- ``ordinal_mentions``: "the first party", "the 2nd person", "party 1", "party one" name the
  mention ``party1`` / ``person2`` when the task has it.
- ``valued_mentions``: a mention named by its example value when the value holds a number ("of
  is right after 2 cups") and a word of place stands next to it: the mention's name (the
  grammar reads a mention's string, but not one with a number in it).
- ``leading_word``: an opening unquoted word of the example placed by the rest ("of is right
  after 2 cups") is quoted (as a keyword, "of" would be read as one).
- ``mention_value``: the whole sentence naming a mention and its value unquoted ("#flood
  hashtag", "a pinch is the amount") is "MENTION is 'VALUE'".
- ``edge_words``: unquoted words after "starts with" / "ends with" that a text's value starts
  (ends) with are quoted ("starts with nothing", "starts with a number 10"), and that text named
  when the clause has no subject.
- ``words_apart``: "they are 3 words apart" is "there are 3 words between them".
- ``negated_words``: unquoted words after "no" joined by "or" / "nor" / commas, before a word of
  place or the clause's end ("no shall or must anywhere", "no binds or activates between
  them"), are quoted; "anywhere" is "in it" when the task has one text.
- ``anywhere``: a clause-final "anywhere" in a negated clause is "in it" when the task has one
  text ("no hype words anywhere", "'omg' is not anywhere").
- ``list_example``: "like W" after a list's name, W the list's own words ("figurative word in
  the post like lol"), is an example of the list, cut as a remark.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from explicate.grammar.explanation.crowd_notes import REMARK
from explicate.grammar.explanation.field_names import numbered_mention_at
from explicate.grammar.explanation.lexicon import (
    _NUMBER_WORDS,
    CONTENT_WORDS,
    Context,
    Lexeme,
)

_ARTICLES = frozenset({"the", "a", "an"})
# Comparisons before a number, as the grammar's words after "FIELD is".
_MORE = ("more", "than")
_LESS = ("less", "than")
_COMPARE: dict[tuple[str, ...], tuple[str, ...]] = {
    ("over",): _MORE, ("above",): _MORE, ("more", "than"): _MORE, ("more", "then"): _MORE,
    ("greater", "than"): _MORE, ("greater", "then"): _MORE, ("higher", "than"): _MORE,
    ("under",): _LESS, ("below",): _LESS, ("less", "than"): _LESS, ("less", "then"): _LESS,
    ("fewer", "than"): _LESS, ("fewer", "then"): _LESS, ("lower", "than"): _LESS,
    ("at", "least"): ("at", "least"), ("at", "most"): ("at", "most"),
    ("only",): (), ("just",): (), ("exactly",): (),
}
# "only 3 people" is a count; "only 320 shares" says few, which gives no figure.
_EXACT_UP_TO = 20
_SCALE = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000, "hundred": 100}
# Words for people that stand for one another in a field's name ("people affected" for
# ``users_affected``).
_PEOPLE = frozenset({"users", "people", "persons", "customers", "accounts", "clients", "folks",
                     "user", "person", "customer", "readers", "visitors"})
_TAILS = (("by", "it"), ("by", "this"), ("by", "that"), ("in", "total"), ("total",))
_CLAUSE_END = frozenset({",", ";", ".", "!", "?", "and", "but", "so", "because"})
_PLACE = frozenset({"between", "before", "after", "anywhere", "in", "near", "around", "next"})
_PLACE_WORDS = frozenset({"before", "after", "between", "of", "by", "than", "then", "and",
                          "precedes", "follows", "from", "to"})
# Words after "no" that count or name kinds of words ("no words between", "no names in it"),
# which the grammar reads: never quoted as the words themselves.
_NOT_QUOTED = frozenset({"one", "more", "other", "word", "words", "mention", "mentions", "term",
                         "terms", "such", "way", "number", "numbers", "digits", "digit", "space",
                         "spaces", "a", "an", "the", "any", "name", "names", "people", "persons",
                         "entities", "tokens", "token", "punctuation", "comma", "commas",
                         "capitals", "caps", "verbs", "verb", "nouns", "stuff", "things", "thing",
                         "letters", "letter", "hashtag", "hashtags", "link", "links", "url",
                         "urls", "emoji", "emojis", "question", "exclamation", "mark", "marks"})


def _low(lx: Lexeme | None) -> str:
    return lx.text.lower() if lx is not None else ""


def _word(at: Lexeme, text: str) -> Lexeme:
    return Lexeme("word", text, text, at.start, at.end)


def _number_at(lxs: Sequence[Lexeme], i: int) -> tuple[float, int] | None:
    """(value, lexemes it takes) of a number at ``i``: "40", "40k" (glued), "3 thousand", "a
    thousand", "ten"."""
    lx = lxs[i] if i < len(lxs) else None
    if lx is None:
        return None
    if lx.kind == "num" and isinstance(lx.value, int | float):
        value, n = float(lx.value), 1
    elif _low(lx) in _NUMBER_WORDS:
        value, n = float(_NUMBER_WORDS[_low(lx)]), 1
    elif _low(lx) in ("a", "one") and i + 1 < len(lxs) and _low(lxs[i + 1]) in (
            "thousand", "million", "hundred"):
        return float(_SCALE[_low(lxs[i + 1])]), 2
    else:
        return None
    nxt = lxs[i + n] if i + n < len(lxs) else None
    if nxt is not None and _low(nxt) in _SCALE and (
            _low(nxt) not in ("k", "m") or nxt.start == lxs[i + n - 1].end):
        return value * _SCALE[_low(nxt)], n + 1
    return value, n


def _field_words(lxs: Sequence[Lexeme], i: int, ctx: Context) -> tuple[str, int] | None:
    """(numeric field, lexemes it takes) when the field's name is written out from ``i`` ("users
    affected", "people affected", "shares")."""
    for name in ctx.numbers:
        parts = name.lower().split("_")
        got = [_low(x) for x in lxs[i:i + len(parts)]]
        if len(got) == len(parts) and all(
                g == p or (p in _PEOPLE and g in _PEOPLE) or g + "s" == p or g == p + "s"
                for g, p in zip(got, parts, strict=True)):  # "link" for ``links``
            return name, len(parts)
    return None


def _said(lxs: Sequence[Lexeme], at: int, name: str, said: tuple[str, ...], value: float,
          number: tuple[int, int]) -> list[Lexeme]:
    """"FIELD is <said> N" in place of the words from ``at``: the number's lexemes span
    ``number`` (start, end)."""
    x = lxs[at]
    shown = f"{value:g}" if value != int(value) else str(int(value))
    num = Lexeme("num", shown, int(value) if value == int(value) else value,
                 lxs[number[0]].start, lxs[number[1] - 1].end)
    return [_word(x, name), _word(x, "is"), *[_word(x, w) for w in said], num]


def _tail(lxs: Sequence[Lexeme], end: int) -> int:
    """``end`` past a closing "by it", "in total"."""
    for tail in _TAILS:
        if tuple(_low(x) for x in lxs[end:end + len(tail)]) == tail:
            return end + len(tail)
    return end


def _comparison(lxs: Sequence[Lexeme], k: int) -> tuple[tuple[str, ...], float, int] | None:
    """(the grammar's words, value, end) of a comparison and a number from ``k`` ("over 2k",
    "more then a thousand", "only 3"; "only" up to 20)."""
    for words, said in _COMPARE.items():
        if tuple(_low(x) for x in lxs[k:k + len(words)]) != words:
            continue
        number = _number_at(lxs, k + len(words))
        if number is None:
            continue
        value, n = number
        if not said and value > _EXACT_UP_TO:
            return None  # "only 320 shares" says few, not how many
        return said, value, k + len(words) + n
    return None


_JOINED = frozenset({"and", "but", "because", "since"})


def crowd_numbers(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with one count of a numeric field said as "FIELD is ...": the count before
    the field's words ("over 2k retweets"), after them ("retweets over 2k"), or as "N+" ("2k+
    retweets", at least N), or none ("no links", "zero users affected": FIELD is 0)."""
    lxs = list(lexemes)
    if not ctx.numbers:
        return lxs
    for i in range(len(lxs)):
        if i and _low(lxs[i - 1]) not in _JOINED:
            # "it has more than 50000 shares": the grammar reads a count after a verb; after a
            # comma, what came before may be words of the example a reading would skip ("hi
            # sam lunch friday, no link").
            continue
        compared = _comparison(lxs, i)
        if compared is not None:
            said, value, k = compared
            field = _field_words(lxs, k, ctx)
            if field is not None:
                end = _tail(lxs, k + field[1])
                return [*lxs[:i], *_said(lxs, i, field[0], said, value, (i, k)), *lxs[end:]]
        if _low(lxs[i]) in ("no", "zero") and (field := _field_words(lxs, i + 1, ctx)):
            # "no links", "zero users affected": none of them.
            end = _tail(lxs, i + 1 + field[1])
            zero = Lexeme("num", "0", 0, lxs[i].start, lxs[i].end)
            return [*lxs[:i], _word(lxs[i], field[0]), _word(lxs[i], "is"), zero, *lxs[end:]]
        number = _number_at(lxs, i)
        if number is not None and i + number[1] < len(lxs) and lxs[i + number[1]].text == "+":
            k = i + number[1] + 1
            field = _field_words(lxs, k, ctx)
            if field is not None:  # "2k+ retweets"
                end = _tail(lxs, k + field[1])
                return [*lxs[:i], *_said(lxs, i, field[0], ("at", "least"), number[0],
                                         (i, k - 1)), *lxs[end:]]
        field = _field_words(lxs, i, ctx)
        if field is not None and field[0].lower() != _low(lxs[i]):  # "retweets over 2k"
            compared = _comparison(lxs, i + field[1])
            if compared is not None:
                said, value, k = compared
                return [*lxs[:i], *_said(lxs, i, field[0], said, value, (i + field[1], k)),
                        *lxs[_tail(lxs, k):]]
    return lxs


def scaled_numbers(lexemes: Sequence[Lexeme]) -> list[Lexeme]:
    """The lexemes with a number and its scale as one number: "2k" (glued), "3 thousand",
    "1.5 million" (the grammar would read "2k" as 2 and skip the "k")."""
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        nxt = lexemes[i + 1] if i + 1 < len(lexemes) else None
        low = _low(nxt)
        if lx.kind == "num" and isinstance(lx.value, int | float) and nxt is not None and (
                (low == "k" and nxt.start == lx.end) or low in ("thousand", "million")):
            value = float(lx.value) * _SCALE[low]
            shown = f"{value:g}" if value != int(value) else str(int(value))
            out.append(Lexeme("num", shown, int(value) if value == int(value) else value,
                              lx.start, nxt.end))
            i += 2
            continue
        out.append(lx)
        i += 1
    return out


def ordinal_mentions(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with "the first party", "the 2nd party", "party 1", "party one" as the
    mention's name (``field_names.numbered_mention_at`` reads them)."""
    names = {m.lower(): m for m in ctx.spans}
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        hit = numbered_mention_at(lexemes, i, names)
        if hit is not None:
            out.append(_word(lexemes[i], hit[0]))
            i += hit[1]
            continue
        out.append(lexemes[i])
        i += 1
    return out


def _plain(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


# Words after a mention's value that place it ("2 cups is right after 'of'").
_PLACE_AFTER = frozenset({"is", "comes", "before", "after", "then", "next", "beside", "adjacent"})
_ADVERBS = frozenset({"right", "directly", "immediately", "just"})


def valued_mentions(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a mention's value that holds a number ("2 cups"), written out next to a
    word of place, as the mention's name."""
    values = [(m, _plain(v)) for m in ctx.spans if isinstance(v := ctx.example.get(m), str)
              and any(ch.isdigit() for ch in v) and _plain(v)]
    if not values:
        return list(lexemes)
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        hit = next(((m, len(w)) for m, w in values
                    if [t for x in lexemes[i:i + len(w)] for t in _plain(x.text)] == w), None)
        if hit is not None:
            m, n = hit
            before = _low(out[-1]) if out else ""
            if before in _ARTICLES and len(out) > 1:
                before = _low(out[-2])
            after = _low(lexemes[i + n]) if i + n < len(lexemes) else ""
            if after in _ADVERBS and i + n + 1 < len(lexemes):
                after = _low(lexemes[i + n + 1])  # "500 mg right after amoxicillin"
            if before in _PLACE_WORDS or after in _PLACE_AFTER:
                out.append(_word(lexemes[i], m))
                i += n
                continue
        out.append(lexemes[i])
        i += 1
    return out


_SPOT_VERBS = frozenset({"is", "comes", "appears", "sits", "goes"})
_SPOT_ADVERBS = frozenset({"right", "directly", "immediately", "just"})
_SPOTS = frozenset({"after", "before", "between", "next", "behind"})


def leading_word(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with an opening unquoted word of the example placed by the rest ("of is
    right after amount", "the is just before party1") quoted: as a keyword of the grammar it
    would be read as one."""
    lxs = list(lexemes)
    if len(lxs) < 3 or lxs[0].kind != "word" or _low(lxs[1]) not in _SPOT_VERBS:
        return lxs
    k = 2
    while k < len(lxs) and _low(lxs[k]) in _SPOT_ADVERBS:
        k += 1
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)}
    w = _low(lxs[0])
    example = {t for v in ctx.example.values() if isinstance(v, str) for t in _plain(v)}
    if k >= len(lxs) or _low(lxs[k]) not in _SPOTS or w in names or w not in example \
            or w in CONTENT_WORDS or w in _NOT_QUOTED or w in ("it", "this", "that", "there"):
        return lxs
    return [Lexeme("quote", lxs[0].text, lxs[0].text, lxs[0].start, lxs[0].end), *lxs[1:]]


_EDGE_VERBS = {"starts": True, "begins": True, "opens": True, "start": True, "begin": True,
               "ends": False, "end": False, "finishes": False}
_EDGE_NOUNS = frozenset({"word", "the", "a", "number", "phrase", "words"})
_SUBJECTS = frozenset({"it", "this", "that"})


def edge_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with unquoted words after "starts with" / "ends with" ("starts with nothing",
    "starts with a number 10", "ends with scrolling") quoted when a text field's value starts
    (ends) with them, and the one such field named when the clause has no subject."""
    lxs = list(lexemes)
    for i in range(len(lxs) - 2):
        front = _EDGE_VERBS.get(_low(lxs[i]))
        if front is None or _low(lxs[i + 1]) != "with":
            continue
        k = i + 2
        while k < len(lxs) and _low(lxs[k]) in _EDGE_NOUNS:
            k += 1
        end = k
        while end < len(lxs) and lxs[end].kind in ("word", "num") \
                and _low(lxs[end]) not in _CLAUSE_END:
            end += 1
        said = [t for x in lxs[k:end] for t in _plain(x.text)]
        if not said or end - k > 4:
            continue
        fields = []
        for f in ctx.texts:
            value = ctx.example.get(f)
            toks = _plain(value) if isinstance(value, str) else []
            edge = toks[:len(said)] if front else toks[-len(said):]
            if edge == said:
                fields.append(f)
        if len(fields) != 1:
            continue
        subject = i > 0 and _low(lxs[i - 1]) not in _CLAUSE_END
        if subject and _low(lxs[i - 1]) not in _SUBJECTS and _low(lxs[i - 1]) != fields[0]:
            continue  # "the title starts with ...": another text's, for the grammar to read
        body = lxs[k:end]
        text = " ".join(x.text for x in body)
        quote = Lexeme("quote", text, text, body[0].start, body[-1].end)
        head = [] if subject else [_word(lxs[i], fields[0])]
        return [*lxs[:i], *head, lxs[i], lxs[i + 1], quote, *lxs[end:]]
    return lxs


_IS = frozenset({"is", "was", "=", ":", "equals"})


def mention_value(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The whole sentence naming a mention and its value, unquoted ("#flood hashtag", "the
    hashtag is #flood", "a pinch is the amount", "amount = 2 cups"), as "MENTION is 'VALUE'";
    VALUE the mention's value in the example, as written there."""
    lxs = [x for x in lexemes if x.kind != "end"]
    names = {m.lower(): m for m in ctx.spans}
    for m, name in names.items():
        value = ctx.example.get(name)
        if not isinstance(value, str) or not _plain(value):
            continue
        want = _plain(value)
        for k, x in enumerate(lxs):
            if _low(x) != m:
                continue
            # The mention's name, with its article and a verb of being on the value's side.
            left, right = lxs[:k], lxs[k + 1:]
            if left and _low(left[-1]) in _ARTICLES:
                left = left[:-1]
            if left and _low(left[-1]) in _IS:
                left = left[:-1]  # "a pinch is the amount"
            elif right and _low(right[0]) in _IS:
                right = right[1:]  # "the amount is a pinch"
            if right and left and _low(left[0]) in _ARTICLES and len(left) == 1:
                left = []  # "the hashtag #flood"
            said = left or right
            if (left and right) or not said or any(
                    y.kind not in ("word", "num", "symbol", "other", "poss") for y in said):
                continue
            if [t for y in said for t in _plain(y.text)] == want:
                at = said[0]
                return [_word(x, name), _word(x, "is"),
                        Lexeme("quote", value, value, at.start, said[-1].end)]
    return list(lexemes)


def words_apart(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with "they are N words apart" as "there are N words between them"."""
    lxs = list(lexemes)
    if len(ctx.spans) != 2:
        return lxs
    for i in range(len(lxs) - 4):
        if _low(lxs[i]) in ("they", "them") and _low(lxs[i + 1]) in ("are", "r") \
                and _number_at(lxs, i + 2) is not None:
            n = _number_at(lxs, i + 2)
            assert n is not None
            k = i + 2 + n[1]
            if _low(lxs[k] if k < len(lxs) else None) in ("words", "word", "tokens") and \
                    _low(lxs[k + 1] if k + 1 < len(lxs) else None) == "apart":
                at = lxs[i]
                return [*lxs[:i], _word(at, "there"), _word(at, "are"), *lxs[i + 2:k + 1],
                        _word(at, "between"), _word(at, "them"), *lxs[k + 2:]]
    return lxs


def _quotable(lx: Lexeme, ctx: Context) -> bool:
    low = _low(lx)
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels,
                                 *ctx.numbers)}
    return lx.kind == "word" and low.isalpha() and low not in names and \
        low not in CONTENT_WORDS and low not in _NOT_QUOTED and low not in _NUMBER_WORDS


def negated_words(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a list of words after "no" quoted (see the module docstring)."""
    lxs = list(lexemes)
    for i, lx in enumerate(lxs):
        if _low(lx) != "no":
            continue
        words: list[int] = []
        k = i + 1
        while k < len(lxs) and _quotable(lxs[k], ctx):
            words.append(k)
            nxt = _low(lxs[k + 1]) if k + 1 < len(lxs) else ""
            if nxt in ("or", "nor", ","):
                k += 2
                continue
            k += 1
            break
        end = _low(lxs[k]) if k < len(lxs) else ""
        joined = len(words) >= 2 or (words and end in ("between", "anywhere"))
        if not words or not joined or (end and end not in _PLACE and end not in _CLAUSE_END):
            continue
        out = [*lxs[:i + 1]]
        for j in range(i + 1, k):
            x = lxs[j]
            if j in words:
                out.append(Lexeme("quote", x.text, x.text, x.start, x.end))
            else:
                out.append(_word(x, "or") if _low(x) == "nor" else x)
        rest = lxs[k:]
        if end == "anywhere" and len(ctx.texts) == 1:
            rest = [_word(rest[0], "in"), _word(rest[0], "it"), *rest[1:]]
        return out + rest
    return lxs


_NEGATING = frozenset({"no", "not", "never", "without", "isn't", "doesn't", "nothing"})


def anywhere(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with a clause-final "anywhere" in a negated clause ("no hype words
    anywhere", "'omg' is not anywhere") as "in it", when the task has one text for "it"."""
    if len(ctx.texts) != 1:
        return list(lexemes)
    out: list[Lexeme] = []
    for i, lx in enumerate(lexemes):
        nxt = _low(lexemes[i + 1]) if i + 1 < len(lexemes) else ""
        start = max((k + 1 for k in range(i) if _low(lexemes[k]) in _CLAUSE_END), default=0)
        negated = any(_low(x) in _NEGATING for x in lexemes[start:i])
        if _low(lx) == "anywhere" and negated and (not nxt or nxt in _CLAUSE_END):
            out += [_word(lx, "in"), _word(lx, "it")]
        else:
            out.append(lx)
    return out


def list_example(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with "like W..." after a list's name cut as a remark when W are the list's
    own words."""
    lists = {n.lower(): words for n, words in ctx.word_lists.items()}
    seen = False
    for i, lx in enumerate(lexemes):
        seen = seen or _low(lx) in lists
        if seen and _low(lx) in ("like", "e.g.", "eg") and i + 1 < len(lexemes):
            said = " ".join(_low(x) for x in lexemes[i + 1:] if x.kind == "word")
            members = {w.lower() for words in lists.values() for w in words}
            if said in members:
                at = lx.start
                return [*lexemes[:i], Lexeme(REMARK, "", "", at, at), *lexemes[i:]]
    return list(lexemes)


def before_clauses(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """Numbers and numbered mentions, read before ``crowd_clauses``: there "no links" would be
    the word "links" the text lacks, and "party" alone a mention's own word."""
    return ordinal_mentions(crowd_numbers(scaled_numbers(lexemes), ctx), ctx)


def rewrite(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The rest of the above, in order (after ``crowd_clauses``)."""
    lxs = mention_value(lexemes, ctx)
    lxs = ordinal_mentions(lxs, ctx)
    lxs = valued_mentions(lxs, ctx)
    lxs = leading_word(words_apart(edge_words(lxs, ctx), ctx), ctx)
    lxs = negated_words(lxs, ctx)
    return list_example(anywhere(lxs, ctx), ctx)
