"""Read units on PostgreSQL run without a transaction block (issue 10).

A read unit used to pay a BEGIN and a ROLLBACK round trip around its statements (about
two of each per task in the scale-out scenario). Under READ COMMITTED every statement
takes its own snapshot inside a transaction too, so the block bought nothing; write
units keep theirs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from switchboard.store.sql import SqlStore
from tests.databases import migrated_store, require_postgres

pytestmark = pytest.mark.postgres


async def _transaction_ids(unit: object) -> tuple[int, int]:
    connection = unit.connection  # type: ignore[attr-defined]
    first = (await connection.execute(text("SELECT txid_current()"))).scalar_one()
    second = (await connection.execute(text("SELECT txid_current()"))).scalar_one()
    return int(first), int(second)


async def test_each_statement_of_a_read_is_its_own_transaction(tmp_path: Path) -> None:
    await require_postgres()
    async with migrated_store("postgres", tmp_path) as store:
        assert isinstance(store, SqlStore)
        async with store.read() as unit:
            first, second = await _transaction_ids(unit)
        assert first != second  # no BEGIN held them in one transaction
        async with store.transaction() as unit:
            first, second = await _transaction_ids(unit)
        assert first == second  # a write unit is one transaction
