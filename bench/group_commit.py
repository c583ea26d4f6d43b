"""Group commit on PostgreSQL: task creations through the service, concurrently, with writers
sharing a commit versus each committing alone (`SWITCHBOARD_GROUP_COMMIT`), same run.

Each creation is the whole `POST /Tasks` write (`create_task`: the task, its events, the
outbox) minus HTTP; `CONCURRENT` run at once against one workspace, as a busy API does.
The figures are the Python CPU and the wall time per creation; PostgreSQL's own CPU is
in neither.

python -m bench.group_commit [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench.center import Center, create_center_at, ensure_secret_key
from bench.common import Config, Result
from bench.scaleout import _available, _drop_database, _fresh_database
from switchboard.distribution.work.tasks import TaskCreate, create_task
from switchboard.runtime import build_core
from switchboard.settings import Settings

CONCURRENT = 16


@dataclass(frozen=True)
class Figures:
    cpu_ms: float  # Python CPU per creation
    wall_ms: float  # wall time per creation (CONCURRENT at once)


async def _creations(center: Center, count: int, group_commit: bool) -> Figures:
    core = build_core(Settings(database_url=center.database_url, group_commit=group_commit))
    try:
        svc = core.services
        queue: asyncio.Queue[int] = asyncio.Queue()
        for number in range(count):
            queue.put_nowait(number)

        async def creator() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                params = TaskCreate(
                    attributes=json.dumps({"type": "support", "n": number}),
                    workflow_sid=center.workflow_sid,
                )
                await create_task(svc, center.account_sid, center.workspace_sid, params)

        await creator()  # warm: connections, cached configuration
        for number in range(count):
            queue.put_nowait(number)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(creator() for _ in range(CONCURRENT)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return Figures(cpu * 1000 / count, wall * 1000 / count)
    finally:
        await core.close()


async def measure(count: int) -> tuple[Figures, Figures]:
    """(group commit on, off), each the better of two alternating runs on one database."""
    url = await _fresh_database()
    try:
        center = await create_center_at(url, 0)
        runs: dict[bool, list[Figures]] = {True: [], False: []}
        for on in (False, True, False, True):
            runs[on].append(await _creations(center, count, on))
        best = {on: min(found, key=lambda f: f.cpu_ms) for on, found in runs.items()}
        return best[True], best[False]
    finally:
        await _drop_database(url)


def run(config: Config, _workdir: Path) -> list[Result]:
    """The `group commit` rows of `./run bench` (skipped without PostgreSQL)."""
    if not asyncio.run(_available()):
        return []
    count = 64 if config.quick else 1_600
    on, off = asyncio.run(measure(count))
    note = (
        f"{count:,} create_task calls, {CONCURRENT} at once, one workspace, PostgreSQL; "
        "baseline: the same with SWITCHBOARD_GROUP_COMMIT=false (each write commits alone), "
        "same run, better of two runs each; Python CPU only (PostgreSQL's own is in neither)"
    )
    return [
        Result("group commit (PostgreSQL)", "CPU per task creation (group commit vs each alone)",
               on.cpu_ms / 1000, "s", baseline=off.cpu_ms / 1000, better="lower", notes=[note]),
        Result("group commit (PostgreSQL)", "wall time per task creation, 16 at once (vs alone)",
               on.wall_ms / 1000, "s", baseline=off.wall_ms / 1000, better="lower",
               notes=[note]),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    ensure_secret_key()
    on, off = asyncio.run(measure(64 if arguments.quick else 1_600))
    print(f"group commit on:  CPU {on.cpu_ms:.2f} ms, wall {on.wall_ms:.2f} ms per creation")
    print(f"group commit off: CPU {off.cpu_ms:.2f} ms, wall {off.wall_ms:.2f} ms per creation")
    print(f"ratio: CPU {on.cpu_ms / off.cpu_ms:.2f}x, wall {on.wall_ms / off.wall_ms:.2f}x")


if __name__ == "__main__":
    main()
