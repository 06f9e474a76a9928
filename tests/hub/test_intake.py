"""The intake transaction: dedup, resolve, threading and the outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from email.message import EmailMessage

import psycopg
import pytest
from sqlalchemy import func, select

from hub.catalogue import add_service
from hub.config import Settings
from hub.db import Database
from hub.desks import add_desk
from hub.domain import KEY_WIDTH, Action, Chosen, InboundEvent, Policy, RuleSpec
from hub.errors import BadInput, StorageUnavailable
from hub.intake import Intake, Raw
from hub.intake_writes import TURNS_PER_TRANSACTION, Outcome
from hub.migrate import upgrade
from hub.models import Contact, Event, Incident, Organisation, OutboxMessage, TimelineEntry
from hub.rulebook import add_rule
from hub.statements import DEDUP_TURNS
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake
from tests.servers import PostgresCluster, wait_until

RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def alert(key: str | None = "disk-db1", action: Action = Action.TRIGGER, **kw: object) -> InboundEvent:
    return InboundEvent(source="generic", title="Disk full on db1", dedup_key=key, action=action, **kw)  # type: ignore[arg-type]


@dataclass
class Store:
    db: Database
    intake: Intake


@pytest.fixture
def store(database: Database, settings: Settings) -> Store:
    """A migrated database of either kind, with the intake wired to it."""
    return Store(database, make_intake(settings, database))


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_first_event_opens_incident_routed_by_default_rule(store: Store) -> None:
    db, intake = store.db, store.intake
    outcome = intake.record(RAW, alert(severity="critical"))
    assert outcome.created and outcome.ref == f"INC-{outcome.incident_id}"
    with db.read() as s:
        incident = s.get(Incident, outcome.incident_id)
        assert incident is not None
        assert (incident.status, incident.priority, incident.category, incident.assignee) == (
            "open",
            1,
            "general",
            "service-desk",
        )


def test_repeat_with_same_dedup_key_counts_on_open_incident(store: Store) -> None:
    db, intake = store.db, store.intake
    first = intake.record(RAW, alert())
    again = intake.record(RAW, alert())
    assert again.incident_id == first.incident_id and again.occurrences == 2 and not again.created
    assert count(db, Incident) == 1 and count(db, Event) == 2


def test_resolve_closes_incident_and_next_trigger_opens_new_one(store: Store) -> None:
    intake = store.intake
    first = intake.record(RAW, alert())
    resolved = intake.record(RAW, alert(action=Action.RESOLVE))
    assert resolved.incident_id == first.incident_id and resolved.incident_status == "resolved"
    reopened = intake.record(RAW, alert())
    assert reopened.created and reopened.incident_id != first.incident_id


def test_resolve_for_unknown_key_is_stored_and_touches_nothing(store: Store) -> None:
    db, intake = store.db, store.intake
    outcome = intake.record(RAW, alert(key="never-seen", action=Action.RESOLVE))
    assert outcome.incident_id is None
    with db.read() as s:
        assert s.get(Event, outcome.event_id).status == "ignored"  # type: ignore[union-attr]
    assert count(db, Incident) == 0


def test_eight_concurrent_clients_with_one_dedup_key_make_one_incident(
    store: Store, database_url: str, settings: Settings
) -> None:
    """Eight clients, each with its own intake and connections (as separate web processes have), so their
    transactions really race and only the database's constraint keeps the incident single."""
    from hub.accounts import create_integration

    with store.db.transaction() as s:
        integration_id = create_integration(s, name="storm")[0].id
    raw = Raw("generic", "application/json", b"{}", integration_id)
    clients = [Database.connect(database_url, timeout=10) for _ in range(8)]
    intakes = [make_intake(settings, client) for client in clients]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda i: intakes[i % 8].record(raw, alert(key="storm")), range(80)))
    for client in clients:
        client.dispose()
    assert len({o.incident_id for o in outcomes}) == 1
    with store.db.read() as s:
        incidents = s.scalars(select(Incident)).all()
    assert len(incidents) == 1 and incidents[0].occurrences == 80


def test_incidents_opened_by_racing_clients_are_numbered_without_gaps(
    store: Store, database_url: str, settings: Settings
) -> None:
    """Clients racing to open the same keys' incidents: the losers count on the winners' incidents and use up no
    incident numbers, so people never look for an INC-n that does not exist."""
    clients = [Database.connect(database_url, timeout=10) for _ in range(8)]
    intakes = [make_intake(settings, client) for client in clients]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda n: intakes[n % 8].record(RAW, alert(key=f"disk-db{n // 8}")), range(64)))
    for client in clients:
        client.dispose()
    assert sorted({o.incident_id for o in outcomes}) == list(range(1, 9))


