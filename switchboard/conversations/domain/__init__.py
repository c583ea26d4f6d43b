"""The conversations model, with no I/O: records, point of view, lifecycle, limits."""

from __future__ import annotations
