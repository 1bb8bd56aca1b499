"""What cooperation needs from the domains built on it, handed over by them at start-up.

Cooperation sits below shipments and listings: shipments score against seizures and
watchlist entries, listings are screened against the entries. Two things run the other way,
and they come through here instead of an import (:mod:`watchfloor.wiring` connects them):

- a seizure or incident may name one of its owner's shipments by reference:
  :func:`resolve` asks the lookup that the shipments domain provided;
- when watchlist entries change, whoever keeps caches built from them (the shipment
  scorers) is told: :func:`changed` calls each listener given to :func:`on_change`;
- a watchlist hit in a record of another agency is told to the entry's owner in full only
  if that owner may read the record: :func:`readable` asks the domain of the record;
- a new watchlist entry is screened against the records stored before it:
  :func:`stored_values` asks each domain for the records carrying a watched value.

>>> provide("demo", lambda session, agency_id, refs: {r: 1 for r in refs})
>>> resolve(None, "demo", 7, ["A"])
{'A': 1}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, Literal

from watchfloor import events
from watchfloor.sharing import can_read

# (session, owner agency id, references) -> {reference: id} of the owner's records found
Lookup = Callable[[Any, int, Sequence[str]], dict[str, int]]
Changed = Literal["seizure", "incident", "watchlist_entry"]

# (session, principal, record id) -> whether the principal may read that record
Reader = Callable[[Any, Any, int], bool]

# (session, watched (kind, normalised value) pairs) -> (record type, owner agency id,
# [(record id, field, kind, value)]) for each stored record that carries one of them
Carried = tuple[str, int, list[tuple[int, str, str, str]]]
StoredValues = Callable[[Any, Collection[tuple[str, str]]], Iterator[Carried]]

_lookups: dict[str, Lookup] = {}
_stored: dict[str, StoredValues] = {}
_readers: dict[str, Reader] = {}
_listeners: list[Callable[[Changed], None]] = []


class NotConnected(RuntimeError):
    """A lookup was asked for before :func:`watchfloor.wiring.connect` provided it."""


def provide(record_type: str, lookup: Lookup) -> None:
    """Let cooperation find records of ``record_type`` by their owner's reference."""
    _lookups[record_type] = lookup


def resolve(session: Any, record_type: str, agency_id: int, refs: Sequence[str]) -> dict[str, int]:
    """The ids of the agency's ``record_type`` records among ``refs`` (absent ones left out)."""
    if not refs:
        return {}
    try:
        lookup = _lookups[record_type]
    except KeyError:
        raise NotConnected(
            f"nothing provides {record_type} references: call watchfloor.wiring.connect()"
        ) from None
    return lookup(session, agency_id, refs)


def provide_reader(record_type: str, reader: Reader) -> None:
    """Let cooperation ask whether a principal may read a record of ``record_type``."""
    _readers[record_type] = reader


def provide_shareable(record_type: str, model: type[Any]) -> None:
    """:func:`provide_reader` for a shareable model: the sharing policy decides."""

    def reader(session: Any, principal: Any, record_id: int) -> bool:
        record = session.get(model, record_id)
        return record is not None and can_read(principal, record)

    provide_reader(record_type, reader)


def readable(session: Any, principal: Any, record_type: str, record_id: int) -> bool:
    """Whether ``principal`` may read that record (False for a kind nobody provided: what
    cannot be checked is not shown)."""
    reader = _readers.get(record_type)
    return reader is not None and reader(session, principal, record_id)


def provide_stored(record_type: str, source: StoredValues) -> None:
    """Let cooperation find the stored records of ``record_type`` that carry watched values."""
    _stored[record_type] = source


def stored_values(session: Any, wanted: Collection[tuple[str, str]]) -> Iterator[Carried]:
    """What every providing domain stores of ``wanted`` (see :data:`StoredValues`)."""
    for source in _stored.values():
        yield from source(session, wanted)


def on_change(listener: Callable[[Changed], None]) -> None:
    """Call ``listener`` with the kind of record whenever cooperation records change."""
    if listener not in _listeners:
        _listeners.append(listener)


def changed(kind: Changed, session: Any = None) -> None:
    """Tell every listener that records of ``kind`` changed; with the ``session`` that
    changed them, the other processes on the bus too, once it commits (``cache.changed``,
    heard by :func:`watchfloor.wiring.cache_changed`)."""
    for listener in _listeners:
        listener(kind)
    if session is not None:
        events.queue(session, events.CACHE_SUBJECT, {"kind": kind, "origin": events.PROCESS})
