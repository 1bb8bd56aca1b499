"""Hashed signal sets and the community key they are hashed under.

Revision ID: 0006_signal_sets
Revises: 0005_labels
Create Date: 2026-12-01 18:16:34.708218
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0006_signal_sets"
down_revision = "0005_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_community_keys_key_id")),
    )
    op.create_table(
        "signal_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("listings", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("originator_control", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("share_expires_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_signal_sets_owner_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_sets")),
    )
    with op.batch_alter_table("signal_sets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signal_sets_owner_agency_id"), ["owner_agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signal_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signal_sets_owner_agency_id"))

    op.drop_table("signal_sets")
    op.drop_table("community_keys")
