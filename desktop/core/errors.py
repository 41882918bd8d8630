"""Typed errors with stable codes; the UI and the CLI show `message` (Chinese) to people."""

from __future__ import annotations


class YichuangError(Exception):
    """Base of every error a service reports on purpose.

    `code` is stable (for tests and logs), `message` is the Chinese text a clerk reads,
    `field` names the input field at fault where there is one (for example `applicant.id_no`).
    """

    exit_code = 1

    def __init__(self, code: str, message: str, *, field: str | None = None, overridable: bool = False):
        super().__init__(f"{code}: {message}" + (f" [{field}]" if field else ""))
        self.code = code
        self.message = message
        self.field = field
        self.overridable = overridable


class BadInput(YichuangError):
    """The input is wrong; nothing was stored. CLI exit code 2."""

    exit_code = 2


class NotFound(BadInput):
    """A referenced thing (matter, case, user) does not exist."""


class CalendarNoData(BadInput):
    """The working-day calendar has no data for the year asked; never guessed."""


class AuthError(BadInput):
    """Login failed or the user lacks the role."""


class CentralUnavailable(YichuangError):
    """The central database could not be reached or refused the connection. CLI exit code 1."""


class ProtocolMismatch(YichuangError):
    """Window and centre speak different protocol versions: the window must be upgraded."""
