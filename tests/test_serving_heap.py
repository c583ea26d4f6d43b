"""A served process hides what start-up made from the garbage collector.

A full collection over the ~180k objects of a started process took 65-75 ms on the
benchmark machine: a pause that every request in flight waited for (the quiet tenant's
p99 beside a noisy one, bench/analysis.md "Fairness"). `switchboard serve` freezes them
once started, so a collection scans only what came after.
"""

from __future__ import annotations

import asyncio
import gc

import uvicorn

from switchboard import serving
from switchboard.runtime import build_runtime
from switchboard.settings import Settings


async def test_once_started_the_start_up_objects_are_frozen() -> None:
    runtime = build_runtime(Settings(database_url="memory://", fraud_interval=0))
    config = uvicorn.Config(runtime.app, host="127.0.0.1", port=0, log_level="warning")
    server = serving.server(runtime, config)
    assert gc.get_freeze_count() == 0
    running = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started
        # the app, its modules and settings (the pause itself is a benchmark's figure)
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()  # this test process must not keep what it froze
        server.should_exit = True
        await asyncio.wait_for(running, 60)
