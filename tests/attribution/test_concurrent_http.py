"""A hundred browsers lease at once from a fifty-number pool over real HTTP: fifty get
distinct numbers, fifty the fallback. On PostgreSQL the requests are split between two
server processes, so the pool's lock must hold across processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import HTTP_TIMEOUT, LiveServer, create_account

NUMBERS = [f"+1555300{n:04d}" for n in range(50)]
FALLBACK = "+15550000000"


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[list[LiveServer], str, str]]:
    sid, token = create_account(database_url)
    count = 2 if database_url.startswith("postgresql") else 1
    started = []
    try:
        for n in range(count):
            live = LiveServer(database_url, tmp_path / f"server{n}.log")
            live.start()
            started.append(live)
        yield started, sid, token
    finally:
        for live in started:
            live.stop()


@pytest.mark.slow
def test_a_hundred_parallel_leases_never_hand_one_number_to_two_visitors(
    servers: tuple[list[LiveServer], str, str],
) -> None:
    lives, sid, token = servers
    with httpx.Client(base_url=lives[0].base_url, auth=(sid, token), timeout=HTTP_TIMEOUT) as api:
        pool = api.post("/attribution/v1/Pools", data={"Fallback": FALLBACK,
                                                       "ContactPoint": NUMBERS}).json()  # fmt: skip

    async def burst() -> list[dict[str, Any]]:
        clients = [httpx.AsyncClient(base_url=live.base_url, timeout=30) for live in lives]
        try:
            path = f"/attribution/public/{pool['public_key']}/Leases"
            answers = await asyncio.gather(*(
                clients[n % len(clients)].post(path, json={"visitor": f"v{n}"})
                for n in range(100)
            ))  # fmt: skip
        finally:
            for client in clients:
                await client.aclose()
        assert all(answer.status_code == 201 for answer in answers)
        return [answer.json() for answer in answers]

    leases = asyncio.run(burst())
    given = [lease["contact_point"] for lease in leases if not lease["overflow"]]
    assert sorted(given) == sorted(NUMBERS)
    assert [lease["contact_point"] for lease in leases if lease["overflow"]] == [FALLBACK] * 50
