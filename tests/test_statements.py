"""A domain statement with no reading is read by the words it shares with the example."""

from __future__ import annotations

import pytest

from explicate import to_dsl
from explicate.grammar.explanation import parse_explanation
from explicate.grammar.explanation.lexicon import Context

RECIPE = Context(("BAKING", "SAVOURY"), {}, ("method",), {"dairy": ("milk", "cream")},
                 {"method": "Rub the cold butter into the flour, then fold in chopped walnuts "
                            "and bake until golden."})
TICKET = Context(("URGENT", "ROUTINE"), {}, ("title", "details"), {},
                 {"title": "Printer offline", "details": "The main server crashed twice "
                                                         "overnight and payroll is urgent."})
# A task whose mention words are in the text: they are read by name, never grounded.
HIRE = Context(("HIRED", "OTHER"), {"company": "memo"}, ("memo",), {},
               {"memo": "Acme Tools signed a new welder last spring.", "company": "Acme Tools"})


def _read(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings]


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    # The subject's words the example has; judgement words are not in it.
    ("Chopped walnuts are a classic sign of a cake.", RECIPE, 'method contains "chopped walnuts"'),
    ("Cold butter usually means pastry.", RECIPE, 'method contains "cold butter"'),
    # Another inflection of the example's word: either form.
    ("Crashes on the server are an emergency.", TICKET,
     'details contains any of ("Crashes", "crashed")'),
    # The reason after "because", not the words before it.
    ("I would call this savoury because walnuts go in it.", RECIPE, 'method contains "walnuts"'),
    # The second text field when only it has the words.
    # Words side by side that the example has in another order: both of them.
    ("An offline printer stops the whole floor.", TICKET,
     'title contains "offline" and title contains "Printer"'),
])
def test_the_statements_grounded_words_are_read(text: str, ctx: Context, expected: str) -> None:
    assert _read(text, ctx) == [expected]


def test_runs_joined_by_a_conjunction_are_one_group() -> None:
    assert _read("Flour and cold butter are what shortcrust needs.", RECIPE) == [
        'method contains "flour" and method contains "cold butter"']
    assert _read("Payroll or the server failing is always top priority.", TICKET) == [
        'details contains "payroll" or details contains "server"']


def test_only_the_first_group_is_read_and_the_rest_reported() -> None:
    parsed = parse_explanation("Walnuts in a dish you bake until golden is dessert.", RECIPE)
    assert [to_dsl(r.when) for r in parsed.readings] == ['method contains "walnuts"']
    reading = parsed.readings[0]
    assert not reading.partial and "dessert" in reading.skipped and "bake" in reading.skipped
    assert any("'walnuts'" in w for w in parsed.warnings)
    assert any("not read" in w and "'bake'" in w for w in parsed.warnings)


@pytest.mark.parametrize("text", [
    "Butter? none in it, so savoury.",
    "The server never crashed overnight.",
    "payroll isnt urgent",
    "Walnuts don't make it baking.",
])
def test_a_negation_gives_no_reading(text: str) -> None:
    ctx = TICKET if "server" in text or "payroll" in text else RECIPE
    assert all("not" in r for r in _read(text, ctx))


@pytest.mark.parametrize(("text", "ctx"), [
    # A label, a field name, a list name or a mention's words are read by name, never grounded.
    ("Urgent matters deserve attention.", TICKET),
    ("The details field matters here.", TICKET),
    ("Dairy is a baking thing.", RECIPE),
    ("Acme Tools is a good employer.", HIRE),
    ("The company hired a welder.", HIRE),
    ("Cold butter but no walnuts here.", RECIPE),
    # Stop words and judgement words alone: nothing of the example is said.
    ("It is all a very common sign of the thing.", RECIPE),
])
def test_names_and_stop_words_are_never_grounded(text: str, ctx: Context) -> None:
    assert _read(text, ctx) == []


def test_a_sentence_the_grammar_reads_is_read_as_before() -> None:
    assert _read('the method contains "walnuts"', RECIPE) == ['method contains "walnuts"']
    # A quote is the writer's own choice of words: no statement reading is made around it.
    assert all('"butter"' not in r for r in _read('Golden "crust" means baking.', RECIPE))


def test_without_an_example_nothing_is_grounded() -> None:
    ctx = Context(("BAKING", "SAVOURY"), {}, ("method",), {}, {})
    assert _read("Chopped walnuts are a classic sign of a cake.", ctx) == []


def test_words_listed_by_or_are_alternatives() -> None:
    parsed = parse_explanation("walnuts or pecans or almonds mean a cake", RECIPE)
    assert [to_dsl(r.when) for r in parsed.readings] == [
        'method contains "walnuts" or method contains "pecans" or method contains "almonds"']
    assert any("'pecans', 'almonds'" in w for w in parsed.warnings)


@pytest.mark.parametrize(("text", "ctx"), [
    # What the reading would leave out: a conjunct the example lacks, a number, a comparison.
    ("Butter and a hot oven make pastry.", RECIPE),
    ("Walnuts in more than half of the batter make it a cake.", RECIPE),
    ("Payroll crashing for six hours is a big deal.", TICKET),
    ("The server was down for 3 hours.", TICKET),
])
def test_what_the_group_would_lose_gives_no_reading(text: str, ctx: Context) -> None:
    assert _read(text, ctx) == []


def test_two_clauses_joined_by_and_are_both_read() -> None:
    assert _read("Walnuts for the topping, and payroll wants cold butter.", RECIPE) == [
        'method contains "walnuts" and method contains "cold butter"']


def test_a_named_list_and_a_repeated_run() -> None:
    # "from the list" names a word list: the grammar's to read, not the example's words.
    assert _read("Walnuts from the dairy list are odd.", RECIPE) == []
    assert _read("Butter is rich, and this method rubs in cold butter.", RECIPE) == [
        'method contains "cold butter"']
