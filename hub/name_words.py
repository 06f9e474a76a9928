"""Finding colleagues as one types, by the start of their address or of any word of their display name, through
an index either way: what the @mention box (hub/incident_notes.py) and the assignee fields (hub/assignees.py) ask
for past the few hundred their page lists.

An address is one text, read by a range on `users.email` (hub/prefix_match.py). A name is several words, and "sto"
should find Robert Stone, so each word of a display name is kept, folded, in `user_name_words` (migration 0045),
which a range on `word` reads the same way; no LIKE '%sto%' over every user. Folding takes accents and case off
(Zoë is found by "zoe", Ørsted by "orsted", Straße by "strasse"), and what is typed is folded the same way
(`typed_words`). A name joined by an apostrophe or a hyphen is kept whole and in parts (migration 0048): O'Brien is
found by "obrien", "o'brien" and "brien", Jean-Luc by "jean-luc" and "luc".

What is found is listed as people read it (`sort_key`): the best matches first, then by name, not by address.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVarTuple

from sqlalchemy import Connection, Row, Select, delete, exists, insert
from sqlalchemy.orm import aliased

from hub.addresses import APOSTROPHES
from hub.models import User, UserNameWord
from hub.prefix_match import in_code_point_order, starting_with

#: The columns a caller's select of users reads, kept in the rows it gets back.
Columns = TypeVarTuple("Columns")

#: Marks that join the parts of one name rather than part two: apostrophes (straight, typographic, modifier letter)
#: and hyphens. "O'Brien" is kept as obrien, o and brien, so it is found by "obrien", "o'brien" and "brien" alike.
JOINERS = f"{APOSTROPHES}-\u2010\u2011"
_JOINER = f"[{re.escape(JOINERS)}]"
_RUN = rf"[^\W_{re.escape(JOINERS)}]+"
#: A name's word is a run of letters and digits, or several joined ("Anne-Marie O'Neil" is annemarie and its parts
#: anne and marie, oneil, o and neil); spaces, full stops and the like part them. The incident page sends each
#: listed person's words to web/static/mentions.js.
_COMPOUND = re.compile(rf"{_RUN}(?:{_JOINER}{_RUN})*")
_WORD = re.compile(r"[^\W_]+")
#: Letters that are not a letter and an accent to Unicode, so NFKD leaves them whole, folded as PostgreSQL's
#: `unaccent` folds them (migration 0044): Ørsted is found by "orsted", Łukasz by "lukasz". ß is for the script,
#: whose toLowerCase keeps it; `casefold` here has made it ss already.
_LETTERS = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th",
            "ð": "d", "ß": "ss"}  # fmt: skip
#: How what is typed is folded after accents and case: those letters, and the joiners taken out ("o'brien" is
#: obrien). The one table: the incident page hands it to web/static/mentions.js (data-mention-folding), which folds
#: what is typed with it, as `typed_words` does here.
FOLDED = {**_LETTERS, **dict.fromkeys(JOINERS, "")}
_BARRED = str.maketrans(_LETTERS)
_JOINED = str.maketrans(FOLDED)
#: The column's width; a name is at most 100 characters, but folding may lengthen a word (ﬃ is ffi).
WIDTH = 100


def _plain(text: str) -> str:
    """`text` without accents or other combining marks, case folded, the letters NFKD leaves whole folded."""
    # NFKD parts a letter from its accents (é is e and a combining acute) and ligatures into letters (ﬁ is fi).
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.casefold().translate(_BARRED)


def words(text: str) -> list[str]:
    """The folded words a name is found by, each once, in order: each joined word whole, then its parts."""
    found: list[str] = []
    for compound in _COMPOUND.findall(_plain(text)):
        parts = [part for part in re.split(_JOINER, compound) if part]
        found += ["".join(parts), *parts] if len(parts) > 1 else parts
    return list(dict.fromkeys(word[:WIDTH] for word in found))


def typed_words(text: str) -> list[str]:
    """The folded words of what is typed, each once, in order: a joined word whole ("o'brien" is obrien, which
    starts a word of O'Brien's name; so does "brien"), as web/static/mentions.js folds it with `FOLDED`."""
    return list(dict.fromkeys(word[:WIDTH] for word in _WORD.findall(_plain(text).translate(_JOINED))))


def sort_key(address: str, name: str | None, typed: str = "") -> tuple[int, str, str]:
    """Where a person goes in a list of suggestions for `typed`: the best matches first (0: their handle, address
    or whole name is what was typed; 1: their address or name starts with it; 2: a later word of their name does),
    then by name as people read names (folded: Emil, Émile, Erik), by address where they have none, and by
    address between namesakes. web/static/mentions.js orders the note box's list the same way."""
    typed = typed.strip().lower()
    said = " ".join(typed_words(typed))
    named = " ".join(typed_words(name or ""))
    if typed in (address, address.partition("@")[0]) or (named and said == named):
        best = 0
    elif address.startswith(typed) or (named and named.startswith(said)):
        best = 1
    else:
        best = 2
    return best, named or address, address


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
    wanted = sorted(typed_words(typed), key=len, reverse=True)
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
