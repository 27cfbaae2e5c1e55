"""Words a sentence leaves out, restored before it is read again (``readings`` tries these when
the sentence as written has no reading):

- a shared subject: "the subject is longer than 30 characters and starts with 'URGENT'" is read
  as "... and the subject starts with 'URGENT'" (the first clause's subject, copied where a later
  clause begins with its verb);
- a predicate said once: "the subject is in all caps and the message is not" is read as "... and
  the message is not in all caps" ("does not" takes the first clause's verb too);
- a subject and verb said once for a later "no ...": "the status contains 'proud' and no irony
  phrase", "there are fewer than 20 retweets and no irony phrase" are read as "... and the status
  contains no irony phrase", "... and there are no irony phrase";
- an order's other end left out: "'but' appears before the actor, and 'nuanced' appears after"
  is read as "... appears after the actor" (the previous clause's mention, else its last quote:
  "'wire' is used, and 'back' comes later" is "'back' comes after 'wire'"); "'A' and 'B' both
  occur, the first before the second" is read as "..., and 'A' occurs before 'B'";
- an elaboration after a colon (or a dash): "the subject is a question: it ends with '?'" is read as what
  follows the colon; the words before it are skipped, and are reported dropped when they carry
  content the reading does not read (a mention or field the reading reads is not dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

from explicate.grammar.explanation.lexicon import Lexeme, Symbol

# Symbols a predicate may begin with: a verb, a negation, a participle.
_VERBS = frozenset({"BE", "DO", "CONTAINS", "OCCUR", "STARTS", "ENDS", "FOLLOWS", "PRECEDES",
                    "CAN", "ASKS"})
_PREDICATE_STARTS = _VERBS | {"not", "never", "followed", "preceded"}
# What a copied subject may be made of: a mention, a field, quoted words (with their noun).
_SUBJECT = frozenset({"ENT", "FIELD", "QUOTE", "LIST", "WN", "NFIELD", "NWORDS"})
_FRAME_ENDS = frozenset({"because", "since", "if", "when"})
# What opens an elaboration: a colon, or a dash standing alone.
_COLONS = frozenset({":", "-", "--", "\u2013", "\u2014"})


def shared_subject(symbols: Sequence[Symbol]) -> list[Symbol] | None:
    """``symbols`` with the first clause's subject copied after each "and"/"but" that is directly
    followed by a verb, or None when no clause lacks its subject."""
    start = next((k + 1 for k, s in enumerate(symbols[:4]) if s.name in _FRAME_ENDS), 0)
    verb = next((k for k in range(start, len(symbols)) if symbols[k].name in _VERBS), None)
    if verb is None or not 1 <= verb - start <= 3 or any(
            s.name not in _SUBJECT for s in symbols[start:verb]):
        return None
    subject = list(symbols[start:verb])
    out: list[Symbol] = []
    changed = False
    for k, s in enumerate(symbols):
        out.append(s)
        if k > verb and s.name in ("and", "but") and k + 1 < len(symbols) \
                and symbols[k + 1].name in _PREDICATE_STARTS:
            out.extend(subject)
            changed = True
    return out if changed else None


def shared_predicate(symbols: Sequence[Symbol]) -> list[Symbol] | None:
    """``symbols`` with the first clause's predicate copied after a last clause that ends in
    "is not" / "does not" ("A is upper and B is not"), or None when there is none."""
    n = len(symbols)
    if n < 6 or symbols[-1].name != "not" or symbols[-2].name not in ("BE", "DO"):
        return None
    conj = next((k for k in range(n - 3, 0, -1) if symbols[k].name in ("and", "but", ",")), None)
    if conj is None or any(s.name in _VERBS for s in symbols[conj + 1 : n - 2]):
        return None
    verb = next((k for k in range(conj) if symbols[k].name in _VERBS), None)
    if verb is None or verb + 1 >= conj:
        return None
    aux = symbols[-2].name
    if aux == "BE" and symbols[verb].name == "BE":
        predicate = symbols[verb + 1 : conj]
    elif aux == "DO" and symbols[verb].name not in ("BE", "DO"):
        predicate = symbols[verb:conj]
    else:
        return None
    if any(s.name in ("not", "no", "never") for s in predicate):
        return None  # "A is not X and B is not": whether B is X is not said
    return [*symbols, *predicate]


def shared_verb(symbols: Sequence[Symbol]) -> list[Symbol] | None:
    """``symbols`` with the first clause's subject and verb ("there is", "the status contains")
    copied after each "and"/"," directly followed by "no", or None when there is none."""
    if len(symbols) < 5:
        return None
    if symbols[0].name == "there" and symbols[1].name == "BE":
        head = list(symbols[:2])
    else:
        verb = next((k for k, s in enumerate(symbols[:4]) if s.name in ("CONTAINS", "BE")), None)
        if verb is None or verb == 0 or any(s.name not in _SUBJECT for s in symbols[:verb]):
            return None
        head = list(symbols[:verb + 1])
    out: list[Symbol] = []
    changed = False
    for k, s in enumerate(symbols):
        out.append(s)
        if k > len(head) and s.name in ("and", ",") and k + 1 < len(symbols) \
                and symbols[k + 1].name == "no":
            out.extend(head)
            changed = True
    return out if changed else None


# A bare order word at the end of a clause, and the order word it stands for.
_BARE_ORDER = {"after": "after", "later": "after", "afterwards": "after", "before": "before",
               "earlier": "before"}
_CLAUSE_ENDS = frozenset({",", ";", "and", "but", "."})


def elided_anchor(symbols: Sequence[Symbol]) -> list[Symbol] | None:
    """``symbols`` with the anchor of a bare "after"/"later"/"before" that ends a later clause
    ("..., and 'nuanced' appears after") restored from the clause before it, and "the first
    before the second" said of two quotes spelled out; None when there is no such clause."""
    out: list[Symbol] = []
    changed = False
    n = len(symbols)
    for k, s in enumerate(symbols):
        order = _BARE_ORDER.get(s.name)
        ends = k + 1 >= n or symbols[k + 1].name in _CLAUSE_ENDS
        if order and ends and k >= 2 and symbols[k - 1].name in ("OCCUR", "BE", "FOLLOWS"):
            anchor = _anchor(symbols[:k])
            if anchor is not None:
                out.extend([Symbol(order, order, s.start, s.end), anchor])
                changed = True
                continue
        first_second = _first_second(symbols, k)
        if first_second is not None:
            out.extend(first_second)
            return [*out, *symbols[k + 4:]] if k + 4 < n else out
        out.append(s)
    return out if changed else None


