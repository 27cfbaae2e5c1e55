"""Fuzz benchmark: 10k mutated DSL files and 10k mutated English explanations.

Counts internal exceptions (anything but a coded ExplicateError) and inputs that take over 2 s,
and prints one JSON line of figures at the end. Seeded, so a run is reproducible. English is read
in a Spouse-like task's context (mentions person1/person2 in a sentence, labels, a word list, an
example), so mentions, lists and partial readings are exercised; ``--bare`` reads it without one.
Each suite's parser is built first, outside the per-input timings (``*_warmup_s``)::

    python benchmarks/fuzz.py [--cases 10000] [--seed 0] [--only dsl|english] [--bare]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from pathlib import Path

# Fuzz the tree this script sits in, not whichever explicate the environment installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explicate.compiler import compile_rules  # noqa: E402
from explicate.errors import ExplicateError  # noqa: E402
from explicate.grammar.explanation import Context, parse_explanation  # noqa: E402
from explicate.grammar.parse import parse_partial  # noqa: E402

SLOW_S = 2.0
SEED_LF = '''labels: HAM, SPAM
words money = "cash", "prize", 'it\\'s'
let n = count(text)
lf a: text contains @money and not text ends with "now" -> SPAM
lf b: n > 3.5 or text matches /win+/i -> HAM
lf c: "wife" between person1 and person2 -> SPAM
lf d: "a" within 3 words left of person1 and chars(text) <= 2 ^ 3 -> HAM
'''
DSL_PIECES = ["lf", "labels:", "words", "let", "spans:", "->", "(", ")", "not", "and", "or",
              '"', "'", "\\", "\\x", "\\N{DASH}", "\\u12", "1e999", "9" * 5000, "^", "-", "@",
              "`", "/", "#", "\n", "contains", "within", "of", "count(", "chars(", "\ufeff",
              "\x00", "é", " ", "true", ",", "=", "in", "between"]
SEED_EN = ["label SPOUSE because the word 'wife' is between person1 and person2",
           "person1 and person2 are within 3 words",
           "there is a word 'married' to the left of person2 and no 'ex' in the sentence"]
SENTENCE = "Mr John Smith and his wife, Mary Smith, were married in 2008 in Boston."
CONTEXT = Context(labels=("NOT_SPOUSE", "SPOUSE"), spans={"person1": "sentence",
                  "person2": "sentence"}, texts=("sentence",),
                  word_lists={"spouse": ("wife", "husband")},
                  example={"sentence": SENTENCE, "person1": "John Smith", "person2": "Mary Smith"})
EN_PIECES = ["'", '"', "within", "3.7", "9" * 4400, "words", "of", "and", "or", "not", ",",
             "!!!!", "person1", "person2", "left", "right", "\ufeff", "the", "X", " ", "'w'"]


def mutate(rng: random.Random, seed: str, pieces: list[str]) -> str:
    text = seed
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(text))
        op = rng.random()
        if op < 0.5:
            text = text[:at] + rng.choice(pieces) + text[at:]
        elif op < 0.8:
            text = text[:at] + text[at + rng.randint(1, 12):]
        else:
            text = text[:at] + rng.choice(pieces) * rng.randint(2, 400) + text[at:]
    return text


def run_dsl(text: str) -> None:
    rules, problems = parse_partial(text, "fuzz.lf")
    try:
        compile_rules(rules, None, ".", problems)
    except ExplicateError as exc:
        str(exc)


def run_english(text: str, ctx: Context | None = CONTEXT) -> None:
    for d in parse_explanation(text, ctx).diagnostics:
        d.render()


def fuzz(name: str, cases: int, rng: random.Random, make, check, warm: str) -> dict[str, object]:
    # The parser is built (or loaded) once per process, on first use: that is start-up, timed on
    # its own, not charged to whichever input happens to come first.
    t0, c0 = time.perf_counter(), time.process_time()
    check(warm)
    warmup, warmup_cpu = time.perf_counter() - t0, time.process_time() - c0
    internal, slow, worst, slow_cpu, worst_cpu = [], [], 0.0, 0, 0.0
    costs: list[tuple[float, int, str]] = []
    t0 = time.perf_counter()
    for i in range(cases):
        text = make()
        t, c = time.perf_counter(), time.process_time()
        try:
            check(text)
        except ExplicateError:
            pass
        except Exception as exc:  # noqa: BLE001 - what the benchmark counts
            internal.append((i, type(exc).__name__, traceback.format_exc(limit=3)[-300:]))
        took, cpu = time.perf_counter() - t, time.process_time() - c
        worst, worst_cpu = max(worst, took), max(worst_cpu, cpu)
        slow_cpu += cpu > SLOW_S
        costs.append((cpu, i, text))
        if took > SLOW_S:
            slow.append((i, round(took, 2), text[:80]))
    for i, kind, tb in internal[:5]:
        print(f"{name} case {i}: {kind}\n{tb}")
    for i, took, text in slow[:5]:
        print(f"{name} case {i}: {took}s {text!r}")
    for cpu, i, text in sorted(costs, reverse=True)[:3]:
        print(f"{name} costliest: case {i}: {cpu:.3f} s CPU {text[:80]!r}")
    return {f"{name}_cases": cases, f"{name}_internal_errors": len(internal),
            f"{name}_over_2s": len(slow), f"{name}_worst_s": round(worst, 3),
            # CPU seconds of the process: what an input costs, whatever else the machine runs
            f"{name}_over_2s_cpu": slow_cpu, f"{name}_worst_cpu_s": round(worst_cpu, 3),
            f"{name}_seconds": round(time.perf_counter() - t0, 1),
            f"{name}_warmup_s": round(warmup, 3), f"{name}_warmup_cpu_s": round(warmup_cpu, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["dsl", "english"], help="run one of the two suites")
    ap.add_argument("--bare", action="store_true", help="read English without a task context")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    figures: dict[str, object] = {"seed": args.seed, "load_before": os.getloadavg()[0]}
    if args.only != "english":
        figures |= fuzz("dsl", args.cases, rng, lambda: mutate(rng, SEED_LF, DSL_PIECES), run_dsl,
                        SEED_LF)
    if args.only != "dsl":
        figures |= fuzz("english", args.cases, rng,
                        lambda: mutate(rng, rng.choice(SEED_EN), EN_PIECES),
                        lambda text: run_english(text, None if args.bare else CONTEXT), SEED_EN[0])
        figures["english_context"] = not args.bare
    figures["load_after"] = os.getloadavg()[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
