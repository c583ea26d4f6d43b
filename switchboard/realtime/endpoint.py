"""`GET /v1/wschannels/{AccountSid}/{WorkerSid}?token=...`: the worker's event channel.

The socket is accepted before the token is checked so a refusal can carry a reason:
close code 4401 with e.g. "token expired" (an HTTP 403 before the upgrade would
reach a browser without any reason).
"""

from __future__ import annotations

from starlette.websockets import WebSocket

from switchboard.realtime.commands import Caller
from switchboard.realtime.hub import Hub
from switchboard.realtime.session import CLOSE_UNAUTHORIZED, Session
from switchboard.realtime.tokens import TokenRejected, verify
from switchboard.services.context import Services

PATH = "/v1/wschannels/{account_sid}/{worker_sid}"


async def worker_channel(websocket: WebSocket, account_sid: str, worker_sid: str) -> None:
    """Verify, register, send the snapshot, then serve until either side leaves."""
    svc: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.realtime_hub
    await websocket.accept()
    token = websocket.query_params.get("token")
    try:
        claims = await verify(svc.store, token, account_sid, worker_sid)
    except TokenRejected as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=str(exc))
        return
    # registered before the snapshot is read: nothing committed in between is missed
    connection = hub.register(account_sid, claims.workspace_sid, worker_sid)
    caller = Caller(svc, account_sid, claims.workspace_sid, worker_sid)
    session = Session(websocket, connection, caller, hub.settings, claims.expires_at)
    try:
        await session.send_snapshot()
        await session.run()
    finally:
        hub.unregister(connection)
