// explicate studio: a few lines of plain JS. The server renders every fragment; this file only
// sends the API calls, swaps the fragments in, and maps keys. No dependencies, works offline.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { split: "pool", row: null, seq: 0, timer: null, inflight: null };
  // Per answered keystroke: ms from the keystroke (incl. the debounce) and from the request to
  // the painted result (benchmarks/studio.py reads them).
  const timings = (window.__studioTimings = []);

  // A stale answer is not worth waiting for: a new keystroke aborts the request in flight.
  async function api(method, path, body, signal) {
    const sep = path.includes("?") ? "&" : "?";
    let res, data;
    try {
      res = await fetch(path + sep + "html=1", {
        method, headers: body ? { "Content-Type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined, signal,
      });
      data = await res.json();
    } catch (err) {
      if (err.name === "AbortError") return null;
      throw err;
    }
    if (!res.ok) { showErrors(data); return null; }
    return data;
  }
  function showErrors(data) {
    const errs = (data && data.errors) || [];
    $("readings").innerHTML = errs.map((e) =>
      '<pre class="diagnostic">' + escapeHtml(e.rendered) + "</pre>").join("");
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function swap(html) {
    if (!html) return;
    for (const [id, frag] of Object.entries(html)) { const el = $(id); if (el) el.innerHTML = frag; }
    const saved = document.querySelector("[data-version]");
    if (saved) document.body.dataset.version = saved.dataset.version;
  }
  // Runs ``fn`` just after the next paint: a frame callback comes before the paint, a task it
  // posts runs once the frame is painted.
  function afterPaint(fn) {
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = fn;
      ch.port2.postMessage(null);
    });
  }
  function painted(t0, tSend, seq) {
    afterPaint(() => {
      const now = performance.now();
      timings.push({ kind: "readings", sinceKey: now - t0, sinceSend: now - tSend });
      document.body.dataset.painted = String(seq);
    });
  }

  function rulePayload() {
    return { text: $("rule").value, example: state.row, split: state.split,
             label: $("label").value || null };
  }
  function abortStale() {
    if (state.inflight) state.inflight.abort();
    state.inflight = null;
  }
  async function tryRule(t0) {
    const seq = state.seq, tSend = performance.now();
    if (t0 === undefined) t0 = tSend;
    abortStale();
    const ctl = (state.inflight = new AbortController());
    // Readings and their figures first; the label model's change (a refit) follows.
    const data = await api("POST", "/api/try",
                           Object.assign(rulePayload(), { label_model: false }), ctl.signal);
    if (seq !== state.seq) return; // a newer keystroke is on its way: drop this answer
    if (data) swap(data.html);
    painted(t0, tSend, seq);
    if (!data || !data.readings.some((r) => r.dev)) return;
    // The refit is asked for once the readings are on screen, and only if no newer keystroke
    // came meanwhile (a refit for a superseded prefix would only slow the next answer down).
    await new Promise((done) => afterPaint(done));
    if (seq !== state.seq) return;
    const lm = await api("POST", "/api/impact", rulePayload(), ctl.signal);
    if (seq !== state.seq || !lm) return;
    lm.html.forEach((frag, i) => { const el = document.querySelector('[data-lm="' + i + '"]');
                                   if (el && frag) el.innerHTML = frag; });
    afterPaint(() => {
      timings.push({ kind: "label_model", sinceKey: performance.now() - t0 });
      document.body.dataset.impact = String(seq);
    });
  }
  // Debounced: each keystroke restarts the wait; the timing runs from the last keystroke.
  function scheduleTry() {
    const seq = ++state.seq, t0 = performance.now();
    document.body.dataset.pending = String(seq);
    abortStale();
    clearTimeout(state.timer);
    state.timer = setTimeout(() => tryRule(t0), 120);
  }

  // Discarding (Esc) also drops whatever answer is still on its way for the discarded text.
  function discard() {
    clearTimeout(state.timer); abortStale();
    const seq = String(++state.seq);
    $("rule").value = ""; $("readings").innerHTML = "";
    document.body.dataset.pending = document.body.dataset.painted = seq;
  }
  async function keep(i) {
    if (!$("rule").value.trim()) return;
    clearTimeout(state.timer); abortStale();
    const data = await api("POST", "/api/keep", Object.assign(rulePayload(), { reading: i }));
    if (!data) return;
    swap(data.html);
    $("rule").value = ""; $("readings").innerHTML = ""; state.seq++;
    document.body.dataset.kept = String(data.rules.length);
    await openExample(state.split, state.row);
  }
  async function step(which) {
    const data = await api("POST", "/api/" + which);
    if (data) { swap(data.html); document.body.dataset.kept = String(data.rules.length); }
    if (state.row !== null) await openExample(state.split, state.row);
  }
  async function openExample(split, row) {
    const data = await api("GET", "/api/example?split=" + split + "&row=" + row);
    if (!data) return;
    setExample(data);
    if ($("rule").value.trim()) scheduleTry();
  }
  function setExample(data) {
    state.split = data.split; state.row = data.row; $("split").value = data.split;
    swap(data.html);
    document.body.dataset.row = data.row === null ? "" : data.split + ":" + data.row;
  }
  async function nextExample() {
    const data = await api("POST", "/api/next", { split: $("split").value, order: $("order").value,
      filter: $("filter").value, query: $("search").value, after: state.row });
    if (!data) return;
    if (data.row === null) { swap(data.html); return; }
    setExample(data);
    if ($("rule").value.trim()) scheduleTry();
  }
  async function refresh() {
    const data = await api("GET", "/api/summary");
    if (data) { swap(data.html); document.body.dataset.kept = String(data.rules.length); }
  }
  function sortTable(col) {
    const body = document.querySelector("table.lfs tbody");
    if (!body) return;
    const rows = Array.from(body.rows);
    const dir = body.dataset.sort === col && body.dataset.dir === "desc" ? "asc" : "desc";
    const val = (r) => { const v = r.querySelector('td[data-col="' + col + '"]').dataset.v;
                         const f = parseFloat(v); return isNaN(f) ? v : f; };
    rows.sort((a, b) => { const x = val(a), y = val(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (dir === "asc" ? 1 : -1); });
    rows.forEach((r) => body.appendChild(r));
    body.dataset.sort = col; body.dataset.dir = dir;
  }

  document.addEventListener("click", (ev) => {
    const t = ev.target.closest("button, [data-open-dev]");
    if (!t) return;
    if (t.classList.contains("keep")) keep(Number(t.dataset.reading));
    else if (t.dataset.openDev !== undefined) openExample("dev", Number(t.dataset.openDev));
    else if (t.classList.contains("sort")) sortTable(t.dataset.col);
    else if (t.classList.contains("remove")) api("POST", "/api/remove", { name: t.dataset.lf })
      .then((d) => { if (d) { swap(d.html); document.body.dataset.kept = String(d.rules.length); } });
    else if (t.id === "undo") step("undo");
    else if (t.id === "redo") step("redo");
    else if (t.id === "next") nextExample();
    else if (t.id === "discard") discard();
  });
  document.addEventListener("keydown", (ev) => {
    const inText = ev.target === $("rule") || ev.target === $("search");
    if (ev.altKey && /^[1-9]$/.test(ev.key)) { ev.preventDefault(); keep(Number(ev.key) - 1); }
    else if (ev.altKey && ev.code === "KeyN") { ev.preventDefault(); nextExample(); }
    else if (ev.altKey && ev.code === "KeyU") { ev.preventDefault(); step("undo"); }
    else if (ev.altKey && ev.code === "KeyR") { ev.preventDefault(); step("redo"); }
    else if (ev.altKey && ev.code === "KeyF") { ev.preventDefault(); $("search").focus(); $("search").select(); }
    else if (ev.altKey && ev.code === "KeyE") { ev.preventDefault(); $("rule").focus(); }
    else if (ev.altKey && ev.code === "KeyL") {
      ev.preventDefault(); const s = $("label"); s.selectedIndex = (s.selectedIndex + 1) % s.length;
      scheduleTry();
    }
    else if (ev.ctrlKey && ev.key === "Enter") { ev.preventDefault(); keep(0); }
    else if (ev.key === "Escape") { discard(); $("rule").focus(); }
    else if (ev.key === "Enter" && ev.target === $("search")) { ev.preventDefault(); nextExample(); }
    else if (ev.key === "/" && !inText) { ev.preventDefault(); $("search").focus(); }
  });
  $("rule").addEventListener("input", scheduleTry);
  $("label").addEventListener("change", scheduleTry);

  async function boot() {
    if (document.body.dataset.ready !== "true") {
      const s = await (await fetch("/api/status")).json();
      if (s.error) { $("stage").textContent = s.error; return; }
      if (!s.ready) { $("stage").textContent = s.stage; $("progress").value = s.fraction;
                      setTimeout(boot, 250); return; }
      location.reload(); return; // the page is rendered with the data's labels and splits
    }
    await refresh();
    await nextExample();
    $("rule").focus();
    document.body.dataset.booted = "true";
  }
  boot();
})();
