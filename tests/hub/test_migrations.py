"""Migrations are the schema: they must build exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from hub import incident_words, name_words
from hub.db import Database
from hub.migrate import alembic_config, upgrade
from hub.models import Base
from hub.prefix_match import in_code_point_order

#: The PostgreSQL-only indexes on `column COLLATE "C"` (hub/prefix_match.py). SQLAlchemy reflects one as an index on
#: the plain column (PostgreSQL keeps it as the column with another collation, which reflection does not report),
#: so the models' comparison leaves them out and test_code_point_indexes_are_on_the_collated_columns checks them.
CODE_POINT_INDEXES = {
    index.name: index
    for table in Base.metadata.tables.values()
    for index in table.indexes
    if isinstance(next(iter(index.expressions), None), in_code_point_order)
}


def _compared(thing: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Not the code-point indexes, nor the words' index (hub/incident_words.py: a different thing on each database,
    so outside the models; test_0044_indexes_the_words_of_incidents_already_there and the search's tests check it)."""
    words = type_ == "table" and name is not None and name.split("_")[:2] == incident_words.TABLE.split("_")
    return not (type_ == "index" and name in CODE_POINT_INDEXES) and not words


@pytest.mark.empty_database
# SQLite's reflection cannot read an index on an expression, so there the comparison leaves it out (PostgreSQL's
# compares it); test_requester_index_serves_lower_cased_lookups checks it on SQLite.
@pytest.mark.filterwarnings("ignore:.*expression-based index ix_incidents_requester_lower")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_upgrade_builds_the_schema_the_models_describe(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _compared})
        assert compare_metadata(context, Base.metadata) == []
    db.dispose()


@pytest.mark.empty_database
def test_code_point_indexes_are_on_the_collated_columns(database_url: str) -> None:
    """On PostgreSQL each is on `column COLLATE "C"`, what prefix lookups compare. SQLite has none of those on a
    unique column (its indexes on the plain columns sort by code point already), and the names' words' on the
    plain column."""
    expected = {"ix_configuration_items_name_key_c": ("configuration_items", 'name_key COLLATE "C"'),
                "ix_users_email_c": ("users", 'email COLLATE "C"'), "ix_groups_name_c": ("groups", 'name COLLATE "C"'),
                "ix_user_name_words_word": ("user_name_words", 'word COLLATE "C", user_id')}  # fmt: skip
    assert set(CODE_POINT_INDEXES) == set(expected)
    db = Database.connect(database_url)
    upgrade(db.engine)
    for name, (table, columns) in expected.items():
        made = {found["name"]: found["column_names"] for found in inspect(db.engine).get_indexes(table)}
        if db.engine.dialect.name == "sqlite":
            assert made.get(name) == (["word", "user_id"] if table == "user_name_words" else None), name
            continue
        with db.engine.connect() as conn:
            definition = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name})
        assert definition == f"CREATE INDEX {name} ON public.{table} USING btree ({columns})"
    db.dispose()


