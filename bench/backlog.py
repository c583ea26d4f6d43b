"""The cost of one task creation with a large backlog waiting, against none waiting.

Two identical centers (no workers, so every task waits), one holding `backlog_tasks`
waiting tasks (bulk copies of a task made by `create_task`), one empty. The same
POST /Tasks run through the ASGI app in process, with the routing owner on: the first
POST makes it load its picture (not measured), then CPU and SQL statements per POST
over `diagnose_requests` requests. A routing pass that scanned the backlog would show
here as a ratio growing with the backlog; the owner's incremental picture should not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import diagnose, memory
from bench.center import create_center
from bench.common import Config, Result

NAME = "task creation with a backlog"
TARGET_RATIO = 1.5  # issue 10: no per-pass cost proportional to the backlog


async def _measure(config: Config, workdir: Path) -> tuple[tuple[float, float], ...]:
    empty = await create_center(workdir / "backlog-empty.db", workers=0)
    full = await create_center(workdir / "backlog-full.db", workers=0)
    await memory.fill(full, config.backlog_tasks)
    requests = config.diagnose_requests
    with_backlog = await diagnose.post_many(full, requests, routing=True)
    without = await diagnose.post_many(empty, requests, routing=True)
    return with_backlog, without


def run(config: Config, workdir: Path) -> list[Result]:
    (cpu, statements), (cpu_empty, statements_empty) = asyncio.run(_measure(config, workdir))
    ratio = cpu / cpu_empty if cpu_empty else float("inf")
    result = Result(
        NAME,
        f"CPU per POST /Tasks with {config.backlog_tasks:,} tasks waiting vs none",
        cpu,
        "s",
        cpu_empty,
        better="lower",
        notes=[
            f"{config.diagnose_requests} POSTs in process (ASGI, 8 concurrent), routing on, "
            f"no workers; the backlog is {config.backlog_tasks:,} tasks (the issue asks about "
            "100k; this size keeps the run short, and a cost proportional to the backlog "
            "shows at any size)",
            f"SQL statements per POST {statements:.1f} with the backlog, "
            f"{statements_empty:.1f} without",
        ],
    )
    return [
        result.judge(
            f"<= {TARGET_RATIO}x",
            ratio <= TARGET_RATIO,
            "the statements per POST above tell whether the extra cost is in the store "
            "(more or larger queries) or in the owner's picture (same statements, more CPU: "
            "profile the routing pass with py-spy)",
        )
    ]
