"""Errors of the central database, as a window or an administrator sees them (no driver import here).

`message` is Chinese, for people; the desktop layer turns these into its own typed errors."""

from __future__ import annotations


class CentralError(Exception):
    """The central database refused or failed a call. `message` is Chinese, for people."""

    def __init__(self, message: str, *, sqlstate: str | None = None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate


class CentralUnreachable(CentralError):
    """No answer from the central database (network, refused, timeout, server busy): retry later.

    Nothing of the call was committed."""


class CentralAuthFailed(CentralUnreachable):
    """The server is up but refused this window's credentials."""


class ProtocolTooOld(CentralError):
    """The server no longer accepts this client's protocol (SQLSTATE YC001): upgrade the client."""


class WindowNotRegistered(CentralError):
    """The login role is not a registered window (SQLSTATE YC002)."""


class CentralRefused(CentralError):
    """The server rejected the call itself (permission, bad argument); retrying will not help."""


class WindowBoundElsewhere(CentralError):
    """The window is bound to another machine, or its key does not match (SQLSTATE YC003): an
    administrator must retire the old machine first (yichuang central retire-window)."""
