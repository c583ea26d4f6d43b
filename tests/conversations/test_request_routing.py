"""A web-chat request from first message to rating, through the HTTP API, on a fake clock
(memory, SQLite and PostgreSQL stores): after-hours reply and wait, acknowledgement and
queue updates, categorization, auto-transfer on no answer, the member joining the
conversation, the SLA breach, inactivity nudge and retirement, the rating and its
report, then the returning customer offered to their previous member first, and to
another member when that one goes offline, who escalates to a supervisor, then
categorization by the classifier.
Further specifications: escalation, the maximum wait, the lowest average handling
time of the request's category (and the fewest open requests without one), the known
member being full, and who may read requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bench.requests_corpus import generate
from switchboard.conversations.services.context import Conversations
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.kernel.clock import FakeClock
from tests.api.helpers import activity_sids, create, create_workspace, listing, ok

MONDAY_0530Z = int(datetime(2027, 1, 4, 5, 30, tzinfo=UTC).timestamp() * 1000)
HOURS = {
    "time_zone": "Europe/Paris",
    "week": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2027-05-01"],
}
RULES = [{"category": "billing", "team": "billing", "keywords": ["invoice", "refund"]}]


@pytest.fixture
def clock() -> FakeClock:
    """Monday 4 January 2027, 06:30 in Paris: the team opens at 09:00 (08:00Z)."""
    return FakeClock(MONDAY_0530Z, tick_ms=1)


@dataclass
class Desk:
    client: httpx.AsyncClient
    clock: FakeClock
    dispatcher: Dispatcher
    conversations: Conversations
    workspace: str
    workers: dict[str, str]  # identity -> worker sid
    activities: dict[str, str]
    events: list[dict[str, Any]]
    profile: dict[str, str]

    async def settle(self) -> None:
        for _ in range(3):
            await self.dispatcher.wait_idle()
            await self.conversations.drain()

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.settle()

    async def inbound(self, body: str, sender: str = "web:carol") -> dict[str, Any]:
        data = {"From": sender, "Body": body, "Channel": "chat"}
        answer = ok(await self.client.post("/v1/Organizations/acme/Inbound", data=data))
        await self.settle()
        return await self.request(answer["sid"])

    async def request(self, sid: str) -> dict[str, Any]:
        return ok(await self.client.get(f"/v1/Requests/{sid}"))

    async def said(self, conversation: str) -> list[tuple[str, str]]:
        found = await listing(self.client, f"/v1/Conversations/{conversation}/Messages")
        return [(m["author"], m["body"]) for m in found]

    async def offers(self, task: str, status: str = "pending") -> list[dict[str, Any]]:
        url = f"{self.workspace}/Tasks/{task}/Reservations"
        return await listing(self.client, url, ReservationStatus=status)

    async def answer(self, reservation: dict[str, Any], status: str, **extra: str) -> None:
        ok(await self.client.post(reservation["url"], data={"ReservationStatus": status, **extra}))
        await self.settle()

    def who(self, worker_sid: str) -> str:
        return next(name for name, sid in self.workers.items() if sid == worker_sid)


def _seconds(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _workflow(queue: str, supervisors: str) -> str:
    """Escalations to the supervisors; returning customers: their previous member first
    (30 s), then the lowest average handling time of the request's category (members
    without one: fewest open tasks); new customers skip the first step."""
    aht = {
        "queue": queue,
        "strategy": "lowest_average_handling_time",
        "handling_times": "task.handling.by_worker",
    }
    known = {"queue": queue, "known_worker_sid": "task.previous_worker_sid", "timeout": 30}
    return json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": 'escalation.to == "supervisor"',
                        "targets": [{"queue": supervisors}],
                    },
                    {"expression": "history.requests > 0", "targets": [known, aht]},
                    {"expression": "1 == 1", "targets": [aht]},
                ]
            }
        }
    )


@pytest.fixture
async def desk(
    client: httpx.AsyncClient, clock: FakeClock, dispatcher: Dispatcher, app: FastAPI
) -> Desk:
    space = await create_workspace(client, FriendlyName="Acme support", MultiTaskEnabled="false")
    url = space["url"]
    activities = await activity_sids(client, url)
    queue = await create(
        client, f"{url}/TaskQueues", FriendlyName="Team", TargetWorkers='role == "agent"'
    )
    bosses = await create(
        client, f"{url}/TaskQueues", FriendlyName="Bosses", TargetWorkers='role == "supervisor"'
    )
    flow = await create(
        client,
        f"{url}/Workflows",
        FriendlyName="Requests",
        Configuration=_workflow(queue["sid"], bosses["sid"]),
        TaskReservationTimeout="60",
    )
    workers = {}
    for name, role in (("alice", "agent"), ("bob", "agent"), ("sam", "supervisor")):
        worker = await create(
            client,
            f"{url}/Workers",
            FriendlyName=name.title(),
            Attributes=json.dumps({"identity": name, "role": role}),
            ActivitySid=activities["Available"],
        )
        workers[name] = worker["sid"]
        clock.advance(1)
    profile = {
        "WorkspaceSid": space["sid"],
        "WorkflowSid": flow["sid"],
        "ProxyAddress": "web:acme",
        "Hours": json.dumps(HOURS),
        "Rules": json.dumps(RULES),
        "DefaultCategory": "general",
        "ClassifierThreshold": "0.5",
        "FeedbackInterval": "PT1M",
        "InactiveAfter": "PT10M",
        "RetireFactor": "3",
        "FirstResponseTarget": "PT2M",
        "NextResponseTarget": "PT5M",
    }
    ok(await client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    conversations = app.state.deps.get(Conversations)
    events: list[dict[str, Any]] = []
    conversations.bus.subscribe(events.append)
    return Desk(client, clock, dispatcher, conversations, url, workers, activities, events, profile)


async def test_a_web_chat_request_from_first_message_to_rating(desk: Desk) -> None:
    # after hours: the customer is told when the team opens, and the request waits
    first = await desk.inbound("Hello, my invoice is wrong")
    chat = first["conversation_sid"]
    assert first["status"] == "after_hours" and first["task_sid"] is None
    assert first["category"] == "billing" and first["team"] == "billing"
    assert first["opens_at"] == "2027-01-04T08:00:00Z"
    assert (await desk.said(chat))[-1] == (
        "system",
        "We are closed right now. We open Monday 04 January 09:00 CET; "
        "your request will wait for us.",
    )
    assert await listing(desk.client, f"{desk.workspace}/Tasks") == []

    # 08:00Z: the team opens; the request becomes a task, with an acknowledgement
    await desk.advance(2.5 * 3600)
    queued = await desk.request(first["sid"])
    assert queued["status"] == "queued" and queued["task_sid"].startswith("WT")
    task = ok(await desk.client.get(f"{desk.workspace}/Tasks/{queued['task_sid']}"))
    attributes = json.loads(task["attributes"])
    assert attributes["channel"] == "chat" and attributes["category"] == "billing"
    assert attributes["customer"]["address"] == "web:carol"
    assert attributes["history"]["requests"] == 0
    assert attributes["conversations"]["interaction_sid"] == chat
    said = [body for _author, body in await desk.said(chat)]
    assert said[2] == "Thanks, we have your request and will answer shortly."
    assert said[3].startswith("You are number 1 in line")
    # no first-response breach: the 2.5 h before opening are not business time
    assert queued["sla_breaches"] == []

    # the first member offered does not answer: the offer times out and moves on
    [offer] = await desk.offers(queued["task_sid"])
    await desk.advance(61)
    [second_offer] = await desk.offers(queued["task_sid"])
    assert second_offer["worker_sid"] != offer["worker_sid"]
    # meanwhile the queue position was given again (at most once a minute)
    updates = [b for _a, b in await desk.said(chat) if b.startswith("You are number")]
    assert len(updates) == 2

    # the member accepts and joins the conversation
    await desk.answer(second_offer, "accepted")
    member = desk.who(second_offer["worker_sid"])
    assigned = await desk.request(first["sid"])
    assert assigned["status"] == "assigned" and assigned["member"] == member
    people = await listing(desk.client, f"/v1/Conversations/{chat}/Participants")
    assert {p["identity"] for p in people} == {None, member}

    # the member takes too long over the first answer: an SLA breach (once)
    await desk.advance(60)
    await desk.advance(60)
    breached = await desk.request(first["sid"])
    assert [b["kind"] for b in breached["sla_breaches"]] == ["first_response"]
    assert [e["breach"]["kind"] for e in desk.events if e["type"] == "onRequestSlaBreached"] == [
        "first_response"
    ]
    ok(
        await desk.client.post(
            f"/v1/Conversations/{chat}/Messages", data={"Author": member, "Body": "Let me see."}
        ),
        201,
    )
    answered = await desk.request(first["sid"])
    assert answered["date_first_response"] is not None

    # the customer goes quiet: a nudge after T, retirement after 3T, then the rating
    await desk.advance(10 * 60)
    nudged = await desk.request(first["sid"])
    assert nudged["status"] == "pending"
    assert (await desk.said(chat))[-1][1].startswith("We noticed you went away")
    case = ok(await desk.client.get(f"/v1/Sequences/{first['sequence_sid']}"))
    assert case["state"] == "pending" and case["owner"] == member
    await desk.advance(20 * 60)
    retired = await desk.request(first["sid"])
    assert retired["status"] == "retired"
    assert [b for _a, b in await desk.said(chat)][-2:] == [
        "We are closing this request for now. Write again any time.",
        "How did we do? Reply with a rating from 1 to 5 and a comment.",
    ]
    done = ok(await desk.client.get(f"{desk.workspace}/Tasks/{queued['task_sid']}"))
    assert done["assignment_status"] == "completed"

    rated = await desk.inbound("5 - quick and kind")
    assert rated["sid"] == first["sid"]
    assert rated["rating"] == 5 and rated["comment"] == "quick and kind"
    report = ok(await desk.client.get("/v1/Organizations/acme/RequestStatistics"))
    assert report["ratings"]["by_member"] == {member: {"count": 1, "average": 5.0, "csat": 1.0}}
    assert report["ratings"]["by_team"]["billing"]["count"] == 1
    assert report["sla_breaches"] == {"first_response": 1, "next_response": 0}

    # the customer comes back: offered to the member who served them first (the other
    # member is available too)
    other = next(name for name in ("alice", "bob") if name != member)
    other_url = f"{desk.workspace}/Workers/{desk.workers[other]}"
    ok(await desk.client.post(other_url, data={"ActivitySid": desk.activities["Available"]}))
    await desk.settle()
    again = await desk.inbound("Another question about a refund")
    assert again["sid"] != first["sid"] and again["status"] == "queued"
    # the estimate now comes from the first request's handling time (assigned → retired)
    handled = _seconds(retired["date_retired"]) - _seconds(retired["date_assigned"])
    assert abs(again["estimated_wait"] - handled) <= 1
    [known] = await desk.offers(again["task_sid"])
    assert desk.who(known["worker_sid"]) == member
    # that member goes offline instead: after the known-worker step, the other member
    # (the only one left; without a billing history, by fewest open tasks)
    offline = desk.activities["Offline"]
    await desk.answer(known, "rejected", WorkerActivitySid=offline)
    assert await desk.offers(again["task_sid"]) == []
    await desk.advance(31)
    [fallback] = await desk.offers(again["task_sid"])
    assert desk.who(fallback["worker_sid"]) == other
    await desk.answer(fallback, "accepted")
    assert (await desk.request(again["sid"]))["member"] == other

    # the member escalates to a supervisor with a reason: a new task, offered to sam
    escalation = {"To": "supervisor", "Reason": "asks for a goodwill refund"}
    url = f"/v1/Requests/{again['sid']}/Escalation"
    escalated = ok(await desk.client.post(url, data=escalation))
    await desk.settle()
    assert escalated["task_sid"] != again["task_sid"]
    [to_boss] = await desk.offers(escalated["task_sid"])
    assert desk.who(to_boss["worker_sid"]) == "sam"
    await desk.answer(to_boss, "accepted")
    handed = await desk.request(again["sid"])
    assert handed["member"] == "sam" and handed["escalations"][0]["by"] == other

    # categorization by the classifier: members categorized earlier cases by hand
    texts, labels = generate(16, seed=3)
    for n, (text, label) in enumerate(zip(texts, labels, strict=True)):
        data = {"Organization": "acme", "OutsideParty": f"sms:+3360000{n:04d}"}
        relationship = ok(await desk.client.post("/v1/Relationships", data=data), 201)
        case = {"Subject": text, "Category": label}
        ok(await desk.client.post(f"{relationship['url']}/Sequences", data=case), 201)
    guessed = await desk.inbound("the courier lost my shipment", sender="web:erin")
    assert (guessed["category"], guessed["category_source"]) == ("shipping", "classifier")


async def test_an_escalated_request_goes_to_a_supervisor_with_its_reason(desk: Desk) -> None:
    await desk.advance(2.5 * 3600)  # 08:00Z: open
    request = await desk.inbound("I want a refund above the limit")
    [offer] = await desk.offers(request["task_sid"])
    await desk.answer(offer, "accepted")
    member = desk.who(offer["worker_sid"])
    answer = await desk.client.post(
        f"/v1/Requests/{request['sid']}/Escalation",
        data={"To": "supervisor", "Reason": "refund above 500 EUR"},
    )
    escalated = ok(answer)
    await desk.settle()
    assert escalated["status"] == "queued" and escalated["task_sid"] != request["task_sid"]
    assert [(e["to"], e["reason"], e["by"]) for e in escalated["escalations"]] == [
        ("supervisor", "refund above 500 EUR", member)
    ]
    old = ok(await desk.client.get(f"{desk.workspace}/Tasks/{request['task_sid']}"))
    assert old["assignment_status"] == "completed"
    new = ok(await desk.client.get(f"{desk.workspace}/Tasks/{escalated['task_sid']}"))
    assert json.loads(new["attributes"])["escalation"]["reason"] == "refund above 500 EUR"
    [to_boss] = await desk.offers(escalated["task_sid"])
    assert desk.who(to_boss["worker_sid"]) == "sam"
    await desk.answer(to_boss, "accepted")
    chat = request["conversation_sid"]
    people = await listing(desk.client, f"/v1/Conversations/{chat}/Participants")
    assert {p["identity"] for p in people} == {None, member, "sam"}
    assert (await desk.request(request["sid"]))["member"] == "sam"
    assert [e["type"] for e in desk.events if e["type"] == "onRequestEscalated"] == [
        "onRequestEscalated"
    ]
    refused = await desk.client.post(
        f"/v1/Requests/{request['sid']}/Escalation", data={"To": "supervisor"}
    )
    assert refused.status_code == 400 and "Reason" in refused.json()["message"]


async def _handled_by(
    desk: Desk, customer: str, body: str, member: str, answer_after: float
) -> dict[str, Any]:
    """A request of `customer` that `member` takes (the other members decline the offer),
    answers after `answer_after` seconds and that retires when the customer stays quiet
    (InactiveAfter PT1M, RetireFactor 2); returns the retired request."""
    request = await desk.inbound(body, sender=customer)
    while True:
        [offer] = await desk.offers(request["task_sid"])
        if desk.who(offer["worker_sid"]) == member:
            break
        await desk.answer(offer, "rejected", WorkerActivitySid=desk.activities["Available"])
    await desk.answer(offer, "accepted")
    await desk.advance(answer_after)
    chat = request["conversation_sid"]
    answer = {"Author": member, "Body": "Sorted, anything else?"}
    ok(await desk.client.post(f"/v1/Conversations/{chat}/Messages", data=answer), 201)
    await desk.advance(125)
    retired = await desk.request(request["sid"])
    assert retired["status"] == "retired" and retired["member"] == member
    return retired


def _handling(request: dict[str, Any]) -> int:
    return _seconds(request["date_retired"]) - _seconds(request["date_assigned"])


async def test_a_new_request_goes_to_the_lowest_average_handling_time_of_its_category(
    desk: Desk,
) -> None:
    profile = {**desk.profile, "InactiveAfter": "PT1M", "RetireFactor": "2"}
    ok(await desk.client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    await desk.advance(2.5 * 3600)  # 08:00Z: open
    # alice is quick with invoices and slow with the rest; bob the other way round
    done = [
        await _handled_by(desk, "web:h1", "My invoice is wrong", "alice", 60),
        await _handled_by(desk, "web:h2", "Where is my invoice?", "bob", 600),
        await _handled_by(desk, "web:h3", "Hello there", "alice", 1500),
        await _handled_by(desk, "web:h4", "Hello again", "bob", 0),
    ]
    assert [d["category"] for d in done] == ["billing", "billing", "general", "general"]
    overall = {
        name: sum(_handling(d) for d in done if d["member"] == name) / 2
        for name in ("alice", "bob")
    }
    billing = {d["member"]: _handling(d) for d in done if d["category"] == "billing"}
    assert overall["bob"] < overall["alice"]  # over every category, bob is quicker
    assert billing["alice"] < billing["bob"]  # with invoices, alice is

    request = await desk.inbound("A refund for my last invoice please", sender="web:h5")
    task = ok(await desk.client.get(f"{desk.workspace}/Tasks/{request['task_sid']}"))
    figures = json.loads(task["attributes"])["handling"]
    assert figures["category"] == "billing"
    by_worker = {desk.who(sid): ms // 1000 for sid, ms in figures["by_worker"].items()}
    assert by_worker == billing
    [offer] = await desk.offers(request["task_sid"])
    assert desk.who(offer["worker_sid"]) == "alice"

    # a general question goes to bob, the quicker one there
    other = await desk.inbound("Hello, a question", sender="web:h6")
    [offer] = await desk.offers(other["task_sid"])
    assert desk.who(offer["worker_sid"]) == "bob"


async def test_a_category_without_history_goes_to_the_member_with_the_fewest_open_requests(
    client: httpx.AsyncClient, clock: FakeClock, dispatcher: Dispatcher, app: FastAPI
) -> None:
    """Chat members take three requests at once; nobody handled "shipping" yet."""
    space = await create_workspace(client, FriendlyName="Multi", MultiTaskEnabled="true")
    url = space["url"]
    activities = await activity_sids(client, url)
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    target = {
        "queue": queue["sid"],
        "strategy": "lowest_average_handling_time",
        "handling_times": "task.handling.by_worker",
    }
    flow = await create(
        client,
        f"{url}/Workflows",
        FriendlyName="Requests",
        Configuration=json.dumps(
            {"task_routing": {"filters": [{"expression": "1 == 1", "targets": [target]}]}}
        ),
    )
    workers = {}
    for name in ("alice", "bob"):  # alice first: she is idle the longest
        worker = await create(
            client,
            f"{url}/Workers",
            FriendlyName=name,
            Attributes=json.dumps({"identity": name}),
            ActivitySid=activities["Available"],
        )
        ok(await client.post(f"{worker['url']}/Channels/chat", data={"Capacity": "3"}))
        workers[name] = worker["sid"]
        clock.advance(1)
    profile = {
        "WorkspaceSid": space["sid"],
        "WorkflowSid": flow["sid"],
        "TaskChannel": "chat",
        "ProxyAddress": "web:acme",
        "Rules": json.dumps([{"category": "shipping", "keywords": ["parcel"]}]),
        "DefaultCategory": "general",
    }
    ok(await client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    conversations = app.state.deps.get(Conversations)
    desk = Desk(client, clock, dispatcher, conversations, url, workers, activities, [], profile)
    # alice holds two open requests, bob one
    for customer, member in (("web:o1", "bob"), ("web:o2", "alice"), ("web:o3", "alice")):
        request = await desk.inbound("Hello", sender=customer)
        while True:
            [offer] = await desk.offers(request["task_sid"])
            if desk.who(offer["worker_sid"]) == member:
                break
            await desk.answer(offer, "rejected")
        await desk.answer(offer, "accepted")
    parcel = await desk.inbound("Where is my parcel?", sender="web:o4")
    assert parcel["category"] == "shipping"
    task = ok(await client.get(f"{url}/Tasks/{parcel['task_sid']}"))
    assert json.loads(task["attributes"])["handling"] == {"category": "shipping", "by_worker": {}}
    [offer] = await desk.offers(parcel["task_sid"])
    assert desk.who(offer["worker_sid"]) == "bob"


async def test_a_request_waiting_past_the_maximum_wait_goes_to_overflow(desk: Desk) -> None:
    profile = {**desk.profile, "MaxWait": "PT3M"}
    ok(await desk.client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    for sid in desk.workers.values():  # nobody can take it
        url = f"{desk.workspace}/Workers/{sid}"
        ok(await desk.client.post(url, data={"ActivitySid": desk.activities["Offline"]}))
    request = await desk.inbound("Hello?")  # 05:30Z: closed; the wait counts from 08:00Z
    await desk.advance(2.5 * 3600 + 170)
    queued = await desk.request(request["sid"])
    assert queued["escalations"] == [] and queued["task_sid"] is not None
    await desk.advance(15)
    waited = await desk.request(request["sid"])
    assert [(e["to"], e["reason"]) for e in waited["escalations"]] == [("overflow", "maximum wait")]
    first_task = ok(await desk.client.get(f"{desk.workspace}/Tasks/{queued['task_sid']}"))
    assert first_task["assignment_status"] == "canceled"
    task = ok(await desk.client.get(f"{desk.workspace}/Tasks/{waited['task_sid']}"))
    assert json.loads(task["attributes"])["escalation"]["to"] == "overflow"
    said = [body for _author, body in await desk.said(waited["conversation_sid"])]
    assert "We are passing your request to a colleague who can help further." in said
    await desk.advance(600)  # once only
    assert len((await desk.request(request["sid"]))["escalations"]) == 1


async def _served_and_retired(desk: Desk, customer: str) -> str:
    """A request of `customer` answered by a member, then retired; returns the member."""
    request = await desk.inbound("Hi", sender=customer)
    [offer] = await desk.offers(request["task_sid"])
    await desk.answer(offer, "accepted")
    member = desk.who(offer["worker_sid"])
    chat = request["conversation_sid"]
    answer = {"Author": member, "Body": "Hello!"}
    ok(await desk.client.post(f"/v1/Conversations/{chat}/Messages", data=answer), 201)
    await desk.advance(125)  # InactiveAfter PT1M, RetireFactor 2
    assert (await desk.request(request["sid"]))["status"] == "retired"
    return member


async def test_a_returning_customer_whose_member_is_full_goes_to_another_after_the_timeout(
    desk: Desk,
) -> None:
    profile = {**desk.profile, "InactiveAfter": "PT1M", "RetireFactor": "2"}
    ok(await desk.client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    await desk.advance(2.5 * 3600)  # 08:00Z: open
    member = await _served_and_retired(desk, "web:carol")
    other = next(name for name in ("alice", "bob") if name != member)
    # the member takes someone else's request (single-tasking: they are full now)
    busy = await desk.inbound("Hello", sender="web:dave")
    [offer] = await desk.offers(busy["task_sid"])
    assert desk.who(offer["worker_sid"]) == member  # the only handling time of the category
    await desk.answer(offer, "accepted")
    back = await desk.inbound("Me again", sender="web:carol")
    assert (
        json.loads(
            ok(await desk.client.get(f"{desk.workspace}/Tasks/{back['task_sid']}"))["attributes"]
        )["previous_member"]
        == member
    )
    assert await desk.offers(back["task_sid"]) == []  # waiting for the known member
    await desk.advance(31)
    [fallback] = await desk.offers(back["task_sid"])
    assert desk.who(fallback["worker_sid"]) == other


async def test_requests_are_the_accounts_and_their_members_only(
    desk: Desk, other_client: httpx.AsyncClient
) -> None:
    request = await desk.inbound("Hello")
    url = f"/v1/Requests/{request['sid']}"
    assert (await other_client.get(url)).status_code == 404
    stranger = await other_client.post(
        "/v1/Organizations/acme/Inbound", data={"From": "x", "Body": "y"}
    )
    assert stranger.status_code == 404  # the other account has no profile for acme
    as_user = {"X-Switchboard-Identity": "alice"}
    assert (await desk.client.get(url, headers=as_user)).status_code == 404  # not a participant
    report = await desk.client.get("/v1/Organizations/acme/RequestStatistics", headers=as_user)
    assert report.status_code == 403 and report.json()["code"] == 20403
    chat = request["conversation_sid"]
    joined = await desk.client.post(
        f"/v1/Conversations/{chat}/Participants", data={"Identity": "alice"}
    )
    assert joined.status_code == 201
    assert ok(await desk.client.get(url, headers=as_user))["sid"] == request["sid"]
    missing = await desk.client.get(f"/v1/Requests/XQ{'0' * 32}")
    assert missing.status_code == 404 and missing.json()["code"] == 20404


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"WorkspaceSid": ""}, "WorkspaceSid"),
        ({"ProxyAddress": ""}, "ProxyAddress"),
        ({"Hours": '{"time_zone": "Mars/Base"}'}, "TimeZone"),
        ({"Hours": '{"week": {"mon": [["18:00", "09:00"]]}}'}, "Hours.week.mon"),
        ({"Hours": '{"teams": {"billing": {"holidays": ["someday"]}}}'}, "Holidays"),
        ({"Hours": "[1]"}, "Hours"),
        ({"Rules": '[{"category": "x", "pattern": "("}]'}, "Rules[0].pattern"),
        ({"Rules": '{"category": "x"}'}, "Rules"),
        ({"Messages": '{"greeting": "hi"}'}, "Messages"),
        ({"FeedbackInterval": "soon"}, "FeedbackInterval"),
        ({"RetireFactor": "1"}, "RetireFactor"),
        ({"ClassifierThreshold": "2"}, "ClassifierThreshold"),
        ({"MaxWait": "PT0S"}, "MaxWait"),
    ],
)
async def test_a_profile_is_validated_when_saved(
    desk: Desk, change: dict[str, str], fragment: str
) -> None:
    answer = await desk.client.post(
        "/v1/Organizations/acme/RoutingProfile", data={**desk.profile, **change}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 20001 and fragment in answer.json()["message"]


async def test_a_profile_names_a_workspace_and_workflow_of_the_account(
    desk: Desk, other_client: httpx.AsyncClient
) -> None:
    theirs = await other_client.post("/v1/Organizations/acme/RoutingProfile", data=desk.profile)
    assert theirs.status_code == 404
    missing = {**desk.profile, "WorkflowSid": "WW" + "0" * 32}
    answer = await desk.client.post("/v1/Organizations/acme/RoutingProfile", data=missing)
    assert answer.status_code == 404
    shown = ok(await desk.client.get("/v1/Organizations/acme/RoutingProfile"))
    assert shown["hours"]["time_zone"] == "Europe/Paris" and shown["max_wait"] is None
    assert (await other_client.get("/v1/Organizations/acme/RoutingProfile")).status_code == 404
