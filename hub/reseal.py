"""`switchboard db reseal`: every secret kept in the database sealed again under the current SECRET_KEY.

Run it after a new SECRET_KEY (the old one in SWITCHBOARD_OLD_SECRET_KEYS, so what it sealed still opens), and once
after upgrading from a version that stored these secrets plain. Each column's sealed.Column is its own module's
(and a column that also holds other things says what to store, as mailboxes.resealed does); this walks the rows.
All in one transaction: a value that does not open stops the run with the error that says what to do, and nothing
is changed. Each row is rewritten only if it still holds what was read (compare-and-set), so a secret someone
changed meanwhile (two-factor turned off, say) is not brought back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub import channels, mailboxes, sealed, two_factor
from hub.models import Channel, Mailbox, User
from hub.sealed import Keyring

#: How often a long column reports how far it has got.
PROGRESS_EVERY = 500

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Resealed:
    """What one column came to."""

    column: str
    secrets: int  # rows holding a secret (or, for mailboxes, a reference to one)
    rewritten: int  # sealed anew: under an older key, or plain from before sealing


@dataclass(frozen=True)
class _Target:
    secrets: sealed.Column
    model: Any
    column: InstrumentedAttribute[Any]
    #: A column whose values are not all sealed secrets says what to store instead (mailboxes: `env:` references).
    own_rule: Callable[[Keyring, str, int], str | None] | None = None

    def resealed(self, keys: Keyring, stored: str, row_id: int) -> str | None:
        if self.own_rule is not None:
            return self.own_rule(keys, stored, row_id)
        return sealed.resealed(keys, stored, self.secrets.at(row_id))


TARGETS = (
    _Target(two_factor.SECRET, User, User.totp_secret),
    _Target(two_factor.PENDING, User, User.totp_pending),
    _Target(channels.SECRET, Channel, Channel.signing_secret),
    _Target(mailboxes.SECRET, Mailbox, Mailbox.secret, mailboxes.resealed),
)


def reseal(session: Session, keys: Keyring, progress: Progress = lambda _: None) -> list[Resealed]:
    """Seal every secret under `keys.current`; raises sealed.CannotOpen (nothing written) for one that won't open."""
    return [_column(session, keys, target, progress) for target in TARGETS]


def _column(session: Session, keys: Keyring, target: _Target, progress: Progress) -> Resealed:
    model, column = target.model, target.column
    rows = session.execute(select(model.id, column).where(column.is_not(None)).order_by(model.id)).all()
    rewritten = 0
    for done, (row_id, stored) in enumerate(rows, start=1):
        new = target.resealed(keys, stored, row_id)
        if new is not None:
            changed = session.execute(
                update(model)
                .where(model.id == row_id, column == stored)
                .values({column.key: new})
                .execution_options(synchronize_session=False)
            )
            rewritten += changed.rowcount  # type: ignore[attr-defined]
        if done % PROGRESS_EVERY == 0 and done < len(rows):
            progress(f"{target.secrets.name}: {done} of {len(rows)} read, {rewritten} sealed anew")
    return Resealed(target.secrets.name, len(rows), rewritten)
