"""Renaming and removing a service on a real database: every row that names it follows in one transaction, what
events say is listed rather than rewritten, and removal is refused while something live names it. On SQLite and
PostgreSQL (the JSON lists of status subscribers and the rules, and the row locks, are the databases')."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import catalogue_rows, cis, condition_values, revisions, rulebook, silences
from hub.catalogue import Targets, add_policy, add_service
from hub.db import Database
from hub.domain import Action, InboundEvent, Matcher, RuleSpec
from hub.errors import BadField
from hub.intake import Intake, Raw
from hub.models import (
    Change,
    ConfigurationItem,
    FreezeWindow,
    Incident,
    PendingRequest,
    Problem,
    Rule,
    RuleVersion,
    Service,
    StatusSnapshot,
    StatusSubscriber,
    TimelineEntry,
    utcnow,
)
from hub.service_references import (
    References,
    Removed,
    Renamed,
    ServiceInUse,
    describe_removal,
    describe_rename,
    references,
    remove_service,
    rename_service,
)
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
H = timedelta(hours=1)


def alert(key: str, service: str = "mail", action: Action = Action.TRIGGER) -> InboundEvent:
    """A critical alert on `service`: a P1 incident on it."""
    return InboundEvent(source="generic", title=f"{key} down", severity="critical", dedup_key=key, action=action,
                        labels={"service": service})  # fmt: skip


def open_on_mail(intake: Intake, key: str = "mx1") -> int:
    return intake.record(RAW, alert(key)).incident_id or 0


def rename(db: Database, old: str = "mail", new: str = "email") -> Renamed:
    with db.transaction() as session:
        return rename_service(session, old, new, author="root@example.com")


def remove(db: Database, name: str = "mail") -> Removed:
    with db.transaction() as session:
        return remove_service(session, name)


@pytest.fixture
def mail(db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")


def named(session: Session, name: str) -> dict[str, int]:
    """How many rows of each kind name the service `name`."""
    kinds = {"incidents": Incident.service, "CIs": ConfigurationItem.service, "problems": Problem.service,
             "changes": Change.service, "change freezes": FreezeWindow.service,
             "help-centre requests": PendingRequest.service, "status snapshots": StatusSnapshot.service}  # fmt: skip
    return {what: len(session.scalars(select(column).where(column == name)).all()) for what, column in kinds.items()}


def everything_naming_mail(session: Session, intake: Intake) -> None:
    """One row of each kind that keeps a service's name, each naming mail."""
    now = utcnow()
    cis.create(session, cis.CiFields(name="mx1", kind="server", service="mail"))
    session.add_all([
        Problem(title="Mail bounces", service="mail", category="outage", match_key="service:mail:outage",
                created_by="ann@example.com"),
        Change(title="Patch Exchange", service="mail", type="normal", requested_by="ann@example.com"),
        FreezeWindow(name="Year end", starts_at=now, ends_at=now + H, service="mail", created_by="ann@example.com"),
        PendingRequest(email="bob@example.org", subject="No mail", body="Since 9", service="mail"),
        StatusSnapshot(service="mail", seen="{}"),
        StatusSubscriber(email="carol@example.org", confirmed_at=now, services=["vpn", "mail"]),
    ])  # fmt: skip


# -- renaming -------------------------------------------------------------------------------------------------------


def test_every_row_naming_a_service_follows_its_rename(db: Database, intake: Intake, mail: None) -> None:
    open_on_mail(intake)
    with db.transaction() as session:
        everything_naming_mail(session, intake)
    done = rename(db)
    assert done.moved == (("incidents", 1), ("CIs", 1), ("problems", 1), ("changes", 1), ("change freezes", 1),
                          ("help-centre requests", 1))  # fmt: skip
    assert done.subscribers == 1
    with db.read() as session:
        assert set(named(session, "mail").values()) == {0}
        assert set(named(session, "email").values()) == {1}
        assert session.scalar(select(StatusSubscriber.services)) == ["vpn", "email"]
        assert session.scalar(select(Problem.match_key)) == "service:email:outage"  # its next incidents still join
        assert session.scalars(select(Service.name)).all() == ["email"]


