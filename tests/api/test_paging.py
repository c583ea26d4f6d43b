"""Paging: Twilio's meta block, PageToken links that keep filters, and absolute `Page`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.helpers import META_KEYS, assert_error, create, create_workspace, ok


@pytest.fixture
async def queues_url(client: httpx.AsyncClient) -> str:
    """A workspace with exactly five queues."""
    workspace = await create_workspace(client)
    url = f"{workspace['url']}/TaskQueues"
    for number in range(5):
        await create(client, url, FriendlyName=f"Queue {number}")
    return url


async def test_following_next_page_url_walks_every_record_once(
    client: httpx.AsyncClient, queues_url: str
) -> None:
    pages: list[dict[str, Any]] = []
    url: str | None = f"{queues_url}?PageSize=2"
    while url is not None:
        pages.append(ok(await client.get(url)))
        url = pages[-1]["meta"]["next_page_url"]
    names = [q["friendly_name"] for page in pages for q in page["task_queues"]]
    assert names == [f"Queue {n}" for n in range(5)]
    assert [len(page["task_queues"]) for page in pages] == [2, 2, 1]
    assert [page["meta"]["page"] for page in pages] == [0, 1, 2]
    first, second, last = (page["meta"] for page in pages)
    assert set(first) == META_KEYS
    assert first["key"] == "task_queues"
    assert first["page_size"] == 2
    assert first["previous_page_url"] is None
    assert first["first_page_url"] == f"{queues_url}?PageSize=2&Page=0"
    assert first["url"] == f"{queues_url}?PageSize=2&Page=0"
    assert second["url"] == first["next_page_url"]
    assert second["next_page_url"].startswith("http://testserver/v1/Workspaces/")
    assert last["next_page_url"] is None
    previous = ok(await client.get(last["previous_page_url"]))
    assert previous["task_queues"] == pages[1]["task_queues"]


async def test_absolute_page_numbers_still_work(client: httpx.AsyncClient, queues_url: str) -> None:
    body = ok(await client.get(queues_url, params={"PageSize": 2, "Page": 1}))
    assert [q["friendly_name"] for q in body["task_queues"]] == ["Queue 2", "Queue 3"]
    assert body["meta"]["page"] == 1
    assert body["meta"]["previous_page_url"] is not None
    default = ok(await client.get(queues_url))
    assert (default["meta"]["page_size"], len(default["task_queues"])) == (50, 5)
    assert default["meta"]["next_page_url"] is None


async def test_next_page_url_keeps_the_filters(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await create_workspace(client, FriendlyName="Same name")
    await create_workspace(client, FriendlyName="Other")
    first = ok(
        await client.get("/v1/Workspaces", params={"FriendlyName": "Same name", "PageSize": 2})
    )
    next_url = first["meta"]["next_page_url"]
    query = parse_qs(urlsplit(next_url).query)
    assert query["FriendlyName"] == ["Same name"]
    assert query["PageToken"][0].startswith("PT")
    second = ok(await client.get(next_url))
    assert [w["friendly_name"] for w in second["workspaces"]] == ["Same name"]
    assert second["meta"]["next_page_url"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"PageSize": "0"}, "Invalid PageSize"),
        ({"PageSize": "1001"}, "Invalid PageSize"),
        ({"Page": "-1"}, "Invalid Page"),
        ({"PageToken": "bogus"}, "Invalid PageToken"),
    ],
)
async def test_bad_paging_parameters_are_400(
    client: httpx.AsyncClient, queues_url: str, query: dict[str, str], message: str
) -> None:
    assert_error(await client.get(queues_url, params=query), 400, 20001, message)
