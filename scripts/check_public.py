"""Check that domains import from each other only what each declares public.

A domain's public names are the ``__all__`` of its package's ``__init__.py`` (cooperation's
features are packages of their own: seizures, watchlists, pen, federation). From another
domain, ``from watchfloor.shipments import Shipment`` is allowed when ``Shipment`` is in
``watchfloor/shipments/__init__.py``'s ``__all__``; ``from watchfloor.shipments.models
import Shipment`` is not, nor is a name the package does not list. The entry points (web,
cli, worker, demo, dashboard, wiring, the tables' aggregator) assemble every domain and may
reach inside, and a domain's ``api`` modules take the request dependencies from
``watchfloor.security.deps``. Run by ``make lint``; prints each offence and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "watchfloor"
DOMAINS = (
    "alerts", "cooperation", "entities", "identifiers", "listings", "reference", "security",
    "sharing", "shipments", "warning",
)  # fmt: skip
FEATURES = {"cooperation": ("federation", "pen", "seizures", "watchlists")}


def boundary(module: str) -> str | None:
    """The package whose ``__all__`` governs imports of ``module`` from other domains."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "watchfloor" or parts[1] not in DOMAINS:
        return None
    if len(parts) >= 3 and parts[2] in FEATURES.get(parts[1], ()):
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def public(package: str) -> set[str]:
    init = ROOT.joinpath(*package.split(".")[1:], "__init__.py")
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def offences() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).parts
        if rel[0] not in DOMAINS:
            continue  # entry points assemble the domains
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            target = boundary(node.module)
            if target is None or target.split(".")[1] == rel[0]:
                continue
            if node.module == "watchfloor.security.deps" and path.stem.endswith("api"):
                continue  # a route's dependencies: who calls, and its session
            where = f"{path.relative_to(ROOT.parents[1])}:{node.lineno}"
            if node.module != target:
                found.append(f"{where}: import from {target}, not from {node.module}")
                continue
            missing = sorted({n.name for n in node.names} - public(target))
            if missing:
                found.append(f"{where}: {target} does not list {', '.join(missing)} in __all__")
    return found


if __name__ == "__main__":
    problems = offences()
    for line in problems:
        print(line)
    print(f"public names: {len(problems)} offence(s)" if problems else "public names: kept")
    sys.exit(1 if problems else 0)
