"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-25 14:12:38.188728
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchfloor.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_agency"), ["agency"], unique=False)

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # the chain starts empty: sequence 0 and the all-zero genesis hash
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    _append_only_audit()
    op.create_table(
        "hs_codes",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent", sa.String(length=6), nullable=True),
        sa.Column("section", sa.String(length=5), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_hs_codes")),
    )
    op.create_table(
        "reference_loads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.String(length=40), nullable=False),
        sa.Column("substances", sa.Integer(), nullable=False),
        sa.Column("names", sa.Integer(), nullable=False),
        sa.Column("hs_codes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_loads")),
    )
    with op.batch_alter_table("reference_loads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_loads_checksum"), ["checksum"], unique=False)

    op.create_table(
        "reference_sources",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_sources")),
    )
    op.create_table(
        "substances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("drug_class", sa.String(length=20), nullable=False),
        sa.Column("cas", sa.String(length=16), nullable=True),
        sa.Column("hs2022", sa.String(length=6), nullable=True),
        sa.Column("un_1961", sa.String(length=10), nullable=True),
        sa.Column("un_1971", sa.String(length=10), nullable=True),
        sa.Column("un_1988_table", sa.String(length=4), nullable=True),
        sa.Column("un_1988_year", sa.String(length=8), nullable=True),
        sa.Column("dea_schedule", sa.String(length=4), nullable=True),
        sa.Column("dea_code", sa.String(length=8), nullable=True),
        sa.Column("dea_narcotic", sa.String(length=1), nullable=True),
        sa.Column("used_for", sa.String(length=200), nullable=True),
        sa.Column("unverified", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substances")),
        sa.UniqueConstraint("key", name=op.f("uq_substances_key")),
    )
    with op.batch_alter_table("substances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_substances_cas"), ["cas"], unique=False)
        batch_op.create_index(batch_op.f("ix_substances_drug_class"), ["drug_class"], unique=False)
        batch_op.create_index(batch_op.f("ix_substances_kind"), ["kind"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("revoked_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_api_keys_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "seizures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("seized_on", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("substance_key", sa.String(length=80), nullable=True),
        sa.Column("substance_text", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("originator_control", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("share_expires_at", watchfloor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_seizures_owner_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seizures")),
        sa.UniqueConstraint(
            "owner_agency_id", "reference", name=op.f("uq_seizures_owner_agency_id")
        ),
    )
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seizures_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_seizures_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_seizures_substance_key"), ["substance_key"], unique=False
        )

    op.create_table(
        "share_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=120), nullable=False),
        sa.Column("granted_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_share_recipients_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_recipients")),
        sa.UniqueConstraint(
            "record_type", "record_id", "agency_id", name=op.f("uq_share_recipients_record_type")
        ),
    )
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_recipients_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_share_recipients_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "substance_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("substance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("normalized", sa.String(length=300), nullable=False),
        sa.Column("name_kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["substance_id"],
            ["substances.id"],
            name=op.f("fk_substance_names_substance_id_substances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substance_names")),
    )
    with op.batch_alter_table("substance_names", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_substance_names_normalized"), ["normalized"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_substance_names_substance_id"), ["substance_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", watchfloor.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)


APPEND_ONLY_MESSAGE = "audit_events is append-only"


def _append_only_audit() -> None:
    """Refuse UPDATE and DELETE on audit_events in the database itself.

    The hash chain detects tampering by anyone who gets around this (a superuser can drop
    the trigger); the trigger stops the application, or a careless operator, from doing it.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END; $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
        """)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
            """)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_agency_id"))

    op.drop_table("users")
    with op.batch_alter_table("substance_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_substance_names_substance_id"))
        batch_op.drop_index(batch_op.f("ix_substance_names_normalized"))

    op.drop_table("substance_names")
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_recipients_record_id"))
        batch_op.drop_index(batch_op.f("ix_share_recipients_agency_id"))

    op.drop_table("share_recipients")
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seizures_substance_key"))
        batch_op.drop_index(batch_op.f("ix_seizures_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_seizures_country"))

    op.drop_table("seizures")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_agency_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("substances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_substances_kind"))
        batch_op.drop_index(batch_op.f("ix_substances_drug_class"))
        batch_op.drop_index(batch_op.f("ix_substances_cas"))

    op.drop_table("substances")
    op.drop_table("reference_sources")
    with op.batch_alter_table("reference_loads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_loads_checksum"))

    op.drop_table("reference_loads")
    op.drop_table("hs_codes")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_agency"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("agencies")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
