"""The port to a voice/media platform: what `dequeue`, `call`, `redirect`, ... ask of it.

Switchboard routes work; it does not place calls. Instructions that need a telephony
platform (from an assignment callback's answer or from `Instruction=` on a reservation
update) are handed to a :class:`MediaAdapter`. The adapter reports success or failure;
the engine records the outcome as a `reservation.instruction` event and, for
instructions with accept semantics, accepts the reservation on success, as Twilio does.

This module is pure (no I/O, no services) so :mod:`switchboard.distribution.work.context` can
name the port without importing the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

MEDIA_INSTRUCTIONS = ("dequeue", "call", "redirect", "conference", "supervise")
# call control from the agent desktop (issue 16), for an accepted voice task: put the
# caller on hold (music), bring them back to the worker, hand them to another worker
# (`to`), hang up. Not REST `Instruction=` values: the desktop asks them through a port.
CALL_CONTROLS = ("hold", "resume", "transfer", "hangup")


@dataclass(frozen=True)
class MediaRequest:
    """One instruction for one reservation, with what an adapter needs to carry it out.

    `params` are the instruction's arguments with Twilio's snake_case names
    (`to`, `from`, `url`, `call_sid`, `post_work_activity_sid`, `timeout`, ...), all strings.
    """

    instruction: str
    account_sid: str
    workspace_sid: str
    reservation_sid: str
    task_sid: str
    worker_sid: str
    task_attributes: Mapping[str, Any]
    worker_attributes: Mapping[str, Any]
    params: Mapping[str, str]

    @property
    def to(self) -> str | None:
        """Where to reach the worker: the `to` argument, else the worker's `contact_uri`."""
        value = self.params.get("to") or self.worker_attributes.get("contact_uri")
        return str(value) if value else None


@dataclass(frozen=True)
class MediaResult:
    """`ok` decides whether accept semantics apply; `detail` is recorded in the event."""

    ok: bool
    detail: Mapping[str, str] = field(default_factory=dict)


class MediaAdapter(Protocol):
    """A telephony platform; each method returns once the step succeeded or failed."""

    async def dequeue(self, request: MediaRequest) -> MediaResult:
        """Dial the worker and bridge the task's waiting (enqueued) call to it."""
        ...

    async def call(self, request: MediaRequest) -> MediaResult:
        """Call the worker (`to`, `from`) and run the TwiML at `url` on that call."""
        ...

    async def redirect(self, request: MediaRequest) -> MediaResult:
        """Move the parked call `call_sid` to the TwiML at `url`."""
        ...

    async def conference(self, request: MediaRequest) -> MediaResult:
        """Call the worker and put worker and customer in a conference named by the task."""
        ...

    async def supervise(self, request: MediaRequest) -> MediaResult:
        """Add `supervisor` to the task's conference in `supervisor_mode` (monitor, ...)."""
        ...

    async def hold(self, request: MediaRequest) -> MediaResult:
        """Put the task's call on hold: the caller hears the music at `url`."""
        ...

    async def resume(self, request: MediaRequest) -> MediaResult:
        """Bring the held call back to the worker (dial them again)."""
        ...

    async def transfer(self, request: MediaRequest) -> MediaResult:
        """Hand the task's call to `to` (another worker's contact_uri)."""
        ...

    async def hangup(self, request: MediaRequest) -> MediaResult:
        """End the task's call."""
        ...


@dataclass
class RecordingMediaAdapter:
    """The default adapter: records every request and reports success (or `fail`).

    Lets the whole flow (callbacks, accept semantics, events) run without a telephony
    platform; tests read :attr:`requests` to see what was asked.
    """

    fail: frozenset[str] = frozenset()
    requests: list[MediaRequest] = field(default_factory=list)

    async def _handle(self, request: MediaRequest) -> MediaResult:
        self.requests.append(request)
        if request.instruction in self.fail:
            return MediaResult(False, {"error": f"{request.instruction} refused by the adapter"})
        return MediaResult(True, {"adapter": "recording"})

    async def dequeue(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def call(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def redirect(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def conference(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def supervise(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def hold(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def resume(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def transfer(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)

    async def hangup(self, request: MediaRequest) -> MediaResult:
        return await self._handle(request)
