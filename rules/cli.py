"""`switchboard rules ...`: inspect and add routing rules from the shell."""

from __future__ import annotations

import click

from hub import rulebook
from hub.cli import in_transaction
from hub.domain import RULE_FIELDS, RuleSpec
from rules.engine import OPERATORS, compile_rule
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
