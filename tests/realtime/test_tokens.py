"""Worker tokens: exactly what the twilio SDK mints opens the channel, nothing else."""

from __future__ import annotations

import jwt
import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken

from switchboard.distribution.work.worker_tokens import TokenRejected, mint, verify
from tests.callbacks.support import Live


def _sdk(live: Live, worker: str, token: str | None = None, **kw: object) -> str:
    capability = WorkerCapabilityToken(
        live.account_sid, token or live.auth_token, live.workspace_sid, worker, **kw
    )
    return str(capability.to_jwt())


async def _verify(live: Live, token: str | None, worker: str) -> None:
    await verify(live.svc.store, live.svc.signing, token, live.account_sid, worker)


async def test_an_sdk_token_is_accepted(live: Live) -> None:
    await live.workspace()
    worker = await live.worker("Alice")
    claims = await verify(
        live.svc.store, live.svc.signing, _sdk(live, worker), live.account_sid, worker
    )
    assert (claims.workspace_sid, claims.worker_sid) == (live.workspace_sid, worker)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda live, w, o: _sdk(live, w, ttl=-60), "token expired"),
        (lambda live, w, o: _sdk(live, w, token="f" * 32), "bad token signature"),
        (lambda live, w, o: _sdk(live, o), "token is for another worker"),
        (lambda live, w, o: _sdk(live, w, allow_web_sockets=False), "does not allow"),
        (lambda live, w, o: "not-a-jwt", "invalid token"),
        (lambda live, w, o: None, "missing token"),
    ],
)
async def test_bad_tokens_are_refused_with_a_reason(live: Live, make: object, reason: str) -> None:
    await live.workspace()
    worker = await live.worker("Alice")
    other = await live.worker("Bob")
    assert callable(make)
    with pytest.raises(TokenRejected, match=reason):
        await _verify(live, make(live, worker, other), worker)


async def test_a_token_for_another_account_is_refused(live: Live) -> None:
    await live.workspace()
    worker = await live.worker("Alice")
    payload = jwt.decode(_sdk(live, worker), options={"verify_signature": False})
    forged = jwt.encode({**payload, "iss": "AC" + "0" * 32}, live.auth_token, algorithm="HS256")
    with pytest.raises(TokenRejected, match="another account"):
        await _verify(live, forged, worker)


async def test_minted_tokens_carry_the_sdk_claims(live: Live) -> None:
    await live.workspace()
    worker = await live.worker("Alice")
    token, expires = mint(live.account_sid, live.auth_token, live.workspace_sid, worker, 60)
    ours = jwt.decode(token, live.auth_token, algorithms=["HS256"])
    theirs = jwt.decode(_sdk(live, worker), live.auth_token, algorithms=["HS256"])
    for claim in ("iss", "account_sid", "workspace_sid", "channel", "worker_sid", "version"):
        assert ours[claim] == theirs[claim]
    assert ours["exp"] == expires
    await _verify(live, token, worker)


async def test_the_token_route_mints_a_working_token(live: Live) -> None:
    await live.workspace()
    worker = await live.worker("Alice")
    url = f"/v1/Workspaces/{live.workspace_sid}/Workers/{worker}/Token"
    async with live.http() as http:
        created = await http.post(url, data={"Ttl": "120"})
        too_long = await http.post(url, data={"Ttl": "86401"})
        anonymous = await http.post(url, auth=("AC" + "1" * 32, "nope"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["expires_at"].endswith("Z")
    ws_base = "ws" + live.base_url.removeprefix("http")
    assert body["channel_url"] == f"{ws_base}/v1/wschannels/{live.account_sid}/{worker}"
    await _verify(live, body["token"], worker)
    assert too_long.status_code == 400
    assert anonymous.status_code == 401
