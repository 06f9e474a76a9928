"""What agents write on an incident: internal notes (with @mentions), replies to the requester (both with files
an agent attached, hub/agent_files.py), time spent.

Each is one transaction that adds its timeline entry and owes the mail it causes, as the state changes in
`hub/triage.py` do; what both share (`Actor`, `Mail`, the lock, the errors) is in `hub/agent_action.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Integer, Row, bindparam, func, insert, or_, select, update

from hub import (
    agent_files,
    copied,
    mail_choices,
    mentions,
    name_words,
    notices,
    people,
    recipients,
    sla,
    sla_pauses,
    time_spent,
)
from hub.addresses import is_pseudonym
from hub.agent_action import BY_EMAIL, Actor, Locked, Mail, TriageError, by_email, checked_text, lock, locked
from hub.agent_files import Kept, Listed
from hub.db import Database
from hub.mentions import Mentions
from hub.models import Incident, User, utcnow
from hub.outbox import entry, owe, turned_down
from hub.prefix_match import in_code_point_order, starting_with
from hub.statements import INSERT_TIMELINE, TIMELINE
from hub.time_spent import Correction, Spent


def add_note(
    db: Database,
    incident_id: int,
    text: str,
    actor: Actor,
    mail: Mail | None = None,
    spent: Spent | None = None,
    files: Sequence[Kept] = (),
) -> Mentions:
    """An internal note: on the timeline, never mailed to the requester. Colleagues it @mentions (hub/mentions.py)
    are mailed the note, in the same transaction, when `mail` says how, unless they turned mention mail off (the
    mention is recorded all the same); the writer is never mailed their own. Returns who was told, who was not
    (their choice), and the names that matched no one or more than one. `spent`: time the writer logs with it
    (hub/time_spent.py). `files`: what the writer attached, already in the store (hub/agent_files.py), listed
    under the note and as internal as it is; with files, the text may be empty."""
    text = checked_text(text, "note", files=len(files))
    with db.transaction() as session:
        conn = session.connection()
        return write_note(conn, lock(conn, incident_id), text, actor, mail, spent=spent, files=files)


def write_note(
    conn: Connection,
    incident: Locked,
    text: str,
    actor: Actor,
    mail: Mail | None,
    *,
    spent: Spent | None = None,
    files: Sequence[Kept] = (),
    emailed: int | None = None,
) -> Mentions:
    """`add_note`'s writes, in the caller's transaction on the incident it locked (`lock`) and with `text` checked:
    the page's note and an agent's emailed one (hub/agent_mail.py) are one function. `emailed`: the stored event of
    the agent's mail it came as, linked from the entry (its files listed there), which says "by email"."""
    names = mentions.handles(text)
    said = mentions.resolve(names, mentionable_as(conn, names)) if names and mail is not None else mentions.NONE
    said = replace(said, people=tuple(person for person in said.people if person != actor.name.lower()))
    told = list(said.people)
    data: dict[str, Any] = {"by": actor.name, "body": text, **({"mentioned": told} if told else {})}
    summary = f"Note by {actor.name}{BY_EMAIL if emailed else ''}" + (f", mentioning {', '.join(told)}" if told else "")
    summary += _time_with(conn, incident.id, actor, spent, data)
    note_id = _add_entry(conn, entry(incident.id, "note", summary, event_id=emailed, data=by_email(data, emailed)))
    agent_files.record(conn, incident.id, note_id, files)
    if not told or mail is None:
        return said
    mailed, declined = mail_choices.sift(mail_choices.of_active(conn, told), "mentioned", incident.priority)
    [by_label] = people.labels(conn, [actor.name])
    owed = [_mention(incident, person, actor, by_label, text, mail) for person in mailed]
    also = turned_down(incident.id, "mentioned", declined)
    owe(conn, incident.id, owed, also=also, automatic=False)  # a person's note, not an automatic message
    return replace(said, people=tuple(mailed), not_mailed=tuple(declined))


def _add_entry(conn: Connection, row: dict[str, Any]) -> int:
    """Insert one timeline entry; its id, for the files listed under it."""
    return int(conn.execute(insert(TIMELINE).returning(TIMELINE.c.id), row).scalar_one())


def _mention(incident: Locked, person: str, actor: Actor, by_label: str, text: str, mail: Mail) -> notices.Notice:
    return notices.mention(incident_id=incident.id, title=incident.title, recipient=person, by=actor.name,
                           by_label=by_label, note=text, priority=incident.priority, desk_address=mail.desk_address,
                           base_url=mail.base_url, templates=mail.templates)  # fmt: skip


def mentionable_as(conn: Connection, names: Sequence[str]) -> list[str]:
    """The active users (a viewer may be told, though not write) whom the mentioned `names` could mean, for
    `mentions.resolve`: the whole addresses named, and the addresses starting `name@` for each bare name (and
    `ann@` for "ann's"). Read through the index on addresses, a few rows for a note's few names, not every user."""
    whole = [name for name in names if "@" in name]
    wanted = [starting_with(User.email, f"{local}@") for name in names if "@" not in name
              for local in mentions.could_mean(name)]  # fmt: skip
    if whole:
        wanted.append(User.email.in_(whole))
    return list(conn.scalars(select(User.email).where(User.active.is_(True), or_(*wanted)))) if wanted else []


