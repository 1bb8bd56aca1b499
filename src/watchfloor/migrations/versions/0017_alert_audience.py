"""Who an alert is for: early warnings go to analysts unless a subscription says officers too.

``alerts.audience`` is ``all`` (every role of the agency) or ``analysts`` (left out of an
officer's queue); ``warning_subscriptions.audience`` says which of the two the alerts of a
subscription get. Existing early-warning alerts and subscriptions become ``analysts``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_alert_audience"
down_revision = "0016_watchlist_name_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("audience", sa.String(10), nullable=False, server_default="all"))
    with op.batch_alter_table("warning_subscriptions") as batch:
        batch.add_column(
            sa.Column("audience", sa.String(10), nullable=False, server_default="analysts")
        )
    alerts = sa.table("alerts", sa.column("kind", sa.String), sa.column("audience", sa.String))
    op.execute(alerts.update().where(alerts.c.kind == "early_warning").values(audience="analysts"))


def downgrade() -> None:
    with op.batch_alter_table("warning_subscriptions") as batch:
        batch.drop_column("audience")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("audience")
