"""The pages' Floor port over the work-distribution services (part of the composition root).

`switchboard.web` never imports `switchboard.distribution`; this adapter, wired by
:mod:`switchboard.runtime`, is where the two meet. Reads go through the
distribution's access checks, so another account's workspace is NotFound here too,
and the one write (a worker's activity) goes through the same service as the REST API.
"""

from __future__ import annotations

from collections import Counter

from switchboard.distribution.domain.records import Activity, Reservation, Task, TaskQueue, Worker
from switchboard.distribution.domain.records import Workspace as WorkspaceRecord
from switchboard.distribution.work.access import access_workspace
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.worker_tokens import mint
from switchboard.distribution.work.workers import WorkerUpdate, update_worker
from switchboard.kernel.criteria import asc, counted, eq, isin, smallest
from switchboard.kernel.errors import Conflict
from switchboard.kernel.ports import Unit
from switchboard.web.ports import ActivityView, FloorView, Named, QueueView, WorkerView

LIVE = ("pending", "accepted", "wrapping")
WAITING = ("pending", "reserved")


class DistributionFloor:
    """Implements :class:`switchboard.web.ports.Floor`."""

    def __init__(self, services: Services) -> None:
        self._svc = services

    async def workspaces(self, account_sid: str) -> list[Named]:
        async with self._svc.store.read() as unit:
            rows = await unit.select(
                WorkspaceRecord, eq("account_sid", account_sid), order=[asc("friendly_name")]
            )
        return [Named(w.sid, w.friendly_name) for w in rows]

    async def worker(self, account_sid: str, worker_sid: str) -> WorkerView | None:
        async with self._svc.store.read() as unit:
            worker = await unit.get(Worker, worker_sid)
            if worker is None:
                return None
            workspace = await unit.get(WorkspaceRecord, worker.workspace_sid)
            if workspace is None or workspace.account_sid != account_sid:
                return None
            names = {a.sid: a.friendly_name for a in await _activities(unit, workspace.sid)}
            return _worker_view(worker, names, Counter())

    async def activities(self, account_sid: str, workspace_sid: str) -> list[ActivityView]:
        async with self._svc.store.read() as unit:
            await access_workspace(unit, account_sid, workspace_sid)
            rows = await _activities(unit, workspace_sid)
        return [ActivityView(a.sid, a.friendly_name, a.available) for a in rows]

    async def floor(self, account_sid: str, workspace_sid: str) -> FloorView:
        async with self._svc.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, workspace_sid)
            activities = await _activities(unit, workspace_sid)
            queues = await _queues(unit, workspace_sid)
            workers = await _workers(
                unit, workspace_sid, {a.sid: a.friendly_name for a in activities}
            )
        return FloorView(
            workspace=Named(workspace.sid, workspace.friendly_name),
            now_ms=self._svc.clock.now_ms(),
            queues=queues,
            workers=workers,
            activities=[ActivityView(a.sid, a.friendly_name, a.available) for a in activities],
        )

    async def set_activity(
        self, account_sid: str, workspace_sid: str, worker_sid: str, activity_sid: str
    ) -> None:
        change = WorkerUpdate(activity_sid=activity_sid, reject_pending_reservations=True)
        await update_worker(self._svc, account_sid, workspace_sid, worker_sid, change)

    async def worker_token(
        self, account_sid: str, workspace_sid: str, worker_sid: str, ttl: int
    ) -> str:
        worker = await self.worker(account_sid, worker_sid)
        if worker is None or worker.workspace_sid != workspace_sid:
            raise Conflict(f"Worker {worker_sid} is not in Workspace {workspace_sid}")
        auth_token = await self._svc.signing.signing_token(account_sid)
        if auth_token is None:
            raise Conflict("This account has no stored auth token to sign worker tokens with")
        token, _expires = mint(account_sid, auth_token, workspace_sid, worker_sid, ttl)
        return token


async def _activities(unit: Unit, workspace_sid: str) -> list[Activity]:
    return await unit.select(
        Activity, eq("workspace_sid", workspace_sid), order=[asc("friendly_name")]
    )


async def _queues(unit: Unit, workspace_sid: str) -> list[QueueView]:
    """Tasks per queue and status, and the oldest waiting one: two grouped queries."""
    rows = await unit.select(
        TaskQueue, eq("workspace_sid", workspace_sid), order=[asc("friendly_name")]
    )
    figures = await unit.aggregate(
        Task,
        ["task_queue_sid", "assignment_status"],
        eq("workspace_sid", workspace_sid),
        isin("assignment_status", (*WAITING, "assigned")),
        n=counted("sid"),
        oldest=smallest("task_queue_entered_date"),
    )
    by_queue: dict[str | None, dict[str, tuple[int, int | None]]] = {}
    for row in figures:
        statuses = by_queue.setdefault(row["task_queue_sid"], {})
        statuses[row["assignment_status"]] = (int(row["n"]), row["oldest"])
    return [_queue_view(q, by_queue.get(q.sid, {})) for q in rows]


def _queue_view(queue: TaskQueue, statuses: dict[str, tuple[int, int | None]]) -> QueueView:
    """Waiting: pending or reserved (offered but not yet accepted), as Twilio counts it."""
    waiting = [statuses[s] for s in WAITING if s in statuses]
    oldest = [entered for _n, entered in waiting if entered is not None]
    return QueueView(
        sid=queue.sid,
        friendly_name=queue.friendly_name,
        waiting=sum(n for n, _entered in waiting),
        oldest_entered_ms=min(oldest) if oldest else None,
        reserved=statuses.get("reserved", (0, None))[0],
        assigned=statuses.get("assigned", (0, None))[0],
    )


