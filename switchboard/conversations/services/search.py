"""Full-text search over message bodies, through the point of view.

The index (a port: SQLite FTS5, PostgreSQL tsvector, or a scan for the memory store)
finds candidate messages, only within the interactions the reader sees; the scope then
keeps those at or after the reader's first visible index. Bodies sealed at rest are
not searchable (their ciphertext matches no word).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


class MessageIndex(Protocol):
    """Finds messages by the words of their bodies."""

    async def matching(
        self,
        unit: Unit,
        account_sid: str,
        interactions: Sequence[str] | None,
        words: Sequence[str],
        limit: int,
    ) -> list[str]:
        """Sids of the account's messages holding every word, newest first; only within
        `interactions` when given (None: all of the account's)."""
        ...


class ScanIndex:
    """The memory store's index: read the candidate messages and compare words."""

    async def matching(
        self,
        unit: Unit,
        account_sid: str,
        interactions: Sequence[str] | None,
        words: Sequence[str],
        limit: int,
    ) -> list[str]:
        where = [eq("account_sid", account_sid)]
        if interactions is not None:
            where.append(isin("interaction_sid", list(interactions)))
        rows = await unit.select(r.Message, *where)
        wanted = {word.lower() for word in words}
        found = [row for row in rows if wanted <= set(_WORD.findall((row.body or "").lower()))]
        found.sort(key=lambda row: (row.date_created, row.index), reverse=True)
        return [row.sid for row in found[:limit]]


def words_of(text: str | None) -> list[str]:
    words = _WORD.findall(text or "")
    if not words:
        raise InvalidParameter("Missing required parameter Query (at least one word)")
    if len(words) > MAX_WORDS:
        raise InvalidParameter(f"Invalid Query: at most {MAX_WORDS} words")
    return words


async def search_messages(
    index: MessageIndex, unit: Unit, account_sid: str, scope: Scope, text: str | None, limit: int
) -> list[r.Message]:
    """The reader's messages matching `text`, newest first, at most `limit`."""
    words = words_of(text)
    if not scope.everything and not scope.first_index:
        return []
    interactions = None if scope.everything else sorted(scope.first_index)
    # a user's early messages may be hidden by their history setting: ask for more
    sids = await index.matching(unit, account_sid, interactions, words, limit * 4)
    rows = await unit.select(r.Message, isin("sid", sids)) if sids else []
    seen = [row for row in rows if scope.sees_message(row.interaction_sid, row.index)]
    seen.sort(key=lambda row: (row.date_created, row.index), reverse=True)
    return seen[:limit]
