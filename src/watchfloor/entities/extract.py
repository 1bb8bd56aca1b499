"""Parties taken from every kind of record into the one ``parties`` table.

:func:`sync` is incremental: for each source it reads only records newer than the newest one
already taken (by id), in chunks, and writes their parties in bulk; sanctions parties follow
the stored list (a reload replaces the entries, so parties of entries that are gone go too).
``watchfloor entities sync`` runs it with a progress bar; the demo load and the screening
service run it too, so a name stored a moment ago is screened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from watchfloor.entities.matching import identifier_kind, identifier_number
from watchfloor.entities.models import Party, PartyContact
from watchfloor.identifiers import (
    TRADE,
    fold,
    legal_form_of,
    name_tokens,
    quick_email,
    quick_phone,
)

Progress = Callable[[str, int, int], None]
Row = dict[str, Any]
CHUNK = 5_000

_SDN_SCHEMA = {
    "individual": "person",
    "entity": "company",
    "vessel": "vessel",
    "aircraft": "aircraft",
}


def guess_schema(name: str) -> str | None:
    """'company' when the name carries a legal form or a trade word, else unknown."""
    words = re.findall(r"[a-z]+", fold(name))
    return "company" if TRADE.intersection(words) or legal_form_of(name) else None


def party_row(
    source_type: str,
    source_id: int,
    position: int,
    role: str,
    owner: int | None,
    name: str,
    **extra: Any,
) -> Row:
    """One row for the parties table; list columns are written as JSON."""
    row: Row = {
        "source_type": source_type,
        "source_id": source_id,
        "position": position,
        "role": role,
        "owner_agency_id": owner,
        "schema": extra.pop("schema", None) or guess_schema(name),
        "name": name[:400],
        "countries": " ".join(sorted({c for c in extra.pop("countries", ()) if c})),
        "dates_of_birth": " ".join(extra.pop("dates_of_birth", ())),
        "topics": " ".join(extra.pop("topics", ())),
    }
    for column in ("aliases", "identifiers", "addresses", "phones", "emails", "wallets",
                   "handles", "linked_to"):  # fmt: skip
        row[column] = json.dumps([v for v in extra.pop(column, ()) if v], ensure_ascii=False)
    assert not extra, extra
    return row


def _contact(p: dict[str, Any]) -> dict[str, Any]:
    """Country, address, and phone and e-mail in the forms every source shares (E.164 by
    digits, lower case), so that the same phone written two ways is one contact."""
    return {
        "countries": [p.get("country")],
        "addresses": [p.get("address")],
        "phones": [quick_phone(p.get("phone"))],
        "emails": [quick_email(p.get("email"))],
    }


# --- sources ---------------------------------------------------------------------------------


def _shipments(session: Session, after: int) -> Iterator[list[Row]]:
    from watchfloor.shipments import Shipment as S

    cols = [S.id, S.owner_agency_id]
    for side in ("sender", "consignee"):
        cols += [
            getattr(S, f"{side}_{f}") for f in ("name", "address", "country", "phone", "email")
        ]
    for chunk in _pages(session, select(*cols), S.id, after):
        rows = []
        for r in chunk:
            for pos, side in enumerate(("sender", "consignee")):
                name, address, country, phone, email = r[2 + 5 * pos : 7 + 5 * pos]
                if name and name_tokens(name):
                    contact = {"country": country, "address": address, "phone": phone,
                               "email": email}  # fmt: skip
                    rows.append(party_row("shipment", r[0], pos, side, r[1], name,
                                          **_contact(contact)))  # fmt: skip
        yield rows


def _record_parties(
    session: Session, model: Any, source_type: str, after: int
) -> Iterator[list[Row]]:
    """Seizures and incidents: their JSON list of parties with roles and contacts."""
    stmt = select(model.id, model.owner_agency_id, model.parties)
    for chunk in _pages(session, stmt, model.id, after):
        rows = []
        for rid, owner, parties in chunk:
            for pos, p in enumerate(json.loads(parties or "[]")):
                if name_tokens(p.get("name") or ""):
                    rows.append(
                        party_row(source_type, rid, pos, p.get("role") or "other", owner,
                                  p["name"], **_contact(p))
                    )  # fmt: skip
        yield rows


def _seizures(session: Session, after: int) -> Iterator[list[Row]]:
    from watchfloor.cooperation.seizures import Seizure

    return _record_parties(session, Seizure, "seizure", after)


def _incidents(session: Session, after: int) -> Iterator[list[Row]]:
    from watchfloor.cooperation.seizures import Incident

    return _record_parties(session, Incident, "incident", after)


def _notifications(session: Session, after: int) -> Iterator[list[Row]]:
    from watchfloor.cooperation.pen import PreExportNotification as N

    stmt = select(N.id, N.owner_agency_id, N.parties)
    for chunk in _pages(session, stmt, N.id, after):
        rows = []
        for rid, owner, parties in chunk:
            named = json.loads(parties or "{}")
            for pos, role in enumerate(("exporter", "importer", "consignee")):
                p = named.get(role)
                if p and name_tokens(p.get("name") or ""):
                    rows.append(party_row("notification", rid, pos, role, owner, p["name"],
                                          **_contact(p)))  # fmt: skip
        yield rows


_ENTRY_COLUMN = {"phone": "phones", "email": "emails", "wallet": "wallets", "handle": "handles",
                 "address": "addresses"}  # fmt: skip


def _watchlist(session: Session, after: int) -> Iterator[list[Row]]:
    """A watched name is a party; a watched phone, e-mail... is one when the entry says
    whose it is (its label)."""
    from watchfloor.cooperation.watchlists import WatchlistEntry as W

    stmt = select(W.id, W.owner_agency_id, W.kind, W.value, W.normalised, W.label)
    for chunk in _pages(session, stmt, W.id, after):
        rows = []
        for rid, owner, kind, value, normalised, label in chunk:
            if kind == "name" and name_tokens(value):
                rows.append(party_row("watchlist", rid, 0, "watched", owner, value))
            elif label and name_tokens(label):
                column = _ENTRY_COLUMN.get(kind)
                extra = {column: [value if kind == "address" else normalised]} if column else {}
                rows.append(party_row("watchlist", rid, 0, "watched", owner, label, **extra))
        yield rows


def _listings(session: Session, after: int) -> Iterator[list[Row]]:
    """A listing's seller (the handle on its platform) with the contacts the listing shows."""
    from watchfloor.listings import Listing as L
    from watchfloor.listings import ListingSignal as G

    stmt = select(L.id, L.owner_agency_id, L.seller, L.ships_from, L.platform)
    for chunk in _pages(session, stmt.where(L.seller.is_not(None)), L.id, after):
        ids = [r[0] for r in chunk]
        found: dict[int, dict[str, list[str]]] = {}
        signals = select(G.listing_id, G.kind, G.value).where(G.listing_id.in_(ids))
        for lid, kind, value in session.execute(signals):
            column = {"phone": "phones", "email": "emails", "wallet": "wallets"}.get(kind)
            column = column or ("handles" if kind in ("telegram", "wickr", "handle") else None)
            if column:
                found.setdefault(lid, {}).setdefault(column, []).append(value)
        rows = []
        for lid, owner, seller, ships_from, platform in chunk:
            if seller and name_tokens(seller):
                extra = found.get(lid, {})
                extra["handles"] = [f"{platform}:{seller}", *extra.get("handles", [])]
                rows.append(party_row("listing", lid, 0, "seller", owner, seller,
                                      countries=[ships_from], **extra))  # fmt: skip
        yield rows


