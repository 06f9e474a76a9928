"""`switchboard incident`: see and work incidents from a terminal, for admins on the box and scripts without a token.

`list` is the incident list's search (hub/incident_search.py), `--json` the API's shape (hub/incident_reading.py);
`show` prints one incident as its page has it; `create` logs one as the new-incident page does
(ingest/logged_cli.py, found through an entry point: it goes through the intake). The actions are the incident
page's forms, through the same hub functions: its state changes in hub/incident_actions_cli.py (hub/triage.py),
what agents write in hub/incident_writing_cli.py (notes, replies) and hub/incident_time_cli.py (time spent), both
through hub/incident_notes.py, and the major-incident commands in hub/major_cli.py.
This module is the group that gathers them, and the read commands.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.approval_cli import incident_approval
from hub.cli import EntryPointGroup, incident_number, printed_time, with_database
from hub.domain import INCIDENT_KINDS, KIND_WORDS, format_ref, no_incident
from hub.incident_actions_cli import ACTIONS
from hub.incident_copied_cli import incident_copy, incident_uncopy
from hub.incident_time_cli import incident_time, incident_time_correct, incident_time_take_back
from hub.incident_writing_cli import incident_note, incident_reply
from hub.major_cli import incident_coordinator, incident_major, incident_stand_down

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy import Connection

    from hub.attachments import IncidentFiles
    from hub.config import Settings
    from hub.db import Database
    from hub.incident_search import IncidentFilter, Page
    from hub.models import Incident, Problem, TimeEntry, TimelineEntry
    from hub.request_steps import Progress

#: `--status`'s default: every incident not dealt with yet, whoever is waiting on whom.
UNRESOLVED = "unresolved"
#: `--status`'s value for no filter.
EVERY = "all"
MOST = 500  # hub/incident_search.py MAX_LIMIT: what one page of the list or the API holds
#: `show` cuts a long text under a timeline entry after this many lines, saying how many more; `--full` prints all.
MOST_LINES = 20


class IncidentGroup(EntryPointGroup):
    """`switchboard incident`: hub's commands, and those other layers add (`create`, which goes through the
    intake: ingest/logged_cli.py)."""

    entry_point_group = "switchboard.incident_commands"


@click.group(cls=IncidentGroup)
def incident() -> None:
    """Incidents: log, list, show and work them (assign, reply, resolve, merge...); declare major ones.

    Examples: switchboard incident create --title "Cannot print" --requester sam@example.com --as ann@example.com;
    switchboard incident list --assignee ann@example.com; switchboard incident show INC-7;
    switchboard incident reply INC-7 "The toner is on order" --as ann@example.com;
    switchboard incident resolve INC-7 --resolution "Replaced the toner" --as ann@example.com
    """


for _command in (*ACTIONS, incident_copy, incident_uncopy, incident_note, incident_reply, incident_time,
                 incident_time_correct, incident_time_take_back, incident_major, incident_coordinator,
                 incident_stand_down, incident_approval):  # fmt: skip
    incident.add_command(_command)


@incident.command("list")
@click.option("--status", default=UNRESOLVED, show_default=True,
              help=f"{UNRESOLVED} (open, acknowledged or waiting), {EVERY}, or a status: open, acknowledged, "
                   "waiting, resolved, closed (several joined by commas).")  # fmt: skip
@click.option("--assignee", metavar="EMAIL", help="Only those assigned to this person.")
@click.option("--group", metavar="NAME", help="Only those assigned to this group.")
@click.option("--unassigned", is_flag=True, help="Only those in no one's queue: no active person or group holds them.")
@click.option("--priority", type=click.IntRange(1, 5), help="Only this priority, 1 (highest) to 5.")
@click.option("--service", help="Only those of this service.")
@click.option(
    "--kind",
    type=click.Choice(INCIDENT_KINDS),
    help="Only incidents (something is broken) or only requests (someone needs something).",
)
@click.option("--request-type", metavar="NAME", help="Only requests asked for as this request type (its name).")
@click.option("--approval", type=click.Choice(["pending"]), help="pending: only those awaiting an approval.")
@click.option(
    "--search",
    "text",
    metavar="TEXT",
    help="Words of the title and description, each the start of a word (as the list's search), or INC-n.",
)
# The report filters are checked by the list's own parser (hub/incident_search.py), whose refusal names the values;
# importing its choices here would import SQLAlchemy for --help.
@click.option("--sla", metavar="OUTCOME",
              help="Only those whose SLA clock ended so, as the SLA report counts: resolution_met, "
                   "response_breached... (a wrong one is answered with them all).")  # fmt: skip
@click.option("--opened-since", metavar="TIME", help="Only those first seen at or after this ISO 8601 time (UTC).")
@click.option("--opened-before", metavar="TIME", help="Only those first seen before this ISO 8601 time (UTC).")
@click.option("--satisfaction", metavar="RATING", help="Only those whose requester answered so: good or bad.")
@click.option("--rated-since", metavar="TIME",
              help="Only those rated at or after this ISO 8601 time (with --satisfaction, rated so).")  # fmt: skip
@click.option("--no-assignee", is_flag=True, help="Only those assigned to no one at all.")
@click.option("--no-service", is_flag=True, help="Only those of no service.")
@click.option("--sort", type=click.Choice(["newest", "oldest", "priority", "last_seen", "occurrences", "due"]),
              default="newest", show_default=True,
              help="due: what to work on first (breached SLA first, then nearest due, then no target).")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, MOST), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON array, each incident as GET /api/v1/incidents has it.")
def incident_list(
    status: str, assignee: str | None, group: str | None, unassigned: bool, priority: int | None,
    service: str | None, kind: str | None, request_type: str | None, approval: str | None,
    text: str | None, sla: str | None, opened_since: str | None, opened_before: str | None,
    satisfaction: str | None, rated_since: str | None, no_assignee: bool, no_service: bool, sort: str, limit: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Print incidents as the list page finds them, newest first: reference, priority, status, assignee, last seen,
    title (marked [request] for a service request); and how many more match.

    Examples: switchboard incident list --group service-desk --priority 1;
    switchboard incident list --kind request --approval pending;
    switchboard incident list --status resolved --search printer --json;
    switchboard incident list --status all --sla resolution_breached --opened-since 2026-11-01T00:00:00Z;
    switchboard incident list --status all --satisfaction bad --rated-since 2026-11-01T00:00:00Z;
    switchboard incident list --no-assignee
    """
    import json

    from hub.incident_reading import incident_json
    from hub.incident_search import UNASSIGNED, FilterError, IncidentFilter

    if sum(map(bool, (assignee, group, unassigned))) > 1:
        raise click.UsageError("give one of --assignee, --group and --unassigned")
    statuses = {UNRESOLVED: "open,acknowledged,waiting", EVERY: ""}.get(status.strip().lower(), status)
    args = {"status": statuses, "assignee": assignee or group or "", "priority": str(priority or ""),
            "service": service or "", "kind": kind or "", "request_type": request_type or "",
            "approval": approval or "", "q": text or "", "sla": sla or "", "opened_since": opened_since or "",
            "opened_before": opened_before or "", "satisfaction": satisfaction or "", "rated_since": rated_since or "",
            "no_assignee": "1" if no_assignee else "", "no_service": "1" if no_service else "",
            "queue": UNASSIGNED if unassigned else "", "sort": sort, "limit": str(limit)}  # fmt: skip
    try:
        wanted = IncidentFilter.from_args(args)
    except FilterError as exc:  # it names the argument as the list's link has it: 'status', 'q'
        named = str(exc).split("'")[1]
        hint = {"q": "--search"}.get(named, f"--{named.replace('_', '-')}")
        more = f"; or {UNRESOLVED} (the default) or {EVERY}" if named == "status" else ""  # the command's own words
        raise click.BadParameter(f"{exc}{more}", param_hint=hint) from None

    page, names, progress = with_database(lambda db, _: _found(db, wanted))
    more = _more(page)
    if as_json:
        click.echo(json.dumps([incident_json(row, progress.get(row.id)) for row in page.incidents], indent=2))
        if more:
            click.echo(more, err=True)
        return
    if not page.incidents:
        click.echo("no incidents match" + (_unknown_type(request_type) if request_type else ""))
        return
    for row in page.incidents:
        click.echo(_line(row, names, progress.get(row.id)))
    if more:
        click.echo(more)


