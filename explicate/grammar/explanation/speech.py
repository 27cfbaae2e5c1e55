"""How people actually type explanations: the plain-speech layer between ``scan`` and the parser.

Crowd workers and experts in a hurry write "doesnt", "there's", "the reason is that it says
lost my bag", "I think its positive because ...", "..., so they are married", "the email body",
"Obama" for the mention "Barack Obama", and unquoted excerpts that contain keywords ("after
taking is between the effect and the drug"). This module turns those into what the grammar reads,
and only where nothing with content is lost:

- ``normalize`` (lexemes, always): contractions written without an apostrophe, "there's",
  punctuation named in two words ("question mark"), "the reason is that" → "because", a writer
  as the text ("the user says" → "it says"), "the two people" for a task's two mentions, and
  two text fields said together ("in the title and the body") said once each (``crowd_fields``),
  and a clause-final "is there" as "is in it" when the task has one text. Then the crowd's
  terse notes (``crowd_notes``: an excerpt and a remark, "terrible waste = against", "her
  husband", "sole discretion and without notice") and clauses (``crowd_clauses``: a mention's
  own word next to a word of place, "X is first", "in between", "there is X between", "A and B
  are both in F", "no X no Y", "doesnt say X", "X name in all caps") and forms
  (``crowd_forms``: "over a thousand users affected", "the first party", "of is right after
  2 cups", "they r 3 words apart", "no shall or must anywhere", "#flood hashtag", "starts
  with nothing").
- ``split_conclusion`` (lexemes, always): a trailing conclusion ("..., so they are married",
  "which means ...") is the reason for the label, not a condition; it is cut off and reported.
  A conclusion that quotes words is not cut (a quote is evidence, never dropped silently).
- ``strip_preamble`` (lexemes, always): words before "because" that carry no content ("I think",
  "label it", "this is urgent") are skipped; a label among them is kept.
- ``tidy`` (symbols, always): a document noun around a field ("the email body", "the body of the
  email", "the subject line") and a mention's "'s name" are dropped.
- ``mention_part`` and ``verbatim_run`` (lexemes, only in the *generous* reading, tried after the
  sentence as written fails): a name part that is one mention's own (its last word, or a
  capitalized word of it) stands for the mention; a run of words copied from the example that
  contains keywords is read as one quoted phrase.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from explicate.grammar.explanation import crowd_clauses, crowd_forms
from explicate.grammar.explanation.crowd_excerpt import glued_words
from explicate.grammar.explanation.crowd_fields import distribute_fields
from explicate.grammar.explanation.crowd_notes import (
    REMARK,
    cut_remark,
    quote_excerpt,
    quote_excerpts,
)
from explicate.grammar.explanation.crowd_typos import correct_example_slips
from explicate.grammar.explanation.lexicon import (
    Context,
    Lexeme,
    Symbol,
    carries_content,
    in_example,
    keywords,
)

# "doesnt" → "doesn't": the lexer's contraction words, as people type them without the apostrophe.
_BARE_CONTRACTIONS = {
    "doesnt": "doesn't", "dont": "don't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't",
    "werent": "weren't", "didnt": "didn't", "cant": "cannot", "cannot": "cannot",
    "dosnt": "doesn't", "dosent": "doesn't", "doesent": "doesn't", "dont't": "don't",
}
# "I'd", "we'll", "you're": a pronoun's contraction, one content-free word (the lexer cuts it in
# three: word, apostrophe, word).
_PRONOUN_TAILS = frozenset({"d", "ll", "ve", "re", "m"})
_PRONOUNS = frozenset({"i", "we", "you", "they", "he", "she", "it"})
# Pronouns whose "'s" is "is" ("there's", "it's", "that's"), not a possessive.
_IS_PRONOUNS = frozenset({"there", "it", "that", "here", "what", "who"})
# Punctuation named in two words.
_PUNCT_PHRASES = {
    ("question", "mark"): "?", ("question", "marks"): "?", ("exclamation", "mark"): "!",
    ("exclamation", "marks"): "!", ("exclamation", "point"): "!", ("exclamation", "points"): "!",
    ("full", "stop"): ".", ("dollar", "sign"): "$", ("at", "sign"): "@", ("hash", "sign"): "#",
}
# Whoever wrote the text, as the subject of a verb of saying: "the user says", "he mentions".
_WRITERS = frozenset({"user", "writer", "author", "poster", "sender", "reviewer", "tweeter",
                      "customer", "he", "she", "someone", "commenter", "speaker"})
_SAYING = frozenset({"says", "said", "mentions", "mentioned", "writes", "wrote", "uses", "used",
                     "states", "stated", "talks", "reads", "refers", "complains", "claims"})
# "they say wife", "they use the word wife": the writers, not the two mentions.
_THEY_SAY = frozenset({"say", "said", "use", "used", "mention", "mentioned", "write", "wrote",
                       "state", "stated"})
# Nouns for the whole document that may decorate a field name ("the email body", "subject line").
_DOC_NOUNS = frozenset({"email", "e-mail", "mail", "tweet", "post", "letter", "note", "review",
                        "message", "document", "text", "sentence", "article"})
_FIELD_SUFFIXES = frozenset({"line", "field", "section", "part", "text"})
# Words after which the rest of the sentence is the conclusion ("..., so they are married").
_CONCLUDING = frozenset({"therefore", "hence", "thus", "meaning", "indicating", "suggesting",
                         "implying", "showing"})
_SO_FOLLOWERS = frozenset({"it", "its", "it's", "they", "this", "that", "the", "he", "she", "we",
                           "i", "there", "thats", "theyre", "which", "this's", "obviously",
                           "clearly", "probably", "likely", "definitely", "must"})
_BECAUSE = frozenset({"because", "since"})
# "the two people", "both names": the task's two mentions.
_PAIR_NOUNS = frozenset({"people", "persons", "names", "mentions", "entities", "individuals",
                         "men", "women", "guys", "spouses", "partners", "spans"})
_ARTICLES = frozenset({"the", "a", "an"})
_CONJUNCTIONS = frozenset({"and", "or", "but", "nor"})
_LABELS = frozenset({"LABEL", "label", "TRUE", "FALSE"})


def _word(lx: Lexeme, text: str | None = None) -> Lexeme:
    return Lexeme("word", text or lx.text, text or lx.text, lx.start, lx.end)


def normalize(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """Lexemes with the spellings of plain speech made regular (see the module docstring)."""
    pair = len(ctx.spans) == 2
    lexemes = glued_words(lexemes, ctx)  # "401k" as the example's one word
    out: list[Lexeme] = []
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        low = lx.text.lower() if lx.kind == "word" else ""
        nxt = lexemes[i + 1] if i + 1 < len(lexemes) else None
        nlow = nxt.text.lower() if nxt is not None and nxt.kind == "word" else ""
        after = lexemes[i + 2] if i + 2 < len(lexemes) else None
        if low in _PRONOUNS and nxt is not None and nxt.text in ("'", "’") and after is not None \
                and after.text.lower() in _PRONOUN_TAILS and lx.end == nxt.start == after.start - 1:
            text = lx.text + "'" + after.text
            out.append(Lexeme("word", text, text, lx.start, after.end))
            i += 3
            continue
        if low in ("theres", "thats", "whats", "heres"):
            out += [_word(lx, low[:-1]), _word(lx, "is")]  # "theres" → "there is"
        elif low in _BARE_CONTRACTIONS:
            out.append(_word(lx, _BARE_CONTRACTIONS[low]))
        elif lx.kind == "poss" and out and out[-1].kind == "word" \
                and out[-1].text.lower() in _IS_PRONOUNS:
            out.append(Lexeme("word", "is", "is", lx.start, lx.end))
        elif (low, nlow) in _PUNCT_PHRASES and nxt is not None:
            mark = _PUNCT_PHRASES[(low, nlow)]
            out.append(Lexeme("quote", f"{lx.text} {nxt.text}", mark, lx.start, nxt.end))
            i += 2
            continue
        elif low == "reason" and nlow in ("is", "being", "was"):
            # "the reason is (that) ..." → "because ..."
            if out and out[-1].text.lower() in _ARTICLES:
                out.pop()
            k = i + 2
            if k < len(lexemes) and lexemes[k].text.lower() == "that":
                k += 1
            out.append(Lexeme("word", "because", "because", lx.start, lexemes[k - 1].end))
            i = k
            continue
        elif low in ("two", "both") and nlow in _PAIR_NOUNS and pair:
            if out and out[-1].text.lower() in _ARTICLES:
                out.pop()
            out.append(Lexeme("word", "them", "them", lx.start, nxt.end if nxt else lx.end))
            i += 2
            continue
        elif (low in _WRITERS and nlow in _SAYING) or (low == "they" and nlow in _THEY_SAY):
            out.append(_word(lx, "it"))
        else:
            out.append(lx)
        i += 1
    out = distribute_fields(_there_as_it(out, ctx), ctx)
    # The crowd rewrites read the condition only, not a conclusion "so ..." cuts off later.
    cond = len(split_conclusion(out)[0])
    out, conclusion = cut_remark(out[:cond], ctx), out[cond:]
    cut = next((k for k, lx in enumerate(out) if lx.kind == REMARK), len(out))
    head = quote_excerpt(out[:cut], ctx, bare=cut == len(out) and not conclusion)
    if head == out[:cut]:
        head = quote_excerpts(head, ctx)
    if head == out[:cut]:
        head = crowd_forms.before_clauses(head, ctx)
        head = crowd_forms.rewrite(crowd_clauses.rewrite(head, ctx), ctx)
    return head + out[cut:] + conclusion


# Verbs after which a clause-final "there" is the text the example is ("the word wife is there").
_BE_THERE = frozenset({"is", "are", "appears", "appear", "shows", "exists"})
_CLAUSE_END = frozenset({",", ";", ".", "!", "and", "but", "so", "because"})


def _there_as_it(lexemes: list[Lexeme], ctx: Context) -> list[Lexeme]:
    """A clause-final "is there" read as "is in it" (the task's one text), only when the task
    has exactly one text for "it" to be; "born there" or "there is" are left alone."""
    if len(ctx.texts) != 1 and len(set(ctx.spans.values())) != 1:
        return lexemes  # two texts and no mention's text to prefer: "there" could be either
    out: list[Lexeme] = []
    for k, lx in enumerate(lexemes):
        nxt = lexemes[k + 1] if k + 1 < len(lexemes) else None
        if lx.kind == "word" and lx.text.lower() == "there" and out \
                and out[-1].text.lower() in _BE_THERE \
                and (nxt is None or nxt.text.lower() in _CLAUSE_END):
            out += [_word(lx, "in"), _word(lx, "it")]
        else:
            out.append(lx)
    return out


def split_conclusion(lexemes: Sequence[Lexeme]) -> tuple[list[Lexeme], str]:
    """The lexemes of the condition and the text of a trailing conclusion ("" when none)."""
    words = [lx.text.lower() if lx.kind == "word" else lx.text for lx in lexemes]
    remark = next((k for k, lx in enumerate(lexemes) if lx.kind == REMARK), None)
    if remark is not None:  # marked by ``crowd_notes.cut_remark``
        said = " ".join(lx.text for lx in lexemes[remark + 1:])
        return list(lexemes[:remark]), said
    for i in range(2, len(lexemes)):
        w, nxt = words[i], (words[i + 1] if i + 1 < len(words) else "")
        after_comma = words[i - 1] == ","
        start = i - 1 if after_comma else i
        # "..., so no duty", "... so not spam": a short verdict without its verb.
        verdict = w == "so" and nxt in ("no", "not") and len(lexemes) - i <= 3 and all(
            lx.kind == "word" for lx in lexemes[i:])
        marker = (
            (w == "so" and (after_comma or nxt in _SO_FOLLOWERS)) or verdict
            or (w == "which" and nxt in ("means", "shows", "suggests", "indicates", "implies",
                                         "is"))
            or (w in ("this", "that") and nxt in ("means", "shows", "suggests", "indicates"))
            or (w in _CONCLUDING and (after_comma or i > 2))
        )
        if marker and not any(lx.kind == "quote" for lx in lexemes[i:]):
            rest = lexemes[i:]
            return list(lexemes[:start]), " ".join(lx.text for lx in rest)
    return list(lexemes), ""


def strip_preamble(lexemes: list[Lexeme], ctx: Context) -> tuple[list[Lexeme], list[Symbol]]:
    """(lexemes, skipped): words before the first "because" that say nothing of the example ("I
    think they are spouses because ...", "label it ADE because") are dropped; a label named
    there is kept. Nothing with content is dropped: no quote, number, mention (by field name or
    string), list, negation, relation or comparison word."""
    k = next((i for i, lx in enumerate(lexemes) if lx.text.lower() in _BECAUSE), 0)
    prefix = lexemes[:k]
    labels = {lab.lower() for lab in ctx.labels} | {"true", "false"}
    names = {n.lower() for n in (*ctx.spans, *ctx.word_lists)}
    names |= {w.lower() for m in ctx.spans if isinstance(v := ctx.example.get(m), str)
              for w in _words(v)}
    if not prefix or any(lx.kind != "word" or (lx.text.lower() not in labels and (
            carries_content(Symbol("WORD", lx.text, 0, 0)) or lx.text.lower() in names))
            for lx in prefix):
        return list(lexemes), []
    words = [lx.text.lower() for lx in prefix]
    if all(w in labels or w == "label" for w in words):
        return list(lexemes), []  # "label SPOUSE because", "true because": the frame itself
    label = [lx for lx in prefix if lx.text.lower() in labels][:1]
    dropped = [lx for lx in prefix if lx not in label]
    skipped = [Symbol("WORD", " ".join(lx.text for lx in dropped), dropped[0].start,
                      dropped[-1].end)]
    return label + list(lexemes[k:]), skipped


def tidy(symbols: list[Symbol], ctx: Context | None = None) -> list[Symbol]:
    """Symbols without document nouns around a field, without a mention's "'s name", without
    "mentioned" said of a mention ("the company mentioned is", "the mentioned company") and
    without a mention's own text restated in parentheses ("the amenity (wifi) is ...")."""
    out: list[Symbol] = []
    i = 0
    n = len(symbols)
    while i < n:
        s = symbols[i]
        nxt = symbols[i + 1] if i + 1 < n else None
        after = symbols[i + 2] if i + 2 < n else None
        low = str(s.value).lower()
        if s.name == "WORD" and low in _DOC_NOUNS and nxt is not None and nxt.name == "FIELD":
            i += 1  # "the email body"
            continue
        if s.name == "FIELD" and nxt is not None and nxt.name == "of" and after is not None and (
                after.name == "FIELD" or (after.name == "WORD" and str(after.value).lower()
                                          in _DOC_NOUNS)):
            out.append(s)  # "the body of the email"
            i += 3
            continue
        if s.name == "FIELD" and nxt is not None and nxt.name == "WORD" \
                and str(nxt.value).lower() in _FIELD_SUFFIXES:
            out.append(s)  # "the subject line"
            i += 2
            continue
        if s.name == "ENT" and nxt is not None and nxt.name == "(" and after is not None and (
                i + 3 < n and symbols[i + 3].name == ")") and _restates(s, after, ctx):
            out.append(s)  # "the amenity (wifi)"
            i += 4
            continue
        if s.name == "ENT" and nxt is not None and nxt.name == "'s" and after is not None \
                and after.name == "ENT" and (s.start, s.end) == (nxt.start, nxt.end):
            i += 2  # "separates the drug from its dose": "its" says no more than "the"
            continue
        if low == "mentioned" and s.name == "PP" and (
                (nxt is not None and nxt.name == "ENT" and not (out and out[-1].name == "BE"))
                or (out and out[-1].name == "ENT" and nxt is not None
                    and nxt.name in _AFTER_MENTIONED)):
            i += 1  # "the mentioned company", "the company mentioned is 'Acme'"
            continue
        if s.name == "ENT" and nxt is not None and nxt.name == "'s" and after is not None \
                and str(after.value).lower() in ("name", "names"):
            out.append(s)  # "the person's name is followed by ..."
            i += 3
            continue
        out.append(s)
        i += 1
    return out


# What may follow "the company mentioned" for "mentioned" to say only which mention it is.
_AFTER_MENTIONED = frozenset({"BE", "OCCUR", "FOLLOWS", "PRECEDES", "DO", "STARTS", "ENDS"})


def _restates(mention: Symbol, inner: Symbol, ctx: Context | None) -> bool:
    """Whether ``inner`` (in parentheses after ``mention``) is that mention again: its name, or
    its text in the example."""
    if inner.name == "ENT":
        return bool(inner.value == mention.value)
    value = ctx.example.get(str(mention.value)) if ctx is not None else None
    return inner.name in ("WORD", "QUOTE") and isinstance(value, str) \
        and str(inner.value).strip().lower() == value.strip().lower()


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9_\-]*", text)


def generous(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes read generously (tried only after the sentence as written has no reading): a
    name part that is one mention's own stands for that mention (``mention_part``); a run of
    words copied from the example that contains keywords becomes one quoted phrase
    (``verbatim_run``), and so does a keyword named as "the word" ("the word at is ..."); and an
    excerpt said next to a mention it stands next to in the example ("the staff were rude",
    "taking the drug") is said explicitly: "X is immediately followed by 'were rude'", "'taking'
    immediately before X". A slip in a word copied from the example ("delicous") is read as that
    word first (``crowd_typos``); with slips read so, the sentence may be a terse note or words
    said of a mention ("asks for bank detials", "the speakr is dead")."""
    known = keywords()
    fixed = correct_example_slips(lexemes, ctx)
    if fixed != list(lexemes):  # a note or words said of a mention (see the docstring)
        note = quote_excerpt(fixed, ctx)
        if note != fixed:
            return note
        fixed = crowd_clauses.said_of_mention(fixed, ctx)
    lxs = []
    whole = crowd_clauses.whole_mentions(fixed, ctx)  # "anna reed" written out stays whole
    for k, lx in enumerate(fixed):
        name = None if k in whole else mention_part(lx, ctx, known)
        lxs.append(_word(lx, name) if name is not None and " " not in name else lx)
    out: list[Lexeme] = []
    i = 0
    while i < len(lxs):
        lx = lxs[i]
        after = lxs[i + 1] if i + 1 < len(lxs) else None
        if lx.text.lower() in ("word", "term") and out and out[-1].text.lower() == "the" \
                and after is not None and after.kind == "word" and after.text.lower() in known \
                and in_example(after.text, ctx):
            # "the word at is right before X": a keyword named as the word is the word itself.
            out += [lx, Lexeme("quote", after.text, after.text, after.start, after.end)]
            i += 2
            continue
        k = verbatim_run(lxs, i, ctx, known)
        prev = _mention_ending(out, ctx)
        plain = 0 if k else _plain_run(lxs, i, ctx, known)
        j = i + (k or plain)
        nxt = _mention_at(lxs, j + (j < len(lxs) and lxs[j].text.lower() in _ARTICLES), ctx)
        if (k or plain) and _goes_on(lxs, j, ctx, known):
            out += lxs[i:j]  # "and his sister": the excerpt goes on with words it lacks
            i = j
            continue
        if k or (plain and (prev or nxt)):
            body = " ".join(w.text for w in lxs[i:j])
            quote = Lexeme("quote", body, body, lx.start, lxs[j - 1].end)
            earlier = any(_mention_at(out, m, ctx) for m in range(len(out)))
            if nxt and earlier:
                out.append(quote)  # "the effect was induced by the drug": words between the two
            elif prev and not nxt and _adjacent(ctx, prev, body, right=True):
                out += [_word(lx, "immediately"), _word(lx, "followed"), _word(lx, "by"), quote]
            elif nxt and not prev and _adjacent(ctx, nxt, body, right=False):
                out += [quote, _word(lx, "immediately"), _word(lx, "before")]
            elif k:
                out.append(quote)
            else:
                out += lxs[i:j]
            i = j
            continue
        out.append(lx)
        i += 1
    return out


def _goes_on(lexemes: Sequence[Lexeme], j: int, ctx: Context, known: frozenset[str]) -> bool:
    """Whether the word at ``j``, right after a run copied from the example, continues it with
    a word the example lacks (not a keyword, a name or a stop word): the run is then no
    excerpt, and quoting it would let that word be dropped as unknown."""
    if j >= len(lexemes) or lexemes[j].kind != "word":
        return False
    low = lexemes[j].text.lower()
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)}
    return low not in known and low not in names and low not in STOP_WORDS \
        and not in_example(low, ctx)


def _plain_run(lexemes: Sequence[Lexeme], i: int, ctx: Context, known: frozenset[str]) -> int:
    """How many words from ``i`` on are neither keywords nor names and occur together in the
    example (longest)."""
    run = 0
    while i + run < len(lexemes) and lexemes[i + run].kind == "word" and \
            lexemes[i + run].text.lower() not in known and \
            lexemes[i + run].text.lower() not in _ARTICLES and \
            _mention_at(lexemes, i + run, ctx) is None:
        run += 1
    for k in range(run, 0, -1):
        if in_example(" ".join(lx.text for lx in lexemes[i : i + k]), ctx):
            return k
    return 0


def _mention_at(lexemes: Sequence[Lexeme], i: int, ctx: Context) -> str | None:
    """The mention the lexemes from ``i`` on name (by its field name or its whole string)."""
    if i >= len(lexemes) or lexemes[i].kind != "word":
        return None
    low = lexemes[i].text.lower()
    for name in ctx.spans:
        value = ctx.example.get(name)
        words = _words(value.lower()) if isinstance(value, str) else []
        if low == name.lower() or (words and [lx.text.lower() for lx in
                                              lexemes[i : i + len(words)]] == words):
            return name
    return None


def _mention_ending(lexemes: Sequence[Lexeme], ctx: Context) -> str | None:
    """The mention the last lexemes name (its field name or whole string), articles aside."""
    k = len(lexemes)
    if k and lexemes[-1].text.lower() in _ARTICLES:
        return None  # "... the": an article opens what follows
    for name in ctx.spans:
        value = ctx.example.get(name)
        words = _words(value.lower()) if isinstance(value, str) else []
        tail = [lx.text.lower() for lx in lexemes[max(0, k - len(words)):]]
        if (k and lexemes[-1].text.lower() == name.lower()) or (words and tail == words):
            return name
    return None


def _adjacent(ctx: Context, mention: str, words: str, right: bool) -> bool:
    """Whether ``words`` stand right after (``right``) or right before the mention's string in
    the example."""
    value = ctx.example.get(mention)
    if not isinstance(value, str) or not value.strip():
        return False
    return in_example(f"{value} {words}" if right else f"{words} {value}", ctx)


def mention_part(lx: Lexeme, ctx: Context, known: frozenset[str]) -> str | None:
    """The mention a word names by being part of its string ("Obama" → the mention "Barack
    Obama", "rash" → "severe rash"): the mention's last word, or a capitalized word of it written
    capitalized; only when exactly one mention has it and the word is not a keyword; or any word
    of one mention's alone ("jane" for "Jane Doe") that the example has nowhere else."""
    word = lx.text
    low = word.lower()
    if lx.kind != "word" or len(low) < 3 or low in STOP_WORDS:
        return None
    whole = [n for n in ctx.spans if isinstance(v := ctx.example.get(n), str)
             and v.strip().lower() == low]
    if len(whole) == 1:
        return whole[0]  # a one-word mention written in lower case ("the location")
    if low in known:
        return None
    owners = []
    for name in ctx.spans:
        value = ctx.example.get(name)
        if not isinstance(value, str):
            continue
        parts = _words(value)
        if len(parts) < 2:
            continue
        last = parts[-1].lower() == low
        capital = word[:1].isupper() and any(p == word for p in parts)
        if last or capital:
            owners.append(name)
    if not owners and _only_in_mention(low, ctx):
        # A first name in lower case ("jane married john"): the mention's own word when the
        # example has it nowhere else.
        return crowd_clauses.mention_of(word, ctx)
    return owners[0] if len(owners) == 1 else None


def _only_in_mention(low: str, ctx: Context) -> bool:
    """Whether every occurrence of ``low`` in the example's texts is inside a mention's."""
    for text in ctx.texts:
        value = ctx.example.get(text)
        if not isinstance(value, str):
            continue
        rest = value.lower()
        for m in ctx.spans:
            mention = ctx.example.get(m)
            if isinstance(mention, str) and mention.strip():
                rest = rest.replace(mention.lower(), " ")
        if re.search(rf"(?<!\w){re.escape(low)}(?!\w)", rest):
            return False
    return True


def verbatim_run(lexemes: Sequence[Lexeme], i: int, ctx: Context, known: frozenset[str]) -> int:
    """How many word lexemes from ``i`` on are one unquoted excerpt of the example that the
    grammar would otherwise read as keywords ("after taking", "was born in"): the longest run of
    2 or more words found verbatim in the example, with at least one keyword and one word that is
    not, not ending in an article, neither opening nor ending with a conjunction ("benefits and"
    joins two things the writer names: quoted, the second would be left over), naming no field
    (0 when there is none)."""
    run = 0
    while i + run < len(lexemes) and lexemes[i + run].kind == "word":
        run += 1
    names = {n.lower() for n in (*ctx.spans, *ctx.texts, *ctx.word_lists, *ctx.labels)}
    names |= {w.lower() for m in ctx.spans if isinstance(v := ctx.example.get(m), str)
              for w in _words(v)}  # a mention is read as the mention, not as quoted words
    for k in range(run, 1, -1):
        words = [lx.text.lower() for lx in lexemes[i : i + k]]
        if words[-1] in _ARTICLES or any(w in names for w in words) \
                or words[0] in _CONJUNCTIONS or words[-1] in _CONJUNCTIONS:
            continue
        keyword = [w in known or w in _ARTICLES for w in words]
        if not any(keyword) or all(keyword):
            continue
        if in_example(" ".join(lx.text for lx in lexemes[i : i + k]), ctx):
            return k
    return 0
