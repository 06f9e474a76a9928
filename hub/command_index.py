"""Each `switchboard` command's line in `switchboard --help`, known without importing the command.

Importing every command's module to ask for its help (Flask, gunicorn, SQLAlchemy, Alembic, aiosmtpd, RQ...) made
`switchboard --help` take well over a second. tests/hub/test_cli.py checks these lines against the commands' own
help (each one's first sentence), so a command added or reworded without this file fails the tests.
"""

SHORT_HELP = {
    "article": "Knowledge articles: the public help centre (/help), and what acknowledgements suggest.",
    "calendar": "Business-hours calendars that SLA clocks run on.",
    "ci": "Configuration items: the servers, applications and devices incidents are about (see docs/cmdb.md).",
    "change": "Change requests: plan, approve (N of M named approvers), carry out and review changes.",
    "channel": "Manage channels: email addresses, webhooks and chat rooms that rules can send notifications to.",
    "db": "Manage the database: migrate it, back it up, seal its secrets anew.",
    "desk": "Manage desk addresses: mail to each is accepted over SMTP and gets its category and group.",
    "dispatch": "Move pending notifications from the outbox (database) onto the 'notifications' queue (Redis).",
    "escalation": "Manage escalation policies; a rule starts one with `escalation: <name>` in what it sets.",
    "events": "Inbound events: list and reprocess the unprocessable ones, delete old alert repeats.",
    "freeze": "Freeze windows: times no change may be carried out, except emergencies with one extra approval.",
    "group": "Manage the groups rules assign within (`set: {group: dba, strategy: round_robin}`).",
    "heartbeat": "Heartbeats: a source that stops pinging raises an incident (a dead man's switch).",
    "imap": "Import mail from every enabled mailbox (`switchboard mailbox add`), through the same intake as SMTP.",
    "incident": "Incidents: log, list, show and work them (assign, reply, resolve, merge...); declare major ones.",
    "integration": "Manage integrations (monitoring tools that post events).",
    "mailbox": 'IMAP mailboxes whose mail `switchboard imap` imports (see docs/integrations.md, "IMAP mailboxes").',
    "mapping": "Map a tool's own JSON onto a generic integration with JMESPath (see docs/integrations.md).",
    "oncall": "On-call rotations: a group's members take shifts in turn; rules and escalations reach who is on call.",
    "outbox": "Notifications not delivered yet: list them, retry dead ones, discard one.",
    "problem": (
        "Problems: the causes behind recurring incidents; record what was learned and move them through their states."
    ),
    "request-type": "The request catalogue the help centre offers: each type's questions, approver and steps.",
    "requester": "A requester's personal data: export all of it as JSON, or erase it (GDPR articles 15 and 17).",
    "review": (
        "Post-incident reviews of major incidents: which are owed and overdue; each one and its follow-up actions."
    ),
    "rules": "Inspect, change, version and test routing rules.",
    "service": "The service catalogue: what incidents, SLAs, problems and changes hang off.",
    "silence": (
        "Silence matching events for a while (maintenance windows): they are stored and counted, no one notified."
    ),
    "sla": "SLA policies: targets per priority (optionally per service, category, organisation, kind) on a calendar.",
    "smtp": "Receive email for the desk address(es) on SWITCHBOARD_SMTP_PORT (default 2525).",
    "template": "Mail templates: packaged defaults, overridden by files under SWITCHBOARD_HOME/templates/mail/.",
    "time": "Time spent on incidents: totals by person, category or service.",
    "token": "Manage API tokens.",
    "up": "Start the whole hub: web UI and API, SMTP listener, IMAP import, dispatcher and workers (Ctrl-C stops it).",
    "user": "Manage people who can log in to the web UI.",
    "web": "Serve the web UI and HTTP API (gunicorn) on SWITCHBOARD_BIND:SWITCHBOARD_WEB_PORT.",
    "worker": "Deliver notifications: run an RQ worker on the 'notifications' queue in REDIS_URL.",
}
