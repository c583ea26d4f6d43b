"""The official `twilio` SDK pointed at a Switchboard server instead of Twilio's.

    from switchboard.testing import twilio_client
    client = twilio_client("http://127.0.0.1:8080", "AC…", "token")
    client.taskrouter.v1.workspaces.list()
    client.api.v2010.accounts("AC…").fetch()

Every `*.twilio.com` host the SDK calls (taskrouter, api, ...) is rewritten to the
server, so no request with local credentials ever reaches Twilio. The SDK is a
development dependency (`pip install twilio`); it is imported only when called.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

TWILIO_DOMAIN = "twilio.com"


def is_twilio_host(host: str) -> bool:
    """`twilio.com` and its subdomains (not a look-alike such as `eviltwilio.com`)."""
    name = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return name == TWILIO_DOMAIN or name.endswith("." + TWILIO_DOMAIN)


def local_url(url: str, base_url: str) -> str:
    """`url` with a Twilio host replaced by the server's; any other URL unchanged."""
    parts = urlsplit(url)
    if not is_twilio_host(parts.netloc):
        return url
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def twilio_client(base_url: str, account_sid: str, auth_token: str) -> Any:
    """A `twilio.rest.Client` whose every request goes to `base_url` (e.g.
    `http://127.0.0.1:8080`)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class LocalHttpClient(TwilioHttpClient):  # type: ignore[misc]
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(method, local_url(url, base_url), *args, **kwargs)

    return Client(account_sid, auth_token, http_client=LocalHttpClient())