async def _workers(unit: Unit, workspace_sid: str, names: dict[str, str]) -> list[WorkerView]:
    rows = await unit.select(Worker, eq("workspace_sid", workspace_sid), order=[asc("name_key")])
    held = Counter(
        await unit.values(
            Reservation, "worker_sid", eq("workspace_sid", workspace_sid), isin("status", LIVE)
        )
    )
    return [_worker_view(w, names, held) for w in rows]


def _worker_view(worker: Worker, names: dict[str, str], held: Counter[str]) -> WorkerView:
    return WorkerView(
        sid=worker.sid,
        workspace_sid=worker.workspace_sid,
        friendly_name=worker.friendly_name,
        activity_sid=worker.activity_sid,
        activity_name=names.get(worker.activity_sid, "?"),
        available=worker.available,
        since_ms=worker.date_status_changed,
        tasks=held[worker.sid],
    )


# --- the supervisor page's figures, charts and moves (issues 14, 15, 16) -------------------
# Appended as its own block: statistics and moves over the distribution services, plans and
# campaign reports over the attribution services (this module is the composition root).

import json  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from datetime import date as Date  # noqa: E402
from typing import Any  # noqa: E402

from switchboard.attribution.domain.erlang import StaffingTarget  # noqa: E402
from switchboard.attribution.domain.records import Contact as AttributedContact  # noqa: E402
from switchboard.attribution.domain.records import Spend  # noqa: E402
from switchboard.attribution.services import outcomes as campaign_reports  # noqa: E402
from switchboard.attribution.services import staffing  # noqa: E402
from switchboard.attribution.services.context import Attribution  # noqa: E402
from switchboard.distribution.domain.records import Event, Workflow  # noqa: E402
from switchboard.distribution.domain.statistics import Window  # noqa: E402
from switchboard.distribution.stats.figures import (  # noqa: E402
    StatisticsRequest,
    queues_cumulative,
)
from switchboard.distribution.work.moves import move_task  # noqa: E402
from switchboard.kernel.criteria import desc, ge  # noqa: E402
from switchboard.web.ports import (  # noqa: E402
    Chart,
    QueueFigures,
    Series,
    ServiceTarget,
    Supervision,
    WaitingTask,
)

DAY_MS = 86_400_000
RECENT_MS = 30 * 60_000
PLAN_INTERVAL = 1800  # seconds: the plan's and the forecast chart's intervals
RECENT_INTERVAL = 900  # seconds: tasks per interval and service level, the last 4 hours
RECENT_INTERVALS = 16
WAITING_SHOWN = 50
REPORT_DAYS = 30
LABEL_KEYS = ("name", "customer_name", "subject", "from", "type")


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _service_level(figures: dict[str, Any], seconds: int) -> tuple[float | None, int, int]:
    """(service level, answered, abandoned) from a queue's cumulative statistics."""
    split = figures["split_by_wait_time"][str(seconds)]
    in_time = split["below"]["reservations_accepted"]
    answered = in_time + split["above"]["reservations_accepted"]
    abandoned = split["below"]["tasks_canceled"] + split["above"]["tasks_canceled"]
    return _ratio(in_time, answered + abandoned), answered, abandoned


def _label(task: Task) -> str:
    try:
        attributes = json.loads(task.attributes)
    except ValueError:
        attributes = {}
    if isinstance(attributes, dict):
        for key in LABEL_KEYS:
            value = attributes.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:80]
    return task.sid


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M")


def _slots(start_ms: int, width_s: int, count: int) -> list[int]:
    return [start_ms + i * width_s * 1000 for i in range(count)]


def _bucket(times: list[int], start_ms: int, width_s: int, count: int) -> list[float | None]:
    counts: list[float | None] = [0.0] * count
    for at in times:
        index = (at - start_ms) // (width_s * 1000)
        if 0 <= index < count:
            counts[index] = (counts[index] or 0.0) + 1
    return counts


def _money(text: str | None) -> float | None:
    return None if text is None else float(text)


