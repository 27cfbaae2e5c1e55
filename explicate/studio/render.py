"""Server-rendered HTML fragments of the studio page (the page swaps them in; no templates, no
client-side rendering). Every value is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

COLUMNS = ("LF", "Polarity", "Coverage", "Overlaps", "Conflicts", "Learned Acc.", "Correct",
           "Incorrect", "Emp. Acc.")


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _num(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.3f}"
    if isinstance(x, list):
        return ", ".join(map(str, x))
    return str(x)


def marked(text: str, marks: Sequence[dict[str, Any]]) -> str:
    """``text`` with ``<mark>`` around the marked character ranges (overlaps merged by kind)."""
    kinds: list[set[str]] = [set() for _ in text]
    for m in marks:
        what = "mention" if m["what"].startswith("mention") else m["what"]
        for i in range(max(0, m["start"]), min(len(text), m["end"])):
            kinds[i].add(what)
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and kinds[j] == kinds[i]:
            j += 1
        piece = escape(text[i:j])
        if kinds[i]:
            cls = " ".join(sorted(kinds[i]))
            out.append(f'<mark class="{cls}">{piece}</mark>')
        else:
            out.append(piece)
        i = j
    return "".join(out)


def example(ex: dict[str, Any], extra_marks: Sequence[dict[str, Any]] = ()) -> str:
    """One example: each field (texts with mentions and a rule's matches highlighted), the kept
    LFs' votes on it, its gold label and the label model's probabilities."""
    marks = [*ex["marks"], *extra_marks]
    rows = []
    for name, value in ex["fields"].items():
        if name == ex.get("gold_column"):  # shown as the gold chip
            continue
        if isinstance(value, str):
            mine = [m for m in marks if m["field"] == name]
            body = marked(value, mine)
        else:
            body = escape(_num(value))
        rows.append(f'<div class="field"><span class="fname">{escape(name)}</span>'
                    f'<span class="fvalue" data-field="{escape(name)}">{body}</span></div>')
    votes = "".join(f'<span class="chip vote">{escape(v["lf"])} → {escape(v["label"])}</span>'
                    for v in ex["votes"]) or '<span class="muted">no LF votes here</span>'
    gold = (f'<span class="chip gold">gold {escape(ex["gold"])}</span>' if ex.get("gold")
            else "")
    probs = ""
    if ex.get("probs"):
        probs = " ".join(f"{escape(k)} {v:.2f}" for k, v in ex["probs"].items())
        what = "label model" if ex["votes"] else "label model (no votes: its prior)"
        probs = f'<span class="muted">{what}: {probs}</span>'
    problems = "".join(f'<div class="problem">{escape(p)}</div>' for p in ex.get("problems", []))
    matching = (f' · {ex["matching"]:,} matching' if ex.get("matching") is not None else "")
    return (f'<div class="example" data-split="{ex["split"]}" data-row="{ex["row"]}">'
            f'<div class="where">{escape(ex["split"])} row {ex["row"]:,} of {ex["rows"]:,}'
            f'{matching} {gold}</div>{"".join(rows)}<div class="votes">{votes}</div>'
            f'<div>{probs}</div>{problems}</div>')


def _chips(rows: Sequence[int], cls: str) -> str:
    return "".join(f'<button class="chip {cls}" data-open-dev="{r}" title="open dev row {r}">'
                   f'{r}</button>' for r in rows)


def readings(result: dict[str, Any], example_html: str | None = None) -> str:
    """The readings of a typed rule, each with its figures and a keep button."""
    parts: list[str] = []
    for err in result["errors"]:
        parts.append(f'<pre class="diagnostic">{escape(err["rendered"])}</pre>')
    for note in result["notes"]:
        parts.append(f'<div class="note">{escape(note)}</div>')
    for i, r in enumerate(result["readings"]):
        parts.append(_reading(i, r))
    if not parts:
        parts.append('<div class="muted">type a rule: DSL (<code>text contains "win" -&gt; SPAM'
                     '</code>) or English (<code>the word "win" occurs</code>)</div>')
    return (f'<div class="readings" data-kind="{escape(result["kind"])}" '
            f'data-count="{len(result["readings"])}" data-ms="{result["ms"]}">'
            + "".join(parts) + "</div>")


def _reading(i: int, r: dict[str, Any]) -> str:
    head = (f'<div class="reading-head"><button class="keep" data-reading="{i}" '
            f'title="keep (Alt+{i + 1})">keep <kbd>Alt+{i + 1}</kbd></button>'
            f'<code class="dsl">{escape(r["dsl"])}</code></div>')
    if "pool" not in r:
        return f'<div class="reading" data-i="{i}">{head}</div>'
    vote = r.get("vote")
    here = (f'<span class="chip {"fires" if vote else "silent"}">on this example: '
            f'{escape(vote) if vote else "abstains"}</span>')
    pool = r["pool"]
    figs = [here,
            f'<span class="fig" data-fig="coverage">coverage {_pct(pool["coverage"], 2)} '
            f'({pool["votes"]:,} of {pool["rows"]:,})</span>',
            f'<span class="fig">overlaps {_pct(pool["overlaps"], 2)}</span>',
            f'<span class="fig">conflicts {_pct(pool["conflicts"], 2)}</span>']
    body = ['<div class="figs">' + "".join(figs) + "</div>"]
    if r.get("note"):
        body.append(f'<div class="note">{escape(r["note"])}</div>')
    dev = r.get("dev")
    if dev is not None:
        lo, hi = dev["interval"]
        prec = (f'{dev["precision"]:.2f} [{lo:.2f}, {hi:.2f}]' if dev["precision"] is not None
                else "no dev votes")
        body.append(f'<div class="dev"><span class="fig" data-fig="precision">dev precision '
                    f'{prec}</span> <span class="muted">{dev["correct"]} correct, '
                    f'{dev["incorrect"]} incorrect</span> {_chips(dev["correct_rows"], "ok")}'
                    f'{_chips(dev["incorrect_rows"], "bad")}</div>')
    body.append(f'<div class="lm" data-lm="{i}">' + (label_model(r["label_model"]) if
                r.get("label_model") else '<span class="muted">label model: …</span>' if
                dev is not None else "") + "</div>")
    pairs = pool["with"][:6]
    if pairs:
        cells = "".join(f'<span class="chip pair">{escape(p["lf"])}: {p["overlaps"]} overlap, '
                        f'{p["conflicts"]} conflict</span>' for p in pairs)
        body.append(f'<div class="pairs">{cells}</div>')
    return f'<div class="reading" data-i="{i}">{head}{"".join(body)}</div>'


def label_model(lm: dict[str, Any]) -> str:
    """The label model's change on dev from keeping one reading: accuracy and F1 before → after,
    and the dev rows whose label flips (chips that open them)."""
    b, a = lm["before"], lm["after"]
    fl = lm["flips"]
    flips = "".join(f'<button class="chip {f["effect"]}" data-open-dev="{f["row"]}">'
                    f'{f["row"]}: {escape(f["before"])}→{escape(f["after"])}</button>'
                    for f in fl["rows"])
    return (f'label model on dev: accuracy {_pct(b["accuracy"])} → <b>{_pct(a["accuracy"])}</b>, '
            f'F1 {_num(b["f1"])} → <b>{_num(a["f1"])}</b> · {fl["count"]} flip(s): '
            f'{fl["fixed"]} fixed, {fl["broken"]} broken, {fl["wrong"]} still wrong {flips}')


def table(summary: dict[str, Any]) -> str:
    """The LF table: pool columns (coverage, overlaps, conflicts, learned accuracy) beside dev
    columns (correct, incorrect, empirical accuracy); headers sort."""
    dev = {r["LF"]: r for r in summary.get("dev", {}).get("lfs", [])}
    head = "".join(f'<th><button class="sort" data-col="{c}">{escape(c)}</button></th>'
                   for c in COLUMNS) + "<th></th>"
    rows = []
    for r in summary["pool"]["lfs"]:
        d = dev.get(r["LF"], {})
        cells = []
        for c in COLUMNS:
            v = d.get(c) if c in ("Correct", "Incorrect", "Emp. Acc.") else r.get(c)
            sort = v if isinstance(v, int | float) else (", ".join(v) if isinstance(v, list)
                                                          else v or "")
            cells.append(f'<td data-col="{c}" data-v="{escape(str(sort))}">{escape(_num(v))}</td>')
        rows.append(f'<tr data-lf="{escape(r["LF"])}">{"".join(cells)}<td><button class="remove" '
                    f'data-lf="{escape(r["LF"])}" title="remove (undoable)">×</button></td></tr>')
    return (f'<table class="lfs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f'</table>' + ("" if rows else '<div class="muted">no LFs kept yet</div>'))


def metrics(summary: dict[str, Any]) -> str:
    m = summary["metrics"]
    mv = summary["pool"]["majority_vote"]
    parts = [f'<span class="fig" data-fig="lfs">{m["lfs"]} LFs</span>',
             f'<span class="fig" data-fig="pool-coverage">pool coverage '
             f'{_pct(m["pool_coverage"])}</span>',
             f'<span class="fig">majority vote labels {mv["labeled"]:,} of {mv["rows"]:,}</span>']
    for key, name in (("dev_majority", "majority vote"), ("dev_label_model", "label model")):
        if key in m:
            s = m[key]
            parts.append(f'<span class="fig" data-fig="{key}">dev {name}: accuracy '
                         f'{_pct(s["accuracy"])} ({_pct(s["covered_accuracy"])} on the '
                         f'{_pct(s["coverage"])} it labels), F1 {_num(s["f1"])}</span>')
    undo = (f'<button id="undo" title="undo {escape(summary["undo"] or "")} (Alt+U)"'
            f'{"" if summary["can_undo"] else " disabled"}>undo <kbd>Alt+U</kbd></button>')
    redo = (f'<button id="redo" title="redo {escape(summary["redo"] or "")} (Alt+R)"'
            f'{"" if summary["can_redo"] else " disabled"}>redo <kbd>Alt+R</kbd></button>')
    version = (f'<span class="muted" data-version="{summary["version"]}">saved '
               f'{summary["version"]}</span>' if summary.get("version") else "")
    return f'<div class="metrics">{"".join(parts)} {undo}{redo} {version}</div>'
