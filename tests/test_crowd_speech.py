"""Plain-speech rewrites for crowd explanations that are not about fields or spelling."""

from __future__ import annotations

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

ONE_TEXT = Context(("NO", "YES"), {"a": "sentence", "b": "sentence"}, ("sentence",), {},
                   {"sentence": "Ann met her husband Bob in Rome.", "a": "Ann", "b": "Bob"})
TWO_TEXTS = Context(("HAM", "SPAM"), {}, ("subject", "body"), {},
                    {"subject": "Win a prize", "body": "Claim your prize."})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def test_a_clause_final_is_there_is_the_one_text() -> None:
    assert _complete("because the word husband is there", ONE_TEXT) == [
        'sentence contains "husband"']


def test_there_is_not_rewritten_without_one_text_or_after_other_verbs() -> None:
    # Two texts: "there" could be either, so no reading names one (both texts have "prize", so
    # the domain-statement reading of statements.py does not guess one either).
    assert not any("subject" in d or "body" in d
                   for d in _complete("the word prize is there", TWO_TEXTS))
    # "seen there" is not "is there": no "the text contains" rewrite; what is read is the
    # statement reading of the example's word, and it says so.
    parsed = parse_explanation("husband was seen there", ONE_TEXT)
    assert [to_dsl(r.when) for r in parsed.readings] == ['sentence contains "husband"']
    assert any("as a statement about the example's words" in w for w in parsed.warnings)
