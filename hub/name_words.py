"""Finding colleagues as one types, by the start of their address or of any word of their display name, through
an index either way: what the @mention box (hub/incident_notes.py) and the assignee fields (hub/assignees.py) ask
for past the few hundred their page lists.

An address is one text, read by a range on `users.email` (hub/prefix_match.py). A name is several words, and "sto"
should find Robert Stone, so each word of a display name is kept, folded, in `user_name_words` (migration 0045),
which a range on `word` reads the same way; no LIKE '%sto%' over every user. Folding takes accents and case off
(Zoë is found by "zoe", Ørsted by "orsted", Straße by "strasse"): what is typed goes through the same `words`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVarTuple

from sqlalchemy import Connection, Row, Select, delete, exists, insert
from sqlalchemy.orm import aliased

from hub.models import User, UserNameWord
from hub.prefix_match import in_code_point_order, starting_with

#: The columns a caller's select of users reads, kept in the rows it gets back.
Columns = TypeVarTuple("Columns")

#: A word is a run of letters and digits: spaces, hyphens, apostrophes and full stops part them ("Anne-Marie
#: O'Neil" is anne, marie, o, neil); the incident page sends each listed person's words to web/static/mentions.js.
_WORD = re.compile(r"[^\W_]+")
#: Letters that are not a letter and an accent to Unicode, so NFKD leaves them whole, folded as PostgreSQL's
#: `unaccent` folds them (migration 0044): Ørsted is found by "orsted", Łukasz by "lukasz". The one table: the
#: incident page hands it to web/static/mentions.js (data-mention-folding), which folds what is typed with it. ß is
#: for the script, whose toLowerCase keeps it; `casefold` here has made it ss already.
FOLDED = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d",
          "ß": "ss"}  # fmt: skip
_BARRED = str.maketrans(FOLDED)
#: The column's width; a name is at most 100 characters, but folding may lengthen a word (ﬃ is ffi).
WIDTH = 100


def words(text: str) -> list[str]:
    """The folded words of `text`, each once, in order: accents and other combining marks dropped, case folded."""
    # NFKD parts a letter from its accents (é is e and a combining acute) and ligatures into letters (ﬁ is fi).
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = plain.casefold().translate(_BARRED)
    return list(dict.fromkeys(word[:WIDTH] for word in _WORD.findall(plain)))


def keep(conn: Connection, user_id: int, display_name: str | None) -> None:
    """Make a person's indexed words those of `display_name` (none for None), in the transaction that sets it."""
    conn.execute(delete(UserNameWord).where(UserNameWord.user_id == user_id))
    if found := words(display_name or ""):
        conn.execute(insert(UserNameWord), [{"user_id": user_id, "word": word} for word in found])


def people_starting(conn: Connection, people: Select[*Columns], typed: str, most: int) -> list[Row[*Columns]]:
    """The rows of `people` (a select over users: its columns and who may be offered) whose address starts with
    `typed`, in code point order, then those whose display name has a word starting with each word of it, in
    the order of the word matched; each person once, at most `most` in all."""
    typed = typed.strip()
    address = starting_with(User.email, typed.lower())
    found = list(conn.execute(people.where(address).order_by(in_code_point_order(User.email)).limit(most)))
    named = named_starting(people.where(~address), typed)
    if named is not None and len(found) < most:
        found += conn.execute(named.limit(most - len(found)))
    return found


def named_starting(people: Select[*Columns], typed: str) -> Select[*Columns] | None:
    """`people` narrowed to those with a word of their name starting with each word of `typed`, ordered by the
    word the longest one matches (read through its index: the most telling), each person once (by the first of
    their words it matches); None when `typed` has no word, or is an address, which no name holds."""
    wanted = sorted(words(typed), key=len, reverse=True)
    if not wanted or "@" in typed:
        return None
    matched = aliased(UserNameWord)
    earlier = aliased(UserNameWord)
    query = people.join(matched, matched.user_id == User.id).where(
        starting_with(matched.word, wanted[0]),
        ~exists().where(earlier.user_id == User.id, starting_with(earlier.word, wanted[0]),
                        in_code_point_order(earlier.word) < in_code_point_order(matched.word)),
    )  # fmt: skip
    for other in wanted[1:]:
        also = aliased(UserNameWord)
        query = query.where(exists().where(also.user_id == User.id, starting_with(also.word, other)))
    return query.order_by(in_code_point_order(matched.word), matched.user_id)
