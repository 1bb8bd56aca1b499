"""Watchlists with deconfliction.

An agency keeps entries: identifiers (a party's name, an address, a phone, an e-mail, a
wallet, a handle...) with a reason, an expiry and a sharing policy. Every shipment, listing,
seizure and incident stored on the instance is screened against the active entries of every
agency (:func:`screen`, called by each intake). A hit is recorded once per entry and record,
and:

- the entry's owner is told that agency X had a hit, on what kind of record and when, as an
  alert; not the record itself, which stays under its own policy;
- the hitting agency is told too, with the entry's reason, when it may read the entry;
  otherwise it learns nothing (a TLP:RED entry stays unseen);
- either of them can open a joint case naming the other, which both then read.

Values are compared in the normal form of :mod:`watchfloor.identifiers`, the one entity
screening and signal tokens use too: names and addresses as folded words (names with their
words sorted, so "RAMIREZ OCHOA, José" meets "Jose Ramirez Ochoa"); phones in E.164;
e-mails in lower case; wallets and handles as the listings' signals store them.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor import identifiers
from watchfloor.alerts import NewAlert, raise_alerts
from watchfloor.cooperation import links
from watchfloor.cooperation.watchlists.models import WatchlistEntry, WatchlistHit
from watchfloor.db import engine_of, utcnow
from watchfloor.security import Agency, Principal, system_principal
from watchfloor.sharing import can_read

KINDS: tuple[str, ...] = identifiers.KINDS


def normalise(kind: str, raw: str) -> str | None:
    """The form values of ``kind`` are compared in (:func:`watchfloor.identifiers.normalise`);
    None when ``raw`` is not one. A phone written without ``+`` is also read as if it had
    one: an entry is typed by hand, often as digits alone."""
    if kind == "phone":
        text = raw.strip()
        return identifiers.normalise_phone(text) or identifiers.normalise_phone(
            "+" + text.lstrip("+0")
        )
    return identifiers.normalise(kind, raw)


QUICK = {
    "name": identifiers.name_key,
    "address": identifiers.address_key,
    "phone": identifiers.quick_phone,
    "email": identifiers.quick_email,
}


@functools.cache
def _kind_of_field(fieldname: str) -> str:
    """``sender_phone`` -> phone, ``parties[0].email`` -> email (asked once per name)."""
    return fieldname.rsplit("_", 1)[-1].rsplit(".", 1)[-1]


def screen_fields(
    session: Session,
    agency_id: int,
    record_type: str,
    records: Iterable[tuple[int, dict[str, str | None]]],
) -> list[WatchlistHit]:
    """:func:`screen` for records given as raw fields: ``{"sender_name": ..., "parties[0]
    .phone": ...}``, each field's kind read from its last word (name, address, phone,
    email). Nothing is normalised when no active entry is of that kind, so that an intake
    pays for screening only when there is something to screen against."""
    index = _index(session)
    kinds = index.kinds
    if not kinds & QUICK.keys():
        return []
    values = []
    for record_id, fields in records:
        for fieldname, raw in fields.items():
            kind = _kind_of_field(fieldname)
            if kind in kinds and raw:
                value = QUICK[kind](raw)
                if value:
                    values.append((record_id, fieldname, kind, value))
    return screen(session, agency_id, record_type, values, index=index)


# --- the index of active entries, per database --------------------------------------------


@dataclass
class _Index:
    stamp: tuple[int, object]
    entries: dict[tuple[str, str], list[int]]
    kinds: frozenset[str]


_indexes: dict[str, _Index] = {}
_lock = threading.Lock()


def _index(session: Session) -> _Index:
    """Active entries by (kind, value), reloaded when any entry changed (one small query a
    batch to know)."""
    engine = engine_of(session)
    key = str(engine.url)
    stamp = tuple(
        session.execute(
            select(func.count(WatchlistEntry.id), func.max(WatchlistEntry.updated_at))
        ).one()
    )
    with _lock:
        index = _indexes.get(key)
        if index is not None and index.stamp == stamp:
            return index
    entries = _active(session)
    index = _Index(stamp, entries, frozenset(k for k, _ in entries))  # type: ignore[arg-type]
    with _lock:
        _indexes[key] = index
    return index


def _active(session: Session, *where: Any) -> dict[tuple[str, str], list[int]]:
    """The ids of active, unexpired entries (among ``where``) by kind and normalised value."""
    now = utcnow()
    entries: dict[tuple[str, str], list[int]] = defaultdict(list)
    for eid, kind, value, expires in session.execute(
        select(
            WatchlistEntry.id,
            WatchlistEntry.kind,
            WatchlistEntry.normalised,
            WatchlistEntry.expires_at,
        ).where(WatchlistEntry.active.is_(True), *where)
    ):
        if expires is None or expires > now:
            entries[(kind, value)].append(eid)
    return dict(entries)


def screen(
    session: Session,
    agency_id: int,
    record_type: str,
    values: Iterable[tuple[int, str, str, str]],
    *,
    index: _Index | None = None,
) -> list[WatchlistHit]:
    """Record the hits of ``values`` — (record id, field, kind, normalised value) of records
    of ``agency_id`` — on active entries, and tell who should know. A hit already recorded
    for that entry and record is not recorded or told again. ``index``: one this
    transaction read already."""
    index = index or _index(session)
    if not index.entries:
        return []
    now = utcnow()
    found: dict[tuple[int, int], tuple[str, str]] = {}
    for record_id, fieldname, kind, value in values:
        for entry_id in index.entries.get((kind, value), ()):
            found.setdefault((entry_id, record_id), (fieldname, kind))
    if not found:
        return []
    entries = {
        e.id: e
        for e in session.scalars(
            select(WatchlistEntry).where(WatchlistEntry.id.in_({e for e, _ in found}))
        )
    }
    known = set(
        session.execute(
            select(WatchlistHit.entry_id, WatchlistHit.record_id).where(
                WatchlistHit.record_type == record_type,
                WatchlistHit.entry_id.in_(list(entries)),
                WatchlistHit.record_id.in_({r for _, r in found}),
            )
        ).all()
    )
    hitter = session.get(Agency, agency_id)
    assert hitter is not None
    reader = system_principal(hitter)
    hits = []
    for (entry_id, record_id), (fieldname, kind) in sorted(found.items()):
        entry = entries.get(entry_id)
        if entry is None or (entry_id, record_id) in known or not entry.active:
            continue
        if entry.expires_at is not None and entry.expires_at <= now:
            continue
        hit = WatchlistHit(
            entry_id=entry_id,
            entry_owner_id=entry.owner_agency_id,
            hit_agency_id=agency_id,
            record_type=record_type,
            record_id=record_id,
            field=fieldname,
            at=now,
        )
        session.add(hit)
        hits.append((hit, entry, kind))
    session.flush()
    told = [
        a for hit, entry, kind in hits for a in _tell(session, hit, entry, kind, hitter, reader)
    ]
    raise_alerts(session, told, actor="system:watchlists", agency=hitter.code)
    return [h for h, _, _ in hits]


# --- new entries against the records already stored ---------------------------------------

SCAN_CHUNK = 5_000


def screen_stored(session: Session, entry_ids: Sequence[int]) -> list[WatchlistHit]:
    """Screen the records already stored against the entries ``entry_ids`` (new or changed):
    a value watched from today is found in yesterday's shipment too. Each domain finds its
    own records (:func:`watchfloor.cooperation.links.stored_values`): seizures and incidents
    here, shipments and listings in theirs; each hit is recorded and told as at intake, once
    per entry and record (a second pass finds nothing new)."""
    if not entry_ids:
        return []
    wanted = _active(session, WatchlistEntry.id.in_(list(entry_ids)))
    if not wanted:
        return []
    index = _Index((0, None), wanted, frozenset(k for k, _ in wanted))
    found: dict[tuple[str, int], list[tuple[int, str, str, str]]] = defaultdict(list)
    for record_type, owner, values in links.stored_values(session, index.entries.keys()):
        found[(record_type, owner)].extend(values)
    hits = []
    for (record_type, owner), values in sorted(found.items()):
        hits += screen(session, owner, record_type, values, index=index)
    return hits


def carried(
    wanted: Collection[tuple[str, str]], fields: Iterable[tuple[str, str | None]]
) -> list[tuple[str, str, str]]:
    """(field, kind, value) of the raw ``fields`` whose value is ``wanted``, compared in the
    form intake compares them (a field's kind is its last word, as in :func:`screen_fields`)."""
    out = []
    for fieldname, raw in fields:
        kind = _kind_of_field(fieldname)
        if raw and kind in QUICK:
            value = QUICK[kind](raw)
            if value and (kind, value) in wanted:
                out.append((fieldname, kind, value))
    return out


def quick_kinds(wanted: Collection[tuple[str, str]]) -> list[str]:
    """The kinds of ``wanted`` that raw record fields are compared in (names, addresses,
    phones, e-mails), sorted."""
    return sorted({kind for kind, _ in wanted} & QUICK.keys())


def _record_parties(
    session: Session, wanted: Collection[tuple[str, str]]
) -> Iterator[links.Carried]:
    """Seizures and incidents whose listed parties carry a wanted value."""
    from watchfloor.cooperation.seizures.models import Incident, Seizure

    kinds = quick_kinds(wanted)
    if not kinds:
        return
    for noun, model in (("seizure", Seizure), ("incident", Incident)):
        stmt = select(model.id, model.owner_agency_id, model.parties)
        for rows in chunks(session, stmt, model.id):
            for rid, owner, parties in rows:
                fields = (
                    (f"parties[{i}].{k}", p.get(k))
                    for i, p in enumerate(json.loads(parties or "[]"))
                    for k in kinds
                )
                found = carried(wanted, fields)
                if found:
                    yield noun, owner, [(rid, *f) for f in found]


links.provide_stored("seizure_or_incident", _record_parties)


def chunks(session: Session, stmt: Any, key: Any) -> Iterator[Sequence[Any]]:
    """The rows of ``stmt`` in chunks by ascending ``key`` (memory stays flat on any table)."""
    after = 0
    while True:
        rows = session.execute(stmt.where(key > after).order_by(key).limit(SCAN_CHUNK)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def owner_may_know(session: Session, hit: WatchlistHit, owner: Agency) -> bool:
    """Whether the entry's owner may learn which agency had the hit: only when the record's
    own policy lets the owner read it. Otherwise the owner learns that an agency had a hit,
    and asks it through a joint case opened from the hit, which reaches that agency."""
    if hit.hit_agency_id == owner.id:
        return True
    return links.readable(session, system_principal(owner), hit.record_type, hit.record_id)


def _tell(
    session: Session,
    hit: WatchlistHit,
    entry: WatchlistEntry,
    kind: str,
    hitter: Agency,
    reader: Principal,
) -> list[NewAlert]:
    """The owner's alert says that there was a hit, and who had it only where the owner may
    read the record (:func:`owner_may_know`); the hitting agency's, sent only when it may
    read the entry, names the entry and its reason."""
    mine = entry.owner_agency_id == hitter.id
    if mine:
        title = (
            f"your {hit.record_type} {hit.record_id} matches your watchlist entry "
            f"{entry.reference} ({kind})"
        )
    elif owner_may_know(session, hit, entry.owner):
        title = (
            f"{hitter.code} had a hit on your watchlist entry {entry.reference} "
            f"({kind}, in {hit.record_type} {hit.record_id})"
        )
    else:
        title = (
            f"an agency had a hit on your watchlist entry {entry.reference} ({kind}, in a "
            f"{hit.record_type}); open a joint case from the hit to ask it"
        )
    told = [
        NewAlert(
            owner_agency_id=entry.owner_agency_id,
            kind="watchlist_hit",
            object_type="watchlist_hit",
            object_id=hit.id,
            title=title,
        )
    ]
    if not mine and can_read(reader, entry):
        told.append(
            NewAlert(
                owner_agency_id=hitter.id,
                kind="watchlist_hit",
                object_type=hit.record_type,
                object_id=hit.record_id,
                title=(
                    f"your {hit.record_type} {hit.record_id} matches {entry.owner.code}'s "
                    f"watchlist entry {entry.reference}: {entry.reason}"
                ),
            )
        )
    return told
