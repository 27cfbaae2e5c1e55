"""Shared context for explanation tests: a spouse-like example the project writes itself."""

from __future__ import annotations

from explicate.grammar.explanation import Context

SENTENCE = ("Mr John Smith and his wife, Mary Smith, were married in 2008; "
            "her sisters and John's dad came from Boston.")
EXAMPLE = {"sentence": SENTENCE, "person1": "John Smith", "person2": "Mary Smith"}
CONTEXT = Context(
    labels=("NOT_SPOUSE", "SPOUSE"),
    spans={"person1": "sentence", "person2": "sentence"},
    texts=("sentence",),
    word_lists={"spouse": ("wife", "husband", "spouse")},
)


def render(text: str, ctx: Context = CONTEXT) -> str:
    """The golden-file block for one explanation: every reading (or why there is none)."""
    from explicate.grammar import to_dsl
    from explicate.grammar.explanation import parse_explanation

    parsed = parse_explanation(text, ctx)
    lines = [f"> {text}"]
    for r in parsed.readings:
        label = f"[{r.label}] " if r.label else ""
        skipped = f"   (skipped: {' '.join(r.skipped)})" if r.skipped else ""
        if r.partial:
            skipped += f" PARTIAL, dropped: {' | '.join(r.dropped)}"
        lines.append(f"  {label}{to_dsl(r.when)}{skipped}")
    lines += [f"  unsupported: {u}" for u in parsed.unsupported]
    lines += [f"  error: {d.message} at {d.span.start if d.span else '?'}"
              for d in parsed.diagnostics]
    return "\n".join(lines)
