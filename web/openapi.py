"""The OpenAPI 3.1 description of the JSON API (`GET /api/v1/openapi.json`, web/openapi_route.py), written out by
hand so it says what the API promises (schemathesis checks the app against it in the test suite)."""

from __future__ import annotations

from typing import Any

from hub import sla_outcomes
from hub.agent_action import MAX_TEXT
from hub.agent_files import MOST_FILES
from hub.attachments import ORIGINS
from hub.cis import KINDS, STATUSES
from hub.domain import INCIDENT_KINDS
from hub.incident_search import COUNT_CAP, MAX_LIMIT, OPEN, SATISFACTION_RATINGS, SORT_NAMES
from hub.mail_choices import EVERY_PRIORITY, NEVER
from hub.mail_choices import NAMES as MAIL_CHOICE_NAMES
from hub.problem_states import BATCH as PROBLEM_BATCH
from hub.review_search import STATES as REVIEW_STATES
from hub.reviews import ACTION_WIDTH as REVIEW_ACTION_WIDTH
from hub.reviews import FIELDS as REVIEW_FIELDS
from hub.reviews import OWNER_WIDTH as REVIEW_OWNER_WIDTH
from hub.satisfaction import RATINGS
from hub.time_spent import MOST_MINUTES, WHAT_WIDTH
from hub.triage import TRANSITIONS
from ingest.logged import CHANNELS
from web import (
    approvals_openapi,
    catalogue_openapi,
    copied_openapi,
    request_types_openapi,
    steps_openapi,
    tokens_openapi,
)
from web.downloads import SAFE_TYPES
from web.openapi_parts import answer as _json
from web.openapi_parts import body as _body
from web.openapi_parts import error as _error
from web.openapi_parts import errors as _errors
from web.queries import STATUSES as LISTED_STATUSES

