"""Analysts' decisions on screening hits: a screened name is, or is not, a listed party."""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0018_screening_decisions"
down_revision = "0017_alert_audience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("query", sa.String(400), nullable=False),
        sa.Column("query_key", sa.String(400), nullable=False),
        sa.Column(
            "party_id",
            sa.Integer(),
            sa.ForeignKey("parties.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=False),
        sa.Column("decided_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_screening_decisions_agency_id", "screening_decisions", ["agency_id"])
    op.create_index("ix_screening_decisions_query_key", "screening_decisions", ["query_key"])


def downgrade() -> None:
    op.drop_table("screening_decisions")
