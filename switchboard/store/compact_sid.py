"""Sids stored in 18 bytes on SQLite: a column type for tables whose rows are mostly sids.

A sid is two letters and 32 lowercase hex digits: 34 characters of text, where its
value is 16 bytes. In the `events` table (several rows per task, each naming its
workspace, account, task, queue and workflow, and the indexes that start with them)
those characters were most of the file's growth per task (issue 10, "events stay
small"). :class:`CompactSid` binds such a sid on SQLite as an 18-byte BLOB (the two
letters, then the 16 bytes) and reads it back as text, so the code, the filters
(SQLAlchemy binds a compared value through the column's type) and the wire see sids as
before. Byte order keeps the text's order for one prefix. Anything else (a value that
is not a canonical sid, upper-case hex) is stored as given and matches only itself, as
before. PostgreSQL keeps text: the type changes nothing there.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_CANONICAL = re.compile(r"[A-Z]{2}[0-9a-f]{32}\Z")


def pack(value: Any) -> Any:
    """The stored form of a value on SQLite (a canonical sid as 18 bytes)."""
    if isinstance(value, str) and len(value) == 34 and _CANONICAL.match(value):
        return value[:2].encode("ascii") + bytes.fromhex(value[2:])
    return value


def unpack(value: Any) -> Any:
    """The sid of a stored value (text stays as it is)."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return data[:2].decode("ascii") + data[2:].hex()
    return value


class CompactSid(TypeDecorator[str]):
    """A sid column: 18 bytes on SQLite, text elsewhere (the DDL is `VARCHAR(34)`)."""

    impl = String(34)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return pack(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return unpack(value)


COMPACT_SID = CompactSid()
