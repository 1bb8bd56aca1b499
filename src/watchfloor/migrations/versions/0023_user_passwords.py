"""Users: whether the password is still the demo loader's, and when it was last changed.

Users that exist already are marked when their password is the demo one (checked against
its hash once, here): from now on the demo loader marks them as it creates them."""

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0023_user_passwords"
down_revision = "0022_refusal_counts"
branch_labels = None
depends_on = None

DEMO_PASSWORD = "watchfloor-demo"  # as watchfloor.demo has it at this revision


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("demo_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("password_changed_at", watchfloor.db.UTCDateTime(timezone=True)))
    from pwdlib import PasswordHash

    hasher = PasswordHash.recommended()
    conn = op.get_bind()
    users = sa.table(
        "users", sa.column("id"), sa.column("password_hash"), sa.column("demo_password")
    )
    demo = [
        uid
        for uid, hashed in conn.execute(sa.select(users.c.id, users.c.password_hash))
        if hasher.verify(DEMO_PASSWORD, hashed)
    ]
    if demo:
        conn.execute(users.update().where(users.c.id.in_(demo)).values(demo_password=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("demo_password")
