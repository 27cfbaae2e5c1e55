"""Saving from the studio keeps the rule file as the expert wrote it: comments, blank lines and
declarations between LFs stay byte for byte; a kept LF is appended, a removed one (with the
comment written directly above it) is cut out, and undoing brings the original text back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explicate.grammar.parse import parse_partial
from explicate.studio.rulefile import RuleText

pytest.importorskip("fastapi", reason="the studio extra (fastapi) is not installed")

from explicate.studio import Studio  # noqa: E402

RULES = """\
# spam rules for the test
labels: HAM, SPAM

words money = "cash", "prize"   # the money words

# says thanks
lf thanks: text contains "thanks" -> HAM

lf money:  text contains any of @money
           and not text contains "thanks" -> SPAM   # two lines


# --- words used below ---
words later = "later"
lf later:  text contains any of @later -> HAM
# the end
"""


def _pool(tmp_path: Path) -> Path:
    texts = ["thanks see you", "win cash now", "call me later", "a prize for you", "ok"] * 4
    path = tmp_path / "pool.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(path, index=False)
    return path


def _studio(tmp_path: Path, text: str, newline: str = "\n") -> tuple[Studio, Path]:
    rules = tmp_path / "r.lf"
    rules.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return Studio(_pool(tmp_path), rules=rules).load(), rules


def test_loading_and_saving_unchanged_keeps_every_byte(tmp_path: Path) -> None:
    studio, rules = _studio(tmp_path, RULES)
    assert rules.read_text(encoding="utf-8") == RULES  # the load's save wrote it back as read
    assert studio.rule_text(studio.kept) == RULES


def test_keep_appends_remove_cuts_and_undo_restores(tmp_path: Path) -> None:
    studio, rules = _studio(tmp_path, RULES)
    studio.keep('text contains "win" -> SPAM', name="win")
    # After a blank line: the file ends in a comment, which must not become the new LF's own.
    win = '\nlf win: text contains "win" -> SPAM\n'
    assert rules.read_text(encoding="utf-8") == RULES + win
    studio.remove("money")
    want = RULES.replace('lf money:  text contains any of @money\n'
                         '           and not text contains "thanks" -> SPAM   # two lines\n', "")
    assert rules.read_text(encoding="utf-8") == want + win
    studio.remove("thanks")  # its comment line, directly above, goes with it
    text = rules.read_text(encoding="utf-8")
    assert "# says thanks" not in text and "lf thanks" not in text
    assert "# spam rules for the test\nlabels: HAM, SPAM\n\nwords money" in text
    assert "# --- words used below ---\nwords later" in text and "# the end\n" in text
    for _ in range(3):
        studio.undo()
    assert rules.read_text(encoding="utf-8") == RULES
    studio.redo()
    assert rules.read_text(encoding="utf-8") == RULES + win


def test_english_rules_are_written_under_their_sentence_and_removed_with_it(
        tmp_path: Path) -> None:
    studio, rules = _studio(tmp_path, RULES)
    studio.keep('the word "prize" occurs in the text', example=3, label="SPAM")
    name = studio.kept[-1].lf.name
    text = rules.read_text(encoding="utf-8")
    assert text.startswith(RULES)
    assert text[len(RULES):] == f'\n# the word "prize" occurs in the text\n' \
        f'lf {name}: text contains "prize" -> SPAM\n'
    # Read back by a new session, the sentence is the LF's attached comment: removing the LF
    # removes both and leaves the rest as it was (the blank line above them stays).
    again = Studio(_pool(tmp_path), rules=rules).load()
    again.remove(name)
    assert rules.read_text(encoding="utf-8") == RULES + "\n"


def test_windows_line_endings_and_a_file_without_a_final_newline(tmp_path: Path) -> None:
    studio, rules = _studio(tmp_path, RULES, "\r\n")
    studio.keep('text contains "ok" -> HAM', name="ok")
    assert rules.read_bytes() == (RULES + '\nlf ok: text contains "ok" -> HAM\n').replace(
        "\n", "\r\n").encode("utf-8")
    bare = 'labels: HAM, SPAM\nlf ok: text contains "ok" -> HAM'
    piece = RuleText.of(bare, [(bare.index("lf"), len(bare))])
    assert piece.render([True], []) == bare
    assert piece.render([False], ['lf a: text contains "a" -> HAM']) == \
        'labels: HAM, SPAM\nlf a: text contains "a" -> HAM\n'


def test_a_byte_order_mark_is_written_back(tmp_path: Path) -> None:
    rules = tmp_path / "r.lf"
    rules.write_bytes(b"\xef\xbb\xbf" + RULES.encode("utf-8"))
    studio = Studio(_pool(tmp_path), rules=rules).load()
    assert rules.read_bytes() == b"\xef\xbb\xbf" + RULES.encode("utf-8")
    studio.keep('text contains "ok" -> HAM', name="ok")
    assert rules.read_bytes() == b"\xef\xbb\xbf" + (
        RULES + '\nlf ok: text contains "ok" -> HAM\n').encode("utf-8")
    studio.remove("thanks")  # offsets after the mark still cut the right LF
    text = rules.read_bytes().decode("utf-8-sig")
    assert "lf thanks" not in text and "lf money" in text


def test_a_file_without_labels_gets_the_given_labels_line_and_nothing_else_changes(
        tmp_path: Path) -> None:
    body = '# no labels here\nlf ok: text contains "ok" -> HAM\n'
    rules = tmp_path / "r.lf"
    rules.write_text(body, encoding="utf-8")
    studio = Studio(_pool(tmp_path), rules=rules, labels=["HAM", "SPAM"]).load()
    assert rules.read_text(encoding="utf-8") == "labels: HAM, SPAM\n" + body
    studio.remove("ok")
    assert rules.read_text(encoding="utf-8") == "labels: HAM, SPAM\n"


GAP_LINES = ("", "# a note", 'words w = "a", "b"', "   ")
LF_COMMENTS = ("# about the next LF", "  # indented")


@st.composite
def _files(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A rule file as its pieces: gaps (blank lines, comments and declarations, never ending in
    a comment, which would belong to the LF below) and LFs (with their own comments above)."""
    n = draw(st.integers(0, 5))
    gaps = []
    for _ in range(n + 1):
        lines = draw(st.lists(st.sampled_from(GAP_LINES), max_size=3))
        if lines and lines[-1].lstrip().startswith("#"):
            lines.append("")
        gaps.append("".join(line + "\n" for line in lines))
    gaps[0] = "labels: A, B\n" + gaps[0]
    lfs = []
    for j in range(n):
        above = draw(st.lists(st.sampled_from(LF_COMMENTS), max_size=2))
        tail = draw(st.sampled_from(["", "   # why", " "]))
        two = draw(st.booleans())
        body = f'lf r{j}: text contains "w{j}"' + ('\n    and text contains "x"' if two else "")
        lfs.append("".join(c + "\n" for c in above) + f"{body} -> A{tail}\n")
    return gaps, lfs


@settings(max_examples=60, deadline=None)
@given(_files(), st.data())
def test_any_file_is_cut_into_its_own_pieces(pieces: tuple[list[str], list[str]],
                                             data: st.DataObject) -> None:
    gaps, lfs = pieces
    text = gaps[0] + "".join(lf + gap for lf, gap in zip(lfs, gaps[1:], strict=True))
    rules, problems = parse_partial(text, "r.lf")
    assert not problems
    spans = [(lf.span.start, lf.span.end) for lf in rules.lfs if lf.span]
    cut = RuleText.of(text, spans)
    assert (list(cut.gaps), list(cut.lfs)) == (gaps, lfs)
    assert cut.render([True] * len(lfs), []) == text
    keep = data.draw(st.lists(st.booleans(), min_size=len(lfs), max_size=len(lfs)))
    want = gaps[0] + "".join((lf if k else "") + gap
                             for lf, k, gap in zip(lfs, keep, gaps[1:], strict=True))
    assert cut.render(keep, []) == want
