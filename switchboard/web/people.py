"""Users and their sign-in sessions over the store: create, sign in, look up, sign out.

The cookie carries a random token; the store keeps only its SHA-256, with the session's
CSRF token. Failed sign-ins count per user and lock them out for a while (see
:mod:`switchboard.web.domain.people`); the answer never says whether the e-mail exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from switchboard.kernel.criteria import eq, lt
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound
from switchboard.kernel.ports import Clock, Store
from switchboard.web.domain import people as rules
from switchboard.web.domain.people import User, WebSession
from switchboard.web.passwords import hash_password, verify_password
from switchboard.web.ports import Floor


@dataclass(frozen=True)
class NewUser:
    account_sid: str
    email: str
    friendly_name: str
    role: str
    password: str
    worker_sid: str | None = None
    workspace_sid: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """A session as the pages use it: the user and the session's CSRF token."""

    user: User
    csrf_token: str


class SignInRefused(Exception):
    """Wrong e-mail or password, or locked out; `locked` says which, for the message."""

    def __init__(self, locked: bool) -> None:
        super().__init__("locked" if locked else "wrong e-mail or password")
        self.locked = locked


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class People:
    """The users of the pages; agents' workers are checked through the Floor port."""

    def __init__(self, store: Store, clock: Clock, floor: Floor) -> None:
        self._store = store
        self._clock = clock
        self._floor = floor

    async def create(self, new: NewUser) -> User:
        """A new user of an existing account (an agent: of a worker of that account)."""
        try:
            email = rules.normal_email(new.email)
            rules.check_new_user(new.role, new.password, new.worker_sid)
        except rules.PeopleError as error:
            raise InvalidParameter(str(error)) from None
        workspace_sid = await self._workspace_of(new)
        password_hash = await hash_password(new.password)
        now = self._clock.now_ms()
        user = User(
            sid=rules.USER_PREFIX + secrets.token_hex(16),
            account_sid=new.account_sid,
            email=email,
            friendly_name=new.friendly_name.strip()[:64] or email,
            role=new.role,
            workspace_sid=workspace_sid,
            worker_sid=new.worker_sid,
            password_hash=password_hash,
            date_created=now,
            date_updated=now,
        )
        async with self._store.transaction() as unit:
            if await unit.exists(User, eq("email", email)):
                raise Conflict(f"a user with e-mail {email} already exists")
            unit.add(user)
        return user

    async def _workspace_of(self, new: NewUser) -> str | None:
        """An agent's workspace is its worker's; others may name one of their account's."""
        if new.worker_sid is not None:
            worker = await self._floor.worker(new.account_sid, new.worker_sid)
            if worker is None:
                raise NotFound(f"The requested resource Worker {new.worker_sid} was not found")
            return worker.workspace_sid
        if new.workspace_sid is not None:
            names = await self._floor.workspaces(new.account_sid)
            if new.workspace_sid not in {w.sid for w in names}:
                raise NotFound(
                    f"The requested resource Workspace {new.workspace_sid} was not found"
                )
        return new.workspace_sid

    async def sign_in(self, email: str, password: str) -> tuple[str, SignedIn]:
        """A new session (its cookie token and the signed-in user), or SignInRefused."""
        key = email.strip().lower()
        async with self._store.read() as unit:
            found = await unit.first(User, eq("email", key))
        now = self._clock.now_ms()
        if found is not None and rules.is_locked(found, now):
            raise SignInRefused(locked=True)
        good = await verify_password(found.password_hash if found else None, password)
        if found is None:
            raise SignInRefused(locked=False)
        return await self._settle(found.sid, good, now)

    async def _settle(self, user_sid: str, good: bool, now: int) -> tuple[str, SignedIn]:
        async with self._store.transaction() as unit:
            user = await unit.get(User, user_sid)
            if user is None or rules.is_locked(user, now):
                raise SignInRefused(locked=user is not None)
            if not good:
                rules.note_failure(user, now)
            else:
                rules.note_success(user, now)
                token, session = self._new_session(user, now)
                unit.add(session)
        if not good:
            raise SignInRefused(locked=rules.is_locked(user, now))
        return token, SignedIn(user, session.csrf_token)

    def _new_session(self, user: User, now: int) -> tuple[str, WebSession]:
        token = secrets.token_urlsafe(32)
        session = WebSession(
            token_hash=token_hash(token),
            user_sid=user.sid,
            account_sid=user.account_sid,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + rules.SESSION_MS,
            date_created=now,
        )
        return token, session

    async def session(self, token: str) -> SignedIn | None:
        """The live session the cookie names, or None (unknown, expired or locked user)."""
        now = self._clock.now_ms()
        async with self._store.read() as unit:
            session = await unit.get(WebSession, token_hash(token))
            if session is None or session.expires_at <= now:
                return None
            user = await unit.get(User, session.user_sid)
        if user is None or rules.is_locked(user, now):
            return None
        return SignedIn(user, session.csrf_token)

    async def sign_out(self, token: str) -> None:
        """The session ends here; expired sessions of anyone are swept on the way."""
        async with self._store.transaction() as unit:
            session = await unit.get(WebSession, token_hash(token))
            if session is not None:
                await unit.delete(session)
            await unit.delete_where(WebSession, lt("expires_at", self._clock.now_ms()))

    async def set_password(self, user_sid: str, password: str) -> None:
        """A new password ends the user's lockout and every session they had."""
        try:
            rules.check_new_user(rules.ADMIN, password, None)
        except rules.PeopleError as error:
            raise InvalidParameter(str(error)) from None
        password_hash = await hash_password(password)
        async with self._store.transaction() as unit:
            user = await unit.get(User, user_sid)
            if user is None:
                raise NotFound(f"The requested resource User {user_sid} was not found")
            user.password_hash = password_hash
            rules.note_success(user, self._clock.now_ms())
            await unit.delete_where(WebSession, eq("user_sid", user_sid))

    async def users(self, account_sid: str) -> list[User]:
        async with self._store.read() as unit:
            return await unit.select(User, eq("account_sid", account_sid))
