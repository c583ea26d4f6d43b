"""kill -9 mid-routing: after a restart every task, reservation and timer is back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.live import LiveServer, create_account, wait_for


class Api:
    """A thin form-encoding client for one workspace."""

    def __init__(self, server: LiveServer, auth: tuple[str, str]) -> None:
        self.server, self.auth, self.ws = server, auth, ""

    def call(self, method: str, path: str, **form: Any) -> Any:
        url = f"{self.server.base_url}/v1/Workspaces{path}"
        response = httpx.request(method, url, data=form or None, auth=self.auth, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def post(self, path: str, **form: Any) -> Any:
        return self.call("POST", f"/{self.ws}{path}" if self.ws else path, **form)

    def get(self, path: str) -> Any:
        return self.call("GET", f"/{self.ws}{path}")


def _outage(database: Path, seconds: int) -> None:
    """What a server that was down for `seconds` finds: every stored deadline moved that much
    closer (written straight into the file, as no server runs; no test sleeps for a timer)."""
    shift = seconds * 1000
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE reservations SET timeout_at = timeout_at - ? WHERE status = 'pending'",
            (shift,),
        )
        connection.execute(
            "UPDATE tasks SET step_deadline = step_deadline - ? WHERE step_deadline IS NOT NULL",
            (shift,),
        )


def test_state_and_timers_survive_kill_dash_nine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    auth = create_account(url)
    server = LiveServer(url, tmp_path / "server.log")
    server.start()
    api = Api(server, auth)
    try:
        api.ws = api.post("", FriendlyName="Crashy")["sid"]
        activities = {a["friendly_name"]: a["sid"] for a in api.get("/Activities")["activities"]}
        queue = api.post("/TaskQueues", FriendlyName="All", TargetWorkers="1==1")["sid"]
        experts = api.post("/TaskQueues", FriendlyName="Experts", TargetWorkers="level > 5")["sid"]
        routing = {
            "task_routing": {
                "filters": [
                    {
                        "expression": "kind == 'expert'",
                        "targets": [
                            {"queue": experts, "timeout": 300},
                            {"queue": queue, "priority": 10},
                        ],
                    }
                ],
                "default_filter": {"queue": queue},
            }
        }
        wf = api.post(
            "/Workflows",
            FriendlyName="wf",
            Configuration=json.dumps(routing),
            TaskReservationTimeout=120,
        )["sid"]
        first = api.post(
            "/Workers",
            FriendlyName="First",
            ActivitySid=activities["Available"],
            Attributes='{"level": 1}',
        )["sid"]
        plain = api.post("/Tasks", WorkflowSid=wf, Attributes='{"kind": "plain"}')["sid"]
        expert = api.post("/Tasks", WorkflowSid=wf, Attributes='{"kind": "expert"}')["sid"]

        def reservations(task: str) -> list[dict[str, Any]]:
            return list(api.get(f"/Tasks/{task}/Reservations")["reservations"])

        wait_for(lambda: reservations(plain))
        assert reservations(plain)[0]["worker_sid"] == first
        server.kill()  # mid-routing: a reservation pending, a target timer running

        # the outage outlasts both timers: their stored instants are in the past on restart
        _outage(tmp_path / "restart.db", seconds=600)
        server.start()
        second = api.post(
            "/Workers",
            FriendlyName="Second",
            ActivitySid=activities["Available"],
            Attributes='{"level": 1}',
        )["sid"]

        def expired_and_rerouted() -> bool:
            return any(r["reservation_status"] == "pending" for r in reservations(expert)) and any(
                r["reservation_status"] == "timeout" for r in reservations(plain)
            )

        wait_for(expired_and_rerouted, timeout=15)
        assert reservations(plain)[0]["reservation_status"] == "timeout"
        worker = api.get(f"/Workers/{first}")
        assert worker["activity_name"] == "Offline"  # the workspace's timeout activity
        [pending] = [r for r in reservations(expert) if r["reservation_status"] == "pending"]
        assert pending["worker_sid"] == second
        task = api.get(f"/Tasks/{expert}")
        assert task["task_queue_sid"] == queue  # the expanding target moved on while down
        all_pending = [
            r
            for t in (plain, expert)
            for r in reservations(t)
            if r["reservation_status"] == "pending"
        ]
        assert len({r["worker_sid"] for r in all_pending}) == len(all_pending)
    finally:
        server.stop()
