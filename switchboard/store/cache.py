"""Copies of rarely changing records (configuration), so units need not read them again.

Every request reads its workspace, workflow, queue and channel; they change seldom.
The SQL store keeps copies of the record kinds it is told to, by key and as
per-workspace lists, and hands units fresh copies (a unit may change what it gets).

Freshness: a commit drops the copies of what it changed before anyone else runs
(:meth:`RecordCache.forget`, called by the store). A read that raced with such a
commit does not store what it read (the epoch moved on meanwhile). Another process's
changes arrive through :meth:`Store.forget` (the routing dispatcher passes on what
LISTEN/NOTIFY tells it), so across processes a copy may lag a change by that
notification's delay; within one process never.
"""

from __future__ import annotations

import copy
from typing import Any

from switchboard.kernel.changes import Changes

Key = tuple[Any, ...]


class RecordCache:
    """Copies by (kind, key), and by (kind, field, value) for whole lists."""

    def __init__(self, kinds: frozenset[type[Any]]) -> None:
        self.kinds = kinds
        self.epoch = 0
        self._records: dict[tuple[type[Any], Key], Any] = {}
        self._lists: dict[tuple[type[Any], str, Any], list[Any]] = {}

    def get(self, kind: type[Any], key: Key) -> Any | None:
        found = self._records.get((kind, key))
        return None if found is None else copy.copy(found)

    def put(self, kind: type[Any], key: Key, record: Any, epoch: int) -> None:
        if epoch == self.epoch:
            self._records[(kind, key)] = copy.copy(record)

    def get_list(self, kind: type[Any], field: str, value: Any) -> list[Any] | None:
        found = self._lists.get((kind, field, value))
        return None if found is None else [copy.copy(r) for r in found]

    def put_list(
        self, kind: type[Any], field: str, value: Any, rows: list[Any], epoch: int
    ) -> None:
        if epoch == self.epoch:
            self._lists[(kind, field, value)] = [copy.copy(r) for r in rows]

    def forget(self, changes: Changes) -> None:
        """Drop the copies `changes` may have made stale (all of them when unknown)."""
        if changes.unknown:
            self.epoch += 1
            self._records.clear()
            self._lists.clear()
            return
        kinds = changes.kinds() & self.kinds
        if not kinds:
            return
        self.epoch += 1
        for kind in kinds:
            for key in changes.of(kind):
                self._records.pop((kind, key), None)
            if any(k is kind for k, _where in changes.sweeps):
                self._records = {k: v for k, v in self._records.items() if k[0] is not kind}
            self._lists = {k: v for k, v in self._lists.items() if k[0] is not kind}
