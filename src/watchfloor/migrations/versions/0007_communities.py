"""Records shared with communities of agencies: a recipient is an agency or a community.

Revision ID: 0007_communities
Revises: 0006_signal_sets
Create Date: 2026-12-01 19:01:42.405876
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_communities"
down_revision = "0006_signal_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community", sa.String(length=40), nullable=True))
        batch_op.alter_column("agency_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_share_recipients_community"), ["community"], unique=False
        )
        batch_op.create_unique_constraint(
            "uq_share_recipients_community", ["record_type", "record_id", "community"]
        )


def downgrade() -> None:
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.drop_constraint("uq_share_recipients_community", type_="unique")
        batch_op.drop_index(batch_op.f("ix_share_recipients_community"))
        batch_op.alter_column("agency_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("community")
