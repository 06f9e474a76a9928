"""Configuration items: what they may be, how incidents are linked to them (by the intake, cheaply, and by hand),
and the CSV import; storage on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, text

from hub import accounts, ci_import, ci_links, cis, revisions, triage
from hub.agent_action import Actor, TriageError
from hub.catalogue import add_service
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.errors import BadInput, Missing
from hub.intake import Intake, Raw
from hub.models import ConfigurationItem, Incident, TimelineEntry, utcnow
from hub.prefix_match import upper_bound
from hub.rulebook import add_rule
from ingest.pipeline import make_intake
from tests.conftest import migrated_database
from tests.docs import fenced, run_as_printed
from tests.plans import plan

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
AGENT = Actor("ann@example.com")


def alert(key: str = "disk", **labels: str) -> InboundEvent:
    return InboundEvent(source="generic", title="Disk full", dedup_key=key, labels=labels)


@pytest.fixture
def db(database: Database) -> Database:
    """A migrated database of either kind, with the services `mail` and `web` in the catalogue."""
    with database.transaction() as session:
        add_service(session, name="mail")
        add_service(session, name="web")
    return database


@pytest.fixture
def intake(db: Database, settings: Settings) -> Intake:
    return make_intake(settings, db)


def add(db: Database, name: str, kind: str = "server", **fields: Any) -> None:
    with db.transaction() as session:
        cis.create(session, cis.CiFields(name=name, kind=kind, **fields))


def incident(db: Database, incident_id: int | None) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the intake looked up in the database (each one query)."""
    looked: list[str] = []
    real = ci_links._ACTIVE.first

    def counting(conn: Any, params: dict[str, Any]) -> Any:
        looked.append(params["key"])
        return real(conn, params)

    monkeypatch.setattr(ci_links._ACTIVE, "first", counting)
    return looked


# -- what a CI may be (pure) ----------------------------------------------------------------------------------------


def test_the_ci_label_wins_then_host_hostname_instance_node() -> None:
    assert ci_links.named_in({"node": "n1", "host": "h1", "ci": "app"}) == "app"
    assert ci_links.named_in({"node": "n1", "hostname": "h2"}) == "h2"
    assert ci_links.named_in({"instance": "db1:9100", "node": "n1"}) == "db1"
    assert ci_links.named_in({"team": "db", "host": "  "}) is None


@pytest.mark.parametrize(
    ("instance", "host"),
    [("db1:9100", "db1"), ("db1.example.com", "db1.example.com"), ("[2001:db8::1]:9100", "2001:db8::1"),
     ("2001:db8::1", "2001:db8::1"), ("db1:metrics", "db1:metrics")],
)  # fmt: skip
def test_an_instance_loses_its_port_and_only_its_port(instance: str, host: str) -> None:
    assert ci_links.without_port(instance) == host


@pytest.mark.parametrize(
    ("fields", "why"),
    [(cis.CiFields("db/1", "server"), "without '/'"), (cis.CiFields("new", "server"), "address of a page"),
     (cis.CiFields("db1", "mainframe"), "kind must be one of"), (cis.CiFields("db1", "server", service="nope"),
     "no service 'nope'"), (cis.CiFields("db1", "server", attributes={"ip": {"v4": "x"}}), "not dict"),
     (cis.CiFields("db1", "server", owner="a\nb"), "one line")],
)  # fmt: skip
def test_what_cannot_be_a_ci_is_refused_saying_why(fields: cis.CiFields, why: str) -> None:
    with pytest.raises(BadInput, match=why):
        cis.checked(fields, {"mail"})


def test_fields_are_cleaned_and_numbers_become_text() -> None:
    given = cis.CiFields(" db1 ", " Server ", service=" ", owner="", attributes={"port": 5432, "ssd": True, "x": ""})
    cleaned = cis.CiFields("db1", "server", None, None, "", {"port": "5432", "ssd": "true"})
    assert cis.checked(given, {"mail"}) == cleaned


def test_attribute_lines_read_as_key_value_and_name_a_bad_line() -> None:
    assert cis.parse_attributes("ip = 10.0.0.5\n\nlocation=rack 4=b") == {"ip": "10.0.0.5", "location": "rack 4=b"}
    with pytest.raises(BadInput, match="line 2"):
        cis.parse_attributes("ip=1\nrack 4")


