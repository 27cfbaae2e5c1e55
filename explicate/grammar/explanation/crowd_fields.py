"""Two text fields said together ("export is in the title and the body", "the title and the body
both say crashes"), as crowd workers write them: the sentence states its condition of each field,
so it is said once per field ("export is in the title and export is in the body").

Without this the grammar reads the first field and skips the second, and a skipped field name is
not reported as dropped content, so the reading would be kept as complete though it says less
than the sentence. Only two distinct text fields of the task joined by "and" are distributed, and
only when the clause has no negation (whether "not in the title and the body" means neither or
not both is the writer's to say).
"""

from __future__ import annotations

from collections.abc import Sequence

from explicate.grammar.explanation.lexicon import Context, Lexeme

_ARTICLES = frozenset({"the", "a", "an"})
_IN = frozenset({"in", "inside", "within"})
_CLAUSE_MARKS = frozenset({",", ";", ".", "because", "since", "but"})
_NEGATIONS = frozenset({"not", "no", "never", "none", "neither", "nor", "without", "doesn't",
                        "don't", "isn't", "aren't", "didn't", "wasn't", "cannot", "doesnt",
                        "dont", "isnt", "n't"})


def _low(lx: Lexeme) -> str:
    return lx.text.lower() if lx.kind in ("word", "punct", "symbol") else ""


def _field_at(lxs: Sequence[Lexeme], i: int, fields: frozenset[str]) -> tuple[int, int] | None:
    """(start of the field's words, index after the field) when an optional article and a text
    field name start at ``i``."""
    j = i + (i < len(lxs) and _low(lxs[i]) in _ARTICLES)
    return (i, j + 1) if j < len(lxs) and _low(lxs[j]) in fields else None


def distribute_fields(lexemes: Sequence[Lexeme], ctx: Context) -> list[Lexeme]:
    """The lexemes with one coordination of two text fields said once per field (see the
    module docstring); unchanged when there is none."""
    fields = frozenset(t.lower() for t in ctx.texts)
    if len(fields) < 2:
        return list(lexemes)
    lxs = list(lexemes)
    for i in range(len(lxs)):
        first = _field_at(lxs, i, fields)
        if first is None or first[1] >= len(lxs) or _low(lxs[first[1]]) != "and":
            continue
        k = first[1] + 1
        again_in = k < len(lxs) and _low(lxs[k]) in _IN
        second = _field_at(lxs, k + again_in, fields)
        if second is None or _low(lxs[second[1] - 1]) == _low(lxs[first[1] - 1]):
            continue
        start = max((m + 1 for m in range(i) if _low(lxs[m]) in _CLAUSE_MARKS), default=0)
        end = next((m for m in range(second[1], len(lxs)) if _low(lxs[m]) in _CLAUSE_MARKS),
                   len(lxs))
        if any(_low(x) in _NEGATIONS for x in lxs[start:end]):
            return lxs
        one, other = lxs[i:first[1]], lxs[k + again_in:second[1]]
        before, after = lxs[start:i], lxs[second[1]:end]
        if i > start and _low(lxs[i - 1]) in _IN and not after:
            # "X is in the title and (in) the body": the object is coordinated.
            clauses = before + one + [lxs[first[1]]] + before + other
        elif i == start and after:
            # "the title and the body (both) say X": the subject is coordinated.
            rest = after[1:] if _low(after[0]) == "both" else after
            clauses = one + rest + [lxs[first[1]]] + other + rest
        else:
            continue
        return lxs[:start] + clauses + lxs[end:]
    return lxs