@pytest.mark.postgres
def test_a_connection_lost_mid_transaction_is_storage_unavailable_and_not_reused(
    postgres: PostgresCluster, settings: Settings
) -> None:
    """The database connection dies while an event's transaction waits (a failover, an admin's kill): the caller
    gets StorageUnavailable (503 or 451, so the sender retries), and the next event gets a fresh connection."""
    url = postgres.create_database(f"lost_{time.monotonic_ns()}")
    db = Database.connect(url, timeout=10)
    upgrade(db.engine)
    intake = make_intake(settings, db)
    libpq = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(libpq) as holder, ThreadPoolExecutor(1) as pool:
        holder.execute("SELECT pg_advisory_xact_lock(%s, hashtext('None:disk-db1'))", (DEDUP_TURNS,))
        waiting = pool.submit(intake.record, RAW, alert())  # queues for the key's turn, mid-transaction
        with psycopg.connect(libpq, autocommit=True) as admin:
            wait_until(lambda: _kill_waiting(admin), timeout=10, message="the event to wait for its turn")
        with pytest.raises(StorageUnavailable):
            waiting.result(timeout=10)
    again = intake.record(RAW, alert())
    assert again.created and count(db, Event) == 1
    db.dispose()


@pytest.mark.postgres
def test_a_batch_of_many_new_keys_takes_a_bounded_number_of_turns(
    postgres: PostgresCluster, settings: Settings
) -> None:
    """Every turn is a lock PostgreSQL keeps till the commit, in a table all sessions share: a batch of thousands
    of new keys would fill it. Keys past the bound take no turn, so a lock held on one of them holds nothing up."""
    url = postgres.create_database(f"turns_{time.monotonic_ns()}")
    db = Database.connect(url, timeout=10)
    upgrade(db.engine)
    intake = make_intake(settings, db)
    keys = [f"k{n}" for n in range(TURNS_PER_TRANSACTION + 50)]
    items = [(RAW, alert(key=key)) for key in keys]
    beyond = f"None:{sorted(keys)[TURNS_PER_TRANSACTION + 10]}"  # a batch takes its keys in their order
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as holder, ThreadPoolExecutor(1) as pool:
        holder.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DEDUP_TURNS, beyond))
        batch = pool.submit(intake.record_batch, items)
        outcomes = batch.result(timeout=20)  # would wait for the holder if that key took a turn
    assert len({o.incident_id for o in outcomes}) == len(items)
    db.dispose()


@pytest.mark.postgres
def test_two_batches_with_the_same_new_keys_in_opposite_orders_both_commit(
    postgres: PostgresCluster, settings: Settings
) -> None:
    """Each new key takes its turn (a lock kept till the commit) as the batch reaches it: taken in the order the
    sender listed them, two senders listing the same keys in opposite orders would each wait for the other, and
    PostgreSQL would abort one (a 503 its sender retries). Keys are taken in one order, so both go through."""
    url = postgres.create_database(f"orders_{time.monotonic_ns()}")
    db, other = Database.connect(url, timeout=10), Database.connect(url, timeout=10)  # two web processes
    upgrade(db.engine)
    one, two = make_intake(settings, db), make_intake(settings, other)
    with ThreadPoolExecutor(2) as pool:
        for round_ in range(5):
            keys = [f"r{round_}-k{n:02}" for n in range(20)]
            forward = pool.submit(one.record_batch, [(RAW, alert(key=k)) for k in keys])
            backward = pool.submit(two.record_batch, [(RAW, alert(key=k)) for k in reversed(keys)])
            ours, theirs = forward.result(timeout=30), backward.result(timeout=30)
            assert [o.incident_id for o in ours] == [o.incident_id for o in reversed(theirs)]  # answers in asked order
    assert count(db, Incident) == 100
    db.dispose()
    other.dispose()


