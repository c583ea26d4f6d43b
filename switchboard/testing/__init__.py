"""Helpers for tests, benchmarks and scripts that drive Switchboard from outside.

Nothing in the server imports this package.
"""

from __future__ import annotations

from switchboard.testing.sdk import twilio_client

__all__ = ["twilio_client"]