def _anchor(before: Sequence[Symbol]) -> Symbol | None:
    """The mention of the clause before the current one, else its last quote."""
    end = len(before)
    while end > 0 and before[end - 1].name not in _CLAUSE_ENDS:
        end -= 1  # the start of the current clause
    while end > 0 and before[end - 1].name in _CLAUSE_ENDS:
        end -= 1  # ", and" between the two clauses
    if end == 0:
        return None
    start = end
    while start > 0 and before[start - 1].name not in _CLAUSE_ENDS:
        start -= 1
    previous = before[start:end]
    mentions = [s for s in previous if s.name == "ENT"]
    if len(mentions) == 1:
        return mentions[0]
    quotes = [s for s in previous if s.name == "QUOTE"]
    return quotes[-1] if quotes and not mentions else None


def _first_second(symbols: Sequence[Symbol], k: int) -> list[Symbol] | None:
    """", the first before the second" (at ``k``) as ", and A OCCUR before B" for the two quotes
    the sentence names first; None when ``k`` does not start that phrase."""
    names = [s.name for s in symbols[k:k + 4]]
    if names not in ([",", "first", "before", "second"], [",", "first", "after", "second"]):
        return None
    quotes = [s for s in symbols[:k] if s.name == "QUOTE"]
    if len(quotes) != 2:
        return None
    c, order = symbols[k], symbols[k + 2]
    return [c, Symbol("and", "and", c.start, c.end), quotes[0],
            Symbol("OCCUR", "occurs", order.start, order.end), order, quotes[1]]


def colon_split(symbols: Sequence[Symbol], lexemes: Sequence[Lexeme]
                ) -> tuple[list[Symbol], list[Symbol]] | None:
    """(before, after) the first colon (or lone dash) that does not follow a label, when both
    sides have symbols; None otherwise."""
    labels = {s.end for s in symbols if s.name == "LABEL"}
    colon = next((lx.start for lx in lexemes if lx.text in _COLONS and lx.kind != "quote"
                  and not any(0 <= lx.start - e <= 1 for e in labels)), None)
    if colon is None:
        return None
    before = [s for s in symbols if s.end <= colon]
    after = [s for s in symbols if s.start > colon]
    return (before, after) if before and after else None
