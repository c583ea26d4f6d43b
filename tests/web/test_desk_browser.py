"""Issue 16's end-to-end scenario in a real browser (Debian's chromium through Playwright).

A customer writes from the web-chat widget on a shop's page; the organization's routing
profile makes it a request: a case and a task. The agent signs in, goes Available, sees
the offer pop up, accepts, opens the conversation from the task canvas, replies (the reply
appears in the customer's widget), adds a note, starts a backchannel with a colleague,
finds the case in the case list (sorted, filtered), then wraps up with a sale; the task
completes and the desktop waits for the next one. axe-core finds no serious violation on
any of these pages, and no page breaks the CSP.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from switchboard.pages_bridge import DistributionFloor
from switchboard.runtime import Core, build_core
from switchboard.settings import Settings
from switchboard.web.people import NewUser, People
from tests.live import LiveServer, wait_for
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DOCS_IMAGES, describe, serious_violations

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
PASSWORD = "correct horse battery"
SHOP_PAGE = """<!doctype html><html lang="en"><head><title>Acme shop</title></head>
<body><h1>Acme shop</h1>
<script>document.addEventListener("switchboard:ready", () => { window.chatReady = true; });</script>
<script src="{server}/v1/Channels/Chat/widget.js" data-widget="acme-web"></script>
</body></html>"""


@dataclass
class Center:
    server: LiveServer
    api: httpx.Client
    workspace: dict[str, Any]
    workers: dict[str, dict[str, Any]]
    activities: dict[str, str]

    def get(self, url: str, **query: str) -> dict[str, Any]:
        answer = self.api.get(url, params=query)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def activity_of(self, worker: str) -> str:
        return str(self.get(self.workers[worker]["url"])["activity_name"])

    def tasks(self) -> list[dict[str, Any]]:
        """Every task, each read in full (with its attributes)."""
        listed = self.get(f"{self.workspace['url']}/Tasks")["tasks"]
        return [self.get(t["url"]) for t in listed]


async def _people(database_url: str, account_sid: str, workers: dict[str, str]) -> None:
    core: Core = build_core(Settings(database_url=database_url))
    try:
        people = People(core.store, core.services.clock, DistributionFloor(core.services))
        for name, worker_sid in workers.items():
            email = f"{name.lower()}@acme.example"
            await people.create(NewUser(account_sid, email, name, "agent", PASSWORD, worker_sid))
    finally:
        await core.close()


async def _account(database_url: str) -> tuple[str, str]:
    core = build_core(Settings(database_url=database_url))
    try:
        account, token = await core.accounts.create("Acme")
        return account.sid, token
    finally:
        await core.close()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Center]:
    """A server with web chat on; the widget `acme-web` is the organization's address;
    Alice and Bob are agents of its workspace (both Offline)."""
    folder = tmp_path_factory.mktemp("desk")
    database_url = f"sqlite+aiosqlite:///{folder / 'desk.db'}"
    server = LiveServer(database_url, folder / "server.log")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWITCHBOARD_CHANNEL_CHAT", "true")
        server.start(timeout=60)  # a loaded 2-core machine starts it slowly
    try:
        account_sid, token = asyncio.run(_account(database_url))
        api = httpx.Client(base_url=server.base_url, auth=(account_sid, token), timeout=10)
        made = api.post("/v1/Workspaces", data={"FriendlyName": "Acme", "Template": "FIFO"})
        assert made.status_code == 201, made.text
        workspace = made.json()
        flows = api.get(f"{workspace['url']}/Workflows").json()["workflows"]
        listed = api.get(f"{workspace['url']}/Activities").json()["activities"]
        activities = {a["friendly_name"]: a["sid"] for a in listed}
        workers = {}
        for name in ("Alice", "Bob"):
            data = {"FriendlyName": name, "ActivitySid": activities["Offline"]}
            workers[name] = api.post(f"{workspace['url']}/Workers", data=data).json()
        asyncio.run(_people(database_url, account_sid, {n: w["sid"] for n, w in workers.items()}))
        widget = {"Channel": "chat", "Address": "acme-web"}
        assert api.post("/v1/Channels/Addresses", data=widget).status_code == 201
        profile = {
            "WorkspaceSid": workspace["sid"],
            "WorkflowSid": flows[0]["sid"],
            "ProxyAddress": "acme-web",
        }
        answer = api.post("/v1/Organizations/acme/RoutingProfile", data=profile)
        assert answer.status_code in (200, 201), answer.text
        yield Center(server, api, workspace, workers, activities)
        api.close()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (./run test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_page(
    contexts: list[BrowserContext], browser: Browser, base_url: str, csp: list[str]
) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    contexts.append(context)
    page = context.new_page()
    page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    return page


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/desk$"))
    expect(page.locator("#connection")).to_have_text("Connected")


def assert_accessible(page: Page, what: str) -> None:
    found = serious_violations(page)
    assert not found, f"axe on {what}: {describe(found)}"


@pytest.fixture(scope="module")
def shop(center: Center) -> Iterator[str]:
    """The shop's site: another origin (another port) whose page carries the widget's tag."""
    html = SHOP_PAGE.replace("{server}", center.server.base_url).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: Any) -> None:
            return

    site = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}/"
    site.shutdown()
    site.server_close()
    thread.join(5)


def customer_page(contexts: list[BrowserContext], browser: Browser, shop: str) -> Page:
    """A visitor on the shop's page: the widget draws its box and connects."""
    context = browser.new_context()
    contexts.append(context)
    page = context.new_page()
    said: list[str] = []
    page.on("console", lambda m: said.append(m.text))
    page.on("requestfailed", lambda r: said.append(f"{r.url} {r.failure}"))
    page.goto(shop)
    try:
        page.wait_for_function("window.chatReady === true", timeout=15000)
    except Exception as exc:
        raise AssertionError(f"the widget did not connect: {said}") from exc
    return page