@pytest.mark.postgres
def test_two_batches_whose_rule_gives_the_same_keys_in_opposite_orders_both_commit(
    postgres: PostgresCluster, settings: Settings
) -> None:
    """As above, when a rule sets the dedup key: the senders' keys sort alike, but the keys the rule gives them run
    in opposite orders. The batch is ordered by the rule's keys, so both go through."""
    url = postgres.create_database(f"rule_orders_{time.monotonic_ns()}")
    db, other = Database.connect(url, timeout=10), Database.connect(url, timeout=10)
    upgrade(db.engine)
    with db.transaction() as s:
        add_rule(s, RuleSpec(id=0, name="by host", when={"field": "labels.host", "op": "exists"},
                             actions={"dedup_key": "disk-{{ labels.host }}"}))  # fmt: skip
    one, two = make_intake(settings, db), make_intake(settings, other)
    with ThreadPoolExecutor(2) as pool:
        for round_ in range(5):
            hosts = [f"r{round_}-h{n:02}" for n in range(20)]
            sent = [f"s{n:02}" for n in range(20)]  # the senders' own keys, in the same order in both batches
            forward = pool.submit(
                one.record_batch, [(RAW, alert(key=k, labels={"host": h})) for k, h in zip(sent, hosts, strict=True)]
            )
            backward = pool.submit(
                two.record_batch,
                [(RAW, alert(key=k, labels={"host": h})) for k, h in zip(sent, reversed(hosts), strict=True)],
            )
            ours, theirs = forward.result(timeout=30), backward.result(timeout=30)
            assert [o.incident_id for o in ours] == [o.incident_id for o in reversed(theirs)]
    assert count(db, Incident) == 100
    db.dispose()
    other.dispose()


def _kill_waiting(admin: psycopg.Connection) -> bool:
    """Terminate the backend waiting on a lock, if there is one yet."""
    row = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()").fetchone()  # fmt: skip
    return bool(row and row[0])


def test_an_event_carrying_nul_characters_is_stored_on_either_database(store: Store) -> None:
    """JSON's `\\u0000` or a stray byte in a mail: PostgreSQL's text cannot hold NUL, so there it becomes U+FFFD;
    either way the event is kept and its incident opened, instead of a failure the sender would retry for ever."""
    event = alert(key="disk\x00db1", severity="critical", description="95%\x00 used", requester="ann\x00@example.com",
                  labels={"team\x00": "db\x00"})  # fmt: skip
    outcome = store.intake.record(RAW, replace(event, title="Disk\x00full"))
    with store.db.read() as s:
        incident = s.get(Incident, outcome.incident_id)
        assert incident is not None
        seen = (incident.title, incident.description, incident.dedup_key, incident.requester, incident.labels)
    nul = "\ufffd" if store.db.engine.dialect.name == "postgresql" else "\x00"
    assert seen == (
        f"Disk{nul}full",
        f"95%{nul} used",
        f"disk{nul}db1",
        f"ann{nul}@example.com",
        {"team\x00": "db\x00"},
    )
    assert store.intake.record(RAW, event).incident_id == outcome.incident_id  # the same key finds it again


def test_values_longer_than_their_columns_are_fitted_alike_on_either_database(store: Store) -> None:
    """PostgreSQL enforces column widths and SQLite does not: an alert with a 3,000-character key (and service,
    and requester) is kept on both, its key still finds its incident, and a key differing only at the end stays
    another incident."""
    long_key = "k" * 3000
    first = store.intake.record(RAW, alert(key=long_key, requester="a" * 400 + "@example.com",
                                           labels={"service": "s" * 300}))  # fmt: skip
    again = store.intake.record(RAW, alert(key=long_key))
    other = store.intake.record(RAW, alert(key=long_key[:-1] + "x"))
    assert again.incident_id == first.incident_id and again.occurrences == 2
    assert other.incident_id != first.incident_id
    with store.db.read() as s:
        incident = s.get(Incident, first.incident_id)
        assert incident is not None
        assert len(incident.dedup_key or "") == KEY_WIDTH and incident.dedup_key.startswith("kkk")  # type: ignore[union-attr]
        assert (incident.requester, incident.service) == (None, None)  # no address or service name is that long
        assert incident.labels["service"] == "s" * 300  # the label itself is kept whole


def test_a_sender_with_a_long_domain_is_a_contact_on_either_database(store: Store) -> None:
    """Organisations are named after their domain; a real one may be 253 characters, longer than a name, and
    one longer than any domain makes no organisation (PostgreSQL refused both, and so the mail)."""
    longest = ".".join(["a" * 62] * 4)[:245] + ".example"  # 253 characters
    for address in (f"ann@{longest}", f"bo@{'b' * 300}.example"):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = address, "helpdesk@localhost", "Printer on fire"
        msg.set_content("Third floor.")
        assert store_message(store.intake, msg.as_bytes()).incident_id is not None
    with store.db.read() as s:
        assert [(o.name, o.domain) for o in s.scalars(select(Organisation))] == [(longest[:200], longest)]
        assert len(s.scalars(select(Contact)).all()) == 2