# -- storage ------------------------------------------------------------------------------------------------------


def test_names_are_unique_whatever_their_case(db: Database) -> None:
    add(db, "DB1")
    with pytest.raises(BadInput, match="already a CI named 'db1'"):
        add(db, "db1")
    with db.read() as session:
        assert cis.get(session, "db1").name == "DB1"


def test_put_creates_then_updates_then_changes_nothing(db: Database) -> None:
    fields = cis.CiFields("db1", "database", service="mail", attributes={"ip": "10.0.0.5"})
    outcomes = []
    for given in (fields, fields, cis.CiFields("db1", "database", service="mail", attributes={"ip": "10.0.0.6"})):
        with db.transaction() as session:
            outcomes.append(cis.put(session, given)[1])
    assert outcomes == ["created", "unchanged", "updated"]


def test_only_changes_that_move_links_make_the_intake_look_again(db: Database) -> None:
    def version() -> int:
        with db.read() as session:
            return revisions.Revisions().of(session.connection()).get(cis.CI_REVISION, 0)

    add(db, "db1")
    created = version()
    with db.transaction() as session:
        cis.change(session, cis.get(session, "db1"), cis.CiFields("db1", "server", attributes={"rack": "4"}))
    assert version() == created  # attributes are not what links go by
    with db.transaction() as session:
        cis.change(session, cis.get(session, "db1"), cis.CiFields("db1", "server", service="mail"))
    assert version() == created + 1


def test_a_ci_with_incidents_is_retired_not_removed(db: Database, intake: Intake) -> None:
    add(db, "db1")
    add(db, "typo")
    intake.record(RAW, alert(host="db1"))
    with db.transaction() as session, pytest.raises(BadInput, match="retire it instead"):
        cis.remove(session, "db1")
    with db.transaction() as session:
        assert cis.remove(session, "typo") == "typo"
        assert cis.retire(session, "db1").status == "retired"
    with db.read() as session:
        assert cis.find(session, "typo") is None
        assert [row.name for row in cis.listing(session, cis.CiFilter(status="retired"))] == ["db1"]


def test_dependencies_show_both_ways_and_never_on_itself(db: Database) -> None:
    for name in ("app", "db1", "san"):
        add(db, name)
    with db.transaction() as session:
        cis.set_dependencies(session, cis.get(session, "app"), ["db1"])
        cis.set_dependencies(session, cis.get(session, "db1"), ["SAN"])
        with pytest.raises(BadInput, match="itself"):
            cis.set_dependencies(session, cis.get(session, "san"), ["san"])
        with pytest.raises(Missing, match="no CI 'nas'"):
            cis.set_dependencies(session, cis.get(session, "san"), ["nas"])
    with db.read() as session:
        db1 = cis.get(session, "db1")
        assert [c.name for c in cis.depends_on(session, db1.id)] == ["san"]
        assert [c.name for c in cis.dependents(session, db1.id)] == ["app"]


def test_search_finds_words_in_name_owner_and_description_and_filters_narrow(db: Database) -> None:
    add(db, "db1", "database", service="mail", owner="dba", description="Primary 100% SSD")
    add(db, "web1", service="web", owner="webteam")
    with db.read() as session:

        def names(**wanted: Any) -> list[str]:
            return [row.name for row in cis.listing(session, cis.CiFilter(**wanted))]

        assert names(query="DBA") == ["db1"] and names(query="100%") == ["db1"] and names(query="_") == []
        assert names(kind="server") == ["web1"] and names(service="mail") == ["db1"] and names() == ["db1", "web1"]


# -- linking by the intake ---------------------------------------------------------------------------------------


def test_an_alert_naming_a_host_is_linked_to_that_ci_and_takes_its_service(db: Database, intake: Intake) -> None:
    add(db, "DB1.example.com", service="mail")
    outcome = intake.record(RAW, alert(host="db1.EXAMPLE.com"))
    opened = incident(db, outcome.incident_id)
    assert (opened.ci is not None and opened.ci.name, opened.service) == ("DB1.example.com", "mail")
    with db.read() as session:
        summary = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "opened")).one()
    assert "CI DB1.example.com (service mail)" in summary


def test_a_prometheus_instance_is_linked_without_its_port(db: Database, intake: Intake) -> None:
    add(db, "db1")
    assert incident(db, intake.record(RAW, alert(instance="db1:9100")).incident_id).ci_id is not None