_WATCHER = {
    "name": "email",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "An active user's email address.",
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "field": {"type": "string", "description": "The body's field at fault, where one is (the catalogue's)."},
    },
}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_KIND = {
    "type": "string",
    "enum": list(INCIDENT_KINDS),
    "description": "An incident (something is broken) or a request (a service request: someone needs something); "
    "both are INC-<n>.",
}
_INCIDENT = {
    "type": "object",
    "required": ["ref", "title", "status", "priority", "severity", "source", "occurrences", "labels"],
    "properties": {
        "ref": {"type": "string", "pattern": "^INC-[0-9]+$"},
        "title": {"type": "string"},
        "status": {"type": "string"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "severity": {"type": "string"},
        "category": {"type": ["string", "null"]},
        "kind": _KIND,
        "request_type": {"type": ["string", "null"], "description": "The request type it was asked for as, if any."},
        "assignee": {"type": ["string", "null"]},
        "requester": {"type": ["string", "null"]},
        "source": {"type": "string"},
        "dedup_key": {"type": ["string", "null"]},
        "occurrences": {"type": "integer"},
        "first_seen": _TIME,
        "last_seen": _TIME,
        "acknowledged_at": _TIME,
        "resolved_at": _TIME,
        "resolution": {"type": ["string", "null"], "description": "How it was resolved, by whoever resolved it."},
        "public_note": {"type": ["string", "null"], "description": "What the public status page says about it."},
        "merged_into": {"type": ["string", "null"]},
        "problem": {
            "type": ["string", "null"],
            "pattern": "^PRB-[0-9]+$",
            "description": "The problem it is part of, at /api/v1/problems/{ref}.",
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "minutes_spent": {"type": "integer", "minimum": 0, "description": "Time logged working it, in minutes."},
        "ci": {"type": ["string", "null"], "description": "The configuration item it is about, by name."},
        "major": {"type": "boolean", "description": "Whether it is a major incident now (declared, not stood down)."},
        "coordinator": {"type": ["string", "null"], "description": "Who coordinates it, while it is a major incident."},
        "major_since": {**_TIME, "description": "When it was declared a major incident, while it is one."},
        "steps_done": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "How many of a request's fulfilment steps are done; null for one without steps.",
        },
        "steps_total": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "How many fulfilment steps the request has (its type's, as it opened); null for none.",
        },
    },
}
_MAIL_CHOICES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "assigned_up_to": {
            "type": "integer",
            "minimum": NEVER,
            "maximum": EVERY_PRIORITY,
            "description": "Mail about incidents assigned to them or their group (assigned, resolved, reopened, "
            "stable) for priorities 1 to this: 5 every priority, 0 never.",
        },
        "mentioned": {"type": "boolean", "description": "When someone @mentions them in a note."},
        "watching": {"type": "boolean", "description": "Incidents they watch and are not assigned."},
        "replies": {"type": "boolean", "description": "When the requester replies on an incident assigned to them."},
        "sla_warnings": {"type": "boolean", "description": "SLA warnings (a breach is always mailed)."},
        "steps": {"type": "boolean", "description": "When a request's checklist comes to a step their group does."},
    },
}
_SPENT_MINUTES = {"type": "integer", "minimum": 1, "maximum": MOST_MINUTES, "description": "Time spent, in minutes."}
TOO_LARGE = "A file, or the files together, over the size limits; or the body over its limit. Nothing was saved."
_COMMENT: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "reply": {"type": "boolean", "default": False},
        "minutes": _SPENT_MINUTES,
    },
}
_DETAIL = {
    "allOf": [
        {"$ref": "#/components/schemas/Incident"},
        {
            "type": "object",
            "required": ["description", "timeline", "files"],
            "properties": {
                "description": {"type": "string"},
                "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEntry"}},
                "watchers": {
                    "type": "array",
                    "description": "Who hears about its state changes (Watch on the incident page).",
                    "items": {"type": "string"},
                },
                "copied": {
                    "type": "array",
                    "description": "Who the requester copied on their mail (To, Cc), or an agent added: replies "
                    "and the resolution mail go to them too, on Cc (docs/notifications.md).",
                    "items": {"type": "string"},
                },
                "satisfaction": {
                    "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Satisfaction"}],
                    "description": 'The requester\'s answer to "How did we do?" in the mail saying it was resolved '
                    "(the last one they gave), or null.",
                },
                "related_changes": {
                    "type": "array",
                    "description": "Changes carried out in the hours before it was first seen, likely culprit first.",
                    "items": {"$ref": "#/components/schemas/RelatedChange"},
                },
                "files": {
                    "type": "array",
                    "description": "Its files, oldest first: those emails carried and those agents attached to "
                    "notes and replies.",
                    "items": {"$ref": "#/components/schemas/File"},
                },
                "steps": {
                    "type": "array",
                    "description": "A catalogue request's fulfilment steps, in order (empty for any other); POST "
                    ".../steps/{step} ticks one off.",
                    "items": {"$ref": "#/components/schemas/RequestStep"},
                },
                "time_entries": {
                    "type": "array",
                    "description": "Time logged on it, oldest first; PATCH .../time/{id} corrects one.",
                    "items": {
                        "type": "object",
                        "required": ["id", "who", "minutes", "what", "at"],
                        "properties": {
                            "id": {"type": "integer"},
                            "who": {"type": "string"},
                            "minutes": {"type": "integer"},
                            "what": {"type": ["string", "null"]},
                            "at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
        },
    ]
}
_CI = {
    "type": "object",
    "required": ["name", "kind", "service", "owner", "status", "attributes", "description", "updated_at"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "service": {"type": ["string", "null"], "description": "A service of the catalogue."},
        "owner": {"type": ["string", "null"], "description": "A user's address or a group's name."},
        "status": {"type": "string", "enum": list(STATUSES)},
        "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "depends_on": {"type": "array", "items": {"type": "string"}},
        "dependents": {"type": "array", "items": {"type": "string"}, "description": "What depends on it."},
        "open_incidents": {"type": "array", "items": {"type": "string"}},
        "result": {"type": "string", "enum": ["created", "updated", "unchanged"]},
    },
}
_CI_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "db1.example.com",
    "description": "The CI's name, in any case.",
}
_SATISFACTION = {
    "type": "object",
    "required": ["rating", "comment", "answered_at"],
    "properties": {
        "rating": {"type": "string", "enum": list(RATINGS)},
        "comment": {"type": ["string", "null"]},
        "answered_at": {"type": "string", "format": "date-time"},
    },
}
_TIMELINE_ENTRY = {
    "type": "object",
    "required": ["id", "at", "kind", "summary"],
    "properties": {
        "id": {"type": "integer", "description": "What a note's or reply's files name as `timeline_entry_id`."},
        "at": _TIME,
        "kind": {"type": "string"},
        "summary": {"type": "string"},
        "event_id": {"type": ["integer", "null"], "description": "The event it records; an email's files name it."},
        "data": {},
    },
}
_FILE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "filename": {"type": "string", "description": "Sanitised: no path, no control characters."},
    "content_type": {
        "type": "string",
        "description": "As the email gave it, or guessed from an agent's file's name; it is served as itself "
        "only when inert (PDF, images, plain text, CSV).",
    },
    "size": {"type": "integer", "minimum": 0, "description": "In bytes."},
    "sha256": {"type": "string", "description": "The SHA-256 of its bytes, in hex: the download's ETag."},
    "stored": {"type": "boolean", "description": "False for an email's file over the limits: listed, not kept."},
    "from": {"type": "string", "enum": list(ORIGINS), "description": "An email, or an agent's note or reply."},
    "event_id": {"type": ["integer", "null"], "description": "An email's: the `event_id` of its timeline entry."},
    "timeline_entry_id": {"type": ["integer", "null"], "description": "A note's or reply's: its entry's `id`."},
    "url": {"type": "string", "description": "Where its bytes are fetched, a path on this server."},
}
_FILE = {"type": "object", "required": list(_FILE_PROPERTIES), "properties": _FILE_PROPERTIES}
_SILENCE = {
    "type": "object",
    "required": ["id", "matchers", "starts_at", "ends_at", "comment", "created_by"],
    "properties": {
        "id": {"type": "integer"},
        "matchers": {"type": "array", "items": {"type": "string"}},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "comment": {"type": "string"},
        "created_by": {"type": "string"},
        "every": {"type": ["string", "null"], "description": "A recurring silence's weekly window."},
    },
}
_ON_CALL = {
    "type": "object",
    "required": ["group", "on_call", "until", "next", "members", "shift", "handoff", "timezone"],
    "properties": {
        "group": {"type": "string"},
        "on_call": {"type": ["string", "null"], "description": "Who is on call now (an override's person if one is)."},
        "until": {**_TIME, "description": "When that changes; null when not within 92 days."},
        "next": {"type": ["string", "null"]},
        "members": {"type": "array", "items": {"type": "string"}, "description": "In rota order."},
        "shift": {"type": "string", "examples": ["7 d"]},
        "handoff": {
            "type": "string",
            "description": "The first shift's start, local time.",
            "examples": ["2026-11-30 09:00"],
        },
        "timezone": {"type": "string", "examples": ["Europe/Berlin"]},
        "shifts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["who", "starts_at", "ends_at", "override"],
                "properties": {
                    "who": {"type": "string"},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "override": {"type": ["integer", "null"], "description": "The covering override's id."},
                },
            },
        },
    },
}
_OVERRIDE = {
    "type": "object",
    "required": ["id", "group", "who", "starts_at", "ends_at"],
    "properties": {
        "id": {"type": "integer"},
        "group": {"type": "string"},
        "who": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
    },
}
_GROUP = {"name": "group", "in": "path", "required": True, "schema": {"type": "string"}, "example": "dba"}
_PROBLEM = {
    "type": "object",
    "required": ["ref", "title", "state"],
    "properties": {
        "ref": {"type": "string", "pattern": "^PRB-[0-9]+$"},
        "title": {"type": "string"},
        "state": {"type": "string", "enum": ["new", "investigating", "known_error", "resolved", "closed"]},
        "root_cause": {"type": "string"},
        "workaround": {"type": "string"},
        "share_workaround": {"type": "boolean"},
        "incidents": {"type": "array", "items": {"type": "string"}},
        "changes": {"type": "array", "items": {"type": "string"}, "description": "The changes that fix it."},
        "resolving_incidents": {
            "type": ["object", "null"],
            "description": "While the workers resolve its open incidents in the background (after a request "
            f"resolved the first {PROBLEM_BATCH}): who asked, since when, and how many are still open; null "
            "otherwise.",
            "required": ["asked_by", "since", "still_open"],
            "properties": {
                "asked_by": {"type": "string"},
                "since": {"type": "string", "format": "date-time"},
                "still_open": {"type": "integer", "minimum": 0},
            },
        },
    },
}
#: What PATCH answers after `"resolve_incidents": true`: the problem, and what became of its open incidents.
_PROBLEM_RESOLVED = {
    "type": "object",
    "required": [*_PROBLEM["required"]],
    "properties": {
        **_PROBLEM["properties"],  # type: ignore[dict-item]
        "incidents_resolved": {
            "type": "array",
            "items": {"type": "string", "pattern": "^INC-[0-9]+$"},
            "description": "The open incidents resolved with it by this request, oldest first.",
        },
        "incidents_still_open": {
            "type": "integer",
            "minimum": 0,
            "description": f"Open incidents past this request's batch of {PROBLEM_BATCH}: the workers resolve "
            "them in the background (`resolving_incidents` says how far they are).",
        },
        "message": {
            "type": "string",
            "description": "What happened, as the page says it: `PRB-4 resolved; 3 open incidents resolved with it "
            "(INC-7, INC-9, INC-12)`.",
        },
    },
}
_SUGGESTION = {
    "type": "object",
    "required": ["key", "kind", "title", "count", "incidents"],
    "properties": {
        "key": {"type": "string"},
        "kind": {"type": "string", "enum": ["dedup_key", "service"]},
        "title": {"type": "string"},
        "count": {"type": "integer", "minimum": 2},
        "incidents": {"type": "array", "items": {"type": "string"}},
        "pattern": {
            "type": "string",
            "enum": ["burst", "periodic"],
            "description": "burst: many lately; periodic: on a steady schedule over the longer look-back",
        },
        "period_seconds": {"type": ["number", "null"], "description": "a periodic one's median gap"},
        "schedule": {
            "type": ["string", "null"],
            "description": "a periodic one's schedule in words, on UTC's clock: about every 7 days, Mondays around"
            " 01:00 UTC",
        },
    },
}
_CHANGE = {
    "type": "object",
    "required": ["ref", "title", "type", "state", "risk", "source", "approvers", "required_approvals"],
    "properties": {
        "ref": {"type": "string", "pattern": "^CHG-[0-9]+$"},
        "title": {"type": "string"},
        "service": {"type": ["string", "null"]},
        "type": {"type": "string", "enum": ["standard", "normal", "emergency"]},
        "state": {"type": "string"},
        "risk": {"type": "string", "enum": ["low", "medium", "high"]},
        "planned_start": _TIME,
        "planned_end": _TIME,
        "implemented_at": _TIME,
        "requested_by": {"type": "string"},
        "source": {"type": "string", "enum": ["manual", "deploy"]},
        "version": {"type": ["string", "null"]},
        "environment": {"type": ["string", "null"]},
        "link": {"type": ["string", "null"]},
        "approvers": {"type": "array", "items": {"type": "string"}},
        "required_approvals": {"type": "integer"},
        "problem": {"type": ["string", "null"], "description": "The problem it fixes, at /api/v1/problems/{ref}."},
        "review": {
            "type": ["string", "null"],
            "description": "The post-implementation review: what happened and what was learned (one change's detail).",
        },
        "approvals": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["approver", "decision", "comment", "at"],
                "properties": {
                    "approver": {"type": "string"},
                    "decision": {"type": "string", "enum": ["approve", "reject"]},
                    "comment": {"type": "string"},
                    "at": _TIME,
                },
            },
        },
        "incidents_after": {
            "type": "array",
            "description": "One change's detail: the incidents first seen within the correlation window after it was "
            "carried out (SWITCHBOARD_CHANGE_WINDOW), oldest first, as its page lists them; empty until it is.",
            "items": {
                "type": "object",
                "required": ["ref", "title", "status", "first_seen", "same_service", "likely_culprit"],
                "properties": {
                    "ref": {"type": "string", "pattern": "^INC-[0-9]+$"},
                    "title": {"type": "string"},
                    "status": {"type": "string"},
                    "first_seen": {"type": "string", "format": "date-time"},
                    "same_service": {"type": "boolean"},
                    "likely_culprit": {
                        "type": "boolean",
                        "description": "The incident's own related_changes name this change its likely culprit.",
                    },
                },
            },
        },
    },
}
_RELATED_CHANGE = {
    "type": "object",
    "required": ["ref", "title", "implemented_at", "same_service", "likely_culprit"],
    "properties": {
        "ref": {"type": "string", "pattern": "^CHG-[0-9]+$"},
        "title": {"type": "string"},
        "service": {"type": ["string", "null"]},
        "version": {"type": ["string", "null"]},
        "state": {"type": "string"},
        "implemented_at": {"type": "string", "format": "date-time"},
        "link": {"type": ["string", "null"]},
        "same_service": {"type": "boolean"},
        "likely_culprit": {"type": "boolean", "description": "The newest change on the incident's own service."},
    },
}
_RULE = {
    "type": "object",
    "required": ["id", "place", "name", "when", "set", "stop", "enabled"],
    "properties": {
        "id": {"type": "integer"},
        "place": {"type": "integer", "minimum": 1, "description": "1: applied first"},
        "name": {"type": "string"},
        "when": {"description": "The condition tree as in the YAML export; null matches every event."},
        "set": {"type": "object", "description": "What the rule sets: category, assignee, group, title, ..."},
        "stop": {"type": "boolean"},
        "enabled": {"type": "boolean"},
    },
}
_RULES_FILE = {
    "type": "object",
    "required": ["rules"],
    "properties": {
        "timezone": {"type": "string"},
        "priority_matrix": {"description": "3x3, 5x5, or rows of priorities (impact 1 first)"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "set", "stop", "enabled"],
                "properties": {
                    "name": {"type": "string"},
                    "when": {},
                    "set": {"type": "object"},
                    "stop": {"type": "boolean"},
                    "enabled": {"type": "boolean"},
                },
            },
        },
    },
}
_RULE_VERSION = {
    "type": "object",
    "required": ["number", "created_at", "author", "summary", "added", "removed"],
    "properties": {
        "number": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "author": {"type": "string"},
        "summary": {"type": "string"},
        "added": {"type": "integer", "description": "lines added by this version's diff"},
        "removed": {"type": "integer"},
    },
}
_EVENT = {
    "type": "object",
    "required": ["id", "source", "received_at", "status", "size"],
    "properties": {
        "id": {"type": "integer"},
        "source": {"type": "string"},
        "received_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string"},
        "error": {"type": ["string", "null"]},
        "incident": {"type": ["string", "null"]},
        "size": {"type": "integer"},
        "body": {"type": "string"},
    },
}
_INTEGRATION = {
    "type": "object",
    "required": ["name", "kind", "enabled"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "enabled": {"type": "boolean"},
        "rate_limit": {"type": ["integer", "null"]},
        "last_event_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_ARTICLE = {
    "type": "object",
    "required": ["id", "title", "keywords", "published", "url", "updated_at", "helpful", "not_helpful"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "published": {"type": "boolean"},
        "url": {"type": ["string", "null"], "description": "Its page in the public help centre; null for a draft."},
        "updated_at": {"type": "string", "format": "date-time"},
        "updated_by": {"type": "string"},
        "helpful": {"type": "integer", "minimum": 0, "description": "Readers of the help centre who said it helped."},
        "not_helpful": {"type": "integer", "minimum": 0, "description": "Readers who said it did not."},
        "body": {"type": "string", "description": "Plain text (one article only)."},
    },
}
_SUGGESTED = {
    "type": "object",
    "required": ["title", "url"],
    "properties": {"title": {"type": "string"}, "url": {"type": "string"}},
}
_LOGGED = {
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "\\S"},
        "description": {"type": "string", "maxLength": 50000},
        "requester": {"type": "string", "format": "email", "description": "Who reported it: mailed the reference."},
        "channel": {"type": "string", "enum": list(CHANNELS), "default": CHANNELS[0]},
        "service": {
            "type": "string",
            "maxLength": 100,
            "description": "The incident's service, over the rules'; also kept as the label `service`.",
        },
        "ci": {
            "type": "string",
            "maxLength": 255,
            "description": "An active configuration item's name (400 otherwise); the incident takes its service when "
            "none is given.",
        },
        "priority": {"type": "integer", "minimum": 1, "maximum": 5, "description": "Left out: the rules decide."},
        "category": {"type": "string", "maxLength": 100},
        "kind": {
            **_KIND,
            "default": INCIDENT_KINDS[0],
            "description": "Left out: an incident, unless a rule says otherwise.",
        },
        "assignee": {"type": "string", "maxLength": 320, "description": "An active user's email or a group."},
        "acknowledge_requester": {"type": "boolean", "default": True},
    },
}
_SECONDS = {"type": ["integer", "null"], "description": "In seconds; null until both moments are reached."}
_REVIEW_LISTED = {
    "type": "object",
    "required": ["incident", "title", "status", "coordinator", "state", "due_at", "overdue", "follow_ups"],
    "properties": {
        "incident": {"type": "string", "pattern": "^INC-[0-9]+$"},
        "title": {"type": "string"},
        "status": {"type": "string", "description": "The incident's."},
        "coordinator": {"type": "string", "description": "Its latest declaration's."},
        "resolved_at": _TIME,
        "state": {"type": "string", "enum": list(REVIEW_STATES), "description": "not_started: owed, no draft yet."},
        "due_at": {**_TIME, "description": "While owed: when it is overdue."},
        "overdue": {"type": "boolean"},
        "started_by": {"type": ["string", "null"]},
        "started_at": _TIME,
        "published_by": {"type": ["string", "null"]},
        "published_at": _TIME,
        "follow_ups": {
            "type": "object",
            "required": ["total", "unfiled", "open"],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "unfiled": {"type": "integer", "minimum": 0, "description": "Not filed as problems yet."},
                "open": {"type": "integer", "minimum": 0, "description": "Filed, their problems not resolved yet."},
            },
        },
    },
}
_REVIEW_ACTION = {
    "type": "object",
    "required": ["id", "text", "owner", "problem", "problem_state"],
    "properties": {
        "id": {"type": "integer", "description": "What .../review/actions/{action_id} names."},
        "text": {"type": "string"},
        "owner": {"type": ["string", "null"]},
        "created_by": {"type": "string"},
        "created_at": _TIME,
        "problem": {"type": ["string", "null"], "pattern": "^PRB-[0-9]+$"},
        "problem_state": {"type": ["string", "null"]},
    },
}
_REVIEW_ACTION_REF = {"$ref": "#/components/schemas/ReviewAction"}
_REVIEW = {
    "type": "object",
    "required": ["incident", "title", "status", "state", "coordinator", *REVIEW_FIELDS, "key_times", "actions"],
    "properties": {
        "incident": {"type": "string", "pattern": "^INC-[0-9]+$"},
        "title": {"type": "string"},
        "status": {"type": "string", "description": "The incident's."},
        "state": {"type": "string", "enum": ["draft", "published"]},
        "coordinator": {"type": ["string", "null"], "description": "Its latest declaration's."},
        **{
            name: {"type": "string", "description": f"{label}: plain text, its lines kept."}
            for name, label in REVIEW_FIELDS.items()
        },
        "started_by": {"type": "string"},
        "started_at": _TIME,
        "updated_by": {"type": "string"},
        "updated_at": _TIME,
        "published_by": {"type": ["string", "null"]},
        "published_at": _TIME,
        "key_times": {
            "type": "object",
            "description": "From the incident's record: detected is when it was first seen; as_major counts each "
            "declaration until it was stood down, while the incident was not resolved.",
            "properties": {
                "detected": _TIME,
                "declared": _TIME,
                "acknowledged": _TIME,
                "resolved": _TIME,
                "to_declare_seconds": _SECONDS,
                "to_acknowledge_seconds": _SECONDS,
                "to_resolve_after_acknowledged_seconds": _SECONDS,
                "to_resolve_seconds": _SECONDS,
                "as_major_seconds": {"type": "integer", "minimum": 0},
            },
        },
        "actions": {
            "type": "array",
            "description": "Follow-up actions, each with the problem it was filed as (null: not filed yet).",
            "items": _REVIEW_ACTION,
        },
    },
}
_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "INC-1"}
#: The lists' paging parameters and a row's plain id, each one contract stated once for every route that takes it.
#: The Location header of a 201 that filed a problem (a new problem, a review's follow-up filed as one).
_AT_PROBLEM = {"Location": {"description": "The problem, at /api/v1/problems/{ref}.", "schema": {"type": "string"}}}
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 100},
          "description": f"How many to a page, at most {MAX_LIMIT}: a larger limit is served {MAX_LIMIT}."}  # fmt: skip
_PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
#: How many a paged list matches in all, on every list that takes `page`.
_TOTAL_COUNT = {"description": "How many match in all.", "schema": {"type": "integer", "minimum": 0}}
#: A list that may be large (incidents, events) counts them all unless asked to stop (web/paging.py).
_TOTAL = {"name": "total", "in": "query", "schema": {"type": "string", "enum": ["exact", "capped"], "default": "exact"},
          "description": "`exact`: `X-Total-Count` counts every match. `capped`: the count stops past "
                         f"{COUNT_CAP:,} (or the page's end, past it), cheaper on a large list; "
                         "`X-Total-Count-Exact` says whether more match."}  # fmt: skip
_CAPPED_TOTAL = {
    "X-Total-Count": {"description": "How many match in all; with `total=capped` and `X-Total-Count-Exact: false`, "
                      "more than this many match.", "schema": {"type": "integer", "minimum": 0}},
    "X-Total-Count-Exact": {"description": "`false` when the count stopped (`total=capped`) and more match.",
                            "schema": {"type": "string", "enum": ["true", "false"]}},
}  # fmt: skip


def _id_in_path(name: str, described: str) -> dict[str, Any]:
    """A row's id in the path, `described` saying where a client finds it."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
            "description": described}  # fmt: skip


_ACTION_ID = _id_in_path("action_id", "The follow-up action's id, as the review's `actions` list it.")
_FILE_ID = _id_in_path("file_id", "The file's id, as the incident's `files` list it.")
_TIME_ENTRY = _id_in_path("entry", "The time entry's id, as the incident's `time_entries` list it.")


def document() -> dict[str, Any]:
    statuses = sorted({to for _, to in TRANSITIONS.values()})
    one_status = f"({'|'.join(LISTED_STATUSES)})"
    incident_ref = {"$ref": "#/components/schemas/Incident"}
    detail_ref = {"$ref": "#/components/schemas/IncidentDetail"}
    review_ref = {"$ref": "#/components/schemas/Review"}
    one_state = f"({'|'.join(REVIEW_STATES)})"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard API",
            "version": "1",
            "description": "Incidents for scripts and dashboards. Authenticate with `Authorization: Bearer <token>` "
            "(`switchboard token create --name N --role viewer|agent|admin`). Monitoring tools post to their "
            "integration's endpoint, described in docs/integrations.md.",
        },
        "security": [{"token": []}],
        "paths": {
            "/api/v1/incidents": {
                "get": {
                    "summary": "Incidents, newest first",
                    "operationId": "listIncidents",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "pattern": f"^{one_status}(,{one_status})*$"},
                            "description": "One status, or several joined by commas: `open,acknowledged` is what the "
                            "dashboard counts as open incidents.",
                            "examples": {"one": {"value": "waiting"}, "open": {"value": OPEN}},
                        },
                        *(
                            {"name": name, "in": "query", "schema": {"type": "string", "maxLength": 200}}
                            for name in ("q", "category", "assignee", "source", "service", "requester")
                        ),
                        {
                            "name": "kind",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(INCIDENT_KINDS)},
                            "description": "Only incidents, or only service requests.",
                        },
                        {
                            "name": "request_type",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Only requests asked for on the help centre as this request type.",
                        },
                        {
                            "name": "ci",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Incidents on this configuration item, by name (any case).",
                        },
                        {
                            "name": "queue",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "`unassigned`: incidents in no one's queue: no assignee, or one that is "
                            "neither an active person nor a group with an active member. A person's email (any "
                            "case): "
                            "their queue, the incidents assigned to them or to a group they are a member of. "
                            "`mine`: a personal token's person's queue (a 400 with a desk's token, which is no "
                            "one's).",
                        },
                        {
                            "name": "major",
                            "in": "query",
                            "schema": {"type": "integer", "enum": [0, 1]},
                            "description": "1: only major incidents (declared, not stood down).",
                        },
                        {
                            "name": "approval",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["pending"]},
                            "description": "`pending`: only incidents with an approval asked and not decided yet.",
                        },
                        {
                            "name": "sla",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(sla_outcomes.OUTCOMES)},
                            "description": "Only incidents under an SLA whose clock ended so, as the SLA report "
                            "counts them: met (stopped by its due time) or breached (stopped later, or still running "
                            "past it now); `update_*`: the next-update clock.",
                        },
                        *(
                            {
                                "name": name,
                                "in": "query",
                                "schema": {"type": "string", "format": "date-time"},
                                "description": f"Only incidents {words} this ISO 8601 time (no offset: UTC).",
                            }
                            for name, words in (
                                ("opened_since", "first seen at or after"),
                                ("opened_before", "first seen before"),
                            )
                        ),
                        {
                            "name": "satisfaction",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(SATISFACTION_RATINGS)},
                            "description": 'Only incidents whose requester answered "How did we do?" so.',
                        },
                        {
                            "name": "rated_since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                            "description": "Only incidents whose requester answered at or after this ISO 8601 time "
                            "(with `satisfaction`, answered so; alone, whatever the rating).",
                        },
                        *(
                            {
                                "name": f"no_{name}",
                                "in": "query",
                                "schema": {"type": "integer", "enum": [0, 1]},
                                "description": f"1: only incidents with no {name}, as an SLA report's (none) line. "
                                f"Not with `{name}`.",
                            }
                            for name in ("assignee", "service")
                        ),
                        {
                            "name": "priority",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 5},
                            "description": "Only incidents of this priority (1 is the highest).",
                        },
                        {
                            "name": "new",
                            "in": "query",
                            "schema": {"type": "integer", "enum": [0, 1]},
                            "description": "1: only those with activity the token's person has not seen (a "
                            "personal token; a 400 with a desk's, which is no one's).",
                        },
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(SORT_NAMES), "default": "newest"},
                            "description": "newest, oldest, priority (highest first), last_seen, occurrences, or "
                            "due: what to work on first, by when its SLA next falls due (`sla_next_due_at`: the "
                            "first response's target while none was given, else the resolution's): breached first, "
                            "then nearest due, then paused clocks, then incidents with no target, newest first.",
                        },
                        _PAGE,
                        _LIMIT,
                        _TOTAL,
                    ],
                    "responses": {
                        "200": {
                            **_json({"type": "array", "items": incident_ref}, "Incidents."),
                            "headers": _CAPPED_TOTAL,
                        },
                        **_errors(400, 401),
                    },
                },
                "post": {
                    "summary": "Log an incident by hand: what someone reported by phone, at the desk or in a chat "
                    "(agent or admin tokens). The rules route it; the fields given win over them.",
                    "operationId": "logIncident",
                    "requestBody": _body(_LOGGED),
                    "responses": {
                        "201": _json(detail_ref, "The new incident (its URL in Location)."),
                        "200": _json(detail_ref, "A rule gave it the dedup key of an open incident: counted there."),
                        "413": _error("The body is over the size limit."),
                        **_errors(400, 401, 403, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}": {
                "parameters": [_REF],
                "get": {
                    "summary": "One incident with its description and timeline",
                    "operationId": "getIncident",
                    "responses": {"200": _json(detail_ref, "The incident."), **_errors(401, 404)},
                },
                "patch": {
                    "summary": "Change status, assignee, priority, title, category, kind, service or public note",
                    "operationId": "updateIncident",
                    "description": "All the fields sent change together, or none does: a refusal of any (409) "
                    "leaves the incident as it was. A merged duplicate is never reopened (409): reopen the incident "
                    "it was merged into.",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "status": {"type": "string", "enum": ["open", *statuses]},
                                "assignee": {"type": "string", "description": "A user's email or a group."},
                                "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                                "title": {"type": "string", "minLength": 1, "maxLength": 500},
                                "category": {"type": ["string", "null"], "maxLength": 100},
                                "kind": _KIND,
                                "service": {"type": ["string", "null"], "maxLength": 100},
                                "resolution": {
                                    "type": ["string", "null"],
                                    "maxLength": 20000,
                                    "description": 'How it was resolved; only with "status": "resolved".',
                                },
                                "public_note": {
                                    "type": ["string", "null"],
                                    "maxLength": 1000,
                                    "description": "What the public status page says about it; empty or null "
                                    "takes it down.",
                                },
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(detail_ref, "The incident after the change."),
                        **_errors(400, 401, 403, 404, 409, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/major": {
                "parameters": [_REF],
                "post": {
                    "summary": "Declare a major incident (agent or admin tokens)",
                    "description": "Pages the coordinator, the assignee and the major-incident group: the one the "
                    "incident's service names (`switchboard service set NAME --major-group G`), else the one "
                    "SWITCHBOARD_MAJOR_INCIDENT_GROUP names; docs/major-incidents.md. A personal token's person "
                    "coordinates when the body names no one, as the page's form offers whoever declares; a desk's "
                    "token is no one, so it names the coordinator (a 400 otherwise).",
                    "operationId": "declareMajorIncident",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["reason"],
                            "additionalProperties": False,
                            "properties": {
                                "reason": {"type": "string", "minLength": 1, "maxLength": 500},
                                "coordinator": {
                                    "type": ["string", "null"],
                                    "description": "An active agent's or admin's email; left out, the personal "
                                    "token's person (a desk's token must name one).",
                                },
                            },
                        }
                    ),
                    "responses": {
                        "201": _json(detail_ref, "The incident, a major incident now."),
                        "409": _error(
                            "Refused, saying why: it is a major incident already, the coordinator is no active agent "
                            "or admin, the reason is not one short line, or the incident is resolved."
                        ),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
                "patch": {
                    "summary": "Hand coordination of a major incident over (agent or admin tokens)",
                    "description": "The new coordinator is paged as if it had just been declared; the timeline and "
                    "the audit log (`incident.coordinator`) say who handed over to whom. The same coordinator again "
                    "changes nothing.",
                    "operationId": "handOverMajorIncident",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["coordinator"],
                            "additionalProperties": False,
                            "properties": {
                                "coordinator": {
                                    "type": "string",
                                    "minLength": 1,
                                    "description": "An active agent's or admin's email.",
                                    "examples": ["bob@example.com"],
                                }
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(detail_ref, "The incident, with its coordinator."),
                        "409": _error("It is not a major incident, or the coordinator is no active agent or admin."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
                "delete": {
                    "summary": "Stand a major incident down (agent or admin tokens)",
                    "description": "Those paged for it are told, with the note if the optional body gives one.",
                    "operationId": "standDownMajorIncident",
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "note": {
                                            "type": ["string", "null"],
                                            "maxLength": 500,
                                            "description": "Why, for those paged and the timeline; one line.",
                                            "examples": ["One printer, not the floor"],
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(detail_ref, "The incident, no longer a major incident."),
                        "409": _error(
                            "It is not a major incident, it is resolved (its review is owed), or the note is not one "
                            "short line."
                        ),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/reviews": {
                "get": {
                    "summary": "Post-incident reviews owed and written, newest incident first",
                    "description": "A review is owed by a resolved major incident (not_started until someone starts "
                    "it) and overdue while unpublished SWITCHBOARD_REVIEW_DUE_DAYS after it was resolved. "
                    "`X-Total-Count` says how many match in all.",
                    "operationId": "listReviews",
                    "parameters": [
                        {
                            "name": "state",
                            "in": "query",
                            "schema": {"type": "string", "pattern": f"^{one_state}(,{one_state})*$"},
                            "description": "One state, or several joined by commas.",
                        },
                        {
                            "name": "overdue",
                            "in": "query",
                            "schema": {"type": "integer", "enum": [0, 1]},
                            "description": "1: only the overdue ones.",
                        },
                        _PAGE,
                        _LIMIT,
                    ],
                    "responses": {
                        "200": {
                            **_json(
                                {"type": "array", "items": {"$ref": "#/components/schemas/ReviewListed"}}, "Reviews."
                            ),
                            "headers": {"X-Total-Count": _TOTAL_COUNT},
                        },
                        **_errors(400, 401),
                    },
                },
            },
            "/api/v1/incidents/{ref}/review": {
                "parameters": [_REF],
                "get": {
                    "summary": "A major incident's post-incident review: texts, key times, follow-ups",
                    "operationId": "getReview",
                    "responses": {
                        "200": _json(review_ref, "The review."),
                        **_errors(401, 404),
                    },
                },
                "post": {
                    "summary": "Start the review of a resolved major incident (agent or admin tokens)",
                    "operationId": "startReview",
                    "responses": {
                        "201": _json(review_ref, "The new draft."),
                        "200": _json(review_ref, "The review it already had."),
                        "409": _error("It is not a major incident, is not resolved yet, or was merged."),
                        **_errors(401, 403, 404, 503),
                    },
                },
                "patch": {
                    "summary": "Change a draft review's texts (agent or admin tokens)",
                    "description": "The texts not given are kept.",
                    "operationId": "updateReview",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {name: {"type": "string", "maxLength": MAX_TEXT} for name in REVIEW_FIELDS},
                        }
                    ),
                    "responses": {
                        "200": _json(review_ref, "The review after the change."),
                        "409": _error("It has no review, or its review is published: the record no longer changes."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/review/publish": {
                "parameters": [_REF],
                "post": {
                    "summary": "Publish a draft review: it becomes the record (agent or admin tokens)",
                    "description": "Its link is mailed to the coordinator and the major-incident group; audited as "
                    "`review.publish`.",
                    "operationId": "publishReview",
                    "responses": {
                        "200": _json(review_ref, "The published review."),
                        "409": _error("It has no review, the review is published already, or has no summary."),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/review/actions": {
                "parameters": [_REF],
                "post": {
                    "summary": "Add a follow-up action to a draft review (agent or admin tokens)",
                    "operationId": "addReviewAction",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["text"],
                            "additionalProperties": False,
                            "properties": {
                                "text": {
                                    "type": "string",
                                    "maxLength": REVIEW_ACTION_WIDTH,
                                    "description": "What is to be done, one line: it becomes the problem's title.",
                                    "examples": ["Alert on disk at 80%"],
                                },
                                "owner": {
                                    "type": ["string", "null"],
                                    "maxLength": REVIEW_OWNER_WIDTH,
                                    "description": "Who sees it done (optional); the problem's owner once filed.",
                                },
                            },
                        }
                    ),
                    "responses": {
                        "201": _json(_REVIEW_ACTION_REF, "The new action, not filed yet."),
                        "409": _error(
                            "It has no review, its review is published, or the text is empty or not one short line."
                        ),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/review/actions/{action_id}": {
                "parameters": [_REF, _ACTION_ID],
                "delete": {
                    "summary": "Take a follow-up action out of a draft review (agent or admin tokens)",
                    "operationId": "removeReviewAction",
                    "responses": {
                        "200": _json(review_ref, "The review without the action."),
                        "409": _error(
                            "It has no review, its review is published, or the action is filed as a problem "
                            "already (close the problem if it is not to be done)."
                        ),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/review/actions/{action_id}/problem": {
                "parameters": [_REF, _ACTION_ID],
                "post": {
                    "summary": "File a follow-up action as a problem, so it is tracked (agent or admin tokens)",
                    "description": "Draft or published. The problem's title is the action's text and its owner the "
                    "action's; the incident's timeline says so, and the audit log (`problem.create`).",
                    "operationId": "fileReviewAction",
                    "responses": {
                        "201": {
                            **_json(_REVIEW_ACTION_REF, "The action, with the problem it was filed as."),
                            "headers": _AT_PROBLEM,
                        },
                        "409": _error("It has no review, or the action is filed as a problem already."),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/comments": {
                "parameters": [_REF],
                "post": {
                    "summary": "Add an internal note, or mail a reply to the requester, optionally with files",
                    "description": "As JSON, or as multipart/form-data with the same fields and up to "
                    f"{MOST_FILES} `file` parts: a note's files stay inside with it, a reply's go with its mail. "
                    "With a file, `text` may be empty or left out (a reply's mail then says who sent how many "
                    "files); with neither words nor a file, 400. "
                    "The files' limits are the installation's for email attachments (SWITCHBOARD_ATTACHMENT_MAX_BYTES"
                    " each, SWITCHBOARD_ATTACHMENTS_MAX_MESSAGE_BYTES together).",
                    "operationId": "commentOnIncident",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": _COMMENT},
                            "multipart/form-data": {
                                "schema": {
                                    **_COMMENT,
                                    "required": [],
                                    "properties": {
                                        **_COMMENT["properties"],
                                        "text": {
                                            "type": "string",
                                            "description": "What the note or reply says; empty or left out when "
                                            "files are all it carries.",
                                        },
                                        "file": {
                                            "type": "array",
                                            "maxItems": MOST_FILES,
                                            "items": {"type": "string", "format": "binary"},
                                            "description": "The files, one part each, named by their filename.",
                                        },
                                    },
                                },
                                "encoding": {"file": {"contentType": "application/octet-stream"}},
                            },
                        },
                    },
                    "responses": {
                        "201": _json(detail_ref, "The incident with the new timeline entry."),
                        **_errors(400, 401, 403, 404, 409),
                        "413": _error(TOO_LARGE),
                        **_errors(503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/files/{file_id}": {
                "parameters": [_REF, _FILE_ID],
                "get": {
                    "summary": "One of the incident's files, as a download (any token)",
                    "description": "Served as the incident page serves it: `Content-Disposition: attachment` with "
                    "its filename, `X-Content-Type-Options: nosniff`, and its own type only when inert (PDF, "
                    "images, plain text, CSV), else application/octet-stream. Its SHA-256 is a strong ETag.",
                    "operationId": "getIncidentFile",
                    "parameters": [
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "schema": {"type": "string"},
                            "description": "The ETag fetched before (its `sha256`, quoted): 304 when unchanged.",
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The file's bytes.",
                            "headers": {
                                "Content-Disposition": {"schema": {"type": "string"}},
                                "ETag": {"schema": {"type": "string"}},
                            },
                            "content": {
                                kind: {"schema": {"type": "string", "format": "binary"}}
                                for kind in ("application/octet-stream", *sorted(SAFE_TYPES))
                            },
                        },
                        "304": {"description": "Not modified: If-None-Match named its ETag."},
                        **_errors(401),
                        "404": _error(
                            "No such incident, no such file of it, or its bytes were not kept (over the limits, or "
                            "gone from the store); the message says which."
                        ),
                    },
                },
            },
            "/api/v1/incidents/{ref}/time": {
                "parameters": [_REF],
                "post": {
                    "summary": "Log time spent working the incident",
                    "operationId": "logTimeOnIncident",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["minutes"],
                            "properties": {
                                "minutes": _SPENT_MINUTES,
                                "what": {"type": ["string", "null"], "maxLength": WHAT_WIDTH},
                            },
                        }
                    ),
                    "responses": {
                        "201": _json(detail_ref, "The incident, its total time spent included."),
                        **_errors(400, 401, 403, 404, 409, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/time/{entry}": {
                "parameters": [_REF, _TIME_ENTRY],
                "patch": {
                    "summary": "Correct a time entry typed wrong: the token's own (an admin token's: anyone's)",
                    "operationId": "correctTimeOnIncident",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "minutes": _SPENT_MINUTES,
                                "spent": {
                                    "type": "string",
                                    "maxLength": 20,
                                    "description": "Instead of minutes, the time as people type it: 25m, 1.5h, 1h 30m.",
                                    "examples": ["1h 30m"],
                                },
                                "what": {
                                    "type": ["string", "null"],
                                    "maxLength": WHAT_WIDTH,
                                    "description": "What the time went on; empty or null clears it.",
                                },
                            },
                            "not": {"required": ["minutes", "spent"]},
                        }
                    ),
                    "responses": {
                        "200": _json(detail_ref, "The incident, its total time spent corrected."),
                        "403": _error("The entry is someone else's, or the token's role may not work incidents."),
                        **_errors(400, 401, 404, 409, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/watchers/{email}": {
                "parameters": [_REF, _WATCHER],
                "put": {
                    "summary": "Make a user a watcher: they hear when it is resolved, reopened or escalated",
                    "operationId": "watchIncident",
                    "responses": {
                        "200": _json(detail_ref, "The incident, its watchers included."),
                        **_errors(400, 401, 403, 404, 409, 503),
                    },
                },
                "delete": {
                    "summary": "Stop telling a watcher about the incident",
                    "operationId": "unwatchIncident",
                    "responses": {
                        "200": _json(detail_ref, "The incident, its watchers included."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/incidents/{ref}/problem": {
                "parameters": [_REF],
                "put": {
                    "summary": "Make it part of an open problem, moving it from any other (agent or admin tokens)",
                    "description": "The problem must be new, investigating or a known error. The incident's "
                    "timeline says so, and the audit log (`problem.link`).",
                    "operationId": "linkIncidentToProblem",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["problem"],
                                    "properties": {"problem": {"type": "string", "pattern": "^PRB-[0-9]+$"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(detail_ref, "The incident, with its `problem`."),
                        "404": _error("No such incident, or no such problem."),
                        "409": _error("The problem is resolved or closed: it takes no incidents."),
                        **_errors(400, 401, 403, 503),
                    },
                },
                "delete": {
                    "summary": "Take it out of its problem (agent or admin tokens)",
                    "description": "The timeline and the audit log (`problem.unlink`) say so; an incident part of "
                    "no problem is answered as it is.",
                    "operationId": "unlinkIncidentFromProblem",
                    "responses": {
                        "200": _json(detail_ref, "The incident, its `problem` null."),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/problems": {
                "get": {
                    "summary": "Problems, newest first",
                    "description": "A `page` of `limit` at a time, like the other lists; `X-Total-Count` says how "
                    "many there are in all.",
                    "operationId": "listProblems",
                    "parameters": [
                        _PAGE,
                        _LIMIT,
                    ],
                    "responses": {
                        "200": {
                            **_json({"type": "array", "items": _PROBLEM}, "Problems."),
                            "headers": {"X-Total-Count": _TOTAL_COUNT},
                        },
                        **_errors(400, 401),
                    },
                },
                "post": {
                    "summary": "File a suggested recurrence (with its incidents) or a problem by hand",
                    "operationId": "createProblem",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "properties": {"suggestion": {"type": "string"}, "title": {"type": "string"}},
                        }
                    ),
                    "responses": {
                        "201": {
                            **_json(_PROBLEM, "The problem."),
                            "headers": _AT_PROBLEM,
                        },
                        **_errors(400, 401, 403, 409),
                    },
                },
            },
            "/api/v1/problems/suggestions": {
                "get": {
                    "summary": "Recurring incidents no problem covers yet, largest first",
                    "operationId": "problemSuggestions",
                    "responses": {
                        "200": _json({"type": "array", "items": _SUGGESTION}, "Suggestions."),
                        **_errors(401),
                    },
                }
            },
            "/api/v1/problems/{ref}": {
                "parameters": [
                    {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "PRB-1"}
                ],
                "get": {
                    "summary": "One problem with its incidents",
                    "operationId": "getProblem",
                    "responses": {"200": _json(_PROBLEM, "The problem."), **_errors(401, 404)},
                },
                "patch": {
                    "summary": "Record what was learned and move the problem on, as its page does (agent or admin "
                    "tokens)",
                    "description": "Any of the fields; the rest stay as they are. States move as the page allows "
                    "(a new problem cannot be resolved straight away; a closed one no longer moves), and a known "
                    "error needs its workaround written down. Audited (`problem.update`, which names the "
                    "incidents resolved with it).",
                    "operationId": "updateProblem",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "root_cause": {"type": "string"},
                                "workaround": {"type": "string"},
                                "share_workaround": {
                                    "type": "boolean",
                                    "description": "Tell requesters of new matching incidents the workaround.",
                                },
                                "state": {
                                    "type": "string",
                                    "enum": ["new", "investigating", "known_error", "resolved", "closed"],
                                },
                                "owner": {"type": "string", "description": "Who works it; empty clears it."},
                                "resolve_incidents": {
                                    "type": "boolean",
                                    "default": False,
                                    "description": 'With `"state": "resolved"` (or on a problem resolved '
                                    f"already): resolve its open incidents too, oldest first, each as an agent's "
                                    "resolve does (its requester mailed the resolution, which names the problem "
                                    f"and its root cause): the first {PROBLEM_BATCH} in the same transaction, the "
                                    "rest by the workers in the background, until it is moved back to "
                                    "investigating.",
                                },
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(
                            _PROBLEM_RESOLVED,
                            "The problem as it is now; with `resolve_incidents`, the incidents resolved with it.",
                        ),
                        "409": _error(
                            "The state cannot follow the problem's, a known error lacks a workaround, or "
                            "incidents are to be resolved with a problem that is not resolved."
                        ),
                        **_errors(400, 401, 403, 404),
                    },
                },
            },
            "/api/v1/changes": {
                "get": {
                    "summary": "Changes, newest first (deploys included)",
                    "operationId": "listChanges",
                    "parameters": [
                        {"name": "state", "in": "query", "schema": {"type": "string"}, "example": "implemented"},
                        {"name": "service", "in": "query", "schema": {"type": "string"}},
                        _PAGE,
                        _LIMIT,
                    ],
                    "responses": {
                        "200": {
                            **_json({"type": "array", "items": {"$ref": "#/components/schemas/Change"}}, "Changes."),
                            "headers": {"X-Total-Count": _TOTAL_COUNT},
                        },
                        **_errors(400, 401),
                    },
                },
            },
            "/api/v1/changes/{ref}": {
                "parameters": [
                    {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "CHG-1"}
                ],
                "get": {
                    "summary": "One change with its plans, approvals and the incidents that followed it",
                    "operationId": "getChange",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Change"}, "The change."),
                        **_errors(401, 404),
                    },
                },
                "patch": {
                    "summary": "Amend a change's plan before work starts (its requester's or an admin's token)",
                    "description": "Any of its title, risk, impact, plans and window; parts not sent stay. Only a "
                    "new, assessed, approved or scheduled change. Approvers approve a change for its window: moving "
                    "the window of a change with votes clears them, and an approved or scheduled one goes back to "
                    "assessed. Audited (`change.amend`, each part old and new).",
                    "operationId": "amendChange",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "title": {"type": "string"},
                                "risk": {"type": "string", "enum": ["low", "medium", "high"]},
                                "impact": {"type": "string"},
                                "implementation_plan": {"type": "string"},
                                "test_plan": {"type": "string"},
                                "backout_plan": {"type": "string"},
                                "planned_start": {
                                    "type": "string",
                                    "format": "date-time",
                                    "examples": ["2026-03-08T22:00:00Z"],
                                },
                                "planned_end": {
                                    "type": "string",
                                    "format": "date-time",
                                    "examples": ["2026-03-08T23:00:00Z"],
                                },
                            },
                        }
                    ),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Change"}, "The change as amended."),
                        "403": _error("Neither the change's requester nor an admin (or a viewer's token)."),
                        "409": _error("Work on it started, it was rejected or closed, or the window is in a freeze."),
                        **_errors(400, 401, 404),
                    },
                },
            },
            "/api/v1/changes/{ref}/problem": {
                "parameters": [
                    {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "CHG-1"}
                ],
                "put": {
                    "summary": "Say which open problem the change fixes, replacing any other (agent or admin tokens)",
                    "description": "The problem's reference, or an open problem's whole title. The problem must be "
                    "new, investigating or a known error; its page then lists the change. The audit log says so on "
                    "both (`change.problem`, `problem.link`).",
                    "operationId": "setChangeProblem",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["problem"],
                            "properties": {"problem": {"type": "string", "examples": ["PRB-3"]}},
                        }
                    ),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Change"}, "The change, with its `problem`."),
                        "404": _error("No such change, or no such problem."),
                        "409": _error("The problem is resolved or closed: it takes no changes."),
                        **_errors(400, 401, 403),
                    },
                },
                "delete": {
                    "summary": "The change fixes no problem after all (agent or admin tokens)",
                    "description": "Audited (`change.problem`, `problem.unlink`); a change that named none is "
                    "answered as it is.",
                    "operationId": "clearChangeProblem",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Change"}, "The change, its `problem` null."),
                        **_errors(401, 403, 404),
                    },
                },
            },
            "/api/v1/events": {
                "get": {
                    "summary": "Stored events (every request and message kept as received), newest first",
                    "operationId": "listEvents",
                    "parameters": [
                        {"name": "integration", "in": "query", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"type": "string", "examples": ["unprocessable"]}},
                        _PAGE,
                        _LIMIT,
                        _TOTAL,
                    ],
                    "responses": {
                        "200": {**_json({"type": "array", "items": _EVENT}, "Events."), "headers": _CAPPED_TOTAL},
                        **_errors(400, 401, 403, 404),
                    },
                },
            },
            "/api/v1/events/{id}": {
                "parameters": [_ID],
                "get": {
                    "summary": "One event with the start of its body and the rules' trace",
                    "operationId": "getEvent",
                    "responses": {"200": _json(_EVENT, "The event."), **_errors(401, 403, 404)},
                },
            },
            "/api/v1/integrations": {
                "get": {
                    "summary": "Integrations with their kind, state and last event (never a secret)",
                    "operationId": "listIntegrations",
                    "responses": {
                        "200": _json({"type": "array", "items": _INTEGRATION}, "Integrations."),
                        **_errors(401, 403),
                    },
                },
            },
            "/api/v1/articles": {
                "get": {
                    "summary": "Knowledge articles, drafts too, newest change first (without their text)",
                    "operationId": "listArticles",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Only articles holding every one of these words.",
                        }
                    ],
                    "responses": {"200": _json({"type": "array", "items": _ARTICLE}, "Articles."), **_errors(401)},
                },
            },
            "/api/v1/articles/{id}": {
                "parameters": [_ID],
                "get": {
                    "summary": "One knowledge article with its text",
                    "operationId": "getArticle",
                    "responses": {"200": _json(_ARTICLE, "The article."), **_errors(401, 404)},
                },
            },
            "/api/v1/articles/suggest": {
                "get": {
                    "summary": "The published articles a requester writing this text would be offered (at most 3)",
                    "operationId": "suggestArticles",
                    "parameters": [
                        {
                            "name": "text",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "The printer on floor 3 jams",
                        }
                    ],
                    "responses": {
                        "200": _json({"type": "array", "items": _SUGGESTED}, "Best first; empty when none matches."),
                        **_errors(400, 401),
                    },
                },
            },
            "/api/v1/cis": {
                "get": {
                    "summary": "Configuration items by name (active ones unless `status` says otherwise)",
                    "operationId": "listCis",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Words to find."},
                        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
                        {"name": "service", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": [*STATUSES, "all"], "default": "active"},
                        },
                        _PAGE,
                        {**_LIMIT, "schema": {"type": "integer", "minimum": 1, "default": MAX_LIMIT}},
                    ],
                    "responses": {
                        "200": {
                            **_json({"type": "array", "items": {"$ref": "#/components/schemas/Ci"}}, "CIs."),
                            "headers": {"X-Total-Count": _TOTAL_COUNT},
                        },
                        **_errors(400, 401, 403),
                    },
                },
            },
            "/api/v1/cis/{name}": {
                "parameters": [_CI_NAME],
                "get": {
                    "summary": "One configuration item, its dependencies both ways and its open incidents",
                    "operationId": "getCi",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Ci"}, "The CI."),
                        **_errors(401, 403, 404),
                    },
                },
                "put": {
                    "summary": "Create the CI, or make it exactly what the body says (for discovery tools)",
                    "operationId": "putCi",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["kind"],
                            "properties": {
                                "kind": {"type": "string", "enum": list(KINDS)},
                                "service": {"type": ["string", "null"]},
                                "owner": {"type": ["string", "null"], "examples": ["dba"]},
                                "description": {"type": ["string", "null"]},
                                "attributes": {"type": "object", "examples": [{"ip": "10.0.0.5", "rack": "4"}]},
                                "status": {"type": "string", "enum": list(STATUSES)},
                                "depends_on": {"type": "array", "items": {"type": "string"}},
                            },
                        }
                    ),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Ci"}, "Updated, or unchanged (`result`)."),
                        "201": _json({"$ref": "#/components/schemas/Ci"}, "Created."),
                        **_errors(400, 401, 403, 503),
                    },
                },
            },
            "/api/v1/users/{email}/mail-choices": {
                "parameters": [
                    {
                        "name": "email",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "bob@example.com",
                        "description": "The user's address, in any case.",
                    }
                ],
                "get": {
                    "summary": "The mail a user chose to get, as their account page shows it (admin tokens)",
                    "description": "Admin tokens read and set anyone's choices, by address; "
                    "until someone chooses, everything is on.",
                    "operationId": "getMailChoices",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/MailChoices"}, "Their choices."),
                        **_errors(401, 403, 404),
                    },
                },
                "put": {
                    "summary": "Set every one of a user's mail choices, as their account page's form does",
                    "description": "Audited as `user.mail` with what changed.",
                    "operationId": "putMailChoices",
                    "requestBody": _body({**_MAIL_CHOICES, "required": list(MAIL_CHOICE_NAMES)}),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/MailChoices"}, "Their choices now."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
                "patch": {
                    "summary": "Change some of a user's mail choices, keeping the others",
                    "description": "Audited as `user.mail` with what changed.",
                    "operationId": "patchMailChoices",
                    "requestBody": _body({**_MAIL_CHOICES, "minProperties": 1}),
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/MailChoices"}, "Their choices now."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/silences": {
                "get": {
                    "summary": "Silences in force or coming",
                    "operationId": "listSilences",
                    "responses": {
                        "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Silence"}}, "Silences."),
                        **_errors(401),
                    },
                },
                "post": {
                    "summary": "Silence matching events for a while (agent or admin tokens)",
                    "operationId": "createSilence",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["matchers"],
                            "properties": {
                                "matchers": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "examples": [["labels.team=db", "severity!=info"]],
                                },
                                "duration": {"type": "string", "examples": ["2h"]},
                                "starts_at": {"type": "string", "format": "date-time"},
                                "ends_at": {"type": "string", "format": "date-time"},
                                "comment": {"type": "string"},
                                "every": {"type": "string", "examples": ["sun 02:00-04:00"]},
                                "tz": {"type": "string", "examples": ["Europe/Berlin"]},
                            },
                        }
                    ),
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/Silence"}, "The silence."),
                        **_errors(400, 401, 403, 503),
                    },
                },
            },
            "/api/v1/silences/{id}": {
                "parameters": [_ID],
                "delete": {
                    "summary": "End a silence now",
                    "operationId": "expireSilence",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Silence"}, "The ended silence."),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/oncall": {
                "get": {
                    "summary": "Every on-call rotation: who is on call now, until when, and who is next",
                    "operationId": "listOnCall",
                    "responses": {
                        "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/OnCall"}}, "Rotations."),
                        **_errors(401),
                    },
                },
            },
            "/api/v1/oncall.ics": {
                "get": {
                    "summary": "The rota as an iCalendar feed: shifts from a week back to `days` ahead",
                    "description": "People subscribe their calendar to their own feed, linked from the On call page.",
                    "operationId": "onCallCalendar",
                    "parameters": [
                        {
                            "name": "group",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Only this group's rotation (repeat for more).",
                        },
                        {
                            "name": "who",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Only this person's shifts, overrides included.",
                        },
                        {
                            "name": "days",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 85, "default": 60},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "An iCalendar (RFC 5545) VCALENDAR, one VEVENT per shift.",
                            "content": {"text/calendar": {"schema": {"type": "string"}}},
                        },
                        **_errors(400, 401, 404),
                    },
                },
            },
            "/api/v1/oncall/{group}": {
                "parameters": [_GROUP],
                "get": {
                    "summary": "One group's rotation with its shifts ahead, overrides spliced in",
                    "operationId": "getOnCall",
                    "parameters": [
                        {
                            "name": "days",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 92, "default": 14},
                        }
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/OnCall"}, "The rotation and its shifts."),
                        **_errors(400, 401, 404),
                    },
                },
            },
            "/api/v1/oncall/{group}/overrides": {
                "parameters": [_GROUP],
                "post": {
                    "summary": "Put someone on call for a while, whatever the rotation says (agent or admin tokens)",
                    "operationId": "addOnCallOverride",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["who", "starts_at", "ends_at"],
                            "properties": {
                                "who": {
                                    "type": "string",
                                    "description": "An active agent's or admin's address: someone paged must log in "
                                    "and acknowledge; anyone else is refused (400), the error saying why",
                                    "examples": ["bob@example.com"],
                                },
                                "starts_at": {
                                    "type": "string",
                                    "description": "ISO 8601; without an offset, in the rotation's time zone",
                                    "examples": ["2026-12-24T18:00"],
                                },
                                "ends_at": {"type": "string", "examples": ["2026-12-27T09:00"]},
                            },
                        }
                    ),
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/OnCallOverride"}, "The override."),
                        **_errors(400, 401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/oncall/{group}/overrides/{id}": {
                "parameters": [_GROUP, {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "delete": {
                    "summary": "Remove an override: the rotation applies again",
                    "operationId": "removeOnCallOverride",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["id", "group", "removed"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "group": {"type": "string"},
                                    "removed": {"type": "boolean"},
                                },
                            },
                            "Removed.",
                        ),
                        **_errors(401, 403, 404, 503),
                    },
                },
            },
            "/api/v1/rules": {
                "get": {
                    "summary": "The routing rules in the order they apply (agent or admin tokens)",
                    "operationId": "listRules",
                    "responses": {
                        "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Rule"}}, "Rules."),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/v1/rules/export": {
                "get": {
                    "summary": "The rules as deterministic YAML, as `switchboard rules export` writes it",
                    "operationId": "exportRules",
                    "responses": {
                        "200": {
                            "description": "The YAML rules file (same rules, same bytes).",
                            "content": {"application/yaml": {"schema": _RULES_FILE}},
                        },
                        **_errors(401, 403),
                    },
                }
            },
            "/api/v1/rules/versions": {
                "get": {
                    "summary": "Every saved version of the rules, newest first",
                    "operationId": "listRuleVersions",
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/RuleVersion"}}, "Versions."
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            **catalogue_openapi.PATHS,
            **request_types_openapi.PATHS,
            **approvals_openapi.PATHS,
            **steps_openapi.PATHS,
            **copied_openapi.PATHS,
            **tokens_openapi.PATHS,
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _ERROR,
                "Incident": _INCIDENT,
                "IncidentDetail": _DETAIL,
                "TimelineEntry": _TIMELINE_ENTRY,
                "File": _FILE,
                "Satisfaction": _SATISFACTION,
                "Silence": _SILENCE,
                "OnCall": _ON_CALL,
                "OnCallOverride": _OVERRIDE,
                "Rule": _RULE,
                "RuleVersion": _RULE_VERSION,
                "Change": _CHANGE,
                "RelatedChange": _RELATED_CHANGE,
                "Ci": _CI,
                "MailChoices": {**_MAIL_CHOICES, "required": list(MAIL_CHOICE_NAMES)},
                "ReviewListed": _REVIEW_LISTED,
                "Review": _REVIEW,
                "ReviewAction": _REVIEW_ACTION,
                **catalogue_openapi.SCHEMAS,
                **request_types_openapi.SCHEMAS,
                **approvals_openapi.SCHEMAS,
                **steps_openapi.SCHEMAS,
                **tokens_openapi.SCHEMAS,
            },
        },
    }
