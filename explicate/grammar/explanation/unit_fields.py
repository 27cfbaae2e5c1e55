"""Numeric fields named by what they measure: a unit, a kind of person, one word of the name.

Schemas name numbers in code (``price_usd``, ``delay_hours``, ``recipients``, ``star_rating``);
people name them by the unit or the thing counted after the number, or by one word of the name:

- a unit after a number names the field whose name holds that unit: "50 dollars" for
  ``price_usd``, "3 hours" for ``delay_hours``, "2 years" for ``age_years``, "four stars" for
  ``star_rating`` (a unit is compared by its group: dollar, dollars, usd and bucks are one);
- a word for people after a number ("100 people", "two persons") names the field whose name is
  a kind of person ("recipients", "users_affected", "attendees");
- one word of a single numeric field's name ("the price", "the rating", "the delay"), or a word
  for the same quantity ("the pay" for ``salary``, "the cost" for ``price``), names it where a
  number follows within a few words ("the price is under 50").

Each is read only where exactly one numeric field is named so; several are ambiguous and
nothing is read (``ambiguous_unit`` says which fields the word could name). Tables and pure
functions; ``word_fields.named_number`` and ``lexicon.classify`` use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Units by group: any member said after a number names a field whose name holds any member.
_UNIT_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"dollar", "dollars", "usd", "bucks", "buck"},
    {"euro", "euros", "eur"},
    {"pound", "pounds", "gbp", "quid"},
    {"cent", "cents"},
    {"hour", "hours", "hr", "hrs"},
    {"minute", "minutes", "min", "mins"},
    {"second", "seconds", "sec", "secs"},
    {"day", "days"},
    {"week", "weeks", "wk", "wks"},
    {"month", "months", "mo", "mos"},
    {"year", "years", "yr", "yrs"},
    {"star", "stars"},
    {"point", "points", "pts", "pt"},
    {"percent", "pct", "percentage"},
    {"mile", "miles", "mi"},
    {"kilometer", "kilometers", "kilometre", "kilometres", "km"},
    {"meter", "meters", "metre", "metres", "m"},
    {"kilogram", "kilograms", "kg", "kgs", "kilo", "kilos"},
    {"gram", "grams", "g"},
    {"page", "pages", "pp"},
))
UNIT_OF: dict[str, frozenset[str]] = {w: g for g in _UNIT_GROUPS for w in g}
# Words that count people, said after a number ("sent to 100 people").
PEOPLE_WORDS = frozenset({"people", "persons", "person", "ppl", "folks", "individuals",
                          "humans"})
# Field-name words that are kinds of person: a people word after a number names such a field.
PERSON_PARTS = frozenset({
    "recipient", "user", "member", "follower", "subscriber", "attendee", "participant",
    "customer", "guest", "employee", "person", "people", "reader", "viewer", "visitor",
    "voter", "patient", "student", "passenger", "contact", "addressee", "player", "worker",
    "fan", "friend", "buyer", "client", "resident", "applicant", "signatory", "signer",
    "nurse", "doctor", "staff", "author", "speaker", "driver", "owner", "tenant", "child",
})
# Adjectives of measure a unit may carry: "3 hours late", "2 years old", "5 miles away".
MEASURE_WORDS = frozenset({"old", "late", "long", "away", "early", "overdue", "ago", "tall",
                           "wide", "heavy", "deep"})
# Words for one quantity, any of which names a field whose name holds another: "it costs 10"
# for ``price``, "the pay is under 50k" for ``salary``, "rated 4" for ``rating``.
_SYNONYM_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"price", "priced", "cost", "costs", "costing", "fee", "fees", "charge", "charged", "fare"},
    {"salary", "pay", "pays", "paid", "wage", "wages", "income", "compensation", "earnings"},
    {"rating", "rated", "score", "scored"},
    {"weight", "weighs", "weighing", "weighed"},
    {"delay", "delayed", "late", "lateness"},
))
SYNONYMS: dict[str, frozenset[str]] = {w: g for g in _SYNONYM_GROUPS for w in g}
# Parts of a field's name that say "a count" rather than what is counted ("num_shares").
COUNT_PARTS = frozenset({"num", "n", "count", "total", "number", "of", "nb", "no"})


def singular(word: str) -> str:
    """``recipients`` -> ``recipient``; words in -ss and short words stay."""
    w = word.lower()
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def content_parts(name: str) -> list[str]:
    """The words of a numeric field's name that say what it measures (count words left out):
    ``num_shares`` -> [shares], ``delay_hours`` -> [delay, hours]."""
    return [p for p in name.lower().split("_") if p and p not in COUNT_PARTS]


def names_part(word: str, part: str) -> bool:
    """Whether ``word`` said after a number names the field-name word ``part``: the same unit
    ("dollars" for ``usd``), a people word for a kind of person ("people" for ``recipients``),
    or the same noun ("reviews" for ``review``)."""
    w, p = word.lower(), part.lower()
    if w in UNIT_OF and p in UNIT_OF[w]:
        return True
    if w in PEOPLE_WORDS and singular(p) in PERSON_PARTS:
        return True
    if w in SYNONYMS and p in SYNONYMS[w]:
        return True
    return singular(w) == singular(p) and w.isalpha()


def unit_fields(word: str, numbers: Iterable[str]) -> list[str]:
    """The numeric fields one of whose name words ``word`` (said after a number) names."""
    return [n for n in numbers if any(names_part(word, p) for p in content_parts(n))]


def part_names(numbers: Iterable[str], texts: Iterable[str],
               taken: frozenset[str]) -> dict[str, str]:
    """One word of a numeric field's name (and its plural or singular) -> the field, for the
    words that only one numeric field's name holds and no text field's name does; ``taken``
    words (grammar words, lists, labels, fields) are never read so."""
    owners: dict[str, set[str]] = {}
    for name in numbers:
        for part in content_parts(name):
            if not part.isalpha() or len(part) < 3:
                continue
            for form in {part, singular(part), singular(part) + "s"} | SYNONYMS.get(part, set()):
                owners.setdefault(form, set()).add(name)
    text_words = {singular(p) for t in texts for p in t.lower().split("_")}
    return {w: next(iter(fs)) for w, fs in owners.items()
            if len(fs) == 1 and w not in taken and singular(w) not in text_words}


def ambiguous_unit(words: Iterable[str], numbers: Iterable[str],
                   whole: Mapping[str, str]) -> str | None:
    """A note for a unit or people word that several numeric fields could be: "'hours' could
    name delay_hours or wait_hours; name the field", else None. ``whole`` words name a field
    outright and are never ambiguous."""
    fields = list(numbers)
    for word in words:
        if word.lower() in whole:
            continue
        hits = unit_fields(word, fields)
        if len(hits) > 1:
            return f"'{word}' could name {' or '.join(hits)}; name the field"
    return None
