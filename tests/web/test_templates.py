"""Every page template compiles: a broken template fails here, not on a user's first visit."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "watchfloor" / "web" / "templates"
NAMES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("name", NAMES)
def test_the_template_compiles(name: str) -> None:
    Environment(loader=FileSystemLoader(TEMPLATES)).get_template(name)