@pytest.mark.empty_database
def test_upgrade_twice_is_harmless_and_downgrade_removes_everything(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine)
    upgrade(db.engine)
    command.downgrade(alembic_config(database_url), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.dispose()


@pytest.mark.empty_database
def test_0023_keeps_emails_files_and_its_downgrade_drops_only_agents_files(database_url: str) -> None:
    """Agents' files (migration 0023) belong to a timeline entry: an email's file listed before the upgrade keeps
    its event, and the downgrade, whose schema cannot list an agent's file, removes only those."""
    db = Database.connect(database_url)
    config = alembic_config(database_url)
    upgrade(db.engine, "0022")
    events, incidents, entries = (Base.metadata.tables[name] for name in ("events", "incidents", "timeline_entries"))
    file = {"filename": "a.pdf", "content_type": "application/pdf", "size": 1, "sha256": "0" * 64, "inline": False,
            "stored": True}  # fmt: skip
    with db.engine.begin() as conn:
        incident = conn.execute(insert(incidents).values(title="Printer", source="email")).inserted_primary_key[0]
        event = conn.execute(insert(events).values(source="email", content_type="message/rfc822", raw=b"Subject: x",
                                                   incident_id=incident)).inserted_primary_key[0]  # fmt: skip
        entry = conn.execute(insert(entries).values(incident_id=incident, kind="note", summary="Note by bob"))
        conn.execute(text("INSERT INTO attachments (event_id, incident_id, filename, content_type, size, sha256, "
                          "inline, stored) VALUES (:event, :incident, :filename, :content_type, :size, :sha256, "
                          ":inline, :stored)"), {"event": event, "incident": incident, **file})  # fmt: skip
    command.upgrade(config, "0023")
    attachments = Base.metadata.tables["attachments"]
    note = entry.inserted_primary_key[0]
    with db.engine.begin() as conn:
        conn.execute(insert(attachments).values(timeline_entry_id=note, incident_id=incident, **file))
        assert conn.execute(select(attachments.c.event_id).order_by(attachments.c.id)).scalars().all() == [event, None]
    command.downgrade(config, "0022")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT event_id FROM attachments")).scalars().all() == [event]
    assert "timeline_entry_id" not in {c["name"] for c in inspect(db.engine).get_columns("attachments")}
    assert "attachment_ids" not in {c["name"] for c in inspect(db.engine).get_columns("outbox")}
    command.upgrade(config, "head")
    db.dispose()


@pytest.mark.empty_database
def test_0027_reads_the_completed_waits_back_from_the_timeline(database_url: str) -> None:
    """Waits before 0027 left only timeline entries: each "waiting" entry and the first "No longer waiting" after it
    make one completed wait; one set waiting again before it ended (resolved while waiting), or still waiting, none."""
    db = Database.connect(database_url)
    upgrade(db.engine, "0026")
    incidents, entries = (Base.metadata.tables[name] for name in ("incidents", "timeline_entries"))
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    timeline = [(0, "waiting", "Waiting on the requester (set by bob@example.com); SLA clocks paused"),
                (2, "open", "No longer waiting (the requester replied); SLA clocks run again"),
                (3, "waiting", "Waiting on the requester (set by bob@example.com); SLA clocks paused"),
                (4, "resolved", "Resolved by bob@example.com"),
                (5, "reopened", "Reopened by ann@example.com"),
                (6, "waiting", "Waiting on the requester (set by bob@example.com); SLA clocks paused"),
                (9, "acknowledged", "No longer waiting (resumed by bob@example.com); SLA clocks run again"),
                (10, "waiting", "Waiting on the requester (set by bob@example.com); SLA clocks paused")]  # fmt: skip
    with db.engine.begin() as conn:
        incident = conn.execute(insert(incidents).values(title="Printer", source="email")).inserted_primary_key[0]
        conn.execute(insert(entries), [{"incident_id": incident, "at": t0 + timedelta(hours=hours), "kind": kind,
                                        "summary": summary} for hours, kind, summary in timeline])  # fmt: skip
    upgrade(db.engine, "0027")
    waits = Base.metadata.tables["sla_waits"]
    with db.engine.connect() as conn:
        found = conn.execute(select(waits.c.incident_id, waits.c.started_at, waits.c.ended_at).order_by(waits.c.id))
        assert found.all() == [(incident, t0, t0 + timedelta(hours=2)),
                               (incident, t0 + timedelta(hours=6), t0 + timedelta(hours=9))]  # fmt: skip
    db.dispose()


@pytest.mark.empty_database
def test_0030_gives_services_no_major_incident_group_and_its_downgrade_keeps_the_services(database_url: str) -> None:
    """Services before 0030 page the installation's major-incident group, as they did; the downgrade forgets only
    the services' own groups."""
    db = Database.connect(database_url)
    config = alembic_config(database_url)
    upgrade(db.engine, "0029")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO services (name, owner_group, description, public, created_at) "
                          "VALUES ('payroll', 'payroll-ops', '', false, CURRENT_TIMESTAMP)"))  # fmt: skip
    upgrade(db.engine, "0030")
    services = Base.metadata.tables["services"]
    with db.engine.begin() as conn:
        assert conn.execute(select(services.c.name, services.c.major_group)).all() == [("payroll", None)]
        conn.execute(services.update().values(major_group="payroll-mim"))
    command.downgrade(config, "0029")
    assert "major_group" not in {c["name"] for c in inspect(db.engine).get_columns("services")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name, owner_group FROM services")).all() == [("payroll", "payroll-ops")]
    command.upgrade(config, "head")
    db.dispose()


@pytest.mark.empty_database
def test_0040_clears_the_carried_out_time_a_close_gave_only_to_rejected_changes(database_url: str) -> None:
    """A close stamped `implemented_at` on rejected changes too; one approved and carried out, and a deploy, keep
    theirs."""
    db = Database.connect(database_url)
    upgrade(db.engine, "0039")
    changes, approvals = Base.metadata.tables["changes"], Base.metadata.tables["change_approvals"]
    when = datetime(2026, 3, 1, 22, tzinfo=UTC)
    both = ["ann@example.com", "bob@example.com"]
    rows = [("Rejected", "normal", "manual", "reject"), ("Carried out", "normal", "manual", "approve"),
            ("Deploy", "standard", "deploy", None)]  # fmt: skip
    with db.engine.begin() as conn:
        for number, (title, kind, source, decision) in enumerate(rows, start=1):
            conn.execute(insert(changes).values(id=number, title=title, type=kind, state="closed", source=source,
                                                requested_by="cli", implemented_at=when,
                                                approvers=both if decision else [],
                                                required_approvals=1 if decision else 0))  # fmt: skip
            if decision:
                conn.execute(insert(approvals).values(change_id=number, approver="ann@example.com", decision=decision))
    upgrade(db.engine, "0040")
    with db.engine.connect() as conn:
        dated = conn.execute(select(changes.c.title, changes.c.implemented_at).order_by(changes.c.id)).all()
    assert dated == [("Rejected", None), ("Carried out", when), ("Deploy", when)]
    db.dispose()


@pytest.mark.parametrize("owners", [{"event_id": None, "timeline_entry_id": None}, {}], ids=["neither", "both"])
def test_an_attachment_belongs_to_exactly_one_of_an_email_and_a_note_or_reply(
    database: Database, owners: dict[str, object]
) -> None:
    events, incidents, entries = (Base.metadata.tables[name] for name in ("events", "incidents", "timeline_entries"))
    with database.engine.begin() as conn:
        incident = conn.execute(insert(incidents).values(title="Printer", source="email")).inserted_primary_key[0]
        event = conn.execute(insert(events).values(source="email", content_type="message/rfc822",
                                                   raw=b"Subject: x")).inserted_primary_key[0]  # fmt: skip
        entry = conn.execute(insert(entries).values(incident_id=incident, kind="note", summary="Note by bob"))
    row = {"event_id": event, "timeline_entry_id": entry.inserted_primary_key[0], **owners, "incident_id": incident,
           "filename": "a.pdf", "content_type": "application/pdf", "size": 1, "sha256": "0" * 64}  # fmt: skip
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert(Base.metadata.tables["attachments"]).values(**row))


