"""Every process a test starts is ended by it: the session fails if any child survives.

`tests/conftest.py` tags the session's children (`SWITCHBOARD_CHILD_OF`) and, when
the session ends, looks for tagged processes still alive; these tests show that the
look-up finds a survivor and that the helpers end children however their parent ends.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from switchboard.testing import processes

ROOT = Path(__file__).resolve().parents[1]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _eventually(predicate: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_child_left_running_is_found_and_killed() -> None:
    tag = f"probe-{uuid.uuid4().hex}"
    with processes.tagged_session(tag):
        child = processes.spawn(SLEEPER)
    try:
        assert _eventually(lambda: len(processes.survivors(tag)) == 1)
        [(pid, command)] = processes.survivors(tag)
        assert pid == child.pid and "time.sleep(60)" in command
        # the command line may change between looks (setpriv execs the sleeper): compare pids
        assert [found for found, _command in processes.kill_survivors(tag)] == [pid]
        child.wait(timeout=10)
        assert processes.survivors(tag) == []
    finally:
        processes.stop(child)


def test_stop_ends_the_child_and_what_it_started() -> None:
    tag = f"probe-{uuid.uuid4().hex}"
    starts_another = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    with processes.tagged_session(tag):
        child = processes.spawn([sys.executable, "-c", starts_another])
    try:
        assert _eventually(lambda: len(processes.survivors(tag)) == 2)
        processes.stop(child, grace=5)
        assert _eventually(lambda: processes.survivors(tag) == [])
    finally:
        processes.kill_survivors(tag)


def test_a_child_dies_with_its_parent_even_on_sigkill() -> None:
    """Nothing of a SIGKILLed parent runs, so the kernel must end its child (pdeathsig)."""
    tag = f"probe-{uuid.uuid4().hex}"
    parent = (
        "import sys, time; from switchboard.testing import processes; "
        "processes.spawn([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    with processes.tagged_session(tag):
        child = processes.spawn([sys.executable, "-c", parent])
    try:
        assert _eventually(lambda: len(processes.survivors(tag)) == 2)
        processes.kill(child)  # the child's own group: the grandchild has a group of its own
        assert _eventually(lambda: processes.survivors(tag) == [])
    finally:
        processes.kill_survivors(tag)


def test_the_session_fails_when_a_test_leaves_a_child_running(tmp_path: Path) -> None:
    """The suite's own check (tests/conftest.py), run on a session whose test leaks."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_configure, pytest_sessionfinish  # noqa: F401\n"
    )
    (tmp_path / "test_leak.py").write_text(
        "import sys\n"
        "from switchboard.testing import processes\n\n"
        "def test_leaks():\n"
        "    processes.spawn([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir"]
    done = processes.run([*command, str(tmp_path), str(tmp_path)], cwd=ROOT, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "were still running" in done.stdout
