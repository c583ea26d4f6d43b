"""People who sign in to the pages, their sessions, and the rules for both (no I/O).

A user belongs to one account and has one role. An agent is linked to one worker of
that account: the desktop is that worker's. Passwords are stored as argon2 hashes by
the service; this module only decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN = "admin"
SUPERVISOR = "supervisor"
AGENT = "agent"
ROLES = (ADMIN, SUPERVISOR, AGENT)
# roles that may watch the floor and change a worker's activity from the supervisor page
SUPERVISING = frozenset({ADMIN, SUPERVISOR})

USER_PREFIX = "US"
MAX_FAILURES = 5  # consecutive failed sign-ins before the user is locked out
LOCKOUT_MS = 15 * 60 * 1000
SESSION_MS = 12 * 60 * 60 * 1000  # one working day: agents sign in once per shift
MIN_PASSWORD = 12
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$")


@dataclass(kw_only=True)
class User:
    sid: str
    account_sid: str
    email: str
    friendly_name: str
    role: str
    # the workspace the pages open on; agents: the workspace of their worker
    workspace_sid: str | None = None
    worker_sid: str | None = None
    password_hash: str
    failed_attempts: int = 0
    locked_until: int | None = None
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class WebSession:
    # the SHA-256 of the cookie's value: a stolen table opens no session
    token_hash: str
    user_sid: str
    account_sid: str
    csrf_token: str
    expires_at: int
    date_created: int


class PeopleError(ValueError):
    """A user cannot be created as asked (the message says why)."""


def normal_email(email: str) -> str:
    """Sign-in names are e-mail addresses, compared without case."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise PeopleError(f"'{email}' is not an e-mail address")
    return email


def check_new_user(role: str, password: str, worker_sid: str | None) -> None:
    """An agent needs a worker, nobody else has one; passwords long enough to resist guessing."""
    if role not in ROLES:
        raise PeopleError(f"role must be one of {', '.join(ROLES)}")
    if role == AGENT and not worker_sid:
        raise PeopleError("an agent is linked to a worker: give the worker's sid")
    if role != AGENT and worker_sid:
        raise PeopleError("only agents are linked to a worker")
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"a password has at least {MIN_PASSWORD} characters")


def is_locked(user: User, now: int) -> bool:
    return user.locked_until is not None and now < user.locked_until


def note_failure(user: User, now: int) -> None:
    """One more failed sign-in; the MAX_FAILURES-th in a row locks the user for LOCKOUT_MS."""
    user.failed_attempts += 1
    if user.failed_attempts >= MAX_FAILURES:
        user.locked_until = now + LOCKOUT_MS
        user.failed_attempts = 0
    user.date_updated = now


def note_success(user: User, now: int) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    user.date_updated = now
