"""A bounded memo for pure functions that batch work calls with the same input again and
again: one item description on thousands of parcels, one vendor's boilerplate under all
its listings, a marketplace crawled day after day.

When full it starts afresh rather than tracking which entries are old: for inputs whose
repeats come close together that keeps nearly every hit, and a lookup stays one dict probe.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Missing(enum.Enum):
    MISSING = enum.auto()


MISSING = Missing.MISSING


class Memo(Generic[K, V]):
    __slots__ = ("data", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self.data: dict[K, V] = {}
        self.limit = limit

    def get(self, key: K) -> V | Missing:
        return self.data.get(key, MISSING)

    def put(self, key: K, value: V) -> V:
        if len(self.data) >= self.limit:
            self.data.clear()
        self.data[key] = value
        return value

    def lookup(self, key: K, compute: Callable[[K], V]) -> V:
        """The value remembered for ``key``, or ``compute(key)``, remembered."""
        hit = self.data.get(key, MISSING)
        return self.put(key, compute(key)) if hit is MISSING else hit

    def __len__(self) -> int:
        return len(self.data)


SHORT = 4096  # characters: texts up to this size are keys as they are


def text_key(*parts: str | None) -> tuple[str | None, ...] | bytes:
    """A key for texts: short ones as they are (a dict compares them, so no two texts
    share a key), long ones (a listing's body may be a megabyte) by their BLAKE2b digest,
    so that a memo keeps 16 bytes of them and not the texts."""
    if sum(len(p) for p in parts if p is not None) <= SHORT:
        return parts
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = b"" if part is None else part.encode("utf-8", "surrogatepass")
        # each part's length first, so that no two different tuples give the same bytes
        h.update((-1 if part is None else len(data)).to_bytes(8, "little", signed=True))
        h.update(data)
    return h.digest()
