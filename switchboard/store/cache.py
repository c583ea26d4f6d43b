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

from typing import Any

from switchboard.kernel.changes import Changes

Key = tuple[Any, ...]


def _copy(record: Any) -> Any:
    """A shallow copy of a record (a dataclass with a `__dict__`): what `copy.copy`
    does, without its generic protocol (most of its cost)."""
    fresh = object.__new__(type(record))
    fresh.__dict__.update(record.__dict__)
    return fresh


# recent records kept per kind (`RecordCache.recent`): the work in flight, not the backlog
RECENT_PER_KIND = 2048


class RecordCache:
    """Copies by (kind, key), and by (kind, field, value) for whole lists.

    `recent` kinds (tasks, reservations, workers) change all the time; their copies are
    not read-through but written by the store after each commit (the records its unit
    held, as committed) and used by write units alone. On SQLite that writer is the only
    one of this process, so a copy is the committed row unless another connection wrote
    since, which SQLite's `data_version` tells the writer: then it drops them all
    (:meth:`drop_recent`). On PostgreSQL copies are kept per *scope* (a workspace, the
    lock its units take), and dropped per scope when the workspace's write mark says
    another process wrote it (store/write_marks.py). The copies kept are bounded (the
    oldest go first).
    """

    def __init__(
        self, kinds: frozenset[type[Any]], recent: frozenset[type[Any]] = frozenset()
    ) -> None:
        self.kinds = kinds
        self.recent_kinds = recent
        self.epoch = 0
        self._records: dict[tuple[type[Any], Key], Any] = {}
        self._lists: dict[tuple[type[Any], str, Any], list[Any]] = {}
        # kind -> key -> (scope, the scope's generation when kept, record)
        self._recent: dict[type[Any], dict[Key, tuple[str | None, int, Any]]] = {
            kind: {} for kind in recent
        }
        # dropping a scope's copies moves its generation on (older copies no longer count)
        self._generations: dict[str | None, int] = {}

    def recent(self, kind: type[Any], key: Key, scope: str | None = None) -> Any | None:
        """A copy of the record as this process last committed it in `scope`, if kept."""
        kept = self._recent.get(kind)
        found = None if kept is None else kept.get(key)
        if found is None:
            return None
        where, generation, record = found
        if where != scope or generation != self._generations.get(scope, 0):
            return None
        return _copy(record)

    def keep_recent(self, kind: type[Any], key: Key, record: Any, scope: str | None = None) -> None:
        kept = self._recent[kind]
        kept.pop(key, None)
        kept[key] = (scope, self._generations.get(scope, 0), _copy(record))
        if len(kept) > RECENT_PER_KIND:
            del kept[next(iter(kept))]

    def drop_recent(self) -> None:
        for kept in self._recent.values():
            kept.clear()

    def drop_scope(self, scope: str | None) -> None:
        """Drop the copies of one scope: its generation moves on, so that older copies
        no longer count (they go as newer ones push them out)."""
        self._generations[scope] = self._generations.get(scope, 0) + 1

    def get(self, kind: type[Any], key: Key) -> Any | None:
        found = self._records.get((kind, key))
        return None if found is None else _copy(found)

    def put(self, kind: type[Any], key: Key, record: Any, epoch: int) -> None:
        if epoch == self.epoch:
            self._records[(kind, key)] = _copy(record)

    def get_list(self, kind: type[Any], field: str, value: Any) -> list[Any] | None:
        found = self._lists.get((kind, field, value))
        return None if found is None else [_copy(r) for r in found]

    def put_list(
        self, kind: type[Any], field: str, value: Any, rows: list[Any], epoch: int
    ) -> None:
        if epoch == self.epoch:
            self._lists[(kind, field, value)] = [_copy(r) for r in rows]

    def forget(self, changes: Changes) -> None:
        """Drop the copies `changes` may have made stale (all of them when unknown)."""
        if changes.unknown:
            self.epoch += 1
            self._records.clear()
            self._lists.clear()
            self.drop_recent()
            return
        for kind, kept in self._recent.items():
            if any(k is kind for k, _where in changes.sweeps):
                kept.clear()
            else:
                for key in changes.of(kind):
                    kept.pop(key, None)
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