def test_requester_index_serves_lower_cased_lookups(db: Database) -> None:
    """ "My requests", the list's requester filter, export and erasure compare lower(requester): SQLite must find
    those incidents through the index, not by reading them all."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner reads a table this small whole, whatever its indexes")
    with db.read() as session:
        plan = session.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM incidents WHERE lower(requester) = 'ann@example.com'")
        ).all()
    assert "ix_incidents_requester_lower" in " ".join(str(row) for row in plan)


@pytest.mark.empty_database
def test_0044_indexes_the_words_of_incidents_already_there_and_its_downgrade_drops_them(database_url: str) -> None:
    """The backfill (by batches of ids) finds each incident made before 0044 by its words; the downgrade leaves no
    table, trigger or function behind, and incidents are written as before it."""
    db = Database.connect(database_url)
    config = alembic_config(database_url)
    upgrade(db.engine, "0043")
    incidents = Base.metadata.tables["incidents"]
    with db.engine.begin() as conn:
        titles = [f"Disk full on host-{n}" for n in range(3)] + ["Café closed"]
        conn.execute(insert(incidents), [{"title": title, "source": "email", "description": ""} for title in titles])
        conn.execute(text("UPDATE incidents SET id = id + 25000 WHERE title = 'Café closed'"))  # past a batch
    upgrade(db.engine, "0044")
    with db.engine.connect() as conn:
        assert conn.execute(select(incidents.c.id).where(incident_words.matching(incidents.c.id, "cafe"))).scalars(
            ).all() == [25004]  # fmt: skip
        assert len(conn.execute(select(incidents.c.id).where(incident_words.matching(incidents.c.id, "disk host"))
                                ).all()) == 3  # fmt: skip
    command.downgrade(config, "0043")
    assert not {name for name in inspect(db.engine).get_table_names() if name.startswith(incident_words.TABLE)}
    with db.engine.begin() as conn:
        conn.execute(insert(incidents).values(title="After", source="email"))
        conn.execute(text("UPDATE incidents SET title = 'Later'"))
        if db.engine.dialect.name == "postgresql":
            assert conn.scalar(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'incident_words%'")) == 0
    db.dispose()


@pytest.mark.empty_database
def test_0045_indexes_the_words_of_names_already_set_as_the_accounts_do_and_its_downgrade_drops_them(
    database_url: str,
) -> None:
    """The backfill (by batches of users) keeps the words hub/name_words.py kept then (its own copy of `words`: an
    apostrophe parted them; 0048 joins them); the downgrade drops the table and its index."""
    db = Database.connect(database_url)
    upgrade(db.engine, "0044")
    users = Base.metadata.tables["users"]
    names = {"ann@example.com": "Ann Lee", "zoe@example.com": "Zoë Ørsted-Ǆuric Łukasz", "bob@example.com": None,
             "ob@example.com": "O'Brien ﬁnn STRAßE"}  # fmt: skip
    with db.engine.begin() as conn:
        conn.execute(insert(users), [{"email": email, "display_name": name, "password_hash": "x", "role": "agent",
                                      "active": True, "created_at": datetime.now(UTC)}
                                     for email, name in names.items()])  # fmt: skip
    upgrade(db.engine, "0045")
    kept = Base.metadata.tables["user_name_words"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(users.c.email, kept.c.word).join(kept, kept.c.user_id == users.c.id)).all()
    found: dict[str, set[str]] = {}
    for email, word in rows:
        found.setdefault(email, set()).add(word)
    assert found == {"ann@example.com": {"ann", "lee"}, "zoe@example.com": {"zoe", "orsted", "dzuric", "lukasz"},
                     "ob@example.com": {"o", "brien", "finn", "strasse"}}  # fmt: skip
    command.downgrade(alembic_config(database_url), "0044")
    assert "user_name_words" not in inspect(db.engine).get_table_names()
    db.dispose()


def _name_words(db: Database) -> dict[str, set[str]]:
    """Each person's indexed words, by address."""
    users, kept = Base.metadata.tables["users"], Base.metadata.tables["user_name_words"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(users.c.email, kept.c.word).join(kept, kept.c.user_id == users.c.id)).all()
    found: dict[str, set[str]] = {}
    for email, word in rows:
        found.setdefault(email, set()).add(word)
    return found


