"""The explanation grammar's vocabulary: word classes, number words, the nouns for texts and
their parts, and which words carry content (what a reading may not drop silently).

Tables only; ``lexicon`` reads them to turn words into grammar symbols.
"""

from __future__ import annotations

ARTICLES = frozenset({"the", "a", "an"})
NUMBER_WORDS = {
    w: i for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen", "twenty"]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
     "ninety": 90, "hundred": 100, "single": 1, "once": 1, "twice": 2}
TEXT_ALIASES = ("sentence", "text", "passage", "document", "paragraph", "example", "article",
                 "snippet", "message", "tweet", "post")
# The two parts of a document a task may split into text fields, by the names people call them:
# "the title" reads the title-like field (headline, subject, heading), "the body" the other.
TITLE_NOUNS = frozenset({"title", "headline", "subject", "heading", "header", "caption"})
BODY_NOUNS = frozenset({"body", "story", "message", "content", "contents", "clause", "article",
                         "description", "abstract", "review", "post"})
QUOTES = [("“", "”"), ("‘", "’"), ("``", "''"), ("«", "»"), ('"', '"'), ("'", "'")]


# Synonyms the grammar treats alike: each member word becomes its class symbol before parsing
# (one terminal instead of many alternatives keeps the Earley chart small).
WORD_CLASSES: dict[str, tuple[str, ...]] = {
    "BE": ("is", "are", "was", "were", "be", "being"),
    "OCCUR": ("occurs", "occur", "occurring", "appears", "appear", "comes", "come", "exists",
              "exist", "lies", "sits", "stands", "falls"),
    "PP": ("found", "present", "located", "used", "mentioned", "written", "placed", "seen", "said",
           "included", "contained"),
    "DO": ("does", "do", "did"),
    "CAN": ("can", "could", "may", "might"),
    "WN": ("word", "words", "phrase", "phrases", "term", "terms", "string", "strings", "token",
           "tokens", "expression", "verb", "verbs", "noun", "nouns", "adjective", "adjectives"),
    "CHARS": ("character", "characters", "chars", "letters", "letter"),
    "CONTAINS": ("contains", "contain", "has", "have", "includes", "include", "mentions", "says",
                 "say", "uses", "use"),
    "STARTS": ("starts", "start", "begins", "begin", "opens", "open"),
    "ENDS": ("ends", "end", "finishes", "finish", "concludes", "conclude", "closes"),
    "FOLLOWS": ("follows", "follow"),
    "PRECEDES": ("precedes", "precede"),
    "ENTTYPE": ("person", "people", "location", "place", "organization", "company", "date",
                "country", "city",
                # entity types (primitives.entities.ENGLISH): plurals and spellings
                "persons", "locations", "places", "organizations", "organisation",
                "organisations", "companies", "dates", "countries", "cities"),
    "RELATING": ("relating", "related", "referring", "about"),
    # Verbs of reporting before "that" ("the author writes that ..."): what follows is the reason.
    "REPORTS": ("writes", "write", "wrote", "states", "state", "stated", "claims", "claimed",
                "notes", "noted", "reports", "reported", "explains", "explained"),
    # What a named list's words suggest ("no word suggesting a defect").
    "SUGGESTING": ("suggesting", "indicating", "signaling", "signalling", "expressing",
                   "denoting", "conveying", "implying"),
    # Verbs of describing a mention: "the feature is described as 'dead'".
    "DESCRIBED": ("described", "portrayed", "characterized", "characterised", "depicted",
                  "labeled", "labelled", "framed"),
    "DESCRIBES": ("describes", "describe", "portrays", "portray", "characterizes",
                  "characterises", "depicts", "depict", "labels", "frames"),
    # Speech acts a text performs with its words: "the body asks the reader to 'verify'".
    "ASKS": ("asks", "ask", "requests", "request", "demands", "demand", "urges", "urge",
             "tells", "tell", "invites", "invite", "instructs", "begs", "prompts"),
    "ABSENT": ("absent", "missing", "lacking"),
    "IMMED": ("immediately", "directly", "just", "straight"),
    "LINKS": ("links", "link", "connects", "connect", "joins", "join", "separates", "separate",
              "splits", "split", "bridges", "bridge", "divides"),
    "SANDWICH": ("sandwich", "sandwiches", "surround", "surrounds", "flank", "flanks", "enclose",
                 "encloses", "bracket", "brackets"),
    "JOINED": ("separated", "joined", "linked", "connected", "divided", "bridged"),
    "LESS": ("less", "fewer", "smaller", "lower", "shorter"),
    "MORE": ("more", "greater", "larger", "bigger", "higher", "longer"),
    "WHOLLY": ("entirely", "fully", "completely", "wholly", "totally"),
}
CLASS_OF = {w: c for c, words in WORD_CLASSES.items() for w in words}

# --- spelling slips -----------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition counts one), or ``limit + 1`` when it
    exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


# What a reading may not drop silently (a partial reading that drops one is reported, not kept):
# quotes, mentions, lists, and negation, relation and comparison words.
CONTENT_SYMBOLS = frozenset({"QUOTE", "ENT", "LIST", "OBJ", "FOLLOWS", "PRECEDES", "IMMED",
                             "LESS", "MORE", "ENTTYPE"})
CONTENT_WORDS = frozenset({
    # negation
    "not", "no", "never", "none", "neither", "nor", "without", "except", "unless", "cannot",
    "nothing", "nobody", "absent", "lacks", "lack", "missing",
    # relation (position, order, distance, identity)
    "between", "before", "after", "left", "right", "follows", "followed", "following", "precedes",
    "preceded", "preceding", "within", "near", "next", "adjacent", "apart", "away", "beside",
    "behind", "ahead", "prior", "close", "far", "same", "overlap", "overlaps", "inside", "above",
    "below", "under", "over", "sandwich", "sandwiched", "separates", "separated", "links",
    "connects", "starts", "begins", "ends", "first", "last",
    # comparison
    "than", "least", "most", "exactly", "equal", "equals", "more", "less", "fewer", "greater",
    "larger", "smaller", "longer", "shorter", "only",
    # alternatives: dropping "or" and what follows it narrows "A, B or C" to "A"
    "or",
    # letter case: "written in capital letters" is a case-sensitive match, not any case
    "capital", "capitals", "capitalized", "capitalised", "uppercase", "upper", "caps", "lowercase",
})


# Symbols that separate clauses ("A, B and C"): pronoun resolution and the clause cover cut there.
SEPARATORS = frozenset({",", ";", "and", "but"})
