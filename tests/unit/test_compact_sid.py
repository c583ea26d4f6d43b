"""Sids stored in 18 bytes on SQLite (store/compact_sid.py): lossless, ordered, and
nothing but a canonical sid changes."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from switchboard.store.compact_sid import COMPACT_SID, pack, unpack

prefixes = st.sampled_from(["WS", "WT", "WK", "WR", "WQ", "WW", "AC", "EV"])
hex32 = st.binary(min_size=16, max_size=16).map(bytes.hex)
sids = st.builds(lambda p, h: p + h, prefixes, hex32)


@given(sids)
def test_a_canonical_sid_is_eighteen_bytes_and_reads_back_as_itself(sid: str) -> None:
    stored = pack(sid)
    assert isinstance(stored, bytes) and len(stored) == 18
    assert unpack(stored) == sid


@given(prefixes, hex32, hex32)
def test_stored_bytes_keep_the_order_of_the_sids(prefix: str, a: str, b: str) -> None:
    assert (pack(prefix + a) < pack(prefix + b)) == (prefix + a < prefix + b)


@given(st.one_of(st.none(), st.integers(), st.text(max_size=40)))
def test_anything_else_is_stored_as_given(value: object) -> None:
    if isinstance(value, str) and isinstance(pack(value), bytes):
        return  # the rare generated canonical sid: covered above
    assert pack(value) == value and unpack(value) == value


def test_upper_case_hex_is_not_a_canonical_sid() -> None:
    sid = "WS" + "A" * 32
    assert pack(sid) == sid  # stored as text: it matches only itself, as before


def test_on_sqlite_the_column_stores_a_blob_and_filters_by_the_sid() -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("n", Integer), Column("sid", COMPACT_SID))
    sid, odd = "WT" + "0123456789abcdef" * 2, "not-a-sid"
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(insert(table), [{"n": 1, "sid": sid}, {"n": 2, "sid": odd}])
        raw: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        kinds = dict(raw.execute("SELECT n, typeof(sid) FROM t").fetchall())
        assert kinds == {1: "blob", 2: "text"}
        assert connection.execute(select(table.c.n).where(table.c.sid == sid)).scalar() == 1
        found = connection.execute(select(table.c.sid).where(table.c.sid.in_([sid, odd])))
        assert sorted(found.scalars()) == sorted([sid, odd])
