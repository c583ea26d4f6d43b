"""What a unit of work wrote: record keys per kind, and bulk writes by their criteria.

A routing owner keeps a workspace's state in memory; after each commit it is told
what changed (in this process through the doorbell, from other processes through
LISTEN/NOTIFY) and reads back just those records. `Changes.everything()` means "do
not know": the reader rebuilds from the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from switchboard.kernel.criteria import Cond, Criterion

Key = tuple[Any, ...]
# what a writer may claim its changes open for routing (see `Unit.claim`)
OPENS_NOTHING = "nothing"  # no task starts waiting and no worker gains room: no new offer
OPENS_ROOM = "room"  # workers may gain room, no task starts waiting: offers only to waiting work
# one task starts waiting that only a worker with room can take (`Claim.work` says where)
OPENS_WORK = "work"


@dataclass(frozen=True)
class NewWork:
    """Where the work an `OPENS_WORK` claim speaks of waits, and the first instant it
    needs looking at whoever has room (its earliest deadline; None: none)."""

    queue: str
    channel: str
    due: int | None


@dataclass(frozen=True)
class Claim:
    """A writer's word on what its changes can lead to (`opens`), for the changes it
    had made when it said so (`covers`): any change beyond those voids it."""

    opens: str
    covers: Changes
    work: NewWork | None = None

    def holds_for(self, changes: Changes) -> bool:
        """Whether it covers every change of `changes` (rows numbered at insert, such as
        events, are known only after the claim: readers check the kinds they care about)."""
        return not changes.unknown and not changes.minus(self.covers)


@dataclass
class Changes:
    """Keys written per record kind; `sweeps` are bulk writes (kind, criteria) whose keys
    were not read (an SQL `UPDATE ... WHERE`, a database cascade)."""

    keys: dict[type[Any], set[Key]] = field(default_factory=lambda: defaultdict(set))
    sweeps: list[tuple[type[Any], tuple[Criterion, ...]]] = field(default_factory=list)
    unknown: bool = False
    # what the writer claimed (kept by `only`; merging or subtracting drops it)
    claim: Claim | None = None

    @classmethod
    def everything(cls) -> Changes:
        return cls(unknown=True)

    def note(self, kind: type[Any], key: Key) -> None:
        self.keys[kind].add(key)

    def sweep(self, kind: type[Any], where: Iterable[Criterion]) -> None:
        self.sweeps.append((kind, tuple(where)))

    def of(self, kind: type[Any]) -> set[Key]:
        return self.keys.get(kind, set())

    def kinds(self) -> set[type[Any]]:
        return {kind for kind, keys in self.keys.items() if keys} | {k for k, _ in self.sweeps}

    def merge(self, other: Changes | None) -> None:
        """Add `other` in (None is "do not know")."""
        if other is None or other.unknown:
            self.unknown = True
            return
        for kind, keys in other.keys.items():
            self.keys[kind].update(keys)
        self.sweeps.extend(other.sweeps)

    def minus(self, other: Changes) -> Changes:
        """What this says beyond `other` (which must be an earlier state of the same unit's
        changes, or a set of changes already taken care of)."""
        if self.unknown:
            return Changes.everything()
        rest = Changes()
        for kind, keys in self.keys.items():
            extra = keys - other.of(kind)
            if extra:
                rest.keys[kind] = set(extra)
        rest.sweeps = [sweep for sweep in self.sweeps if sweep not in other.sweeps]
        return rest

    def only(self, kinds: frozenset[type[Any]]) -> Changes:
        """The part about these kinds."""
        if self.unknown:
            return Changes.everything()
        kept = Changes()
        for kind, keys in self.keys.items():
            if kind in kinds and keys:
                kept.keys[kind] = set(keys)
        kept.sweeps = [sweep for sweep in self.sweeps if sweep[0] in kinds]
        kept.claim = self.claim
        return kept

    def __bool__(self) -> bool:
        return self.unknown or bool(self.kinds())

    def to_json(self, names: dict[type[Any], str]) -> dict[str, Any] | None:
        """A JSON-able form naming kinds by `names`; None when it cannot be said that way
        (an unnamed kind, or a sweep other than plain field comparisons)."""
        if self.unknown:
            return None
        try:
            keys = {names[k]: sorted(list(key) for key in v) for k, v in self.keys.items() if v}
            sweeps = [[names[k], [_cond(c) for c in where]] for k, where in self.sweeps]
        except (KeyError, TypeError):
            return None
        return {"keys": keys, "sweeps": sweeps}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, kinds: dict[str, type[Any]]) -> Changes:
        if data is None:
            return cls.everything()
        changes = cls()
        try:
            for name, keys in data["keys"].items():
                for key in keys:
                    changes.note(kinds[name], tuple(key))
            for name, where in data["sweeps"]:
                changes.sweep(kinds[name], [Cond(f, op, v) for f, op, v in where])
        except (KeyError, TypeError, ValueError):
            return cls.everything()
        return changes


def _cond(criterion: Criterion) -> list[Any]:
    if not isinstance(criterion, Cond):
        raise TypeError("only plain conditions travel")
    return [criterion.field, criterion.op, criterion.value]
