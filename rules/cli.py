"""`switchboard rules ...`: inspect and add routing rules from the shell."""

from __future__ import annotations

import json
import sys
from types import MappingProxyType
from typing import Any, TextIO

import click

from hub import rulebook
from hub.cli import in_transaction
from hub.domain import RULE_FIELDS, SEVERITIES, InboundEvent, RuleBook, RuleSpec
from hub.models import utcnow
from rules import rules_file
from rules.engine import OPERATORS, Engine, compile_rule
from rules.errors import RuleError


@click.group()
def rules() -> None:
    """Inspect and add routing rules."""


@rules.command("list")
def rules_list() -> None:
    """Print the rules in the order they are applied: for each field, the first matching rule sets it."""
    book = in_transaction(rulebook.load)
    for spec in book.rules:
        pairs = (("category", spec.set_category), ("assignee", spec.set_assignee))
        sets = ", ".join(f"{k}={v}" for k, v in pairs if v) or "nothing"
        state = "" if spec.enabled else " (disabled)"
        stop = "; stop" if spec.stop else ""
        test = f"{spec.field} exists" if spec.op == "exists" else f"{spec.field} {spec.op} {spec.value!r}"
        click.echo(f"{spec.id:>4}  if {test}: set {sets}{stop}  # {spec.name}{state}")


@rules.command("add")
@click.option("--name", required=True, help="A readable name, shown in decision traces.")
@click.option("--field", required=True, help=f"Event field to test: {', '.join(RULE_FIELDS)}.")
@click.option("--op", type=click.Choice(OPERATORS), default="equals", show_default=True)
@click.option("--value", default="", help="What to compare with (comma-separated for 'in').")
@click.option("--category", help="Set this category when the rule matches.")
@click.option("--assign", help="Assign to this person (their email) or group name when the rule matches.")
@click.option(
    "--stop/--continue", default=False, show_default=True, help="Stop evaluating further rules after a match."
)
def rules_add(name: str, field: str, op: str, value: str, category: str | None, assign: str | None, stop: bool) -> None:
    """Add a rule ahead of the existing ones, so the default catch-all stays last.

    Example: switchboard rules add --name "DB pages" --field labels.team --value db --assign dba@example.com
    """
    spec = RuleSpec(id=0, name=name, field=field, op=op, value=value, set_category=category,
                    set_assignee=assign.lower() if assign else None, stop=stop)  # fmt: skip
    if not (category or assign):
        raise click.UsageError("give --category and/or --assign: a rule that sets nothing has no effect")
    try:
        compile_rule(spec)
    except RuleError as exc:
        raise click.BadParameter(str(exc)) from None
    rule_id = in_transaction(lambda s: rulebook.add_rule(s, spec).id)
    click.echo(f"added rule {rule_id}: {name}")


@rules.command("remove")
@click.argument("rule_id", type=int)
def rules_remove(rule_id: int) -> None:
    """Delete rule RULE_ID (see `switchboard rules list` for ids)."""
    name = in_transaction(lambda s: rulebook.remove_rule(s, rule_id))
    click.echo(f"removed rule {rule_id}: {name}")


@rules.command("disable")
@click.argument("rule_id", type=int)
def rules_disable(rule_id: int) -> None:
    """Keep rule RULE_ID but stop applying it."""
    in_transaction(lambda s: rulebook.set_enabled(s, rule_id, False))
    click.echo(f"disabled rule {rule_id}")


@rules.command("enable")
@click.argument("rule_id", type=int)
def rules_enable(rule_id: int) -> None:
    """Apply rule RULE_ID again."""
    in_transaction(lambda s: rulebook.set_enabled(s, rule_id, True))
    click.echo(f"enabled rule {rule_id}")


@rules.command("export")
def rules_export() -> None:
    """Print the rules as YAML (deterministic: same rules, same bytes), e.g. switchboard rules export > rules.yaml"""
    click.echo(rules_file.export(in_transaction(rulebook.load).rules), nl=False)


@rules.command("import")
@click.argument("path", type=click.File("r"))
def rules_import(path: TextIO) -> None:
    """Replace every rule with those in PATH (YAML, as `rules export` writes); nothing changes unless all are valid."""
    try:
        specs = rules_file.parse(path.read())
    except RuleError as exc:
        raise click.ClickException(f"{path.name}: {exc}\nNothing was changed.") from None
    count = in_transaction(lambda s: rulebook.replace_all(s, specs))
    click.echo(f"imported {count} rule(s) from {path.name}")


@rules.command("test")
@click.option("--rules", "rules_path", type=click.File("r"), help="Test these rules (YAML) instead of the stored ones.")
@click.option("--expect", multiple=True, help="field=value the decision must have, e.g. assignee=dba@example.com.")
def rules_test(rules_path: TextIO | None, expect: tuple[str, ...]) -> None:
    """Decide the event on standard input (generic JSON: title, severity, labels, ...) and print the trace.

    Exits 1 when an --expect does not hold, so rules can be checked in CI:
    echo '{"title": "Disk full", "severity": "critical"}' | switchboard rules test --expect category=outage
    """
    try:
        payload = json.loads(sys.stdin.read() or "{}")
        if not isinstance(payload, dict):
            raise click.BadParameter("standard input must hold one JSON object")
        event = _event(payload)
        specs = rules_file.parse(rules_path.read()) if rules_path else in_transaction(rulebook.load).rules
    except (ValueError, RuleError) as exc:
        raise click.ClickException(str(exc)) from None
    decision = Engine()(event, RuleBook(0, tuple(specs)), utcnow())
    for step in decision.trace:
        sets = ", ".join(f"{k}={v}" for k, v in step.sets.items())
        click.echo(f"{'MATCH' if step.matched else '     '}  {step.rule}" + (f"  -> {sets}" if sets else ""))
    outcome = {"category": decision.category, "assignee": decision.assignee, "priority": f"P{decision.priority}"}
    click.echo("decision: " + ", ".join(f"{k}={v}" for k, v in outcome.items()))
    failed = []
    for wanted in expect:
        key, _, value = wanted.partition("=")
        if str(outcome.get(key.strip())) != value.strip():
            failed.append(f"expected {key.strip()}={value.strip()}, got {outcome.get(key.strip())}")
    if failed:
        raise click.ClickException("; ".join(failed))


def _event(payload: dict[str, Any]) -> InboundEvent:
    """An event from the fields rules can test (a generic webhook body, plus source and requester)."""
    severity = str(payload.get("severity", "unknown")).lower()
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    labels = payload.get("labels") or {}
    if not isinstance(labels, dict):
        raise ValueError("labels must be an object")
    return InboundEvent(
        source=str(payload.get("source", "generic")),
        title=str(payload.get("title", "(test event)")),
        description=str(payload.get("description", "")),
        severity=severity,
        dedup_key=payload.get("dedup_key"),
        labels=MappingProxyType({str(k): str(v) for k, v in labels.items()}),
        integration=payload.get("integration"),
        requester=payload.get("requester"),
    )
