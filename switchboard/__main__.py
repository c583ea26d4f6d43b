"""`python -m switchboard` is the `switchboard` command."""

from __future__ import annotations

from switchboard.cli import app

app()
