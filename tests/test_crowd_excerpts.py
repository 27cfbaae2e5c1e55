"""Raw crowd notes about the example: excerpts as typed, with a remark (crowd_excerpt,
crowd_notes), on task shapes of this file's own."""

from __future__ import annotations

from explicate import ir, to_dsl
from explicate.grammar.explanation import crowd_excerpt, parse_explanation, speech
from explicate.grammar.explanation.lexicon import Context, scan

ALERT = Context(("CALM", "ALERT"), {"town": "alert"}, ("alert",), {"danger": ("overflow",)},
                {"alert": "Heavy rain expected tonight, rivers may overflow near Dunmore.",
                 "town": "Dunmore"})
SPAM = Context(("HAM", "SPAM"), {}, ("subject", "message"), {"pushy": ("act now",)},
               {"subject": "You can't miss this offer",
                "message": "Our neighbor complained the parcel disappeared after 6.5 days, "
                           "they're sending a new one."})
REVIEW = Context(("NEG", "POS"), {"dish": "review"}, ("review",), {},
                 {"review": "The garlic bread arrived cold but the garlic soup was superb.",
                  "dish": "garlic soup"})


def _complete(text: str, ctx: Context) -> list[str]:
    return [to_dsl(r.when) for r in parse_explanation(text, ctx).readings if not r.partial]


def _remark(text: str, ctx: Context) -> str:
    lexemes, _ = scan(text, ir.Source("<test>", text))
    return speech.split_conclusion(speech.normalize(lexemes, ctx))[1]


def test_an_excerpt_then_a_judgement_of_it_is_the_excerpt_and_the_judgement_is_reported() -> None:
    assert _complete("rivers may overflow thats a real danger", ALERT) == [
        'alert contains "rivers may overflow"']
    assert _remark("rivers may overflow thats a real danger", ALERT) == "that is a real danger"
    assert _complete("heavy rain expected its serious", ALERT) == [
        'alert contains "heavy rain expected"']
    assert _complete("heavy rain expected tonight it", ALERT) == [
        'alert contains "heavy rain expected tonight"']
    # The judgement may use the example's own words: it names the excerpt a thing.
    assert _complete("rain expected tonight thats an overflow risk", ALERT) == [
        'alert contains "rain expected tonight"']


def test_an_excerpt_alone_with_filler_or_end_marks_is_the_excerpt() -> None:
    assert _complete("heavy rain expected!!", ALERT) == ['alert contains "heavy rain expected"']
    assert _complete("its just heavy rain", ALERT) == ['alert contains "heavy rain"']
    assert _complete("its just a storm", ALERT) == []  # "storm" is not the example's
    assert _complete("superb.", REVIEW) == ['review contains "superb"']


def test_an_excerpt_that_only_shares_a_word_with_a_mention_is_an_excerpt() -> None:
    # "garlic bread" shares "garlic" with the dish "garlic soup" but is not it.
    assert _complete("garlic bread arrived cold means bad service", REVIEW) == [
        'review contains "garlic bread arrived cold"']
    assert _complete("bread arrived cold lol", REVIEW) == ['review contains "bread arrived cold"']


def test_a_judgement_never_hides_a_condition_or_a_mention() -> None:
    # Negation, relation, a mention or a field in the remark: not a judgement to cut.
    for text in ("rivers may overflow thats not near dunmore",
                 "rivers may overflow thats before dunmore",
                 "rivers may overflow thats after the rain"):
        for dsl in _complete(text, ALERT):
            assert dsl != 'alert contains "rivers may overflow"', text
    # An excerpt that is the mention: "the garlic soup is superb" is said of the dish.
    assert 'review contains "the garlic soup"' not in _complete("the garlic soup is superb",
                                                                REVIEW)
    # Only stop words: no excerpt.
    assert _complete("the but was thats a lot", REVIEW) == []


