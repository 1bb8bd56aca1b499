"""Idle browser sessions end; failed logins are counted per account and per address.

``web_sessions.last_seen_at`` (existing sessions count as seen at migration time) and the
``login_throttles`` table.
"""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0021_login_throttles"
down_revision = "0020_audit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "web_sessions",
        sa.Column("last_seen_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(sa.text("UPDATE web_sessions SET last_seen_at = created_at"))
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )


def downgrade() -> None:
    op.drop_table("login_throttles")
    with op.batch_alter_table("web_sessions") as batch_op:
        batch_op.drop_column("last_seen_at")
