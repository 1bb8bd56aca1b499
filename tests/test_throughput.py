"""Collector settings for batch processes."""

from __future__ import annotations

import gc
import weakref

from watchfloor.throughput import collected_after


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_a_batch_runs_without_automatic_collections_and_its_cycles_are_freed_after() -> None:
    assert gc.isenabled()
    with collected_after():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None  # no collection ran inside the batch
    assert gone() is None  # the one after it freed the cycle
    assert gc.isenabled()


def test_a_failing_batch_still_restores_the_collector() -> None:
    try:
        with collected_after():
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    assert gc.isenabled()
