"""The bus tells its watcher which workspaces something in this process shows."""

from __future__ import annotations

import asyncio

from switchboard.kernel.bus import EventBus


class Recorder:
    """A watcher whose `watch` takes a moment (a LISTEN round trip)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = asyncio.Event()

    async def watch(self, workspace_sid: str) -> None:
        self.calls.append(f"watch {workspace_sid}")
        await self.release.wait()
        self.calls.append(f"listening {workspace_sid}")

    def unwatch(self, workspace_sid: str) -> None:
        self.calls.append(f"unwatch {workspace_sid}")


async def test_the_watcher_hears_the_first_watch_and_the_last_unwatch_only() -> None:
    bus, watcher = EventBus(), Recorder()
    bus.attend(watcher)
    first = asyncio.create_task(bus.watch("WS1"))
    second = asyncio.create_task(bus.watch("WS1"))
    await asyncio.sleep(0.01)
    assert not first.done() and not second.done(), "both wait until the watcher listens"
    watcher.release.set()
    unwatch_first, unwatch_second = await first, await second
    assert watcher.calls == ["watch WS1", "listening WS1"]
    unwatch_first()
    unwatch_first()  # twice is once
    assert bus.watched() == {"WS1"}
    unwatch_second()
    assert bus.watched() == set()
    assert watcher.calls[-1] == "unwatch WS1"
    assert watcher.calls.count("unwatch WS1") == 1


async def test_without_a_watcher_watching_costs_nothing() -> None:
    """One process (SQLite): every event is committed here, nothing to listen to."""
    bus = EventBus()
    unwatch = await bus.watch("WS1")
    assert bus.watched() == {"WS1"}
    unwatch()
    assert bus.watched() == set()


async def test_a_failing_watcher_does_not_refuse_the_socket() -> None:
    class Broken:
        async def watch(self, workspace_sid: str) -> None:
            raise ConnectionError("database unreachable")

        def unwatch(self, workspace_sid: str) -> None:
            return None

    bus = EventBus()
    bus.attend(Broken())
    unwatch = await bus.watch("WS1")  # served from this process's own events meanwhile
    unwatch()
