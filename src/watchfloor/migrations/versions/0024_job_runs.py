"""Periods of periodic jobs claimed by one process each (several workers, one database)."""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0024_job_runs"
down_revision = "0023_user_passwords"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("period", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("started_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period", name="uq_job_runs_period"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
