"""The voice media adapter speaking Twilio's Calls API: what a reservation's `dequeue`,
`call`, `redirect` and `conference` instructions ask of the telephony platform.

The caller waits on Twilio (enqueued by the voice webhook's TwiML); `call_sid` in the
task's attributes names that call. Each instruction is one or two REST requests:

* dequeue: the waiting call gets `<Dial>` to the worker (`from` as caller id);
* call: a new call to the worker running the TwiML at `url`;
* redirect: the call `call_sid` moves to the TwiML at `url`;
* hold / resume / transfer / hangup (the desktop's call control): the call gets `<Play>`
  of the music at `url`, `<Dial>` to the worker again, `<Dial>` to `to`, `Status=completed`;
* conference: the waiting call joins a conference named by the task, and a new call brings
  the worker into it; supervise: a new call brings the supervisor in, muted to monitor.

A call to a number whose organization brought its own Twilio account (its task names the
`organization`) is instructed through that account, else through the deployment's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from xml.sax.saxutils import escape, quoteattr

import httpx

from switchboard.channels.ports import CarrierAccount
from switchboard.kernel.media import MediaRequest, MediaResult
from switchboard.outbound.client import Outbound, RefusedUrl

AccountLookup = Callable[[str, str], Awaitable[CarrierAccount | None]]


def _twiml(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


def conference_twiml(name: str, *, muted: bool = False) -> str:
    attrs = ' muted="true"' if muted else ""
    return _twiml(f"<Dial><Conference{attrs}>{escape(name)}</Conference></Dial>")


class TwilioVoice:
    """:class:`~switchboard.kernel.media.MediaAdapter` over the guarded outbound client."""

    def __init__(
        self,
        outbound: Outbound,
        account_sid: str,
        auth_token: str,
        *,
        api_url: str = "https://api.twilio.com",
        timeout: float = 15.0,
    ) -> None:
        self.outbound = outbound
        self.api_url = api_url.rstrip("/")
        self.root, self.headers = self._endpoint(account_sid, auth_token)
        self.timeout = timeout
        # an organization's own carrier account (tenant, organization) -> account; wired
        # by the composition root once the channels pillar exists
        self.accounts: AccountLookup | None = None

    def _endpoint(self, account_sid: str, auth_token: str) -> tuple[str, dict[str, str]]:
        basic = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        return f"{self.api_url}/2010-04-01/Accounts/{account_sid}", headers

    async def _account_of(self, request: MediaRequest) -> tuple[str, dict[str, str]]:
        """The call's organization's own account when it has one (the task says which
        organization's number was called), else the deployment's."""
        organization = request.task_attributes.get("organization")
        if self.accounts is not None and isinstance(organization, str) and organization:
            account = await self.accounts(request.account_sid, organization)
            if account is not None:
                return self._endpoint(account.account_sid, account.auth_token)
        return self.root, self.headers

    async def _post(
        self, request: MediaRequest, path: str, form: dict[str, str]
    ) -> tuple[bool, dict[str, str]]:
        root, headers = await self._account_of(request)
        url = f"{root}{path}"
        try:
            answer = await self.outbound.post(url, timeout=self.timeout, headers=headers, data=form)
        except (RefusedUrl, TimeoutError, httpx.HTTPError, OSError) as exc:
            return False, {"error": f"{type(exc).__name__}: {exc}"[:300]}
        try:
            body = json.loads(answer.body or b"{}")
        except ValueError:
            body = {}
        if 200 <= answer.status < 300 and isinstance(body, dict):
            return True, {"call_sid": str(body.get("sid", ""))}
        message = body.get("message") if isinstance(body, dict) else None
        return False, {"error": f"HTTP {answer.status}: {message or answer.text()[:200]}"}

    @staticmethod
    def _waiting_call(request: MediaRequest) -> str | None:
        value = request.params.get("call_sid") or request.task_attributes.get("call_sid")
        return str(value) if value else None

    async def _update_call(self, request: MediaRequest, form: dict[str, str]) -> MediaResult:
        call_sid = self._waiting_call(request)
        if call_sid is None:
            return MediaResult(False, {"error": "the task holds no call_sid"})
        ok, detail = await self._post(request, f"/Calls/{call_sid}.json", form)
        return MediaResult(ok, detail)

    async def _new_call(
        self, request: MediaRequest, to: str | None, form: dict[str, str]
    ) -> MediaResult:
        caller = request.params.get("from") or request.task_attributes.get("to")
        if not to or not caller:
            return MediaResult(False, {"error": "a call needs `to` (or contact_uri) and `from`"})
        ok, detail = await self._post(
            request, "/Calls.json", {"To": to, "From": str(caller), **form}
        )
        return MediaResult(ok, detail)

    async def dequeue(self, request: MediaRequest) -> MediaResult:
        if request.to is None:
            return MediaResult(False, {"error": "the worker has no contact_uri"})
        caller_id = request.params.get("from")
        attrs = f" callerId={quoteattr(caller_id)}" if caller_id else ""
        twiml = _twiml(f"<Dial{attrs}>{escape(request.to)}</Dial>")
        return await self._update_call(request, {"Twiml": twiml})

    async def call(self, request: MediaRequest) -> MediaResult:
        url = request.params.get("url")
        if not url:
            return MediaResult(False, {"error": "call needs `url`"})
        return await self._new_call(request, request.to, {"Url": url})

    async def redirect(self, request: MediaRequest) -> MediaResult:
        url = request.params.get("url")
        if not url:
            return MediaResult(False, {"error": "redirect needs `url`"})
        return await self._update_call(request, {"Url": url, "Method": "POST"})

    async def conference(self, request: MediaRequest) -> MediaResult:
        room = conference_twiml(request.task_sid)
        moved = await self._update_call(request, {"Twiml": room})
        if not moved.ok:
            return moved
        return await self._new_call(request, request.to, {"Twiml": room})

    async def supervise(self, request: MediaRequest) -> MediaResult:
        supervisor = request.params.get("supervisor")
        muted = request.params.get("supervisor_mode", "monitor") == "monitor"
        room = conference_twiml(request.task_sid, muted=muted)
        return await self._new_call(request, supervisor, {"Twiml": room})

    async def hold(self, request: MediaRequest) -> MediaResult:
        music = request.params.get("url")
        if not music:
            return MediaResult(False, {"error": "hold needs `url` (the music)"})
        twiml = _twiml(f'<Play loop="0">{escape(music)}</Play>')
        return await self._update_call(request, {"Twiml": twiml})

    async def resume(self, request: MediaRequest) -> MediaResult:
        return await self.dequeue(request)

    async def transfer(self, request: MediaRequest) -> MediaResult:
        to = request.params.get("to")
        if not to:
            return MediaResult(False, {"error": "transfer needs `to`"})
        twiml = _twiml(f"<Dial>{escape(to)}</Dial>")
        return await self._update_call(request, {"Twiml": twiml})

    async def hangup(self, request: MediaRequest) -> MediaResult:
        return await self._update_call(request, {"Status": "completed"})