def _unknown_type(name: str) -> str:
    """Why no request matched --request-type when no request type has that name (a typo, or its name's case)."""

    def known(db: Database, _: Settings) -> bool:
        from sqlalchemy import select

        from hub.models import RequestType

        with db.read() as session:
            return session.scalar(select(RequestType.id).where(RequestType.name == name)) is not None

    if with_database(known):
        return ""
    return f": there is no request type {name!r}; `switchboard request-type list` shows them"


def _more(page: Page) -> str:
    """What `list` says of the incidents past those it printed ("" for none); the search counts 10,000 at most."""
    more = page.total - len(page.incidents)
    if not more:
        return ""
    return f"and {'' if page.exact else 'over '}{more:,} more: raise --limit (at most {MOST}) or narrow the search"


def _found(db: Database, wanted: IncidentFilter) -> tuple[Page, dict[str, str], dict[int, Progress]]:
    """The page of incidents `wanted` finds, its assignees' display names, and its requests' steps' progress."""
    from hub import incident_search, people, request_steps

    with db.read() as session:
        page = incident_search.search(session, wanted)
        conn = session.connection()
        progress = request_steps.progress_among(conn, [row.id for row in page.incidents])
        return page, people.names_of(conn, [row.assignee for row in page.incidents]), progress


def _line(row: Incident, names: Mapping[str, str], steps: Progress | None) -> str:
    """One incident as `list` prints it; the assignee by name where they have one, a request's steps as the list
    page counts them ("[request, 2/3 steps]")."""
    who = names.get(row.assignee.lower(), row.assignee) if row.assignee else "-"
    marks = (["request"] if row.kind == "request" else []) + ([f"{steps.done}/{steps.total} steps"] if steps else [])
    marked = f"[{', '.join(marks)}] " if marks else ""
    return (f"{row.ref:<8} P{row.priority} {row.status:<12} {who:<24} {printed_time(row.last_seen):<20}  "
            f"{marked}{row.title}")  # fmt: skip


