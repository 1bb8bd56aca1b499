"""Count import cycles between Watchfloor's packages and between its modules.

Every ``import`` and ``from ... import`` in ``src/watchfloor`` counts, including those inside
functions (a lazy import is still a dependency). A package is a top-level folder or module
of ``watchfloor`` (``shipments``, ``cli``...). Prints the cycles and exits 1 when there is
one; ``make lint`` runs it.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module at ``path`` imports."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        # importing a module runs its parents' __init__: not a dependency worth a cycle
        found |= {t for t in targets if t in known and not name.startswith(t + ".") and t != name}
    return found


def graphs() -> tuple[nx.DiGraph, nx.DiGraph]:
    paths = {
        module_name(p): p for p in (SRC / "watchfloor").rglob("*.py") if "migrations" not in p.parts
    }
    modules = nx.DiGraph()
    for name, path in paths.items():
        modules.add_node(name)
        for target in imports(path, name, set(paths)):
            modules.add_edge(name, target)
    packages = nx.DiGraph()
    for a, b in modules.edges:
        pa, pb = a.split(".")[1:2], b.split(".")[1:2]
        if pa and pb and pa != pb:
            packages.add_edge(pa[0], pb[0])
    return packages, modules


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


if __name__ == "__main__":
    packages, modules = graphs()
    found = {"package": cycles(packages), "module": cycles(modules)}
    pairs: dict[str, list[str]] = defaultdict(list)
    for a, b in packages.edges:
        if a < b and packages.has_edge(b, a):
            pairs["package"].append(f"{a} <-> {b}")
    for kind, groups in found.items():
        print(f"{kind} cycles: {len(groups)}")
        for group in groups:
            print("  " + " -> ".join(group))
    for pair in pairs["package"]:
        print(f"  two packages import each other: {pair}")
    sys.exit(1 if any(found.values()) else 0)
