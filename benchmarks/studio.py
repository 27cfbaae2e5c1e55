"""Studio latency: what a keystroke costs at 100k pool rows + 500 dev rows.

    .venv/bin/python benchmarks/studio.py                 # 100k pool rows, server + browser
    .venv/bin/python benchmarks/studio.py --rows 20000 --no-browser

Data. The pool is **synthetic, written by this benchmark**: 100,000 SMS-like messages, each a
WRENCH SMS train message (``$EXPLICATE_DATA/wrench/sms``) with about 15% of its words replaced by
words drawn from the train vocabulary, so the pool has SMS's length and word distribution but no
message repeats. The dev set is WRENCH SMS ``valid.json`` (500 rows with gold). The kept rules
are the 73 of ``examples/sms/sms.lf``, so every tried rule is measured against a real ``L``
(100k x 73) and a label model fitted on it. Without the SMS data the run stops with a message.

Figures (all after loading; loading is timed on its own):
- **server, new rule**: ``POST /api/try?html=1`` through FastAPI (in-process ASGI client: routing,
  validation, JSON and the rendered fragments included) for complete rules never tried before
  (DSL and English), each giving its readings, coverage, overlaps/conflicts with the 73 LFs and
  dev precision with its interval and chips,
  with ``label_model: false``, as the page sends it;
  its ``cpu`` figures are the CPU time of the same calls (client and server share this process),
  which a loaded machine inflates less than the wall clock;
- **server, per keystroke**: the same call for every prefix of those rules, as typed (most
  prefixes are syntax errors or partial rules; the debounce on the page skips many of them);
- **server, label model change**: ``POST /api/impact``, which the page sends after painting the
  readings (the refit on vote statistics), and one ``/api/try`` with everything at once;
- **browser**: the page in headless Chromium (Debian's ``/usr/bin/chromium`` via Playwright)
  against ``explicate studio`` serving the same files; each rule typed key by key; time from the
  last keystroke to the painted readings (includes the page's 120 ms debounce), from the
  request to that paint, and from the last keystroke to the painted label model change; the next
  rule is typed once everything is painted, as an expert reads the figures first.

The last line printed is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
SMS = DATA / "wrench" / "sms"

NEW_RULES = [  # (label, text): none of them is in sms.lf
    ("SPAM", 'text contains "prize" -> SPAM'),
    ("SPAM", '"claim" followed by "now" within 3 words in text -> SPAM'),
    ("SPAM", 'text contains any of ("txt", "text") and text contains "stop" -> SPAM'),
    ("SPAM", "count(text) > 30 -> SPAM"),
    ("SPAM", r"text matches /\d{5,}/ -> SPAM"),
    ("HAM", '"see" followed by "you" within 1 words in text -> HAM'),
    ("HAM", 'text contains "lol" -> HAM'),
    ("HAM", 'text starts with "ok" -> HAM'),
    ("HAM", 'text contains "love" and not text contains "free" -> HAM'),
    ("SPAM", '"call" followed by "now" in text -> SPAM'),
    ("SPAM", 'the word "mobile" occurs in the text'),
    ("SPAM", 'the text contains "urgent" and "call"'),
    ("HAM", 'the message contains the word "sorry"'),
    ("HAM", 'the words "how are you" appear in the text'),
    ("SPAM", 'text contains any of ("ringtone", "tone") -> SPAM'),
    ("SPAM", '"reply" followed by "stop" within 4 words in text -> SPAM'),
    ("HAM", 'text ends with "lor" -> HAM'),
    ("SPAM", 'count("free" in text) >= 2 -> SPAM'),
    ("HAM", '"are" followed by "you" in text and not text contains "prize" -> HAM'),
    ("SPAM", r"text matches /www\.|\.com/i -> SPAM"),
    ("SPAM", 'the word "cash" occurs in the text'),
    ("HAM", 'the text contains "home" and "later"'),
    ("SPAM", 'the message contains the word "winner"'),
    ("HAM", 'the words "see you" appear in the text'),
]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def write_pool(path: Path, rows: int, seed: int) -> None:
    train = json.loads((SMS / "train.json").read_text(encoding="utf-8"))
    texts = [r["data"]["text"] for r in train.values()]
    vocab = [w for t in texts for w in t.split()]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            words = rng.choice(texts).split()
            words = [rng.choice(vocab) if rng.random() < 0.15 else w for w in words]
            fh.write(json.dumps({"id": f"s{i}", "text": " ".join(words)}) + "\n")


def server_figures(pool: Path, rules: Path) -> dict[str, Any]:
    import torch
    from fastapi.testclient import TestClient

    from explicate.studio import Studio
    from explicate.studio.app import create_app

    torch.set_num_threads(1)  # as `explicate studio` does
    t0 = time.perf_counter()
    studio = Studio(pool, dev=SMS / "valid.json", gold="label", rules=rules).load()
    load_s = time.perf_counter() - t0
    client = TestClient(create_app(studio, load=False))
    row = 0
    full: list[float] = []  # complete new rules: readings, coverage, overlaps, dev precision
    keys: list[float] = []  # every other prefix, as typed
    full_cpu: list[float] = []  # the CPU time of each (this process: client and server)
    impact: list[float] = []  # the label model's change for complete rules (second call)
    whole: list[float] = []  # one call with everything (label_model=true), rules tried anew
    readings = 0
    for label, text in NEW_RULES:
        for k in range(1, len(text) + 1):
            body = {"text": text[:k], "example": row, "label": label, "label_model": False}
            t, c = time.perf_counter(), time.process_time()
            r = client.post("/api/try?html=1", json=body)
            ms = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, r.text
            (full if k == len(text) else keys).append(ms)
            if k == len(text):
                full_cpu.append((time.process_time() - c) * 1000)
        readings += len(r.json()["readings"])
        t = time.perf_counter()
        r = client.post("/api/impact?html=1", json={"text": text, "example": row, "label": label})
        impact.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200 and any(r.json()["label_model"]), r.text
    assert readings >= len(NEW_RULES), "every complete rule should have a reading"
    for label, text in NEW_RULES:
        variant = text.replace("->", "and not text contains \"zzz\" ->") if "->" in text \
            else text  # a rule not seen before (English ones hit the column cache)
        t = time.perf_counter()
        r = client.post("/api/try", json={"text": variant, "example": row, "label": label})
        whole.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    keep_ms = []
    for label, text in NEW_RULES[:4]:
        t = time.perf_counter()
        assert client.post("/api/keep", json={"text": text, "label": label}).status_code == 200
        keep_ms.append((time.perf_counter() - t) * 1000)
    return {"pool_rows": studio.splits["pool"].n, "dev_rows": studio.splits["dev"].n,
            "kept_lfs": len(studio.kept) - 4, "load_s": round(load_s, 2),
            "server_new_rule_p50_ms": round(statistics.median(full), 1),
            "server_new_rule_p95_ms": round(pct(full, 0.95), 1),
            "server_new_rule_cpu_p50_ms": round(statistics.median(full_cpu), 1),
            "server_new_rule_cpu_p95_ms": round(pct(full_cpu, 0.95), 1),
            "new_rules": len(full),
            "server_keystroke_p50_ms": round(statistics.median(keys + full), 1),
            "server_keystroke_p95_ms": round(pct(keys + full, 0.95), 1),
            "keystrokes": len(keys) + len(full),
            "server_label_model_change_p50_ms": round(statistics.median(impact), 1),
            "server_label_model_change_p95_ms": round(pct(impact, 0.95), 1),
            "server_all_in_one_p50_ms": round(statistics.median(whole), 1),
            "server_all_in_one_p95_ms": round(pct(whole, 0.95), 1),
            "keep_p50_ms": round(statistics.median(keep_ms), 1)}


def browser_figures(pool: Path, rules: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [sys.executable, "-c", "from explicate.cli import main; main()", "studio", str(pool),
           "--dev", str(SMS / "valid.json"), "--gold", "label", "--rules", str(rules),
           "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(6000):  # poll the port; wait on the process between tries
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                try:
                    proc.wait(timeout=0.1)
                    raise RuntimeError("explicate studio exited")
                except subprocess.TimeoutExpired:
                    pass
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("body[data-booted=true]", timeout=600_000)
            for label, text in NEW_RULES:
                page.keyboard.press("Escape")
                page.select_option("#label", label)
                page.focus("#rule")
                page.keyboard.type(text)
                # As an expert would: read the figures (the label model's change comes last).
                page.wait_for_function("document.body.dataset.painted === "
                                       "document.body.dataset.pending && "
                                       "document.body.dataset.impact === "
                                       "document.body.dataset.pending")
            timings = page.evaluate("window.__studioTimings")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    key = [t["sinceKey"] for t in timings if t["kind"] == "readings"]
    send = [t["sinceSend"] for t in timings if t["kind"] == "readings"]
    lm = [t["sinceKey"] for t in timings if t["kind"] == "label_model"]
    return {"browser_painted_p50_ms": round(statistics.median(key), 1),
            "browser_painted_p95_ms": round(pct(key, 0.95), 1),
            "browser_request_to_paint_p50_ms": round(statistics.median(send), 1),
            "browser_request_to_paint_p95_ms": round(pct(send, 0.95), 1),
            "browser_label_model_painted_p50_ms": round(statistics.median(lm), 1),
            "browser_label_model_painted_p95_ms": round(pct(lm, 0.95), 1),
            "browser_answers": len(key)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    if not (SMS / "train.json").is_file():
        sys.exit(f"WRENCH SMS not found under {SMS} (set EXPLICATE_DATA)")
    out: dict[str, Any] = {"load_avg_1m_start": round(os.getloadavg()[0], 2),
                           "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        pool = Path(tmp) / "pool.jsonl"
        write_pool(pool, args.rows, args.seed)
        rules = Path(tmp) / "sms.lf"
        rules.write_text((ROOT / "examples" / "sms" / "sms.lf").read_text(encoding="utf-8"))
        out.update(server_figures(pool, rules))
        print(f"server: {json.dumps(out)}", file=sys.stderr)
        browser = not args.no_browser and Path("/usr/bin/chromium").is_file()
        if browser:
            rules.write_text((ROOT / "examples" / "sms" / "sms.lf").read_text(encoding="utf-8"))
            out.update(browser_figures(pool, rules))
    out["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    out["targets"] = {"server_new_rule_p95_ms": 150, "browser_painted_p95_ms": 300}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
