"""What a person may type as a name or a one-line field (a category, a service, a group, a title): one line, with
no control characters. A NUL or an escape sequence there is never meant: it breaks mail headers and terminals,
and PostgreSQL refuses NUL outright. And what a file's name may be once kept (`safe_filename`)."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

from hub.errors import BadInput

#: The width of the name columns (categories, services, groups).
NAME_WIDTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_one_line(text: str) -> bool:
    """Whether `text` holds no line break, tab or other control character."""
    return _CONTROL.search(text) is None


def check_name(name: str, what: str, example: str = "") -> str:
    """`name` stripped, or BadInput saying what a `what`'s name may be (a service, a group, a saved reply...)."""
    name = name.strip()
    if not 0 < len(name) <= NAME_WIDTH or not is_one_line(name):
        hint = f", e.g. {example}" if example else ""
        raise BadInput(f"a {what} needs a name of 1 to {NAME_WIDTH} characters on one line{hint}")
    return name


#: Characters never kept in a filename: path separators, characters Windows refuses, control characters, and
#: lone surrogates (the stdlib decodes an RFC 2231 `filename*=utf-7''%2B2D0-` to one, and it is no character).
_UNSAFE_NAME = re.compile('[\x00-\x1f\x7f/\\\\:*?"<>|\ud800-\udfff]+')
MAX_FILENAME = 200


def safe_filename(name: str, content_type: str, index: int) -> str:
    """A filename safe to show and to offer in Content-Disposition, whoever sent the file (an email, the incident
    page, the command line): no path, no control or reserved characters, no leading dots, at most 200 characters
    with its extension kept; `attachment-N.ext` when nothing is left of it."""
    text = unicodedata.normalize("NFC", name)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE_NAME.sub("_", text).lstrip(". ").rstrip()
    if not text:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        return f"attachment-{index}{extension}"
    if len(text) > MAX_FILENAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            return stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        return text[:MAX_FILENAME]
    return text
