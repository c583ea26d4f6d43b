"""How the distribution pillar is stored: its tables and its SQL-specific queries."""

from __future__ import annotations
