"""What docs/integrations.md tells a reader to paste works as printed, sent by the real tool wherever it runs here.

Every test takes its configuration, command or script from the document itself, so a change to the docs or to an
endpoint that would break a reader's setup fails here:

- Alertmanager is Debian's, configured with the documented receivers (webhook, PagerDuty, Opsgenie), and sent
  alerts the way Prometheus sends them; only the route's timers are shortened.
- The Nagios command lines run under /bin/sh with the macros substituted as Nagios does it; the Icinga 2 script
  runs with the environment Icinga gives it.
- The PagerDuty, Opsgenie and generic examples are the shell commands as printed (the generic one creates its
  integration with the CLI, against the same database); PagerDuty's own Python client, its base URL changed.
- What an integration's page shows to copy: its alertmanager.yml in Alertmanager, its curl example for each kind.
- Zabbix cannot run here: its media-type script runs in Node.js, given the two things of Zabbix's JavaScript API it
  uses (HttpRequest, here posting through curl, and Zabbix.log) and the parameters of the documented table.

Grafana cannot run here either; tests/web/test_alert_sources.py posts its documented payloads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hub import accounts, heartbeats
from hub.config import Settings
from hub.db import Database
from hub.domain import INTEGRATION_KINDS
from hub.models import Change, Event, Incident
from ingest.webhooks import setup
from tests.docs import ROOT, fenced
from tests.servers import Alertmanager, missing, wait_until


def blocks(heading: str, language: str) -> list[str]:
    return fenced("docs/integrations.md", heading, language)


def as_reader(text: str, base_url: str, secret: str) -> str:
    """What a reader makes of a block: the placeholders filled in as the docs' introduction says."""
    return text.replace("http://SWITCHBOARD", base_url).replace("<secret>", secret)


def incidents(db: Database) -> list[Incident]:
    with db.read() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def statuses(db: Database) -> list[str]:
    return [incident.status for incident in incidents(db)]


@pytest.fixture
def make_integration(db: Database) -> Callable[[str, str], str]:
    def make(kind: str, name: str) -> str:
        with db.transaction() as session:
            return accounts.create_integration(session, name=name, kind=kind)[1]

    return make


def _need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        missing(program, f"the Debian package {package}")
    return found


