"""Apply throughput: explicate's compiled program vs Snorkel's PandasLFApplier, same 24 LFs.

    .venv/bin/python benchmarks/apply_throughput.py            # 100k generated docs + WRENCH SMS
    .venv/bin/python benchmarks/apply_throughput.py --quick    # 10k docs, one repeat
    .venv/bin/python benchmarks/apply_throughput.py --n 50000 --no-sms

Needs Snorkel 0.10 (``pip install -e ".[bench]"`` / ``make bench-setup``).

What is compared (fairness)
- Both sides use the same tokenization: spaCy ``blank("en")``'s tokenizer, whitespace tokens
  dropped, words compared lowercased. explicate tokenizes inside ``build_batch``; for Snorkel the
  texts are tokenized once, up front, with the same ``nlp.tokenizer.pipe`` into a ``tokens`` column
  of lowercase strings (the cheapest honest choice: tokenizing inside every LF would redo it 24
  times per row, and Snorkel's ``SpacyPreprocessor`` runs a whole pipeline). That step is timed
  separately and added to Snorkel's time for the "incl. tokenization" figures.
- Snorkel LFs are plain ``@labeling_function``s written the way one would by hand (``in`` on the
  token tuple for single words, a small scan for phrases and ``followed by``) and implement exactly
  the DSL semantics documented in ``explicate/primitives/text.py``; the run asserts both give the
  identical label matrix.
- explicate "incl. tokenization" = ``apply_program`` (featurize + evaluate, rows chunked as in the
  CLI); "excl. tokenization" = ``program.apply(batch)`` on a freshly built batch (the batch memoizes
  phrase occurrences, so it is rebuilt, untimed, before every repeat). Compilation (parse → lower,
  a few ms) is outside both, as is defining the Snorkel LFs.
- spaCy's tokenizer caches each distinct space-delimited chunk; one untimed pass over the texts
  warms it before any timing, for each side its own way. explicate tokenizes each distinct
  whitespace-free chunk once (``runtime.tokens``), which is why its featurize can take less time
  than spaCy's per-document tokenization; the split prints the time spent inside spaCy's
  tokenizer on those chunks, the rest of featurize (explicate's overhead), and LF evaluation.
- Also measured: ``apply_program`` with ``--jobs`` processes against one (identical L), and the
  caches: a first run into an empty cache, then a second on the same data, with both the batch
  cache (``runtime.batch_cache``: tokenized columns) and the LF-result cache
  (``runtime.result_cache``: each LF's votes; the second run evaluates nothing), and with the
  batch cache alone (the LFs evaluated). Reading the data is outside (the frame is in memory); the
  second run still hashes the column, loads the tokens and rebuilds validity and problems. Wall
  and CPU seconds; on a loaded machine CPU seconds are the steadier figure.
- The ``--jobs`` figure twice: in this process (interleaved with one-process runs; the split per
  phase of this process and a child is printed, ``runtime.forks.Phases``), and in fresh
  processes (``jobs_variants.py --fresh``: each run a new process, as ``explicate apply``), where
  the one-process side also starts from a heap that has not held a batch yet.
- Snorkel is timed once per data set (it is the slow side, its run-to-run spread is small);
  explicate's figures are the median of ``--repeat`` runs.

The last line printed is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate.runtime.device import keep_torch_out_of_spacy

# As the `explicate` command does: spaCy without torch (Snorkel's labeling needs none either),
# so the process that forks for --jobs is the size the command's is.
keep_torch_out_of_spacy()

from explicate.compiler import Program, Schema  # noqa: E402
from explicate.grammar import parse  # noqa: E402
from explicate.runtime.apply import CHUNK_ROWS, PARALLEL_ROWS, apply_program, compile_for  # noqa: E402
from explicate.runtime.batch_cache import BatchCache  # noqa: E402
from explicate.runtime.data import read_table  # noqa: E402
from explicate.runtime.features import build_batch  # noqa: E402
from explicate.runtime.forks import Phases, release_heap  # noqa: E402
from explicate.runtime.tokens import joined_tokens, token_arrays, tokenizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jobs_split import (  # noqa: E402 - the --jobs figures
    fresh_jobs,
    phase_medians,
    report_split,
    rows_median,
)
from old_tokens import token_arrays as old_token_arrays  # noqa: E402 - the previous tokenizer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", REPO.parent / "shared" / "data"))
SMS_TRAIN = DATA / "wrench" / "sms" / "train.json"

ABSTAIN, HAM, SPAM = -1, 0, 1

# --- the LFs, in the DSL --------------------------------------------------------------------------

RULES = """
labels: HAM, SPAM
words winning = "win", "won", "winner", "winners"
words laughs = "lol", "haha", ":)"