class SupervisorBridge:
    """Implements :class:`switchboard.web.ports.Supervisor`."""

    def __init__(
        self,
        services: Services,
        attribution: Attribution,
        target: ServiceTarget,
        handle_seconds: float,
        currency: str,
    ) -> None:
        self._svc = services
        self._attribution = attribution
        self._target = target
        self._handle_seconds = handle_seconds
        self._currency = currency

    async def supervision(self, account_sid: str, workspace_sid: str) -> Supervision:
        seconds = self._target.answer_seconds
        now = self._svc.now()
        async with self._svc.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, workspace_sid)
            queues = await unit.select(
                TaskQueue, eq("workspace_sid", workspace_sid), order=[asc("friendly_name")]
            )
            sids_ = [q.sid for q in queues]
            today = StatisticsRequest(Window(now - now % DAY_MS, now), thresholds=(seconds,))
            recent = StatisticsRequest(Window(now - RECENT_MS, now), thresholds=(seconds,))
            by_day = await queues_cumulative(self._svc, unit, workspace, sids_, today)
            by_half_hour = await queues_cumulative(self._svc, unit, workspace, sids_, recent)
            waiting = await unit.select(
                Task,
                eq("workspace_sid", workspace_sid),
                isin("assignment_status", WAITING),
                order=[asc("date_created")],
                limit=WAITING_SHOWN,
            )
            workflows = await unit.select(
                Workflow, eq("workspace_sid", workspace_sid), order=[asc("friendly_name")]
            )
        figures = []
        for queue in queues:
            level_today, answered, abandoned = _service_level(by_day[queue.sid], seconds)
            level_recent, _answered, abandoned_recent = _service_level(
                by_half_hour[queue.sid], seconds
            )
            figures.append(
                QueueFigures(
                    queue.sid, level_today, level_recent, answered, abandoned, abandoned_recent
                )
            )
        names = {q.sid: q.friendly_name for q in queues}
        return Supervision(
            target=self._target,
            queues=figures,
            waiting=[
                WaitingTask(
                    t.sid,
                    _label(t),
                    t.task_queue_sid,
                    names.get(t.task_queue_sid or "", "-"),
                    t.workflow_sid,
                    t.assignment_status,
                    t.priority,
                    t.date_created,
                )
                for t in waiting
            ],
            workflows=[Named(w.sid, w.friendly_name) for w in workflows],
        )

    async def move_task(
        self,
        account_sid: str,
        workspace_sid: str,
        task_sid: str,
        *,
        queue_sid: str | None = None,
        workflow_sid: str | None = None,
    ) -> None:
        await move_task(
            self._svc,
            account_sid,
            workspace_sid,
            task_sid,
            queue_sid=queue_sid,
            workflow_sid=workflow_sid,
        )

    async def charts(self, account_sid: str, workspace_sid: str) -> list[Chart]:
        now = self._svc.now()
        recent = await self._recent(account_sid, workspace_sid, now)
        planned = await self._planned(account_sid, workspace_sid, now)
        return [*recent, *planned, *await self._campaigns(account_sid, now)]

    async def _recent(self, account_sid: str, workspace_sid: str, now: int) -> list[Chart]:
        """Tasks created, answered and abandoned per 15 minutes, and the service level of
        each interval against the target, over the last four hours."""
        width = RECENT_INTERVAL * 1000
        start = now - now % width - (RECENT_INTERVALS - 1) * width
        kinds = ("task.created", "reservation.accepted", "task.canceled")
        async with self._svc.store.read() as unit:
            await access_workspace(unit, account_sid, workspace_sid)
            events = await unit.select(
                Event,
                eq("workspace_sid", workspace_sid),
                isin("event_type", kinds),
                ge("event_date", start),
            )
        times: dict[str, list[int]] = {kind: [] for kind in kinds}
        in_time = []
        for event in events:
            times[event.event_type].append(event.event_date)
            if event.event_type == "reservation.accepted" and self._answered_in_time(event):
                in_time.append(event.event_date)
        count = RECENT_INTERVALS
        created = _bucket(times["task.created"], start, RECENT_INTERVAL, count)
        answered = _bucket(times["reservation.accepted"], start, RECENT_INTERVAL, count)
        abandoned = _bucket(times["task.canceled"], start, RECENT_INTERVAL, count)
        quick = _bucket(in_time, start, RECENT_INTERVAL, count)
        levels: list[float | None] = [
            _ratio(int(q or 0), int((a or 0) + (c or 0)))
            for q, a, c in zip(quick, answered, abandoned, strict=True)
        ]
        labels = [_clock(at) for at in _slots(start, RECENT_INTERVAL, count)]
        return [
            Chart(
                "tasks",
                "Tasks per 15 minutes",
                "bars",
                labels,
                [
                    Series("Created", created),
                    Series("Answered", answered),
                    Series("Abandoned", abandoned),
                ],
                unit="tasks",
            ),
            Chart(
                "service-level",
                "Service level per 15 minutes vs target",
                "lines",
                labels,
                [Series("Service level", levels)],
                unit="share",
                target=self._target.share,
                note=f"answered within {self._target.answer_seconds} s",
            ),
        ]

    def _answered_in_time(self, event: Event) -> bool:
        try:
            age = int(json.loads(event.event_data).get("task_age", "0"))
        except (ValueError, AttributeError):
            return False
        return age <= self._target.answer_seconds

    async def _planned(self, account_sid: str, workspace_sid: str, now: int) -> list[Chart]:
        """Today in half hours: the forecast (history and ad demand, per queue, summed)
        against the tasks that came, and the agents Erlang C requires against the workers
        who were in an available activity at each interval's start."""
        day_start = now - now % DAY_MS
        count = DAY_MS // (PLAN_INTERVAL * 1000)
        target = StaffingTarget(self._target.share, self._target.answer_seconds)
        forecast: list[float | None] = [0.0] * count
        required: list[float | None] = [0.0] * count
        async with self._svc.store.read() as unit:
            await access_workspace(unit, account_sid, workspace_sid)
            queues = await unit.values(TaskQueue, "sid", eq("workspace_sid", workspace_sid))
            arrived = await unit.values(
                Task,
                "date_created",
                eq("workspace_sid", workspace_sid),
                ge("date_created", day_start),
            )
        today = datetime.fromtimestamp(day_start / 1000, UTC).date()
        for queue_sid in sorted(queues):
            query = staffing.PlanQuery(
                workspace_sid, queue_sid, today, 1, PLAN_INTERVAL, self._handle_seconds, target
            )
            plan = await staffing.plan(self._attribution, account_sid, query)
            for i, row in enumerate(plan["intervals"][:count]):
                forecast[i] = (forecast[i] or 0.0) + row["forecast_contacts"]
                if row["forecast_contacts"] > 0:  # no contact expected: nobody required
                    required[i] = (required[i] or 0.0) + row["agents_required"]
        slots = _slots(day_start, PLAN_INTERVAL, count)
        labels = [_clock(at) for at in slots]
        actual = _bucket(arrived, day_start, PLAN_INTERVAL, count)
        current = (now - day_start) // (PLAN_INTERVAL * 1000)
        actual = [value if i <= current else None for i, value in enumerate(actual)]
        staffed = await self._staffed(workspace_sid, slots, now)
        return [
            Chart(
                "forecast",
                "Forecast vs actual contacts per half hour (today)",
                "lines",
                labels,
                [Series("Forecast", forecast), Series("Actual", actual)],
                unit="tasks",
            ),
            Chart(
                "staffing",
                "Agents required (Erlang C) vs staffed (today)",
                "lines",
                labels,
                [Series("Required", required), Series("Staffed", staffed)],
                unit="agents",
                note=f"AHT {self._handle_seconds:g} s, "
                f"{self._target.share:.0%} in {self._target.answer_seconds} s",
            ),
        ]

    async def _staffed(self, workspace_sid: str, slots: list[int], now: int) -> list[float | None]:
        """Workers in an available activity at each past slot's start: today's activity
        changes walked back from where every worker is now."""
        async with self._svc.store.read() as unit:
            workers = await unit.select(Worker, eq("workspace_sid", workspace_sid))
            available = {a.sid: a.available for a in await _activities(unit, workspace_sid)}
            changes = await unit.select(
                Event,
                eq("workspace_sid", workspace_sid),
                eq("event_type", "worker.activity.update"),
                ge("event_date", slots[0]),
                order=[desc("event_date")],
            )
        previous: dict[str, list[tuple[int, str]]] = {}
        for event in changes:  # newest first
            try:
                before = json.loads(event.event_data).get("worker_previous_activity_sid")
            except ValueError:
                continue
            if event.worker_sid and isinstance(before, str):
                previous.setdefault(event.worker_sid, []).append((event.event_date, before))
        staffed: list[float | None] = []
        for at in slots:
            if at > now:
                staffed.append(None)
                continue
            count = 0
            for worker in workers:
                activity = worker.activity_sid
                for when, before in previous.get(worker.sid, ()):  # newest first
                    if when > at:
                        activity = before
                    else:
                        break
                count += 1 if available.get(activity, False) and worker.date_created <= at else 0
            staffed.append(float(count))
        return staffed

    async def _campaigns(self, account_sid: str, now: int) -> list[Chart]:
        """CPA and ROI per campaign over the last 30 days, in the account's main currency
        (the one most spend and sales were recorded in)."""
        last = datetime.fromtimestamp(now / 1000, UTC).date()
        first = last - timedelta(days=REPORT_DAYS)
        currency = await self._main_currency(account_sid, first)
        query = campaign_reports.ReportQuery(
            "campaign", currency, first.isoformat(), last.isoformat()
        )
        rows = await campaign_reports.report(self._attribution, account_sid, query)
        labels = [str(row["campaign"]) for row in rows]
        cpa = [_money(row["cost_per_acquisition"]) for row in rows]
        roi = [row["roi"] for row in rows]
        days = f"{first.isoformat()} to {last.isoformat()}"
        return [
            Chart(
                "cpa",
                f"Cost per acquisition by campaign ({currency})",
                "bars",
                labels,
                [Series("CPA", cpa)],
                unit=currency,
                note=days,
            ),
            Chart(
                "roi",
                "Return on investment by campaign",
                "bars",
                labels,
                [Series("ROI", roi)],
                unit="ratio",
                note=days,
            ),
        ]

    async def _main_currency(self, account_sid: str, first: Date) -> str:
        async with self._attribution.store.read() as unit:
            spent = await unit.values(
                Spend, "currency", eq("account_sid", account_sid), ge("day", first.isoformat())
            )
            sold = await unit.values(
                AttributedContact,
                "currency",
                eq("account_sid", account_sid),
                eq("outcome", "sale"),
                ge("day", first.isoformat()),
            )
        seen = Counter(c for c in [*spent, *sold] if c)
        return seen.most_common(1)[0][0] if seen else self._currency


