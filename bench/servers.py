"""Server subprocesses on 127.0.0.1: Switchboard, the bare Starlette baseline, the probe."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from switchboard.testing import processes

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def switchboard_command(database_url: str, port: int) -> list[str]:
    """`switchboard serve`, exactly as an operator runs it (uvicorn defaults, no access log)."""
    return [
        sys.executable,
        "-m",
        "switchboard",
        "serve",
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def bare_command(port: int) -> list[str]:
    """The baseline: a tiny Starlette app under the same uvicorn (same loop and parser)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"server did not start: {log.read_text()[-2000:]}")


@contextmanager
def serving(
    command: list[str],
    ready_url: str,
    log: Path,
    *,
    stdout: int | None = None,
    timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start, wait until `ready_url` answers, and always end it (and its group) on exit."""
    cwd = Path(__file__).resolve().parent.parent  # so `bench.*` modules import
    with log.open("ab") as log_file:
        process = processes.spawn(
            command,
            stdout=stdout if stdout is not None else log_file,
            stderr=log_file,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_ready(process, ready_url, log, timeout)
            yield process
        finally:
            processes.stop(process)
