"""the words of people's display names kept whole and in parts where an apostrophe or a hyphen joins them

Until now "O'Brien" was kept as o and brien, and "Jean-Luc" as jean and luc, so "obrien" or "jean-luc" typed found
no one. hub/name_words.py now keeps such a name whole and in parts (obrien, o, brien); this migration rebuilds
`user_name_words` for the names already set, as 0045 filled it, and its downgrade rebuilds it as 0045 kept it. The
table and its index are unchanged.

Revision ID: 0048
Revises: 0047
"""

import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000  # users read a statement of the rebuild
WIDTH = 100
BARRED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "ŧ": "t", "æ": "ae", "œ": "oe",
                        "þ": "th", "ð": "d"})  # fmt: skip
JOINER = "['\u2019\u02bc\\-\u2010\u2011]"
RUN = "[^\\W_'\u2019\u02bc\\-\u2010\u2011]+"


def plain(text: str) -> str:
    """`text` without accents and case, the letters NFKD leaves whole folded."""
    return (
        "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        .casefold()
        .translate(BARRED)
    )


def words(text: str) -> list[str]:
    """hub/name_words.py `words` as it is when this is written (a migration does not follow the code as it changes
    later; tests/hub/test_migrations.py checks the two agree): each joined word whole, then its parts."""
    found: list[str] = []
    for compound in re.findall(f"{RUN}(?:{JOINER}{RUN})*", plain(text)):
        parts = [part for part in re.split(JOINER, compound) if part]
        found += ["".join(parts), *parts] if len(parts) > 1 else parts
    return list(dict.fromkeys(word[:WIDTH] for word in found))


def parted(text: str) -> list[str]:
    """The words as 0045 kept them: runs of letters and digits, an apostrophe or a hyphen parting them."""
    return list(dict.fromkeys(word[:WIDTH] for word in re.findall(r"[^\W_]+", plain(text))))


def rebuild(kept: Callable[[str], list[str]]) -> None:
    """Every display name's words as `kept` finds them, by batches of users."""
    conn = op.get_bind()
    table = sa.table("user_name_words", sa.column("user_id", sa.Integer()), sa.column("word", sa.String(WIDTH)))
    conn.execute(sa.delete(table))
    named = sa.text("SELECT id, display_name FROM users WHERE display_name IS NOT NULL AND id > :after ORDER BY id "
                    f"LIMIT {BATCH}")  # fmt: skip
    after = 0
    while rows := conn.execute(named, {"after": after}).all():
        found = [{"user_id": row.id, "word": word} for row in rows for word in kept(row.display_name)]
        if found:
            conn.execute(sa.insert(table), found)
        after = rows[-1].id


def upgrade() -> None:
    rebuild(words)


def downgrade() -> None:
    rebuild(parted)