@pytest.mark.empty_database
def test_0048_keeps_the_names_already_set_whole_and_in_parts_as_the_accounts_do_and_its_downgrade_parts_them(
    database_url: str,
) -> None:
    """The rebuild keeps the words hub/name_words.py would (its own copy of `words`, which must fold as that does),
    for users past a batch too; the downgrade goes back to 0045's."""
    db = Database.connect(database_url)
    upgrade(db.engine, "0047")
    users = Base.metadata.tables["users"]
    names = {"ob@example.com": "Seán O'Brien", "jl@example.com": "Jean-Luc D\u2019Angelo", "ann@example.com": "Ann Lee",
             "bob@example.com": None}  # fmt: skip
    with db.engine.begin() as conn:
        conn.execute(insert(users), [{"email": email, "display_name": name, "password_hash": "x", "role": "agent",
                                      "active": True, "created_at": datetime.now(UTC)}
                                     for email, name in names.items()])  # fmt: skip
        conn.execute(text("UPDATE users SET id = id + 7000 WHERE email = 'jl@example.com'"))  # past a batch
        conn.execute(text("INSERT INTO user_name_words (user_id, word) SELECT id, 'stale' FROM users WHERE email = "
                          "'ann@example.com'"))  # fmt: skip
    upgrade(db.engine, "0048")
    assert _name_words(db) == {email: set(name_words.words(name)) for email, name in names.items() if name}
    assert _name_words(db)["jl@example.com"] == {"jeanluc", "jean", "luc", "dangelo", "d", "angelo"}
    command.downgrade(alembic_config(database_url), "0047")
    assert _name_words(db) == {"ob@example.com": {"sean", "o", "brien"}, "ann@example.com": {"ann", "lee"},
                               "jl@example.com": {"jean", "luc", "d", "angelo"}}  # fmt: skip
    db.dispose()


