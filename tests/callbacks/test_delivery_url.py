"""A CallbackDeliveries record's `url` resolves to that record, like every Twilio
resource's (issue 11)."""

from __future__ import annotations

from typing import Any

from tests.callbacks.support import Live, Receiver, eventually


async def test_a_delivery_url_fetches_the_delivery(live: Live, receiver: Receiver) -> None:
    await live.workspace(event_url=receiver.url("events"))
    listing = f"/v1/Workspaces/{live.workspace_sid}/CallbackDeliveries"
    async with live.http() as http:

        async def delivered() -> list[dict[str, Any]]:
            body = (await http.get(listing, params={"Status": "delivered"})).json()
            records: list[dict[str, Any]] = body["callback_deliveries"]
            return records

        record = (await eventually(delivered))[0]
        fetched = await http.get(record["url"])
        missing = await http.get(f"{listing}/CB{'0' * 32}")

    assert fetched.status_code == 200
    assert fetched.json() == record
    assert missing.status_code == 404 and missing.json()["code"] == 20404