@incident.command("show")
@click.argument("ref")
@click.option("--full", is_flag=True, help=f"Print long texts whole (they are cut after {MOST_LINES} lines).")
def incident_show(ref: str, full: bool) -> None:
    """Print one incident: its fields, requester, those copied, assignee, SLA clocks, problem and CI, the time spent
    on it (each entry with the number `time-correct` takes), a request's steps (numbered as `incident step` takes
    them), and its timeline, oldest first, colleagues named as "Name <address>", with what the page shows under
    each entry.

    Under an entry: a resolution's text, a satisfaction comment, a public note's text, a retitle's old → new title,
    an email's, note's or reply's text (a long one cut, unless --full), an unverified sender's warning, the files,
    and the rules an alert went through. Example: switchboard incident show INC-7 --full
    """
    number = incident_number(ref)

    def work(db: Database, _: Settings) -> list[str]:
        from hub import attachments, people, request_steps, sla, time_spent
        from hub.agent_action import NoSuchIncident
        from hub.incident_reading import with_timeline
        from hub.models import Problem

        with db.read() as session:
            found = with_timeline(session, number)
            if found is None:
                raise NoSuchIncident(no_incident(format_ref(number)))
            conn = session.connection()
            entries = time_spent.entries(session, found.id)
            names = people.names_of(conn, [found.assignee, *people.on_timeline(found), *(e.who for e in entries)])
            problem = session.get(Problem, found.problem_id) if found.problem_id else None
            lines = _fields(found, names, problem)
            lines += [f"SLA {clock.name.lower()}: due {printed_time(clock.due_at)} ({clock.state})"
                      for clock in sla.clock_views(session, found)]  # fmt: skip
            if found.major is not None:
                lines.append(f"major incident since {printed_time(found.major.declared_at)}, coordinated by "
                             f"{_named(conn, found.major.coordinator)}")  # fmt: skip
            if entries:
                lines += [f"time spent: {time_spent.describe(found.minutes_spent)}", *map(_spent(names), entries)]
            lines += [f"step {step.position}: {step.text}" + (f" @{step.group}" if step.group else "") + " ("
                      + (f"done by {step.done_by}, {printed_time(step.done_at)})" if step.done_at else "not done)")
                      for step in request_steps.of_incident(session, found.id)]  # fmt: skip
            if found.description:
                lines += ["", *found.description.strip().splitlines()]
            files, most = attachments.of_incident(session, found.id), None if full else MOST_LINES
            return [*lines, "", *(line for item in found.timeline for line in _timeline(item, names, files, most))]

    click.echo("\n".join(with_database(work)))


