"""Routing of a request (issue 19): an inbound message becomes a case, an interaction and
a TaskRouter task; the clocks around it (business hours, queue feedback, inactivity,
SLA) run in one sweep; the rating closes it.

The pillar never imports the distribution pillar: tasks are opened through the kernel's
`TaskIntake` port, and reservations come back as TaskRouter's public event dicts on the
distribution bus, which the composition root subscribes `on_distribution_event` to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain import routing as rt
from switchboard.conversations.domain.hours import Hours
from switchboard.conversations.domain.pov import EVERYTHING
from switchboard.conversations.services import (
    classifier,
    interactions,
    messages,
    participants,
    request_clocks,
    sequences,
)
from switchboard.conversations.services.context import Conversations
from switchboard.kernel import sids
from switchboard.kernel.clock import Timer
from switchboard.kernel.criteria import asc, desc, eq, isin, not_null
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.kernel.ports import RoutingOwnership, TaskIntake, Unit

log = logging.getLogger(__name__)
SYSTEM = "system"
RATING = re.compile(r"^\s*([1-5])(?:\s*/\s*5)?\b\s*[-:,.]?\s*(.*)$", re.DOTALL)
RATING_WINDOW_MS = 24 * 3_600_000
RECENT_HANDLED = 20
# the lowest average handling time of a category: its last requests, and the fastest members
CATEGORY_HISTORY = 500
FASTEST_MEMBERS = 20  # 20 x ~45 characters: well inside the 4096 of task attributes
SUBJECT = 200  # a case's subject: the start of its first message (the classifier reads it)


@dataclass(frozen=True)
class ProfileFields:
    workspace_sid: str
    proxy_address: str
    workflow_sid: str | None = None
    task_channel: str | None = None
    hours: str = ""
    rules: str = "[]"
    default_category: str | None = None
    messages: str = "{}"
    feedback_every_ms: int = 60_000
    inactive_ms: int = 600_000
    retire_factor: int = 3
    first_response_ms: int | None = None
    next_response_ms: int | None = None
    classifier_threshold: float | None = None  # None: no classifier
    max_wait_ms: int | None = None  # None: no maximum wait


@dataclass(frozen=True)
class Inbound:
    organization: str
    address: str
    body: str
    channel: str = "chat"
    # the organization's carrier address the customer wrote to (a channel's number,
    # mailbox or widget): replies leave through it; None: the profile's proxy address
    proxy_address: str | None = None
    attributes: str | None = None  # the message's JSON attributes (carrier ids, media)
    subject: str | None = None  # the case's subject when the channel has one (an email's)


def check_profile(p: ProfileFields) -> None:
    """Everything a profile holds is validated when it is saved, never at routing time."""
    if p.hours:
        raw = json.loads(p.hours)
        if not isinstance(raw, dict):
            raise InvalidParameter("Invalid Hours: a JSON object")
        Hours.parse(raw)
        teams = raw.get("teams") or {}
        if not isinstance(teams, dict):
            raise InvalidParameter("Invalid Hours: teams maps a team to its hours")
        for team in teams.values():
            Hours.parse(team)
    rt.parse_rules(json.loads(p.rules))
    texts = json.loads(p.messages)
    if not isinstance(texts, dict) or set(texts) - set(rt.MESSAGES):
        raise InvalidParameter(f"Invalid Messages: keys among {', '.join(rt.MESSAGES)}")
    if p.classifier_threshold is not None and not 0.0 <= p.classifier_threshold <= 1.0:
        raise InvalidParameter("Invalid ClassifierThreshold: a number from 0 to 1")
    if p.retire_factor < 2:
        raise InvalidParameter("Invalid RetireFactor: at least 2")


def _texts(profile: rt.RoutingProfile) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(profile.messages)
    return loaded


def may_be_a_requests_task(event_data: Mapping[str, Any]) -> bool:
    """Whether the event's task may be a request's: a request's task carries a
    `conversations` attribute (`_attributes`), so a task whose attributes plainly lack
    the key needs no lookup (one read per accepted task saved). Attributes that escape
    characters (the key could be spelt with escapes) or that the event does not carry
    are looked up."""
    text = event_data.get("task_attributes")
    if not isinstance(text, str):
        return True
    return '"conversations"' in text or "\\u" in text


def _identity_of(event_data: Mapping[str, Any]) -> str:
    """The chat identity a worker answers as: `contact_uri` (client:name) or `identity`
    in its attributes, else its friendly name."""
    try:
        attributes = json.loads(event_data.get("worker_attributes") or "{}")
    except ValueError:
        attributes = {}
    uri = str(attributes.get("identity") or attributes.get("contact_uri") or "")
    return uri.removeprefix("client:") or str(event_data.get("worker_name"))


@dataclass
class _Held:
    """A customer's lock and how many of their messages use it (dropped at zero)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass
