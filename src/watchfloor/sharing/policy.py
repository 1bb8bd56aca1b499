"""Who may read and who may re-share a shareable record: the one place that decides.

Rules (TLP 2.0, read for a multi-agency instance):

- the owner agency always reads and shares its own records;
- after ``share_expires_at`` nobody but the owner reads the record;
- ``clear``: every authenticated caller;
- ``green``: every agency of the community (the instance's public-sector agencies) and named
  recipients; platforms see green records only when named;
- ``amber``, ``amber+strict``, ``red``: named recipient agencies only, or members of a named
  recipient community (``sharing.communities``: membership read at each access);
- re-sharing by a recipient is refused under originator control and for ``amber+strict`` and
  ``red`` (those may not leave the recipient organisation).

:func:`can_read` answers for one loaded record; :func:`visible` is the same rule as an SQL
condition so that every list, count and search filters in the database; :func:`can_share`
and :func:`shareable` are the same pair for sharing onward. A property test checks that
each pair agrees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from watchfloor.db import utcnow
from watchfloor.security import Principal
from watchfloor.sharing import communities
from watchfloor.sharing.models import Shareable, ShareRecipient

OPEN_TO_ALL = ("clear",)
OPEN_TO_COMMUNITY = ("green",)
NO_RESHARE = ("amber+strict", "red")
COMMUNITY_EXCLUDES = ("platform",)


def _in_community(principal: Principal) -> bool:
    return principal.agency_kind not in COMMUNITY_EXCLUDES


def can_read(principal: Principal, record: Shareable) -> bool:
    """May ``principal`` see ``record``?"""
    if record.owner_agency_id == principal.agency_id:
        return True
    if record.share_expires_at is not None and record.share_expires_at <= utcnow():
        return False
    if record.tlp in OPEN_TO_ALL:
        return True
    if record.tlp in OPEN_TO_COMMUNITY and _in_community(principal):
        return True
    mine = communities.of(principal.agency_code)
    return any(
        r.agency_id == principal.agency_id or (r.community is not None and r.community in mine)
        for r in record.recipients
    )


def can_share(principal: Principal, record: Shareable) -> tuple[bool, str]:
    """May ``principal`` widen the audience of ``record``? Returns (allowed, reason)."""
    if record.owner_agency_id == principal.agency_id:
        return True, "owner"
    if not can_read(principal, record):
        return False, "not visible to you"
    if record.originator_control:
        return False, "the originator does not allow onward sharing (originator control)"
    if record.tlp in NO_RESHARE:
        return False, f"TLP:{record.tlp.upper()} information may not leave the recipient agency"
    return True, "recipient"


def visible(principal: Principal, model: type[Any]) -> ColumnElement[bool]:
    """SQL condition equivalent to :func:`can_read` for rows of ``model``."""
    mine = communities.of(principal.agency_code)
    who = ShareRecipient.agency_id == principal.agency_id
    if mine:
        who = or_(who, ShareRecipient.community.in_(mine))
    named = exists(
        select(ShareRecipient.id).where(
            ShareRecipient.record_type == model.share_type,
            ShareRecipient.record_id == model.id,
            who,
        )
    )
    not_expired = or_(model.share_expires_at.is_(None), model.share_expires_at > utcnow())
    community = model.tlp.in_(OPEN_TO_COMMUNITY) if _in_community(principal) else false()
    return or_(
        model.owner_agency_id == principal.agency_id,
        and_(not_expired, or_(model.tlp.in_(OPEN_TO_ALL), community, named)),
    )


def shareable(principal: Principal, model: type[Any]) -> ColumnElement[bool]:
    """SQL condition equivalent to ``can_share(principal, row)[0]`` for rows of ``model``:
    the caller's own, or visible to it without originator control and with a TLP that may
    leave the recipient."""
    return or_(
        model.owner_agency_id == principal.agency_id,
        and_(
            visible(principal, model),
            model.originator_control.is_(False),
            model.tlp.not_in(NO_RESHARE),
        ),
    )
