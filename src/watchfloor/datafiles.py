"""Checked-in data files (TOML) validated into Pydantic models, once per path.

The SLAs of platforms and the sharing communities are data, not code (the house style):
each lives in a TOML file inside the package, an instance may name its own through a
setting, and a file that does not validate stops start-up with the file and entry named.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigProblem(Exception):
    """A data file cannot be used; the message names the file and the entry."""


@lru_cache(maxsize=32)
def shipped(package: str, name: str) -> Path:
    """The path of a data file inside the installed package (found once: the policy asks
    for the communities file at every check)."""
    return Path(str(resources.files(package).joinpath(name)))


@lru_cache(maxsize=16)
def load(path: Path, model: type[M]) -> M:
    """``path`` parsed and validated as ``model``; raises :class:`ConfigProblem`."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigProblem(f"{path}: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigProblem(f"{path}: {where}") from None
