"""Words a sentence leaves out, restored before it is read again (``readings`` tries these when
the sentence as written has no reading):

- a shared subject: "the subject is longer than 30 characters and starts with 'URGENT'" is read
  as "... and the subject starts with 'URGENT'" (the first clause's subject, copied where a later
  clause begins with its verb);
- a predicate said once: "the subject is in all caps and the message is not" is read as "... and
  the message is not in all caps" ("does not" takes the first clause's verb too);
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