def test_an_agent_answers_a_web_chat_and_wraps_up_with_a_sale(
    center: Center,
    shop: str,
    browser: Browser,
    contexts: list[BrowserContext],
    tmp_path: Path,
) -> None:
    csp: list[str] = []
    desk = new_page(contexts, browser, center.server.base_url, csp)
    sign_in(desk, "alice@acme.example")
    desk.get_by_label("Activity").select_option(label="Available")
    wait_for(lambda: center.activity_of("Alice") == "Available")

    customer = customer_page(contexts, browser, shop)
    customer.get_by_label("Message").fill("Hi! My order 1234 has not arrived.")
    customer.get_by_label("Message").press("Enter")
    expect(customer.locator("body")).to_contain_text("we have your request")  # the queue's feedback

    offer = desk.get_by_role("alertdialog", name="Incoming task")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("chat")
    offer.get_by_role("button", name="Accept").click()
    expect(desk.locator("#canvas-status")).to_have_text("Accepted")
    [task] = center.tasks()
    attributes = json.loads(task["attributes"])
    thread = attributes["conversations"]["interaction_sid"]
    link = desk.get_by_role("link", name="Open the conversation")
    expect(link).to_have_attribute("href", f"/desk/conversations/{thread}")
    history = desk.get_by_role("region", name="Customer history")  # read from /desk/history
    expect(history).to_contain_text("No earlier requests from this customer.")
    assert_accessible(desk, "the desktop with a chat task")

    link.click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("My order 1234 has not arrived.")
    lines = desk.get_by_role("list", name="Messages and notes")
    expect(lines).to_contain_text("Hi! My order 1234 has not arrived.")
    desk.get_by_label("Message", exact=True).fill("Sorry about that! It leaves the depot today.")
    desk.get_by_role("button", name="Send").click()
    expect(lines).to_contain_text("Sorry about that! It leaves the depot today.")
    expect(customer.locator("body")).to_contain_text("Sorry about that! It leaves the depot today.")
    expect(desk.locator("#live")).to_have_text("Live: new messages appear here.")
    customer.get_by_label("Message").fill("Thanks! Can I have it by Friday?")
    customer.get_by_label("Message").press("Enter")
    expect(lines).to_contain_text("Thanks! Can I have it by Friday?")  # pushed, no reload

    desk.get_by_label(re.compile(r"^Note")).fill("Carrier confirmed by phone.")
    desk.get_by_role("button", name="Add note").click()
    expect(lines).to_contain_text("Carrier confirmed by phone.")
    customer.wait_for_timeout(300)
    expect(customer.locator("body")).not_to_contain_text("Carrier confirmed by phone.")
    assert_accessible(desk, "the conversation view")
    screenshot(desk, tmp_path, "agent-conversation.png")

    desk.get_by_label("Invite to this conversation").select_option(label="Bob")
    desk.get_by_role("button", name="Invite").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Case #1")

    desk.get_by_label("Backchannel with").select_option(label="Bob")
    desk.get_by_role("button", name="Start backchannel").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Backchannel: Alice and Bob")
    expect(desk.locator("main")).to_contain_text("Colleagues only")
    desk.get_by_label("Message", exact=True).fill("Bob, can we offer free shipping?")
    desk.get_by_role("button", name="Send").click()
    expect(desk.get_by_role("list", name="Messages and notes")).to_contain_text("free shipping")
    customer.wait_for_timeout(300)
    expect(customer.locator("body")).not_to_contain_text("free shipping")

    desk.get_by_role("navigation", name="Pages").get_by_role("link", name="Cases").click()
    table = desk.locator("#cases")
    expect(table).to_contain_text("My order 1234 has not arrived.")
    expect(table.locator("td.owner")).to_have_text(["Alice"])
    expect(desk.get_by_role("region", name="Backchannels")).to_contain_text("Alice and Bob")
    desk.get_by_role("link", name="Subject").click()
    expect(desk.locator("th[aria-sort]")).to_contain_text("Subject")
    desk.get_by_label("Customer, subject or owner").fill("nothing like this")
    desk.get_by_role("button", name="Filter").click()
    expect(table).to_contain_text("No case to show.")
    assert_accessible(desk, "the case list")

    desk.get_by_role("link", name="Desktop").first.click()
    expect(desk.locator("#connection")).to_have_text("Connected")
    expect(desk.locator("#canvas-status")).to_have_text("Accepted")
    desk.get_by_label("Outcome", exact=True).select_option(label="Sale")
    desk.get_by_label("Revenue").fill("129.90")
    desk.get_by_label("Currency").fill("EUR")
    desk.get_by_label("Notes").fill("Sold express shipping.")
    assert_accessible(desk, "the desktop's wrap-up")
    screenshot(desk, tmp_path, "agent-desktop-wrapup.png")
    desk.get_by_role("button", name="Finish with this outcome").click()
    expect(desk.locator("#canvas-empty")).to_be_visible()
    wait_for(lambda: center.tasks()[0]["assignment_status"] == "completed")
    wrapup = json.loads(center.tasks()[0]["attributes"])["wrapup"]
    assert (wrapup["outcome"], wrapup["revenue"], wrapup["currency"]) == ("sale", "129.90", "EUR")
    assert desk.get_by_label("Activity").input_value() == center.activities["Available"]

    desk.get_by_label("Activity").select_option(label="Offline")
    wait_for(lambda: center.activity_of("Alice") == "Offline")
    assert csp == []


