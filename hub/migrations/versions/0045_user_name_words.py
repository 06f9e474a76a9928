"""the words of people's display names, indexed, so the suggestions find a colleague by name as by address

`user_name_words` (user_id, word) holds each word of a display name, folded (accents and case off), and an index
on (word, user_id) in code point order (COLLATE "C" on PostgreSQL, as migration 0033's), so "sto" finds Robert
Stone by a range on `word`, as an address is found by one on `users.email` (hub/name_words.py). hub/accounts.py
keeps it in step with `users.display_name`; this migration fills it for the names already set. The rows go with
their user (ON DELETE CASCADE).

Revision ID: 0045
Revises: 0044
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000  # users read a statement of the backfill
WIDTH = 100
BARRED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "ŧ": "t", "æ": "ae", "œ": "oe",
                        "þ": "th", "ð": "d"})  # fmt: skip


def words(text: str) -> list[str]:
    """hub/name_words.py `words` as it was when this was written (a migration does not follow the code as it
    changes later; tests/hub/test_migrations.py checks the two agree)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = plain.casefold().translate(BARRED)
    return list(dict.fromkeys(word[:WIDTH] for word in re.findall(r"[^\W_]+", plain)))


def upgrade() -> None:
    table = op.create_table(
        "user_name_words",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("word", sa.String(WIDTH), primary_key=True),
    )
    conn = op.get_bind()
    word = sa.text('word COLLATE "C"') if conn.dialect.name == "postgresql" else "word"
    op.create_index("ix_user_name_words_word", "user_name_words", [word, "user_id"])
    named = sa.text("SELECT id, display_name FROM users WHERE display_name IS NOT NULL AND id > :after ORDER BY id "
                    f"LIMIT {BATCH}")  # fmt: skip
    after = 0
    while rows := conn.execute(named, {"after": after}).all():
        found = [{"user_id": row.id, "word": word} for row in rows for word in words(row.display_name)]
        if found:
            conn.execute(sa.insert(table), found)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_user_name_words_word", table_name="user_name_words")
    op.drop_table("user_name_words")
