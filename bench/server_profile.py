"""Where a live server's CPU goes: py-spy samples grouped by the kind of work.

A MISSED row must say why with a profile (issue 10). py-spy samples the server from
outside (no change to the code measured) but slows it down while it samples, so a
profile is taken over a separate stretch of the same load, after the measured one, and
never over the figures the row reports. Each sample is put in the first group whose
marker frame is on its stack; py-spy cuts some coroutine stacks short (their outer
frames are missing), and those land in "stack cut short" rather than being guessed.
"""

from __future__ import annotations

import functools
import linecache
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RATE_HZ = 100
Sampling = tuple[subprocess.Popen[bytes], Path]

# (group, frames that mark it), checked in this order: the first marker found wins
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database threads (reads, WAL checkpoints)", ("Thread._bootstrap ",)),
    ("routing passes", ("Dispatcher._pass ", "Dispatcher._run ")),
    ("worker socket commands", ("Session._handle ", "Session._read ")),
    ("HTTP requests", ("RequestResponseCycle.run_asgi ", "H11Protocol.")),
    ("socket pushes", ("Session._write ", "Session._send ")),
    ("ownership and notifications (PostgreSQL)", ("PostgresCoordinator.",)),
)
LOOP = "event loop (native: sockets, callbacks)"
CUT = "stack cut short"
OTHER = "other"


STORE = "(switchboard/store/"  # a frame of the store: its Python and the SQLite calls under it


@dataclass(frozen=True)
class Profile:
    """Samples per group, and how many of them were inside the store; `error` says why
    there is none."""

    samples: Counter[str]
    in_store: int = 0
    error: str | None = None

    @property
    def total(self) -> int:
        return sum(self.samples.values())

    def shares(self) -> list[tuple[str, float]]:
        total = self.total
        if not total:
            return []
        return [(group, n / total) for group, n in self.samples.most_common()]

    def summary(self) -> str:
        if self.error is not None:
            return f"no profile ({self.error})"
        parts = ", ".join(f"{group} {share:.0%}" for group, share in self.shares())
        store = self.in_store / self.total
        return f"{parts} ({self.total:,} samples; {store:.0%} of them inside the store)"


def merged(profiles: list[Profile]) -> Profile:
    """Several processes' profiles as one (the first error, if any, says why not)."""
    for profile in profiles:
        if profile.error is not None:
            return profile
    samples: Counter[str] = Counter()
    for profile in profiles:
        samples.update(profile.samples)
    return Profile(samples, sum(p.in_store for p in profiles))


def compared(before: Profile, cost: float, after: Profile, cost_after: float) -> str:
    """CPU per item by group, before -> after (ms), largest growth first: each profile's
    shares times the CPU per item measured without sampling."""
    for profile in (before, after):
        if profile.error is not None:
            return f"no profile ({profile.error})"
    if not before.total or not after.total:
        return "no profile (no samples)"
    groups = set(before.samples) | set(after.samples)

    def ms(profile: Profile, group: str, cpu: float) -> float:
        return profile.samples[group] / profile.total * cpu * 1000

    rows = sorted(
        groups,
        key=lambda g: ms(after, g, cost_after) - ms(before, g, cost),
        reverse=True,
    )
    return ", ".join(
        f"{group} {ms(before, group, cost):.2f} -> {ms(after, group, cost_after):.2f}"
        for group in rows
    )


def group_of(stack: list[str]) -> str | None:
    """The group of one sampled stack (outermost frame first); None for a thread that
    waits for work (py-spy does not always tell a queue's wait from work)."""
    if stack and stack[0].startswith("Thread._bootstrap ") and _waits(stack[-1]):
        return None
    for group, markers in GROUPS:
        if any(frame.startswith(markers) for frame in stack):
            return group
    root = stack[0] if stack else ""
    if root.startswith("_run_module_as_main "):
        # the loop's own C code shows as its innermost Python frame (uvloop's run)
        return LOOP if stack[-1].startswith("Runner.run ") else OTHER
    return CUT


def parse(raw: str) -> Profile:
    """py-spy's raw (collapsed) output: `frame;frame;... count` per line."""
    samples: Counter[str] = Counter()
    in_store = 0
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        group = group_of(stack.split(";"))
        if group is not None:
            samples[group] += int(count)
            in_store += int(count) if STORE in stack else 0
    return Profile(samples, in_store)


@functools.cache
def _waits(frame: str) -> bool:
    """The frame's line takes the next item off a queue (`... .get(`): a thread idle
    between items. Frames read `function (relative/path.py:line)`."""
    where = frame.rpartition(" (")[2].rstrip(")")
    path, _, line = where.rpartition(":")
    if not line.isdigit():
        return False
    roots = [Path(sysconfig.get_paths()["stdlib"]), *(Path(p) for p in sys.path if p)]
    for root in roots:
        source = root / path
        if source.is_file():
            return ".get(" in linecache.getline(str(source), int(line))
    return False


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int) -> Sampling | str:
    """Begin sampling `pid` until :func:`finish`; a string says why it could not begin."""
    executable = py_spy()
    if executable is None:
        return "py-spy is not installed (pip install -e '.[bench]')"
    handle, name = tempfile.mkstemp(prefix="switchboard-profile-", suffix=".txt")
    os.close(handle)
    command = [executable, "record", "--pid", str(pid), "--rate", str(RATE_HZ)]
    command += ["--format", "raw", "--output", name]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, Path(name)


def finish(sampling: Sampling | str) -> Profile:
    """Stop the sampler (py-spy writes what it has on SIGINT) and group its samples."""
    if isinstance(sampling, str):
        return Profile(Counter(), error=sampling)
    process, output = sampling
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        raw = output.read_text() if output.exists() else ""
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return Profile(Counter(), error="py-spy did not stop")
    finally:
        output.unlink(missing_ok=True)
    profile = parse(raw)
    if not profile.total:
        reason = stderr.decode(errors="replace").strip().splitlines()
        return Profile(Counter(), error=f"py-spy recorded nothing: {reason[-1] if reason else '?'}")
    return profile
