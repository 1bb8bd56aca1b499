"""Federation under /api/v1/federation: this instance's identity, and the signed feed that
peers pull (requests signed by the peer's own key, not a user's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from watchfloor.cooperation.federation import checkpoints, keys
from watchfloor.cooperation.federation import service as federation
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Db, requires
from watchfloor.settings import get_settings

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


class IdentityOut(BaseModel):
    name: str = Field(description="This instance's name among peers.", examples=["watchfloor-na"])
    public_key: str = Field(description="Its Ed25519 public key, hex: give it to peers.")


class FeedOut(BaseModel):
    batch: dict[str, Any] = Field(
        description="instance, peer, since, until, has_more, issued_at, nonce, records "
        "(type, id, owner, policy, data), revoked (type, id) and checkpoint (a signed "
        "checkpoint of this instance's audit chain)."
    )
    signature: str = Field(description="Ed25519 over the batch as canonical JSON, hex.")


@router.get("/identity", response_model=IdentityOut)
def get_identity(db: Db, principal: CurrentPrincipal) -> IdentityOut:
    """The name and public key a peer registers this instance with."""
    key = keys.public_key(db)
    db.commit()
    return IdentityOut(name=get_settings().instance_name, public_key=key)


class CheckpointOut(BaseModel):
    instance: str
    seq: int = Field(description="The chain's last event when signed.")
    hash: str = Field(description="That event's hash.")
    at: str = Field(description="When it was signed (ISO 8601, UTC).")
    public_key: str = Field(description="The instance's Ed25519 public key, hex.")
    signature: str = Field(description="Ed25519 over {instance, seq, hash, at} as canonical JSON.")


@router.get("/checkpoint", response_model=CheckpointOut)
def get_checkpoint(
    db: Db, principal: Annotated[Principal, Depends(requires("admin"))]
) -> CheckpointOut:
    """A signed checkpoint of this instance's audit chain (admins), to publish or give to an
    oversight body; `watchfloor audit verify --checkpoint FILE` checks the chain against it."""
    cp = checkpoints.make(db)
    db.commit()
    return CheckpointOut(**cp)


@router.get("/feed", response_model=FeedOut, response_class=Response)
def get_feed(
    request: Request,
    db: Db,
    since: Annotated[int, Query(ge=0, le=2**62, description="The last change you hold.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2000,
) -> Response:
    """For peers only (the request signed with the peer's key): the changes after `since`
    to records its agencies may read, and revocations of records it was sent and may no
    longer read. Nothing else leaves."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    peer = federation.authenticate(db, "GET", path, request.headers)
    batch = federation.feed(db, peer, since, limit)
    # a signed checkpoint of this instance's audit chain: the peer keeps it, so that this
    # instance's chain cannot later be cut unseen
    batch["checkpoint"] = checkpoints.make(db)
    body = keys.canonical(batch)
    signature = keys.sign(db, body)
    db.commit()
    # written as is: validating thousands of records against FeedOut again would cost more
    # than building them
    return Response(
        content=b'{"batch":' + body + b',"signature":"' + signature.encode() + b'"}',
        media_type="application/json",
    )
