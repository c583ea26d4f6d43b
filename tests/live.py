"""A real `switchboard serve` process for tests that need real HTTP, restarts or kill -9."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from switchboard.testing import processes

# Client timeout for requests to a live server: a safety net against hangs, wide enough
# for a loaded 2-core CI machine (a request that takes 0.1 s alone took over 5 s there).
HTTP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str) -> str:
    """Run `python -m switchboard ...` and return its standard output."""
    command = [sys.executable, "-m", "switchboard", *args]
    done = processes.run(command, timeout=120)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done.stdout


def create_account(database_url: str, name: str = "test") -> tuple[str, str]:
    out = run_cli("accounts", "create", name, "--database-url", database_url)
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return values["AccountSid"], values["AuthToken"]


@dataclass
class LiveServer:
    """One server process on a free port; `kill()` is SIGKILL, `start()` starts it again."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    log_level: str = "warning"
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:  # a safety net for loaded CI machines
        with self.log_path.open("ab") as log:
            self.process = self._spawn(log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.base_url}/health", timeout=0.5)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return processes.spawn(
            [
                sys.executable,
                "-m",
                "switchboard",
                "serve",
                "--database-url",
                self.database_url,
                "--port",
                str(self.port),
                "--log-level",
                self.log_level,
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, like a crash."""
        if self.process is not None and self.process.poll() is None:
            processes.kill(self.process)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL if it does not end in time."""
        if self.process is not None:
            processes.stop(self.process)


def wait_for(predicate: object, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll `predicate()` until it is truthy (routing runs asynchronously)."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