def linked(db: Database, intake: Intake, key: str = "disk", **labels: str) -> str | None:
    """The name of the CI an alert with `labels` is linked to, if any."""
    opened = incident(db, intake.record(RAW, alert(key, **labels)).incident_id)
    return opened.ci.name if opened.ci is not None else None


def test_an_alert_giving_the_full_name_finds_the_ci_named_by_its_short_name(db: Database, intake: Intake) -> None:
    add(db, "db1")
    assert linked(db, intake, instance="DB1.example.com:9100") == "db1"


def test_an_alert_giving_the_short_name_finds_the_one_ci_of_that_name_in_some_domain(
    db: Database, intake: Intake
) -> None:
    add(db, "db1.example.com")
    add(db, "db10.example.com")
    assert linked(db, intake, host="db1") == "db1.example.com"


def test_a_short_name_that_two_domains_share_links_nothing_rather_than_guess(db: Database, intake: Intake) -> None:
    add(db, "db1.example.com")
    add(db, "db1.example.org")
    assert linked(db, intake, host="db1") is None


def test_a_short_name_is_looked_up_in_its_domains_through_the_index(db: Database) -> None:
    """On the ingest path, for a name the process has not seen: the CIs named `db1.<domain>` are a range of the
    index on names, not every CI read (as a LIKE reads them on SQLite)."""
    now = utcnow()
    with db.transaction() as session:
        session.execute(insert(ConfigurationItem), [
            {"name": f"srv{i:05d}.example.com", "name_key": f"srv{i:05d}.example.com", "kind": "server",
             "status": "active", "attributes": {}, "description": "", "created_at": now, "updated_at": now}
            for i in range(5000)
        ])  # fmt: skip
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE configuration_items"))
    statement = ci_links.UNDER_A_DOMAIN.params(prefix="srv00042.", after=upper_bound("srv00042."))
    found = plan(db, statement)
    if db.engine.dialect.name == "sqlite":
        assert "SEARCH configuration_items USING INDEX" in found and "name_key>? AND name_key<?" in found, found
    else:
        assert "ix_configuration_items_name_key_c" in found and "Seq Scan" not in found, found
    with db.read() as session:
        assert ci_links.lookup(session.connection(), "srv00042") == ci_links.Linked(43, "srv00042.example.com", None)


def test_the_full_name_wins_over_the_short_one(db: Database, intake: Intake) -> None:
    add(db, "db1")
    add(db, "db1.example.com")
    assert linked(db, intake, host="db1.example.com") == "db1.example.com"


def test_the_cis_read_once_for_a_trial_of_the_rules_find_each_name_as_the_intakes_lookup_does(db: Database) -> None:
    for name in ("db1", "db1.example.com", "dbx1.example.com", "db2.example.com", "db2.example.org", "10", "old"):
        add(db, name, service="mail")
    with db.transaction() as session:
        cis.retire(session, "old")
    names = ("DB1.example.com", "db1.example.org", "db1", "dbx1", "db2", "10.0.0.5", "old", "nowhere")
    with db.read() as session:
        conn = session.connection()
        read_once = ci_links.active(conn)
        assert [read_once.find(n) for n in names] == [ci_links.lookup(conn, cis.name_key(n)) for n in names]


def test_ip_addresses_and_like_wildcards_only_ever_match_whole(db: Database, intake: Intake) -> None:
    add(db, "10")
    add(db, "dbx1.example.com")
    assert linked(db, intake, "a", host="10.0.0.5") is None
    assert linked(db, intake, "b", host="db%") is None
    assert linked(db, intake, "c", host="db_1") is None
    assert linked(db, intake, "d", host="dbx1") == "dbx1.example.com"


def test_the_rules_service_wins_over_the_cis(db: Database, intake: Intake) -> None:
    add(db, "db1", service="mail")
    with db.transaction() as session:
        add_rule(session, RuleSpec(id=0, name="web", when={"field": "title", "op": "contains", "value": "Disk"},
                                   actions={"service": "web"}))  # fmt: skip
    opened = incident(db, intake.record(RAW, alert(host="db1")).incident_id)
    assert (opened.service, opened.ci is not None) == ("web", True)