lf free:          text contains "free" -> SPAM
lf txt:           text contains any of ("txt", "text") -> SPAM
lf winning:       text contains any of @winning -> SPAM
lf call_now:      "call" followed by "now" within 2 words in text -> SPAM
lf claim_prize:   "claim" followed by "prize" in text -> SPAM
lf cash_prize:    "cash" followed by any of ("prize", "award") in text -> SPAM
lf urgent:        text starts with any of ("urgent", "urgent !") -> SPAM
lf stop_reply:    text contains "stop" and text contains any of ("reply", "send") -> SPAM
lf pounds:        text contains any of ("£", "??") -> SPAM
lf mobile_offer:  "mobile" followed by any of ("offer", "offers") within 3 words in text -> SPAM
lf guaranteed:    text contains "guaranteed" -> SPAM
lf calls:         count("call" in text) >= 2 -> SPAM
lf new_ringtone:  "new" followed by "ringtone" within 1 words in text -> SPAM
lf im:            text contains "i'm" -> HAM
lf love_you:      "love" followed by "you" within 1 words in text -> HAM
lf thanks:        text contains any of ("thanks", "thank you") -> HAM
lf sorry:         text contains "sorry" -> HAM
lf see_you:       "see" followed by "you" within 1 words in text and not text contains "call" -> HAM
lf laughs:        text contains any of @laughs -> HAM
lf short:         count(text) < 6 -> HAM
lf home:          text contains "home" and not text contains "free" -> HAM
lf ok_start:      text starts with any of ("ok", "k") -> HAM
lf question:      text ends with "?" -> HAM
lf dont_worry:    "don't" followed by "worry" in text -> HAM
"""

# --- the same LFs, as Snorkel labeling functions --------------------------------------------------


def phrase(text: str) -> tuple[str, ...]:
    """A phrase's lowercase tokens, by the tokenizer both sides use."""
    return tuple(t.lower_ for t in tokenizer().tokenizer(text) if not t.is_space)


