"""English distance, adjacency and a quote said of a mention, over task shapes of their own
(an airline notice, a sale deed, a market report): the reading each sentence must get."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explicate import to_dsl
from explicate.grammar.explanation import Context, parse_explanation

FLIGHT = Context(
    labels=("ON_TIME", "DELAYED"),
    spans={"airline": "notice", "city": "notice"},
    texts=("notice",),
    word_lists={"late": ("delayed", "late")},
    example={"notice": "SkyJet flight 20 to Oslo was delayed by two hours.",
             "airline": "SkyJet", "city": "Oslo"},
)
SALE = Context(
    labels=("NO", "SOLD"),
    spans={"seller": "deed", "buyer": "deed"},
    texts=("deed",),
    example={"deed": "Acme Corp sold the warehouse to Brill Ltd on 4 May 2021.",
             "seller": "Acme Corp", "buyer": "Brill Ltd"},
)
REPORT = Context(
    labels=("NO", "YES"),
    spans={"company": "report", "date": "report"},
    texts=("report",),
    example={"report": "Shares of Orbix fell on Monday after the recall.",
             "company": "Orbix", "date": "Monday"},
)
DOSE = Context(
    labels=("NO", "DOSE"),
    spans={"medicine": "order", "amount": "order"},
    texts=("order",),
    example={"order": "Give ibuprofen 400 mg twice a day.", "medicine": "ibuprofen",
             "amount": "400 mg"},
)


def reading(text: str, ctx: Context) -> str:
    """The one full reading of ``text`` as DSL (the test fails on none, several or a partial)."""
    parsed = parse_explanation(text, ctx)
    readings = [r for r in parsed.readings if not r.partial]
    assert readings, (text, parsed.unsupported, [d.message for d in parsed.diagnostics],
                      [to_dsl(r.when) for r in parsed.readings])
    return to_dsl(readings[0].when)


@pytest.mark.parametrize(("ctx", "text", "dsl"), [
    # two mentions side by side, in either order
    (SALE, "The seller and the buyer are adjacent.", "seller and buyer within 0 words"),
    (FLIGHT, "the airline and the city are not next to each other",
     "not airline and city within 0 words"),
    (REPORT, "The company is right next to the date.", "company and date within 0 words"),
    (REPORT, "the date sits beside the company", "date and company within 0 words"),
    (SALE, "Nothing lies between the seller and the buyer.", "seller and buyer within 0 words"),
    (FLIGHT, "There are no words between the airline and the city.",
     "airline and city within 0 words"),
    (REPORT, "no words separate the company and the date", "company and date within 0 words"),
    # a phrase next to a mention, on either side
    (FLIGHT, "'flight' is adjacent to the airline", '"flight" within 0 words of airline'),
    (REPORT, "The word 'fell' is directly beside the company.",
     '"fell" within 0 words of company'),
    (SALE, "the buyer is right next to 'on'", '"on" within 0 words of buyer'),
    # two phrases side by side
    (FLIGHT, "'was' and 'delayed' are next to each other",
     '"was" followed by "delayed" within 0 words in notice or '
     '"delayed" followed by "was" within 0 words in notice'),
    # bounds after their number
    (SALE, "Three words or fewer separate the seller from the buyer.",
     "distance(seller, buyer) <= 3"),
    (REPORT, "there are 4 words or less between the company and the date",
     "distance(company, date) <= 4"),
    (FLIGHT, "There are no more than five words separating the airline and the city.",
     "distance(airline, city) <= 5"),
    (REPORT, "'on' is two words or fewer before the date", '"on" within 2 words left of date'),
    (SALE, "the seller and the buyer are 6 words or fewer apart",
     "distance(seller, buyer) <= 6"),
    # the adverb last
    (FLIGHT, "The city follows 'to' immediately.", '"to" within 0 words left of city'),
    (SALE, "the seller is followed by 'sold' directly", '"sold" within 0 words right of seller'),
    (REPORT, "'fell' follows 'Orbix' directly",
     '"Orbix" followed by "fell" within 0 words in report'),
    # a distance said of the same mention again, and the mention's own side
    (FLIGHT, "The word 'was' appears after the city, within two words of it.",
     '"was" within 2 words right of city'),
    (REPORT, "The company comes first, and 'fell' is directly to its right.",
     'company before date and "fell" within 0 words right of company'),
    (FLIGHT, "'to' is right before the city, and 'was' stands on its right.",
     '"to" within 0 words left of city and "was" right of city'),
    # "its" before the other mention says no more than "the"
    (SALE, "only 'sold the warehouse to' separates the seller from its buyer",
     '"sold the warehouse to" between seller and buyer and distance(seller, buyer) <= 4'),
    # order, then what separates the two
    (SALE, "The buyer comes after the seller, separated from it by 'sold the warehouse to'.",
     'seller before buyer and "sold the warehouse to" between buyer and seller'),
    (REPORT, "the company precedes the date, separated by 'fell on'",
     'company before date and "fell on" between company and date'),
    # a sequence with "then"
    (SALE, "The seller comes first, then the buyer.", "seller before buyer"),
    (REPORT, "the date comes first and then the company", "date before company"),
    # notes without a verb; a mention's name cut short; a value with a number in it
    (DOSE, "400 mg right after ibuprofen",
     "medicine before amount and amount and medicine within 0 words"),
    (DOSE, "amount right next to med", "amount and medicine within 0 words"),
    (SALE, "the buyer directly after the seller",
     "seller before buyer and buyer and seller within 0 words"),
    # "a few words": a number chosen (3), or the one said after it
    (FLIGHT, "'delayed' is a few words after the city", '"delayed" within 3 words right of city'),
    (REPORT, "'after' is within a couple of words of the date",
     '"after" within 2 words of date'),
    (FLIGHT, "'hours' occurs within a few words after 'delayed', say four.",
     '"delayed" followed by "hours" within 4 words in notice'),
    # a mention's value restated, "mentioned"
    (REPORT, "The company (Orbix) is immediately followed by 'fell'.",
     '"fell" within 0 words right of company'),
    (SALE, "the buyer mentioned is 'Brill Ltd'", 'buyer is "Brill Ltd"'),
    (FLIGHT, "The mentioned airline is followed by 'flight'.", '"flight" right of airline'),
    # a quote said of a mention
    (FLIGHT, "The airline is known as 'SkyJet'.", 'airline is "SkyJet"'),
    (SALE, "the seller goes by 'Acme Corp'", 'seller is "Acme Corp"'),
    (REPORT, "the company is not known as 'Orbix'", 'not company is "Orbix"'),
    (SALE, "The buyer's name is 'Brill Ltd'.", 'buyer is "Brill Ltd"'),
    (FLIGHT, "the city is called 'Oslo'", 'city is "Oslo"'),
])
def test_distance_and_adjacency_read_as_said(ctx: Context, text: str, dsl: str) -> None:
    assert reading(text, ctx) == dsl


def test_a_few_words_is_a_number_chosen_and_reported() -> None:
    parsed = parse_explanation("'delayed' is within a few words of the city", FLIGHT)
    assert any("a few" in w and "3" in w for w in parsed.warnings), parsed.warnings
    said = parse_explanation("'delayed' is within a few words (say 5) of the city", FLIGHT)
    assert to_dsl(said.readings[0].when) == '"delayed" within 5 words of city'
    assert any("5" in w for w in said.warnings), said.warnings


@pytest.mark.parametrize("text", [
    "there are a few typos in the notice",  # "a few" not before a unit of words
    "the seller made a few sales",
])
def test_a_few_elsewhere_is_not_a_number(text: str) -> None:
    ctx = FLIGHT if "notice" in text else SALE
    parsed = parse_explanation(text, ctx)
    assert not any("a few" in w for w in parsed.warnings)


def test_a_distance_said_of_another_mention_is_not_read_as_the_first() -> None:
    parsed = parse_explanation("'was' appears after the city, within two words of the airline",
                               FLIGHT)
    assert all("within 2 words right of city" not in to_dsl(r.when) for r in parsed.readings)


def test_adjacent_is_no_concept_of_two_mentions() -> None:
    # "are adjacent" was read as a concept word list between them ("any of @adjacent").
    parsed = parse_explanation("the seller and the buyer are adjacent", SALE)
    assert all("@" not in to_dsl(r.when) for r in parsed.readings)


def test_a_cut_short_name_is_no_word_of_the_example() -> None:
    # "auth" cuts "author" short, but the example has the word: it is the word.
    ctx = Context(labels=("NO", "YES"), spans={"author": "log"}, texts=("log",),
                  example={"log": "The auth token of the author expired.", "author": "author"})
    assert reading("'token' is right after auth", ctx) == \
        '"auth" followed by "token" within 0 words in log'
    assert reading("'expired' is right after the auth", replace(ctx, example={
        "log": "The token of the author expired.", "author": "author"})) == \
        '"expired" within 0 words right of author'