def test_a_retired_or_unknown_ci_links_nothing(db: Database, intake: Intake) -> None:
    add(db, "old")
    with db.transaction() as session:
        cis.retire(session, "old")
    assert incident(db, intake.record(RAW, alert("a", host="old")).incident_id).ci_id is None
    assert incident(db, intake.record(RAW, alert("b", host="nowhere")).incident_id).ci_id is None


def test_a_rule_can_name_the_ci_from_the_event(db: Database, intake: Intake) -> None:
    add(db, "switch-4")
    with db.transaction() as session:
        add_rule(session, RuleSpec(id=0, name="device", when={"field": "labels.device", "op": "exists"},
                                   actions={"ci": "switch-{{ labels.device }}"}))  # fmt: skip
    opened = incident(db, intake.record(RAW, alert(device="4", host="elsewhere")).incident_id)
    assert opened.ci is not None and opened.ci.name == "switch-4"


def test_events_without_such_labels_cost_no_lookup(db: Database, intake: Intake, lookups: list[str]) -> None:
    add(db, "db1")
    intake.record(RAW, alert("a", team="db"))
    intake.record(RAW, alert("b"))
    assert lookups == []


def test_where_no_ci_was_ever_stored_naming_a_host_costs_no_lookup(
    db: Database, intake: Intake, lookups: list[str]
) -> None:
    for key in ("a", "b"):
        assert incident(db, intake.record(RAW, alert(key, host=f"db-{key}")).incident_id).ci_id is None
    assert lookups == []


def test_a_known_name_is_looked_up_once_until_the_cis_change(db: Database, intake: Intake, lookups: list[str]) -> None:
    add(db, "db1")
    for key in ("a", "b", "c"):
        intake.record(RAW, alert(key, host="db1"))
    intake.record(RAW, alert("d", host="ghost"))
    intake.record(RAW, alert("e", host="ghost"))  # not being a CI is remembered too
    assert lookups == ["db1", "ghost"]
    add(db, "ghost")
    assert incident(db, intake.record(RAW, alert("f", host="ghost")).incident_id).ci_id is not None
    assert lookups == ["db1", "ghost", "ghost"]


# -- linking by hand ----------------------------------------------------------------------------------------------


def test_an_agent_sets_the_ci_and_an_incident_without_service_takes_its(db: Database, intake: Intake) -> None:
    add(db, "db1", service="mail")
    number = intake.record(RAW, alert()).incident_id
    assert number is not None
    assert triage.set_ci(db, number, "DB1", AGENT) == "CI — → db1, service mail from it"
    assert triage.set_ci(db, number, "db1", AGENT) is None
    assert triage.set_ci(db, number, "", AGENT) == "CI db1 → —"
    assert (incident(db, number).ci_id, incident(db, number).service) == (None, "mail")  # the service stays
    with db.read() as session:
        said = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "ci")).all()
    assert said == ["CI — → db1, service mail from it by ann@example.com", "CI db1 → — by ann@example.com"]


def test_an_incident_keeps_the_service_it_has(db: Database, intake: Intake) -> None:
    add(db, "db1", service="mail")
    number = intake.record(RAW, alert()).incident_id
    assert number is not None
    triage.categorise(db, number, AGENT, service="web")
    assert triage.set_ci(db, number, "db1", AGENT) == "CI — → db1"
    assert incident(db, number).service == "web"


def test_an_unknown_or_retired_ci_is_refused_by_hand(db: Database, intake: Intake) -> None:
    add(db, "old")
    with db.transaction() as session:
        cis.retire(session, "old")
    number = intake.record(RAW, alert()).incident_id
    assert number is not None
    with pytest.raises(TriageError, match="no CI 'nope'"):
        triage.set_ci(db, number, "nope", AGENT)
    with pytest.raises(TriageError, match="old is retired"):
        triage.set_ci(db, number, "old", AGENT)


# -- CSV import ----------------------------------------------------------------------------------------------------


def import_text(db: Database, text: str, batch: int = ci_import.BATCH) -> ci_import.Summary:
    def in_transaction(work: Any) -> None:
        with db.transaction() as session:
            work(session)

    return ci_import.run(io.StringIO(text), in_transaction, batch=batch)


ASSETS = """name,kind,service,owner,ip,location
db1,database,mail,dba,10.0.0.5,rack 4
web1,server,web,,10.0.0.9,
bad,mainframe,,,,
"web2",server,"nope",,,
DB1,server,,,,
"""


