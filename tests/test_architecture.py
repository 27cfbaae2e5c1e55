"""The dependency rule, read from every import in the package (function-level ones included):
layers import one way, runtime's rooms import one way, and no modules import each other in a
circle. Also: no module over 700 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "explicate"
MAX_LINES = 700

# What each top-level layer may import from explicate (besides itself).
ALLOWED = {
    "ir": set(),
    "errors": {"ir"},
    "primitives": {"ir", "errors"},
    "grammar": {"ir", "errors", "primitives"},
    "compiler": {"ir", "errors", "primitives", "grammar"},
    "runtime": {"ir", "errors", "primitives", "grammar", "compiler"},
}
# The compiler shows DSL in its messages: of the grammar it may import the printer only.
COMPILER_GRAMMAR = {"explicate.grammar.printer"}
# Inside runtime: the rules side runs data <- features <- apply <- select <- explain (a room may
# import those before it); learners never import the rules side or each other; only the
# command line, the studio and the demo import the pipeline.
RULES_SIDE = ("data", "features", "apply", "select", "explain")
LEARNERS = ("label_model", "end_model")
# (the package face, explicate/__init__.py, re-exports run_pipeline)
PIPELINE_USERS = ("explicate.cli", "explicate.studio", "explicate.demo", "explicate.runtime.pipeline")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _target(name: str) -> str | None:
    """The module an import names (the longest prefix that is one of ours)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in MODULES:
            return candidate
    return None


def imports(module: str) -> set[str]:
    """Every module of ours that ``module`` imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = _target(f"{node.module}.{alias.name}")
                target = sub if sub == f"{node.module}.{alias.name}" else _target(node.module)
                if target:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(t for a in node.names if (t := _target(a.name)))
    found.discard(module)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "runtime" else None


def test_layers_import_one_way() -> None:
    bad = []
    for module, targets in GRAPH.items():
        layer = _layer(module)
        if layer not in ALLOWED:
            continue
        for t in targets:
            other = _layer(t)
            if other == layer or other == "":
                continue
            if other not in ALLOWED[layer]:
                bad.append(f"{module} imports {t}")
            elif layer == "compiler" and other == "grammar" and t not in COMPILER_GRAMMAR:
                bad.append(f"{module} imports {t} (the compiler may use grammar.printer only)")
    assert not bad, bad


def test_runtime_rooms_import_one_way() -> None:
    bad = []
    for module, targets in GRAPH.items():
        room = _room(module)
        for t in targets:
            other = _room(t)
            if other is None or other == room:
                continue
            if room in RULES_SIDE and other in RULES_SIDE and \
                    RULES_SIDE.index(other) > RULES_SIDE.index(room):
                bad.append(f"{module} imports {t} (the rules side runs {' <- '.join(RULES_SIDE)})")
            if room in LEARNERS and (other in LEARNERS or other in RULES_SIDE[2:]):
                bad.append(f"{module} imports {t} (learners never import the rules side or "
                           "each other)")
            if other == "pipeline" and module != "explicate" and \
                    not module.startswith(PIPELINE_USERS):
                bad.append(f"{module} imports {t} (only the CLI, studio and demo run pipelines)")
    assert not bad, bad


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles() -> None:
    assert not _circles(GRAPH)


def test_the_circle_finder_finds_circles() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_the_line_limit() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
