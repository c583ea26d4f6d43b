"""The ports: what the pillars need from the outside world, as Protocols.

Adapters implement them (the store adapters in :mod:`switchboard.store`, the
outbound HTTP client, the media platform, ...) and the composition root
(:mod:`switchboard.runtime`) wires one implementation of each, once. Every
method states its contract in one line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from switchboard.kernel.callbacks import Answer, Attempt
from switchboard.kernel.changes import Changes, NewWork
from switchboard.kernel.clock import Timer
from switchboard.kernel.criteria import Criterion, Measure, Order
from switchboard.kernel.media import MediaAdapter, MediaRequest, MediaResult

R = TypeVar("R")
Event = dict[str, Any]
Subscriber = Callable[[Event], Awaitable[None] | None]

__all__ = [
    "Authenticator",
    "CallbackSender",
    "Clock",
    "DocumentSource",
    "Doorbell",
    "EventPublisher",
    "MediaAdapter",
    "MediaRequest",
    "MediaResult",
    "RoutingOwnership",
    "SigningKeys",
    "Store",
    "TaskAttributeSource",
    "TaskIntake",
    "Unit",
]


class Clock(Protocol):
    """Where time comes from (a fake one in tests)."""

    def now_ms(self) -> int:
        """The current instant, epoch milliseconds UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and cache ages)."""
        ...

    def call_at(self, when_ms: int, callback: Callable[[], None]) -> Timer:
        """Run `callback` (on the event loop) once `now_ms()` reaches `when_ms`."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` have passed on this clock."""
        ...