# --- the agent's desk over the conversations, attribution and channels pillars (issue 16) ---

from collections.abc import Callable  # noqa: E402

from switchboard.attribution.services import outcomes as attribution_outcomes  # noqa: E402
from switchboard.channels.domain import records as channel_records  # noqa: E402
from switchboard.channels.domain.voice import voice_setup  # noqa: E402
from switchboard.conversations.domain import records as cr  # noqa: E402
from switchboard.conversations.domain import routing as conversation_routing  # noqa: E402
from switchboard.conversations.domain.pov import Scope  # noqa: E402
from switchboard.conversations.services import access as conversation_access  # noqa: E402
from switchboard.conversations.services import backchannels, messages, sequences  # noqa: E402
from switchboard.conversations.services.context import Conversations  # noqa: E402
from switchboard.distribution.work.access import access_reservation  # noqa: E402
from switchboard.distribution.work.instructions import Target, run_media_instruction  # noqa: E402
from switchboard.distribution.work.reservations import (  # noqa: E402
    ReservationUpdate,
    update_reservation,
)
from switchboard.distribution.work.tasks import TaskUpdate, update_task  # noqa: E402
from switchboard.kernel.criteria import ne  # noqa: E402
from switchboard.kernel.errors import InvalidParameter, NotFound  # noqa: E402
from switchboard.web.ports import (  # noqa: E402
    CALL_ACTIONS,
    CASE_SORTS,
    OUTCOMES,
    CasePage,
    CaseQuery,
    CaseRow,
    ConversationView,
    HistoryRow,
    InvitationView,
    LineView,
    WrapUp,
    WrapUpDone,
)

