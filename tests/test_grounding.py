"""Unquoted content grounded in the example (``grammar/explanation/grounding.py``): words named
without quotes after a verb of saying, or as the operand of a word of place, read as a quote
where the example has them, and reported."""

from __future__ import annotations

import pytest

from explicate.grammar import to_dsl
from explicate.grammar.explanation import Context, parse_explanation
from explicate.grammar.explanation.grounding import inflected

FLIGHT = Context(("NEG", "POS"), {}, ("tweet",), {"positive": ("good", "great")},
                 {"tweet": "Flight delayed again, nobody told us anything. Still waiting for "
                           "a refund from the airline, amazing service"})
JOB = Context(("REAL", "SCAM"), {}, ("posting",), {"bait": ("easy money",)},
              {"posting": "We offer health benefits and a 401k. A degree is required. "
                          "Interviews are held on site."})
KITCHEN = Context(("NO", "YES"), {"gadget": "review"}, ("headline", "review"), {},
                  {"headline": "Solid blender", "review": "The motor is loud but the jar never "
                   "leaked and the lid crashed twice", "gadget": "jar"})


def readings(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


@pytest.mark.parametrize("text,ctx,dsl", [
    # After a verb of saying, containing, using or mentioning, and their crowd spellings.
    ("it says nobody told us anything", FLIGHT, 'tweet contains "nobody told us anything"'),
    ("it sez nobody told us", FLIGHT, 'tweet contains "nobody told us"'),
    ("the tweet writes amazing", FLIGHT, 'tweet contains "amazing"'),
    ("it wrote still waiting", FLIGHT, 'tweet contains "still waiting"'),
    ("it mentiones the airline", FLIGHT, 'tweet contains "the airline"'),
    ("the posting talks about interviews", JOB, 'posting contains "interviews"'),
    ("the review says the motor is loud", KITCHEN, 'review contains "the motor is loud"'),
    # Two things joined: the run ends before the conjunction ("benefits and" is no excerpt).
    ("The posting mentions benefits and a degree.", JOB,
     'posting contains "benefits" and posting contains "degree"'),
    # A negation or relation word alone is said only at the end of its clause.
    ("the review says never", KITCHEN, 'review contains "never"'),
    # A list of grounded runs, the crowd's "+" as "and"; an item in two forms is its own clause.
    ("it says benefits + degree", JOB, 'posting contains "benefits" and posting contains "degree"'),
    ("the tweet mentions refunds and delays", FLIGHT,
     'tweet contains any of ("refunds", "refund") and tweet contains any of ("delays", "delayed")'),
    # A quote later in the clause is what is said; the unquoted words are what it is said of.
    ("the review says the lid was 'crashed'", KITCHEN, 'review contains "crashed"'),
    ("the tweet says service was 'amazing'", FLIGHT, 'tweet contains "amazing"'),
    # Another inflection of the example's word: any of the two forms.
    ("the tweet mentions the delay", FLIGHT, 'tweet contains any of ("delay", "delayed")'),
    ("the posting mentions an interview", JOB,
     'posting contains any of ("interview", "Interviews")'),
    ("the review uses the word crashes", KITCHEN,
     'review contains any of ("crashes", "crashed")'),
])
def test_words_after_a_verb_of_saying_are_read_as_quoted(text: str, ctx: Context,
                                                         dsl: str) -> None:
    assert readings(text, ctx) == [dsl]


def test_a_grounded_run_is_reported() -> None:
    parsed = parse_explanation("the tweet mentions the delay", FLIGHT)
    assert any("'delay'" in w and "'delayed'" in w for w in parsed.warnings)
    parsed = parse_explanation("the posting talks about interviews", JOB)
    assert any("unquoted words 'interviews'" in w for w in parsed.warnings)


@pytest.mark.parametrize("text,ctx", [
    ("the tweet does not mention refunds", FLIGHT),
    ("the posting doesnt say benefits", JOB),
    ("the review never mentions the motor", KITCHEN),
])
def test_a_negation_before_the_verb_is_kept(text: str, ctx: Context) -> None:
    got = readings(text, ctx)
    assert got and all(d.startswith("not ") for d in got)


def test_operands_of_place_are_grounded_in_the_generous_reading() -> None:
    assert readings("amazing comes after refunds", FLIGHT) == [
        'any of ("refunds", "refund") followed by "amazing" in tweet']
    # A mention is read by name, not as quoted words.
    assert readings("never leaked comes after the jar", KITCHEN) == [
        '"never leaked" right of gadget']


@pytest.mark.parametrize("text,ctx", [
    # Words the example lacks, in any form: not grounded, not read.
    ("the tweet mentions the weather", FLIGHT),
    ("the posting mentions a salary", JOB),
    # A derivation is not an inflection: "lovely" is not in the example's "love".
    ("the headline mentions solidly", KITCHEN),
])
def test_words_the_example_lacks_are_not_grounded(text: str, ctx: Context) -> None:
    assert readings(text, ctx) == []


@pytest.mark.parametrize("a,b,same", [
    ("delay", "delayed", True), ("refund", "refunds", True), ("crashes", "crashed", True),
    ("interview", "interviews", True), ("carry", "carries", True),
    ("form", "former", False), ("love", "lovely", False), ("plan", "plane", False),
    ("dirt", "dirty", False), ("use", "used", False), ("solid", "solidly", False),
])
def test_inflections_only(a: str, b: str, same: bool) -> None:
    assert inflected(a, b) is same
    assert inflected(b, a) is same
