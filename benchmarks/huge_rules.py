"""Huge rules: a word list of N words and an `and` of M conditions, checked and applied.

Side by side with the anchor, the one-at-a-time way (lark parsing every item; each phrase
tokenized by its own spaCy call and located by its own pass over the tokens), on the same rules
and rows; prints wall and CPU seconds, the ratio, and one JSON line. Issue 15's target: both well
under 2 s at N = 100,000 and M = 5,000::

    python benchmarks/huge_rules.py [--words 100000] [--terms 5000] [--rows 2000] [--no-anchor]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from explicate import ir  # noqa: E402
from explicate.primitives.text import find_phrase, merge_occurrences  # noqa: E402
from explicate.runtime.apply import RuleSource, apply_program, compile_for  # noqa: E402
from explicate.runtime.features import tokenize_column, tokenizer  # noqa: E402

parse_mod = importlib.import_module("explicate.grammar.parse")


def word(i: int) -> str:
    """A distinct plain word for each i (letters only)."""
    out = "w"
    while True:
        out += chr(97 + i % 26)
        i //= 26
        if not i:
            return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def new_way(src: str, df: pd.DataFrame) -> tuple[np.ndarray, dict[str, float]]:
    (rules, problems), pw, pc = timed(lambda: parse_mod.parse_partial(src, "huge.lf"))
    (program, schema), cw, cc = timed(lambda: compile_for(RuleSource(rules, tuple(problems)), df))
    applied, aw, ac = timed(lambda: apply_program(program, df, schema, progress=False))
    return applied.L, {"check_s": pw + cw, "check_cpu_s": pc + cc, "apply_s": aw, "apply_cpu_s": ac}


def anchor_words(words: list[str], texts: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    """The word list one at a time: lark parses the statement; each phrase gets its own
    tokenizer call and its own scan."""
    src = "words big = " + ", ".join(f'"{w}"' for w in words)
    source = ir.Source("huge.lf", src)
    _, pw, pc = timed(lambda: parse_mod.ToIR(source, base=0).transform(parse_mod._parser().parse(src)))
    tok: Any = tokenizer().tokenizer

    def match() -> np.ndarray:
        col = tokenize_column(texts)  # as the new way's apply does (its lexemes are known now)
        parts = []
        for w in words:
            doc = tok(w)
            ids = np.array([t.lower for t in doc if not t.is_space], dtype=np.uint64)
            parts.append(find_phrase(col, ids, False))
        starts, _ = merge_occurrences(parts)
        return np.isin(np.arange(len(texts)), col.doc_of[starts])

    hit, aw, ac = timed(match)
    return hit, {"check_s": pw, "check_cpu_s": pc, "apply_s": aw, "apply_cpu_s": ac}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--terms", type=int, default=5_000)
    ap.add_argument("--rows", type=int, default=2_000)
    ap.add_argument("--no-anchor", action="store_true", help="only the new way (the anchor takes "
                    "minutes at 100,000 words)")
    args = ap.parse_args()
    rng = random.Random(0)
    words = [word(i) for i in range(args.words)]
    texts = [" ".join(word(rng.randrange(args.words * 2)) for _ in range(30))
             for _ in range(args.rows)]
    df = pd.DataFrame({"text": texts})
    tokenizer()  # loaded once, outside the timings
    figures: dict[str, Any] = {"benchmark": "huge_rules", "words": args.words,
                               "terms": args.terms, "rows": args.rows,
                               "load_before": os.getloadavg()[0]}
    src = ("labels: A, B\nwords big = " + ", ".join(f'"{w}"' for w in words) +
           "\nlf a: text contains @big -> A\n")
    L, new = new_way(src, df)
    figures |= {f"words_{k}": round(v, 3) for k, v in new.items()}
    print(f"{args.words:,}-word list: check {new['check_s']:.2f} s, apply {new['apply_s']:.2f} s "
          f"(CPU {new['check_cpu_s']:.2f} + {new['apply_cpu_s']:.2f})")
    if not args.no_anchor:
        hit, old = anchor_words(words, texts)
        assert np.array_equal(hit, L[:, 0] == 0), "the two ways disagree"
        figures |= {f"anchor_words_{k}": round(v, 3) for k, v in old.items()}
        ratio = (old["check_cpu_s"] + old["apply_cpu_s"]) / max(
            1e-9, new["check_cpu_s"] + new["apply_cpu_s"])
        figures["words_speedup_cpu"] = round(ratio, 1)
        print(f"  anchor (one at a time): check {old['check_s']:.2f} s, apply "
              f"{old['apply_s']:.2f} s; ratio (CPU) {ratio:.1f}x")
    conds = " and ".join(f'not text contains "{words[i]}"' for i in range(args.terms))
    _, new = new_way(f"labels: A, B\nlf b: {conds} -> B\n", df)
    figures |= {f"and_{k}": round(v, 3) for k, v in new.items()}
    print(f"'and' of {args.terms:,} conditions: check {new['check_s']:.2f} s, apply "
          f"{new['apply_s']:.2f} s (CPU {new['check_cpu_s']:.2f} + {new['apply_cpu_s']:.2f})")
    figures["load_after"] = os.getloadavg()[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
