"""Crowd numbers, mentions and word lists (crowd_forms), on task shapes of this file's own."""

from __future__ import annotations

from explicate import ir, to_dsl
from explicate.grammar.explanation import parse_explanation, speech
from explicate.grammar.explanation.lexicon import Context, scan

POST = Context(("LOW", "VIRAL"), {}, ("post",), {"hype": ("insane", "omg")},
               {"post": "This trick is insane, try it today", "retweets": 5000,
                "days_open": 2})
LEASE = Context(("NO", "DUTY"), {"tenant1": "clause", "tenant2": "clause"}, ("clause",),
                {"modal": ("shall", "must")},
                {"clause": "The landlord may ask the tenant to repaint the hall.",
                 "tenant1": "landlord", "tenant2": "tenant"})
BAKE = Context(("NO", "STEP"), {"food": "step", "time": "step"}, ("step",), {},
               {"step": "Bake the loaf for 20 minutes until golden.", "food": "loaf",
                "time": "20 minutes"})
PAIR = Context(("NO", "INHIBITS"), {"drug": "abstract", "target": "abstract"}, ("abstract",), {},
               {"abstract": "Imatinib strongly inhibits BCR-ABL in vitro.", "drug": "Imatinib",
                "target": "BCR-ABL"})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def _remark(text: str, ctx: Context) -> str:
    lexemes, _ = scan(text, ir.Source("<test>", text))
    return speech.split_conclusion(speech.normalize(lexemes, ctx))[1]


def test_a_count_said_before_a_numeric_fields_words_compares_the_field() -> None:
    assert _complete("over 2k retweets", POST) == ["retweets > 2000"]
    assert _complete("more then a thousand retweets", POST) == ["retweets > 1000"]
    assert _complete("less then ten retweets", POST) == ["retweets < 10"]
    assert _complete("at least 3 thousand retweets", POST) == ["retweets >= 3000"]
    assert _complete("only 2 days open", POST) == ["days_open == 2"]
    assert _complete("just 2 days open in total", POST) == ["days_open == 2"]


def test_a_count_that_says_few_or_follows_a_verb_is_left_to_the_grammar() -> None:
    # "only 500" says few, not how many: no equality.
    assert "retweets == 500" not in _complete("only 500 retweets", POST)
    # After a verb the grammar reads the count itself.
    assert _complete("it has more than 3 retweets", POST) == ["retweets > 3"]
    # No numeric field named: nothing is made up.
    assert _complete("over 2k likes", POST) == []


def test_a_mention_named_by_its_order_is_the_numbered_mention() -> None:
    assert _complete("the word may is right after the first tenant", LEASE) == [
        '"may" within 0 words right of tenant1']
    assert _complete("the 2nd tenant comes right after \"the\"", LEASE) == [
        '"the" within 0 words left of tenant2']
    assert _complete("tenant 2 is after tenant 1", LEASE) == ["tenant1 before tenant2"]
    assert _complete("tenant one is before tenant two", LEASE) == ["tenant1 before tenant2"]


def test_a_mention_named_by_a_value_with_a_number_is_the_mention() -> None:
    assert _complete("for is right before 20 minutes", BAKE) == [
        '"for" within 0 words left of time']
    assert _complete("until is right after 20 minutes", BAKE) == [
        '"until" within 0 words right of time']
    assert _complete("20 minutes comes after the loaf", BAKE) == ["food before time"]


def test_words_apart_is_the_distance_between_the_two_mentions() -> None:
    assert _complete("they r 3 words apart", LEASE) == ["distance(tenant1, tenant2) == 3"]
    assert _complete("they are 1 word apart", PAIR) == ["distance(drug, target) == 1"]
    assert _complete("they are two words apart", PAIR) == ["distance(drug, target) == 2"]


def test_unquoted_words_after_no_are_the_words_the_text_lacks() -> None:
    assert _complete("no shall or must anywhere", LEASE) == [
        'not clause contains any of ("shall", "must")']
    assert _complete("no binds nor activates between them", PAIR) == [
        'not any of ("binds", "activates") between drug and target']
    assert _complete("no blocks, binds or activates between them", PAIR) == [
        'not any of ("blocks", "binds", "activates") between drug and target']
    assert _complete("no for between the loaf and 20 minutes", BAKE) == [
        'not "for" between food and time']


def test_an_example_of_a_list_after_its_name_is_a_remark() -> None:
    assert _complete("hype word in the post like insane", POST) == [
        "post contains any of @hype"]
    assert _remark("hype word in the post like insane", POST) == "like insane"
    assert _complete("a modal word in the clause like shall", LEASE) == [
        "clause contains any of @modal"]
    # "like" before words that are not the list's is no example of it.
    assert _remark("hype word in the post like a pro", POST) == ""


def test_anywhere_in_a_negated_clause_is_the_one_text_and_kinds_of_words_stay_unquoted() -> None:
    assert _complete("it has no hype words anywhere", POST) == ["not post contains any of @hype"]
    assert _complete("no modal word anywhere", LEASE) == ["not clause contains any of @modal"]
    assert _complete('"omg" is not anywhere', POST) == ['not post contains "omg"']
    # Kinds of words after "no" are not quoted as the words themselves.
    for text in ("no words between them", "no names or numbers between them"):
        assert all('"words"' not in d and '"names"' not in d for d in _complete(text, PAIR))


def test_unquoted_words_at_a_texts_edge_are_quoted_and_the_text_named() -> None:
    news = Context(("REAL", "BAIT"), {}, ("headline", "body"), {},
                   {"headline": "7 tricks banks hate", "body": "Nobody told you this. Share now"})
    assert _complete("starts with a number 7", news) == ['headline starts with "7"']
    assert _complete("it starts with nobody told", news) == ['body starts with "nobody told"']
    assert _complete("ends with share now", news) == ['body ends with "share now"']
    assert _complete("begins with the word nobody so no duty", news) == [
        'body starts with "nobody"']
    assert _remark("begins with the word nobody so no duty", news) == "so no duty"
    # Words no text starts with are not quoted (nothing is made up).
    assert _complete("starts with banks", news) == []


def test_a_count_after_the_fields_words_or_as_n_plus_and_scaled_numbers() -> None:
    assert _complete("2k+ retweets", POST) == ["retweets >= 2000"]
    assert _complete("days open only 2", POST) == ["days_open == 2"]
    assert _complete("days open over 10", POST) == ["days_open > 10"]
    # A scale is part of its number wherever it is said ("2k" is not 2).
    assert _complete("retweets over 2k", POST) == ["retweets > 2000"]
    assert _complete("it has more than 1.5 million retweets", POST) == ["retweets > 1500000"]
    assert _complete("more then 3 thousand retweets", POST) == ["retweets > 3000"]


def test_no_numeric_field_is_none_of_it() -> None:
    # "no retweets" is a count of none, not the word "retweets" the text lacks.
    assert _complete("no retweets", POST) == ["retweets == 0"]
    assert _complete("zero retweet", POST) == ["retweets == 0"]
    assert _complete('no retweets and "omg" in the post', POST) == [
        'retweets == 0 and post contains "omg"']


def test_a_count_after_a_comma_is_not_read_where_a_reading_would_skip_what_came_before() -> None:
    assert "retweets == 0" not in _complete("this trick today, no retweets", POST)
