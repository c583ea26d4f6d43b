"""What each storage lever would save on the *disk per task* row, before building it.

`python -m bench.event_layouts [TASKS]` writes, for each candidate layout of the
`events` table, the three events one task creation stores (`task.created`,
`workflow.entered`, `task-queue.entered`) into a fresh SQLite file with plain `sqlite3`,
and prints the bytes per task of the events table and its indexes (`dbstat`). The
first layout is the stored form of migration 0017 (the compact codec, with today's
indexes, sids and types as text; migration 0018 has since stored them in fewer bytes,
see bench/analysis.md); each next one adds one lever to the previous:

* the event sid derived from `seq` (no `sid` column, no unique index on it);
* an integer key for the workspace (and its account) in place of two 34-character sids,
  in the row and in the two indexes that start with the workspace;
* event types as small integer codes;
* no stored description where it is the type's standard text;
* `event_data` stored once per transaction: the later events of the same task keep only
  what differs and a reference to the first;
* an integer key for the task (one row in a key table per task);
* integer keys for the workflow and the queue.

The payload is the stored `event_data` of a real `create_task` (bench.probes disk prints
it). The task row and its own indexes (468 B per task, `bench.probes disk`) come on top.
Not a row of `./run bench`: the analysis quotes it to say what 1 KiB per task needs.
It measured the levers before they were built (ADR 0020 built the derived sid, the
event data once per transaction and keys for the workspace, account, workflow and
queue); `python -m bench.probes disk` measures the stored form as it is.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

T0 = 1_796_250_841_159
STORED_DATA = (
    '{"S":0,"N":"Bench","T":0,"A":"{\\"type\\": \\"support\\", \\"n\\": 1999}","G":"0",'
    '"P":"0","U":"pending","C":"TC29bf665c405a158c61a454314d6894f5","Q":0,"F":0,"QN":"All"}'
)
# (type, stored description, enters the queue, type code)
CREATION = (
    ("task.created", "Task %t created", False, 1),
    ("workflow.entered", "Task %t entered Workflow Bench", False, 2),
    ("task-queue.entered", "Task %t entered TaskQueue All", True, 3),
)
DDL = """
CREATE TABLE keys (id INTEGER PRIMARY KEY, sid TEXT UNIQUE);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, sid TEXT {sid_unique}, account_sid TEXT, workspace_sid TEXT,
    event_type TEXT, resource_type TEXT, resource_sid TEXT, actor_type TEXT,
    actor_sid TEXT, description TEXT, event_data TEXT, source TEXT,
    source_ip_address TEXT, event_date INTEGER, task_sid TEXT, worker_sid TEXT,
    reservation_sid TEXT, task_queue_sid TEXT, workflow_sid TEXT, task_channel TEXT
);
CREATE INDEX ix_task ON events (task_sid);
CREATE INDEX ix_worker ON events (worker_sid);
CREATE INDEX ix_workspace_seq ON events (workspace_sid, seq);
CREATE INDEX ix_workspace_type_date ON events (workspace_sid, event_type, event_date);
"""

INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class Layout:
    name: str
    sid: bool = True
    scope_key: bool = False
    type_code: bool = False
    description: bool = True
    data_once: bool = False
    task_key: bool = False
    flow_keys: bool = False


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _layouts() -> list[Layout]:
    steps = [
        ("0017's stored form (text sids)", {}),
        ("+ event sid derived from seq", {"sid": False}),
        ("+ integer workspace key", {"scope_key": True}),
        ("+ event type codes", {"type_code": True}),
        ("+ standard descriptions not stored", {"description": False}),
        ("+ event data once per transaction", {"data_once": True}),
        ("+ integer task key", {"task_key": True}),
        ("+ integer workflow and queue keys", {"flow_keys": True}),
    ]
    layouts, current = [], Layout("")
    for name, change in steps:
        current = replace(current, name=name, **change)
        layouts.append(current)
    return layouts


WORKSPACE, ACCOUNT, WORKFLOW, QUEUE = _sid("WS"), _sid("AC"), _sid("WW"), _sid("WQ")


def _rows(layout: Layout, number: int, task: str | int) -> list[tuple[object, ...]]:
    """One task's three creation events, one workspace, workflow and queue throughout."""
    workspace, account = WORKSPACE, ACCOUNT
    workflow, queue = (2, 4) if layout.flow_keys else (WORKFLOW, QUEUE)
    rows: list[tuple[object, ...]] = []
    for index, (event_type, description, enters_queue, code) in enumerate(CREATION):
        data = STORED_DATA
        if layout.data_once and index:
            data = f'{{"@":-{index},"QN":"All"}}' if enters_queue else '{"@":-1,"FN":"Bench"}'
        rows.append(
            (
                None,
                _sid("EV") if layout.sid else None,
                None if layout.scope_key else account,
                1 if layout.scope_key else workspace,
                code if layout.type_code else event_type,
                "task",
                None,
                None,
                None,
                description if layout.description else None,
                data,
                None,
                None,
                T0 + number,
                task,
                None,
                None,
                queue if enters_queue else None,
                workflow,
                None,
            )
        )
    return rows


def measure(layout: Layout, tasks: int, path: Path) -> dict[str, float]:
    """Bytes per task of each table and index the layout's events fill."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(DDL.format(sid_unique="UNIQUE" if layout.sid else ""))
        for number in range(tasks):
            task: str | int = _sid("WT")
            if layout.task_key:
                conn.execute("INSERT INTO keys VALUES (?, ?)", (number + 1, task))
                task = number + 1
            conn.executemany(INSERT, _rows(layout, number, task))
            if number % 50 == 0:
                conn.commit()
        conn.commit()
        sizes = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    skip = {"sqlite_schema", "sqlite_master"}
    return {str(name): size / tasks for name, size in sizes if name not in skip and size}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.event_layouts", description=__doc__)
    parser.add_argument("tasks", nargs="?", type=int, default=3_000)
    tasks = parser.parse_args().tasks
    with tempfile.TemporaryDirectory(prefix="switchboard-layouts-") as tmp:
        for layout in _layouts():
            sizes = measure(layout, tasks, Path(tmp) / "layout.db")
            largest = sorted(sizes.items(), key=lambda item: -item[1])
            parts = ", ".join(f"{name} {size:,.0f}" for name, size in largest if size >= 5)
            print(f"{layout.name:38s} {sum(sizes.values()):6,.0f} B per task ({parts})")


if __name__ == "__main__":
    main()
