"""What the pages need from work distribution, as a Protocol (the web pillar never imports it).

The composition root wires an adapter over the distribution services
(:mod:`switchboard.pages_bridge`); the desktop itself speaks the public worker
websocket, so only what a browser cannot ask for itself goes through here.
Every method answers for one account: another account's sids are simply not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Named:
    sid: str
    friendly_name: str


@dataclass(frozen=True)
class ActivityView:
    sid: str
    friendly_name: str
    available: bool


@dataclass(frozen=True)
class WorkerView:
    sid: str
    workspace_sid: str
    friendly_name: str
    activity_sid: str
    activity_name: str
    available: bool
    # when the worker entered its current activity (epoch ms)
    since_ms: int
    # live reservations: pending, accepted or wrapping
    tasks: int = 0


@dataclass(frozen=True)
class QueueView:
    sid: str
    friendly_name: str
    waiting: int
    # when the task that has waited longest entered the queue (epoch ms); None when empty
    oldest_entered_ms: int | None
    reserved: int = 0
    assigned: int = 0


@dataclass(frozen=True)
class FloorView:
    """One workspace as a supervisor watches it."""

    workspace: Named
    now_ms: int
    queues: list[QueueView] = field(default_factory=list)
    workers: list[WorkerView] = field(default_factory=list)
    activities: list[ActivityView] = field(default_factory=list)


class Floor(Protocol):
    """Work distribution as the pages see it."""

    async def workspaces(self, account_sid: str) -> list[Named]:
        """The account's workspaces, by name."""
        ...

    async def worker(self, account_sid: str, worker_sid: str) -> WorkerView | None:
        """The worker if it belongs to one of the account's workspaces, else None."""
        ...

    async def activities(self, account_sid: str, workspace_sid: str) -> list[ActivityView]:
        """The workspace's activities by name (NotFound: not the account's)."""
        ...

    async def floor(self, account_sid: str, workspace_sid: str) -> FloorView:
        """Waiting tasks per queue and workers by activity, now (NotFound: not the account's)."""
        ...

    async def set_activity(
        self, account_sid: str, workspace_sid: str, worker_sid: str, activity_sid: str
    ) -> None:
        """Move the worker to the activity, rejecting its pending offers if it goes unavailable."""
        ...

    async def worker_token(
        self, account_sid: str, workspace_sid: str, worker_sid: str, ttl: int
    ) -> str:
        """A capability token that opens the worker's websocket channel for `ttl` seconds."""
        ...


# --- the agent's desk: cases, conversations, wrap-up and call control (issue 16) ----------
# The conversations, attribution and channels pillars as the desktop sees them, through
# one more port (`Desk`), implemented in switchboard.pages_bridge.PillarsDesk. Every call
# names the signed-in agent's account and worker: the worker's chat identity is the point
# of view, so another agent's cases and conversations are simply not found.

CASE_SORTS = ("case", "customer", "subject", "status", "priority", "opened", "owner")
OUTCOMES = ("sale", "no_sale", "will_call_back", "callback_requested", "not_qualified")
OUTCOME_LABELS = {  # what the wrap-up form offers, as the attribution pillar names them
    "sale": "Sale",
    "no_sale": "No sale",
    "will_call_back": "Will call back",
    "callback_requested": "Wants a callback",
    "not_qualified": "Not qualified",
}
CALL_ACTIONS = ("accept", "hold", "resume", "transfer", "hangup")


@dataclass(frozen=True)
class CaseQuery:
    """What the case list asks for: a sort key, a direction, filters and a page."""

    sort: str = "opened"
    descending: bool = True
    status: str = ""  # one state, or "" for all
    text: str = ""  # in the customer, the subject or the owner
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class CaseRow:
    sid: str
    case_number: int
    customer: str
    subject: str
    status: str
    priority: int | None  # the priority of the case's task, when it became one
    opened_ms: int
    owner: str | None
    interaction_sid: str | None  # the agent's way into the case's conversation


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int
    states: list[str] = field(default_factory=list)
    backchannels: list[Named] = field(default_factory=list)  # the agent's, by name


@dataclass(frozen=True)
class LineView:
    """One message or note the agent may read."""

    index: int
    kind: str  # message | note
    author: str
    body: str
    date_ms: int
    mine: bool


@dataclass(frozen=True)
class InvitationView:
    sid: str
    interaction_sid: str
    friendly_name: str


@dataclass(frozen=True)
class ConversationView:
    sid: str
    friendly_name: str
    identity: str  # the agent, as the conversation knows them
    case_number: int | None
    subject: str | None
    customer: str | None  # the outside participant's address (None in a backchannel)
    parent_sid: str | None  # a backchannel's parent, when the agent sees it too
    lines: list[LineView] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    backchannels: list[Named] = field(default_factory=list)
    invitations: list[InvitationView] = field(default_factory=list)  # pending, for this agent
    backchannel: bool = False


@dataclass(frozen=True)
class WrapUp:
    outcome: str
    revenue: str | None = None
    currency: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class WrapUpDone:
    task_sid: str
    outcome: str
    attributed: bool  # the attribution pillar recorded it (the task came from an ad)
    noted: bool  # the notes went to the task's conversation


