"""Garbage-collector settings for processes that churn through large batches.

CPython starts a young-generation collection every 700 net allocations. Validating and
scoring a shipment allocates a few hundred short-lived objects while the scorer's indexes
(the sanctions names, the substance catalogue, the peers) hold hundreds of thousands of
long-lived ones, so the default thresholds spend about a third of an import's time on
collections that find little. Reference counting frees nearly all of that garbage anyway;
the collector is only needed for cycles, and those are rare on these paths.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (50_000, 20, 100)


_settled_at: object = None


def settle(marker: object) -> None:
    """At a quiet point of a batch process, once per new ``marker`` (say, a new scorer):
    collect what is garbage now, then freeze what survives.

    A full collection walks every tracked object, and the scorer's indexes alone are some
    200,000 of them: about 100 ms, long enough to be the slowest answer of a stream.
    Frozen objects are left out of every later collection (reference counting still frees
    them). Only what is alive at a quiet point is frozen, so little that later becomes
    cyclic garbage is kept for good.
    """
    global _settled_at
    if marker == _settled_at:
        return
    gc.collect()
    gc.freeze()
    _settled_at = marker


def tune_for_batches() -> None:
    """For a process that does nothing but batch work (an import worker, the stream worker)."""
    gc.set_threshold(*BATCH_THRESHOLDS)


@contextmanager
def batch_gc() -> Iterator[None]:
    """The batch thresholds for the duration of a block, restored after it."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


MIDDLE_EVERY = 20  # batches between collections of the middle generation too
_batches = 0


@contextmanager
def batch_collection() -> Iterator[None]:
    """One batch's work without automatic collections, after one collection of the
    youngest generation (every ``MIDDLE_EVERY``-th batch, of the middle one as well) that
    frees the cycles the batches before left.

    Even at the batch thresholds a collection starts every 50,000 allocations and walks
    what the batch holds so far (its validated records, its scored rows), again and again:
    15 to 20 % of a shipments import worker's time. Collecting at the end of the batch
    instead still walked what the batch returns (some 30,000 containers for 5,000
    shipments, 6 to 12 ms), which is alive until its caller has sent it on. At the start
    of the next batch that is gone, and the collection finds the previous batch's cycles
    (about 150 objects) among little else. Memory stays bounded: the cycles of one batch
    wait for the next."""
    global _batches
    enabled = gc.isenabled()
    gc.collect(1 if _batches % MIDDLE_EVERY == MIDDLE_EVERY - 1 else 0)
    _batches += 1
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
