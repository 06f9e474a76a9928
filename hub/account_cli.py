"""`switchboard user|token|integration ...`: people who log in, API tokens, and tools that post events.

Imported only when one of these commands runs or shows its help (hub/cli.py's OWN_COMMANDS); each imports what it
works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from hub.cli import in_transaction, printed_time
from hub.domain import INTEGRATION_KINDS, ROLES
from hub.errors import BadInput
from hub.integration_doors import NAME_USE, door
from hub.integration_settings import HELP

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def user() -> None:
    """Manage people who can log in to the web UI."""


@user.command("create")
@click.option("--email", required=True, help="Login name and notification address.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--name", default="", help="Display name signing their replies, e.g. 'Alice Smith' (default: the "
              "part of the address before the @).")  # fmt: skip
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
def user_create(email: str, role: str, name: str, password: str) -> None:
    """Create a user who can log in to the web UI.

    Example: switchboard user create --email alice@example.com --name "Alice Smith" --role agent
    """
    from hub import accounts, audit

    def create(session: Session) -> str:
        created = accounts.create_user(session, email=email, password=password, role=role, display_name=name).email
        audit.record(session, audit.CLI, "user.create", created, role=role)
        return created

    click.echo(f"created {role} {in_transaction(create)}")


@user.command("password")
@click.argument("email")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="At least 8 characters; asked for (hidden, twice) when left out.")  # fmt: skip
def user_password(email: str, password: str) -> None:
    """Set a user's password, e.g. for someone who forgot theirs (also the way back in for the last admin).

    Every web session logged in with the old password ends. Example: switchboard user password ann@example.com
    """
    from hub import accounts, audit

    def change(session: Session) -> str:
        changed = accounts.set_password(session, email, password).email
        audit.record(session, audit.CLI, "user.password", changed)
        return changed

    click.echo(f"new password set for {in_transaction(change)}; their other sessions are logged out")


@user.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), help="The new role.")
@click.option("--enable/--disable", "active", default=None, help="Let them log in, or not (their history stays).")
def user_set(email: str, role: str | None, active: bool | None) -> None:
    """Change a user's role or switch their account on or off.

    Example: switchboard user set ann@example.com --role admin
    """
    from hub import accounts, audit

    if role is None and active is None:
        raise click.UsageError("nothing to change: give --role, --enable or --disable")

    def change(session: Session) -> str:
        changed = accounts.change_user(session, email, role=role, active=active)
        action = "user.role" if active is None else ("user.enable" if active else "user.disable")
        audit.record(session, audit.CLI, action, changed.email, role=changed.role, active=changed.active)
        return f"{changed.email} is {changed.role}" + ("" if changed.active else " (disabled)")

    click.echo(in_transaction(change))


@user.command("reset-2fa")
@click.argument("email")
def user_reset_two_factor(email: str) -> None:
    """Turn two-factor authentication off for someone who lost their phone and their recovery codes, or their keys.

    Their authenticator app, recovery codes and security keys stop counting, and their web sessions end; they set
    it up again from their account page (at once, if their role requires it).
    Example: switchboard user reset-2fa ann@example.com
    """
    from hub import accounts, audit, two_factor

    def reset(session: Session) -> str:
        user, keys = two_factor.reset(session, accounts.user_by_email(session, email).id)
        audit.record(session, audit.CLI, "user.2fa_reset", user.email, security_keys=keys)
        return user.email + (f" and their {keys} security key{'s' if keys != 1 else ''} removed" if keys else "")

    click.echo(f"two-factor authentication is off for {in_transaction(reset)}; their sessions are logged out")


@click.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'grafana-dashboard'.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True,
              help="A desk token's role; a personal token (--for) has its person's.")  # fmt: skip
@click.option("--expires-in", help="Days until it stops working, e.g. 90d (default: until revoked).")
@click.option("--for", "owner", metavar="EMAIL", help="Make it personal: it acts as this person, with their role.")
def token_create(name: str, role: str, expires_in: str | None, owner: str | None) -> None:
    """Create an API token; it is printed once, as the last line, and stored only as a hash.

    Example: switchboard token create --name grafana-dashboard --role viewer --expires-in 90d
    """
    from hub import api_tokens, audit

    try:
        days = api_tokens.expiry_days(expires_in)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--expires-in") from None

    def create(session: Session) -> str:
        value = api_tokens.create_token(session, name=name, role=role, expires_in_days=days, owner=owner)
        detail = {"owner": owner.strip().lower()} if owner else {"role": role}
        audit.record(session, audit.CLI, "token.create", name, **detail, **({"days": days} if days else {}))
        return value

    value = in_transaction(create)
    whose = f"{owner.strip().lower()}'s personal" if owner else role
    until = f", expires in {days} days" if days else ""
    click.echo(f"API token {name!r} ({whose}{until}); store it now, it will not be shown again:", err=True)
    click.echo(value)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, each token as GET /api/v1/tokens has it.")
def token_list(as_json: bool) -> None:
    """List the API tokens: name, role, created, last used, expires, and whose a personal one is.

    Last used is written at most once a minute. Example: switchboard token list --json
    """
    import json

    from hub import api_tokens

    rows = in_transaction(api_tokens.listing)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    if not rows:
        click.echo("no API tokens; make one with: switchboard token create --name NAME --role viewer")
    for row in rows:
        used = printed_time(row.last_used_at) if row.last_used_at else "never"
        expires = f"expires {printed_time(row.expires_at)}" if row.expires_at else "no expiry"
        owner = f"  {row.owner}'s" if row.owner else ""
        click.echo(f"{row.name}  {row.role}  made {printed_time(row.created_at)}  last used {used}  {expires}{owner}")


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Delete the API token NAME: the next request made with it is refused (401).

    Example: switchboard token revoke grafana-dashboard
    """
    from hub import api_tokens, audit

    def revoke(session: Session) -> None:
        api_tokens.revoke(session, name)
        audit.record(session, audit.CLI, "token.revoke", name)

    in_transaction(revoke)
    click.echo(f"revoked API token {name!r}; requests with it are refused from now on")


