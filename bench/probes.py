"""Single measurements behind bench/analysis.md, run one at a time (not rows of `./run bench`).

python -m bench.probes disk [TASKS]
    the *disk per task* row of bench.memory alone (its own `_service_growth`, default
    2,000 `create_task` calls), with every table and index that grew, per task
python -m bench.probes commit [REQUESTS] [--postgres URL]
    what group commit could save at most: the rows one `POST /Tasks` writes (the task and
    its three events) committed once per request, and 8 or 32 requests per commit; CPU and
    wall time per request, best of two runs (SQLite file, or an empty PostgreSQL database
    given by its SQLAlchemy URL)

What each storage lever would save on the disk row, before it is built:
`python -m bench.event_layouts` (a module of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench import memory
from bench.center import Center, create_center, create_center_at, ensure_secret_key
from switchboard.distribution.domain.records import Event, Task
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq

BATCHES = (1, 8, 32)


async def disk(tasks: int) -> None:
    with tempfile.TemporaryDirectory(prefix="switchboard-probe-") as tmp:
        center = await create_center(Path(tmp) / "memory.db", workers=0)
        path = memory._file_path(center)
        before = memory._sizes(path)
        growth, _largest = await memory._service_growth(center, tasks)
        after = memory._sizes(path)
        print(f"disk per task: {growth:,.0f} B ({tasks:,} create_task calls, SQLite file growth)")
        grew = {name: size - before.get(name, 0) for name, size in after.items()}
        for name, size in sorted(grew.items(), key=lambda item: -item[1]):
            if size > 0:
                print(f"  {name:34s} {size / tasks:7,.0f} B per task")
        with sqlite3.connect(path) as conn:
            [(stored,)] = conn.execute("SELECT event_data FROM events ORDER BY seq DESC LIMIT 1")
        print(f"  last event_data as stored: {stored}")


async def _writes(center: Center, requests: int) -> dict[int, list[tuple[float, float]]]:
    store, core = memory._store(center)
    try:
        [template] = await memory._create(core, center, 1)
        async with store.read() as unit:
            task = await unit.get(Task, template)
            events = await unit.select(Event, eq("task_sid", template))
        assert task is not None and len(events) == 3

        def one_request() -> list[object]:
            sid = sids.new_sid(sids.TASK)
            rows: list[object] = [replace(task, sid=sid)]
            for event in events:
                rows.append(replace(event, seq=None, task_sid=sid, resource_sid=sid))
            return rows

        runs: dict[int, list[tuple[float, float]]] = {}
        for batch in BATCHES * 2:
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(requests // batch):
                async with store.transaction(center.workspace_sid) as unit:
                    for _ in range(batch):
                        for row in one_request():
                            unit.add(row)
            done = requests // batch * batch
            spent = (time.process_time() - cpu) / done, (time.perf_counter() - wall) / done
            runs.setdefault(batch, []).append(spent)
        return runs
    finally:
        await core.close()


async def commit(requests: int, postgres: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="switchboard-probe-") as tmp:
        if postgres:
            center = await create_center_at(postgres, 0)
        else:
            center = await create_center(Path(tmp) / "commit.db", workers=0)
        runs = await _writes(center, requests)
    where = "PostgreSQL" if postgres else "SQLite"
    print(f"{where}: one task row + its three events per request, {requests} requests")
    for batch, measured in runs.items():
        cpu, wall = min(measured)
        print(
            f"  {batch:3d} requests per commit: CPU {cpu * 1000:.2f} ms per request, "
            f"wall {wall * 1000:.2f} ms per request"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probes", description=__doc__)
    sub = parser.add_subparsers(dest="probe", required=True)
    disk_parser = sub.add_parser("disk")
    disk_parser.add_argument("tasks", nargs="?", type=int, default=2_000)
    commit_parser = sub.add_parser("commit")
    commit_parser.add_argument("requests", nargs="?", type=int, default=640)
    commit_parser.add_argument("--postgres", help="postgresql+asyncpg://... (an empty database)")
    args = parser.parse_args()
    ensure_secret_key()
    if args.probe == "disk":
        asyncio.run(disk(args.tasks))
    else:
        asyncio.run(commit(args.requests, args.postgres))


if __name__ == "__main__":
    main()
