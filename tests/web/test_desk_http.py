"""The agent's cases, conversations, wrap-up and call control over HTTP (issue 16).

A customer's web-chat request (the organization's Inbound API) becomes a case and a task;
the agent who accepts it sees the case in the list and the conversation from their point
of view, replies, notes, starts a backchannel with a colleague and invites one; a
colleague who took no part sees nothing of it. Wrap-up records the outcome and completes
the task; a voice task's call is accepted, held, resumed, transferred and hung up through
the media adapter. Every change needs the session's CSRF token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from switchboard.conversations.services.context import Conversations
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.media import RecordingMediaAdapter
from switchboard.runtime import Core
from switchboard.tenancy.accounts import Accounts
from switchboard.web.people import NewUser, People
from tests.api.helpers import ClientFactory, activity_sids, create, create_workspace, listing, ok
from tests.web.pages_support import csrf_of, sign_in

PASSWORD = "correct horse battery"


@dataclass
class Center:
    client: httpx.AsyncClient
    dispatcher: Dispatcher
    conversations: Conversations
    workspace: str
    workflow: str
    workers: dict[str, dict[str, Any]]
    activities: dict[str, str]
    make_client: ClientFactory
    people: People

    async def settle(self) -> None:
        for _ in range(3):
            await self.dispatcher.wait_idle()
            await self.conversations.drain()

    async def inbound(self, body: str, sender: str) -> dict[str, Any]:
        data = {"From": sender, "Body": body, "Channel": "chat"}
        answer = ok(await self.client.post("/v1/Organizations/acme/Inbound", data=data))
        await self.settle()
        return ok(await self.client.get(f"/v1/Requests/{answer['sid']}"))

    async def pending(self, task_sid: str) -> dict[str, Any]:
        url = f"{self.workspace}/Tasks/{task_sid}/Reservations"
        [offer] = await listing(self.client, url, ReservationStatus="pending")
        return offer

    async def accept(self, task_sid: str) -> dict[str, Any]:
        offer = await self.pending(task_sid)
        ok(await self.client.post(offer["url"], data={"ReservationStatus": "accepted"}))
        await self.settle()
        return offer

    async def task(self, sid: str) -> dict[str, Any]:
        return ok(await self.client.get(f"{self.workspace}/Tasks/{sid}"))

    async def said(self, conversation: str) -> list[tuple[str, str]]:
        found = await listing(self.client, f"/v1/Conversations/{conversation}/Messages")
        return [(m["author"], m["body"]) for m in found]

    async def agent(self, email: str) -> tuple[httpx.AsyncClient, str]:
        """A browser signed in as the agent, and its CSRF token."""
        browser = self.make_client(None)
        answer = await sign_in(browser, email, PASSWORD)
        assert answer.status_code == 303 and answer.headers["location"] == "/desk"
        return browser, csrf_of(await browser.get("/desk/cases"))


@pytest.fixture
async def center(
    client: httpx.AsyncClient,
    dispatcher: Dispatcher,
    app: FastAPI,
    make_client: ClientFactory,
    credentials: tuple[str, str],
) -> Center:
    """Alice (Available) and Bob (Offline) answer the organization `acme`'s requests."""
    space = await create_workspace(client, FriendlyName="Acme", MultiTaskEnabled="false")
    url = space["url"]
    activities = await activity_sids(client, url)
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="Team", TargetWorkers="1==1")
    everyone = {"expression": "1==1", "targets": [{"queue": queue["sid"]}]}
    routing = {"task_routing": {"filters": [everyone]}}
    flow = await create(
        client, f"{url}/Workflows", FriendlyName="Requests", Configuration=json.dumps(routing)
    )
    workers = {}
    for name, activity in (("alice", "Available"), ("bob", "Offline")):
        attributes = {"identity": name, "contact_uri": f"client:{name}"}
        workers[name] = await create(
            client,
            f"{url}/Workers",
            FriendlyName=name.title(),
            Attributes=json.dumps(attributes),
            ActivitySid=activities[activity],
        )
    profile = {"WorkspaceSid": space["sid"], "WorkflowSid": flow["sid"], "ProxyAddress": "web:acme"}
    ok(await client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    people: People = app.state.deps.get(People)
    for name in ("alice", "bob"):
        new = NewUser(
            credentials[0], f"{name}@acme.example", name.title(), "agent", PASSWORD,
            workers[name]["sid"],
        )  # fmt: skip
        await people.create(new)
    conversations = app.state.deps.get(Conversations)
    return Center(
        client, dispatcher, conversations, url, flow["sid"], workers, activities, make_client,
        people,
    )  # fmt: skip


def cells(page: httpx.Response, name: str) -> list[str]:
    """The text of one column of the case table, in order."""
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(rf'<td class="{name}">(.*?)</td>', page.text, re.S)
    ]


