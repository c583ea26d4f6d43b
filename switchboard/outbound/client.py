"""The one way out: a shared HTTP client with timeouts, bounded concurrency and URL checks.

Callback and document URLs are chosen by tenants, so a request must never reach the
server's own network (cloud metadata, databases, admin ports) unless the operator
allows it. Every host name is resolved and each address checked before the request;
redirects are not followed (a redirect could point anywhere).

Known gap: the check resolves the name, then httpx resolves it again to connect; a
DNS answer that changes in between (rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from switchboard.kernel.callbacks import Answer
from switchboard.outbound.settings import OutboundSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
USER_AGENT = "Switchboard-Callbacks/1.0"


class RefusedUrl(Exception):
    """The URL is not allowed (scheme, or an address in a forbidden range)."""


def _forbidden(address: IPAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return bool(
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def check_address(address: IPAddress, settings: OutboundSettings) -> None:
    """Raise :class:`RefusedUrl` for an address the settings do not allow."""
    if any(address in network for network in settings.allowed_networks):
        return
    if settings.allow_private or not _forbidden(address):
        return
    raise RefusedUrl(
        f"address {address} is private, loopback, link-local or multicast; set "
        "SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS=true, or list its network in "
        "SWITCHBOARD_CALLBACK_ALLOWED_NETWORKS, to allow it"
    )


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedUrl(f"cannot resolve {host}: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_url(url: str, settings: OutboundSettings) -> None:
    """Only http(s) URLs whose every resolved address is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedUrl(f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise RefusedUrl("the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _addresses(parts.hostname, port)
    if not addresses:
        raise RefusedUrl(f"{parts.hostname} has no address")
    for address in addresses:
        check_address(address, settings)


class Outbound:
    """Shared client: one connection pool for every callback, and a global concurrency cap."""

    def __init__(self, settings: OutboundSettings) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.event_timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, **settings.extra_headers},
            limits=httpx.Limits(max_connections=settings.max_concurrency * 2),
        )
        self._gate = asyncio.Semaphore(settings.max_concurrency * 2)

    async def post(
        self,
        url: str,
        *,
        timeout: float,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """POST after the URL check; the check and the exchange (connect to last byte) are
        each bounded by `timeout` (a slow resolver must not hang a sender either)."""
        await asyncio.wait_for(check_url(url, self.settings), timeout)
        async with self._gate:
            return await asyncio.wait_for(
                self._exchange(url, headers or {}, data, content, timeout), timeout
            )

    async def _exchange(
        self,
        url: str,
        headers: dict[str, str],
        data: dict[str, str] | None,
        content: bytes | None,
        timeout: float,
    ) -> Answer:
        # the call's own timeout: the client's default (the event timeout) would cut a
        # longer one, e.g. a media request's, short
        kwargs: dict[str, Any] = {"headers": headers, "timeout": httpx.Timeout(timeout)}
        if data is not None:
            kwargs["data"] = data
        if content is not None:
            kwargs["content"] = content
        async with self._client.stream("POST", url, **kwargs) as response:
            body = await self._read_capped(response)
            content_type = response.headers.get("content-type", "")
            return Answer(response.status_code, content_type, body)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
        return b"".join(chunks)[:limit]

    async def close(self) -> None:
        await self._client.aclose()
