"""The dependency rule: imports flow one way (ir, errors ← primitives ← grammar; compiler ←
runtime ← cli)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "explicate"
# What each layer may import from explicate (besides itself).
ALLOWED = {
    "ir": set(),
    "errors": {"ir"},
    "primitives": {"ir", "errors"},
    "grammar": {"ir", "errors", "primitives"},
    "compiler": {"ir", "errors", "primitives", "grammar"},
    "runtime": {"ir", "errors", "primitives", "grammar", "compiler"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def test_imports_flow_one_way() -> None:
    bad = []
    for path in PACKAGE.rglob("*.py"):
        layer = _layer(path)
        if layer not in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                inside = parts[0] == "explicate" and len(parts) > 1 and parts[1] != layer
                if inside and parts[1] not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not bad, bad
