"""The studio's HTTP side: a JSON API (the page uses it; so can scripts and tests) and the page.

Every ``/api`` call answers JSON; with ``?html=1`` it also carries the server-rendered fragments
the page swaps in (``html``: ``{"readings": ..., "example": ..., "table": ..., "metrics": ...}``).
A mistake in a request is HTTP 400 with the coded diagnostics (``errors``), never a traceback;
while the data is being featurized every call but ``/api/status`` answers 503.
"""

from __future__ import annotations

import threading
from html import escape
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from explicate.errors import ExplicateError
from explicate.studio import render
from explicate.studio.state import Studio

STATIC = Path(__file__).parent / "static"


class TryRequest(BaseModel):
    text: str
    example: int | None = None
    split: str = "pool"
    label: str | None = None


class TryFullRequest(TryRequest):
    label_model: bool = True


class KeepRequest(TryRequest):
    reading: int = 0
    name: str | None = None


class RemoveRequest(BaseModel):
    name: str


class NextRequest(BaseModel):
    split: str = "pool"
    order: str = "random"
    filter: str = "all"
    query: str = ""
    after: int | None = None


def create_app(studio: Studio, *, load: bool = True) -> FastAPI:
    """The FastAPI app over a studio. With ``load`` the data is featurized in a background
    thread (the page shows its progress); pass an already loaded studio with ``load=False``."""
    app = FastAPI(title="explicate studio", docs_url="/api/docs", redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if load and not studio.ready:
        def run() -> None:
            try:
                studio.load()
            except ExplicateError as exc:
                studio.load_error = str(exc)
            except Exception as exc:  # shown on the page: the server stays up to say why
                studio.load_error = f"{type(exc).__name__}: {exc}"
        threading.Thread(target=run, name="studio-load", daemon=True).start()

    @app.exception_handler(ExplicateError)
    async def user_error(request: Request, exc: ExplicateError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"errors": [
            {"code": d.code, "message": d.message, "hints": list(d.hints),
             "rendered": d.render()} for d in exc.diagnostics]})

    def ready() -> JSONResponse | None:
        if studio.ready:
            return None
        return JSONResponse(status_code=503, content={"loading": studio.status()})

    def with_summary_html(out: dict[str, Any], html: bool) -> dict[str, Any]:
        if html:
            out["html"] = {"table": render.table(out), "metrics": render.metrics(out)}
        return out

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _page(studio)

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        return studio.status()

    @app.post("/api/try", response_model=None)
    def try_rule(req: TryFullRequest, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        out = studio.try_rule(req.text, req.example, req.split, req.label, req.label_model)
        if html:
            frag = {"readings": render.readings(out)}
            if req.example is not None:
                ex = studio.example(req.split, req.example)
                first = next((r for r in out["readings"] if "marks" in r), None)
                frag["example"] = render.example(ex, first["marks"] if first else ())
            out["html"] = frag
        return out

    @app.post("/api/impact", response_model=None)
    def impact(req: TryRequest, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        out = studio.impact(req.text, req.example, req.split, req.label)
        if html:
            out["html"] = [render.label_model(lm) if lm else "" for lm in out["label_model"]]
        return out

    @app.post("/api/keep", response_model=None)
    def keep(req: KeepRequest, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        return with_summary_html(studio.keep(req.text, req.example, req.split, req.label,
                                             req.reading, req.name), html)

    @app.post("/api/remove", response_model=None)
    def remove(req: RemoveRequest, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        return with_summary_html(studio.remove(req.name), html)

    @app.post("/api/undo", response_model=None)
    def undo(html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        return with_summary_html(studio.undo(), html)

    @app.post("/api/redo", response_model=None)
    def redo(html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        return with_summary_html(studio.redo(), html)

    @app.get("/api/summary", response_model=None)
    def summary(html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        return with_summary_html(studio.summary(), html)

    @app.get("/api/example", response_model=None)
    def example(split: str = "pool", row: int = 0, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        out = studio.example(split, row)
        if html:
            out["html"] = {"example": render.example(out)}
        return out

    @app.post("/api/next", response_model=None)
    def next_example(req: NextRequest, html: bool = False) -> Any:
        if (busy := ready()) is not None:
            return busy
        out = studio.next_example(req.split, req.order, req.filter, req.query, req.after)
        if html:
            out["html"] = {"example": render.example(out) if out["row"] is not None else
                           '<div class="muted">no example matches</div>'}
        return out

    @app.get("/api/export", response_model=None)
    def export(format: str = Query("csv", pattern="^(csv|parquet)$")) -> Any:
        if (busy := ready()) is not None:
            return busy
        body, media = studio.export(format)
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="labels.{format}"'})

    @app.get("/api/history", response_model=None)
    def history() -> Any:
        if (busy := ready()) is not None:
            return busy
        return {"versions": studio.versions()}

    @app.get("/api/diff", response_model=None)
    def diff(a: str, b: str) -> Any:
        if (busy := ready()) is not None:
            return busy
        return studio.diff(a, b)

    return app


KEYS = (("Alt+N", "next example"), ("Alt+1…9", "keep reading n"), ("Ctrl+Enter", "keep the "
        "first reading"), ("Esc", "discard (clear the rule)"), ("Alt+U / Alt+R", "undo / redo"),
        ("Alt+L", "next label"), ("Alt+F or /", "search (Enter: next match)"),
        ("Alt+E", "edit the rule"), ("Tab", "buttons, chips and table headers"))


def _page(studio: Studio) -> str:
    """The page shell; its parts are filled from the API (fragments) once the data is loaded."""
    labels = studio.labels_ if studio.ready else ()
    options = "".join(f'<option value="{escape(lab)}">{escape(lab)}</option>' for lab in labels)
    dev = studio.ready and "dev" in studio.splits
    splits = '<option value="pool">pool</option>' + (
        '<option value="dev">dev</option>' if dev else "")
    keys = "".join(f"<li><kbd>{escape(k)}</kbd> {escape(v)}</li>" for k, v in KEYS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>explicate studio</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/studio.css"></head>
<body data-ready="{str(studio.ready).lower()}">
<header><h1>explicate studio</h1><div id="metrics" aria-live="polite"></div></header>
<div id="loading" class="loading"{'' if not studio.ready else ' hidden'}>
  <div id="stage">starting</div><progress id="progress" max="1" value="0"></progress></div>
<main id="main"{' hidden' if not studio.ready else ''}>
<section class="left">
  <div class="picker">
    <label>split <select id="split">{splits}</select></label>
    <label>order <select id="order"><option value="random">random</option>
      <option value="uncertain">uncertain</option><option value="conflict">conflict</option>
      <option value="sequential">in order</option></select></label>
    <label>filter <select id="filter"><option value="all">all</option>
      <option value="uncovered">uncovered</option><option value="conflicting">conflicting</option>
      <option value="wrong">wrong on dev</option></select></label>
    <input id="search" type="search" placeholder="search (Alt+F)" aria-label="search">
    <button id="next" title="next example (Alt+N)">next <kbd>Alt+N</kbd></button>
  </div>
  <div id="example" aria-live="polite"></div>
  <div class="editor">
    <label for="rule">rationale: DSL or English</label>
    <textarea id="rule" rows="3" spellcheck="false"
      placeholder='text contains "prize" -> SPAM   ·   the word "prize" occurs in the text'></textarea>
    <div class="editor-bar"><label>label <select id="label">{options}</select></label>
      <button id="discard" title="discard (Esc)">discard <kbd>Esc</kbd></button>
      <a href="/api/export?format=csv">export CSV</a> · <a href="/api/export?format=parquet">Parquet</a>
    </div>
  </div>
  <div id="readings" aria-live="polite"></div>
</section>
<section class="right"><h2>LFs</h2><div id="table"></div>
<details><summary>keys</summary><ul class="keys">{keys}</ul></details></section>
</main>
<script src="/static/studio.js"></script>
</body></html>"""
