"""The widget in a real browser (headless Chromium): one `<script>` tag on a page of another
origin draws the box, gets a visitor token, opens the websocket and sends what the visitor
typed; the text arrives in the organization's conversation and the member's reply is drawn,
then that the member is typing again."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from switchboard.runtime import build_runtime
from switchboard.settings import Settings
from switchboard.testing import processes
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or sys.platform != "linux", reason="needs chromium"),
]

PAGE = """<!doctype html><html><body><h1>Acme shop</h1>
<script src="{server}/v1/Channels/Chat/widget.js" data-widget="acme-web"></script>
<script>
  // the visitor types once the widget's socket is open, then waits for the reply
  document.addEventListener("switchboard:ready", function () {{
    var input = document.querySelector("input[aria-label=Message]");
    input.value = "Is the red one in stock?";
    input.form.requestSubmit();
  }}, {{ once: true }});
</script>
<!-- the page is not loaded (and its DOM not dumped) before this image: after the reply -->
<img src="/wait" alt=""></body></html>"""


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[tuple[str, httpx.AsyncClient, asyncio.Event]]:
    replied = asyncio.Event()
    runtime = build_runtime(
        Settings(database_url=database_url, channel_chat=True, fairness=False),
        outbound=fast_settings(),
    )
    async with serve(runtime.app) as server:
        account, token = await runtime.core.accounts.create("Acme")
        async with httpx.AsyncClient(base_url=server, auth=(account.sid, token), timeout=30) as api:
            widget = {"Channel": "chat", "Address": "acme-web"}
            assert (await api.post("/v1/Channels/Addresses", data=widget)).status_code == 201

            async def page(_request: object) -> HTMLResponse:
                return HTMLResponse(PAGE.format(server=server))

            async def wait(_request: object) -> HTMLResponse:
                await asyncio.wait_for(replied.wait(), 60)
                await asyncio.sleep(0.5)  # the reply's frame reaches the page meanwhile
                return HTMLResponse("ok")

            routes = [Route("/", page), Route("/wait", wait)]
            async with serve(Starlette(routes=routes)) as shop:
                yield shop, api, replied


async def test_a_visitor_writes_from_a_real_browser_and_sees_the_reply(
    site: tuple[str, httpx.AsyncClient, asyncio.Event], tmp_path: object
) -> None:
    shop, api, replied = site
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={tmp_path}", "--dump-dom", f"{shop}/",
    ]  # fmt: skip
    browser = asyncio.create_task(asyncio.to_thread(processes.run, command, timeout=90))

    async def first_message() -> tuple[str, list[str]] | None:
        """The conversation once the visitor's text is in it (it is created first)."""
        found = (await api.get("/v1/Conversations")).json()["conversations"]
        if not found:
            return None
        path = f"/v1/Conversations/{found[0]['sid']}"
        bodies = [m["body"] for m in (await api.get(f"{path}/Messages")).json()["messages"]]
        return (path, bodies) if bodies else None

    try:
        path, bodies = await eventually(first_message, timeout=60)
    except AssertionError:
        done = await browser
        raise AssertionError(f"nothing arrived; the browser said: {done.stdout[-1500:]}") from None
    assert bodies == ["Is the red one in stock?"]
    await api.post(f"{path}/Participants", data={"Identity": "ada"})
    await api.post(f"{path}/Messages", data={"Author": "ada", "Body": "Yes, three left."})
    typed = await api.post(f"{path}/Typing", data={"Identity": "ada"})  # ada writes more
    assert typed.status_code == 202, typed.text
    replied.set()

    done = await browser
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Is the red one in stock?" in done.stdout
    assert "Yes, three left." in done.stdout
    assert "ada is typing\u2026" in done.stdout