CASE_LIMIT = 5000  # the newest cases a list sorts and filters in memory
LINES_SHOWN = 500  # the newest messages and notes a conversation view shows
HISTORY_LIMIT = 20  # the customer's newest earlier requests on the task canvas


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def worker_identity(worker: Worker) -> str:
    """The chat identity a worker answers as: the same rule as the request router's
    (`identity`, else `contact_uri` without `client:`, else the friendly name)."""
    attributes = _json_object(worker.attributes)
    uri = str(attributes.get("identity") or attributes.get("contact_uri") or "")
    return uri.removeprefix("client:") or worker.friendly_name


def _sort_key(sort: str) -> Any:
    keys: dict[str, Any] = {
        "case": lambda c: c.case_number,
        "customer": lambda c: c.customer.lower(),
        "subject": lambda c: c.subject.lower(),
        "status": lambda c: (c.status, c.case_number),
        "priority": lambda c: (c.priority if c.priority is not None else -1, c.case_number),
        "opened": lambda c: (c.opened_ms, c.case_number),
        "owner": lambda c: ((c.owner or "").lower(), c.case_number),
    }
    return keys[sort]


class PillarsDesk:
    """Implements :class:`switchboard.web.ports.Desk`: the worker's identity is the
    conversations point of view; wrap-up goes to the attribution pillar's outcome service,
    the conversation (notes) and the task; call control to the media adapter."""

    def __init__(
        self,
        services: Services,
        conversations: Conversations,
        attribution: Attribution,
    ) -> None:
        self._svc = services
        self._conv = conversations
        self._attribution = attribution

    # -- who ------------------------------------------------------------------------------

    async def _worker(self, account_sid: str, worker_sid: str) -> Worker:
        async with self._svc.store.read() as unit:
            worker = await unit.get(Worker, worker_sid)
            workspace = (
                None if worker is None else await unit.get(WorkspaceRecord, worker.workspace_sid)
            )
        if worker is None or workspace is None or workspace.account_sid != account_sid:
            raise NotFound(f"No worker {worker_sid} in this account")
        return worker

    async def identity(self, account_sid: str, worker_sid: str) -> str:
        return worker_identity(await self._worker(account_sid, worker_sid))

    async def _scope(self, account_sid: str, worker_sid: str) -> tuple[str, Scope]:
        identity = await self.identity(account_sid, worker_sid)
        async with self._conv.store.read() as unit:
            viewer = await conversation_access.viewer_of(unit, account_sid, identity)
            scope = await conversation_access.scope_for(unit, account_sid, viewer)
        return identity, scope

    # -- cases ----------------------------------------------------------------------------

    async def cases(self, account_sid: str, worker_sid: str, query: CaseQuery) -> CasePage:
        if query.sort not in CASE_SORTS:
            raise InvalidParameter(f"Invalid Sort: one of {', '.join(CASE_SORTS)}")
        _identity, scope = await self._scope(account_sid, worker_sid)
        async with self._conv.store.read() as unit:
            # a case shows through its own threads only: a backchannel tells its members
            # nothing of its parent, not even the case's subject
            mine = await unit.select(cr.Interaction, *scope.interaction_criteria())
            visible = (
                None
                if scope.everything
                else sorted({i.sequence_sid for i in mine if i.sequence_sid and not i.parent_sid})
            )
            side = [Named(i.sid, i.friendly_name or i.sid) for i in mine if i.parent_sid]
            where = [eq("account_sid", account_sid)]
            if visible is not None:
                where.append(isin("sid", visible))
            if query.status:
                where.append(eq("state", query.status))
            rows = await unit.select(
                cr.Sequence, *where, order=[desc("case_number")], limit=CASE_LIMIT
            )
            rows = [s for s in rows if s.merged_into_sid is None]
            seq_sids = [s.sid for s in rows]
            relations = await unit.select(
                cr.OuterConversation, isin("sid", sorted({s.conversation_sid for s in rows}))
            )
            threads = await unit.select(
                cr.Interaction,
                isin("sequence_sid", seq_sids),
                eq("parent_sid", None),
                *scope.interaction_criteria(),
                order=[asc("date_created")],
            )
            requests = await unit.select(
                conversation_routing.Request,
                eq("account_sid", account_sid),
                isin("sequence_sid", seq_sids),
                order=[desc("date_created")],
            )
        customers = {c.sid: c.friendly_name or c.outside_party for c in relations}
        way_in: dict[str, str] = {}
        for thread in threads:  # the case's first thread the agent takes part in
            if thread.sequence_sid is not None:
                way_in.setdefault(thread.sequence_sid, thread.sid)
        task_of: dict[str, str] = {}
        for request in requests:
            if request.task_sid:
                task_of.setdefault(request.sequence_sid, request.task_sid)
        priorities = await self._priorities(sorted(set(task_of.values())))
        found = [
            CaseRow(
                sid=s.sid,
                case_number=s.case_number,
                customer=s.primary_participant or customers.get(s.conversation_sid, ""),
                subject=s.subject,
                status=s.state,
                priority=priorities.get(task_of.get(s.sid, "")),
                opened_ms=s.date_opened,
                owner=s.owner,
                interaction_sid=way_in.get(s.sid),
            )
            for s in rows
        ]
        text = query.text.strip().lower()
        if text:
            found = [
                c
                for c in found
                if text in c.customer.lower()
                or text in c.subject.lower()
                or text in (c.owner or "").lower()
                or text == str(c.case_number)
            ]
        found.sort(key=_sort_key(query.sort), reverse=query.descending)
        per_page = max(1, min(query.per_page, 100))
        pages = max(1, -(-len(found) // per_page))
        page = max(1, min(query.page, pages))
        shown = found[(page - 1) * per_page : page * per_page]
        return CasePage(shown, len(found), page, pages, list(sequences.SEQUENCE_STATES), side)

    async def _priorities(self, task_sids: list[str]) -> dict[str, int]:
        if not task_sids:
            return {}
        async with self._svc.store.read() as unit:
            tasks = await unit.select(Task, isin("sid", task_sids))
        return {t.sid: t.priority for t in tasks}

    # -- conversations ----------------------------------------------------------------------

    async def invitations(self, account_sid: str, worker_sid: str) -> list[InvitationView]:
        identity = await self.identity(account_sid, worker_sid)
        now = self._conv.clock.now_ms()
        async with self._conv.store.read() as unit:
            rows = await unit.select(
                cr.Invitation,
                eq("account_sid", account_sid),
                eq("identity", identity),
                eq("status", "pending"),
                order=[asc("date_created")],
            )
            rows = [i for i in rows if i.expires_at > now]
            threads = await unit.select(
                cr.Interaction, isin("sid", sorted({i.interaction_sid for i in rows}))
            )
        names = {t.sid: t.friendly_name or t.sid for t in threads}
        return [
            InvitationView(i.sid, i.interaction_sid, names.get(i.interaction_sid, "")) for i in rows
        ]

    async def conversation(
        self, account_sid: str, worker_sid: str, interaction_sid: str
    ) -> ConversationView:
        identity, scope = await self._scope(account_sid, worker_sid)
        async with self._conv.store.read() as unit:
            thread = await conversation_access.access_interaction(
                unit, account_sid, scope, interaction_sid
            )
            rows = await unit.select(
                cr.Message,
                *scope.message_criteria(thread.sid),
                order=[desc("index")],
                limit=LINES_SHOWN,
            )
            members = await unit.select(
                cr.Participant, eq("interaction_sid", thread.sid), order=[asc("date_created")]
            )
            children = await unit.select(
                cr.Interaction,
                eq("parent_sid", thread.sid),
                *scope.interaction_criteria(),
                order=[asc("date_created")],
            )
            # a backchannel's members learn nothing of its parent unless they see it too
            parent_seen = thread.parent_sid is None or scope.sees_interaction(thread.parent_sid)
            case = (
                await unit.get(cr.Sequence, thread.sequence_sid)
                if thread.sequence_sid and parent_seen
                else None
            )
        lines = [
            LineView(
                index=m.index,
                kind=m.kind,
                author=m.author,
                body=messages.body_of(self._conv, thread, m) or "",
                date_ms=m.date_created,
                mine=m.author == identity,
            )
            for m in reversed(rows)
        ]
        customer = next((p.address for p in members if p.address), None)
        mine = [
            i
            for i in await self.invitations(account_sid, worker_sid)
            if i.interaction_sid == thread.sid
        ]
        return ConversationView(
            sid=thread.sid,
            friendly_name=thread.friendly_name or thread.sid,
            identity=identity,
            case_number=case.case_number if case is not None else None,
            subject=case.subject if case is not None else None,
            customer=customer,
            parent_sid=thread.parent_sid if parent_seen else None,
            lines=lines,
            participants=[p.identity or p.address or "?" for p in members],
            backchannels=[Named(c.sid, c.friendly_name or c.sid) for c in children],
            invitations=mine,
            backchannel=thread.parent_sid is not None,
        )

    async def _post(
        self, account_sid: str, worker_sid: str, interaction_sid: str, body: str, kind: str
    ) -> None:
        text = body.strip()
        if not text:
            raise InvalidParameter("Write something first")
        identity, scope = await self._scope(account_sid, worker_sid)
        create = messages.MessageCreate(author=identity, body=text, kind=kind)
        # the channels pillar hears the message on the conversations bus and sends it to
        # each outside participant through the channel the customer wrote on
        await messages.post_message(self._conv, account_sid, scope, interaction_sid, create)

    async def reply(
        self, account_sid: str, worker_sid: str, interaction_sid: str, body: str
    ) -> None:
        await self._post(account_sid, worker_sid, interaction_sid, body, "message")

    async def note(
        self, account_sid: str, worker_sid: str, interaction_sid: str, body: str
    ) -> None:
        await self._post(account_sid, worker_sid, interaction_sid, body, "note")

    async def colleagues(self, account_sid: str, worker_sid: str) -> list[Named]:
        worker = await self._worker(account_sid, worker_sid)
        async with self._svc.store.read() as unit:
            rows = await unit.select(
                Worker,
                eq("workspace_sid", worker.workspace_sid),
                ne("sid", worker.sid),
                order=[asc("name_key")],
            )
        return [Named(worker_identity(w), w.friendly_name) for w in rows]

    async def _colleague(self, account_sid: str, worker_sid: str, colleague: str) -> str:
        known = {c.sid for c in await self.colleagues(account_sid, worker_sid)}
        if colleague not in known:
            raise InvalidParameter("Choose a colleague of your workspace")
        return colleague

    async def backchannel(
        self, account_sid: str, worker_sid: str, interaction_sid: str, colleague: str
    ) -> str:
        identity, scope = await self._scope(account_sid, worker_sid)
        chosen = await self._colleague(account_sid, worker_sid, colleague)
        async with self._conv.store.read() as unit:
            thread = await conversation_access.access_interaction(
                unit, account_sid, scope, interaction_sid
            )
            others = await unit.values(
                cr.Participant, "identity", eq("interaction_sid", thread.sid)
            )
        name = f"Backchannel: {identity} and {chosen}"  # nothing of the parent in it
        # only the agent and the colleague: the parent's other members are left out, and
        # the customer (an address, no identity) never joins a backchannel
        exclude = [i for i in others if i and i != identity]
        params = backchannels.Backchannel(
            exclude=exclude, include=[identity, chosen], friendly_name=name[:256]
        )
        row = await backchannels.start_backchannel(
            self._conv, account_sid, scope, thread.sid, params
        )
        return row.sid

    async def invite(
        self, account_sid: str, worker_sid: str, interaction_sid: str, colleague: str
    ) -> None:
        _identity, scope = await self._scope(account_sid, worker_sid)
        chosen = await self._colleague(account_sid, worker_sid, colleague)
        await sequences.invite(self._conv, account_sid, scope, interaction_sid, chosen, None)

    async def answer_invitation(
        self,
        account_sid: str,
        worker_sid: str,
        interaction_sid: str,
        invitation_sid: str,
        accept: bool,
    ) -> None:
        identity = await self.identity(account_sid, worker_sid)
        async with self._conv.store.read() as unit:
            viewer = await conversation_access.viewer_of(unit, account_sid, identity)
        viewer = type(viewer)(identity=identity, admin=False, sees_as=viewer.sees_as)
        answer = "accepted" if accept else "rejected"
        await sequences.answer_invitation(
            self._conv, account_sid, viewer, interaction_sid, invitation_sid, answer
        )

    # -- wrap-up --------------------------------------------------------------------------

    async def _reservation(
        self, account_sid: str, worker_sid: str, reservation_sid: str
    ) -> tuple[Worker, Reservation, Task]:
        worker = await self._worker(account_sid, worker_sid)
        async with self._svc.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, worker.workspace_sid)
            reservation = await access_reservation(unit, workspace, reservation_sid)
            task = await unit.get(Task, reservation.task_sid)
        if reservation.worker_sid != worker_sid or task is None:
            raise NotFound(f"The requested resource /Reservations/{reservation_sid} was not found")
        return worker, reservation, task

    async def customer_history(
        self, account_sid: str, worker_sid: str, reservation_sid: str
    ) -> list[HistoryRow]:
        _worker, _reservation, task = await self._reservation(
            account_sid, worker_sid, reservation_sid
        )
        attributes = _json_object(task.attributes)
        customer, where = attributes.get("customer"), attributes.get("conversations")
        relationship = customer.get("relationship") if isinstance(customer, dict) else None
        current = where.get("sequence_sid") if isinstance(where, dict) else None
        if not isinstance(relationship, str):
            return []
        _identity, scope = await self._scope(account_sid, worker_sid)
        async with self._conv.store.read() as unit:
            earlier = await unit.select(
                conversation_routing.Request,
                eq("account_sid", account_sid),
                eq("conversation_sid", relationship),
                order=[desc("date_created")],
                limit=HISTORY_LIMIT + 1,
            )
            earlier = [r for r in earlier if r.sequence_sid != current][:HISTORY_LIMIT]
            if not earlier:
                return []
            cases = await unit.select(cr.Sequence, isin("sid", [r.sequence_sid for r in earlier]))
            # as on the case list: a case shows through the agent's own threads of it only
            threads = await unit.select(
                cr.Interaction,
                isin("sequence_sid", [r.sequence_sid for r in earlier]),
                eq("parent_sid", None),
                *scope.interaction_criteria(),
                order=[asc("date_created")],
            )
        by_sid = {c.sid: c for c in cases}
        way_in: dict[str, str] = {}
        for thread in threads:
            if thread.sequence_sid is not None:
                way_in.setdefault(thread.sequence_sid, thread.sid)
        rows = []
        for r in earlier:
            case = by_sid.get(r.sequence_sid)
            shown = r.sequence_sid in way_in
            rows.append(
                HistoryRow(
                    case_number=case.case_number if case is not None else None,
                    category=r.category,
                    status=r.status,
                    opened_ms=r.date_created,
                    closed_ms=r.date_retired,
                    member=r.member,
                    rating=r.rating,
                    subject=case.subject if shown and case is not None else None,
                    interaction_sid=way_in.get(r.sequence_sid),
                )
            )
        return rows

    async def wrap_up(
        self, account_sid: str, worker_sid: str, reservation_sid: str, wrap: WrapUp
    ) -> WrapUpDone:
        if wrap.outcome not in OUTCOMES:
            raise InvalidParameter(f"Invalid Outcome: one of {', '.join(OUTCOMES)}")
        worker, reservation, task = await self._reservation(
            account_sid, worker_sid, reservation_sid
        )
        if reservation.status not in ("accepted", "wrapping"):
            raise Conflict(f"Reservation {reservation.sid} is {reservation.status}")
        fields = attribution_outcomes.OutcomeFields(
            outcome=wrap.outcome,
            revenue=wrap.revenue if wrap.outcome == "sale" else None,
            currency=(wrap.currency or "USD") if wrap.outcome == "sale" else None,
        )
        money = attribution_outcomes.checked_revenue(fields)  # 400 before anything is stored
        attributed = True
        try:
            await attribution_outcomes.record_outcome(
                self._attribution, account_sid, task.sid, fields
            )
        except NotFound:
            attributed = False  # the task came from no ad: the task keeps the outcome alone
        attributes = _json_object(task.attributes)
        attributes["wrapup"] = {
            "outcome": wrap.outcome,
            **({"revenue": wrap.revenue, "currency": money[1]} if wrap.outcome == "sale" else {}),
            **({"notes": wrap.notes} if wrap.notes else {}),
            "worker_sid": worker.sid,
        }
        await update_task(
            self._svc,
            account_sid,
            worker.workspace_sid,
            task.sid,
            TaskUpdate(attributes=json.dumps(attributes)),
        )
        noted = False
        thread = (attributes.get("conversations") or {}).get("interaction_sid")
        if wrap.notes.strip() and isinstance(thread, str):
            summary = f"Wrap-up: {wrap.outcome.replace('_', ' ')}. {wrap.notes.strip()}"
            await self.note(account_sid, worker_sid, thread, summary)
            noted = True
        update = ReservationUpdate(reservation_status="completed")
        await update_reservation(
            self._svc, account_sid, worker.workspace_sid, reservation.sid, update,
            worker_sid=worker.sid,
        )  # fmt: skip
        return WrapUpDone(task.sid, wrap.outcome, attributed, noted)

    # -- call control -----------------------------------------------------------------------

    async def call_control(
        self,
        account_sid: str,
        worker_sid: str,
        reservation_sid: str,
        action: str,
        colleague: str | None = None,
    ) -> str:
        if action not in CALL_ACTIONS:
            raise InvalidParameter(f"Invalid Action: one of {', '.join(CALL_ACTIONS)}")
        worker, reservation, task = await self._reservation(
            account_sid, worker_sid, reservation_sid
        )
        attributes = _json_object(task.attributes)
        call_sid = attributes.get("call_sid")
        if not isinstance(call_sid, str) or not call_sid:
            raise Conflict("This task holds no call")
        params: dict[str, str] = {}
        instruction = "dequeue" if action == "accept" else action
        if action == "hold":
            params["url"] = await self._hold_music(call_sid)
        elif action == "transfer":
            params["to"] = await self._contact_of(account_sid, worker, colleague)
        target = Target(account_sid, worker.workspace_sid, reservation.sid, worker_sid=worker.sid)
        await run_media_instruction(self._svc, target, instruction, params)
        async with self._svc.store.read() as unit:
            events = await unit.select(
                Event,
                eq("reservation_sid", reservation.sid),
                eq("event_type", "reservation.instruction"),
                order=[desc("seq")],
                limit=1,
            )
        data = _json_object(events[0].event_data) if events else {}
        outcome = str(data.get("instruction_result") or "failed")
        if outcome != "succeeded":
            detail = _json_object(str(data.get("instruction_detail") or "{}"))
            return f"failed: {detail.get('error', 'the media adapter refused')}"
        return outcome

    def follow(
        self, account_sid: str, interaction_sid: str, changed: Callable[[], None]
    ) -> Callable[[], None]:
        def on_event(event: dict[str, Any]) -> None:
            if (
                event.get("account_sid") == account_sid
                and event.get("conversation_sid") == interaction_sid
            ):
                changed()

        return self._conv.bus.subscribe(on_event)

    async def _hold_music(self, call_sid: str) -> str:
        """The music of the number the caller rang (the channels pillar's voice setup)."""
        async with self._svc.store.read() as unit:
            contact = await unit.first(
                channel_records.InboundContact,
                eq("channel", channel_records.VOICE),
                eq("external_id", call_sid),
            )
            address = (
                None
                if contact is None
                else await unit.get(channel_records.ChannelAddress, contact.address_sid)
            )
        setup = voice_setup(address.attributes if address is not None else "{}")
        return setup.hold_music_url

    async def _contact_of(self, account_sid: str, worker: Worker, colleague: str | None) -> str:
        async with self._svc.store.read() as unit:
            other = await unit.get(Worker, colleague) if colleague else None
        if other is None or other.workspace_sid != worker.workspace_sid or other.sid == worker.sid:
            raise InvalidParameter("Choose a colleague of your workspace to transfer to")
        uri = _json_object(other.attributes).get("contact_uri")
        if not isinstance(uri, str) or not uri:
            raise Conflict(f"{other.friendly_name} has no contact_uri to transfer the call to")
        return uri
