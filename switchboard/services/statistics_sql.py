"""SQL building blocks shared by the statistics queries (SQLite and PostgreSQL alike).

Events keep their details in the `event_data` JSON text; a few figures need a
field of it in SQL (the task channel, the workflow step, the time a worker
spent in its previous activity). :class:`json_text` reads one field as text
with each database's own JSON function, so the aggregation stays in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import BigInteger, ColumnElement, String, cast, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from switchboard.domain.statistics import Window
from switchboard.store import tables as t

_KEY = re.compile(r"^[a-z_]+$")
T = TypeVar("T")
# a mapped attribute (`t.Event.event_date`) or any SQL expression
Column = ColumnElement[T] | InstrumentedAttribute[T]
Events = type[t.Event]  # the table or an alias of it


class json_text(FunctionElement[str]):
    """`event_data.<key>` as text (NULL when absent); the key is a fixed identifier."""

    type = String()
    inherit_cache = True
    name = "json_text"

    def __init__(self, column: Column[Any], key: str) -> None:
        if not _KEY.match(key):
            raise ValueError(f"not a JSON key this module reads: {key!r}")
        # the key is a literal, so it is part of the statement and its cache key
        super().__init__(column, literal_column(f"'{key}'"))


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = element.clauses
    return f"json_extract({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_text)
def _json_text_default(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    """PostgreSQL (and any database with its `->>` operator): the column holds JSON text."""
    column, key = element.clauses
    return f"(CAST({compiler.process(column, **kw)} AS JSON) ->> {compiler.process(key, **kw)})"


def json_int(column: Column[Any], key: str) -> ColumnElement[int]:
    """A numeric `event_data` field (stored as a number or as digits) as an integer."""
    return cast(json_text(column, key), BigInteger)


def events() -> Events:
    """A fresh alias of the events table: queries join it with itself."""
    return aliased(t.Event)


@dataclass(frozen=True)
class EventScope:
    """Which events a cumulative figure reads.

    `group` names the events column the results are keyed by (`workspace_sid`,
    `task_queue_sid`, `workflow_sid` or `worker_sid`); `keys`, when given,
    restricts that column to those values; `channel_sid` keeps the events of
    tasks on one TaskChannel (recorded in each task and reservation event).
    """

    workspace_sid: str
    window: Window
    group: str = "workspace_sid"
    keys: tuple[str, ...] | None = None
    channel_sid: str | None = None

    def key(self, e: Events) -> ColumnElement[str]:
        column: ColumnElement[str] = getattr(e, self.group)
        return column

    def where(self, e: Events, *event_types: str) -> list[ColumnElement[bool]]:
        """The workspace, the window (both ends included), the types, the keys, the channel."""
        clauses: list[ColumnElement[bool]] = [
            e.workspace_sid == self.workspace_sid,
            e.event_type.in_(event_types),
            e.event_date >= self.window.start,
            e.event_date <= self.window.end,
        ]
        if self.keys is not None:
            clauses.append(self.key(e).in_(self.keys))
        if self.channel_sid is not None:
            clauses.append(json_text(e.event_data, "task_channel_sid") == self.channel_sid)
        return clauses


def as_int(value: Any) -> int:
    """SQL sums come back as int, Decimal (PostgreSQL numeric) or None (no rows)."""
    return 0 if value is None else int(value)