@click.group()
def integration() -> None:
    """Manage integrations (monitoring tools that post events)."""


@integration.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON array, each integration as GET /api/v1/integrations has it."
)
def integration_list(as_json: bool) -> None:
    """List the integrations: name, kind, rate limit, created, and when the last event came.

    Example: switchboard integration list --json
    """
    import json

    from hub.integration_listing import listing

    rows = in_transaction(listing)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    if not rows:
        click.echo(
            "no integrations; make one with: switchboard integration create --kind alertmanager --name prometheus"
        )
    for row in rows:
        limit = f"{row.rate_limit}/min" if row.rate_limit else "no limit"
        last = printed_time(row.last_event_at) if row.last_event_at else "never"
        off = "  disabled" if not row.enabled else ""
        click.echo(f"{row.name}  {row.kind}  {limit}  created {printed_time(row.created_at)}  last event {last}{off}")


@integration.command("create")
@click.option("--kind", type=click.Choice(INTEGRATION_KINDS), default="generic", show_default=True)
@click.option("--name", required=True, help=f"What to call it. {NAME_USE}")
@click.option(
    "--rate-limit", type=click.IntRange(min=1), help="Most requests per minute; more get 429 (default: none)."
)
def integration_create(kind: str, name: str, rate_limit: int | None) -> None:
    """Create an integration; its secret is printed once, as the last line."""
    from hub import accounts, audit

    def create(session: Session) -> str:
        audit.record(session, audit.CLI, "integration.create", name, kind=kind)
        return accounts.create_integration(session, name=name, kind=kind, rate_limit=rate_limit)[1]

    secret = in_transaction(create)
    click.echo(f"integration {name!r} ({kind}) {door(kind, name).said()};", err=True)
    click.echo(f"the tool's configuration to copy is on the web UI's /integrations/{name}.", err=True)
    click.echo("Store the secret now, it will not be shown again:", err=True)
    click.echo(secret)


@integration.command("rotate")
@click.argument("name")
def integration_rotate(name: str) -> None:
    """Give an integration a new secret, printed once as the last line; the old one stops working at once.

    Update the tool's configuration with the new secret right after, or its alerts are refused (401).
    """
    from hub import accounts, audit

    def rotate(session: Session) -> str:
        audit.record(session, audit.CLI, "integration.rotate", name)
        return accounts.rotate_integration_secret(session, name)

    secret = in_transaction(rotate)
    click.echo(f"integration {name!r} has a new secret; store it now, it will not be shown again:", err=True)
    click.echo(secret)


@integration.command("set")
@click.argument("name")
@click.option("--rate-limit", help=f"{HELP['rate_limit']}; or 'none'.")
@click.option("--reopen-window", help=f"{HELP['reopen_window']}; or 'none'.")
@click.option("--auto-resolve", help=f"{HELP['auto_resolve_after']}; or 'none'.")
@click.option("--threshold", help=f"{HELP['threshold']}; or 'none'.")
@click.option("--flapping", help=f"{HELP['flapping']}; or 'none'.")
@click.option("--enable/--disable", "enabled", default=None, help="Accept or refuse this integration's events.")
def integration_set(
    name: str,
    rate_limit: str | None,
    reopen_window: str | None,
    auto_resolve: str | None,
    threshold: str | None,
    flapping: str | None,
    enabled: bool | None,
) -> None:
    """Change an integration's settings; only the options given change.

    Example: switchboard integration set prometheus --reopen-window 15m --auto-resolve 4h
    """
    from hub import accounts, audit, integration_settings

    typed = {"rate_limit": rate_limit, "reopen_window": reopen_window, "auto_resolve_after": auto_resolve,
             "threshold": threshold, "flapping": flapping}  # fmt: skip
    try:
        changes: dict[str, Any] = integration_settings.read_all(
            {k: text for k, text in typed.items() if text is not None}
        )
    except BadInput as exc:
        raise click.BadParameter(str(exc)) from None
    if not changes and enabled is None:
        raise click.UsageError("nothing to change: give --rate-limit, --reopen-window, --auto-resolve, --threshold ...")

    def configure(session: Session) -> None:
        accounts.configure_integration(session, name, enabled=enabled, **changes)
        audit.record(session, audit.CLI, "integration.configure", name, **{k: v for k, v in changes.items()},
                     **({} if enabled is None else {"enabled": enabled}))  # fmt: skip

    in_transaction(configure)
    click.echo(f"updated integration {name!r} (other processes pick it up within a second)")


@integration.command("remove")
@click.argument("name")
def integration_remove(name: str) -> None:
    """Delete an integration nothing refers to yet (made by mistake, never used), with its heartbeats.

    One whose events, incidents or deploys are kept is refused: disable it instead, which keeps its history and
    refuses its events (switchboard integration set NAME --disable). Example: switchboard integration remove test
    """
    from hub import accounts, audit

    def remove(session: Session) -> None:
        accounts.remove_integration(session, name)
        audit.record(session, audit.CLI, "integration.remove", name)

    in_transaction(remove)
    click.echo(f"removed integration {name!r}; requests naming it are refused (404)")
