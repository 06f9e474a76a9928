"""`switchboard rules ...` and `switchboard group ...`: routing rules and the groups they assign to, from the shell.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TextIO

import click

from hub.cli import ROW_ID, in_transaction, printed_time
from hub.domain import INCIDENT_KINDS, Decision, RoutingState, RuleBook, RuleSpec
from hub.errors import BadInput
from hub.rules_export import ALWAYS
from hub.test_events import test_event
from rules import rules_file
from rules.actions import STRATEGIES
from rules.conditions import FIELDS, OPERATORS
from rules.engine import Engine, compile_rule, compile_settings
from rules.errors import RuleError

if TYPE_CHECKING:
    from hub.groups import GroupInfo
    from hub.over_rules import Known


def _author() -> str:
    """Who a change is recorded as: $SWITCHBOARD_AUTHOR, else the login name."""
    return os.environ.get("SWITCHBOARD_AUTHOR") or f"{getpass.getuser()} (cli)"


def _describe_condition(node: Any) -> str:
    if not isinstance(node, dict):
        return repr(node)
    for kind in ("all", "any"):
        if kind in node:
            parts = [_describe_condition(child) for child in node[kind]]
            return "always" if not parts and kind == "all" else f"{kind}(" + "; ".join(parts) + ")"
    if "not" in node:
        return f"not({_describe_condition(node['not'])})"
    if node.get("op") == "exists":
        return f"{node.get('field')} exists"
    return f"{node.get('field')} {node.get('op', 'equals')} {node.get('value')!r}"


@click.group()
def rules() -> None:
    """Inspect, change, version and test routing rules."""


@rules.command("list")
def rules_list() -> None:
    """Print the rules in the order they are applied: for each field, the first matching rule sets it."""
    from hub import rulebook

    book = in_transaction(rulebook.load)
    for spec in book.rules:
        sets = ", ".join(f"{k}={v}" for k, v in spec.effects().items()) or "nothing"
        state = "" if spec.enabled else " (disabled)"
        stop = "; stop" if spec.stop else ""
        click.echo(f"{spec.id:>4}  if {_describe_condition(spec.condition())}: set {sets}{stop}  # {spec.name}{state}")


@rules.command("add")
@click.option("--name", required=True, help="A readable name, shown in decision traces.")
@click.option("--field", default=None, help=f"Event field to test: {', '.join(FIELDS)}. Omit for a catch-all.")
@click.option("--op", type=click.Choice(OPERATORS), default="equals", show_default=True)
@click.option("--value", default="", help="What to compare with (comma-separated for 'in').")
@click.option("--category", help="Set this category.")
@click.option("--kind", type=click.Choice(INCIDENT_KINDS), help="Make it an incident or a (service) request.")
@click.option("--service", help="Set this service.")
@click.option("--tag", "tags", multiple=True, help="Add this tag (repeatable).")
@click.option("--impact", type=int, help="Impact 1 (widespread) .. n: with urgency, gives the priority.")
@click.option("--urgency", type=int, help="Urgency 1 (now) .. n: with impact, gives the priority.")
@click.option("--assign", help="Assign to this person (their email) or queue name.")
@click.option("--group", help="Assign to a member of this group (see `switchboard group`), chosen by --strategy.")
@click.option("--strategy", type=click.Choice(STRATEGIES), help="How a member of --group is chosen [fixed].")
@click.option("--channel", "channels", multiple=True, help="Notify this channel by name (repeatable).")
@click.option("--title", "title_template", help="Title template, e.g. '[{{ labels.env }}] {{ title }}'.")
@click.option("--dedup-key", "dedup_template", help="Dedup key template, e.g. '{{ labels.alertname }}'.")
@click.option("--suppress", is_flag=True, help="Store matching events but open no incident.")
@click.option(
    "--stop/--continue", default=False, show_default=True, help="Stop evaluating further rules after a match."
)
def rules_add(name: str, field: str | None, op: str, value: str, **sets: Any) -> None:
    """Add a rule ahead of the existing ones, so the default catch-all stays last.

    Example: switchboard rules add --name "DB pages" --field labels.team --value db --group dba --strategy round_robin
    """
    from hub import named_people, rulebook

    stop = bool(sets.pop("stop"))
    keys = {"assign": "assignee", "title_template": "title", "dedup_template": "dedup_key", "tags": "tags"}
    actions: dict[str, Any] = {}
    for option, given in sets.items():
        if given in (None, (), False):
            continue
        actions[keys.get(option, option)] = list(given) if isinstance(given, tuple) else given
    if not actions:
        raise click.UsageError("say what the rule sets, e.g. --category and/or --assign: a rule that sets nothing")
    when: dict[str, Any] = dict(ALWAYS) if field is None else {"field": field, "op": op}
    if field is not None and op != "exists":
        when["value"] = [v.strip() for v in value.split(",") if v.strip()] if op == "in" else value
    spec = RuleSpec(id=0, name=name, when=when, actions=MappingProxyType(actions), stop=stop)

    def add(session: Any) -> int:
        try:
            compile_rule(spec, compile_settings(rulebook.load_settings(session)))
        except RuleError as exc:
            raise click.BadParameter(str(exc)) from None
        if "@" in (person := sets.get("assign") or ""):  # a queue name is anyone's to coin; a person must exist
            named_people.refuse_unknown_people(session.connection(), [person], "--assign")
        return rulebook.add_rule(session, spec, author=_author()).id

    click.echo(f"added rule {in_transaction(add)}: {name}")


@rules.command("remove")
@click.argument("rule_id", type=ROW_ID)
def rules_remove(rule_id: int) -> None:
    """Delete rule RULE_ID (see `switchboard rules list` for ids)."""
    from hub import rulebook

    name = in_transaction(lambda s: rulebook.remove_rule(s, rule_id, author=_author()))
    click.echo(f"removed rule {rule_id}: {name}")


@rules.command("disable")
@click.argument("rule_id", type=ROW_ID)
def rules_disable(rule_id: int) -> None:
    """Keep rule RULE_ID but stop applying it."""
    from hub import rulebook

    in_transaction(lambda s: rulebook.set_enabled(s, rule_id, False, author=_author()))
    click.echo(f"disabled rule {rule_id}")


@rules.command("enable")
@click.argument("rule_id", type=ROW_ID)
def rules_enable(rule_id: int) -> None:
    """Apply rule RULE_ID again."""
    from hub import rulebook

    in_transaction(lambda s: rulebook.set_enabled(s, rule_id, True, author=_author()))
    click.echo(f"enabled rule {rule_id}")


@rules.command("export")
def rules_export() -> None:
    """Print the rules as YAML (deterministic: same rules, same bytes), e.g. switchboard rules export > rules.yaml"""
    from hub import rulebook

    click.echo(in_transaction(rulebook.current_text), nl=False)


@rules.command("import")
@click.argument("path", type=click.File("r"))
def rules_import(path: TextIO) -> None:
    """Replace every rule (and the settings) with those in PATH; nothing changes unless the whole file is valid."""
    from hub import rulebook

    try:
        parsed = rules_file.parse_file(path.read())
    except RuleError as exc:
        problems = str(exc).replace("; line ", "\nline ")
        raise click.ClickException(f"{path.name}:\n{problems}\nNothing was changed.") from None
    summary = f"imported {os.path.basename(path.name)}"
    count = in_transaction(
        lambda s: rulebook.replace_all(s, parsed.rules, parsed.settings, author=_author(), summary=summary)
    )
    click.echo(f"imported {count} rule(s) from {path.name}")


@rules.command("versions")
def rules_versions() -> None:
    """List the saved versions of the rules: number, time, author, what changed (+added/-removed lines)."""
    from hub import rulebook

    found = in_transaction(rulebook.versions)
    if not found:
        click.echo("no versions yet: the first change to the rules records one")
    for v in found:
        when = printed_time(v.created_at, seconds=True)
        click.echo(f"{v.number:>4}  {when}  {v.author}  {v.summary}  (+{v.added} -{v.removed})")


@rules.command("diff")
@click.argument("old", type=ROW_ID)
@click.argument("new", type=ROW_ID, required=False)
def rules_diff(old: int, new: int | None) -> None:
    """Show what changed from version OLD to version NEW (default: the rules as they stand) as a unified diff."""
    from hub import rulebook

    text = in_transaction(lambda s: rulebook.diff_versions(s, old, new))
    click.echo(text or "no differences", nl=bool(not text))


@rules.command("restore")
@click.argument("version", type=ROW_ID)
def rules_restore(version: int) -> None:
    """Make version VERSION the rules again (recorded as a new version, so the restore can be undone too)."""
    from hub import rulebook

    def restore(session: Any) -> int:
        try:
            parsed = rules_file.parse_file(rulebook.version_text(session, version))
        except RuleError as exc:
            raise click.ClickException(f"version {version} no longer validates: {exc}") from None
        summary = f"restored version {version}"
        return rulebook.replace_all(session, parsed.rules, parsed.settings, author=_author(), summary=summary)

    count = in_transaction(restore)
    click.echo(f"restored version {version}: {count} rule(s)")


@rules.command("test")
@click.option("--rules", "rules_path", type=click.File("r"), help="Test these rules (YAML) instead of the stored ones.")
@click.option("--expect", multiple=True, help="field=value the decision must have, e.g. assignee=dba@example.com.")
@click.option("--all", "show_all", is_flag=True, help="Also show the rules that did not match, and why.")
def rules_test(rules_path: TextIO | None, expect: tuple[str, ...], show_all: bool) -> None:
    """Decide the event on standard input (JSON: title, severity, labels, source, sender, ...) and print the trace.

    A "time" (ISO 8601) in the JSON sets the clock for hour / weekday conditions (default: now). A "desk_address"
    or "request_type" gets the desk's or the type's defaults over catch-all rules, and a service (a "service"
    label, or a CI's) its owner group, as the intake gives them (not with --rules, which tries a file alone).
    Exits 1 when an
    --expect does not hold, so rules can be checked in CI:
    echo '{"title": "Disk full", "severity": "critical"}' | switchboard rules test --expect category=outage
    """
    from hub import over_rules
    from hub.models import utcnow

    try:
        payload = json.loads(sys.stdin.read() or "{}")
        if not isinstance(payload, dict):
            raise click.BadParameter("standard input must hold one JSON object")
        event, now = test_event(payload, utcnow())
        if rules_path:
            parsed = rules_file.parse_file(rules_path.read())
            book, state = RuleBook(0, tuple(parsed.rules), settings=MappingProxyType(parsed.settings)), RoutingState()
            known = over_rules.NOTHING  # a rules file is tried on its own, without a database
        else:
            book, state, known = in_transaction(_stored_book_and_state)
    except (ValueError, RuleError, BadInput) as exc:
        raise click.ClickException(str(exc)) from None
    except RecursionError:  # Python's JSON parser recurses
        raise click.ClickException("standard input nests objects and arrays too deeply to read") from None
    engine = Engine()
    ruled = engine(event, book, now, state)
    decision = known.over(ruled, event, book)  # the desks' and request types' defaults, as the intake lays them
    if show_all:
        for check in engine.explain(event, book, now):
            click.echo(f"{'MATCH' if check.matched else '     '}  {check.rule}: {'; '.join(check.conditions)}")
        click.echo("")
    for step in decision.trace:
        sets = ", ".join(f"{k}={v}" for k, v in step.sets.items())
        click.echo(f"MATCH  {step.rule}" + (f"  -> {sets}" if sets else ""))
        for condition in step.conditions:
            click.echo(f"         because {condition}")
        for note in step.notes:
            click.echo(f"         note: {note}")
    click.echo(f"{decision.evaluated} rule(s) evaluated, {len(ruled.trace)} matched")
    outcome = outcome_fields(decision)
    click.echo("decision: " + ", ".join(f"{k}={v}" for k, v in outcome.items() if v not in ("", "None")))
    failed = []
    for wanted in expect:
        key, _, value = (part.strip() for part in wanted.partition("="))
        if key not in outcome:
            failed.append(f"unknown field {key!r} in --expect; use one of {', '.join(outcome)}")
        elif outcome[key] != value:
            failed.append(f"expected {key}={value}, got {outcome[key] or 'nothing'}")
    if failed:
        raise click.ClickException("; ".join(failed))


def outcome_fields(decision: Decision) -> dict[str, str]:
    """The decision as the text --expect compares with (lists comma-separated, priority as P1..P5)."""
    return {
        "category": str(decision.category),
        "kind": decision.kind or INCIDENT_KINDS[0],  # what the rules make of an event that says nothing
        "assignee": str(decision.assignee),
        "priority": f"P{decision.priority}",
        "service": str(decision.service),
        "tags": ",".join(decision.tags),
        "impact": str(decision.impact),
        "urgency": str(decision.urgency),
        "title": str(decision.title),
        "dedup_key": str(decision.dedup_key),
        "ci": str(decision.ci),
        "channels": ",".join(decision.channels),
        "suppressed": "true" if decision.suppressed else "false",
    }


def _stored_book_and_state(session: Any) -> tuple[RuleBook, RoutingState, Known]:
    from hub import groups, over_rules, rulebook
    from hub.models import utcnow

    book = rulebook.load(session)
    state = groups.routing_state(session, book.assignment_groups, utcnow())
    return book, state, over_rules.read(session.connection())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def group() -> None:
    """Manage the groups rules assign within (`set: {group: dba, strategy: round_robin}`)."""


@group.command("set")
@click.argument("name")
@click.option("--member", "members", multiple=True, required=True,
              help="A member's email; repeat, in the order round robin goes round.")  # fmt: skip
def group_set(name: str, members: tuple[str, ...]) -> None:
    """Create group NAME or replace its members.

    Members are paged (escalations, on-call shifts), so each must be an active agent or admin who can log in and
    acknowledge (`switchboard user create`); anyone else is refused, and nothing changes.

    Example: switchboard group set dba --member ann@example.com --member bob@example.com
    """
    from hub import audit, groups

    def work(session: Any) -> str:
        saved = groups.save_group(session, name, members)
        audit.record(session, audit.CLI, "group.set", saved.name, members=list(saved.members))
        return _members_line(saved)

    click.echo(in_transaction(work))


@group.command("list")
def group_list() -> None:
    """Print each group with its members, in round-robin order; one who could no longer answer a page (deactivated
    since they joined) is marked, and paging passes them over."""
    from hub import assignees, groups

    def work(session: Any) -> tuple[list[groups.GroupInfo], dict[str, str]]:
        found = groups.list_groups(session)
        return found, assignees.unable(session.connection(), [m for g in found for m in g.members])

    found, unable = in_transaction(work)
    if not found:
        click.echo("no groups; make one with `switchboard group set NAME --member EMAIL`")
    for info in found:
        click.echo(f"{info.name}: {', '.join(m + (' (cannot be paged)' if m in unable else '') for m in info.members)}")


@group.command("add-member")
@click.argument("name")
@click.argument("email")
def group_add_member(name: str, email: str) -> None:
    """Add EMAIL to group NAME, last in its rota.

    The others keep their order, as when the Groups page adds a member. The group must exist (`switchboard group
    set`), and EMAIL must be an active agent or admin who can log in and acknowledge (`switchboard user create`),
    not in the group already; anything else is refused, and nothing changes.

    Example: switchboard group add-member dba dan@example.com
    """
    from hub import audit, groups

    def work(session: Any) -> str:
        saved = groups.add_member(session, name, email)
        audit.record(session, audit.CLI, "group.member.add", saved.name, member=saved.members[-1],
                     members=list(saved.members))  # fmt: skip
        return _members_line(saved)

    click.echo(in_transaction(work))


@group.command("remove-member")
@click.argument("name")
@click.argument("email")
def group_remove_member(name: str, email: str) -> None:
    """Take EMAIL out of group NAME.

    The others keep their rota order, as with the Groups page's Remove button. Anyone may be taken out, a member
    deactivated since they joined included; the group stays, even with no members left (`switchboard group
    remove` removes it).

    Example: switchboard group remove-member dba dan@example.com
    """
    from hub import audit, groups

    def work(session: Any) -> str:
        who = email.strip().lower()
        saved = groups.remove_member(session, name, who)
        audit.record(session, audit.CLI, "group.member.remove", saved.name, member=who, members=list(saved.members))
        return _members_line(saved)

    click.echo(in_transaction(work))


def _members_line(info: GroupInfo) -> str:
    """A group as `set`, `add-member` and `remove-member` print it: `dba: ann@example.com, bob@example.com`."""
    return f"{info.name}: {', '.join(info.members) or 'no members'}"


@group.command("remove")
@click.argument("name")
def group_remove(name: str) -> None:
    """Remove group NAME (rules that assign within it then leave incidents unassigned, and say so)."""
    from hub import audit, groups

    def work(session: Any) -> None:
        groups.remove_group(session, name)
        audit.record(session, audit.CLI, "group.remove", name)

    in_transaction(work)
    click.echo(f"removed group {name}")
