"""Files sent with a note or a reply (the incident page's forms, the API's multipart comments): the body let in up
to what the limits allow, each file read within its limit and named as an email's files are, for
hub/agent_files.py to check, store and record.

The app's MAX_CONTENT_LENGTH stays the event limit (SWITCHBOARD_MAX_EVENT_BYTES, 512 KB by default), which every
other form, API call and webhook is held to. A view that takes files raises it for its own request with
`allow_files`, before anything reads the body: to what its files may come to together
(SWITCHBOARD_ATTACHMENTS_MAX_MESSAGE_BYTES) plus room for the text, so a larger body is answered 413 as it
arrives, before it is read into memory or spooled to disk.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from werkzeug.datastructures import FileStorage

from hub.agent_files import MOST_FILES, Upload, check, check_count, describe_size
from hub.attachments import AttachmentLimits, AttachmentStore
from ingest.mime import safe_filename
from web.services import services

#: Room in a body besides its files: the text (20,000 characters, up to 4 bytes each in UTF-8), the other fields,
#: and each part's headers.
FORM_ROOM = 256 * 1024


def store() -> AttachmentStore:
    """The installation's attachment store, with its limits: the one the intake keeps emails' files in."""
    found = services().intake.files
    if found is None:  # make_intake always gives the app's intake one
        raise RuntimeError("this app's intake has no attachment store")
    return found


def limits_in_words(limits: AttachmentLimits) -> str:
    """What a form that takes files says of them."""
    return (f"Up to {MOST_FILES} files, each at most {describe_size(limits.per_file)}, "
            f"{describe_size(limits.per_message)} together.")  # fmt: skip


def body_limit(limits: AttachmentLimits) -> int:
    """The largest body a request with files may send: all its files at their limit, and the form around them."""
    return limits.per_message + FORM_ROOM


def allow_files(limits: AttachmentLimits) -> None:
    """Let this request's body be as large as `body_limit`; call it before anything reads the body."""
    request.max_content_length = body_limit(limits)


def read(parts: Sequence[FileStorage], limits: AttachmentLimits) -> tuple[Upload, ...]:
    """The files chosen (a file input left empty sends a part without a name: skipped), each read up to one byte
    past its limit and given a safe name (no path, no control characters: ingest/mime.py::safe_filename); raises
    TooManyFiles or FilesTooLarge (hub/agent_files.py) when over the limits."""
    chosen = [part for part in parts if part.filename]
    check_count(len(chosen))
    uploads = tuple(
        Upload(safe_filename(part.filename, part.mimetype or "application/octet-stream", number),
               part.stream.read(limits.per_file + 1))
        for number, part in enumerate(chosen, 1)
    )  # fmt: skip
    check(uploads, limits)
    return uploads
