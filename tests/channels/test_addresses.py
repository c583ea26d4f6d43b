"""Carrier addresses: each number, mailbox or widget names exactly one organization."""

from __future__ import annotations

import httpx


async def _create(client: httpx.AsyncClient, **data: str) -> httpx.Response:
    return await client.post("/v1/Channels/Addresses", data=data)


async def test_an_address_is_stored_in_canonical_form_and_fetched_listed_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(
        client, Channel="sms", Address="+1 (555) 010-0001", FriendlyName="Support line"
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["address"] == "+15550100001"
    assert body["sid"].startswith("XA")
    mailbox = (await _create(client, Channel="email", Address="Desk <Help@Example.ORG>")).json()
    assert mailbox["address"] == "help@example.org"

    fetched = await client.get(f"/v1/Channels/Addresses/{body['sid']}")
    assert fetched.json()["friendly_name"] == "Support line"
    listed = await client.get("/v1/Channels/Addresses", params={"Channel": "sms"})
    assert [a["sid"] for a in listed.json()["addresses"]] == [body["sid"]]

    assert (await client.delete(f"/v1/Channels/Addresses/{body['sid']}")).status_code == 204
    assert (await client.get(f"/v1/Channels/Addresses/{body['sid']}")).status_code == 404


async def test_one_address_belongs_to_one_organization(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    assert (await _create(client, Channel="sms", Address="+15550100001")).status_code == 201
    taken = await _create(other_client, Channel="sms", Address="+1 555 010 0001")
    assert taken.status_code == 409
    assert taken.json()["code"] == 21422
    # the same digits on another channel are another identifier
    assert (await _create(other_client, Channel="voice", Address="+15550100001")).status_code == 201


async def test_malformed_addresses_answer_400_with_the_reason(client: httpx.AsyncClient) -> None:
    cases = [
        ({"Channel": "fax", "Address": "+15550100001"}, "Channel must be one of"),
        ({"Channel": "sms", "Address": "0100001"}, "E.164"),
        ({"Channel": "email", "Address": "not-an-address"}, "not an email address"),
        ({"Channel": "chat", "Address": "a b"}, "widget id"),
        ({"Channel": "sms"}, "Missing required parameter Address"),
        ({"Channel": "sms", "Address": "+15550100001", "Attributes": "[1]"}, "JSON object"),
    ]
    for data, reason in cases:
        answer = await _create(client, **data)
        assert answer.status_code == 400, data
        assert reason in answer.json()["message"]
    assert (await client.get("/v1/Channels/Addresses")).json()["addresses"] == []


async def test_another_account_cannot_see_or_delete_an_address(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    sid = (await _create(client, Channel="sms", Address="+15550100001")).json()["sid"]
    assert (await other_client.get(f"/v1/Channels/Addresses/{sid}")).status_code == 404
    assert (await other_client.delete(f"/v1/Channels/Addresses/{sid}")).status_code == 404
    assert (await other_client.get("/v1/Channels/Addresses")).json()["addresses"] == []
    assert (await client.get(f"/v1/Channels/Addresses/{sid}")).status_code == 200


async def test_an_address_names_its_organization_and_may_change_it(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    made = (await _create(client, Channel="sms", Address="+15550100001")).json()
    assert made["organization"] is None
    url = f"/v1/Channels/Addresses/{made['sid']}"
    named = await client.post(url, data={"Organization": "acme", "FriendlyName": "Sales"})
    assert named.status_code == 200, named.text
    assert (named.json()["organization"], named.json()["friendly_name"]) == ("acme", "Sales")
    assert (await client.get(url)).json()["organization"] == "acme"
    kept = (await client.post(url, data={"FriendlyName": "Sales line"})).json()
    assert kept["organization"] == "acme"  # what is not sent stays
    cleared = (await client.post(url, data={"Organization": ""})).json()
    assert cleared["organization"] is None
    bad = await client.post(url, data={"Attributes": "[1]"})
    assert bad.status_code == 400 and "JSON object" in bad.json()["message"]
    assert (await other_client.post(url, data={"Organization": "theirs"})).status_code == 404
