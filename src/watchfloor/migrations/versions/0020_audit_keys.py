"""Keyed MACs on audit events and signed checkpoints of audit chains.

Events written before this migration keep no MAC: ``audit verify`` reports where the keyed
events begin, and every later event must carry a right MAC.
"""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0020_audit_keys"
down_revision = "0019_subscription_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("received_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("instance", "seq", name="uq_audit_checkpoint"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("mac")
