"""Outbound HTTP: assignment callbacks, event callbacks, remote workflow documents.

Kept free of imports: the services import the pure modules of this package
(`media`, `settings`), and wiring lives in :mod:`switchboard.callbacks.wiring`.
"""

from __future__ import annotations