#: The first `most` active users by address, with their display names, read in the order of the index on
#: addresses, which stops there.
FIRST_BY_ADDRESS = (
    select(User.email, User.display_name)
    .where(User.active.is_(True))
    .order_by(in_code_point_order(User.email))
    .limit(bindparam("most", type_=Integer))
)


def first_mentionable(conn: Connection, most: int = mentions.SUGGESTED) -> tuple[list[mentions.Suggestion], bool]:
    """What the note box offers before anything is typed: the first `most` active users by address, each with the
    name that reaches them alone (`mentions.suggestions`), listed by name (`by_name`), and whether there are more.
    It reads `most` + 1 rows through the index: namesakes (`bob@a.example`, `bob@b.example`) all start `bob@`, so
    in code point order they sort together, and only the last address shown can have one past them, the next."""
    rows = conn.execute(FIRST_BY_ADDRESS, {"most": most + 1}).all()
    read = [row.email for row in rows]
    shown = set(read[:most])
    offered = mentions.suggestions(read, most=len(read), names=_named(rows))
    return by_name([suggestion for suggestion in offered if suggestion.address in shown]), len(read) > most


def mentionable_starting(
    conn: Connection, typed: str, most: int = mentions.SUGGESTED_AS_TYPED
) -> list[mentions.Suggestion]:
    """Whom the note box offers for `@typed`: the first `most` active users whose address starts with it, then those
    with a word of their display name starting with it (hub/name_words.py), each with the name that reaches them
    alone (`mentions.suggestions`), never their display name; the best matches first, then by name (`by_name`).
    Every read goes through an index: the people found, then those sharing their address's part before the @,
    which decides whether that part alone is a name (`@bob` when there is one bob)."""
    active = select(User.email).where(User.active.is_(True))
    rows = name_words.people_starting(conn, select(User.email, User.display_name).where(User.active.is_(True)),
                                      typed, most)  # fmt: skip
    if not rows:
        return []
    found = [row.email for row in rows]
    local_parts = {address.partition("@")[0] for address in found}
    namesakes = conn.scalars(active.where(or_(*(starting_with(User.email, f"{name}@") for name in local_parts))))
    people = {*found, *namesakes}
    offered = {s.address: s for s in mentions.suggestions(people, most=len(people), names=_named(rows))}
    return by_name([offered[address] for address in found if address in offered], typed)


def by_name(offered: Iterable[mentions.Suggestion], typed: str = "") -> list[mentions.Suggestion]:
    """`offered` as the note box lists them (hub/name_words.py `sort_key`): the best matches for `typed` first,
    then by display name, not by address."""
    return sorted(offered, key=lambda s: name_words.sort_key(s.address, s.name, typed))


def _named(rows: Sequence[Row[str, str | None]]) -> dict[str, str]:
    """The display names of those (address, display name) rows that have one, by address."""
    return {row.email: row.display_name for row in rows if row.display_name}


def reply(
    db: Database,
    incident_id: int,
    text: str,
    actor: Actor,
    mail: Mail,
    spent: Spent | None = None,
    files: Sequence[Kept] = (),
) -> str:
    """Mail the requester, threaded under the conversation so their answer comes back to this incident.

    A person's reply is not automatic mail, so the loop caps for automatic mail do not hold it back. `files`,
    already in the store (hub/agent_files.py), are listed under the reply and go with its mail: its outbox row
    names them, and the worker reads them from the store as it sends. With files, the text may be empty: the mail
    then says who sent how many (hub/notices.py::files_sent). Returns the address it goes to.
    """
    text = checked_text(text, "reply", files=len(files))
    with db.transaction() as session:
        conn = session.connection()
        return write_reply(conn, lock(conn, incident_id), text, actor, mail, spent=spent, files=files)


def no_one_to_reply_to(incident: Locked) -> str | None:
    """Why a reply cannot go (no requester, or one erased), saying so; None when it can."""
    if not incident.requester:
        return f"{incident.ref} has no requester to reply to (it came from {incident.source})"
    if is_pseudonym(incident.requester):
        return f"{incident.ref}'s requester asked to be erased: there is no one to reply to"
    return None


def status_after_reply(status: str) -> str:
    """An open incident's first reply is its first response: it is acknowledged by it."""
    return "acknowledged" if status == "open" else status


