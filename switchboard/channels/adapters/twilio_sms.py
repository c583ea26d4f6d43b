"""The SMS provider speaking Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/
Messages.json`, HTTP Basic with the account sid and auth token). Another provider is
another class with the same `send`: the pillar does not change."""

from __future__ import annotations

import base64
import json

import httpx

from switchboard.channels.ports import CarrierAccount, ProviderError, Reply
from switchboard.outbound.client import Outbound, RefusedUrl

DEFAULT_API_URL = "https://api.twilio.com"


class TwilioMessages:
    """:class:`~switchboard.channels.ports.SmsProvider` over the guarded outbound client."""

    def __init__(
        self,
        outbound: Outbound,
        account_sid: str,
        auth_token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 15.0,
    ) -> None:
        self.outbound = outbound
        self.api_url = api_url.rstrip("/")
        self.deployment = bool(account_sid and auth_token)  # else organizations' own only
        self.url, self.headers = self._endpoint(account_sid, auth_token)
        self.timeout = timeout

    def _endpoint(self, account_sid: str, auth_token: str) -> tuple[str, dict[str, str]]:
        url = f"{self.api_url}/2010-04-01/Accounts/{account_sid}/Messages.json"
        basic = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        return url, {"Authorization": f"Basic {basic}", "Accept": "application/json"}

    def form(self, reply: Reply, status_callback: str | None) -> dict[str, str]:
        form = {"To": reply.recipient, "From": reply.sender, "Body": reply.body}
        if status_callback is not None:
            form["StatusCallback"] = status_callback
        return form

    async def send(
        self, reply: Reply, status_callback: str | None, account: CarrierAccount | None = None
    ) -> str:
        form = self.form(reply, status_callback)
        url, headers = self.url, self.headers
        if account is not None:  # the organization's own Twilio account
            url, headers = self._endpoint(account.account_sid, account.auth_token)
        elif not self.deployment:
            raise ProviderError(
                "no carrier account: the organization has no credentials "
                "(/v1/Channels/Credentials) and the deployment none of its own",
                retry=False,
            )
        try:
            answer = await self.outbound.post(url, timeout=self.timeout, headers=headers, data=form)
        except RefusedUrl as exc:
            raise ProviderError(f"refused: {exc}", retry=False) from None
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}", retry=True) from None
        body = _json(answer.body)
        if answer.status in (200, 201) and isinstance(body.get("sid"), str):
            return str(body["sid"])
        retry = answer.status == 429 or answer.status >= 500
        raw_code = body.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        message = body.get("message") or answer.text()[:200]
        raise ProviderError(f"HTTP {answer.status}: {message}", retry=retry, code=code)


def _json(raw: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
