"""The top navigation, as data: what each link is, who sees it (a permission from web.permissions), and which
blueprints light it up. Work pages come first, the admin's after a divider.

One rule keeps links and pages agreeing: the page a link opens is headed with the link's words first ("Audit" opens
"Audit log"); a label that abbreviates ("CIs") carries its words spelled out, and the heading starts with those."""

from __future__ import annotations

from dataclasses import dataclass

from web.permissions import (
    DECIDE_APPROVALS,
    MANAGE_INTEGRATIONS,
    MANAGE_SILENCES,
    MANAGE_USERS,
    VIEW_CATALOGUE,
    VIEW_CHANGES,
    VIEW_CIS,
    VIEW_INCIDENTS,
    VIEW_INTEGRATIONS,
    VIEW_REPORTS,
    VIEW_RULES,
)


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: str
    permission: str
    blueprints: tuple[str, ...]
    spelled: str = ""  # what an abbreviated label stands for, shown on hover and read by screen readers


WORK = (
    Link("dashboard.index", "Dashboard", VIEW_INCIDENTS, ("dashboard",)),
    Link("incidents.index", "Incidents", VIEW_INCIDENTS, ("incidents", "new_incident")),
    Link("problems.index", "Problems", VIEW_INCIDENTS, ("problems",)),
    Link("reviews.index", "Reviews", VIEW_INCIDENTS, ("reviews",)),
    Link("approvals.mine", "Approvals", DECIDE_APPROVALS, ("approvals",)),
    Link("knowledge.index", "Knowledge", VIEW_INCIDENTS, ("knowledge",)),
    Link("changes.index", "Changes", VIEW_CHANGES, ("changes",)),
    Link("cis.index", "CIs", VIEW_CIS, ("cis",), "Configuration items"),
    Link("catalogue.index", "Services", VIEW_CATALOGUE, ("catalogue", "request_types")),
    Link("oncall.index", "On call", VIEW_INCIDENTS, ("oncall",)),
    Link("reports.sla", "Reports", VIEW_REPORTS, ("reports",)),
    Link("silences.index", "Silences", MANAGE_SILENCES, ("silences",)),
    Link("rules.index", "Rules", VIEW_RULES, ("rules", "rule_editor")),
    Link("integrations.index", "Integrations", VIEW_INTEGRATIONS, ("integrations",)),
)
ADMIN = (
    Link("mailboxes.index", "Mailboxes", MANAGE_USERS, ("mailboxes",)),
    Link("outbox.index", "Outbox", MANAGE_USERS, ("outbox",)),
    Link("unprocessable.index", "Unprocessable", MANAGE_INTEGRATIONS, ("unprocessable",)),
    Link("users.index", "Users", MANAGE_USERS, ("users", "requesters")),
    Link("groups.index", "Groups", MANAGE_USERS, ("groups",)),
    Link("tokens.index", "API tokens", MANAGE_USERS, ("tokens",)),
    Link("audit.index", "Audit", MANAGE_USERS, ("audit",)),
)