def test_an_import_counts_what_it_did_and_names_refused_lines(db: Database) -> None:
    summary = import_text(db, ASSETS)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert [(r.line, r.why.split(",")[0]) for r in summary.refused] == [
        (4, "kind must be one of server"),
        (5, "there is no service 'nope'; `switchboard service list` shows them and `switchboard service add` adds one"),
        (6, "the same name as line 2"),
    ]  # fmt: skip
    with db.read() as session:
        db1 = cis.get(session, "db1")
        assert (db1.kind, db1.service, db1.owner) == ("database", "mail", "dba")
        assert db1.attributes == {"ip": "10.0.0.5", "location": "rack 4"}


def test_importing_the_same_file_again_changes_nothing(db: Database) -> None:
    import_text(db, ASSETS)
    again = import_text(db, ASSETS)
    assert (again.created, again.updated, again.unchanged, len(again.refused)) == (0, 0, 2, 3)
    changed = import_text(db, ASSETS.replace("10.0.0.9", "10.0.0.10"))
    assert (changed.updated, changed.unchanged) == (1, 1)


def test_a_long_file_goes_in_batches_and_a_bad_header_is_refused(db: Database) -> None:
    rows = "".join(f"host{n},workstation\n" for n in range(25))
    seen: list[int] = []

    def in_transaction(work: Any) -> None:
        with db.transaction() as session:
            work(session)

    ci_import.run(io.StringIO("name,kind\n" + rows), in_transaction, lambda s: seen.append(s.rows), batch=10)
    assert seen == [10, 20, 25]
    with pytest.raises(BadInput, match="with kind among them"):
        import_text(db, "name,type\nx,server\n")


# -- the command line ------------------------------------------------------------------------------------------


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, db: Database, database_url: str) -> CliRunner:
    monkeypatch.setenv("SWITCHBOARD_HOME", str(settings.home))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return CliRunner()


def test_import_list_show_and_retire_from_the_shell(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="agent")
    (tmp_path / "assets.csv").write_text(ASSETS)
    imported = cli.invoke(main, ["ci", "import", str(tmp_path / "assets.csv")])
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[-1] == "2 created, 0 updated, 0 unchanged, 3 refused"
    assert "line 4: refused: kind must be one of" in imported.output
    listed = cli.invoke(main, ["ci", "list", "--kind", "database"]).output.split()
    assert listed == ["db1", "database", "active", "mail", "dba"]
    shown = cli.invoke(main, ["ci", "show", "DB1"]).output
    assert "ip: 10.0.0.5" in shown and "open incidents: -" in shown
    assert cli.invoke(main, ["ci", "retire", "db1", "--as", "ann@example.com"]).output == "retired db1\n"
    assert cli.invoke(main, ["ci", "list"]).output.split()[0] == "web1"
    missing = cli.invoke(main, ["ci", "show", "nope"])
    assert missing.exit_code == 1 and "there is no CI 'nope'" in missing.output


def test_an_import_whose_header_lacks_the_name_column_says_so_without_a_traceback(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "assets.csv").write_text("nom,kind\ndb1,server\n")
    refused = cli.invoke(main, ["ci", "import", str(tmp_path / "assets.csv")])
    assert refused.exit_code == 1 and refused.exception is not None and isinstance(refused.exception, SystemExit)
    assert "Error: the first line must name the columns, with name among them" in refused.output


def test_the_documented_import_runs_as_printed(settings: Settings, tmp_path: Path, migrated_sqlite: Path) -> None:
    database = migrated_database(settings.database_url, migrated_sqlite)
    out = run_as_printed(fenced("docs/cmdb.md", "Importing a CSV file", "sh")[0], settings, tmp_path)
    assert out.splitlines() == [
        "added service 'mail'",
        "line 5: refused: kind must be one of server, application, database, network, storage, workstation, other, "
        "not 'router'",
        "3 created, 0 updated, 0 unchanged, 1 refused",
        "db1.example.com                database     active   mail             dba",
    ]
    with database.read() as session:
        app = session.scalars(select(ConfigurationItem).where(ConfigurationItem.name_key == "app1")).one()
        assert (app.service, app.attributes) == ("mail", {"location": "Berlin DC2"})
    database.dispose()