def sanctions_rows(entry: Any) -> Row:
    """A sanctions entry as a party: aliases, birth dates, documents, countries, links."""
    details = json.loads(entry.details or "{}")
    from watchfloor.reference import country_code

    born = [country_code(p.split(",")[-1]) for p in details.get("places_of_birth", [])]
    countries = (
        [a.country for a in entry.addresses]
        + born
        + [c for c in details.get("nationalities", []) if len(c) == 2]
    )
    idents = [
        [identifier_kind(i["kind"]), identifier_number(i["value"])]
        for i in details.get("identifiers", [])
    ]
    addresses = [
        ", ".join(x for x in (a.address, a.city, a.country_name) if x) for a in entry.addresses
    ]
    return party_row(
        "sanctions", entry.id, 0, "listed", None, entry.name,
        schema=_SDN_SCHEMA.get(entry.party_type),
        aliases=[n.name for n in entry.names if n.kind != "primary"],
        countries=countries, dates_of_birth=details.get("dates_of_birth", []),
        identifiers=idents, addresses=addresses, emails=details.get("emails", []),
        linked_to=details.get("linked_to", []),
        topics=[f"sanctions:{p}" for p in entry.programs.split()],
    )  # fmt: skip


def _sanctions(session: Session, after: int) -> Iterator[list[Row]]:
    from watchfloor.reference import SanctionsEntry

    newest = session.scalar(select(func.max(SanctionsEntry.id))) or 0
    if newest <= after:
        return  # nothing loaded since: a reload always writes new entries (new ids)
    gone = select(SanctionsEntry.id)
    session.execute(
        delete(Party).where(Party.source_type == "sanctions", Party.source_id.not_in(gone))
    )
    stmt = select(SanctionsEntry).where(SanctionsEntry.id > after).order_by(SanctionsEntry.id)
    batch: list[Row] = []
    for entry in session.scalars(stmt):
        batch.append(sanctions_rows(entry))
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    yield batch