def case_numbers(page: httpx.Response) -> list[str]:
    return re.findall(r">#(\d+)<", page.text)


async def test_the_agent_who_took_a_request_sees_its_case_and_answers_the_customer(
    center: Center,
) -> None:
    request = await center.inbound("My order 1234 has not arrived", "web:carol")
    offer = await center.accept(request["task_sid"])
    assert offer["worker_sid"] == center.workers["alice"]["sid"]
    thread = request["conversation_sid"]

    alice, token = await center.agent("alice@acme.example")
    listed = await alice.get("/desk/cases")
    assert listed.status_code == 200
    assert cells(listed, "customer") == ["web:carol"]
    assert cells(listed, "subject") == ["My order 1234 has not arrived"]
    assert cells(listed, "status") == ["open"]
    assert cells(listed, "priority") == ["0"]
    assert cells(listed, "owner") == ["alice"]
    assert f'href="/desk/conversations/{thread}"' in listed.text

    view = await alice.get(f"/desk/conversations/{thread}")
    assert view.status_code == 200
    assert "My order 1234 has not arrived" in view.text
    assert "Thanks, we have your request" in view.text

    forged = await alice.post(f"/desk/conversations/{thread}/reply", data={"body": "Hi"})
    assert forged.status_code == 403
    sent = await alice.post(
        f"/desk/conversations/{thread}/reply",
        data={"body": "Let me check order 1234.", "csrf_token": token},
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/desk/conversations/{thread}"
    noted = await alice.post(
        f"/desk/conversations/{thread}/notes",
        data={"body": "Carrier says it left the depot.", "csrf_token": token},
    )
    assert noted.status_code == 303
    await center.settle()
    assert ("alice", "Let me check order 1234.") in await center.said(thread)
    view = await alice.get(f"/desk/conversations/{thread}")
    assert "Let me check order 1234." in view.text
    assert "Carrier says it left the depot." in view.text
    assert "· note" in view.text

    # Bob took no part: neither the case nor the conversation exists for him
    bob, bob_token = await center.agent("bob@acme.example")
    assert cells(await bob.get("/desk/cases"), "customer") == []
    assert (await bob.get(f"/desk/conversations/{thread}")).status_code == 404
    refused = await bob.post(
        f"/desk/conversations/{thread}/reply", data={"body": "Hello?", "csrf_token": bob_token}
    )
    assert refused.status_code == 404
    assert ("bob", "Hello?") not in await center.said(thread)


async def test_a_backchannel_leaves_the_customer_out_and_an_invitation_lets_a_colleague_in(
    center: Center,
) -> None:
    request = await center.inbound("Refund for order 77, please", "web:dave")
    await center.accept(request["task_sid"])
    thread = request["conversation_sid"]
    alice, token = await center.agent("alice@acme.example")

    started = await alice.post(
        f"/desk/conversations/{thread}/backchannels",
        data={"colleague": "bob", "csrf_token": token},
    )
    assert started.status_code == 303
    side = started.headers["location"].rsplit("/", 1)[-1]
    assert side.startswith("CH") and side != thread
    members = await listing(center.client, f"/v1/Conversations/{side}/Participants")
    assert sorted(m["identity"] for m in members) == ["alice", "bob"]
    assert all(m["messaging_binding"] is None for m in members)
    ok_side = await alice.post(
        f"/desk/conversations/{side}/reply",
        data={"body": "Bob, is a refund fine here?", "csrf_token": token},
    )
    assert ok_side.status_code == 303

    bob, bob_token = await center.agent("bob@acme.example")
    seen = await bob.get(f"/desk/conversations/{side}")
    assert seen.status_code == 200
    assert "Bob, is a refund fine here?" in seen.text
    assert "Refund for order 77" not in seen.text  # nothing of the parent, not even the case
    assert "Colleagues only" in seen.text
    assert (await bob.get(f"/desk/conversations/{thread}")).status_code == 404
    assert f"/desk/conversations/{side}" in (await alice.get(f"/desk/conversations/{thread}")).text

    unknown = await alice.post(
        f"/desk/conversations/{thread}/invitations",
        data={"colleague": "mallory", "csrf_token": token},
    )
    assert unknown.status_code == 400
    invited = await alice.post(
        f"/desk/conversations/{thread}/invitations",
        data={"colleague": "bob", "csrf_token": token},
    )
    assert invited.status_code == 303
    cases = await bob.get("/desk/cases")
    [invitation] = re.findall(r'name="invitation_sid" value="([^"]+)"', cases.text)
    accepted = await bob.post(
        f"/desk/conversations/{thread}/invitations/answer",
        data={"invitation_sid": invitation, "answer": "accept", "csrf_token": bob_token},
    )
    assert accepted.status_code == 303
    joined = await bob.get(f"/desk/conversations/{thread}")
    assert joined.status_code == 200
    # a case's thread shares its history: the invitee reads it from the start
    assert '<p class="body">Refund for order 77, please</p>' in joined.text
    assert "Refund for order 77, please" in cells(await bob.get("/desk/cases"), "subject")


async def wrap(
    browser: httpx.AsyncClient, token: str, reservation_sid: str, **fields: str
) -> httpx.Response:
    body = {"reservation_sid": reservation_sid, **fields}
    return await browser.post("/desk/wrapup", json=body, headers={"X-CSRF-Token": token})


async def test_wrap_up_records_the_outcome_and_notes_then_completes_the_task(
    center: Center,
) -> None:
    request = await center.inbound("I want the blue bike", "web:erin")
    offer = await center.accept(request["task_sid"])
    alice, token = await center.agent("alice@acme.example")

    refused = await alice.post("/desk/wrapup", json={"reservation_sid": offer["sid"]})
    assert refused.status_code == 403  # no CSRF header
    no_revenue = await wrap(alice, token, offer["sid"], outcome="sale")
    assert no_revenue.status_code == 400 and "Revenue" in no_revenue.json()["message"]
    unknown = await wrap(alice, token, offer["sid"], outcome="maybe")
    assert unknown.status_code == 400
    assert (await center.task(request["task_sid"]))["assignment_status"] == "assigned"

    done = await wrap(
        alice, token, offer["sid"], outcome="sale", revenue="129.90", currency="eur",
        notes="Blue bike, delivery Friday.",
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json() == {
        "task_sid": request["task_sid"],
        "outcome": "sale",
        "attributed": False,  # no ad behind this chat: the task keeps the outcome
        "noted": True,
    }
    await center.settle()
    task = await center.task(request["task_sid"])
    assert task["assignment_status"] == "completed"
    recorded = json.loads(task["attributes"])["wrapup"]
    assert recorded == {
        "outcome": "sale",
        "revenue": "129.90",
        "currency": "EUR",
        "notes": "Blue bike, delivery Friday.",
        "worker_sid": center.workers["alice"]["sid"],
    }
    thread = request["conversation_sid"]
    lines = await listing(center.client, f"/v1/Conversations/{thread}/Messages")
    [note] = [m for m in lines if m["author"] == "alice"]
    assert note["body"] == "Wrap-up: sale. Blue bike, delivery Friday."
    assert note["kind"] == "note"  # for colleagues: the customer's channel never sends notes
    view = await alice.get(f"/desk/conversations/{thread}")
    assert "Wrap-up: sale. Blue bike, delivery Friday." in view.text

    again = await wrap(alice, token, offer["sid"], outcome="no_sale")
    assert again.status_code == 409

    # the next request goes to Alice again: she is ready
    second = await center.inbound("Do you ship to Norway?", "web:frank")
    assert (await center.pending(second["task_sid"]))["worker_sid"] == center.workers["alice"][
        "sid"
    ]


async def test_the_case_list_sorts_filters_and_pages(center: Center) -> None:
    alice, token = await center.agent("alice@acme.example")
    for subject, customer in (
        ("Charlie: broken pedal", "web:c"),
        ("Alpha: missing invoice", "web:a"),
        ("Bravo: late parcel", "web:b"),
    ):
        request = await center.inbound(subject, customer)
        offer = await center.accept(request["task_sid"])
        assert (await wrap(alice, token, offer["sid"], outcome="no_sale")).status_code == 200
        await center.settle()

    newest_first = await alice.get("/desk/cases")
    assert case_numbers(newest_first) == ["3", "2", "1"]
    assert 'aria-sort="descending"' in newest_first.text
    by_subject = await alice.get("/desk/cases?sort=subject&dir=asc")
    assert cells(by_subject, "subject") == [
        "Alpha: missing invoice",
        "Bravo: late parcel",
        "Charlie: broken pedal",
    ]
    by_customer = await alice.get("/desk/cases?sort=customer&dir=desc")
    assert cells(by_customer, "customer") == ["web:c", "web:b", "web:a"]
    filtered = await alice.get("/desk/cases?q=parcel")
    assert cells(filtered, "subject") == ["Bravo: late parcel"]
    assert cells(await alice.get("/desk/cases?status=closed"), "subject") == []
    assert len(cells(await alice.get("/desk/cases?status=open"), "subject")) == 3

    first = await alice.get("/desk/cases?sort=case&dir=asc&per_page=2")
    assert case_numbers(first) == ["1", "2"]
    assert "page 1 of 2" in first.text
    following = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert following is not None
    second = await alice.get(following.group(1).replace("&amp;", "&"))
    assert case_numbers(second) == ["3"]
    assert 'rel="next"' not in second.text and 'rel="prev"' in second.text
    assert (await alice.get("/desk/cases?sort=nonsense")).status_code == 200  # the default sort


async def control(
    browser: httpx.AsyncClient, token: str, reservation_sid: str, action: str, **extra: str
) -> httpx.Response:
    body = {"reservation_sid": reservation_sid, "action": action, **extra}
    return await browser.post("/desk/call", json=body, headers={"X-CSRF-Token": token})


async def test_call_control_goes_through_the_media_adapter(center: Center, core: Core) -> None:
    media = core.services.media
    assert isinstance(media, RecordingMediaAdapter)
    attributes = {"type": "inbound_call", "call_sid": "CA" + "1" * 32, "from": "+15550100"}
    task = await create(
        center.client,
        f"{center.workspace}/Tasks",
        WorkflowSid=center.workflow,
        Attributes=json.dumps(attributes),
    )
    await center.settle()
    offer = await center.pending(task["sid"])
    alice, token = await center.agent("alice@acme.example")

    # call control is the desktop's, not a REST Instruction
    rest = await center.client.post(offer["url"], data={"Instruction": "hangup"})
    assert rest.status_code == 400 and "Invalid Instruction" in rest.json()["message"]
    accepted = await control(alice, token, offer["sid"], "accept")
    assert accepted.json() == {"action": "accept", "outcome": "succeeded"}
    await center.settle()
    statuses = await listing(center.client, f"{center.workspace}/Tasks/{task['sid']}/Reservations")
    assert [r["reservation_status"] for r in statuses] == ["accepted"]
    for action in ("hold", "resume"):
        assert (await control(alice, token, offer["sid"], action)).json()["outcome"] == "succeeded"
    nobody = await control(alice, token, offer["sid"], "transfer")
    assert nobody.status_code == 400
    bob = center.workers["bob"]["sid"]
    moved = await control(alice, token, offer["sid"], "transfer", colleague=bob)
    assert moved.json()["outcome"] == "succeeded"
    assert (await control(alice, token, offer["sid"], "hangup")).json()["outcome"] == "succeeded"

    asked = [(r.instruction, dict(r.params)) for r in media.requests]
    assert [name for name, _ in asked] == ["dequeue", "hold", "resume", "transfer", "hangup"]
    assert asked[1][1]["url"].startswith("http")  # the hold music
    assert asked[3][1] == {"to": "client:bob"}
    events = await listing(
        center.client, f"{center.workspace}/Events", EventType="reservation.instruction"
    )
    assert len(events) == 5
    media.fail = frozenset({"hold"})
    failed = await control(alice, token, offer["sid"], "hold")
    assert failed.json()["outcome"].startswith("failed: hold refused")

    unknown = await control(alice, token, offer["sid"], "explode")
    assert unknown.status_code == 400
    assert (await control(alice, token, "WR" + "0" * 32, "hold")).status_code == 404
    ok(await center.client.post(offer["url"], data={"ReservationStatus": "completed"}))
    await center.settle()

    chat = await center.inbound("Not a call", "web:gina")
    chat_offer = await center.accept(chat["task_sid"])
    no_call = await control(alice, token, chat_offer["sid"], "hold")
    assert no_call.status_code == 409 and "no call" in no_call.json()["message"]
    assert len(media.requests) == 6  # nothing more reached the adapter


async def test_nobody_else_touches_an_agents_conversation_or_task(
    center: Center, make_client: ClientFactory, accounts: Accounts
) -> None:
    """Neither a colleague nor another account's agent reads the conversation, replies,
    wraps up or controls the agent's task: each is simply not found."""
    request = await center.inbound("Private matter", "web:hank")
    offer = await center.accept(request["task_sid"])
    thread = request["conversation_sid"]
    bob, bob_token = await center.agent("bob@acme.example")
    assert (await wrap(bob, bob_token, offer["sid"], outcome="no_sale")).status_code == 404
    assert (await control(bob, bob_token, offer["sid"], "hangup")).status_code == 404

    other_account, other_token = await accounts.create("Elsewhere")
    other = make_client((other_account.sid, other_token))
    space = await create_workspace(other, FriendlyName="Elsewhere")
    mallory = await create(other, f"{space['url']}/Workers", FriendlyName="Mallory")
    people: People = center.people
    new = NewUser(other_account.sid, "mallory@b.example", "Mallory", "agent", PASSWORD,
                  mallory["sid"])  # fmt: skip
    await people.create(new)
    intruder, intruder_token = await center.agent("mallory@b.example")
    assert (await intruder.get(f"/desk/conversations/{thread}")).status_code == 404
    assert cells(await intruder.get("/desk/cases"), "customer") == []
    reply = await intruder.post(
        f"/desk/conversations/{thread}/reply", data={"body": "hi", "csrf_token": intruder_token}
    )
    assert reply.status_code == 404
    assert (
        await wrap(intruder, intruder_token, offer["sid"], outcome="sale", revenue="1")
    ).status_code == 404
    assert (await control(intruder, intruder_token, offer["sid"], "hold")).status_code == 404
    assert (await center.task(request["task_sid"]))["assignment_status"] == "assigned"
    assert ("Mallory", "hi") not in await center.said(thread)


async def test_the_outcome_of_a_task_from_an_ad_goes_to_the_attribution_pillar(
    center: Center, make_client: ClientFactory
) -> None:
    attribution = "/attribution/v1"
    pool = ok(
        await center.client.post(
            f"{attribution}/Pools",
            data={
                "FriendlyName": "Bikes",
                "Fallback": "+15550000000",
                "ContactPoint": "+15552000001",
            },
        ),
        201,
    )
    click = {"visitor": "v-1", "utm_campaign": "spring-bikes", "utm_source": "google",
             "utm_term": "mountain bike", "landing_page": "/bikes"}  # fmt: skip
    page = make_client(None)
    lease = await page.post(f"/attribution/public/{pool['public_key']}/Leases", json=click)
    assert lease.status_code == 201, lease.text
    call = {
        "from": "+4915112345678",
        "to": lease.json()["contact_point"],
        "call_sid": "CA" + "2" * 32,
    }
    task = await create(
        center.client,
        f"{center.workspace}/Tasks",
        WorkflowSid=center.workflow,
        Attributes=json.dumps(call),
    )
    await center.settle()
    offer = await center.accept(task["sid"])
    alice, token = await center.agent("alice@acme.example")

    done = await wrap(alice, token, offer["sid"], outcome="sale", revenue="250.00", currency="EUR")
    assert done.status_code == 200, done.text
    assert done.json()["attributed"] is True
    assert done.json()["noted"] is False  # no notes, and no conversation behind a call
    await center.settle()
    report = ok(
        await center.client.get(
            f"{attribution}/Reports", params={"Dimension": "campaign", "Currency": "EUR"}
        )
    )
    [row] = report["rows"]
    assert (row["campaign"], row["sales"], row["revenue"]) == ("spring-bikes", 1, "250.00")
    assert (await center.task(task["sid"]))["assignment_status"] == "completed"


async def _served(center: Center, clock: FakeClock, body: str, member: str) -> dict[str, Any]:
    """A request of web:carol that `member` (the only one Available) accepts and answers;
    the customer stays quiet, so it retires, and she rates it 4."""
    for name, worker in center.workers.items():
        activity = center.activities["Available" if name == member else "Offline"]
        ok(await center.client.post(f"{center.workspace}/Workers/{worker['sid']}",
                                    data={"ActivitySid": activity}))  # fmt: skip
    request = await center.inbound(body, "web:carol")
    offer = await center.accept(request["task_sid"])
    assert offer["worker_sid"] == center.workers[member]["sid"]
    chat = request["conversation_sid"]
    answer = {"Author": member, "Body": "Sorted, anything else?"}
    ok(await center.client.post(f"/v1/Conversations/{chat}/Messages", data=answer), 201)
    clock.advance(125)
    await center.settle()
    retired = ok(await center.client.get(f"/v1/Requests/{request['sid']}"))
    assert retired["status"] == "retired"
    await center.inbound("4 thanks", "web:carol")  # the rating of the retired request
    return retired


async def _history(browser: httpx.AsyncClient, reservation: str) -> httpx.Response:
    return await browser.get("/desk/history", params={"reservation": reservation})


async def test_the_task_canvas_shows_the_customers_earlier_requests_from_the_agents_view(
    center: Center, clock: FakeClock
) -> None:
    profile = {"WorkspaceSid": center.workspace.rsplit("/", 1)[-1],
               "WorkflowSid": center.workflow, "ProxyAddress": "web:acme",
               "InactiveAfter": "PT1M", "RetireFactor": "2"}  # fmt: skip
    ok(await center.client.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    first = await _served(center, clock, "My invoice is wrong", "alice")
    second = await _served(center, clock, "Where is my parcel?", "bob")

    # a third request, answered by alice: she sees both earlier ones, newest first; the
    # subject and the way in only of the case she took part in
    for name, activity in (("alice", "Available"), ("bob", "Offline")):
        ok(await center.client.post(f"{center.workspace}/Workers/{center.workers[name]['sid']}",
                                    data={"ActivitySid": center.activities[activity]}))  # fmt: skip
    third = await center.inbound("And my password?", "web:carol")
    offer = await center.accept(third["task_sid"])
    alice, _csrf = await center.agent("alice@acme.example")
    answer = await _history(alice, offer["sid"])
    assert answer.status_code == 200, answer.text
    rows = answer.json()["requests"]
    cases = {c["sid"]: c for c in await listing(center.client, "/v1/Sequences")}
    assert [r["case_number"] for r in rows] == [
        cases[second["sequence_sid"]]["case_number"], cases[first["sequence_sid"]]["case_number"],
    ]  # fmt: skip
    bobs, alices = rows
    assert (bobs["member"], bobs["status"], bobs["rating"]) == ("bob", "retired", 4)
    assert bobs["subject"] is None and bobs["conversation_url"] is None  # not hers to read
    assert (alices["member"], alices["subject"]) == ("alice", "My invoice is wrong")
    assert alices["conversation_url"] == f"/desk/conversations/{first['conversation_sid']}"
    assert alices["opened"] is not None and alices["closed"] is not None

    # bob cannot read the history through alice's reservation, nor anyone a made-up one
    bob, _csrf = await center.agent("bob@acme.example")
    assert (await _history(bob, offer["sid"])).status_code == 404
    assert (await _history(alice, "not-a-sid")).status_code == 400
    assert (await _history(center.make_client(None), offer["sid"])).status_code in (401, 303)


async def test_a_first_request_has_no_history(center: Center) -> None:
    request = await center.inbound("Hello?", "web:dave")
    offer = await center.accept(request["task_sid"])
    alice, _csrf = await center.agent("alice@acme.example")
    answer = await _history(alice, offer["sid"])
    assert answer.status_code == 200 and answer.json() == {"requests": []}
