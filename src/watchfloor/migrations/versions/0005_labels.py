"""Listing labels (analysts' and notice outcomes) and agencies' own classifier versions.

Revision ID: 0005_labels
Revises: 0004_notices
Create Date: 2026-12-01 18:12:55.309920
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0005_labels"
down_revision = "0004_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classifier_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column("base_version", sa.String(length=60), nullable=False),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_classifier_versions_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_classifier_versions_version")),
    )
    with op.batch_alter_table("classifier_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_classifier_versions_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "listing_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("is_drug_sale", sa.Boolean(), nullable=False),
        sa.Column("substance_class", sa.String(length=20), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("labelled_by", sa.String(length=120), nullable=False),
        sa.Column("labelled_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_listing_labels_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_labels_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_listing_labels_notice_id_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_labels")),
        sa.UniqueConstraint(
            "agency_id", "listing_id", "source", name=op.f("uq_listing_labels_agency_id")
        ),
    )
    with op.batch_alter_table("listing_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_labels_agency_id"), ["agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_labels_agency_id"))

    op.drop_table("listing_labels")
    with op.batch_alter_table("classifier_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classifier_versions_agency_id"))

    op.drop_table("classifier_versions")
