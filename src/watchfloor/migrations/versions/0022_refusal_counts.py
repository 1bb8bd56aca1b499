"""Refused requests of unknown callers, counted per kind, source and hour."""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0022_refusal_counts"
down_revision = "0021_login_throttles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusal_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("hour", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_reason", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusal_counts")),
        sa.UniqueConstraint("kind", "source", "hour", name="uq_refusal_counts"),
    )


def downgrade() -> None:
    op.drop_table("refusal_counts")
