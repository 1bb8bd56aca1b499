"""Hashed signal sharing: an agency publishes its sellers' identifiers as HMAC-SHA256 tokens
under the instance's community key; a recipient (a platform, another agency) normalises its
own users' identifiers the same way, computes their tokens with the same key, and compares.
It learns which of its users match, and nothing about the other values.

The token of a signal is ``HMAC-SHA256(key, "<kind>:<normalised value>")`` in lower-case hex,
with the normalisation of :mod:`watchfloor.listings.signals` (phones in E.164, e-mails in
lower case, wallets only with a valid checksum, handles without ``@``...). :func:`token_of`
does both steps for a raw value, and :func:`match` runs a recipient's check; the CLI's
``watchfloor listings match-tokens`` runs it on files, without the database.

A set is a shareable record: its owner names the recipients and TLP, and only signals of
listings the owner may share onward go into it (``sharing.policy.shareable``). The key is
given to analysts of the instance's agencies and platforms: holders could test guesses
against tokens, so a set is sent only to those who need it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.identifiers import normalise
from watchfloor.listings import signals
from watchfloor.listings.models import CommunityKey, Listing, ListingSignal, SignalSet
from watchfloor.security import Principal, require_role
from watchfloor.settings import get_settings
from watchfloor.sharing import SharingIn, apply_sharing, shareable

SHAREABLE_KINDS = tuple(sorted(signals.STRONG))
# watchlist entries may also publish names and addresses (watchfloor.identifiers.normalise)
WATCHLIST_KINDS = tuple(sorted({*signals.STRONG, "name", "address"}))
MAX_TOKENS = 200_000


def key_id_of(key: bytes) -> str:
    """A short public name of a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def community_key(session: Session) -> bytes:
    """The configured key, or the one kept in the database (made on first use)."""
    configured = get_settings().signal_key
    if configured:
        return bytes.fromhex(configured)
    row = session.scalar(select(CommunityKey).order_by(CommunityKey.id).limit(1))
    if row is None:
        key = secrets.token_bytes(32)
        row = CommunityKey(key_id=key_id_of(key), secret=key.hex())
        try:
            with session.begin_nested():  # a savepoint: the caller's work stays
                session.add(row)
        except IntegrityError:  # another process made it first
            row = session.scalar(select(CommunityKey).order_by(CommunityKey.id).limit(1))
    return bytes.fromhex(row.secret)  # type: ignore[union-attr]


def token(kind: str, value: str, key: bytes) -> str:
    return signals.share_token(signals.Signal(kind, value), key)


def token_of(kind: str, raw: str, key: bytes, *, region: str | None = None) -> str | None:
    """The token of a raw identifier, or None when it does not normalise."""
    value = normalise(kind, raw, region=region)
    return token(kind, value, key) if value is not None else None


def match(
    tokens: Iterable[str], values: Iterable[tuple[str, str]], key: bytes
) -> list[tuple[str, str]]:
    """The (kind, raw value) pairs of a recipient whose token is in ``tokens``."""
    wanted = {t.strip().lower() for t in tokens}
    out = []
    for kind, raw in values:
        t = token_of(kind, raw, key)
        if t is not None and t in wanted:
            out.append((kind, raw))
    return out


def publish(
    session: Session,
    principal: Principal,
    *,
    name: str,
    kinds: list[str],
    drug_sales_only: bool,
    sharing: SharingIn,
    source: str = "listings",
) -> SignalSet:
    """Tokens of the strong signals of ``kinds`` in the listings the caller may share, or
    (``source="watchlist"``) of its agency's own active watchlist entries."""
    require_role(principal, "analyst")
    allowed = SHAREABLE_KINDS if source == "listings" else WATCHLIST_KINDS
    unknown = [k for k in kinds if k not in allowed]
    if unknown:
        raise Invalid(
            f"not shareable {'signal' if source == 'listings' else 'entry'} kinds: "
            f"{', '.join(unknown)}",
            [FieldProblem("kinds", f"use {', '.join(allowed)}")],
        )
    kinds = sorted(set(kinds or allowed))
    key = community_key(session)
    if source == "watchlist":
        ids, values = _entry_values(session, principal, kinds)
    else:
        ids, values = _listing_values(session, principal, kinds, drug_sales_only)
    if len(values) > MAX_TOKENS:
        raise Invalid(
            f"{len(values):,} signals; a set holds at most {MAX_TOKENS:,}",
            [FieldProblem("kinds", "narrow the set")],
        )
    found = sorted(token(k, v, key) for k, v in values)
    row = SignalSet(
        owner_agency_id=principal.agency_id,
        name=name,
        kinds=" ".join(kinds),
        key_id=key_id_of(key),
        listings=len(ids),
        source=source,
        count=len(found),
        tokens="\n".join(found),
        created_by=principal.actor,
        tlp=sharing.tlp,
    )
    session.add(row)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="signal_set.publish",
        object_type="signal_set",
        object_id=row.id,
        detail={"kinds": kinds, "source": source, "records": len(ids), "tokens": len(found)},
    )
    apply_sharing(session, principal, row, sharing)
    return row


def _listing_values(
    session: Session, principal: Principal, kinds: list[str], drug_sales_only: bool
) -> tuple[list[int], set[tuple[str, str]]]:
    stmt = select(Listing.id).where(shareable(principal, Listing))
    if drug_sales_only:
        stmt = stmt.where(Listing.is_drug_sale.is_(True))
    ids = list(session.scalars(stmt.order_by(Listing.id)))
    values: set[tuple[str, str]] = set()
    for chunk in range(0, len(ids), 1000):
        rows = session.execute(
            select(ListingSignal.kind, ListingSignal.value).where(
                ListingSignal.listing_id.in_(ids[chunk : chunk + 1000]),
                ListingSignal.kind.in_(kinds),
            )
        )
        values.update((k, v) for k, v in rows)
    return ids, values


def _entry_values(
    session: Session, principal: Principal, kinds: list[str]
) -> tuple[list[int], set[tuple[str, str]]]:
    from watchfloor.cooperation.watchlists import WatchlistEntry

    rows = session.execute(
        select(WatchlistEntry.id, WatchlistEntry.kind, WatchlistEntry.normalised).where(
            # the agency's own list: others' entries it may read are theirs to publish
            WatchlistEntry.owner_agency_id == principal.agency_id,
            WatchlistEntry.active.is_(True),
            WatchlistEntry.kind.in_(kinds),
        )
    ).all()
    return [r.id for r in rows], {(r.kind, r.normalised) for r in rows}
