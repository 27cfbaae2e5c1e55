"""What filling returns: the filled rule file, each fill with its evidence, and the log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from explicate import ir
from explicate.grammar.printer import to_dsl
from explicate.runtime.sketch.candidates import CandidateConfig
from explicate.runtime.sketch.select import SelectConfig


@dataclass(frozen=True)
class FillConfig:
    """How candidates are drawn and how fills are chosen."""

    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    select: SelectConfig = field(default_factory=SelectConfig)


@dataclass(frozen=True)
class HeldOutStats:
    """Cross-fitted dev evidence of a fill: its votes on dev rows that the selection which chose
    it did not see (see ``select.cross_fit``), with a Wilson 95% interval of its precision.
    ``folds`` is how many of the cross-fitting selections chose it; with none the interval is
    [0, 1] (nothing is known beyond the selection's own evidence)."""

    fires: int
    correct: int
    folds: int
    low: float
    high: float

    @property
    def precision(self) -> float | None:
        return self.correct / self.fires if self.fires else None


@dataclass(frozen=True)
class Fill:
    """One filled LF of a sketch."""

    sketch: str
    name: str
    lf: ir.LF  # as written: word lists and lets by name, holes replaced by values
    values: dict[str, str]  # hole name -> value
    label: str
    round: int
    dev_fires: int  # labeled dev rows it votes on (the selection's own evidence)
    dev_correct: int
    coverage: float  # share of pool rows it votes on
    held_out: HeldOutStats
    reason: str

    def to_json(self) -> dict[str, Any]:
        h = self.held_out
        return {
            "sketch": self.sketch, "name": self.name, "lf": to_dsl(self.lf), "values": self.values,
            "label": self.label, "round": self.round,
            "dev": {"fires": self.dev_fires, "correct": self.dev_correct,
                    "precision": self.dev_correct / self.dev_fires if self.dev_fires else None},
            "held_out": {"fires": h.fires, "correct": h.correct, "precision": h.precision,
                         "interval": [round(h.low, 4), round(h.high, 4)],
                         "selected_in_folds": h.folds},
            "pool_coverage": round(self.coverage, 5), "why": self.reason,
        }


@dataclass
class FillResult:
    """Filled rules (``rules``: the file with each sketch replaced by its fills), the fills, the
    selection's log (its stopping rule included) and the pairs of fills of one sketch, which
    are dependent sources for the label model."""

    rules: ir.RuleFile
    source: ir.RuleFile
    fills: list[Fill]
    log: list[str]
    dependencies: list[tuple[str, str]]
    tried: dict[str, int]  # sketch -> assignments evaluated
    candidates: int  # candidate (assignment, label) pairs with enough dev support
    sketches: list[str]
    seconds: float

    def by_sketch(self) -> dict[str, list[Fill]]:
        out: dict[str, list[Fill]] = {s: [] for s in self.sketches}
        for f in self.fills:
            out[f.sketch].append(f)
        return out

    def to_dsl(self) -> str:
        """The filled rule file as canonical DSL: each sketch as a comment above its fills."""
        groups = self.by_sketch()
        lines: list[str] = []
        for stmt in self.source.statements:
            if isinstance(stmt, ir.LF) and stmt.name in groups:
                lines.append(f"# sketch: {to_dsl(stmt)}")
                if not groups[stmt.name]:
                    lines.append("# (no fill: see the fill report)")
                for f in groups[stmt.name]:
                    h = f.held_out
                    held = (f"held-out {h.correct}/{h.fires} (95% {h.low:.2f}-{h.high:.2f})"
                            if h.fires else "no held-out votes")
                    lines.append(f"#   dev {f.dev_correct}/{f.dev_fires}, {held}, "
                                 f"pool coverage {100 * f.coverage:.1f}%")
                    lines.append(to_dsl(f.lf))
            else:
                lines.append(to_dsl(stmt))
        return "\n".join(lines) + "\n"

    def report(self) -> dict[str, Any]:
        """The fill report (``--report fill.json``)."""
        return {
            "sketches": [
                {"sketch": s, "tried": self.tried.get(s, 0),
                 "fills": [f.to_json() for f in fs]}
                for s, fs in self.by_sketch().items()
            ],
            "dependencies": [list(p) for p in self.dependencies],
            "candidates": self.candidates,
            "log": self.log,
            "seconds": round(self.seconds, 3),
        }


_SKETCH_LINE = re.compile(r"^#\s*sketch:\s*lf\s+([^:\s]+)\s*:", re.M)
_LF_LINE = re.compile(r"^lf\s+([^:\s]+)\s*:", re.M)


def sketch_groups(text: str) -> dict[str, str]:
    """In a filled rule file (``FillResult.to_dsl``, a pipeline's ``rules.lf``), the sketch each
    LF fills: the ``# sketch: lf NAME: ...`` comment above it, up to the next sketch comment or
    blank line. Plain LFs are not in the map."""
    groups: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _SKETCH_LINE.match(line)
        if m:
            current = m.group(1)
        elif not line.strip():
            current = None
        elif current is not None and (lf := _LF_LINE.match(line)):
            groups[lf.group(1)] = current
    return groups
