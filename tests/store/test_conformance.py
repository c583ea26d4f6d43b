"""Every adapter implements its whole port, with the port's signatures: both store adapters,
and the one (or two) implementations of every other port in :mod:`switchboard.kernel.ports`."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from switchboard.database import SCHEMA
from switchboard.distribution.callbacks.documents import HttpDocumentSource
from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.distribution.persistence.sql_statistics import SqlStatistics
from switchboard.distribution.stats.portable import PortableStatistics
from switchboard.kernel import ports
from switchboard.kernel.bus import Doorbell, EventBus
from switchboard.kernel.clock import FakeClock, SystemClock
from switchboard.kernel.media import RecordingMediaAdapter
from switchboard.outbound.poster import SignedPoster
from switchboard.store.memory import MemoryStore, MemoryUnit
from switchboard.store.sql import SqlStore, SqlUnit
from switchboard.tenancy.accounts import Accounts

PAIRS = [
    (ports.Unit, MemoryUnit),
    (ports.Unit, SqlUnit),
    (ports.Store, MemoryStore),
    (ports.Store, SqlStore),
    (ports.Clock, SystemClock),
    (ports.Clock, FakeClock),
    (ports.EventPublisher, EventBus),
    (ports.Doorbell, Doorbell),
    (ports.Authenticator, Accounts),
    (ports.SigningKeys, Accounts),
    (ports.CallbackSender, SignedPoster),
    (ports.DocumentSource, HttpDocumentSource),
    (ports.MediaAdapter, RecordingMediaAdapter),
    (StatisticsQueries, PortableStatistics),
    (StatisticsQueries, SqlStatistics),
]


def _members(protocol: type[Any]) -> list[str]:
    return [
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    ]


def _shape(function: Any) -> list[tuple[str, Any]]:
    """Parameter names and kinds, without `self` (annotations are checked by mypy)."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    return [(p.name, p.kind) for p in parameters]


@pytest.mark.parametrize(("protocol", "adapter"), PAIRS, ids=lambda x: x.__name__)
def test_every_method_of_the_port_is_implemented_alike(
    protocol: type[Any], adapter: type[Any]
) -> None:
    members = _members(protocol)
    assert members, protocol
    for name in members:
        wanted, found = getattr(protocol, name), getattr(adapter, name, None)
        assert found is not None, f"{adapter.__name__} lacks {name}"
        assert _shape(found) == _shape(wanted), f"{adapter.__name__}.{name}"
        if inspect.iscoroutinefunction(wanted):
            assert inspect.iscoroutinefunction(found), f"{adapter.__name__}.{name} is not async"


async def test_the_adapters_carry_the_ports_attributes(tmp_path: Path) -> None:
    memory = MemoryStore(SCHEMA)
    sql = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", SCHEMA)  # connects lazily
    units = [MemoryUnit(memory, writable=False), SqlUnit(None, SCHEMA, "sqlite", writable=False)]  # type: ignore[arg-type]
    try:
        for store in (memory, sql):
            assert all(hasattr(store, name) for name in ports.Store.__annotations__), store
        for unit in units:
            assert all(hasattr(unit, name) for name in ports.Unit.__annotations__), unit
    finally:
        await sql.dispose()
