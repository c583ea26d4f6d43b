"""`GET /v1/wschannels/{AccountSid}/{WorkerSid}?token=...`: the worker's event channel.

The socket is accepted before the token is checked so a refusal can carry a reason:
close code 4401 with e.g. "token expired" (an HTTP 403 before the upgrade would
reach a browser without any reason).
"""

from __future__ import annotations

from starlette.websockets import WebSocket

from switchboard.distribution.realtime.commands import Caller
from switchboard.distribution.realtime.hub import Hub
from switchboard.distribution.realtime.session import CLOSE_UNAUTHORIZED, Session
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.worker_tokens import CHANNEL_PATH, TokenRejected, verify
from switchboard.wire.deps import deps

PATH = CHANNEL_PATH


async def worker_channel(websocket: WebSocket, account_sid: str, worker_sid: str) -> None:
    """Verify, register, send the snapshot, then serve until either side leaves."""
    registry = deps(websocket)
    svc, hub = registry.get(Services), registry.get(Hub)
    await websocket.accept()
    token = websocket.query_params.get("token")
    try:
        claims = await verify(svc.store, svc.signing, token, account_sid, worker_sid)
    except TokenRejected as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=str(exc))
        return
    # registered before the snapshot is read: nothing committed in between is missed
    connection = await hub.register(account_sid, claims.workspace_sid, worker_sid)
    caller = Caller(svc, account_sid, claims.workspace_sid, worker_sid)
    session = Session(websocket, connection, caller, hub.settings, claims.expires_at)
    try:
        await session.send_snapshot()
        await session.run()
    finally:
        hub.unregister(connection)