def test_a_colleague_sees_nothing_of_a_case_until_joining_it_by_invitation(
    center: Center, browser: Browser, contexts: list[BrowserContext]
) -> None:
    tasks = center.tasks()
    assert tasks, "runs after the scenario above"
    thread = json.loads(tasks[0]["attributes"])["conversations"]["interaction_sid"]
    page = new_page(contexts, browser, center.server.base_url, [])
    sign_in(page, "bob@acme.example")
    page.goto("/desk/cases")
    expect(page.locator("#cases")).to_contain_text("No case to show.")
    expect(page.locator("main")).not_to_contain_text("order 1234")
    answer = page.goto(f"/desk/conversations/{thread}")
    assert answer is not None and answer.status == 404
    page.goto("/desk/cases")
    closed = page.evaluate(
        """sid => new Promise(resolve => {
             const socket = new WebSocket(`ws://${location.host}/desk/conversations/${sid}/live`);
             socket.onclose = (event) => resolve(event.code);
           })""",
        thread,
    )
    assert closed == 4401  # no live view of a conversation he does not see

    # the backchannel Alice started: Bob reads it, and nothing of the case
    page.goto("/desk/cases")
    page.get_by_role("region", name="Backchannels").get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("free shipping")
    expect(page.locator("main")).not_to_contain_text("order 1234")
    assert_accessible(page, "a colleague's backchannel")

    # Alice's invitation: rejected, the case stays out of sight
    page.goto("/desk/cases")
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text("Case 1")
    assert_accessible(page, "the case list with an invitation")
    invitations.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("region", name="Invitations")).to_have_count(0)
    expect(page.locator("#cases")).to_contain_text("No case to show.")

    # a second invitation, accepted: Bob is in the case and reads its whole thread
    again = center.api.post(f"/v1/Conversations/{thread}/Invitations", data={"Identity": "Bob"})
    assert again.status_code == 201, again.text
    page.goto("/desk/cases")
    page.get_by_role("region", name="Invitations").get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(f"/desk/conversations/{thread}$"))
    expect(page.get_by_role("list", name="Messages and notes")).to_contain_text(
        "Hi! My order 1234 has not arrived."
    )
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Cases").click()
    expect(page.locator("#cases td.subject")).to_have_text(["Hi! My order 1234 has not arrived."])