# --- Alertmanager, with each documented receiver ------------------------------------------------------------------


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Alertmanager]]:
    """Starts Debian's Alertmanager with a configuration whose route sends everything to its one receiver at once."""
    if not Alertmanager.available():
        missing("Alertmanager", "the Debian package prometheus-alertmanager")
    started: list[Alertmanager] = []

    def start(config: dict[str, Any]) -> Alertmanager:
        receiver = config["receivers"][0]["name"]
        route = {**config.get("route", {}), "receiver": receiver}
        route.update(group_wait="0s", group_interval="1s", repeat_interval="1h")  # the one change: no waiting
        server = Alertmanager(yaml.safe_dump({**config, "route": route}), tmp_path).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _alert(**extra: str) -> dict[str, object]:
    """One alert as Prometheus posts it to Alertmanager; `endsAt` in the past resolves it."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "labels": {"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical"},
        "annotations": {"summary": "Disk full on db1", "description": "/var is 99% full"},
        "startsAt": now,
        "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=disk",
        **extra,
    }


def _resolved() -> dict[str, object]:
    return _alert(endsAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))


def _fire_then_resolve(server: Alertmanager, db: Database) -> Incident:
    server.post_alerts([_alert()])
    wait_until(lambda: statuses(db) == ["open"], timeout=20, message=f"the incident (Alertmanager: {server.log})")
    server.post_alerts([_resolved()])
    wait_until(lambda: statuses(db) == ["resolved"], timeout=20, message=f"the resolve (Alertmanager: {server.log})")
    return incidents(db)[0]


def test_alertmanager_webhook_receiver_opens_and_resolves_one_incident_per_alert(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], alertmanager: Callable[..., Any]
) -> None:
    secret = make_integration("alertmanager", "prom")
    config = yaml.safe_load(as_reader(blocks("Prometheus Alertmanager", "yaml")[0], live_url, secret))
    incident = _fire_then_resolve(alertmanager(config), db)
    assert (incident.title, incident.severity, incident.source) == ("Disk full on db1", "critical", "alertmanager")
    assert incident.labels["instance"] == "db1:9100"
    assert "/var is 99% full" in incident.description


def test_alertmanager_pagerduty_receiver_pointed_at_enqueue_opens_and_resolves(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], alertmanager: Callable[..., Any]
) -> None:
    secret = make_integration("pagerduty", "pd-compat")
    config = yaml.safe_load(as_reader(blocks("PagerDuty senders (Events API v2)", "yaml")[0], live_url, secret))
    incident = _fire_then_resolve(alertmanager(config), db)
    assert incident.source == "pagerduty"
    assert "DiskFull" in incident.title


def test_alertmanager_opsgenie_receiver_opens_with_its_priority_and_closes(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], alertmanager: Callable[..., Any]
) -> None:
    secret = make_integration("opsgenie", "og-compat")
    config = yaml.safe_load(as_reader(blocks("Opsgenie senders (Alert API)", "yaml")[0], live_url, secret))
    incident = _fire_then_resolve(alertmanager(config), db)
    assert incident.source == "opsgenie"
    assert incident.severity == "critical"  # the documented priority template made it P1


def test_the_alertmanager_yml_an_integration_page_shows_works_in_alertmanager(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], alertmanager: Callable[..., Any]
) -> None:
    secret = make_integration("alertmanager", "prom")
    [shown, _curl] = setup.snippets("alertmanager", live_url, "prom", secret)
    incident = _fire_then_resolve(alertmanager(yaml.safe_load(shown.text)), db)
    assert incident.source == "alertmanager"


@pytest.mark.parametrize("kind", INTEGRATION_KINDS)
def test_the_curl_example_an_integration_page_shows_is_accepted(
    kind: str, live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    secret = make_integration(kind, f"{kind}-tool")
    curl = setup.snippets(kind, live_url, f"{kind}-tool", secret)[-1]
    assert curl.title == "Try it with curl"
    answer = json.loads(_sh(curl.text))
    assert answer.get("status") in {"accepted", "success"} or "requestId" in answer, answer
    with db.read() as session:
        kept = session.scalars(select(Event.status)).all()
    assert kept and "unprocessable" not in kept


@pytest.fixture
def live_tls(app: Flask) -> Iterator[tuple[str, ssl.SSLContext]]:
    """The app served over HTTPS on loopback with a certificate from a throwaway CA: (base URL, a client context
    that trusts that CA)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, name="live-tls-server", daemon=True)
    thread.start()
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    yield f"https://127.0.0.1:{server.server_port}", trust
    server.shutdown()
    thread.join(timeout=10)


def test_pagerdutys_own_python_client_pointed_at_switchboard_triggers_acknowledges_and_resolves(
    live_tls: tuple[str, ssl.SSLContext], db: Database, make_integration: Callable[[str, str], str]
) -> None:
    """PagerDuty's official client (the `pagerduty` package) with only its base URL changed, as the docs say. It
    insists on HTTPS, as a hub behind a TLS proxy serves it."""
    import pagerduty  # a test dependency (pip install -e '.[test]'), needed only here

    base_url, trust = live_tls
    routing_key = make_integration("pagerduty", "pd-compat")
    client = pagerduty.EventsApiV2Client(routing_key, base_url=base_url, verify=trust)
    key = client.trigger("DISK at 99% on prod-datapipe03", "prod-datapipe03.example.com", severity="error",
                         custom_details={"free space": "1%"})  # fmt: skip
    [incident] = incidents(db)
    assert (incident.dedup_key, incident.severity, incident.status) == (key, "high", "open")  # a key made for it
    assert client.acknowledge(key) == key and incidents(db)[0].acknowledged_at is not None
    assert client.resolve(key) == key and statuses(db) == ["resolved"]


