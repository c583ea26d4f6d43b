"""Errors the core raises; the API turns each into Twilio's JSON error shape.

Codes follow Twilio's public error catalogue where one exists (20001 invalid
parameter, 20404 not found, 20003 authentication, 20412 precondition failed).
"""

from __future__ import annotations


class SwitchboardError(Exception):
    """Base class: carries the HTTP status and the Twilio error code."""

    status = 400
    code = 20001

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidParameter(SwitchboardError):
    """A request parameter is missing, malformed or out of range."""


class NotFound(SwitchboardError):
    """The resource does not exist for this account (also for other tenants' sids)."""

    status = 404
    code = 20404


class Conflict(SwitchboardError):
    """The resource's current state does not allow the requested change."""

    status = 409
    code = 20409


class InvalidTransition(SwitchboardError):
    """A task or reservation status change that the lifecycle forbids."""

    status = 400
    code = 20001


class PreconditionFailed(SwitchboardError):
    """The `If-Match` ETag does not match the resource's current version."""

    status = 412
    code = 20412


class Unauthorized(SwitchboardError):
    """Missing or wrong credentials."""

    status = 401
    code = 20003


class SecretUnavailable(SwitchboardError):
    """A stored secret this process cannot open (it was sealed with another secret key)."""

    status = 500
    code = 20500
