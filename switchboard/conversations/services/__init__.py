"""The conversations use cases over the store port: every read goes through the point of
view (:mod:`switchboard.conversations.services.access`)."""

from __future__ import annotations
