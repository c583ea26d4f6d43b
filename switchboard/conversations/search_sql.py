"""The SQL message indexes: SQLite FTS5 and PostgreSQL tsvector (migration 0010_conv)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text

from switchboard.kernel.ports import Unit
from switchboard.store.sql import SqlUnit

# made by the migration, outside the declared schema: FTS5's table (and its shadow
# tables, named after it) on SQLite, a GIN expression index on PostgreSQL
OUTSIDE_SCHEMA = ("conv_messages_fts", "ix_conv_messages_search")

_SQLITE = """
SELECT m.sid FROM conv_messages_fts f JOIN conv_messages m ON m.rowid = f.rowid
WHERE conv_messages_fts MATCH :match AND m.account_sid = :account {within}
ORDER BY m.date_created DESC, m."index" DESC LIMIT :limit
"""
_POSTGRES = """
SELECT m.sid FROM conv_messages m
WHERE to_tsvector('simple', coalesce(m.body, '')) @@ plainto_tsquery('simple', :match)
AND m.account_sid = :account {within}
ORDER BY m.date_created DESC, m."index" DESC LIMIT :limit
"""
_WITHIN = "AND m.interaction_sid IN :interactions"


class SqlMessageIndex:
    """:class:`~switchboard.conversations.services.search.MessageIndex` in SQL."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    async def matching(
        self,
        unit: Unit,
        account_sid: str,
        interactions: Sequence[str] | None,
        words: Sequence[str],
        limit: int,
    ) -> list[str]:
        assert isinstance(unit, SqlUnit)
        sqlite = self.dialect == "sqlite"
        template = _SQLITE if sqlite else _POSTGRES
        statement = text(template.format(within=_WITHIN if interactions is not None else ""))
        params: dict[str, Any] = {"account": account_sid, "limit": limit}
        # FTS5: every word, each quoted (so no word is read as an operator)
        params["match"] = " ".join(f'"{w}"' for w in words) if sqlite else " ".join(words)
        if interactions is not None:
            statement = statement.bindparams(bindparam("interactions", expanding=True))
            params["interactions"] = list(interactions)
        result = await unit.connection.execute(statement, params)
        return [row[0] for row in result.all()]