def test_unresolved_incidents_keep_their_clocks_and_policy_through_a_rename(
    db: Database, intake: Intake, mail: None
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1 mail", priority=1, service="mail", targets=Targets(resolution=2 * H))
    opened = open_on_mail(intake)
    with db.read() as session:
        before = session.get(Incident, opened)
    assert rename(db).moved == (("incidents", 1), ("SLA policies", 1))
    with db.read() as session:
        after = session.get(Incident, opened)
        assert before is not None and after is not None
        assert (after.service, after.sla_policy_id, after.sla_due_at) == ("email", before.sla_policy_id,
                                                                          before.sla_due_at)  # fmt: skip
        assert session.scalar(select(TimelineEntry.id).where(TimelineEntry.summary.contains("re-planned"))) is None
    later = intake.record(RAW, alert("mx2", service="email")).incident_id or 0
    with db.read() as session:
        renamed = session.get(Incident, later)
        assert renamed is not None and renamed.sla_due_at == renamed.first_seen + 2 * H  # the policy follows the name


def test_rules_that_set_the_service_set_the_new_name_recorded_as_one_rule_version(
    db: Database, intake: Intake, mail: None
) -> None:
    with db.transaction() as session:
        for name in ("MX alerts", "Exchange alerts"):
            when = {"field": "labels.host", "op": "starts_with", "value": name[:2].lower()}
            rulebook.add_rule(session, RuleSpec(id=0, name=name, when=when, actions={"service": "mail"}))
        versions = len(session.scalars(select(RuleVersion)).all())
    assert rename(db).rules == ("Exchange alerts", "MX alerts")
    with db.read() as session:
        mine = session.scalars(select(Rule).where(Rule.name.in_(["MX alerts", "Exchange alerts"])))
        assert {r.name: r.actions["service"] for r in mine} == {"MX alerts": "email", "Exchange alerts": "email"}
        newest = session.scalars(select(RuleVersion).order_by(RuleVersion.id.desc())).first()
        assert newest is not None and newest.id == versions + 1
        assert (newest.author, newest.summary) == ("root@example.com", "service 'mail' renamed to 'email'")
    opened = intake.record(RAW, InboundEvent(source="generic", title="down", dedup_key="x", labels={"host": "mx9"}))
    with db.read() as session:
        assert session.scalar(select(Incident.service).where(Incident.id == opened.incident_id)) == "email"


def test_rules_and_silences_testing_an_events_label_are_left_as_they_are_and_listed(db: Database, mail: None) -> None:
    with db.transaction() as session:
        when = {"any": [{"field": "service", "op": "in", "value": ["MAIL", "smtp"]}]}
        rulebook.add_rule(session, RuleSpec(id=0, name="Mail to messaging", when=when, actions={"group": "msg"}))
        silence = silences.add_silence(session, matchers=[Matcher("labels.service", "=", "mail")],
                                       ends_at=utcnow() + H, created_by="ann@example.com")  # fmt: skip
        silence_id = silence.id
    done = rename(db)
    assert (done.testing_rules, done.silences) == (("Mail to messaging",), (silence_id,))
    with db.read() as session:
        assert session.scalar(select(Rule.condition).where(Rule.name == "Mail to messaging")) == when
    assert describe_rename(done) == (
        "service mail renamed to email. Still testing an event's service label for 'mail', which alerts keep "
        f"sending: rule 'Mail to messaging' and silence {silence_id}; change them where they meant the catalogue's "
        "service"
    )


def test_a_rename_bumps_the_revisions_of_the_sla_book_and_the_cis(db: Database, mail: None) -> None:
    with db.transaction() as session:
        cis.create(session, cis.CiFields(name="mx1", kind="server", service="mail"))

    def seen() -> tuple[int, int]:
        with db.read() as session:
            found = revisions.Revisions().of(session.connection())
            return found.get(catalogue_rows.SLA_REVISION, 0), found.get(cis.CI_REVISION, 0)

    before = seen()
    rename(db)
    assert seen() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("vpn", "already a service named 'vpn'; two services are not made one by renaming"),
        (" mail ", "the service is named 'mail' already"),
        ("", "a service needs a name of 1 to 100 characters"),
        ("policies/mail", "cannot start with 'policies/': /services/policies/... are the SLA policies' pages"),
    ],
)
def test_a_rename_that_cannot_be_made_is_refused_about_the_new_name_and_changes_nothing(
    db: Database, intake: Intake, mail: None, new: str, message: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="vpn")
    opened = open_on_mail(intake)
    with pytest.raises(BadField, match=message) as refused:
        rename(db, new=new)
    assert refused.value.field == "new_name"
    with db.read() as session:
        assert session.scalar(select(Incident.service).where(Incident.id == opened)) == "mail"


def test_what_a_rename_moved_is_said_in_words() -> None:
    done = Renamed("mail", "email", (("incidents", 3), ("CIs", 1)), 2, ("MX alerts",), (), ())
    assert describe_rename(done) == (
        "service mail renamed to email; 3 incidents, 1 CI, 2 status-page subscribers' choices follow; "
        "rule 'MX alerts' now sets it"
    )


# -- removing -------------------------------------------------------------------------------------------------------


