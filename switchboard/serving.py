"""Running a :class:`~switchboard.runtime.Runtime` under uvicorn, closing worker sockets first.

On shutdown uvicorn closes every open websocket itself with 1012 ("service restart")
before the app's lifespan ends. Worker channels promise 1001 ("going away": reconnect,
perhaps to another server), so the realtime hub is stopped once the listening sockets
are closed and before uvicorn turns to the open connections.

Once started, the objects start-up made (modules, the app, settings, about 180k) are
moved out of the garbage collector's sight (`gc.freeze`): a full collection scanning
them took 65-75 ms on the benchmark machine, a pause every request in flight waited
for, and the quiet tenant's p99 beside a noisy one was that pause (bench/analysis.md,
"Fairness"). Nothing frozen is ever freed, and nothing made at start-up needs to be.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn

from switchboard.runtime import Runtime

Hook = Callable[[], Awaitable[None]]


class Server(uvicorn.Server):
    """uvicorn's server, with hooks run between "stop accepting" and "close connections"."""

    def __init__(self, config: uvicorn.Config, before_closing: Sequence[Hook] = ()) -> None:
        super().__init__(config)
        self.before_closing = tuple(before_closing)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()  # what start-up left as garbage is freed, not frozen
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connection while the hooks run (closing twice is harmless)
        for hook in self.before_closing:
            await hook()
        await super().shutdown(sockets)


def server(runtime: Runtime, config: uvicorn.Config) -> Server:
    """The server for `runtime`'s app: worker sockets close with 1001 before uvicorn's 1012."""
    return Server(config, before_closing=[runtime.sockets.stop])


def run(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    log_level: str,
    log_config: dict[str, Any] | None = None,
) -> None:
    """Serve until stopped; `log_config` replaces uvicorn's (e.g. one that redacts tokens)."""
    config = uvicorn.Config(
        runtime.app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        # worker sockets carry small JSON events: compression would keep a zlib context
        # per socket, memory that grows with the number of agents
        ws_per_message_deflate=False,
        log_config=log_config if log_config is not None else uvicorn.config.LOGGING_CONFIG,
    )
    server(runtime, config).run()
