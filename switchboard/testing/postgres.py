"""Throw-away PostgreSQL databases named after the process that made them.

A run that is killed cannot drop its databases; the next run can, when it can
tell an orphan (its maker's pid is gone) from a database another live run uses.
"""

from __future__ import annotations

import os
import secrets

import asyncpg


def owned_name(prefix: str) -> str:
    """`<prefix>_<pid>_<random>`: unique, and traceable to this process."""
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _maker(name: str, prefix: str) -> int | None:
    rest = name.removeprefix(prefix + "_")
    pid, _, suffix = rest.partition("_")
    return int(pid) if rest != name and pid.isdigit() and suffix else None


async def drop_orphans(conn: asyncpg.Connection, prefix: str) -> list[str]:
    """Drop `<prefix>_<pid>_*` databases whose maker is no longer running."""
    rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "_%")
    dropped = []
    for (name,) in rows:
        pid = _maker(name, prefix)
        if pid is not None and not _alive(pid):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            dropped.append(name)
    return dropped
