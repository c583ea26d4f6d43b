"""Event types stored as codes on SQLite (persistence/event_types.py)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from switchboard.distribution.journal.schemas import FIELDS
from switchboard.distribution.persistence.event_types import CODES, EVENT_TYPE, pack, unpack


def test_every_event_type_the_service_writes_has_its_own_code() -> None:
    assert set(FIELDS) <= set(CODES)
    assert len(set(CODES.values())) == len(CODES)


def test_a_code_reads_back_as_its_type_and_no_type_reads_as_a_code() -> None:
    for name in CODES:
        assert unpack(pack(name)) == name
        assert not name.isdigit()
    assert pack("custom.type") == "custom.type" == unpack("custom.type")


def test_on_sqlite_the_column_stores_the_code_and_filters_and_groups_by_the_type() -> None:
    engine = create_engine("sqlite://")
    table = Table("e", MetaData(), Column("n", Integer), Column("event_type", EVENT_TYPE))
    rows = [
        {"n": 1, "event_type": "task.created"},
        {"n": 2, "event_type": "worker.channel.availability.update"},
        {"n": 3, "event_type": "task.created"},
    ]
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(insert(table), rows)
        stored = connection.exec_driver_sql("SELECT event_type FROM e ORDER BY n").scalars()
        assert list(stored) == ["1", "28", "1"]
        wanted = select(table.c.n).where(table.c.event_type.in_(["task.created"]))
        assert sorted(connection.execute(wanted).scalars()) == [1, 3]
        counted = select(table.c.event_type, table.c.n).where(
            table.c.event_type == "worker.channel.availability.update"
        )
        assert connection.execute(counted).all() == [("worker.channel.availability.update", 2)]