def test_chat_forms_and_slips_are_read_in_the_examples_own_spelling() -> None:
    assert _complete("u cant miss this = spam", SPAM) == ['subject contains "you can\'t miss this"']
    assert _complete("theyre sending a new one lol", SPAM) == [
        'message contains "they\'re sending a new one"']
    assert _complete("parcel disapeared thats a scam", SPAM) == [
        'message contains "parcel disappeared"']
    assert _complete("neighbour complained", SPAM) == ['message contains "neighbor complained"']
    assert _complete("after 6.5 days its fake", SPAM) == ['message contains "after 6.5 days"']


def test_excerpts_are_found_token_by_token() -> None:
    lexemes, _ = scan("u wont believe", ir.Source("<test>", "u wont believe"))
    ctx = Context(texts=("t",), example={"t": "You won't believe it, colour me shocked"})
    end, found = crowd_excerpt.longest_prefix(lexemes, 0, ctx)
    assert end == 3 and [e.text for e in found] == ["You won't believe"]
    # Another form of a word is no slip ("shocking" may be meant), a short word never is.
    assert crowd_excerpt.find(["shocking"], ctx) == []
    assert crowd_excerpt.find(["colr"], ctx) == []
    assert [e.text for e in crowd_excerpt.find(["color", "me"], ctx)] == ["colour me"]
    assert crowd_excerpt.find(["color", "me"], ctx, slips=False) == []


BIO = Context(("NO", "REGULATES"), {"gene": "text", "protein": "text"}, ("text",), {},
              {"text": "In yeast, GAL4 activates GAL1 strongly, and SIR2 levels stayed flat.",
               "gene": "GAL4", "protein": "GAL1"})
HEAD = Context(("REAL", "BAIT"), {}, ("headline", "body"), {},
               {"headline": "URGENT update: banks hate this", "body": "read more inside"})


def test_so_after_an_excerpt_opens_the_conclusion_which_is_reported() -> None:
    assert _complete("sir2 levels stayed flat so no effect", BIO) == [
        'text contains "sir2 levels stayed flat"']
    assert _remark("sir2 levels stayed flat so no effect", BIO) == "so no effect"
    assert _complete("heavy rain expected so evacuate", ALERT) == [
        'alert contains "heavy rain expected"']
    assert _complete("arrived cold so bad", REVIEW) == ['review contains "arrived cold"']
    # Stop words alone are no excerpt to conclude from.
    assert _complete("it is so bad", REVIEW) == []


def test_an_excerpt_spanning_the_two_mentions_is_the_words_between_them() -> None:
    assert _complete("gal4 activates gal1, thats an interaction", BIO) == [
        '"activates" between gene and protein']
    assert _complete("GAL4 activates GAL1 lol", BIO) == ['"activates" between gene and protein']
    # ", thats strongly" uses the example's word without naming a kind: it may be said of a
    # mention, so it is not cut.
    assert _remark("gal4 activates gal1, thats strongly", BIO) == ""
    assert _remark("gal4 activates gal1, thats a strong link", BIO) == ", that is a strong link"


def test_a_letter_case_said_of_an_excerpt_is_the_examples_case() -> None:
    assert _complete("URGENT in caps", HEAD) == ['headline contains case "URGENT"']
    assert _complete("urgent update in all caps", HEAD) == []  # "update" is not in caps there
    assert _complete("read more in lowercase", HEAD) == ['body contains case "read more"']


def test_a_mention_and_its_value_unquoted_is_the_mention_equal_to_it() -> None:
    tag = Context(("NO", "FIRE"), {"tag": "tweet"}, ("tweet",), {},
                  {"tweet": "smoke everywhere #wildfire #la", "tag": "#wildfire"})
    assert _complete("#wildfire tag", tag) == ['tag is "#wildfire"']
    assert _complete("the tag is #wildfire", tag) == ['tag is "#wildfire"']
    assert _complete("gal4 is the gene", BIO) == ['gene is "GAL4"']
    assert _complete("#la tag", tag) == []  # not the tag's value: nothing is made up


def test_words_between_two_mentions_are_quoted_in_the_examples_spelling() -> None:
    assert _complete("gal4 activtes gal1", BIO) == ['"activates" between gene and protein']
