"""Collector settings for batch processes."""

from __future__ import annotations

import gc
import weakref

from watchfloor.throughput import batch_collection


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_a_batch_runs_without_automatic_collections_and_its_cycles_go_with_the_next() -> None:
    assert gc.isenabled()
    with batch_collection():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None  # no collection ran inside the batch
    assert gc.isenabled()
    # what a batch returns is alive until its caller sent it on: not walked at its end
    assert gone() is not None
    with batch_collection():
        assert gone() is None  # the next batch starts by freeing the cycle


def test_a_failing_batch_still_restores_the_collector() -> None:
    try:
        with batch_collection():
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    assert gc.isenabled()