def test_pagerdutys_own_python_client_reports_a_change_that_is_recorded(
    live_tls: tuple[str, ssl.SSLContext], db: Database, make_integration: Callable[[str, str], str]
) -> None:
    """The same client's change events (`submit`), to a deploy integration: recorded as a carried-out change."""
    import pagerduty

    base_url, trust = live_tls
    client = pagerduty.EventsApiV2Client(make_integration("deploy", "pipelines"), base_url=base_url, verify=trust)
    # With its own timestamp: pagerduty 7.2 fails making one (`datetime.timezone` on the class, not the module).
    client.submit("Deployed checkout 1.4.2", source="ci.example.com", timestamp="2026-11-26T10:04:00Z",
                  custom_details={"service": "checkout", "version": "1.4.2"},
                  links=[{"href": "https://ci.example.com/runs/42", "text": "Run 42"}])  # fmt: skip
    with db.read() as session:
        [change] = session.scalars(select(Change)).all()
    assert (change.service, change.state, change.title) == ("checkout", "implemented", "Deployed checkout 1.4.2")
    assert change.link == "https://ci.example.com/runs/42"


def test_the_documented_pagerduty_change_event_is_recorded(
    live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    secret = make_integration("deploy", "ci")
    [block] = fenced("docs/changes.md", "PagerDuty change events", "sh")
    out = _sh(block.replace("http://127.0.0.1:8000", live_url).replace("<secret>", secret))
    assert json.loads(out) == {"status": "success", "message": "Change event processed"}
    with db.read() as session:
        [change] = session.scalars(select(Change)).all()
    assert (change.service, change.version, change.environment) == ("checkout", "1.4.2", "production")


def test_the_documented_deploy_webhook_records_a_change_and_answers_as_shown(
    live_url: str, db: Database, settings: Settings
) -> None:
    """docs/changes.md: the integration made with the CLI, the curl as printed, and the answer the page shows."""
    create, post = fenced("docs/changes.md", "Deploys arrive as changes", "sh")[:2]
    switchboard = Path(sys.executable).with_name("switchboard")
    out = _sh(create + post.replace("http://127.0.0.1:8000", live_url),
              PATH=f"{switchboard.parent}:{os.environ['PATH']}", SWITCHBOARD_HOME=str(settings.home),
              DATABASE_URL=settings.database_url)  # fmt: skip
    shown = json.loads(post.rsplit("# ", 1)[1])
    answer = json.loads(out)
    assert answer.keys() == shown.keys()
    same = ("status", "change_state", "created")  # the ids differ from the page's example
    assert [answer[k] for k in same] == [shown[k] for k in same]
    with db.read() as session:
        [change] = session.scalars(select(Change)).all()
    assert (change.service, change.version, change.link) == (
        "checkout",
        "1.4.2",
        "https://ci.example.com/checkout/runs/42",
    )


def test_the_pagerduty_change_settings_a_deploy_integration_page_shows_work(
    live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    secret = make_integration("deploy", "ci")
    [shown] = [s for s in setup.snippets("deploy", live_url, "ci", secret) if s.title.startswith("PagerDuty")]
    settings = yaml.safe_load(shown.text)
    event = {"routing_key": settings["routing_key"], "payload": {"summary": "Deployed checkout", "source": "checkout"}}
    request = urllib.request.Request(settings["url"], data=json.dumps(event).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
    with db.read() as session:
        assert session.scalars(select(Change.service)).all() == ["checkout"]


# --- the curl examples, run as printed ----------------------------------------------------------------------------


def _sh(script: str, **env: str) -> str:
    _need("curl", "curl")
    done = subprocess.run(["/bin/sh", "-ec", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pagerduty_curl_examples_trigger_acknowledge_and_resolve(
    live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    secret = make_integration("pagerduty", "pd-compat")
    out = _sh(as_reader(blocks("PagerDuty senders (Events API v2)", "sh")[1], live_url, secret))
    assert out.count('"status":"success"') == 3, out
    [incident] = incidents(db)
    assert (incident.title, incident.dedup_key, incident.status) == (
        "DISK at 99% on machine prod-datapipe03.example.com", "srv01/mysql", "resolved"
    )  # fmt: skip
    assert incident.acknowledged_at is not None


def test_opsgenie_curl_examples_create_acknowledge_and_close(
    live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    secret = make_integration("opsgenie", "og-compat")
    out = _sh(as_reader(blocks("Opsgenie senders (Alert API)", "sh")[1], live_url, secret))
    assert out.count('"requestId"') == 3, out
    [incident] = incidents(db)
    assert (incident.title, incident.severity, incident.status) == ("Disk full on db1", "critical", "resolved")
    assert incident.acknowledged_at is not None


def test_generic_examples_create_the_integration_post_an_alert_and_resolve_it(
    live_url: str, db: Database, settings: Settings
) -> None:
    switchboard = Path(sys.executable).with_name("switchboard")
    script = blocks("Any script: the generic JSON webhook", "sh")[0].replace("http://SWITCHBOARD", live_url)
    _sh(script, PATH=f"{switchboard.parent}:{os.environ['PATH']}", SWITCHBOARD_HOME=str(settings.home),
        DATABASE_URL=settings.database_url)  # fmt: skip
    [incident] = incidents(db)
    assert (incident.title, incident.description, incident.labels) == ("Disk full on db1", "95% used", {"team": "db"})
    assert incident.status == "resolved"


def test_the_documented_heartbeat_is_pinged_by_alertmanagers_watchdog_route(
    live_url: str, db: Database, settings: Settings, alertmanager: Callable[..., Any]
) -> None:
    switchboard = Path(sys.executable).with_name("switchboard")
    commands = blocks("Heartbeats: when a source goes quiet", "sh")[0]
    out = _sh(commands, PATH=f"{switchboard.parent}:{os.environ['PATH']}", SWITCHBOARD_HOME=str(settings.home),
              DATABASE_URL=settings.database_url)  # fmt: skip
    lines = out.splitlines()
    secret = lines[next(i for i, line in enumerate(lines) if line.startswith("prom/watchdog: a ping")) - 1]
    assert re.search(r"^prom/watchdog: every 5 min, last ping .* ok$", out, re.M), out
    with db.read() as session:
        made = heartbeats.find(session, "prom", "watchdog").last_ping_at
    server = alertmanager(yaml.safe_load(as_reader(blocks("Heartbeats: when a source goes quiet", "yaml")[0],
                                                   live_url, secret)))  # fmt: skip
    server.post_alerts([{**_alert(), "labels": {"alertname": "Watchdog"}}])

    def pinged() -> bool:
        with db.read() as session:
            return heartbeats.find(session, "prom", "watchdog").last_ping_at > made

    wait_until(pinged, timeout=20, message=f"Alertmanager's ping (Alertmanager: {server.log})")
    assert incidents(db) == []  # the Watchdog went to the heartbeat, not to the events receiver


def test_the_documented_nightly_job_pings_its_heartbeat_from_the_crontab_as_printed(
    live_url: str, db: Database, settings: Settings
) -> None:
    """The cron lines are what cron runs: its own variable lines, then the job's command under /bin/sh."""
    switchboard = Path(sys.executable).with_name("switchboard")
    setup, crontab = (
        blocks("Heartbeats: when a source goes quiet", "sh")[1],
        blocks("Heartbeats: when a source goes quiet", "crontab")[0],
    )
    out = _sh(setup, PATH=f"{switchboard.parent}:{os.environ['PATH']}", SWITCHBOARD_HOME=str(settings.home),
              DATABASE_URL=settings.database_url)  # fmt: skip
    secret = out.splitlines()[0]
    lines = as_reader(crontab, live_url, secret).splitlines()
    variables = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    [job] = [line.split(None, 5)[5] for line in lines if re.match(r"^[\d*]", line)]
    with db.read() as session:
        made = heartbeats.find(session, "cron", "nightly-backup").last_ping_at
    _sh(job.replace("/usr/local/bin/backup", "true"), **variables)
    with db.read() as session:
        assert heartbeats.find(session, "cron", "nightly-backup").last_ping_at > made


# --- Nagios and Icinga --------------------------------------------------------------------------------------------

#: Nagios's default illegal_macro_output_chars, stripped from the output and acknowledgement macros.
_ILLEGAL = str.maketrans("", "", "`~$&|'\"<>")
_STRIPPED = {"SERVICEOUTPUT", "HOSTOUTPUT", "SERVICEACKAUTHOR", "SERVICEACKCOMMENT", "HOSTACKAUTHOR", "HOSTACKCOMMENT"}


def _nagios_command(name: str, macros: dict[str, str]) -> str:
    """The documented command line as Nagios hands it to /bin/sh: macros substituted, `$$` made `$`."""
    definitions = "".join(blocks("Nagios and Icinga", "")).split("define command {")
    [line] = [re.search(r"command_line\s+(.+)", d).group(1) for d in definitions if f"command_name    {name}\n" in d]  # type: ignore[union-attr]

    def value(match: re.Match[str]) -> str:
        macro = match.group(1)
        if not macro:
            return "$"
        text = macros.get(macro, "")
        return text.translate(_ILLEGAL) if macro in _STRIPPED else text

    return re.sub(r"\$([A-Z0-9]*)\$", value, line)


HOSTILE_OUTPUT = "CRITICAL - C:\\ at 99% ; `reboot` $(touch pwned) \"quoted\" 'single' <b>&amp;</b>"


def test_nagios_service_commands_open_then_resolve_and_survive_hostile_output(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], tmp_path: Path
) -> None:
    _need("jq", "jq")
    secret = make_integration("nagios", "nagios")
    common = {"USER10": secret, "USER11": f"{live_url}/api/v1/events/nagios", "HOSTNAME": "web01",
              "SERVICEDESC": "HTTP", "HOSTADDRESS": "192.0.2.10", "SERVICEPROBLEMID": "42"}  # fmt: skip
    problem = {**common, "NOTIFICATIONTYPE": "PROBLEM", "SERVICESTATE": "CRITICAL", "SERVICEOUTPUT": HOSTILE_OUTPUT}
    _sh(_nagios_command("notify-service-by-switchboard", problem))
    [incident] = incidents(db)
    assert (incident.title, incident.severity, incident.status) == ("HTTP on web01 is CRITICAL", "critical", "open")
    assert HOSTILE_OUTPUT.translate(_ILLEGAL) in incident.description
    assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()

    recovery = {**common, "NOTIFICATIONTYPE": "RECOVERY", "SERVICESTATE": "OK", "SERVICEOUTPUT": "HTTP OK: 200"}
    _sh(_nagios_command("notify-service-by-switchboard", recovery))
    assert statuses(db) == ["resolved"]


def test_nagios_host_commands_open_then_resolve(
    live_url: str, db: Database, make_integration: Callable[[str, str], str]
) -> None:
    _need("jq", "jq")
    secret = make_integration("nagios", "nagios")
    common = {"USER10": secret, "USER11": f"{live_url}/api/v1/events/nagios", "HOSTNAME": "web01",
              "HOSTADDRESS": "192.0.2.10", "HOSTPROBLEMID": "7"}  # fmt: skip
    down = {**common, "NOTIFICATIONTYPE": "PROBLEM", "HOSTSTATE": "DOWN", "HOSTOUTPUT": "PING CRITICAL"}
    _sh(_nagios_command("notify-host-by-switchboard", down))
    assert [(i.title, i.status) for i in incidents(db)] == [("Host web01 is DOWN", "open")]
    up = {**common, "NOTIFICATIONTYPE": "RECOVERY", "HOSTSTATE": "UP", "HOSTOUTPUT": "PING OK"}
    _sh(_nagios_command("notify-host-by-switchboard", up))
    assert statuses(db) == ["resolved"]


def test_icinga_script_posts_values_from_its_environment_untouched(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], tmp_path: Path
) -> None:
    _need("jq", "jq")
    secret = make_integration("nagios", "icinga")
    script = tmp_path / "switchboard-notify.sh"
    script.write_text(blocks("Icinga 2", "sh")[0])
    script.chmod(0o755)
    hostile = "CRITICAL - `reboot` $(touch pwned) \"quoted\" 'single'"
    env = {**os.environ, "SWITCHBOARD_URL": f"{live_url}/api/v1/events/icinga", "SWITCHBOARD_SECRET": secret,
           "HOST": "web01", "SERVICE": "HTTP", "ADDRESS": "192.0.2.10", "AUTHOR": "", "COMMENT": ""}  # fmt: skip
    for kind, state, output in (("PROBLEM", "CRITICAL", hostile), ("RECOVERY", "OK", "HTTP OK")):
        done = subprocess.run([str(script)], env={**env, "NOTIFICATION_TYPE": kind, "STATE": state, "OUTPUT": output},
                              capture_output=True, text=True, timeout=30, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        if kind == "PROBLEM":
            [incident] = incidents(db)
            assert (incident.title, incident.status) == ("HTTP on web01 is CRITICAL", "open")
            assert hostile in incident.description
    assert statuses(db) == ["resolved"]
    assert not (tmp_path / "pwned").exists()


# --- Zabbix -------------------------------------------------------------------------------------------------------

#: The parts of Zabbix's webhook JavaScript API the documented script uses. Zabbix runs the script as the body of
#: a function of `value`, the parameters as one JSON string; HttpRequest.post is synchronous, as in Zabbix.
_ZABBIX_RUNTIME = r"""
const { execFileSync } = require('child_process');
const fs = require('fs');
class HttpRequest {
  constructor() { this.headers = []; this.status = 0; }
  addHeader(header) { this.headers.push(header); }
  setProxy(proxy) { this.proxy = proxy; }
  post(url, body) {
    const args = ['--silent', '--max-time', '10', '--data-binary', '@-', '-w', '\n%{http_code}'];
    for (const header of this.headers) { args.push('-H', header); }
    if (this.proxy) { args.push('--proxy', this.proxy); }
    const out = execFileSync('curl', [...args, url], { input: body }).toString();
    const cut = out.lastIndexOf('\n');
    this.status = Number(out.slice(cut + 1));
    return out.slice(0, cut);
  }
  getStatus() { return this.status; }
}
const Zabbix = { log: (level, message) => process.stderr.write(message + '\n') };
const script = new Function('value', 'HttpRequest', 'Zabbix', fs.readFileSync(process.argv[2], 'utf8'));
try {
  process.stdout.write(String(script(fs.readFileSync(process.argv[3], 'utf8'), HttpRequest, Zabbix)));
} catch (error) {
  process.stderr.write(String(error));
  process.exit(1);
}
"""


def _zabbix_parameters(macros: dict[str, str]) -> dict[str, str]:
    """The documented parameter table, each macro resolved as Zabbix would; one it cannot resolve stays as text."""
    section = (ROOT / "docs" / "integrations.md").read_text().split("## Zabbix\n", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| (?:`([^`]*)`|empty)", section, re.M)
    assert rows, "the Zabbix section has no parameter table"
    return {name: macros.get(macro, macro) for name, macro in rows}


def test_zabbix_media_type_script_sends_problem_acknowledgement_and_recovery(
    live_url: str, db: Database, make_integration: Callable[[str, str], str], tmp_path: Path
) -> None:
    node = _need("node", "nodejs")
    _need("curl", "curl")
    secret = make_integration("zabbix", "zabbix")
    (tmp_path / "media_type.js").write_text(blocks("Zabbix", "javascript")[0])
    (tmp_path / "runtime.js").write_text(_ZABBIX_RUNTIME)
    problem = {"{ALERT.SENDTO}": secret, "{EVENT.ID}": "2751", "{EVENT.NAME}": "High CPU utilization",
               "{EVENT.NSEVERITY}": "4", "{EVENT.STATUS}": "PROBLEM", "{EVENT.UPDATE.STATUS}": "0",
               "{EVENT.ACK.STATUS}": "No", "{HOST.NAME}": "web01",
               "{EVENT.TAGSJSON}": '[{"tag":"service","value":"shop"}]', "{TRIGGER.ID}": "23401",
               "{ALERT.MESSAGE}": "Problem started at 10:41:07 on 2024.05.14"}  # fmt: skip

    def send(macros: dict[str, str]) -> str:
        parameters = {name: as_reader(text, live_url, secret) for name, text in _zabbix_parameters(macros).items()}
        (tmp_path / "value.json").write_text(json.dumps(parameters))
        done = subprocess.run([node, "runtime.js", "media_type.js", "value.json"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert send(problem) == "OK"
    [incident] = incidents(db)
    assert (incident.title, incident.severity, incident.dedup_key) == ("web01: High CPU utilization", "high",
                                                                       "zabbix:2751")  # fmt: skip
    assert incident.labels["service"] == "shop"
    assert "{EVENT.OPDATA}" not in incident.description  # an unresolved macro is left out, not shown

    assert send({**problem, "{EVENT.UPDATE.STATUS}": "1", "{EVENT.ACK.STATUS}": "Yes"}) == "OK"
    assert incidents(db)[0].acknowledged_at is not None
    assert send({**problem, "{EVENT.STATUS}": "RESOLVED"}) == "OK"
    assert statuses(db) == ["resolved"]
