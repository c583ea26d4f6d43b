"""Cooperative turns: the points where a request may step aside for a lighter one.

One event loop runs every request, so a tenant's request shares the CPU with
whatever runs beside it, and asyncio hands out the loop first come, first served.
Admission control (the fair scheduler) bounds *how many* of a noisy tenant's
requests run; this hook lets it also decide *who goes first* among those running:
the scheduler installs a gate for the request being served, and the store awaits
:func:`checkpoint` before each statement it sends on a read unit and before a
write transaction takes its lock (never inside one: a paused writer would hold the
lock). With no gate installed (tests, commands, fairness off) a checkpoint is a
context-variable lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token

Gate = Callable[[], Awaitable[None]]

_gate: ContextVar[Gate | None] = ContextVar("switchboard_turn_gate", default=None)


async def checkpoint() -> None:
    """Wait here while the current request's gate says a lighter request should run."""
    gate = _gate.get()
    if gate is not None:
        await gate()


def install(gate: Gate) -> Token[Gate | None]:
    """The gate of the request running in this context (until :func:`remove`)."""
    return _gate.set(gate)


def remove(token: Token[Gate | None]) -> None:
    _gate.reset(token)
