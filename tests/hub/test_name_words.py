"""Colleagues found by a word of their display name as one types (hub/name_words.py), by the @mention box and the
assignee fields alike, after those found by address; on SQLite and PostgreSQL, through the index on the words."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from hub import accounts, assignees, incident_notes, name_words
from hub.db import Database
from hub.models import User, UserNameWord, utcnow
from tests.plans import plan


@pytest.fixture
def db(database: Database) -> Database:
    """A migrated database of either kind: names are matched the same way on both."""
    return database


def _hire(db: Database, *people: tuple[str, str], role: str = "agent") -> None:
    """People with these (address, display name), made as `switchboard user create --name` makes them."""
    with db.transaction() as session:
        for email, name in people:
            accounts.create_user(session, email=email, password="correct horse battery", role=role, display_name=name)


def _mentioned(db: Database, typed: str, most: int = 20) -> list[tuple[str, str, str | None]]:
    with db.read() as session:
        return [(s.address, s.handle, s.name) for s in incident_notes.mentionable_starting(session.connection(), typed,
                                                                                            most)]  # fmt: skip


def _assignable(db: Database, typed: str, most: int = 20) -> list[str]:
    with db.read() as session:
        return assignees.starting(session.connection(), typed, most=most)


def test_a_names_words_are_its_runs_of_letters_and_digits_without_accents_or_case() -> None:
    assert name_words.words("J. Smith, jr") == ["j", "smith", "jr"]
    assert name_words.words("Zoë ØRSTED, Łukasz Straße") == ["zoe", "orsted", "lukasz", "strasse"]
    assert name_words.words("Agent 007 and agent_7") == ["agent", "007", "and", "7"]  # each once; _ parts words
    assert name_words.words("ﬁnn") == ["finn"] and name_words.words(" - ") == []


def test_a_colleague_is_offered_by_a_word_of_their_name_after_those_by_address_with_their_handle(db: Database) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"), ("rob@example.com", ""), ("ann@example.com", "Ann Lee"))
    assert _mentioned(db, "ro") == [("rob@example.com", "rob", None), ("bob@example.com", "bob", "Robert Stone")]
    assert _mentioned(db, "STO") == [("bob@example.com", "bob", "Robert Stone")]
    assert _mentioned(db, "lee") == [("ann@example.com", "ann", "Ann Lee")]


def test_a_person_found_by_address_and_name_or_by_two_words_is_offered_once(db: Database) -> None:
    _hire(db, ("rob@example.com", "Rob Robertson"), ("ann@example.com", "Rosa Rowe"))
    assert _mentioned(db, "ro") == [
        ("rob@example.com", "rob", "Rob Robertson"),
        ("ann@example.com", "ann", "Rosa Rowe"),
    ]
    assert _assignable(db, "ro") == ["rob@example.com", "ann@example.com"]


def test_accents_and_case_typed_or_named_do_not_matter(db: Database) -> None:
    _hire(db, ("zoe@example.com", "Zoë Ørsted"))
    for typed in ("zoe", "ZOË", "ors", "Ørs"):
        assert _assignable(db, typed) == ["zoe@example.com"], typed


def test_those_read_are_matched_by_address_then_in_the_order_of_the_word_matched_and_at_most_so_many(
    db: Database,
) -> None:
    _hire(db, ("c@example.com", "Sam Stoker"), ("a@example.com", "Tom Stone"), ("b@example.com", "Stan Smith"),
          ("stu@example.com", ""))  # fmt: skip
    assert _assignable(db, "st", most=2) == ["b@example.com", "stu@example.com"]  # Stoker and Stone not read
    assert {address for address, _, _ in _mentioned(db, "st", most=3)} == {"stu@example.com", "b@example.com",
                                                                            "c@example.com"}  # fmt: skip


def test_those_found_are_listed_best_match_first_then_by_name(db: Database) -> None:
    """Whose name or address starts with what is typed before those with a later word that does; then by name."""
    _hire(db, ("c@example.com", "Sam Stoker"), ("a@example.com", "Tom Stone"), ("b@example.com", "Stan Smith"),
          ("stu@example.com", ""))  # fmt: skip
    assert _assignable(db, "st") == ["b@example.com", "stu@example.com", "c@example.com", "a@example.com"]
    assert [address for address, _, _ in _mentioned(db, "st")] == ["b@example.com", "stu@example.com",
                                                                    "c@example.com", "a@example.com"]  # fmt: skip


def test_a_handle_or_whole_name_typed_exactly_comes_first(db: Database) -> None:
    _hire(db, ("al@example.com", "Zed Alder"), ("albert@example.com", "Albert Ames"), ("ann@example.com", "Al"))
    assert _assignable(db, "al") == ["ann@example.com", "al@example.com", "albert@example.com"]  # Al, Zed Alder


def test_names_are_listed_as_people_read_them_accents_and_case_aside(db: Database) -> None:
    _hire(db, ("a@example.com", "Erik Lund"), ("b@example.com", "émile Lund"), ("c@example.com", "Emil Lund"))
    assert _assignable(db, "lund") == ["c@example.com", "b@example.com", "a@example.com"]  # Emil, Émile, Erik


def test_namesakes_are_listed_by_address_and_the_nameless_by_their_address_among_names(db: Database) -> None:
    _hire(db, ("z@example.com", "Kim Lee"), ("k@example.com", "Kim Lee"), ("kimberly@example.com", ""),
          ("kate@example.com", "Kate Moss"))  # fmt: skip
    with db.read() as session:
        listed = assignees.first_people(session.connection()).people  # what the page lists before anything is typed
    assert listed == ("kate@example.com", "k@example.com", "z@example.com", "kimberly@example.com")


def test_a_name_joined_by_an_apostrophe_or_a_hyphen_is_kept_whole_and_in_parts() -> None:
    assert name_words.words("Anne-Marie  O'Neil") == ["annemarie", "anne", "marie", "oneil", "o", "neil"]
    assert name_words.words("D\u2019Angelo Smith - Jones") == ["dangelo", "d", "angelo", "smith", "jones"]
    assert name_words.typed_words("o'neil JEAN-luc d\u2019a") == ["oneil", "jeanluc", "da"]


@pytest.mark.parametrize("typed", ["obrien", "o'brien", "O\u2019Bri", "brien"])
def test_o_brien_is_found_by_the_whole_name_or_its_part(db: Database, typed: str) -> None:
    _hire(db, ("sean@example.com", "Seán O'Brien"), ("ob@example.com", "Olive Brown"))
    assert _assignable(db, typed) == ["sean@example.com"]


@pytest.mark.parametrize("typed", ["jeanluc", "jean-luc", "luc", "jean"])
def test_jean_luc_is_found_by_the_whole_name_or_a_part(db: Database, typed: str) -> None:
    _hire(db, ("jl@example.com", "Jean-Luc Picard"), ("jd@example.com", "Jean Dupont"))
    assert _assignable(db, typed) == (["jd@example.com", "jl@example.com"] if typed == "jean" else ["jl@example.com"])


def test_every_word_typed_in_an_assignee_field_must_start_a_word_of_the_name(db: Database) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"), ("rs@example.com", "Robert Smith"))
    assert _assignable(db, "robert st") == ["bob@example.com"]
    assert _assignable(db, "Stone, Rob") == ["bob@example.com"]
    assert _assignable(db, "robert") == ["rs@example.com", "bob@example.com"]  # Smith, Stone


def test_an_address_typed_is_not_looked_for_among_names(db: Database) -> None:
    _hire(db, ("ann@example.com", "Example Person"))
    assert _assignable(db, "person@example") == [] and _mentioned(db, "x@example") == []


def test_renaming_a_person_moves_their_words_and_a_blank_name_takes_them_away(db: Database) -> None:
    _hire(db, ("ann@example.com", "Ann Lee"))
    with db.transaction() as session:
        accounts.set_display_name(session, "ann@example.com", "Ann Stone")
    assert _assignable(db, "sto") == ["ann@example.com"] and _assignable(db, "lee") == []
    with db.transaction() as session:
        accounts.set_display_name(session, "ann@example.com", "  ")
    assert _assignable(db, "sto") == []
    with db.read() as session:
        assert session.scalars(select(UserNameWord.word)).all() == []


def test_a_disabled_person_or_one_who_works_no_incidents_is_not_found_by_name(db: Database) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"), ("sam@example.com", "Sam Stokes"))
    _hire(db, ("val@example.com", "Val Stott"), role="viewer")
    with db.transaction() as session:
        accounts.change_user(session, "bob@example.com", active=False)
    assert _mentioned(db, "sto") == [("sam@example.com", "sam", "Sam Stokes"), ("val@example.com", "val", "Val Stott")]
    assert _assignable(db, "sto") == ["sam@example.com"]  # a viewer is not given incidents


def test_wildcards_typed_are_punctuation_between_words_not_wildcards(db: Database) -> None:
    _hire(db, ("ann@example.com", "Ann Lee"))
    assert _assignable(db, "%") == [] and _assignable(db, "_") == [] and _assignable(db, "%ee") == []
    assert _assignable(db, "l_e") == []  # "l" and "e": Lee starts with one, no word of the name with the other


def test_names_are_read_through_the_index_on_their_words_in_its_order(db: Database) -> None:
    with db.transaction() as session:
        session.execute(insert(User), [{"email": f"user{i:05d}@example.com", "password_hash": "x", "role": "agent",
                                        "active": True, "created_at": utcnow()} for i in range(5000)])  # fmt: skip
        ids = session.scalars(select(User.id)).all()
        session.execute(insert(UserNameWord), [{"user_id": i, "word": word} for i in ids
                                               for word in (f"name{i:05d}", "smith")])  # fmt: skip
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE users"))
            session.execute(text("ANALYZE user_name_words"))
    query = name_words.named_starting(select(User.email).where(User.active.is_(True)), "name0001")
    assert query is not None
    found = plan(db, query.limit(20))
    if db.engine.dialect.name == "sqlite":
        assert "USING COVERING INDEX ix_user_name_words_word (word>? AND word<?)" in found, found
        assert "TEMP B-TREE" not in found and "SCAN" not in found, found  # in the index's order, nothing read whole
    else:
        assert "ix_user_name_words_word" in found and "Seq Scan" not in found and "Sort" not in found, found
