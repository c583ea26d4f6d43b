"""Users of the pages: who can be created, signing in, lockout, sessions and signing out.

Runs on the memory, SQLite and PostgreSQL stores, with the real distribution adapter
behind the Floor port (an agent's worker must be a worker of the same account)."""

from __future__ import annotations

import httpx
import pytest

from switchboard.kernel.clock import FakeClock
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound
from switchboard.pages_bridge import DistributionFloor
from switchboard.runtime import Core
from switchboard.web.domain.people import LOCKOUT_MS, MAX_FAILURES, SESSION_MS
from switchboard.web.people import NewUser, People, SignInRefused
from tests.api.helpers import create, create_workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def people(core: Core, clock: FakeClock) -> People:
    return People(core.store, clock, DistributionFloor(core.services))


async def test_a_user_signs_in_with_the_password_and_the_session_names_them(
    people: People, credentials: tuple[str, str]
) -> None:
    user = await people.create(
        NewUser(credentials[0], "Boss@Example.com", "Boss", "admin", PASSWORD)
    )
    assert user.email == "boss@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash

    token, who = await people.sign_in("BOSS@example.com", PASSWORD)
    found = await people.session(token)
    assert found is not None
    assert found.user.sid == user.sid
    assert found.csrf_token == who.csrf_token
    assert await people.session(token + "x") is None


async def test_signing_out_ends_the_session(people: People, credentials: tuple[str, str]) -> None:
    await people.create(NewUser(credentials[0], "a@example.com", "A", "supervisor", PASSWORD))
    token, _who = await people.sign_in("a@example.com", PASSWORD)
    await people.sign_out(token)
    assert await people.session(token) is None


async def test_a_session_expires_after_a_working_day(
    people: People, credentials: tuple[str, str], clock: FakeClock
) -> None:
    await people.create(NewUser(credentials[0], "a@example.com", "A", "supervisor", PASSWORD))
    token, _who = await people.sign_in("a@example.com", PASSWORD)
    clock.advance(ms=SESSION_MS - 1000)
    assert await people.session(token) is not None
    clock.advance(ms=1000)
    assert await people.session(token) is None


async def test_repeated_failures_lock_the_user_out_even_with_the_right_password(
    people: People, credentials: tuple[str, str], clock: FakeClock
) -> None:
    await people.create(NewUser(credentials[0], "a@example.com", "A", "admin", PASSWORD))
    for attempt in range(1, MAX_FAILURES + 1):
        with pytest.raises(SignInRefused) as refused:
            await people.sign_in("a@example.com", "wrong password!")
        assert refused.value.locked is (attempt == MAX_FAILURES)
    with pytest.raises(SignInRefused) as refused:
        await people.sign_in("a@example.com", PASSWORD)
    assert refused.value.locked
    clock.advance(ms=LOCKOUT_MS)
    token, _who = await people.sign_in("a@example.com", PASSWORD)
    assert await people.session(token) is not None


async def test_a_success_resets_the_failure_count(
    people: People, credentials: tuple[str, str]
) -> None:
    await people.create(NewUser(credentials[0], "a@example.com", "A", "admin", PASSWORD))
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused):
            await people.sign_in("a@example.com", "wrong password!")
    await people.sign_in("a@example.com", PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused):
            await people.sign_in("a@example.com", "wrong password!")
    await people.sign_in("a@example.com", PASSWORD)


async def test_an_unknown_email_is_refused_like_a_wrong_password(people: People) -> None:
    with pytest.raises(SignInRefused) as refused:
        await people.sign_in("nobody@example.com", PASSWORD)
    assert not refused.value.locked


@pytest.mark.parametrize(
    ("role", "password", "worker", "fragment"),
    [
        ("owner", PASSWORD, None, "role must be one of"),
        ("agent", PASSWORD, None, "linked to a worker"),
        ("admin", PASSWORD, "WK" + "0" * 32, "only agents"),
        ("admin", "short", None, "at least 12"),
    ],
)
async def test_users_are_validated(
    people: People,
    credentials: tuple[str, str],
    role: str,
    password: str,
    worker: str | None,
    fragment: str,
) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        await people.create(NewUser(credentials[0], "a@example.com", "A", role, password, worker))


async def test_an_email_belongs_to_one_user(people: People, credentials: tuple[str, str]) -> None:
    await people.create(NewUser(credentials[0], "a@example.com", "A", "admin", PASSWORD))
    with pytest.raises(Conflict):
        await people.create(NewUser(credentials[0], "A@example.com", "B", "admin", PASSWORD))


async def test_an_agent_is_linked_to_a_worker_of_their_own_account_only(
    people: People,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    credentials: tuple[str, str],
) -> None:
    mine = await create_workspace(client)
    worker = await create(client, f"{mine['url']}/Workers", FriendlyName="Alice")
    agent = await people.create(
        NewUser(credentials[0], "alice@example.com", "Alice", "agent", PASSWORD, worker["sid"])
    )
    assert agent.workspace_sid == mine["sid"]

    theirs = await create_workspace(other_client)
    stranger = await create(other_client, f"{theirs['url']}/Workers", FriendlyName="Eve")
    with pytest.raises(NotFound):
        await people.create(
            NewUser(credentials[0], "eve@example.com", "Eve", "agent", PASSWORD, stranger["sid"])
        )
    with pytest.raises(NotFound):
        await people.create(
            NewUser(
                credentials[0], "s@example.com", "S", "supervisor", PASSWORD, None, theirs["sid"]
            )
        )


async def test_a_new_password_ends_the_lockout_and_every_session(
    people: People, credentials: tuple[str, str]
) -> None:
    user = await people.create(NewUser(credentials[0], "a@example.com", "A", "admin", PASSWORD))
    token, _who = await people.sign_in("a@example.com", PASSWORD)
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            await people.sign_in("a@example.com", "wrong password!")
    await people.set_password(user.sid, "another long password")
    assert await people.session(token) is None
    with pytest.raises(SignInRefused):
        await people.sign_in("a@example.com", PASSWORD)
    await people.sign_in("a@example.com", "another long password")