@dataclass(frozen=True)
class HistoryRow:
    """One earlier request of the task's customer with the organization. Its subject and
    the way into it only when the agent's point of view shows that case."""

    case_number: int | None
    category: str | None
    status: str
    opened_ms: int
    closed_ms: int | None
    member: str | None  # who answered it
    rating: int | None
    subject: str | None
    interaction_sid: str | None


class Desk(Protocol):
    """The agent's cases and conversations, wrap-up and call control."""

    async def identity(self, account_sid: str, worker_sid: str) -> str:
        """The chat identity the worker answers as (NotFound: not the account's worker)."""
        ...

    async def cases(self, account_sid: str, worker_sid: str, query: CaseQuery) -> CasePage:
        """The cases (sequences) the worker's point of view shows, sorted, filtered, paged."""
        ...

    async def invitations(self, account_sid: str, worker_sid: str) -> list[InvitationView]:
        """Pending invitations for the worker's identity."""
        ...

    async def conversation(
        self, account_sid: str, worker_sid: str, interaction_sid: str
    ) -> ConversationView:
        """The interaction as the worker sees it (NotFound outside their point of view)."""
        ...

    async def reply(
        self, account_sid: str, worker_sid: str, interaction_sid: str, body: str
    ) -> None:
        """A message to the customer, sent through the conversation's channel."""
        ...

    async def note(
        self, account_sid: str, worker_sid: str, interaction_sid: str, body: str
    ) -> None:
        """A note in the conversation (participants read it; the customer's channel never)."""
        ...

    async def colleagues(self, account_sid: str, worker_sid: str) -> list[Named]:
        """The other workers of the worker's workspace: (identity, name)."""
        ...

    async def backchannel(
        self, account_sid: str, worker_sid: str, interaction_sid: str, colleague: str
    ) -> str:
        """A backchannel of the interaction with the colleague, without the customer."""
        ...

    async def invite(
        self, account_sid: str, worker_sid: str, interaction_sid: str, colleague: str
    ) -> None:
        """Invite a colleague (an identity) to join the interaction."""
        ...

    async def answer_invitation(
        self,
        account_sid: str,
        worker_sid: str,
        interaction_sid: str,
        invitation_sid: str,
        accept: bool,
    ) -> None:
        """Accept (join, reading from the invitation on) or reject one's own invitation."""
        ...

    async def wrap_up(
        self, account_sid: str, worker_sid: str, reservation_sid: str, wrap: WrapUp
    ) -> WrapUpDone:
        """Record the outcome and notes, then complete the worker's task."""
        ...

    async def customer_history(
        self, account_sid: str, worker_sid: str, reservation_sid: str
    ) -> list[HistoryRow]:
        """The earlier requests of the customer of the worker's reservation's task, newest
        first (empty when the task names no customer relationship)."""
        ...

    async def call_control(
        self,
        account_sid: str,
        worker_sid: str,
        reservation_sid: str,
        action: str,
        colleague: str | None = None,
    ) -> str:
        """accept, hold, resume, transfer (to a colleague's worker sid) or hang up a voice
        task's call through the media adapter; the outcome ("succeeded" / "failed: ...")."""
        ...

    def follow(
        self, account_sid: str, interaction_sid: str, changed: Callable[[], None]
    ) -> Callable[[], None]:
        """Call `changed` (synchronously) after each committed change of the interaction;
        returns the way to stop. The caller reads the view again (its point of view)."""


# --- the supervisor's figures, charts and moves (issues 14, 15, 16) ------------------------


@dataclass(frozen=True)
class ServiceTarget:
    """Answered within `answer_seconds` for at least `share` of the contacts."""

    share: float
    answer_seconds: int


@dataclass(frozen=True)
class QueueFigures:
    """One queue's service level (None: nothing answered or abandoned yet) and abandons.

    Service level: tasks accepted within the target's seconds of their creation, over
    tasks accepted plus tasks canceled while waiting (abandoned), in the window."""

    sid: str
    service_level_today: float | None
    service_level_30_min: float | None
    answered_today: int
    abandoned_today: int
    abandoned_30_min: int


@dataclass(frozen=True)
class WaitingTask:
    """A task a supervisor may move: pending or reserved."""

    sid: str
    label: str
    queue_sid: str | None
    queue_name: str
    workflow_sid: str | None
    status: str
    priority: int
    created_ms: int


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """Numbers for one chart: `bars` or `lines` over labelled points; an optional target
    line (a share for service levels)."""

    key: str
    title: str
    kind: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    target: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Supervision:
    """What the supervisor page shows beside the floor."""

    target: ServiceTarget
    queues: list[QueueFigures] = field(default_factory=list)
    waiting: list[WaitingTask] = field(default_factory=list)
    workflows: list[Named] = field(default_factory=list)


class Supervisor(Protocol):
    """Statistics, plans and reports for the supervisor page, and moving tasks."""

    async def supervision(self, account_sid: str, workspace_sid: str) -> Supervision:
        """Service level and abandons per queue, the waiting tasks, the workflows."""
        ...

    async def charts(self, account_sid: str, workspace_sid: str) -> list[Chart]:
        """Tasks per interval, service level vs target, forecast vs actual, required vs
        staffed agents, CPA and ROI by campaign."""
        ...

    async def move_task(
        self,
        account_sid: str,
        workspace_sid: str,
        task_sid: str,
        *,
        queue_sid: str | None = None,
        workflow_sid: str | None = None,
    ) -> None:
        """Move a waiting task to a queue, or into a workflow from its top (re-routing)."""
        ...