@pytest.mark.empty_database
def test_0050_makes_every_incident_there_an_incident_and_its_downgrade_drops_the_kind(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine, "0049")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO incidents (title, description, status, priority, severity, source, occurrences,"
                          " first_seen, last_seen, labels) VALUES ('Printer', '', 'open', 3, 'unknown', 'email', 1,"
                          " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}')"))  # fmt: skip
    upgrade(db.engine, "0050")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT kind FROM incidents")).scalars().all() == ["incident"]
    command.downgrade(alembic_config(database_url), "0049")
    assert "kind" not in {c["name"] for c in inspect(db.engine).get_columns("incidents")}
    db.dispose()


@pytest.mark.empty_database
def test_0051_leaves_every_policy_there_for_both_kinds_and_its_downgrade_drops_the_kind(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine, "0050")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO sla_policies (name, priority, resolution, warn_at, created_at) VALUES "
                          "('P1', 1, 3600, 0.75, CURRENT_TIMESTAMP)"))  # fmt: skip
    upgrade(db.engine, "0051")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT kind FROM sla_policies")).scalars().all() == [None]
    command.downgrade(alembic_config(database_url), "0050")
    assert "kind" not in {c["name"] for c in inspect(db.engine).get_columns("sla_policies")}
    db.dispose()


@pytest.mark.empty_database
def test_0058_marks_only_requests_a_request_types_approver_rejected_and_its_downgrade_drops_the_mark(
    database_url: str,
) -> None:
    """Of three requests resolved "Not approved by boss@...", only the one with the boss's rejection of its type's
    approval on it was their no: the others' words were typed (no approval; an agent's own approval, no type)."""
    db = Database.connect(database_url)
    upgrade(db.engine, "0057")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, "
                          "timeline_newest_first) VALUES (1, 'boss@example.com', 'x', 'viewer', true, "
                          "CURRENT_TIMESTAMP, false)"))  # fmt: skip
        conn.execute(text("INSERT INTO request_types (id, name, summary, description, questions, active, position, "
                          "created_at) VALUES (1, 'Laptop', '', '', '[]', true, 0, CURRENT_TIMESTAMP)"))  # fmt: skip
        for number, type_id in ((1, 1), (2, None), (3, None)):
            conn.execute(text("INSERT INTO incidents (id, title, description, status, priority, severity, source, "
                              "occurrences, first_seen, last_seen, labels, resolution) VALUES (:id, 'Laptop', '', "
                              "'resolved', 3, 'unknown', 'email', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', "
                              "'Not approved by boss@example.com: no')"), {"id": number})  # fmt: skip
            if number != 3:
                conn.execute(text("INSERT INTO approvals (incident_id, approver_id, note, state, comment, asked_at, "
                                  "request_type_id) VALUES (:id, 1, '', 'rejected', 'no', CURRENT_TIMESTAMP, :type)"),
                             {"id": number, "type": type_id})  # fmt: skip
    upgrade(db.engine, "0058")
    with db.engine.connect() as conn:
        marked = conn.execute(text("SELECT id FROM incidents WHERE not_approved")).scalars().all()
    assert marked == [1]
    command.downgrade(alembic_config(database_url), "0057")
    assert "not_approved" not in {c["name"] for c in inspect(db.engine).get_columns("incidents")}
    db.dispose()


@pytest.mark.empty_database
def test_0062_keeps_each_generic_integrations_current_mapping_as_its_first(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine, "0061")
    with db.engine.begin() as conn:
        for number, kind, mapping in ((1, "generic", '{"title": "alert.text"}'), (2, "generic", None),
                                      (3, "alertmanager", None)):  # fmt: skip
            conn.execute(text("INSERT INTO integrations (id, name, kind, secret_hash, enabled, mapping, created_at) "
                              "VALUES (:id, :name, :kind, :hash, true, :mapping, CURRENT_TIMESTAMP)"),
                         {"id": number, "name": f"i{number}", "kind": kind, "hash": f"h{number}",
                          "mapping": mapping})  # fmt: skip
    upgrade(db.engine, "0062")
    with db.engine.connect() as conn:
        kept = conn.execute(text("SELECT integration_id, spec FROM integration_mappings ORDER BY id")).all()
    assert [(i, json.loads(s) if isinstance(s, str) else s) for i, s in kept] == [(1, {"title": "alert.text"}),
                                                                                  (2, None)]  # fmt: skip
    db.dispose()
