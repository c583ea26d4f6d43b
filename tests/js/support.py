"""A TaskRouter JavaScript SDK Worker (tests/js/worker.js under node), driven from a test.

The node process answers commands by id and reports what the SDK emits; it runs in a
process group of its own that dies with the test process, and is SIGKILLed when the
block ends, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from switchboard.testing import processes

HERE = Path(__file__).parent
NODE = shutil.which("node")
SDK = HERE / "node_modules" / "twilio-taskrouter"


class JsWorker:
    """Commands to the SDK's Worker, and the events it emitted, in order."""

    def __init__(self, process: asyncio.subprocess.Process, timeout: float) -> None:
        self.process = process
        self.timeout = timeout
        self.lines: list[dict[str, Any]] = []  # every line, for failure messages
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            message = json.loads(raw)
            self.lines.append(message)
            future = self._answers.pop(message.get("id", 0), None)
            if future is not None:
                future.set_result(message)
            elif "ev" in message:
                self._events.put_nowait(message)
        self._events.put_nowait({"ev": "__exit__"})

    async def call(self, op: str, **fields: Any) -> Any:
        """Run one SDK operation; its result, or AssertionError with the SDK's error."""
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[request_id] = future
        assert self.process.stdin is not None
        self.process.stdin.write(
            json.dumps({"id": request_id, "op": op, **fields}).encode() + b"\n"
        )
        await self.process.stdin.drain()
        answer = await asyncio.wait_for(future, self.timeout)
        if not answer["ok"]:
            raise AssertionError(f"{op} failed in the SDK: {answer['error']}")
        return answer["result"]

    async def next(self, ev: str) -> dict[str, Any]:
        """The next event named `ev` (others are skipped; an SDK crash fails at once)."""

        async def wait() -> dict[str, Any]:
            while True:
                message = await self._events.get()
                if message["ev"] in ("uncaught", "__exit__"):
                    raise AssertionError(f"the SDK process ended: {self.lines[-5:]}")
                if message["ev"] == ev:
                    return message

        try:
            return await asyncio.wait_for(wait(), self.timeout)
        except TimeoutError:
            raise AssertionError(f"no {ev} within {self.timeout}s; got {self.lines}") from None

    def seen(self, ev: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("ev") == ev]


def _environment(**extra: str) -> dict[str, str]:
    marker = os.environ.get(processes.MARKER, str(os.getpid()))
    return {**os.environ, processes.MARKER: marker, **extra}


async def run_script(script: str, *args: str, timeout: float = 30.0) -> dict[str, Any]:
    """Run a one-shot node script of this folder; the JSON object it printed."""
    assert NODE is not None
    assert SDK.is_dir(), "the JavaScript SDK is not installed: run `npm ci` in tests/js"
    process = await asyncio.create_subprocess_exec(
        *processes.die_with_parent([NODE, str(HERE / script), *args]),
        cwd=HERE,
        env=_environment(),
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
    result: dict[str, Any] = json.loads(out)
    return result


@contextlib.asynccontextmanager
async def js_worker(
    base_url: str,
    token: str,
    *,
    close_existing: bool = False,
    version_check: bool = False,
    timeout: float = 15.0,
) -> AsyncIterator[JsWorker]:
    """A node process running the SDK's Worker against `base_url`, killed on exit;
    `version_check` turns on the SDK's `enableVersionCheck` (If-Match on updates)."""
    assert NODE is not None
    assert SDK.is_dir(), "the JavaScript SDK is not installed: run `npm ci` in tests/js"
    command = [NODE, str(HERE / "worker.js"), base_url, token, str(close_existing).lower()]
    env = _environment(SB_VERSION_CHECK=str(version_check).lower())
    process = await asyncio.create_subprocess_exec(
        *processes.die_with_parent(command),
        cwd=HERE,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    worker = JsWorker(process, timeout)
    try:
        yield worker
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        worker._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker._reader