class Unit(Protocol):
    """One store transaction: everything it adds, changes and deletes commits together.

    Records are plain dataclasses; a record read through a write unit is tracked,
    so changing its fields is enough for the change to be written at commit.
    Queries see the unit's own pending changes.
    """

    writable: bool

    async def get(self, kind: type[R], key: Any) -> R | None:
        """The record of `kind` with this primary key (a tuple for composite keys), or None."""
        ...

    async def select(
        self,
        kind: type[R],
        *where: Criterion,
        order: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[R]:
        """The records matching every criterion, in `order` (then primary key)."""
        ...

    async def first(
        self, kind: type[R], *where: Criterion, order: Sequence[Order] = ()
    ) -> R | None:
        """The first record `select` would return, or None."""
        ...

    async def count(self, kind: type[Any], *where: Criterion) -> int:
        """How many records match."""
        ...

    async def exists(self, kind: type[Any], *where: Criterion) -> bool:
        """Whether any record matches."""
        ...

    async def values(
        self, kind: type[Any], field: str, *where: Criterion, distinct: bool = False
    ) -> list[Any]:
        """One field of the matching records (each value once with `distinct`)."""
        ...

    async def aggregate(
        self, kind: type[Any], by: Sequence[str], *where: Criterion, **measures: Measure
    ) -> list[dict[str, Any]]:
        """One row per distinct `by` tuple: the `by` fields and each named measure."""
        ...

    def add(self, record: Any) -> None:
        """Insert `record` when the unit flushes."""
        ...

    async def delete(self, record: Any) -> None:
        """Delete `record`, and what the schema cascades from it."""
        ...

    async def update_where(
        self, kind: type[Any], values: Mapping[str, Any], *where: Criterion
    ) -> int:
        """Set fields (an `Inc` adds to the current value) on every match; returns how many."""
        ...

    async def delete_where(self, kind: type[Any], *where: Criterion) -> int:
        """Delete every match (cascading as the schema says); returns how many."""
        ...

    async def accumulate(
        self, kind: type[Any], rows: Sequence[Mapping[str, Any]], add: Sequence[str]
    ) -> None:
        """Insert each row, or add its `add` fields to the row already stored with its key."""
        ...

    async def flush(self) -> None:
        """Write pending changes now, inside the transaction."""
        ...

    def after_commit(self, hook: Callable[[], Awaitable[None] | None]) -> None:
        """Run `hook` once the transaction has committed (never after a rollback)."""
        ...

    def changed(self) -> Changes:
        """The keys of every record this unit added, changed or deleted (bulk writes as
        their criteria), pending ones included."""
        ...

    def claim(self, opens: str, work: NewWork | None = None) -> None:
        """Say what the changes made so far can lead to (`changes.OPENS_NOTHING`,
        `changes.OPENS_ROOM`, `changes.OPENS_WORK` with `work`): the commit's `Changes`
        carry the claim, so the routing owner may skip or put off a pass for them. A
        change made after the claim voids it."""
        ...


class Store(Protocol):
    """The source of truth: the memory, SQLite or PostgreSQL adapter behind one interface."""

    kind: str  # "memory" | "sqlite" | "postgresql"

    def transaction(self, lock: str | None = None) -> AbstractAsyncContextManager[Unit]:
        """A write unit; units with the same `lock` run one at a time, in every process."""
        ...

    def read(self, *, short: bool = False) -> AbstractAsyncContextManager[Unit]:
        """A read-only unit over committed data.

        `short`: a read of a few rows by key or by an index, which SQLite answers in
        microseconds; the SQLite store runs it on the event loop instead of on a thread.
        A read that may scan (a listing, a report, statistics) must not say so: on the
        loop it would hold up every request.
        """
        ...

    def forget(self, changes: Changes) -> None:
        """Another process changed these records: drop any copy kept of them."""
        ...

    def observe(self, hook: Callable[[str | None, Changes], None]) -> None:
        """Call `hook(lock, changes)` after every committed write unit that changed
        something, in the committing task (it must not block)."""
        ...

    async def dispose(self) -> None:
        """Close connections; the store is not used afterwards."""
        ...


class EventPublisher(Protocol):
    """The in-process bus that committed events travel on."""

    async def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber; one failing subscriber never stops the others."""
        ...

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every published event; returns the unsubscribe function."""
        ...

    async def watch(self, workspace_sid: str) -> Callable[[], None]:
        """Other processes' events of the workspace are published here too (from when this
        returns) until the returned function is called."""
        ...


class Doorbell(Protocol):
    """How a committed change asks for a routing pass of its workspace."""

    def ring(self, workspace_sid: str, changes: Changes | None = None) -> None:
        """Ask for a pass soon, saying what changed (None: unknown); never blocks, and
        repeated rings coalesce."""
        ...


class RoutingOwnership(Protocol):
    """Which process runs a workspace's timers: one per workspace when several processes
    share a PostgreSQL database (every process with SQLite or memory)."""

    async def owns(self, workspace_sid: str) -> bool:
        """True when this process runs the workspace's routing (taking it over when no
        process does); False when another process runs it."""
        ...


class Authenticator(Protocol):
    """Checks the credentials a request carries (HTTP Basic, as Twilio)."""

    async def authenticate(self, account_sid: str, token: str) -> bool:
        """Whether `token` is a current auth token of the active account `account_sid`."""
        ...


class SigningKeys(Protocol):
    """The tokens an account signs and verifies with (callback signatures, worker JWTs)."""

    async def signing_token(self, account_sid: str) -> str | None:
        """The token outbound requests of the account are signed with (None: it cannot sign)."""
        ...

    async def verification_keys(self, account_sid: str) -> list[str]:
        """Tokens that may have signed a JWT of the account (empty when it is not active)."""
        ...


class CallbackSender(Protocol):
    """Signed outbound HTTP on behalf of an account (Twilio's `X-Twilio-Signature`)."""

    async def post_form(
        self, account_sid: str, url: str, form: Mapping[str, str], timeout: float
    ) -> tuple[Attempt, Answer | None]:
        """POST the form signed with the account's token; never raises for network trouble:
        the attempt records what went wrong, the answer is None then."""
        ...


class DocumentSource(Protocol):
    """Remote workflow documents: routing rules fetched per task from the customer's URL."""

    async def prefetch(
        self,
        account_sid: str,
        workspace_sid: str,
        task_sid: str,
        attributes: str,
        workflow_sid: str | None,
    ) -> Any:
        """The fetched document (or why there is none) for a task about to enter a workflow."""
        ...


class TaskAttributeSource(Protocol):
    """Extra attributes for a task being created (e.g. marketing attribution)."""

    async def attributes_for(
        self, account_sid: str, workspace_sid: str, attributes: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Attributes to merge into the new task's (empty when there is nothing to add)."""
        ...


class TaskIntake(Protocol):
    """Work handed to the distribution pillar by another pillar (a customer request)."""

    async def open_task(
        self,
        account_sid: str,
        workspace_sid: str,
        attributes: Mapping[str, Any],
        *,
        workflow_sid: str | None = None,
        task_channel: str | None = None,
    ) -> str:
        """Create a pending task routed by the workflow (None: the workspace's only one);
        returns its sid. Raises the distribution pillar's errors for a bad workspace."""
        ...

    async def check_route(
        self,
        account_sid: str,
        workspace_sid: str,
        workflow_sid: str | None = None,
        task_channel: str | None = None,
    ) -> None:
        """Raise not-found (or invalid-parameter) unless the account could open tasks there."""
        ...

    async def end_task(
        self, account_sid: str, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        """The request behind the task ended: cancel it while it waits, complete it once
        assigned (nothing when it already ended)."""
        ...
