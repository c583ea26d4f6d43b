"""What both store adapters share: the identity map and change tracking of a unit.

A write unit hands out one instance per record (the identity map) and remembers
each one's field values when it was read or last written; at flush the
difference is the change to write, so services simply assign fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from switchboard.kernel.changes import Changes, Claim, NewWork
from switchboard.kernel.criteria import Cond
from switchboard.kernel.errors import SwitchboardError
from switchboard.store.schema import RecordType, Schema

Hook = Callable[[], Awaitable[None] | None]
# told after each committed write transaction: its lock and what it changed
CommitHook = Callable[[str | None, Changes], None]


class Observers:
    """Who hears about each commit of a store (the routing doorbell, in practice)."""

    def __init__(self) -> None:
        self._hooks: list[CommitHook] = []

    def add(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    def told(self, lock: str | None, changes: Changes) -> None:
        if changes:
            for hook in self._hooks:
                hook(lock, changes)


class ReadOnlyUnit(SwitchboardError):
    """A write was attempted through a read unit (a programming error)."""

    status = 500
    code = 20500


class Tracker:
    """Identity map, snapshots, and the records added and deleted but not yet written."""

    def __init__(self, schema: Schema, writable: bool) -> None:
        self.schema = schema
        self.writable = writable
        self.identity: dict[tuple[type[Any], tuple[Any, ...]], Any] = {}
        self.snapshots: dict[int, dict[str, Any]] = {}
        self.new: list[Any] = []
        self.dead: list[Any] = []
        self.hooks: list[Hook] = []
        # what was written so far (the unit's `changed()` adds what is still pending)
        self.written = Changes()
        self.claimed: Claim | None = None

    def require_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyUnit("this unit of work is read-only")

    def known(self, rt: RecordType, key: tuple[Any, ...]) -> Any | None:
        return self.identity.get((rt.cls, key))

    def adopt(self, rt: RecordType, record: Any) -> Any:
        """The unit's instance for this record's key: an earlier one wins (identity map)."""
        key = rt.key_of(record)
        existing = self.identity.get((rt.cls, key))
        if existing is not None:
            return existing
        self.identity[(rt.cls, key)] = record
        if self.writable:
            self.snapshots[id(record)] = dict(record.__dict__)
        return record

    def forget(self, rt: RecordType, record: Any) -> None:
        self.identity.pop((rt.cls, rt.key_of(record)), None)
        self.snapshots.pop(id(record), None)

    def changes(self) -> list[tuple[RecordType, Any, dict[str, Any]]]:
        """Tracked records whose fields differ from their snapshot: (type, record, changed)."""
        found = []
        for (cls, _key), record in self.identity.items():
            before = self.snapshots.get(id(record))
            if before is None:
                continue
            now = record.__dict__
            if now == before:  # most tracked records were only read: one C-level compare
                continue
            changed = {name: value for name, value in now.items() if before.get(name) != value}
            if changed:
                found.append((self.schema.of(cls), record, changed))
        return found

    def settle(self, record: Any) -> None:
        """The record's current fields are what the store holds now."""
        self.snapshots[id(record)] = dict(record.__dict__)

    def note(self, rt: RecordType, record: Any) -> None:
        key = rt.key_of(record)
        if None not in key:  # an autoincrement key is known only once inserted
            self.written.note(rt.cls, key)

    def note_cascades(self, rt: RecordType, key: tuple[Any, ...]) -> None:
        """The database deletes the children of a deleted row: say which, by criteria."""
        for cascade in rt.cascades:
            self.written.sweep(cascade.child, [Cond(cascade.column, "==", key[0])])

    def changed(self) -> Changes:
        """Everything written so far, plus what is still pending (added, changed, deleted)."""
        found = Changes()
        found.merge(self.written)
        for rt, record, _changed in self.changes():
            self.note_into(found, rt, record)
        for record in (*self.new, *self.dead):
            self.note_into(found, self.schema.of(type(record)), record)
        return found

    @staticmethod
    def note_into(found: Changes, rt: RecordType, record: Any) -> None:
        key = rt.key_of(record)
        if None not in key:
            found.note(rt.cls, key)

    def claim(self, opens: str, covers: Changes, work: NewWork | None = None) -> None:
        covers.claim = None
        self.claimed = Claim(opens, covers, work)

    def with_claim(self, found: Changes) -> Changes:
        """`found` with the unit's claim, if any: the reader checks what it covers
        (`Claim.holds_for`) against the kinds it cares about."""
        found.claim = self.claimed
        return found

    def pending(self) -> bool:
        return bool(self.new or self.dead) or bool(self.changes())

    def add_hook(self, hook: Hook) -> None:
        self.hooks.append(hook)

    async def run_hooks(self) -> None:
        for hook in self.hooks:
            result = hook()
            if result is not None:
                await result
