"""Filling sketches: candidates → votes on pool and dev → selection → filled rule file.

One featurized batch holds the pool rows and then the dev rows; every candidate LF is the sketch
(already resolved and type-checked with its holes) with values substituted, evaluated by the
compiler's memoized ``Evaluator`` over that batch, so a word shared by many candidates and
sketches is located once.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from explicate import ir
from explicate.compiler import Program, compile_rules
from explicate.compiler.lower import Evaluator
from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.data import RowProblem, infer_schema
from explicate.runtime.features import Batch, build_batch
from explicate.runtime.progress import Progress
from explicate.runtime.sketch import candidates as cands
from explicate.runtime.sketch.result import Fill, FillConfig, FillResult, HeldOutStats
from explicate.runtime.sketch.select import HeldOut, Pool, Selection, cross_fit, select, wilson
from explicate.runtime.tokens import token_text


def _declared_spans(rules: ir.RuleFile) -> dict[str, str]:
    return {s: d.text for d in rules.statements if isinstance(d, ir.SpansDecl) for s in d.names}


def _mask(ev: Evaluator, batch: Batch, cond: ir.Expr) -> np.ndarray:
    valid = np.ones(batch.n, dtype=bool)
    for f in ir.fields_read(cond):
        valid &= batch.valid(f)
    return np.asarray(ev(cond), dtype=bool) & valid


def fill(rules: ir.RuleFile, pool: pd.DataFrame, dev: pd.DataFrame, gold: np.ndarray, *,
         config: FillConfig | None = None, seed: int = 0, base_dir: str | Path = ".",
         syntax_errors: tuple[Diagnostic, ...] = (),
         nearest: Callable[[list[str], list[str], int], list[str]] | None = None) -> FillResult:
    """Fill the sketches of a rule file from an unlabeled ``pool`` and labeled ``dev`` rows.

    ``gold`` holds the label id of each dev row (``ABSTAIN`` where unknown; such rows count only
    as unlabeled). Plain LFs pass through and take part in the label model's feedback. The
    result is deterministic for a given ``seed`` (it fixes the cross-fitting folds and the label
    model). ``nearest`` ranks words near ``like`` seeds (default: MiniLM embeddings).
    """
    t0 = time.perf_counter()
    cfg = config or FillConfig()
    gold = np.asarray(gold, dtype=np.int64).reshape(-1)
    if len(gold) != len(dev):
        raise ExplicateError([Diagnostic("E604", f"{len(gold)} gold labels for {len(dev)} dev rows")])
    combined = pd.concat([pool, dev], ignore_index=True)
    n_pool, n_dev = len(pool), len(dev)
    schema = infer_schema(combined, _declared_spans(rules))
    program = compile_rules(rules, schema, base_dir, syntax_errors, holes=True)
    k = program.cardinality
    problems: list[RowProblem] = []
    batch = build_batch(combined, program, schema, problems=problems)
    if nearest is None:
        from explicate.runtime.sketch.embed import nearest as minilm_nearest
        nearest = minilm_nearest
    sketch_ids = [j for j, lf in enumerate(program.lowered) if ir.holes(lf)]
    plain_ids = [j for j in range(len(program.lowered)) if j not in sketch_ids]
    ev = Evaluator(batch)
    plain = np.full((n_pool + n_dev, len(plain_ids)), ir.ABSTAIN, dtype=np.int8)
    for col, j in enumerate(plain_ids):
        lf = program.lowered[j]
        assert lf.label.id is not None
        plain[_mask(ev, batch, lf.when), col] = lf.label.id
    known = gold != ir.ABSTAIN
    counts = np.bincount(gold[known], minlength=k).astype(np.float64)
    raw_prior = (counts + 1) / (counts.sum() + k)
    log: list[str] = []
    if not known.any():
        raise ExplicateError([Diagnostic("E604", "no dev row has a gold label", None, "",
                                         ("check --gold and --gold-map",))])
    if (~known).any():
        log.append(f"{int((~known).sum())} dev rows without a gold label are used as unlabeled")
    if problems:
        log.append(f"{len(problems)} row fields could not be read (missing or not text); the "
                   "LFs reading them abstain there")
    vocabs: dict[str, cands.Vocabulary] = {}
    built: list[tuple[int, dict[str, cands.Value], int, np.ndarray]] = []
    n_tried: dict[str, int] = {}
    with Progress(None, len(sketch_ids), "filling sketches", least=1) as advance:
        for s, j in enumerate(sketch_ids):
            ev = Evaluator(batch)  # one memo per sketch keeps memory bounded; occurrences are shared
            lf = program.lowered[j]
            options = _options(lf, program, batch, ev, vocabs, n_pool, gold, known, cfg,
                               nearest, raw_prior)
            names = list(options)
            label_hole = lf.label.name if isinstance(lf.label, ir.LabelHole) else None
            cond_names = [n for n in names if n != label_hole]
            tried = 0
            for values in cands.assignments(cond_names, [options[n] for n in cond_names]):
                tried += 1
                mask = _mask(ev, batch, cands.substitute(lf.when, values))
                dev_votes = mask[n_pool:] & known
                if dev_votes.sum() < cfg.candidates.min_support:
                    continue
                labels = [lf.label.id] if label_hole is None else range(k)
                for c in labels:
                    assert c is not None
                    precision = (gold[dev_votes] == c).mean()
                    if precision <= raw_prior[c]:
                        continue  # never better than the prior: not a candidate in any fold
                    full = dict(values)
                    if label_hole is not None:
                        full[label_hole] = ir.Label(program.labels[c], c)
                    built.append((s, full, c, mask))
            n_tried[lf.name] = tried
            advance()
    p = _pool(built, n_pool, n_dev, plain, [program.lowered[j].name for j in sketch_ids])
    sel = select(p, gold, np.ones(n_dev, dtype=bool), k, cfg.select, seed)
    log.extend(sel.log)
    final = [ch.candidate for ch in sel.chosen]
    held = cross_fit(p, gold, k, final, cfg.select, seed)
    fills = _fills(sel, held, built, p, program, sketch_ids, cfg)
    out_rules = _filled_file(rules, program, sketch_ids, fills)
    deps = [(a.name, b.name) for i, a in enumerate(fills) for b in fills[i + 1 :]
            if a.sketch == b.sketch]
    return FillResult(out_rules, rules, fills, log, deps, n_tried, len(built),
                      [program.lowered[j].name for j in sketch_ids], time.perf_counter() - t0)


def _options(lf: ir.LF, program: Program, batch: Batch, ev: Evaluator,
             vocabs: dict[str, cands.Vocabulary], n_pool: int,
             gold: np.ndarray, known: np.ndarray, cfg: FillConfig,
             nearest: Callable[[list[str], list[str], int], list[str]],
             prior: np.ndarray) -> dict[str, list[cands.Value]]:
    """Candidate values for each hole of one sketch (a beam per words hole when the joint
    space is larger than ``max_joint``)."""
    cc = cfg.candidates
    out: dict[str, list[cands.Value]] = {}
    word_holes: list[str] = []
    for name, site in cands.sites(lf).items():
        if isinstance(site.hole, ir.LabelHole):
            out[name] = cands.label_values(program.labels)
        elif site.hole.kind == "number":
            values = None
            if site.compared is not None:
                values = np.asarray(ev(site.compared), dtype=np.float64)[:n_pool]
            out[name] = list(cands.number_candidates(site, values, cc))
        elif site.objects_field is not None and site.hole.within is None:
            col = batch.object_table(site.objects_field)
            n_obj = int(col.offsets[n_pool])
            out[name] = list(cands.object_candidates(col.lower, n_obj, n_pool, col.row_of, cc,
                                                     cc.max_words))
        else:
            vocab = _vocab(site, batch, vocabs, n_pool)
            out[name] = list(cands.word_candidates(site, vocab, n_pool, cc, nearest,
                                                   cc.max_words))
            word_holes.append(name)
    label_hole = lf.label.name if isinstance(lf.label, ir.LabelHole) else None
    # Labels are not enumerated (each candidate's votes are scored for every label).
    fixed = math.prod(len(v) for n, v in out.items() if n not in word_holes and n != label_hole)
    if len(word_holes) > 1 or (word_holes and fixed * len(out[word_holes[0]]) > cc.max_joint):
        budget = max(2, int((cc.max_joint / max(fixed, 1)) ** (1 / len(word_holes))))
        sites = cands.sites(lf)
        for name in word_holes:
            if len(out[name]) > budget:
                out[name] = _beam(sites[name], out[name], budget, ev, batch, n_pool, gold, known,
                                  prior)
    return out


def _vocab(site: cands.HoleSite, batch: Batch, vocabs: dict[str, cands.Vocabulary],
           n_pool: int) -> cands.Vocabulary:
    field = site.text_field
    if field is None:  # a words hole outside any text primitive: words of every text field
        field = next(iter(batch.texts), None)
    if field is None:
        return cands.Vocabulary([], np.zeros(0, np.int64), np.zeros(0, np.int64))
    if field not in vocabs:
        vocabs[field] = cands.vocabulary(batch.text(field), n_pool, token_text)
    return vocabs[field]


def _beam(site: cands.HoleSite, words: list[cands.Value], size: int, ev: Evaluator, batch: Batch,
          n_pool: int, gold: np.ndarray, known: np.ndarray, prior: np.ndarray
          ) -> list[cands.Value]:
    """The ``size`` words whose occurrence alone best predicts some label on dev (lift of the
    Wilson bound over the prior): the beam of a words hole in a several-hole sketch."""
    scored = []
    for i, w in enumerate(words):
        cond = cands.proxy(site, w) if isinstance(w, ir.Phrase | ir.AnyOf) else None
        if cond is None:
            scored.append((0.0, i))
            continue
        votes = _mask(ev, batch, cond)[n_pool:] & known
        n = int(votes.sum())
        per = np.bincount(gold[votes], minlength=len(prior)).astype(np.float64)
        lo, _ = wilson(per, np.full(len(prior), n), 1.0)
        scored.append((float(np.max((lo - prior) / (1 - prior))), i))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [words[i] for _, i in scored[:size]]


def _pool(built: list[tuple[int, dict[str, cands.Value], int, np.ndarray]], n_pool: int,
          n_dev: int, plain: np.ndarray, names: list[str]) -> Pool:
    c = len(built)
    dev = np.zeros((c, n_dev), dtype=bool)
    bits = np.zeros((c, (n_pool + 7) // 8), dtype=np.uint8)
    for i, (_, _, _, mask) in enumerate(built):
        dev[i] = mask[n_pool:]
        bits[i] = np.packbits(mask[:n_pool])
    coverage = np.array([m[:n_pool].mean() if n_pool else 0.0 for *_, m in built])
    return Pool(dev, bits, np.array([b[2] for b in built], dtype=np.int64),
                np.array([b[0] for b in built], dtype=np.int64), coverage.astype(np.float64),
                n_pool, plain[:n_pool], plain[n_pool:], names)


_SLUG = re.compile(r"[^A-Za-z0-9]+")


def _fill_name(sketch: str, values: dict[str, cands.Value], taken: set[str]) -> str:
    parts = []
    for v in values.values():
        text = (f"{_show(v.items[0])}_and_{len(v.items) - 1}_near"
                if isinstance(v, ir.AnyOf) else _show(v))
        parts.append(_SLUG.sub("_", text).strip("_").lower())
    base = "_".join([sketch, *[p for p in parts if p]])[:60]
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def _fills(sel: Selection, held: dict[int, HeldOut], built: list[tuple[int, dict[str, cands.Value],
           int, np.ndarray]], p: Pool, program: Program, sketch_ids: list[int],
           cfg: FillConfig) -> list[Fill]:
    taken = {lf.name for lf in program.lfs}
    fills: list[Fill] = []
    order = sorted(sel.chosen, key=lambda ch: (int(p.sketch[ch.candidate]), ch.round,
                                               ch.candidate))
    for ch in order:
        s, values, c, _ = built[ch.candidate]
        written = program.lfs[sketch_ids[s]]
        cond_values = {n: v for n, v in values.items() if not isinstance(v, ir.Label)}
        when = cands.substitute(written.when, cond_values)
        name = _fill_name(written.name, values, taken)
        label = ir.Label(program.labels[c])  # by name, as a parsed rule file has it
        h = held[ch.candidate]
        lo, hi = wilson(np.array([h.correct]), np.array([h.fires]), cfg.select.report_z)
        reason = (f"dev {ch.correct}/{ch.fires} {label.name}: precision bound "
                  f"{ch.lower:.2f} vs prior {ch.prior:.2f} (lift {ch.lift:.2f}); right on "
                  f"{ch.unsure_right} of {ch.unsure} dev rows the label model was unsure of "
                  f"(round {ch.round})")
        fills.append(Fill(
            sketch=written.name, name=name, lf=ir.LF(name, label, when),
            values={n: _show(v) for n, v in values.items()}, label=label.name,
            round=ch.round, dev_fires=ch.fires, dev_correct=ch.correct,
            coverage=float(p.coverage[ch.candidate]),
            held_out=HeldOutStats(h.fires, h.correct, h.folds, float(lo[0]), float(hi[0])),
            reason=reason))
    return fills


def _show(v: cands.Value) -> str:
    if isinstance(v, ir.Phrase):
        return v.text
    if isinstance(v, ir.AnyOf):
        return "any of (" + ", ".join(_show(w) for w in v.items) + ")"
    if isinstance(v, ir.Label):
        return v.name
    return f"{v.value:g}"


def _filled_file(rules: ir.RuleFile, program: Program, sketch_ids: list[int],
                 fills: list[Fill]) -> ir.RuleFile:
    """The rule file with each sketch replaced by its fills (plain statements as they were)."""
    sketch_names = {program.lowered[j].name for j in sketch_ids}
    by_sketch: dict[str, list[ir.LF]] = {}
    for f in fills:
        by_sketch.setdefault(f.sketch, []).append(f.lf)
    statements: list[ir.Expr] = []
    for stmt in rules.statements:
        if isinstance(stmt, ir.LF) and stmt.name in sketch_names:
            statements.extend(by_sketch.get(stmt.name, []))
        else:
            statements.append(stmt)
    return dataclasses.replace(rules, statements=tuple(statements))
