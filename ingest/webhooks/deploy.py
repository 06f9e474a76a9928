"""Deploy reports (integration kind `deploy`): the documented generic JSON, and GitHub's `deployment_status` webhook.

Generic (also what the Argo CD notifications template in docs/changes.md posts)::

    {"service": "checkout", "version": "1.4.2", "environment": "production",
     "status": "success|failure|in_progress", "started_at": "2026-03-01T10:00:00Z",
     "finished_at": "2026-03-01T10:04:00Z", "link": "https://ci.example.com/runs/42",
     "deploy_id": "optional: reports with one id update one change", "deployed_by": "optional"}

GitHub's body is recognised by its shape (`deployment_status`, `deployment` and `repository` keys), since the
X-GitHub-Event header is not something a pure normaliser sees. Pure: JSON in, a `Deploy` (or None) out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.deploys import STATUSES, Deploy
from ingest.errors import InvalidPayload
from ingest.webhooks.fields import optional_str

#: GitHub deployment states -> ours; `inactive` (superseded by a newer deploy) records nothing.
_GITHUB_STATES = {
    "success": "success",
    "failure": "failure",
    "error": "failure",
    "in_progress": "in_progress",
    "queued": "in_progress",
    "pending": "in_progress",
    "inactive": None,
}


def normalise(payload: Any, *, integration: str) -> Deploy | None:
    """The deploy a request reports, or None when it reports nothing to record (GitHub's `inactive`)."""
    if not isinstance(payload, dict):
        raise InvalidPayload('body must be a JSON object, like {"service": "checkout", "status": "success"}')
    if is_github(payload):
        return _github(payload)
    return _generic(payload)


def is_github(payload: dict[str, Any]) -> bool:
    return all(isinstance(payload.get(k), dict) for k in ("deployment_status", "deployment", "repository"))


def _generic(payload: dict[str, Any]) -> Deploy:
    service = optional_str(payload, "service")
    if not service or not service.strip():
        raise InvalidPayload("'service' is required: the service that was deployed, e.g. \"checkout\"")
    status = (optional_str(payload, "status") or "").strip().lower()
    if status not in STATUSES:
        raise InvalidPayload(f"'status' must be one of {', '.join(STATUSES)}, not {status!r}")
    return Deploy(
        service=service.strip(),
        status=status,
        version=_scalar(payload, "version"),
        environment=_clean(optional_str(payload, "environment")),
        started_at=_time(payload, "started_at"),
        finished_at=_time(payload, "finished_at"),
        link=_clean(optional_str(payload, "link")),
        deploy_id=_scalar(payload, "deploy_id"),
        deployed_by=_clean(optional_str(payload, "deployed_by")),
        title=_clean(optional_str(payload, "title")),
    )


def _github(payload: dict[str, Any]) -> Deploy | None:
    status_part, deployment, repository = payload["deployment_status"], payload["deployment"], payload["repository"]
    state = optional_str(status_part, "state", "deployment_status")
    if state not in _GITHUB_STATES:
        raise InvalidPayload(f"deployment_status.state {state!r} is not a GitHub deployment state")
    status = _GITHUB_STATES[state]
    if status is None:
        return None
    deploy_id = deployment.get("id")
    if not isinstance(deploy_id, int | str) or isinstance(deploy_id, bool):
        raise InvalidPayload("deployment.id must be the deployment's number")
    custom = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
    service = custom.get("service") if isinstance(custom.get("service"), str) else None
    service = service or optional_str(repository, "name", "repository")
    if not service:
        raise InvalidPayload("repository.name is required (or deployment.payload.service)")
    creator = deployment.get("creator") if isinstance(deployment.get("creator"), dict) else {}
    html_url = optional_str(repository, "html_url", "repository")
    link = next(
        (
            u
            for u in (status_part.get(k) for k in ("target_url", "log_url", "environment_url"))
            if isinstance(u, str) and u
        ),
        f"{html_url}/deployments" if html_url else None,
    )
    return Deploy(
        service=service,
        status=status,
        version=_github_version(deployment),
        environment=_clean(optional_str(status_part, "environment", "deployment_status"))
        or _clean(optional_str(deployment, "environment", "deployment")),
        started_at=_time(deployment, "created_at", "deployment"),
        finished_at=_time(status_part, "created_at", "deployment_status") if status != "in_progress" else None,
        link=link,
        deploy_id=f"github:{deploy_id}",
        deployed_by=creator.get("login") if isinstance(creator.get("login"), str) else None,
    )


def _github_version(deployment: dict[str, Any]) -> str | None:
    """The ref deployed, with the commit it pointed at: `v1.4.2@f95f852`, or the short commit alone."""
    ref = _clean(optional_str(deployment, "ref", "deployment"))
    sha = _clean(optional_str(deployment, "sha", "deployment"))
    if ref and sha and ref != sha:
        return f"{ref}@{sha[:7]}"
    return sha[:12] if sha else ref


def _scalar(payload: dict[str, Any], key: str) -> str | None:
    """A string field that tools often send as a number (versions, ids)."""
    value = payload.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _clean(optional_str(payload, key))


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _time(parent: dict[str, Any], key: str, path: str = "") -> datetime | None:
    """An ISO 8601 time (a `Z` or offset; without one it is taken as UTC), or None when absent or empty."""
    text = _clean(optional_str(parent, key, path))
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        where = f"{path}.{key}" if path else key
        raise InvalidPayload(f"{where} must be an ISO 8601 time like 2026-03-01T10:04:00Z, not {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