def test_rule_added_ahead_of_default_wins_and_notifies_assigned_user(store: Store) -> None:
    from hub.accounts import create_user

    db, intake = store.db, store.intake
    with db.transaction() as s:
        create_user(s, email="oncall@example.com", password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="critical to on-call", field="severity", op="equals", value="critical",
                             set_category="outage", set_assignee="oncall@example.com"))  # fmt: skip
    outcome = intake.record(RAW, alert(severity="critical"))
    with db.read() as s:
        incident = s.get(Incident, outcome.incident_id)
        owed = s.scalars(select(OutboxMessage)).all()
    assert incident is not None and (incident.category, incident.assignee) == ("outage", "oncall@example.com")
    assert [(m.kind, m.recipient, m.status) for m in owed] == [("assigned", "oncall@example.com", "pending")]


def test_email_incident_owes_requester_an_acknowledgement(intake: Intake, db: Database) -> None:
    event = InboundEvent(source="email", title="Printer on fire", requester="ann@example.com",
                         message_id="<m1@example.com>")  # fmt: skip
    outcome = intake.record(Raw("email", "message/rfc822", b"..."), event)
    with db.read() as s:
        (ack,) = s.scalars(select(OutboxMessage)).all()
    assert ack.recipient == "ann@example.com" and ack.subject == f"[{outcome.ref}] Printer on fire"
    assert ack.headers["In-Reply-To"] == "<m1@example.com>" and ack.headers["Auto-Submitted"] == "auto-replied"


def test_the_acknowledgement_takes_the_installations_subject(intake: Intake, db: Database, settings: Settings) -> None:
    folder = settings.home / "templates" / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acknowledgement.subject").write_text("Got it: {{ reference }}\n")
    event = InboundEvent(source="email", title="Printer on fire", requester="ann@example.com")
    outcome = intake.record(Raw("email", "message/rfc822", b"..."), event)
    with db.read() as s:
        (ack,) = s.scalars(select(OutboxMessage)).all()
    assert ack.subject == f"Got it: {outcome.ref}"


def test_a_requests_acknowledgement_tells_its_template_the_kind(intake: Intake, db: Database) -> None:
    event = InboundEvent(source="email", title="A laptop, please", requester="ann@example.com",
                         message_id="<m2@example.com>", kind="request")  # fmt: skip
    intake.record(Raw("email", "message/rfc822", b"..."), event)
    with db.read() as s:
        (ack,) = s.scalars(select(OutboxMessage)).all()
    assert ack.template == "acknowledgement" and (ack.facts or {})["kind"] == "request"


def test_auto_submitted_email_gets_no_acknowledgement(intake: Intake, db: Database) -> None:
    event = InboundEvent(source="email", title="Out of office", requester="ann@example.com", auto_submitted=True)
    intake.record(Raw("email", "message/rfc822", b"..."), event)
    assert count(db, OutboxMessage) == 0 and count(db, Incident) == 1


def test_same_dedup_key_from_two_integrations_makes_two_incidents(store: Store) -> None:
    from hub.accounts import create_integration

    with store.db.transaction() as s:
        first, _ = create_integration(s, name="prom")
        second, _ = create_integration(s, name="grafana")
    a = store.intake.record(Raw("generic", "application/json", b"{}", first.id), alert(key="disk"))
    b = store.intake.record(Raw("generic", "application/json", b"{}", second.id), alert(key="disk"))
    again = store.intake.record(Raw("generic", "application/json", b"{}", first.id), alert(key="disk"))
    assert a.incident_id != b.incident_id and again.incident_id == a.incident_id and again.occurrences == 2


def test_acknowledge_moves_open_incident_to_acknowledged_and_it_still_absorbs_repeats(store: Store) -> None:
    opened = store.intake.record(RAW, alert())
    acked = store.intake.record(RAW, alert(action=Action.ACKNOWLEDGE))
    assert acked.incident_id == opened.incident_id and acked.incident_status == "acknowledged"
    repeat = store.intake.record(RAW, alert())
    assert repeat.incident_id == opened.incident_id and repeat.occurrences == 2


