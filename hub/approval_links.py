"""The "Approve or reject" link in the mail asking a person to approve an incident (hub/approvals.py).

A manager asked to approve a laptop may have no reason to log in to Switchboard otherwise. The link
(hub/signed_links.py) names the approval (its number is the approval's id, not the incident's, so a link for an
approval withdrawn and asked again decides nothing new) and the person asked; its page (web/approvals.py) shows
the request with Approve and Reject, and only that form's POST decides, as that person, while their account is
active (`hub.approvals.by_link`). Signed when the worker sends the mail (hub/outbox.body_of), so its 7 days
start when the mail leaves.
"""

from __future__ import annotations

from datetime import timedelta

from hub.signed_links import Claim, LinkKind
from hub.verifying_keys import VerifyingKeys

#: Carried by the mail asking for an approval and by its reminders (hub/approval_reminders.py), as the template fact
#: `approve_url`.
LINKS = LinkKind(salt="switchboard.approval", lifetime=timedelta(days=7), path="/approve/",
                 notices=frozenset({"approval_asked", "approval_reminder"}), fact="approve_url")  # fmt: skip


def facts(secret_key: str, base_url: str, template: str, facts: dict, recipient: str) -> dict[str, str]:
    """`{approve_url: ...}` for an `approval_asked` mail as the worker sends it; {} for any other mail."""
    return LINKS.facts(secret_key, base_url, template, facts.get("approval_id"), recipient)


def read(keys: VerifyingKeys, token: str) -> Claim:
    """What a link's token says (its number: the approval's id), or BadLink / ExpiredLink."""
    return LINKS.read(keys, token)