def test_an_agent_controls_a_voice_call_from_the_desktop(
    center: Center, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Accept, hold, resume, transfer and hang up go to the media adapter (the recording
    one here: no telephony platform), each recorded as a `reservation.instruction` event."""
    bob = {"identity": "Bob", "contact_uri": "client:bob"}
    moved = center.api.post(center.workers["Bob"]["url"], data={"Attributes": json.dumps(bob)})
    assert moved.status_code == 200, moved.text
    csp: list[str] = []
    desk = new_page(contexts, browser, center.server.base_url, csp)
    sign_in(desk, "alice@acme.example")
    desk.get_by_label("Activity").select_option(label="Available")
    wait_for(lambda: center.activity_of("Alice") == "Available")
    call = {"type": "inbound_call", "call_sid": "CA" + "7" * 32, "from": "+15550107"}
    flows = center.get(f"{center.workspace['url']}/Workflows")["workflows"]
    made = center.api.post(
        f"{center.workspace['url']}/Tasks",
        data={"WorkflowSid": flows[0]["sid"], "Attributes": json.dumps(call)},
    )
    assert made.status_code == 201, made.text

    offer = desk.get_by_role("alertdialog", name="Incoming task")
    expect(offer).to_contain_text("inbound_call")
    offer.get_by_role("button", name="Accept").click()
    expect(desk.locator("#canvas-status")).to_have_text("Accepted")
    controls = desk.get_by_role("region", name="Call")
    expect(controls).to_be_visible()
    assert_accessible(desk, "the desktop with a call")
    status = desk.locator("#call-status")
    for button, shown in (("Hold", "hold"), ("Resume", "resume")):
        controls.get_by_role("button", name=button).click()
        expect(status).to_have_text(f"{shown}: succeeded")
    controls.get_by_label("Transfer to").select_option(label="Bob")
    controls.get_by_role("button", name="Transfer").click()
    expect(status).to_have_text("transfer: succeeded")
    controls.get_by_role("button", name="Hang up").click()
    expect(status).to_have_text("hangup: succeeded")

    events = center.get(
        f"{center.workspace['url']}/Events",
        TaskSid=made.json()["sid"],
        EventType="reservation.instruction",
    )["events"]
    done = sorted((e["event_date_ms"], e["event_data"]["instruction"]) for e in events)
    assert [name for _when, name in done] == ["dequeue", "hold", "resume", "transfer", "hangup"]

    desk.get_by_label("Outcome", exact=True).select_option(label="Wants a callback")
    desk.get_by_role("button", name="Finish with this outcome").click()
    expect(desk.locator("#canvas-empty")).to_be_visible()
    desk.get_by_label("Activity").select_option(label="Offline")
    wait_for(lambda: center.activity_of("Alice") == "Offline")
    assert csp == []


def screenshot(page: Page, tmp: Path, name: str) -> None:
    """Into the test's folder; into docs/images with SWITCHBOARD_SCREENSHOTS=1."""
    page.screenshot(path=str(tmp / name), full_page=True)
    if os.environ.get("SWITCHBOARD_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp / name, DOCS_IMAGES / name)
