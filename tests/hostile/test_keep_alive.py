"""A 500 must not cost the client its connection (issue 12, item 6).

Before, the unexpected-error handler answered and then let the exception reach
uvicorn, which closed the keep-alive connection: the client's next request on it
failed. Here a real uvicorn serves the whole runtime with one failing route, and a
raw socket sends a good request after the failing one on the same connection.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from switchboard.runtime import build_runtime
from switchboard.settings import Settings
from switchboard.wire.errors import REQUEST_ID_HEADER
from tests.callbacks.support import serve


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:]) if k
    }
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
    return status, headers, body


def request(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()


async def test_the_connection_survives_an_unexpected_error(database_url: str) -> None:
    runtime = build_runtime(Settings(database_url=database_url, fraud_interval=0))

    @runtime.app.get("/v1/Boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    async with serve(runtime.app) as base_url:
        parts = urlsplit(base_url)
        assert parts.hostname is not None and parts.port is not None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            writer.write(request("/v1/Boom", parts.netloc))
            status, headers, body = await read_response(reader)
            assert status == 500 and b'"code":20500' in body
            assert headers[REQUEST_ID_HEADER.lower()].startswith("RQ")
            writer.write(request("/health", parts.netloc))
            status, _headers, body = await read_response(reader)
            assert status == 200 and b'"status":"ok"' in body
        finally:
            writer.close()
