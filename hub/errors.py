"""Errors the hub raises: the sender's fault versus ours.

`BadInput` is answered to the sender (HTTP 4xx, SMTP 5xx) and logged quietly. `StorageUnavailable` means we
could not durably store what we were given: the caller answers with a temporary failure (HTTP 503, SMTP 451) so
that the sender retries, and nothing is acknowledged that was not committed.
"""


class SwitchboardError(Exception):
    """Base class for errors raised by Switchboard itself."""


class BadInput(SwitchboardError):
    """The input is malformed or refers to something that does not exist; the message says what to fix."""


class BadField(BadInput):
    """Bad input about one named field (`field`, as a form or an option spells it without dashes), so that a form
    can show the message beside that field; everyone else reads it as any BadInput."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BadFields(BadInput):
    """Several fields' mistakes found at once, so a form shows each beside its field in one go instead of one per
    submission; read as one BadInput (the messages joined), it still says all of them."""

    def __init__(self, each: list[BadField]) -> None:
        super().__init__("; ".join(str(one) for one in each))
        self.each = tuple(each)


def refuse_all(wrong: list[BadField]) -> None:
    """Raise the mistakes found, if any: one as itself, several as BadFields."""
    if len(wrong) == 1:
        raise wrong[0]
    if wrong:
        raise BadFields(wrong)


class Missing(BadInput):
    """The input names something that does not exist (an API answers 404)."""


class LastAdmin(BadInput):
    """The change would leave no active admin, so no one could manage the hub; the message says what to do first.
    Its own class so that single sign-on can keep someone an admin and still log them in (hub/sso.py)."""


class ConfigError(SwitchboardError):
    """A setting is missing or malformed; the message names the variable and what it expects."""


class StorageUnavailable(SwitchboardError):
    """The database could not be reached or did not accept a write in time."""
