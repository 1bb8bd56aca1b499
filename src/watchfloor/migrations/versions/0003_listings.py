"""Listings and their signals.

Revision ID: 0003_listings
Revises: 0002_shipments
Create Date: 2026-11-25 18:32:27.091905
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0003_listings"
down_revision = "0002_shipments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=80), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("seller", sa.String(length=200), nullable=True),
        sa.Column("ships_from", sa.String(length=2), nullable=True),
        sa.Column("ships_to", sa.String(length=200), nullable=False),
        sa.Column("observed_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("image_hashes", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("is_drug_sale", sa.Boolean(), nullable=False),
        sa.Column("substance_class", sa.String(length=20), nullable=True),
        sa.Column("class_probability", sa.Float(), nullable=True),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("received_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("originator_control", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("share_expires_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_listings_owner_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
        sa.UniqueConstraint(
            "owner_agency_id", "platform", "external_id", name=op.f("uq_listings_owner_agency_id")
        ),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listings_class_observed", ["substance_class", "observed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_listings_owner_agency_id"), ["owner_agency_id"], unique=False
        )

    op.create_table(
        "listing_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("raw", sa.String(length=300), nullable=False),
        sa.Column("strong", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_signals_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_signals")),
    )
    with op.batch_alter_table("listing_signals", schema=None) as batch_op:
        batch_op.create_index("ix_listing_signals_kind_value", ["kind", "value"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_listing_signals_listing_id"), ["listing_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_signals_listing_id"))
        batch_op.drop_index("ix_listing_signals_kind_value")

    op.drop_table("listing_signals")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_owner_agency_id"))
        batch_op.drop_index("ix_listings_class_observed")

    op.drop_table("listings")
