"""Child processes that never outlive whoever started them.

A benchmark or a test that starts `switchboard serve` must end it whatever happens:
a failed assertion, a timeout that SIGKILLs the runner, a Ctrl-C. Three layers:

* every child runs in a process group of its own (`start_new_session`), so
  :func:`stop` ends it together with anything it spawned;
* on Linux each child is started through ``setpriv --pdeathsig KILL``, so the kernel
  kills it when its parent dies, even by SIGKILL (nothing in Python runs then);
* every child carries :data:`MARKER` in its environment, inherited from the test
  session, so the session can find survivors (:func:`survivors`) and fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# the environment variable that tags every process a test session or benchmark run starts
MARKER = "SWITCHBOARD_CHILD_OF"
_SETPRIV = shutil.which("setpriv")


def die_with_parent(command: Sequence[str]) -> list[str]:
    """`command`, wrapped so the kernel SIGKILLs it when its parent dies (Linux only)."""
    if _SETPRIV is None:
        return list(command)
    return [_SETPRIV, "--pdeathsig", "KILL", "--", *command]


def spawn(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
) -> subprocess.Popen[Any]:
    """Start `command` in a new process group that dies with this process."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault(MARKER, os.environ.get(MARKER, str(os.getpid())))
    return subprocess.Popen(  # noqa: S603 (commands come from the caller's own code)
        die_with_parent(command), env=environment, start_new_session=True, **kwargs
    )


def stop(process: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it lingers; always reaps."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    _signal_group(process, signal.SIGKILL)  # whatever the child itself left behind
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL the child's whole group at once, like a crash (no shutdown hooks run)."""
    _signal_group(process, signal.SIGKILL)
    process.wait(timeout=10)


def _signal_group(process: subprocess.Popen[Any], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def survivors(tag: str, *, exclude: int | None = None) -> list[tuple[int, str]]:
    """Live processes whose environment says `MARKER=tag`: (pid, command line)."""
    needle = f"{MARKER}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (exclude, os.getpid()):
            continue
        try:
            environ = (entry / "environ").read_bytes()
            if needle not in environ.split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if state != "Z":  # a zombie is already dead, only not yet reaped
            found.append((int(entry.name), command.strip()))
    return found


def kill_survivors(tag: str, *, settle: float = 2.0) -> list[tuple[int, str]]:
    """SIGKILL every survivor of `tag` and return what was found."""
    found = survivors(tag)
    for pid, _command in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + settle
    while found and survivors(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@contextlib.contextmanager
def tagged_session(tag: str) -> Iterator[str]:
    """Tag this process's future children with `tag` for as long as the block runs."""
    previous = os.environ.get(MARKER)
    os.environ[MARKER] = tag
    try:
        yield tag
    finally:
        if previous is None:
            os.environ.pop(MARKER, None)
        else:
            os.environ[MARKER] = previous


def run(
    command: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run(..., capture_output=True, text=True)`, but a timeout ends the
    child's whole process group (its own children included), not only the child."""
    process = spawn(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process, grace=5.0)
        out, err = process.communicate()
        raise subprocess.TimeoutExpired(command, timeout, out, err) from None
    finally:
        if process.poll() is None:
            stop(process, grace=5.0)
    return subprocess.CompletedProcess(list(command), process.returncode, out, err)