class Router:
    """The routing use cases over the pillar's services and the task intake port."""

    svc: Conversations
    intake: TaskIntake
    # the sweep runs for the workspaces this process routes (None: every workspace)
    ownership: RoutingOwnership | None = None
    tick_ms: int = 5_000
    _timer: Timer | None = None
    _due: bool = False
    _sweeping: asyncio.Lock = field(default_factory=asyncio.Lock)
    _customers: dict[tuple[str, str, str], _Held] = field(default_factory=dict)
    _models: dict[tuple[str, str], classifier.Classifier] = field(default_factory=dict)

    # -- configuration -------------------------------------------------------------------

    async def configure(
        self, account_sid: str, organization: str, p: ProfileFields
    ) -> rt.RoutingProfile:
        check_profile(p)
        try:
            await self.intake.check_route(
                account_sid, p.workspace_sid, p.workflow_sid, p.task_channel
            )
        except NotFound:  # the same answer whether it is missing or another account's
            raise NotFound("The WorkspaceSid, WorkflowSid or TaskChannel was not found") from None
        now = self.svc.clock.now_ms()
        async with self.svc.store.transaction(f"routing:{account_sid}") as unit:
            row = await self.profile(unit, account_sid, organization, required=False)
            if row is None:
                row = rt.RoutingProfile(
                    sids.new_sid(rt.PROFILE), account_sid, organization, **_fields(p),
                    date_created=now, date_updated=now,
                )  # fmt: skip
                unit.add(row)
            else:
                for name, value in _fields(p).items():
                    setattr(row, name, value)
                row.date_updated = now
        self.arm()
        return row

    async def profile(
        self, unit: Unit, account_sid: str, organization: str, *, required: bool = True
    ) -> rt.RoutingProfile | None:
        found = await unit.first(
            rt.RoutingProfile, eq("account_sid", account_sid), eq("organization", organization)
        )
        if found is None and required:
            raise NotFound(f"The organization {organization} has no routing profile")
        return found

    # -- inbound -------------------------------------------------------------------------

    async def inbound(self, account_sid: str, message: Inbound) -> rt.Request:
        """A customer's message: a follow-up of their open request, a rating of the one
        just retired, or a new request."""
        request, _message_sid = await self.receive(account_sid, message)
        return request

    async def receive(self, account_sid: str, message: Inbound) -> tuple[rt.Request, str]:
        """:meth:`inbound`, also returning the sid of the customer's message (a channel
        records which message a carrier's contact became)."""
        if not message.body.strip():
            raise InvalidParameter("Missing required parameter Body in the post body")
        self.arm()
        key = (account_sid, message.organization, message.address)
        held = self._customers.setdefault(key, _Held())
        held.users += 1
        try:
            async with held.lock:  # one message of a customer at a time (no twin requests)
                return await self._inbound(account_sid, message)
        finally:
            held.users -= 1
            if held.users == 0:
                del self._customers[key]

    async def _inbound(self, account_sid: str, message: Inbound) -> tuple[rt.Request, str]:
        async with self.svc.store.read() as unit:
            profile = await self.profile(unit, account_sid, message.organization)
            assert profile is not None
            relationship = await unit.first(
                r.OuterConversation,
                eq("account_sid", account_sid),
                eq("organization", message.organization),
                eq("outside_party", message.address),
            )
            last = None
            if relationship is not None:
                last = await unit.first(
                    rt.Request,
                    eq("account_sid", account_sid),
                    eq("conversation_sid", relationship.sid),
                    order=[desc("date_created")],
                )
        if last is not None and last.status in rt.OPEN_STATUSES:
            return await self._follow_up(last, message)
        if last is not None and self._awaits_rating(last) and RATING.match(message.body):
            return await self._rate_from_message(last, message)
        if relationship is None:
            create = sequences.RelationshipCreate(message.organization, message.address)
            relationship = await sequences.create_relationship(self.svc, account_sid, create)
        return await self._new_request(profile, relationship, message)

    def _awaits_rating(self, last: rt.Request) -> bool:
        now = self.svc.clock.now_ms()
        retired = last.date_retired or 0
        return (
            last.status == rt.RETIRED and last.rating is None and now - retired < RATING_WINDOW_MS
        )

    async def _new_request(
        self, profile: rt.RoutingProfile, relationship: r.OuterConversation, message: Inbound
    ) -> tuple[rt.Request, str]:
        account_sid = profile.account_sid
        category, team, source = await self._categorize(profile, message)
        subject = " ".join((message.subject or message.body).split())[:SUBJECT]
        fields = sequences.SequenceFields(
            subject=subject, category=category, primary_participant=message.address
        )
        sequence = await sequences.open_sequence(self.svc, account_sid, relationship.sid, fields)
        create = interactions.InteractionCreate(
            friendly_name=f"Case {sequence.case_number}", sequence_sid=sequence.sid
        )
        interaction = await interactions.create_interaction(self.svc, account_sid, create)
        await participants.add_participant(
            self.svc,
            account_sid,
            EVERYTHING,
            interaction.sid,
            participants.ParticipantCreate(
                address=message.address,
                proxy_address=message.proxy_address or profile.proxy_address,
            ),
        )
        said = await self._customer_says(interaction.sid, account_sid, message)
        now = self.svc.clock.now_ms()
        request = rt.Request(
            sid=sids.new_sid(rt.REQUEST),
            account_sid=account_sid,
            organization=profile.organization,
            conversation_sid=relationship.sid,
            sequence_sid=sequence.sid,
            interaction_sid=interaction.sid,
            customer=message.address,
            channel=message.channel,
            category=category,
            category_source=source,
            team=team,
            status=rt.QUEUED,
            task_sid=None,
            worker_sid=None,
            member=None,
            opens_at=None,
            last_customer_at=now,
            last_member_at=None,
            awaiting_since=now,
            first_response_at=None,
            last_feedback_at=None,
            breaches="[]",
            escalations="[]",
            rating=None,
            comment=None,
            date_assigned=None,
            date_retired=None,
            date_created=now,
            date_updated=now,
        )
        hours = rt.hours_of(profile, team)
        opens = hours.next_opening(now)
        if opens != now:
            request.status, request.opens_at = rt.AFTER_HOURS, opens
            when = hours.local_text(opens) if opens is not None else "later"
            text = rt.render(_texts(profile), "after_hours", opens=when)
            async with self.svc.store.transaction() as unit:
                unit.add(request)
            await self._say(interaction.sid, account_sid, SYSTEM, text)
            return request, said
        async with self.svc.store.transaction() as unit:
            unit.add(request)
        return await self._queue(profile, request), said

    async def _categorize(
        self, profile: rt.RoutingProfile, message: Inbound
    ) -> tuple[str | None, str | None, str]:
        """Rules first; then the classifier when it is sure enough; else the default."""
        rules = rt.parse_rules(json.loads(profile.rules))
        for rule in rules:
            if rule.matches(message.body, message.channel):
                return rule.category, rule.team, "rule"
        if profile.classifier_threshold is not None:
            model = await self._classifier(profile)
            guess = model.guess(message.body) if model is not None else None
            if guess is not None and guess.confidence >= profile.classifier_threshold:
                team = next((x.team for x in rules if x.category == guess.category), None)
                return guess.category, team, "classifier"
        return profile.default_category, None, "default"

    async def _classifier(self, profile: rt.RoutingProfile) -> classifier.Classifier | None:
        """The organization's model, retrained once its history grew by a tenth (or 10)."""
        key = (profile.account_sid, profile.organization)
        texts, labels = await self._history(profile)
        model = self._models.get(key)
        if model is None or len(texts) - model.size >= max(10, model.size // 10):
            model = await asyncio.to_thread(classifier.train, texts, labels)
            if model is None:
                return None
            self._models[key] = model
        return model

    async def _history(self, profile: rt.RoutingProfile) -> tuple[list[str], list[str]]:
        """The organization's newest categorized cases, oldest first: their subject and
        the category they carry (set by routing, or by a member on the case)."""
        async with self.svc.store.read() as unit:
            customers = await unit.select(
                r.OuterConversation,
                eq("account_sid", profile.account_sid),
                eq("organization", profile.organization),
                order=[desc("date_created")],
                limit=classifier.MAX_EXAMPLES,
            )
            rows = await unit.select(
                r.Sequence,
                isin("conversation_sid", [c.sid for c in customers]),
                not_null("category"),
                order=[desc("date_created")],
                limit=classifier.MAX_EXAMPLES,
            )
        rows.reverse()
        return [row.subject for row in rows], [str(row.category) for row in rows]

    async def _follow_up(self, request: rt.Request, message: Inbound) -> tuple[rt.Request, str]:
        said = await self._customer_says(request.interaction_sid, request.account_sid, message)
        now = self.svc.clock.now_ms()
        async with self.svc.store.transaction() as unit:
            row = await unit.get(rt.Request, request.sid)
            assert row is not None
            row.last_customer_at = now
            if row.awaiting_since is None:
                row.awaiting_since = now
            if row.status == rt.PENDING:
                row.status = rt.ASSIGNED
            row.date_updated = now
        if request.status == rt.PENDING:
            await self._sequence_state(request, "open")
        return row, said

    # -- queueing and feedback -------------------------------------------------------------

    async def _attributes(self, profile: rt.RoutingProfile, request: rt.Request) -> dict[str, Any]:
        """What the task carries: channel, customer, category, history, and where the
        conversation is (so the worker joins the right interaction)."""
        async with self.svc.store.read() as unit:
            earlier = await unit.select(
                rt.Request,
                eq("account_sid", request.account_sid),
                eq("conversation_sid", request.conversation_sid),
                eq("status", rt.RETIRED),
                order=[desc("date_created")],
                limit=10,
            )
        served = next((e for e in earlier if e.worker_sid), None)
        handling = await self.handling_times(
            request.account_sid, request.organization, request.category
        )
        attributes: dict[str, Any] = {
            "channel": request.channel,
            "customer": {"address": request.customer, "relationship": request.conversation_sid},
            "category": request.category,
            "team": request.team,
            "history": {
                "requests": len(earlier),
                "last_category": earlier[0].category if earlier else None,
                "last_rating": next((e.rating for e in earlier if e.rating), None),
            },
            # each member's average handling time of this category (worker sid -> ms), for
            # a workflow target {"strategy": "lowest_average_handling_time",
            # "handling_times": "task.handling.by_worker"}
            "handling": {"category": request.category, "by_worker": handling},
            "conversations": {
                "organization": profile.organization,
                "request_sid": request.sid,
                "interaction_sid": request.interaction_sid,
                "sequence_sid": request.sequence_sid,
            },
        }
        if served is not None:
            # TaskRouter's known-worker routing: a target with
            # "known_worker_sid": "task.previous_worker_sid"
            attributes["previous_worker_sid"] = served.worker_sid
            attributes["previous_member"] = served.member
        return attributes

    async def _queue(
        self,
        profile: rt.RoutingProfile,
        request: rt.Request,
        escalation: Mapping[str, Any] | None = None,
    ) -> rt.Request:
        """Open the request's task (a new one when escalated) and tell the customer."""
        attributes = await self._attributes(profile, request)
        if escalation is not None:
            attributes["escalation"] = dict(escalation)
        task_sid = await self.intake.open_task(
            request.account_sid,
            profile.workspace_sid,
            attributes,
            workflow_sid=profile.workflow_sid,
            task_channel=profile.task_channel,
        )
        now = self.svc.clock.now_ms()
        async with self.svc.store.transaction() as unit:
            row = await unit.get(rt.Request, request.sid)
            assert row is not None
            row.task_sid = task_sid
            row.opens_at = None
            if row.status in (rt.AFTER_HOURS, rt.QUEUED) or escalation is not None:
                row.status = rt.QUEUED
            row.date_updated = now
        texts = _texts(profile)
        key = "acknowledgement" if escalation is None else "escalated"
        await self._say(row.interaction_sid, row.account_sid, SYSTEM, rt.render(texts, key))
        if row.status == rt.QUEUED:
            await self._feedback(profile, row)
        return row

    async def handling_times(
        self, account_sid: str, organization: str, category: str | None
    ) -> dict[str, int]:
        """Each member's average handling time (assigned → retired, ms) over the last
        `CATEGORY_HISTORY` retired requests of the category, the fastest `FASTEST_MEMBERS`
        of them, by worker sid. Escalated requests are left out: their assignment
        instant is the first member's, their worker the last one. Empty when the
        category has no history: the workflow falls back to the fewest open tasks."""
        if category is None:
            return {}
        async with self.svc.store.read() as unit:
            rows = await unit.select(
                rt.Request,
                eq("account_sid", account_sid),
                eq("organization", organization),
                eq("category", category),
                eq("status", rt.RETIRED),
                not_null("date_retired"),
                order=[desc("date_retired")],
                limit=CATEGORY_HISTORY,
            )
        return rt.average_handling(rows, FASTEST_MEMBERS)

    async def queue_position(self, request: rt.Request) -> tuple[int, int | None]:
        """Its place among the organization's queued requests, and the expected wait
        from the recent handling times (assignment → retirement)."""
        async with self.svc.store.read() as unit:
            ahead = await unit.values(
                rt.Request,
                "date_created",
                eq("account_sid", request.account_sid),
                eq("organization", request.organization),
                eq("status", rt.QUEUED),
            )
            handled = await unit.select(
                rt.Request,
                eq("account_sid", request.account_sid),
                eq("organization", request.organization),
                not_null("date_assigned"),
                not_null("date_retired"),
                order=[desc("date_retired")],
                limit=RECENT_HANDLED,
            )
        position = 1 + sum(1 for created in ahead if created < request.date_created)
        times = [
            h.date_retired - h.date_assigned for h in handled if h.date_retired and h.date_assigned
        ]
        return position, rt.eta_ms(position, times)

    async def _feedback(self, profile: rt.RoutingProfile, request: rt.Request) -> None:
        position, eta = await self.queue_position(request)
        minutes = "?" if eta is None else max(1, round(eta / 60_000))
        text = rt.render(_texts(profile), "queue", position=position, minutes=minutes)
        async with self.svc.store.transaction() as unit:
            row = await unit.get(rt.Request, request.sid)
            assert row is not None
            row.last_feedback_at = self.svc.clock.now_ms()
        await self._say(request.interaction_sid, request.account_sid, SYSTEM, text)

    # -- the distribution pillar's events --------------------------------------------------

    async def on_distribution_event(self, event: Mapping[str, Any]) -> None:
        """A reservation accepted for a request's task: the worker joins the interaction."""
        if event.get("event_type") != "reservation.accepted" or not event.get("task_sid"):
            return
        if not may_be_a_requests_task(event.get("event_data") or {}):
            return
        async with self.svc.store.read(short=True) as unit:
            request = await unit.first(
                rt.Request,
                eq("account_sid", event.get("account_sid")),
                eq("task_sid", event["task_sid"]),
            )
        if request is None:
            return
        data = event.get("event_data") or {}
        identity = _identity_of(data)
        async with self.svc.store.read(short=True) as unit:
            joined = await unit.exists(
                r.Participant,
                eq("interaction_sid", request.interaction_sid),
                eq("identity", identity),
            )
        if not joined:  # a transfer back to the same member finds them there
            create = participants.ParticipantCreate(identity=identity)
            await participants.add_participant(
                self.svc, request.account_sid, EVERYTHING, request.interaction_sid, create
            )
        now = self.svc.clock.now_ms()
        async with self.svc.store.transaction() as unit:
            row = await unit.get(rt.Request, request.sid)
            assert row is not None
            row.worker_sid = event.get("worker_sid")
            row.member = identity
            if row.status in (rt.QUEUED, rt.AFTER_HOURS):
                row.status = rt.ASSIGNED
            row.date_assigned = row.date_assigned or now
            row.date_updated = now
        await self._sequence_owner(request, identity)

    async def on_conversation_event(self, event: Mapping[str, Any]) -> None:
        """A member's message answers the customer: the SLA clocks stop."""
        if event.get("type") != "onMessageAdded":
            return
        record = event.get("record") or {}
        author = record.get("author")
        if record.get("kind") != "message" or author in (None, SYSTEM):
            return
        where = (
            eq("account_sid", event.get("account_sid")),
            eq("interaction_sid", event.get("conversation_sid")),
            isin("status", rt.OPEN_STATUSES),
        )
        async with self.svc.store.read() as reading:  # most messages are not of a request
            found = await reading.first(rt.Request, *where)
        if found is None or author == found.customer:
            return
        async with self.svc.store.transaction() as unit:
            row = await unit.get(rt.Request, found.sid)
            if row is None:
                return
            now = self.svc.clock.now_ms()
            row.first_response_at = row.first_response_at or now
            row.awaiting_since = None
            row.last_member_at = now
            row.date_updated = now

    # -- helpers -----------------------------------------------------------------------------

    async def _say(self, interaction_sid: str, account_sid: str, author: str, body: str) -> None:
        create = messages.MessageCreate(author=author, body=body)
        await messages.post_message(self.svc, account_sid, EVERYTHING, interaction_sid, create)

    async def _customer_says(self, interaction_sid: str, account_sid: str, message: Inbound) -> str:
        """The customer's message in the interaction (with its carrier attributes); its sid."""
        create = messages.MessageCreate(
            author=message.address, body=message.body, attributes=message.attributes
        )
        row = await messages.post_message(
            self.svc, account_sid, EVERYTHING, interaction_sid, create
        )
        return row.sid

    async def _sequence_state(self, request: rt.Request, state: str) -> None:
        fields = sequences.SequenceFields(state=state)
        await sequences.update_sequence(
            self.svc, request.account_sid, EVERYTHING, request.sequence_sid, fields
        )

    async def _sequence_owner(self, request: rt.Request, identity: str) -> None:
        fields = sequences.SequenceFields(owner=identity)
        await sequences.update_sequence(
            self.svc, request.account_sid, EVERYTHING, request.sequence_sid, fields
        )

    # -- the clocks ---------------------------------------------------------------------------

    def arm(self) -> None:
        """Start the sweep timer (once; called on first use, inside the event loop)."""
        if self._timer is None:
            self._timer = self.svc.clock.call_at(self.svc.clock.now_ms() + self.tick_ms, self._ring)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _ring(self) -> None:
        self._timer = self.svc.clock.call_at(self.svc.clock.now_ms() + self.tick_ms, self._ring)
        if not self._due:
            self._due = True
            self.svc.spawn(self.sweep())

    async def sweep(self) -> None:
        """One pass of every clock over the open requests of the workspaces this process
        routes, oldest first (rings coalesce; one request failing, or the store going
        away at shutdown, is logged, never raised into the timer)."""
        async with self._sweeping:
            self._due = False
            try:
                rows, profiles = await self._open_requests()
            except Exception:
                log.exception("routing sweep could not read the open requests")
                return
            owned: dict[str, bool] = {}
            for request in rows:
                profile = profiles.get((request.account_sid, request.organization))
                if profile is None:
                    continue
                workspace = profile.workspace_sid
                if workspace not in owned:
                    owned[workspace] = await self._owns(workspace)
                if not owned[workspace]:
                    continue  # the process routing the workspace sweeps its requests
                try:
                    await self._tend(profile, request)
                except Exception:
                    log.exception("routing sweep failed for request %s", request.sid)

    async def _owns(self, workspace_sid: str) -> bool:
        """Whether this process sweeps the requests of the workspace: the one that runs
        its routing, so that several processes on one PostgreSQL database do not each
        send the nudges, closing messages and queue updates (a failed check: not now)."""
        if self.ownership is None:
            return True
        try:
            return await self.ownership.owns(workspace_sid)
        except Exception:
            log.exception("routing sweep could not tell who owns workspace %s", workspace_sid)
            return False

    async def _open_requests(
        self,
    ) -> tuple[list[rt.Request], dict[tuple[str, str], rt.RoutingProfile]]:
        async with self.svc.store.read() as unit:
            rows = await unit.select(
                rt.Request, isin("status", rt.OPEN_STATUSES), order=[asc("date_created")]
            )
            profiles = await unit.select(rt.RoutingProfile)
        return rows, {(p.account_sid, p.organization): p for p in profiles}

    async def _tend(self, profile: rt.RoutingProfile, request: rt.Request) -> None:
        await request_clocks.tend(self, profile, request)

    async def _rate_from_message(
        self, request: rt.Request, message: Inbound
    ) -> tuple[rt.Request, str]:
        """The customer's reply to the rating question ("4 quick and kind")."""
        said = await self._customer_says(request.interaction_sid, request.account_sid, message)
        match = RATING.match(message.body)
        assert match is not None
        comment = match.group(2).strip() or None
        rated = await request_clocks.rate(
            self, request.account_sid, request.sid, int(match.group(1)), comment
        )
        return rated, said


def _fields(p: ProfileFields) -> dict[str, Any]:
    return {
        "workspace_sid": p.workspace_sid,
        "workflow_sid": p.workflow_sid,
        "task_channel": p.task_channel,
        "proxy_address": p.proxy_address,
        "hours": p.hours,
        "rules": p.rules,
        "default_category": p.default_category,
        "messages": p.messages,
        "feedback_every_ms": p.feedback_every_ms,
        "inactive_ms": p.inactive_ms,
        "retire_factor": p.retire_factor,
        "first_response_ms": p.first_response_ms,
        "next_response_ms": p.next_response_ms,
        "classifier_threshold": p.classifier_threshold,
        "max_wait_ms": p.max_wait_ms,
    }