EXTRACTORS: dict[str, Callable[[Session, int], Iterable[list[Row]]]] = {
    "sanctions": _sanctions,
    "shipment": _shipments,
    "listing": _listings,
    "seizure": _seizures,
    "incident": _incidents,
    "watchlist": _watchlist,
    "notification": _notifications,
}


def _pages(session: Session, stmt: Any, id_column: Any, after: int) -> Iterator[list[Any]]:
    """Rows of ``stmt`` (whose first column is ``id_column``) beyond ``after``, a page at a
    time by keyset, so that writing between pages is safe on every backend."""
    while True:
        page = session.execute(stmt.where(id_column > after).order_by(id_column).limit(CHUNK)).all()
        if not page:
            return
        yield list(page)
        after = page[-1][0]


_CONTACTS = {"phones": "phone", "emails": "email", "wallets": "wallet", "handles": "handle"}


def contact_rows(party_id: int, row: Row) -> list[Row]:
    """The contacts of a party row, one per value, addresses as their folded words."""
    out = [
        {"party_id": party_id, "kind": kind, "value": str(v)[:300]}
        for column, kind in _CONTACTS.items()
        for v in json.loads(row[column])
    ]
    for a in json.loads(row["addresses"]):
        words = re.findall(r"[a-z0-9]+", fold(a))
        if len(words) >= 3:  # a street and a number, not a country name alone
            out.append({"party_id": party_id, "kind": "address", "value": " ".join(words)[:300]})
    return out


def _store(session: Session, rows: list[Row]) -> None:
    """Write parties and their contacts (ids read back in the order written)."""
    ids = session.scalars(
        insert(Party).returning(Party.id, sort_by_parameter_order=True), rows
    ).all()
    contacts = [c for pid, row in zip(ids, rows, strict=True) for c in contact_rows(pid, row)]
    if contacts:
        session.execute(insert(PartyContact), contacts)


def sync(
    session: Session, *, progress: Progress | None = None, max_pages: int | None = None
) -> dict[str, int]:
    """Take the parties of every record not taken yet; returns parties added per source.
    ``max_pages`` bounds the work per source (pages of 5,000 records): a request path takes
    a little at a time and leaves a backlog to the next call or to ``entities sync``."""
    added: dict[str, int] = {}
    for source, extractor in EXTRACTORS.items():
        after = (
            session.scalar(select(func.max(Party.source_id)).where(Party.source_type == source))
            or 0
        )
        count = 0
        for page, rows in enumerate(extractor(session, after), start=1):
            if rows:
                _store(session, rows)
                count += len(rows)
                if progress:
                    progress(source, count, 0)
            if max_pages is not None and page >= max_pages:
                break
        added[source] = count
    return added