def occurrences(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of any phrase (the DSL's definition)."""
    out = []
    for p in phrases:
        k = len(p)
        first = p[0]
        for i, t in enumerate(tokens):
            if t == first and tuple(tokens[i : i + k]) == p:
                out.append((i, i + k))
    return out


def contains(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    for p in phrases:
        if len(p) == 1:
            if p[0] in tokens:
                return True
        elif occurrences(tokens, [p]):
            return True
    return False


def followed_by(tokens: Sequence[str], first: Sequence[tuple[str, ...]],
                second: Sequence[tuple[str, ...]], within: int | None = None) -> bool:
    a = occurrences(tokens, first)
    if not a:
        return False
    b = occurrences(tokens, second)
    return any(sb >= ea and (within is None or sb - ea <= within) for _, ea in a for sb, _ in b)


def starts_with(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(tokens[: len(p)]) == p for p in phrases)


def ends_with(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(len(tokens) >= len(p) and tuple(tokens[len(tokens) - len(p) :]) == p
               for p in phrases)


def count_of(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> int:
    return len({s for s, _ in occurrences(tokens, phrases)})


def snorkel_lfs() -> list:
    from snorkel.labeling import labeling_function

    def P(*texts: str) -> tuple[tuple[str, ...], ...]:  # noqa: N802 - reads like the DSL
        return tuple(phrase(t) for t in texts)

    FREE, TXT, WINNING = P("free"), P("txt", "text"), P("win", "won", "winner", "winners")
    CALL, NOW, CLAIM, PRIZE = P("call"), P("now"), P("claim"), P("prize")
    CASH, PRIZE_AWARD, URGENT = P("cash"), P("prize", "award"), P("urgent", "urgent !")
    STOP, REPLY_SEND, POUNDS = P("stop"), P("reply", "send"), P("£", "??")
    MOBILE, OFFERS, GUARANTEED = P("mobile"), P("offer", "offers"), P("guaranteed")
    NEW, RINGTONE, IM, LOVE, YOU = P("new"), P("ringtone"), P("i'm"), P("love"), P("you")
    THANKS, SORRY, SEE = P("thanks", "thank you"), P("sorry"), P("see")
    LAUGHS, HOME, OK_K, QMARK = P("lol", "haha", ":)"), P("home"), P("ok", "k"), P("?")
    DONT, WORRY = P("don't"), P("worry")

    @labeling_function()
    def free(x):
        return SPAM if contains(x.tokens, FREE) else ABSTAIN

    @labeling_function()
    def txt(x):
        return SPAM if contains(x.tokens, TXT) else ABSTAIN

    @labeling_function()
    def winning(x):
        return SPAM if contains(x.tokens, WINNING) else ABSTAIN

    @labeling_function()
    def call_now(x):
        return SPAM if followed_by(x.tokens, CALL, NOW, 2) else ABSTAIN

    @labeling_function()
    def claim_prize(x):
        return SPAM if followed_by(x.tokens, CLAIM, PRIZE) else ABSTAIN

    @labeling_function()
    def cash_prize(x):
        return SPAM if followed_by(x.tokens, CASH, PRIZE_AWARD) else ABSTAIN

    @labeling_function()
    def urgent(x):
        return SPAM if starts_with(x.tokens, URGENT) else ABSTAIN

    @labeling_function()
    def stop_reply(x):
        return SPAM if contains(x.tokens, STOP) and contains(x.tokens, REPLY_SEND) else ABSTAIN

    @labeling_function()
    def pounds(x):
        return SPAM if contains(x.tokens, POUNDS) else ABSTAIN

    @labeling_function()
    def mobile_offer(x):
        return SPAM if followed_by(x.tokens, MOBILE, OFFERS, 3) else ABSTAIN

    @labeling_function()
    def guaranteed(x):
        return SPAM if contains(x.tokens, GUARANTEED) else ABSTAIN

    @labeling_function()
    def calls(x):
        return SPAM if count_of(x.tokens, CALL) >= 2 else ABSTAIN

    @labeling_function()
    def new_ringtone(x):
        return SPAM if followed_by(x.tokens, NEW, RINGTONE, 1) else ABSTAIN

    @labeling_function()
    def im(x):
        return HAM if contains(x.tokens, IM) else ABSTAIN

    @labeling_function()
    def love_you(x):
        return HAM if followed_by(x.tokens, LOVE, YOU, 1) else ABSTAIN

    @labeling_function()
    def thanks(x):
        return HAM if contains(x.tokens, THANKS) else ABSTAIN

    @labeling_function()
    def sorry(x):
        return HAM if contains(x.tokens, SORRY) else ABSTAIN

    @labeling_function()
    def see_you(x):
        t = x.tokens
        return HAM if followed_by(t, SEE, YOU, 1) and not contains(t, CALL) else ABSTAIN

    @labeling_function()
    def laughs(x):
        return HAM if contains(x.tokens, LAUGHS) else ABSTAIN

    @labeling_function()
    def short(x):
        return HAM if len(x.tokens) < 6 else ABSTAIN

    @labeling_function()
    def home(x):
        return HAM if contains(x.tokens, HOME) and not contains(x.tokens, FREE) else ABSTAIN

    @labeling_function()
    def ok_start(x):
        return HAM if starts_with(x.tokens, OK_K) else ABSTAIN

    @labeling_function()
    def question(x):
        return HAM if ends_with(x.tokens, QMARK) else ABSTAIN

    @labeling_function()
    def dont_worry(x):
        return HAM if followed_by(x.tokens, DONT, WORRY) else ABSTAIN

    return [free, txt, winning, call_now, claim_prize, cash_prize, urgent, stop_reply, pounds,
            mobile_offer, guaranteed, calls, new_ringtone, im, love_you, thanks, sorry, see_you,
            laughs, short, home, ok_start, question, dont_worry]


# --- data -----------------------------------------------------------------------------------------

SPAM_WORDS = (
    "free", "txt", "text", "win", "won", "winner", "call", "now", "now!", "claim", "prize",
    "prize!", "cash", "award", "urgent", "urgent!", "stop", "reply", "send", "£100", "£1000",
    "??1.50",
    "mobile", "offer", "offers", "guaranteed", "new", "ringtone", "ringtone!", "08712460324",
    "87131", "collect", "entry", "weekly", "draw", "landline", "150p/msg", "t&c", "www.sms.ac",
)
HAM_WORDS = (
    "i", "i'm", "you", "u", "love", "thanks", "thank", "sorry", "see", "home", "ok", "k", "lol",
    "haha", ":)", "don't", "worry", "later", "gonna", "tonight", "dinner", "babe", "miss", "ur",
    "what", "where", "are", "going", "?", "...", "da", "lor", "wat", "going?", "home.", "it's",
)
FILLER = (
    "the", "a", "to", "and", "is", "in", "it", "for", "of", "on", "my", "me", "be", "at", "so",
    "get", "just", "no", "can", "have", "will", "with", "your", "this", "that", "do", "not", "but",
    "all", "2", "4", "week", "day", "time", "phone", "number", "msg", "back", "pls", "good", "n",
)


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` SMS-like messages (about 15% spam-flavoured) from a fixed vocabulary."""
    rng = np.random.default_rng(seed)
    spam = rng.random(n) < 0.15
    lengths = rng.integers(2, 32, size=n)
    vocab = np.array(FILLER + SPAM_WORDS + HAM_WORDS, dtype=object)
    nf, ns = len(FILLER), len(SPAM_WORDS)
    total = int(lengths.sum())
    row_spam = np.repeat(spam, lengths)
    kind = rng.random(total)
    topical = np.where(row_spam, rng.integers(nf, nf + ns, total),
                       rng.integers(nf + ns, len(vocab), total))
    words = np.where(kind < 0.55, rng.integers(0, nf, total), topical)
    tokens = vocab[words].tolist()
    texts, at = [], 0
    for k, s in zip(lengths.tolist(), spam.tolist(), strict=True):
        msg = " ".join(tokens[at : at + k])
        at += k
        texts.append(msg.upper() if s and k % 7 == 0 else msg.capitalize())
    return pd.DataFrame({"text": texts, "label": spam.astype(np.int64)})


# --- timing ---------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    wall, _cpu, out = timed_cpu(fn)
    return wall, out


def timed_cpu(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result), after a garbage collection."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def timed_all_cpu(fn: Callable[[], object], forks: bool
                  ) -> tuple[float, float, object, tuple[float, int, int]]:
    """(wall seconds, CPU seconds of this process and of the children it forked, result,
    (the children's CPU seconds, minor page faults of this process, of the children)).
    ``forks``: ``fn`` forks children, reaped by a thread after they report (``runtime.forks``);
    their CPU is counted once they are reaped (waited for here, at most a second)."""
    gc.collect()

    def usage() -> tuple[float, float, int, int]:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
            resource.RUSAGE_CHILDREN)
        return (me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, me.ru_minflt,
                kids.ru_minflt)

    (m0, k0, f0, g0), t0 = usage(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    deadline = time.perf_counter() + 1.0
    while forks and usage()[1] == k0 and time.perf_counter() < deadline:
        time.sleep(0.002)
    m1, k1, f1, g1 = usage()
    return wall, (m1 - m0) + (k1 - k0), out, (k1 - k0, f1 - f0, g1 - g0)


def snorkel_tokenize(texts: list[str]) -> list[tuple[str, ...]]:
    nlp = tokenizer()
    return [tuple(t.lower_ for t in doc if not t.is_space)
            for doc in nlp.tokenizer.pipe(texts, batch_size=2048)]


def tokenizer_alone(texts: list[str]) -> Callable[[], object]:
    """What explicate's batch building spends in spaCy's tokenizer: each distinct
    whitespace-free chunk once (``runtime.tokens``); the chunks are found here, untimed."""
    distinct = list(dict.fromkeys("\n".join(texts).split()))
    tok = tokenizer().tokenizer
    return lambda: joined_tokens(distinct, tok)


def bench(df: pd.DataFrame, lfs: list, repeat: int, jobs: int) -> dict[str, Any]:
    from snorkel.labeling import PandasLFApplier

    n = len(df)
    texts = df[["text"]]
    program, schema = compile_for(parse(RULES), texts)
    assert schema is not None
    assert len(program.lfs) == len(lfs)

    # spaCy's tokenizer caches the analysis of each distinct space-delimited chunk; warm it once
    # (untimed) so that neither side profits from the other having run first.
    snorkel_tokenize(df["text"].tolist())

    # Snorkel: tokenize once into a column, then the applier.
    t_tok, tokens = timed(lambda: snorkel_tokenize(df["text"].tolist()))
    n_tokens = int(sum(map(len, tokens)))
    sdf = df.assign(tokens=tokens)
    t_snorkel, L_snorkel = timed(partial(PandasLFApplier(lfs).apply, sdf, progress_bar=False))

    spacy_part = tokenizer_alone(df["text"].tolist())
    build_batch(texts, program, schema, jobs=1, cache=None)  # warm, like Snorkel's side

    # explicate, featurize + evaluate (what `explicate apply` does), one process, no cache.
    incl: list[float] = []
    for _ in range(repeat):
        t, applied = timed(lambda: apply_program(program, texts, schema, progress=False, jobs=1,
                                                 cache=None))
        incl.append(t)
    L_incl = applied.L  # type: ignore[attr-defined]

    # The split: featurize (of which spaCy's tokenizer alone), evaluate. A fresh batch per
    # repeat (it memoizes phrase occurrences).
    excl: list[float] = []
    feat: list[float] = []
    spacy_alone: list[float] = []
    for _ in range(repeat):
        t, _none = timed(spacy_part)
        spacy_alone.append(t)
        t, batch = timed(lambda: build_batch(texts, program, schema, jobs=1, cache=None))
        feat.append(t)
        t, L_excl = timed(partial(program.apply, batch))
        excl.append(t)

    # The tokenizer of batch building against the previous one (benchmarks/old_tokens.py), side
    # by side on the same Python strings: same arrays, time of each.
    strings = df["text"].tolist()
    old_tok: list[float] = []
    new_tok: list[float] = []
    for _ in range(repeat):
        t, old = timed(lambda: old_token_arrays(strings))
        old_tok.append(t)
        t, new = timed(lambda: token_arrays(strings))
        new_tok.append(t)
    assert all(np.array_equal(getattr(old, f), getattr(new, f))  # type: ignore[attr-defined]
               for f in ("lower", "orth", "offsets", "char_start", "char_end"))

    # In parallel: `jobs` processes against one (featurize + evaluate, no cache), the two
    # interleaved so that a change of load hits both; CPU counted in every process. First this
    # process is brought back to what `explicate apply` holds: Snorkel's token column and the
    # token arrays dropped and the C heap's free memory given back (`forks.release_heap`).
    # Measured: with them (or dropped but their memory kept by malloc: no difference) this
    # process held 726 MB of anonymous memory, 152 MB of it free heap, and its fork took
    # 21 ms of CPU against 5-8 ms in the command's; both sides run after the drop.
    del tokens, sdf, old, new, batch
    strings = []  # read by the lambdas above: emptied, not deleted
    gc.collect()
    release_heap()
    forks = jobs > 1 and n >= PARALLEL_ROWS
    one: list[tuple[float, float]] = []
    par: list[tuple[float, float]] = []
    splits: dict[str, list[Phases]] = {"one": [], "par": []}
    big: list[float] = []  # one process in chunks of the previous CHUNK_ROWS, 50k, beside it
    for _ in range(max(repeat, 3)):
        t, c, _out, _u = timed_all_cpu(partial(apply_program, program, texts, schema,
                                               progress=False, jobs=1, cache=None,
                                               chunk_rows=50_000), False)
        big.append(c)
        splits["one"].append(Phases())
        t, c, _out, u = timed_all_cpu(partial(apply_program, program, texts, schema,
                                              progress=False, jobs=1, cache=None,
                                              phases=splits["one"][-1]), False)
        one.append((t, c, *u))
        splits["par"].append(Phases())
        t, c, papplied, u = timed_all_cpu(partial(apply_program, program, texts, schema,
                                                  progress=False, jobs=jobs, cache=None,
                                                  phases=splits["par"][-1]), forks)
        par.append((t, c, *u))
    L_par = papplied.L  # type: ignore[attr-defined]
    t_one, c_one = (statistics.median(x[k] for x in one) for k in (0, 1))
    t_par, c_par = (statistics.median(x[k] for x in par) for k in (0, 1))
    # Where the extra CPU of the processes goes: the children's share, and minor page faults
    # (copy-on-write of inherited pages, fresh mappings for big arrays) in each.
    c_kids, f_par, g_par = (statistics.median(x[k] for x in par) for k in (2, 3, 4))
    f_one = statistics.median(x[3] for x in one)

    cached = cache_figures(program, texts, schema, repeat, L_incl)

    assert np.array_equal(np.asarray(L_snorkel, dtype=np.int8), L_incl), "Snorkel L != explicate L"
    assert np.array_equal(L_incl, L_excl)
    assert np.array_equal(L_incl, L_par), "parallel batch building changed L"

    t_incl, t_excl, t_feat, t_spacy = (
        statistics.median(v) for v in (incl, excl, feat, spacy_alone))
    snorkel_incl = t_snorkel + t_tok
    return {
        "n_docs": n,
        "n_tokens": n_tokens,
        "n_lfs": len(lfs),
        "coverage": float((L_incl != ABSTAIN).any(axis=1).mean()),
        "tokenize_s": t_tok,
        "snorkel_s": t_snorkel,
        "explicate_incl_tok_s": t_incl,
        "explicate_featurize_s": t_feat,
        "explicate_spacy_tokenizer_s": t_spacy,
        "explicate_overhead_s": t_feat - t_spacy,
        "explicate_overhead_ratio": (t_feat - t_spacy) / t_spacy,
        "featurize_vs_tokenizer": t_feat / t_tok,
        "explicate_excl_tok_s": t_excl,
        "snorkel_rows_per_s": n / t_snorkel,
        "snorkel_rows_per_s_incl_tok": n / snorkel_incl,
        "explicate_rows_per_s_incl_tok": n / t_incl,
        "explicate_rows_per_s_excl_tok": n / t_excl,
        "speedup_incl_tok": snorkel_incl / t_incl,
        "speedup_excl_tok": t_snorkel / t_excl,
        "tokens_previous_s": statistics.median(old_tok),
        "tokens_now_s": statistics.median(new_tok),
        "jobs": jobs,
        "apply_one_s": t_one,
        "apply_parallel_s": t_par,
        "parallel_speedup": t_one / t_par,
        "apply_one_cpu_s": c_one,
        "apply_one_chunks50k_cpu_s": statistics.median(big),
        "apply_parallel_cpu_s": c_par,
        "apply_parallel_children_cpu_s": c_kids,
        "apply_one_minor_faults": int(f_one),
        "apply_parallel_minor_faults_self": int(f_par),
        "apply_parallel_minor_faults_children": int(g_par),
        "parallel_forked": forks,
        "parallel_speedup_bound": c_one / (c_par / jobs) if forks else 1.0,
        "parallel_speedup_idle_model": (
            statistics.median(p.idle_wall() for p in splits["one"])
            / statistics.median(p.idle_wall() for p in splits["par"])),
        "split_one": phase_medians(splits["one"]),
        "split_parallel": phase_medians(splits["par"]),
        "split_parallel_child": phase_medians([c for p in splits["par"] for c in p.children]),
        "rows_parallel": rows_median(splits["par"]),
        "rows_parallel_child": rows_median([c for p in splits["par"] for c in p.children]),
        **cached,
        "identical_L": True,
    }


def cache_figures(program: Program, texts: pd.DataFrame, schema: Schema, repeat: int,
                  expected: np.ndarray) -> dict[str, float]:
    """The caches: a first ``apply_program`` into an empty cache directory, then second runs on
    the same data with both caches (tokenized columns and LF results: nothing is tokenized or
    evaluated) and with the batch cache alone (``lf_cache=False``: the LFs are evaluated), and
    ``build_batch`` first and second (the batch cache alone). Wall and CPU seconds (on a shared
    machine CPU seconds are what the load inflates least); second runs are medians of
    ``repeat``. Every L is checked against the run without caches."""

    def apply(store: BatchCache, lf_cache: bool = True) -> np.ndarray:
        return apply_program(program, texts, schema, progress=False, jobs=1, cache=store,
                             lf_cache=lf_cache).L

    def featurize(store: BatchCache) -> object:
        return build_batch(texts, program, schema, jobs=1, cache=store)

    with tempfile.TemporaryDirectory(prefix="explicate-bench-cache-") as root:
        both, tokens, feat = (BatchCache(Path(root) / d) for d in ("both", "tokens", "feat"))
        first = {"both": timed_cpu(lambda: apply(both)),
                 "tokens": timed_cpu(lambda: apply(tokens, lf_cache=False)),
                 "feat": timed_cpu(lambda: featurize(feat))}
        second: dict[str, list[tuple[float, float, object]]] = {k: [] for k in first}
        for _ in range(repeat):
            second["both"].append(timed_cpu(lambda: apply(both)))
            second["tokens"].append(timed_cpu(lambda: apply(tokens, lf_cache=False)))
            second["feat"].append(timed_cpu(lambda: featurize(feat)))
    for kind in ("both", "tokens"):
        for _t, _c, L in [first[kind], *second[kind]]:
            assert np.array_equal(L, expected), f"the cache ({kind}) changed L"
    out: dict[str, float] = {}
    for kind, name in (("both", "apply"), ("tokens", "apply_tokens_only"),
                       ("feat", "featurize")):
        wall = statistics.median(t for t, _c, _o in second[kind])
        cpu = statistics.median(c for _t, c, _o in second[kind])
        out[f"cache_first_{name}_s"] = first[kind][0]
        out[f"cache_second_{name}_s"] = wall
        out[f"cache_{name}_speedup"] = first[kind][0] / wall
        out[f"cache_{name}_cpu_speedup"] = first[kind][1] / cpu
    return out


def report_cache(r: dict[str, float]) -> None:
    print("  cache: a first apply into an empty cache, then a second on the same data")
    for name, what in (("apply", "apply, tokens + LF results cached"),
                       ("apply_tokens_only", "apply, tokens cached (LFs evaluated)"),
                       ("featurize", "build_batch, tokens cached")):
        print(f"    {what:<38} first {r[f'cache_first_{name}_s']:.3f} s, second "
              f"{r[f'cache_second_{name}_s']:.3f} s ({r[f'cache_{name}_speedup']:.1f}x; CPU "
              f"{r[f'cache_{name}_cpu_speedup']:.1f}x)")


def report(title: str, r: dict[str, Any]) -> None:
    print(f"\n== {title}: {r['n_docs']:,} docs, {r['n_tokens']:,} tokens, {r['n_lfs']} LFs "
          f"(coverage {r['coverage']:.0%}) ==")
    print(f"  tokenize per doc (Snorkel's column)  {r['tokenize_s']:8.3f} s  "
          f"{r['n_docs'] / r['tokenize_s']:>12,.0f} rows/s")
    print(f"  Snorkel PandasLFApplier             {r['snorkel_s']:8.3f} s  "
          f"{r['snorkel_rows_per_s']:>12,.0f} rows/s   (+ tokenize: "
          f"{r['snorkel_rows_per_s_incl_tok']:,.0f} rows/s)")
    print(f"  explicate apply (incl. tokenize)    {r['explicate_incl_tok_s']:8.3f} s  "
          f"{r['explicate_rows_per_s_incl_tok']:>12,.0f} rows/s   (one process, no cache)")
    print(f"    split: spaCy tokenizer (distinct chunks) {r['explicate_spacy_tokenizer_s']:.3f} s"
          f" + explicate overhead {r['explicate_overhead_s']:.3f} s = featurize "
          f"{r['explicate_featurize_s']:.3f} s ({r['featurize_vs_tokenizer']:.0%} of spaCy's "
          f"per-doc tokenizer time); LF evaluation {r['explicate_excl_tok_s']:.3f} s")
    print(f"  token arrays: previous tokenizer {r['tokens_previous_s']:.3f} s, now "
          f"{r['tokens_now_s']:.3f} s ({r['tokens_previous_s'] / r['tokens_now_s']:.1f}x, "
          "identical arrays)")
    print(f"  explicate program.apply (excl.)     {r['explicate_excl_tok_s']:8.3f} s  "
          f"{r['explicate_rows_per_s_excl_tok']:>12,.0f} rows/s")
    print(f"  speed-up vs Snorkel: {r['speedup_excl_tok']:,.1f}x excluding tokenization, "
          f"{r['speedup_incl_tok']:,.1f}x including it;  identical L: {r['identical_L']}")
    print(f"  one process in chunks of {CHUNK_ROWS:,} rows: CPU {r['apply_one_cpu_s']:.3f} s; in "
          f"chunks of 50,000 (the previous size) {r['apply_one_chunks50k_cpu_s']:.3f} s")
    print(f"  explicate apply, {r['jobs']} processes     {r['apply_parallel_s']:8.3f} s  "
          f"({r['parallel_speedup']:.2f}x one process, interleaved, identical L)")
    if not r["parallel_forked"]:
        print(f"    (ran in one process: fewer rows than PARALLEL_ROWS = {PARALLEL_ROWS:,})")
    else:
        print(f"    CPU, all processes: {r['apply_parallel_cpu_s']:.3f} s against "
              f"{r['apply_one_cpu_s']:.3f} s in one; on {r['jobs']} idle cores at most "
              f"{r['parallel_speedup_bound']:.2f}x (equal shares, no fork wait)")
        print(f"    of it the children's {r['apply_parallel_children_cpu_s']:.3f} s; minor page "
              f"faults {r['apply_parallel_minor_faults_self']:,} here + "
              f"{r['apply_parallel_minor_faults_children']:,} in the children against "
              f"{r['apply_one_minor_faults']:,} in one process")
        print(f"    idle-core model (wall from CPU seconds: the serial part, then the pieces "
              f"shared evenly): {r['parallel_speedup_idle_model']:.2f}x")
        print("    where the time goes (medians per phase; runtime.forks.Phases):")
        report_split("one process", r["split_one"], r["n_docs"])
        report_split(f"{r['jobs']} processes, this one", r["split_parallel"], r["rows_parallel"])
        report_split("a child", r["split_parallel_child"], r["rows_parallel_child"])
    if "fresh_parallel_speedup" in r:
        print(f"  in fresh processes (each run a new process, as `explicate apply`): one "
              f"{r['fresh_apply_one_s']:.3f} s, {r['jobs']} processes "
              f"{r['fresh_apply_parallel_s']:.3f} s ({r['fresh_parallel_speedup']:.2f}x; CPU "
              f"{r['fresh_apply_parallel_cpu_s']:.3f} s against {r['fresh_apply_one_cpu_s']:.3f}"
              f" s, {r['fresh_parallel_serial_ms']:.0f} ms before the child starts)")
    report_cache(r)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="generated documents (default 100k)")
    ap.add_argument("--quick", action="store_true", help="10k documents, one repeat")
    ap.add_argument("--repeat", type=int, default=3, help="explicate repeats (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sms", type=Path, default=SMS_TRAIN, help="WRENCH SMS train.json")
    ap.add_argument("--no-sms", action="store_true", help="skip the WRENCH SMS run")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the parallel figure")
    ap.add_argument("--no-fresh", action="store_true",
                    help="skip the parallel figure in fresh processes (jobs_variants --fresh)")
    args = ap.parse_args(argv)
    n, repeat = (min(args.n, 10_000), 1) if args.quick else (args.n, args.repeat)

    try:
        import snorkel
    except ImportError:
        print("Snorkel is not installed: pip install -e '.[bench]' (snorkel==0.10.0)",
              file=sys.stderr)
        return 2
    import warnings

    warnings.filterwarnings("ignore")  # Snorkel's pandas/numpy deprecation noise
    lfs = snorkel_lfs()
    tokenizer()  # load spaCy before any timing

    result = bench(generate(n, args.seed), lfs, repeat, args.jobs)
    if args.jobs > 1 and n >= PARALLEL_ROWS and not args.no_fresh and args.seed == 0:
        result.update(fresh_jobs(n, args.jobs, max(repeat, 3)))
    report("generated SMS-like documents", result)
    out = dict(result)
    if not args.no_sms and args.sms.is_file():
        sms = bench(read_table(args.sms)[["text"]], lfs, repeat, args.jobs)
        report(f"WRENCH SMS {args.sms.stem}", sms)
        out.update({f"sms_{k}": v for k, v in sms.items()})
    elif not args.no_sms:
        print(f"\n(WRENCH SMS not found at {args.sms}; skipped)")
    out.update({"snorkel_version": snorkel.__version__, "python": platform.python_version(),
                "machine": platform.processor() or platform.machine(), "quick": args.quick,
                "load_1min": round(os.getloadavg()[0], 2)})
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