def test_acknowledge_for_unknown_key_is_stored_and_touches_nothing(store: Store) -> None:
    outcome = store.intake.record(RAW, alert(key="nope", action=Action.ACKNOWLEDGE))
    assert outcome.incident_id is None and count(store.db, Incident) == 0


def test_batch_is_applied_in_order_in_one_transaction(store: Store) -> None:
    outcomes = store.intake.record_batch(
        [
            (RAW, alert(key="a")),
            (RAW, alert(key="b")),
            (RAW, alert(key="a")),
            (RAW, alert(key="b", action=Action.RESOLVE)),
        ]
    )
    assert [o.created for o in outcomes] == [True, True, False, False]
    assert outcomes[2].occurrences == 2 and outcomes[3].incident_status == "resolved"


def test_resolve_owes_the_assigned_user_one_notice_and_repeats_owe_none(store: Store) -> None:
    from hub.accounts import create_user

    with store.db.transaction() as s:
        create_user(s, email="oncall@example.com", password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="to on-call", field="severity", op="equals", value="critical",
                             set_assignee="oncall@example.com"))  # fmt: skip
    for _ in range(3):
        store.intake.record(RAW, alert(severity="critical"))
    store.intake.record(RAW, alert(action=Action.RESOLVE))
    store.intake.record(RAW, alert(action=Action.RESOLVE))  # nothing open any more: no second notice
    with store.db.read() as s:
        kinds = [m.kind for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert kinds == ["assigned", "resolved"]


def test_trigger_within_the_reopen_window_reopens_the_resolved_incident(store: Store) -> None:
    first = store.intake.record(RAW, alert())
    store.intake.record(RAW, alert(action=Action.RESOLVE))
    again = store.intake.record(RAW, alert(), policy=Policy(reopen_window=600))
    assert again.incident_id == first.incident_id and again.incident_status == "open" and again.occurrences == 2
    with store.db.read() as s:
        kinds = list(s.scalars(select(TimelineEntry.kind).where(TimelineEntry.incident_id == first.incident_id)))
    assert kinds[-1] == "reopened"


def test_trigger_after_the_reopen_window_opens_a_new_incident(store: Store) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hub.models import utcnow

    first = store.intake.record(RAW, alert())
    store.intake.record(RAW, alert(action=Action.RESOLVE))
    with store.db.transaction() as s:  # it resolved an hour ago
        s.execute(update(Incident).values(resolved_at=utcnow() - timedelta(hours=1)))
    again = store.intake.record(RAW, alert(), policy=Policy(reopen_window=600))
    assert again.created and again.incident_id != first.incident_id


def test_threshold_holds_events_until_enough_arrive_then_opens_with_all_counted(store: Store) -> None:
    from hub.accounts import create_integration
    from hub.domain import Policy

    with store.db.transaction() as s:
        integration_id = create_integration(s, name="noisy")[0].id
    raw = Raw("generic", "application/json", b"{}", integration_id)
    policy = Policy(threshold=3, threshold_window=300)
    held = [store.intake.record(raw, alert(), policy=policy) for _ in range(2)]
    assert [o.incident_id for o in held] == [None, None]
    opened = store.intake.record(raw, alert(), policy=policy)
    assert opened.created and opened.occurrences == 3
    assert store.intake.record(raw, alert(), policy=policy).occurrences == 4
    with store.db.read() as s:
        statuses = list(s.scalars(select(Event.status).order_by(Event.id)))
    assert statuses == ["held", "held", "processed", "deduplicated"]


def test_threshold_count_starts_again_when_its_window_has_passed(store: Store) -> None:
    from sqlalchemy import update

    from hub.accounts import create_integration
    from hub.domain import Policy
    from hub.models import AlertCount, utcnow

    with store.db.transaction() as s:
        integration_id = create_integration(s, name="noisy")[0].id
    raw = Raw("generic", "application/json", b"{}", integration_id)
    policy = Policy(threshold=2, threshold_window=60)
    store.intake.record(raw, alert(), policy=policy)
    with store.db.transaction() as s:  # the first event was long ago
        from datetime import timedelta

        s.execute(update(AlertCount).values(first_at=utcnow() - timedelta(hours=1)))
    assert store.intake.record(raw, alert(), policy=policy).incident_id is None
    assert store.intake.record(raw, alert(), policy=policy).created


def test_mail_to_one_address_is_capped_and_the_cap_is_recorded(store: Store) -> None:
    from hub.outbox import PER_ADDRESS

    for n in range(PER_ADDRESS + 5):
        event = InboundEvent(source="email", title=f"Question {n}", requester="ann@example.com")
        store.intake.record(Raw("email", "message/rfc822", b"..."), event)
    with store.db.read() as s:
        sent = s.scalar(select(func.count()).select_from(OutboxMessage))
        capped = s.scalar(
            select(func.count()).where(TimelineEntry.summary.like("%not sent: 30 mails to this address%"))
        )
    assert (sent, capped) == (PER_ADDRESS, 5)


# -- a service's owner group --------------------------------------------------------------------------------------


def assignee_of(store: Store, outcome: Outcome) -> str | None:
    with store.db.read() as s:
        incident = s.get(Incident, outcome.incident_id)
        assert incident is not None
        return incident.assignee


@pytest.fixture
def payroll(store: Store) -> Store:
    """The catalogue's service `payroll`, looked after by the group `hr-it`."""
    with store.db.transaction() as s:
        add_service(s, name="payroll", owner_group="hr-it")
    return store


def test_an_incident_on_a_service_goes_to_its_owner_group_over_the_catch_all_rule(payroll: Store) -> None:
    outcome = payroll.intake.record(RAW, alert(labels={"service": "payroll"}))
    assert assignee_of(payroll, outcome) == "hr-it"  # not the seeded catch-all's "service-desk"
    with payroll.db.read() as s:
        trace = s.scalar(select(Event.trace).where(Event.id == outcome.event_id))
    assert trace["decision"]["assignee"] == "hr-it"
    assert trace["rules"][-1]["rule"] == "service payroll" and trace["rules"][-1]["sets"] == {"assignee": "hr-it"}


def test_a_rule_that_tests_the_event_wins_over_the_owner_group(payroll: Store) -> None:
    with payroll.db.transaction() as s:
        add_rule(s, RuleSpec(id=0, name="disks to storage", field="title", op="contains", value="Disk",
                             set_assignee="storage"))  # fmt: skip
    outcome = payroll.intake.record(RAW, alert(labels={"service": "payroll"}))
    assert assignee_of(payroll, outcome) == "storage"


def test_a_service_with_no_owner_group_leaves_the_rules_assignee(store: Store) -> None:
    with store.db.transaction() as s:
        add_service(s, name="payroll")
    outcome = store.intake.record(RAW, alert(labels={"service": "payroll"}))
    assert assignee_of(store, outcome) == "service-desk"


def test_a_service_the_catalogue_does_not_have_assigns_no_owner(payroll: Store) -> None:
    outcome = payroll.intake.record(RAW, alert(labels={"service": "payrol"}))
    assert assignee_of(payroll, outcome) == "service-desk"


def test_the_owner_group_of_the_service_a_rule_sets_takes_the_incident(payroll: Store) -> None:
    with payroll.db.transaction() as s:
        add_rule(s, RuleSpec(id=0, name="pay slips", when={"field": "title", "op": "contains", "value": "Disk"},
                             actions={"service": "payroll"}))  # fmt: skip
    outcome = payroll.intake.record(RAW, alert())
    assert assignee_of(payroll, outcome) == "hr-it"


def test_an_assignee_the_agent_chose_wins_over_the_owner_group(payroll: Store) -> None:
    chosen = Chosen(by="ann@example.com", assignee="network", service="payroll")
    outcome = payroll.intake.record(RAW, alert(key=None, chosen=chosen))
    assert assignee_of(payroll, outcome) == "network"


def test_a_desk_addresss_group_wins_over_the_owner_group(payroll: Store) -> None:
    with payroll.db.transaction() as s:
        add_desk(s, "payroll-help@example.com", group="payroll-desk")
    mail = replace(alert(key=None, labels={"service": "payroll"}), desk_address="payroll-help@example.com")
    outcome = payroll.intake.record(RAW, mail)
    assert assignee_of(payroll, outcome) == "payroll-desk"


def test_an_ignored_item_a_person_sends_is_kept_only_while_they_may_send_it(store: Store) -> None:
    def refused(conn: object) -> None:
        raise BadInput("no longer an admin")

    with pytest.raises(BadInput, match="no longer an admin"):
        store.intake.record_ignored(RAW, "a superseded deployment", guard=refused)
    assert count(store.db, Event) == 0
    kept = store.intake.record_ignored(RAW, "a superseded deployment", guard=lambda conn: None)
    with store.db.read() as s:
        event = s.get(Event, kept)
        assert event is not None and (event.status, event.error) == ("ignored", "a superseded deployment")
