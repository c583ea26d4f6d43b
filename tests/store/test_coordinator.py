"""Processes that share PostgreSQL: pokes carry what changed; a deaf listener is noticed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from switchboard.store.ownership import PostgresCoordinator
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

pytestmark = pytest.mark.postgres
WS = "WS" + "2" * 32


@pytest.fixture
async def dsn() -> AsyncIterator[str]:
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    yield url.replace("postgresql+asyncpg://", "postgresql://")
    await drop_postgres_database(url)


async def _nothing(_event: dict[str, Any]) -> None:
    return None


async def _no_event(_sid: str) -> dict[str, Any] | None:
    return None


async def _until(check: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


async def test_a_poke_carries_its_detail_to_the_other_processes(dsn: str) -> None:
    heard: list[tuple[str, str | None]] = []
    owner, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await owner.start(lambda ws, detail: heard.append((ws, detail)), _nothing)
    await other.start(lambda _ws, _detail: None, _nothing)
    try:
        await other.announce_poke(WS, '{"keys":{"Task":[["WT1"]]},"sweeps":[]}')
        await other.announce_poke(WS)
        await _until(lambda: len(heard) == 2)
        assert heard == [(WS, '{"keys":{"Task":[["WT1"]]},"sweeps":[]}'), (WS, None)]
    finally:
        await owner.stop()
        await other.stop()


async def test_when_the_listening_connection_dies_every_owned_workspace_is_reread(
    dsn: str,
) -> None:
    """Notifications sent while nobody listened are lost: the owner must not trust its
    in-memory picture, so it is poked with "unknown" (None) and listens again."""
    heard: list[tuple[str, str | None]] = []
    owner, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await owner.start(lambda ws, detail: heard.append((ws, detail)), _nothing)
    await other.start(lambda _ws, _detail: None, _nothing)
    try:
        assert await owner.owns(WS)
        listener = owner._notify_conn
        assert listener is not None
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", listener.get_server_pid())
        finally:
            await admin.close()
        await _until(lambda: (WS, None) in heard)
        await _until(lambda: owner._notify_conn is not None and not owner._notify_conn.is_closed())
        heard.clear()
        await other.announce_poke(WS, "{}")
        await _until(lambda: (WS, "{}") in heard)  # listening again
        await other.announce_poke(WS, "hot", everyone=False)
        await _until(lambda: (WS, "hot") in heard)  # on the owned workspace's channel too
    finally:
        await owner.stop()
        await other.stop()


async def test_queued_events_reach_the_other_process_in_commit_order_even_at_stop(
    dsn: str,
) -> None:
    """The bus hands events over synchronously (an awaiting subscriber lets a later
    commit's events overtake); the coordinator sends them in order, and stopping sends
    what is still queued rather than dropping it."""
    received: list[int] = []

    async def record(event: dict[str, Any]) -> None:
        received.append(event["n"])

    sender, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await sender.start(lambda _ws, _detail: None, _nothing)
    await other.start(lambda _ws, _detail: None, record)
    try:
        for n in range(50):
            sender.queue_event({"sid": f"EV{n}", "n": n})  # synchronous: nothing to await
        await sender.stop()  # right away: the queue is flushed first
        await _until(lambda: len(received) == 50)
        assert received == list(range(50))
    finally:
        await sender.stop()
        await other.stop()


async def test_events_queued_together_travel_packed_in_order_a_large_one_by_sid(
    dsn: str,
) -> None:
    """Each listening process is woken once per payload: queued events share payloads of
    up to 7000 characters; one too large to travel inline goes by its sid and is loaded
    by the receiver, in its place in the order."""
    large = {"sid": "EV-large", "n": 10, "data": "x" * 8000}
    received: list[int] = []
    payloads: list[str] = []

    async def record(event: dict[str, Any]) -> None:
        assert event["remote"] is True
        received.append(event["n"])

    async def load(sid: str) -> dict[str, Any] | None:
        return large if sid == large["sid"] else None

    sender, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, load)
    heard = other._received

    def counting(conn: Any, pid: int, channel: str, payload: str) -> None:
        payloads.append(payload)
        heard(conn, pid, channel, payload)

    other._received = counting  # type: ignore[method-assign,assignment]
    await sender.start(lambda _ws, _detail: None, _nothing)
    await other.start(lambda _ws, _detail: None, record)
    try:
        for n in range(30):
            sender.queue_event(large if n == 10 else {"sid": f"EV{n}", "n": n, "pad": "y" * 500})
        await _until(lambda: len(received) == 30)
        assert received == list(range(30))
        assert [p[0] for p in payloads] == ["b", "E", "b", "b"]  # 10 small, the large, 19 small
        assert all(len(p) <= 8000 for p in payloads)
    finally:
        await sender.stop()
        await other.stop()


async def test_routing_pokes_reach_the_owner_and_configuration_pokes_every_process(
    dsn: str,
) -> None:
    """Tasks, workers and reservations concern the owner alone; configuration makes every
    process's cached copies stale, so its pokes go to all."""
    by_owner: list[str | None] = []
    by_bystander: list[str | None] = []
    owner, bystander, writer = (PostgresCoordinator(dsn, _no_event) for _ in range(3))
    await owner.start(lambda _ws, detail: by_owner.append(detail), _nothing)
    await bystander.start(lambda _ws, detail: by_bystander.append(detail), _nothing)
    await writer.start(lambda _ws, _detail: None, _nothing)
    try:
        assert await owner.owns(WS)
        await writer.announce_poke(WS, "task", everyone=False)
        await writer.announce_poke(WS, "queue", everyone=True)
        await _until(lambda: by_owner == ["task", "queue"] and by_bystander == ["queue"])
    finally:
        for coordinator in (owner, bystander, writer):
            await coordinator.stop()


async def test_a_workspaces_events_reach_a_process_only_while_it_watches_it(dsn: str) -> None:
    """With many processes each one handles the events of what it shows, not every event
    of the deployment; events without a workspace still reach everyone."""
    received: list[int] = []

    async def record(event: dict[str, Any]) -> None:
        received.append(event["n"])

    sender, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await sender.start(lambda _ws, _detail: None, _nothing)
    await other.start(lambda _ws, _detail: None, record)
    try:
        assert await other.owns(WS)  # owning alone: pokes, not events
        sender.queue_event({"sid": "EV1", "workspace_sid": WS, "n": 1})
        sender.queue_event({"sid": "EV100", "n": 100})
        await _until(lambda: received == [100])
        await other.watch(WS)
        sender.queue_event({"sid": "EV2", "workspace_sid": WS, "n": 2})
        await _until(lambda: received == [100, 2])
        other.unwatch(WS)
        await _until(lambda: WS not in other._watched and not other._tasks)
        sender.queue_event({"sid": "EV3", "workspace_sid": WS, "n": 3})
        sender.queue_event({"sid": "EV101", "n": 101})
        await _until(lambda: received[-1:] == [101])
        assert received == [100, 2, 101]
        assert other.received == {"event": 3, "skipped": 2}  # what /metrics reports
    finally:
        await sender.stop()
        await other.stop()


async def test_pokes_and_events_queued_together_leave_in_one_round_trip_in_order(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit's poke and its events (and those of the commits around it) share one
    NOTIFY statement: the owner hears them in the order they were queued."""
    heard: list[str] = []

    async def record(event: dict[str, Any]) -> None:
        heard.append(f"e{event['n']}")

    sender, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await sender.start(lambda _ws, _detail: None, _nothing)
    await other.start(lambda ws, detail: heard.append(f"p{detail}"), record)
    await other.watch(WS)
    statements: list[str] = []  # the kinds of payload each statement carried
    original = PostgresCoordinator._notify_all

    async def counted(self: PostgresCoordinator, payloads: list[tuple[str, str]]) -> None:
        statements.append("".join(payload[0] for _channel, payload in payloads))
        await original(self, payloads)

    monkeypatch.setattr(PostgresCoordinator, "_notify_all", counted)
    try:
        sender.queue_event({"sid": "EV1", "workspace_sid": WS, "n": 1})
        sender.queue_poke(WS, "1", everyone=False)  # synchronous, as the dispatcher's
        sender.queue_poke(WS, "2", everyone=False)
        sender.queue_event({"sid": "EV2", "workspace_sid": WS, "n": 2})
        await sender.announce_poke(WS, "3", everyone=False)  # returns once it went out
        assert statements == ["eppep"]
        await _until(lambda: len(heard) == 5)
        assert [h for h in heard if h[0] == "p"] == ["p1", "p2", "p3"]
        assert [h for h in heard if h[0] == "e"] == ["e1", "e2"]
    finally:
        await sender.stop()
        await other.stop()


async def test_the_process_that_pokes_an_unrouted_workspace_takes_its_lease_before_telling(
    dsn: str,
) -> None:
    """The process that writes first routes: the others hear of a change to a
    workspace nobody routes only once the writer holds its lease, and the writer's own
    dispatcher is asked for the pass that reads it (whatever its own poke decided)."""
    by_writer: list[tuple[str, str | None]] = []
    writer_owned_when_heard: list[bool] = []
    writer, other = PostgresCoordinator(dsn, _no_event), PostgresCoordinator(dsn, _no_event)
    await writer.start(lambda ws, detail: by_writer.append((ws, detail)), _nothing)
    await other.start(lambda ws, _d: writer_owned_when_heard.append(ws in writer.owned()), _nothing)
    try:
        writer.queue_poke(WS, "1")
        await _until(lambda: writer_owned_when_heard == [True])
        assert not await other.owns(WS)
        assert by_writer == [(WS, '{"keys":{},"sweeps":[]}')]  # a pass, nothing to forget
        writer.queue_poke(WS, "2")  # owned: told at once, no second pass asked for
        await _until(lambda: len(writer_owned_when_heard) == 2)
        assert len(by_writer) == 1
    finally:
        await writer.stop()
        await other.stop()
