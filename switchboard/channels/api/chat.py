"""Web chat: `POST /v1/Channels/Chat/{widget}/Visitors` gives a visitor its token,
`/v1/Channels/Chat/Stream?token=...` is its websocket (history on every connect, its
messages in, the members' replies out, read positions, typing both ways), and
`/v1/Channels/Chat/widget.js` is the embeddable widget (one `<script>` tag, no build step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.channels.domain import records as r
from switchboard.channels.services import chat
from switchboard.channels.services.context import Channels
from switchboard.kernel.errors import NotFound, SwitchboardError
from switchboard.wire.context import json_response
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
STREAM = "/v1/Channels/Chat/Stream"
WIDGET_JS = Path(__file__).parent.parent / "static" / "widget.js"
CLOSE_UNAUTHORIZED, CLOSE_DISABLED = 4401, 4404
CORS = {"Access-Control-Allow-Origin": "*"}


def _enabled(registry_owner: Request | WebSocket) -> Channels | None:
    svc = deps(registry_owner).find(Channels)
    return svc if svc is not None and svc.enabled(r.CHAT) else None


@router.post("/v1/Channels/Chat/{widget}/Visitors")
async def create_visitor(widget: str, request: Request) -> Response:
    """Public (the embedding page calls it): a widget id is not a secret, a token is."""
    svc = _enabled(request)
    if svc is None:
        raise NotFound(f"The requested resource {request.url.path} was not found")
    visitor, token = await chat.create_visitor(svc, widget)
    body = {"visitor_sid": visitor.sid, "token": token, "widget": widget}
    response = json_response(body, status=201)
    response.headers.update(CORS)
    return response


@router.get("/v1/Channels/Chat/widget.js")
async def widget_js() -> Response:
    headers = {**CORS, "Cache-Control": "public, max-age=300"}
    return Response(WIDGET_JS.read_text(), media_type="text/javascript", headers=headers)


async def chat_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    svc = _enabled(websocket)
    if svc is None or svc.chat is None or svc.chat_desk is None:
        await websocket.close(code=CLOSE_DISABLED, reason="web chat is not enabled")
        return
    try:
        visitor, address = await chat.visitor_of(svc, websocket.query_params.get("token"))
    except SwitchboardError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return
    leave = svc.chat.join(visitor.sid, websocket.send_json)
    try:
        history = await chat.history(svc, svc.chat_desk, visitor)
        await websocket.send_json({"type": "ready", "visitor_sid": visitor.sid, "history": history})
        while True:
            frame = await websocket.receive_json()
            answer = await _answer(svc, visitor, address, frame)
            if answer is not None:
                await websocket.send_json(answer)
    except WebSocketDisconnect:
        pass
    finally:
        leave()


async def _answer(
    svc: Channels, visitor: r.Visitor, address: r.ChannelAddress, frame: Any
) -> dict[str, Any] | None:
    """What the visitor's frame is answered with (None: nothing, for typing)."""
    kind = frame.get("type") if isinstance(frame, dict) else None
    try:
        if kind == "typing":
            await chat.typing(svc, visitor)
            return None
        if kind == "message":
            return await chat.say(svc, visitor, address, frame.get("body"))
        if kind == "read":
            return await chat.read(svc, visitor, frame.get("index"))
    except SwitchboardError as exc:
        return {"type": "error", "code": exc.code, "message": exc.message}
    return {"type": "error", "code": 20001, "message": f"unknown frame type {kind!r}"}
