"""The worker websocket channel (`/v1/wschannels/{AccountSid}/{WorkerSid}`).

Wiring lives in :mod:`switchboard.realtime.wiring`.
"""

from __future__ import annotations
