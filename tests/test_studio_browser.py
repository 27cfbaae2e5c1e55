"""The studio in real headless Chromium (Debian's package, driven by Playwright for Python):
replay an expert session on WRENCH SMS — a dozen of its readme rules, each typed on the example
it was written from, in the DSL and in English — keep them, undo one, and check the page's figures
against ``explicate summary`` on the saved rule file. Screenshots of the main states go to
``$STUDIO_SCREENSHOTS`` (or the test's temporary folder)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the studio extra (fastapi, uvicorn) is not installed")
pytest.importorskip("uvicorn", reason="the studio extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (studio extra)")

CHROMIUM = Path("/usr/bin/chromium")
DATA = Path(os.environ.get("EXPLICATE_DATA", Path(__file__).resolve().parents[2] / "shared" /
                           "data"))
SMS = DATA / "wrench" / "sms"
ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]

if not CHROMIUM.is_file():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)",
                allow_module_level=True)
if not (SMS / "train.json").is_file():
    pytest.skip(f"WRENCH SMS not found under {SMS} (set EXPLICATE_DATA)", allow_module_level=True)

# (label, a phrase of the example the readme wrote the rule from, the rule as typed)
SESSION = [
    ("SPAM", "ringtone club: get the uk singles",
     'lf call_free: any of ("call", "ringtone") followed by "free" in text -> SPAM'),
    ("HAM", "well thats nice", 'lf thats_nice: "thats" followed by "nice" within 1 words in text '
     "-> HAM"),
    ("SPAM", "selected to receive a ??900 reward", '"winner" followed by "reward" in text -> SPAM'),
    ("SPAM", "conacted our dating service", '"dating" followed by "call" in text'),
    ("SPAM", "welcome! please reply", 'lf welcome_reply: "welcome" followed by "reply" in text '
     "-> SPAM"),
    ("HAM", "at 7 we will go", 'lf we_will: "we" followed by "will" within 1 words in text -> HAM'),
    ("SPAM", "1-month unlimited free calls", '"unlimited" followed by "calls" in text -> SPAM'),
    ("HAM", "only from tescos", 'the word "thanks" occurs in the text'),
    ("HAM", "4 oclock at mine", 'the message contains the word "mine"'),
    ("HAM", "can't talk on phone", "the words \"can't talk\" appear in the text"),
    ("SPAM", "bored housewives! chat n date", 'the text contains "chat" and "date"'),
    ("SPAM", "win a ??200 shopping spree", 'the text says "win" and later "shopping"'),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    """Poll the port until the server answers; between tries wait on the process itself (so a
    crash ends the wait at once), never a bare sleep."""
    for _ in range(int(seconds / 0.05)):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                return
        except OSError:
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"the studio exited with {proc.returncode}") from None
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("studio")
    # The pool: the last 1,071 train messages (the readme's exemplars are among them).
    train = json.loads((SMS / "train.json").read_text(encoding="utf-8"))
    pool = tmp / "pool.jsonl"
    with pool.open("w", encoding="utf-8") as fh:
        for key, rec in list(train.items())[3500:]:
            fh.write(json.dumps({"id": key, "text": rec["data"]["text"]}) + "\n")
    rules = tmp / "sms.lf"
    port = _free_port()
    shots = Path(os.environ.get("STUDIO_SCREENSHOTS", tmp / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", "from explicate.cli import main; main()", "studio", str(pool),
           "--dev", str(SMS / "valid.json"), "--gold", "label", "--labels", "HAM,SPAM",
           "--rules", str(rules), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, proc)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("body[data-booted=true]")
            yield {"page": page, "pool": pool, "rules": rules, "shots": shots}
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _settled(page: Any) -> None:
    """Wait until the answer to the last keystroke is painted."""
    page.wait_for_function("document.body.dataset.pending !== undefined && "
                           "document.body.dataset.painted === document.body.dataset.pending")


def _open(page: Any, phrase: str) -> None:
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+F")  # search, by keyboard
    page.keyboard.type(phrase)
    page.keyboard.press("Enter")
    page.wait_for_function("(p) => document.querySelector('#example .fvalue[data-field=text]')"
                           "?.textContent.includes(p)", arg=phrase)


def _choose_label(page: Any, label: str) -> None:
    """Alt+L steps through the labels, by keyboard alone."""
    for _ in range(page.locator("#label option").count()):
        if page.eval_on_selector("#label", "s => s.value") == label:
            return
        page.keyboard.press("Alt+L")
    raise AssertionError(f"label {label} not offered")


def _summary(rules: Path, data: Path, *extra: str) -> dict[str, Any]:
    from typer.testing import CliRunner

    from explicate.cli import app

    res = CliRunner().invoke(app, ["summary", str(rules), "--data", str(data), "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("{"):])


def test_replay_expert_session_figures_match_explicate_summary(session: dict[str, Any]) -> None:
    page, shots = session["page"], session["shots"]
    page.screenshot(path=str(shots / "0-start.png"), full_page=True)
    for i, (label, phrase, rule) in enumerate(SESSION):
        _open(page, phrase)
        page.keyboard.press("Alt+E")
        _choose_label(page, label)
        if i % 4 == 0:
            page.keyboard.type(rule)  # key by key: answers to earlier keystrokes are dropped
        else:
            page.keyboard.insert_text(rule)
        _settled(page)
        first = page.locator("#readings .reading").first
        assert f"on this example: {label}" in first.inner_text(), (rule, first.inner_text())
        assert page.locator("#example mark").count() > 0  # what the rule matched is marked
        if i == 0:
            page.screenshot(path=str(shots / "1-dsl-reading.png"), full_page=True)
        if i == 7:
            page.screenshot(path=str(shots / "2-english-reading.png"), full_page=True)
        page.keyboard.press("Alt+1")  # keep the first reading
        page.wait_for_selector(f"body[data-kept='{i + 1}']")
    page.screenshot(path=str(shots / "3-kept.png"), full_page=True)
    page.keyboard.press("Alt+U")  # undo the last keep
    page.wait_for_selector(f"body[data-kept='{len(SESSION) - 1}']")
    page.screenshot(path=str(shots / "4-undone.png"), full_page=True)

    pool_cli = _summary(session["rules"], session["pool"], "--label-model", "auto")
    dev_cli = _summary(session["rules"], SMS / "valid.json", "--gold", "label")
    rows = page.locator("table.lfs tbody tr")
    assert rows.count() == len(SESSION) - 1 == len(pool_cli["lfs"])
    for r, want, dev in zip(rows.all(), pool_cli["lfs"], dev_cli["lfs"], strict=True):
        cell = {c.get_attribute("data-col"): c.inner_text() for c in r.locator("td[data-col]").all()}
        assert cell["LF"] == want["LF"]
        assert cell["Coverage"] == f"{want['Coverage']:.3f}"
        assert cell["Conflicts"] == f"{want['Conflicts']:.3f}"
        assert cell["Learned Acc."] == f"{want['Learned Acc.']:.3f}"
        assert (int(cell["Correct"]), int(cell["Incorrect"])) == (dev["Correct"],
                                                                 dev["Incorrect"])
    mv, dev_mv = pool_cli["majority_vote"], dev_cli["majority_vote"]
    metrics = page.locator("#metrics").inner_text()
    assert f"majority vote labels {mv['labeled']:,} of {mv['rows']:,}" in metrics
    assert f"dev majority vote: accuracy {100 * dev_mv['coverage'] * dev_mv['accuracy']:.1f}% " \
        f"({100 * dev_mv['accuracy']:.1f}% on the {100 * dev_mv['coverage']:.1f}% it labels)" \
        in metrics


def test_keyboard_redo_filters_and_dev_chips(session: dict[str, Any]) -> None:
    page, shots = session["page"], session["shots"]
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+R")  # redo the undone keep
    page.wait_for_selector(f"body[data-kept='{len(SESSION)}']")
    page.keyboard.press("Alt+F")
    page.keyboard.press("Backspace")  # no search
    page.focus("#filter")
    page.keyboard.press("ArrowDown")  # all -> uncovered, by keyboard
    assert page.eval_on_selector("#filter", "s => s.value") == "uncovered"
    page.keyboard.press("Alt+N")
    page.wait_for_function("document.querySelector('#example .votes')?.textContent"
                           ".includes('no LF votes here')")
    page.keyboard.press("Alt+E")
    page.keyboard.type('text contains "free" -> SPAM')
    _settled(page)
    chip = page.locator("#readings [data-open-dev]").first
    row = chip.get_attribute("data-open-dev")
    chip.focus()
    page.keyboard.press("Enter")  # open a dev example the rule votes on (a chip is a button)
    page.wait_for_selector(f"body[data-row='dev:{row}']")
    _settled(page)
    assert "gold" in page.locator("#example .where").inner_text()
    page.screenshot(path=str(shots / "5-dev-example.png"), full_page=True)
    page.click("table.lfs th button[data-col='Coverage']")  # sort by coverage, largest first
    values = [float(v) for v in page.locator("table.lfs td[data-col='Coverage']").evaluate_all(
        "cells => cells.map(c => c.dataset.v)")]
    assert values == sorted(values, reverse=True)
