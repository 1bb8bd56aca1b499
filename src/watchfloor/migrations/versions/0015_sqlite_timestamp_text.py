"""One text form for timestamps on SQLite.

Bulk-inserted rows (shipments, their items and assessments, listings) had their timestamps
written by the SQLite driver's default adapter, ``2026-10-03 08:48:11+00:00``, while every
other statement writes SQLAlchemy's ``2026-10-03 08:48:11.000000``. SQLite compares them as
text, and within one second ``+`` sorts before ``.``: a shipment declared at midnight fell
outside a ``>= midnight`` filter. Every stored value is UTC (the column type converts before
writing), so the zone suffix is always ``+00:00`` and is dropped here; a value without a
fraction gets ``.000000``. PostgreSQL stores timestamps as timestamps: nothing to do.

Revision ID: 0015_sqlite_timestamp_text
Revises: 0014_warning
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_sqlite_timestamp_text"
down_revision = "0014_warning"
branch_labels = None
depends_on = None

# 'YYYY-MM-DD HH:MM:SS+00:00' is 25 characters; with '.ffffff' it is 32
_NORMALISE = """
UPDATE "{table}" SET "{column}" = CASE length("{column}")
    WHEN 25 THEN substr("{column}", 1, 19) || '.000000'
    WHEN 32 THEN substr("{column}", 1, 26)
    ELSE "{column}" END
WHERE "{column}" LIKE '%+00:00'
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                op.execute(_NORMALISE.format(table=table, column=column["name"]))


def downgrade() -> None:
    pass  # the old form was an accident, not a format to go back to
