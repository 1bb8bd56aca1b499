"""Notices to platforms and the platforms' decisions on each listing.

Revision ID: 0004_notices
Revises: 0003_listings
Create Date: 2026-12-01 17:54:07.674183
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0004_notices"
down_revision = "0003_listings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("platform_agency_id", sa.Integer(), nullable=False),
        sa.Column("legal_ground", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("requested_action", sa.String(length=20), nullable=False),
        sa.Column("territorial_scope", sa.String(length=800), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("sla_hours", sa.Float(), nullable=False),
        sa.Column("sent_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("acknowledged_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("answered_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("escalated_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("originator_control", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("share_expires_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_notices_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["platform_agency_id"],
            ["agencies.id"],
            name=op.f("fk_notices_platform_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint(
            "owner_agency_id", "reference", name=op.f("uq_notices_owner_agency_id")
        ),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notices_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_platform_agency_id"), ["platform_agency_id"], unique=False
        )
        batch_op.create_index(
            "ix_notices_platform_sent", ["platform_agency_id", "sent_at"], unique=False
        )
        batch_op.create_index("ix_notices_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "notice_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=80), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("seller", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=True),
        sa.Column("account_action", sa.String(length=12), nullable=True),
        sa.Column("ground", sa.String(length=24), nullable=True),
        sa.Column("ground_reference", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("no_action_reason", sa.String(length=30), nullable=True),
        sa.Column("automated_detection", sa.Boolean(), nullable=True),
        sa.Column("automated_decision", sa.String(length=14), nullable=True),
        sa.Column("territorial_scope", sa.String(length=800), nullable=False),
        sa.Column("decided_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_notice_items_listing_id_listings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_items_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_items")),
        sa.UniqueConstraint("notice_id", "listing_id", name=op.f("uq_notice_items_notice_id")),
    )
    with op.batch_alter_table("notice_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_items_listing_id"), ["listing_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_items_listing_id"))

    op.drop_table("notice_items")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_status_due")
        batch_op.drop_index("ix_notices_platform_sent")
        batch_op.drop_index(batch_op.f("ix_notices_platform_agency_id"))
        batch_op.drop_index(batch_op.f("ix_notices_owner_agency_id"))

    op.drop_table("notices")