def test_removal_is_refused_while_unresolved_incidents_name_it_saying_which(
    db: Database, intake: Intake, mail: None
) -> None:
    opened = [open_on_mail(intake, f"mx{n}") for n in range(7)]
    intake.record(RAW, alert("mx0", action=Action.RESOLVE))
    with pytest.raises(ServiceInUse) as refused:
        remove(db)
    refs = ", ".join(f"INC-{n}" for n in opened[1:6])
    assert str(refused.value) == (
        f"6 unresolved incidents ({refs}, …) still name service 'mail': resolve the incidents or put them on another "
        "service, then remove it"
    )
    assert refused.value.references.unresolved == (("open", 6),)
    with db.read() as session:
        assert session.scalars(select(Service.name)).all() == ["mail"]


def test_removal_is_refused_while_a_policy_names_it_or_a_rule_sets_it(db: Database, mail: None) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1 mail", priority=1, service="mail", targets=Targets(resolution=4 * H))
        rulebook.add_rule(session, RuleSpec(id=0, name="MX alerts", when={"field": "labels.host", "op": "exists"},
                                            actions={"service": "mail"}))  # fmt: skip
    with pytest.raises(ServiceInUse) as refused:
        remove(db)
    assert str(refused.value) == (
        "SLA policy 'P1 mail', rule 'MX alerts' setting it still name service 'mail': give the policies another "
        "service or remove them, change what the rules set, then remove it"
    )


def test_the_refusal_says_names_of_one_thing_and_name_of_several() -> None:
    def why(policies: tuple[str, ...], rules: tuple[tuple[int, str], ...]) -> str:
        found = References("mail", (), (), (), policies, rules, (), (), 0)
        return found.why_not_removed().split(":")[0]

    assert why(("P1 mail",), ()) == "SLA policy 'P1 mail' still names service 'mail'"
    assert why((), ((3, "MX alerts"),)) == "rule 'MX alerts' setting it still names service 'mail'"
    assert why(("P1 mail", "P2 mail"), ()) == "SLA policies 'P1 mail', 'P2 mail' still name service 'mail'"


def test_a_removed_service_leaves_records_their_name_and_what_would_lead_nowhere_no_name(
    db: Database, intake: Intake, mail: None
) -> None:
    open_on_mail(intake)
    intake.record(RAW, alert("mx1", action=Action.RESOLVE))
    with db.transaction() as session:
        everything_naming_mail(session, intake)
    done = remove(db)
    assert done == Removed("mail", cleared=(("CIs", 1), ("help-centre requests", 1)), subscribers=1,
                           kept=(("incidents", 1), ("problems", 1), ("changes", 1), ("change freezes", 1)))  # fmt: skip
    with db.read() as session:
        assert named(session, "mail") == {"incidents": 1, "CIs": 0, "problems": 1, "changes": 1, "change freezes": 1,
                                          "help-centre requests": 0, "status snapshots": 0}  # fmt: skip
        assert session.scalar(select(StatusSubscriber.services)) == ["vpn"]
        assert session.scalars(select(Service.name)).all() == []
    assert describe_removal(done) == (
        "service mail removed; no longer naming it: 1 CI, 1 help-centre request, 1 status-page subscriber's "
        "choice; keeping its name as a record: 1 incident, 1 problem, 1 change, 1 change freeze"
    )


def test_references_gather_what_the_page_shows_before_a_rename_or_removal(
    db: Database, intake: Intake, mail: None
) -> None:
    opened = open_on_mail(intake)
    with db.transaction() as session:
        add_policy(session, name="P1 mail", priority=1, service="mail", targets=Targets(resolution=4 * H))
        session.add(StatusSubscriber(email="carol@example.org", confirmed_at=utcnow(), services=["mail"]))
        session.add(StatusSubscriber(email="dan@example.org", confirmed_at=utcnow(), services=None))
    with db.read() as session:
        found = references(session, "mail")
    assert (found.rows, found.unresolved, found.first_unresolved) == (
        (("incidents", 1), ("SLA policies", 1)), (("open", 1),), (opened,)
    )  # fmt: skip
    assert (found.policies, found.subscribers, found.blocks_removal) == (("P1 mail",), 1, True)


@pytest.mark.parametrize(
    ("condition", "names_it"),
    [
        ({"field": "service", "op": "equals", "value": "Mail"}, True),
        ({"field": "labels.service", "op": "in", "value": ["smtp", "mail"]}, True),
        ({"not": {"all": [{"field": "source", "op": "exists"}, {"field": "service", "op": "equals", "value": "mail"}]}},
         True),
        ({"field": "service", "op": "equals", "value": "mailbox"}, False),
        ({"field": "labels.host", "op": "equals", "value": "mail"}, False),
        ({"field": "service", "op": "exists"}, False),
    ],
)  # fmt: skip
def test_a_condition_names_a_service_where_it_compares_the_label_with_its_name(
    condition: dict[str, object], names_it: bool
) -> None:
    assert condition_values.names_value(condition, rulebook.SERVICE_FIELDS, "mail") is names_it
