"""Watched names and addresses in the normal form entity screening uses.

Entries of kind name or address were folded to ASCII by dropping what has no ASCII letter
(ß, ø, CJK); ``watchfloor.identifiers`` transliterates instead (ß becomes ss, 张 zhang), as
entity screening always did. The stored forms are made again so that both agree. The rule
is written out here, not imported: a migration must mean the same thing whatever the code
becomes.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op
from unidecode import unidecode

revision = "0016_watchlist_name_keys"
down_revision = "0015_sqlite_timestamp_text"
branch_labels = None
depends_on = None

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(unidecode(unicodedata.normalize("NFKC", text)).lower())


def upgrade() -> None:
    bind = op.get_bind()
    entries = sa.table(
        "watchlist_entries",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("value", sa.String),
        sa.column("normalised", sa.String),
    )
    rows = bind.execute(
        sa.select(entries.c.id, entries.c.kind, entries.c.value, entries.c.normalised).where(
            entries.c.kind.in_(("name", "address"))
        )
    ).all()
    for id_, kind, value, old in rows:
        words = _words(value)
        new = " ".join(sorted(words) if kind == "name" else words)
        if new and new != old:
            bind.execute(entries.update().where(entries.c.id == id_).values(normalised=new))


def downgrade() -> None:
    pass  # the ASCII-only form lost letters; there is nothing to go back to
