"""One active warning subscription per agency and name.

Identical subscriptions sent twice made two subscriptions, and two of each alert. Existing
duplicates (the same agency and name, both active) keep the oldest active; the others are
ended, as an analyst's unsubscribe would. A partial unique index then holds the rule on both
backends, so that two identical submissions at the same moment make one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_subscription_names"
down_revision = "0018_screening_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    subs = sa.table(
        "warning_subscriptions",
        sa.column("id", sa.Integer),
        sa.column("agency_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
    )
    conn = op.get_bind()
    kept: set[tuple[int, str]] = set()
    ended = []
    rows = conn.execute(
        sa.select(subs.c.id, subs.c.agency_id, subs.c.name)
        .where(subs.c.active.is_(True))
        .order_by(subs.c.id)
    )
    for sid, agency_id, name in rows:
        if (agency_id, name) in kept:
            ended.append(sid)
        kept.add((agency_id, name))
    if ended:
        op.execute(subs.update().where(subs.c.id.in_(ended)).values(active=False))
    op.create_index(
        "uq_warning_subscriptions_active_name",
        "warning_subscriptions",
        ["agency_id", "name"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_warning_subscriptions_active_name", table_name="warning_subscriptions")