def _fields(row: Incident, names: Mapping[str, str], problem: Problem | None) -> list[str]:
    """The incident's own fields, a line each, as its page's card shows them."""
    from hub.people import label

    lines = [f"{row.ref} {row.title}",
             f"P{row.priority} {row.status}; source {row.source}; seen {row.occurrences:,} time"
             f"{'s' if row.occurrences != 1 else ''}, first {printed_time(row.first_seen)}, "
             f"last {printed_time(row.last_seen)}",
             f"assignee: {label(row.assignee, names) if row.assignee else '-'}",
             f"requester: {row.requester or '-'}"]  # fmt: skip
    if row.copied:
        lines.append(f"copied: {', '.join(person.email for person in row.copied)}")
    kept = (("kind", KIND_WORDS[row.kind]), ("request type", row.request_type.name if row.request_type else None),
            ("category", row.category), ("service", row.service),
            ("CI", row.ci.name if row.ci else None), ("resolution", row.resolution))  # fmt: skip
    lines += [f"{name}: {value}" for name, value in kept if value]
    if problem is not None:
        lines.append(f"problem: {problem.ref} ({problem.state}): {problem.title}")
    if row.merged_into_id:
        lines.append(f"merged into INC-{row.merged_into_id}")
    return lines


def _spent(names: Mapping[str, str]) -> Callable[[TimeEntry], str]:
    """How `show` lists a time entry: its number, when, who, how long and on what."""
    from hub.people import label
    from hub.time_spent import describe

    def line(entry: TimeEntry) -> str:
        what = f": {entry.what}" if entry.what else ""
        return f"  #{entry.id:<5} {printed_time(entry.at)}  {label(entry.who, names)}  {describe(entry.minutes)}{what}"

    return line


def _named(conn: Connection, email: str) -> str:
    from hub.people import labels

    return labels(conn, [email])[0]


def _timeline(item: TimelineEntry, names: Mapping[str, str], files: IncidentFiles, most: int | None) -> list[str]:
    """One timeline entry: when, and its line in the page's words (hub/timeline_words.py) with colleagues'
    addresses as "Name <address>"; what the page shows under it indented below (hub/timeline_detail.py), each
    text cut after `most` lines (None: whole)."""
    from hub.people import Named, with_names
    from hub.timeline_detail import detail, in_text
    from hub.timeline_words import said

    words = said(item, names)
    shown = words.line + (f" by {words.by}" if words.by else "")
    named = "".join(f"{part.name} <{part.address}>" if isinstance(part, Named) else part
                    for part in with_names(shown, names))  # fmt: skip
    under = in_text(detail(item, files.of(item.id, item.event_id)), most, "--full prints them")
    return [f"{printed_time(item.at)}  {named}", *(f"    {line}".rstrip() for line in under)]
