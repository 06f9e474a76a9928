"""Serving an incident's stored files, for the incident page's download links and the API alike: one place for the
headers that keep a file a download, never a page that could run script in our origin, and for the checks that a
file is reached only through its own incident."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, send_file

from hub import attachments
from web.queries import incident_id
from web.services import services

#: Types a browser cannot run script in, served as themselves; anything else is application/octet-stream, and
#: HTML, SVG and XML never go out as such (they could run script in our origin if ever opened inline).
SAFE_TYPES = frozenset(
    {"application/pdf", "image/gif", "image/jpeg", "image/png", "image/webp", "text/plain", "text/csv"}
)  # fmt: skip


@dataclass(frozen=True)
class Unserved:
    """Why a file is not served (a 404 either way): the incident has no such file, or its bytes were not kept."""

    message: str


def serving_type(content_type: str) -> str:
    """The Content-Type a stored file is served with: its own only when known to be inert."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind if kind in SAFE_TYPES else "application/octet-stream"


def download(ref: str, file_id: int) -> Response | Unserved:
    """The incident's file `file_id` as a download streamed from the store, or why not. Its SHA-256 is a strong
    ETag: the bytes behind an id never change, so If-None-Match answers 304."""
    number = incident_id(ref)
    with services().db.read() as session:
        found = attachments.file_of(session, number, file_id) if number is not None else None
    if found is None:
        return Unserved(f"{ref} has no file {file_id}")
    if not found.stored:
        reason = (found.note or "").removeprefix("not stored: ") or "over the limits"
        return Unserved(f"{found.filename} was not stored ({reason}); the raw message keeps it")
    store = services().intake.files
    path = store.path(found.sha256) if store is not None else None
    if path is None or not path.is_file():
        return Unserved(f"{found.filename} is missing from the attachment store")
    response = send_file(path, mimetype=serving_type(found.content_type), as_attachment=True,
                         download_name=found.filename, conditional=True, etag=found.sha256, max_age=0)  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