def write_reply(
    conn: Connection,
    incident: Locked,
    text: str,
    actor: Actor,
    mail: Mail,
    *,
    spent: Spent | None = None,
    files: Sequence[Kept] = (),
    emailed: int | None = None,
    listed: Sequence[Listed] = (),
) -> str:
    """`reply`'s writes, in the caller's transaction on the incident it locked (`lock`) and with `text` checked:
    the page's reply and an agent's emailed one (hub/agent_mail.py) are one function. `emailed`: the stored event
    of the agent's mail it came as, linked from the entry, which says "by email"; `listed`: that mail's files that
    go with the reply, already listed against it. TriageError when there is no one to reply to
    (`no_one_to_reply_to`)."""
    if (why := no_one_to_reply_to(incident)) is not None:
        raise TriageError(why)
    requester = incident.requester or ""
    notice = notices.agent_reply(
        incident_id=incident.id,
        title=incident.title,
        requester=requester,
        text=text,
        agent=signer(conn, actor),
        desk_address=mail.desk_address,
        references=recipients.thread_message_ids(conn, incident.id, requester),
        base_url=mail.base_url,
        templates=mail.templates,
        files=[kept.filename for kept in files] + [file.filename for file in listed],
    )
    if status_after_reply(incident.status) != incident.status:
        conn.execute(
            update(Incident)
            .where(Incident.id == incident.id)
            .values(status=status_after_reply(incident.status),
                    acknowledged_at=func.coalesce(Incident.acknowledged_at, utcnow()))
        )  # fmt: skip
        sla_pauses.refresh(conn, incident.id)
    sla.agent_update(conn, incident.id)  # an update to the requester: the next is due a whole target later
    data: dict[str, Any] = {"by": actor.name, "body": text, "delivery_id": notice.delivery_id}
    summary = f"Reply by {actor.name}{BY_EMAIL if emailed else ''} to {requester}"
    if people := copied.copied(conn, incident.id):
        summary += f", copied to {', '.join(people)}"
    summary += _time_with(conn, incident.id, actor, spent, data)
    reply_id = _add_entry(conn, entry(incident.id, "reply", summary, event_id=emailed, data=by_email(data, emailed)))
    attached = agent_files.record(conn, incident.id, reply_id, files) + tuple(file.id for file in listed)
    notice = replace(notice, attachment_ids=attached)
    # the people the requester copied hear it too, on Cc (hub/copied.py)
    owe(conn, incident.id, copied.copies(notice, people), automatic=False)
    return requester


def signer(conn: Connection, actor: Actor) -> str:
    """How a reply is signed to the requester: the writer's display name, never their address (hub/people.py)."""
    named = conn.scalar(select(User.display_name).where(User.email == actor.name.lower()))
    return people.signature(named, actor.name)


def log_time(db: Database, incident_id: int, spent: Spent, actor: Actor) -> None:
    """Time spent on the incident without a note or a reply to go with it (a phone call, a visit to the desk)."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        data = time_spent.record(session.connection(), incident.id, actor.name, spent)
        summary = f"{time_spent.describe(spent.minutes)} spent by {actor.name}" + (
            f": {spent.what}" if spent.what else ""
        )
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "time", summary, data=data))


def _time_with(conn: Connection, incident_id: int, actor: Actor, spent: Spent | None, data: dict[str, Any]) -> str:
    """Log `spent` with a note or a reply: the entry's id and minutes go into its `data`; returns what its summary
    adds ("" without time)."""
    if spent is None:
        return ""
    data["time_entry"] = time_spent.record(conn, incident_id, actor.name, spent)["time_entry"]
    data["minutes"] = spent.minutes
    return f" ({time_spent.describe(spent.minutes)} spent)"


def take_back_time(db: Database, incident_id: int, entry_id: int, actor: Actor, *, anyones: bool = False) -> None:
    """Remove a time entry logged by mistake (one's own; anyone's for an admin); the timeline keeps both."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        row = time_spent.remove(session, incident.id, entry_id, actor.name, anyones=anyones)
        summary = f"{time_spent.describe(row.minutes)} spent by {row.who} taken back by {actor.name}"
        data = {"by": actor.name, "minutes": -row.minutes, "who": row.who, "time_entry": row.id}
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "time", summary, data=data))


def correct_time(
    db: Database, incident_id: int, entry_id: int, correction: Correction, actor: Actor, *, anyones: bool = False
) -> bool:
    """Correct a time entry typed wrong (one's own; anyone's for an admin); the timeline says what it said before.
    False when it already said so."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        changed = time_spent.change(session, incident.id, entry_id, actor.name, correction, anyones=anyones)
        before, after = changed.before, changed.after
        if before == after:
            return False
        summary = (
            f"{time_spent.describe(before.minutes)} spent by {changed.who} corrected to "
            f"{time_spent.describe(after.minutes)} by {actor.name}"
        )
        if after.what != before.what:
            summary += f": {after.what}" if after.what else " (what it went on cleared)"
        data = {
            "by": actor.name,
            "who": changed.who,
            "time_entry": changed.entry_id,
            "minutes": after.minutes - before.minutes,
            "before": {"minutes": before.minutes, "what": before.what},
            "after": {"minutes": after.minutes, "what": after.what},
        }
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "time", summary, data=data))
        return True
