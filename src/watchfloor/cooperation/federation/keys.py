"""This instance's Ed25519 key pair (made on first use, kept in its database) and the
signatures federation and audit checkpoints are made with."""

from __future__ import annotations

from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.cooperation.federation.models import InstanceKey


def canonical(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


# --- keys and signatures --------------------------------------------------------------------


def _key_row(session: Session) -> InstanceKey:
    row = session.scalar(select(InstanceKey).order_by(InstanceKey.id).limit(1))
    if row is None:
        key = Ed25519PrivateKey.generate()
        row = InstanceKey(
            private_key=key.private_bytes_raw().hex(),
            public_key=key.public_key().public_bytes_raw().hex(),
        )
        session.add(row)
        session.flush()
    return row


def public_key(session: Session) -> str:
    """This instance's public key, hex (give it to peers)."""
    return _key_row(session).public_key


def sign(session: Session, data: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(_key_row(session).private_key))
    return key.sign(data).hex()


def verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), data
        )
    except (InvalidSignature, ValueError):
        return False
    return True
