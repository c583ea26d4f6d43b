"""Bring a database to the newest schema with Alembic (run at start-up and by the CLI)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from switchboard.store.database import Store

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(store: Store, revision: str = "head") -> None:
    """Apply every pending migration inside one connection of the store's engine."""

    def _upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(store.url, connection), revision)

    async with store.engine.begin() as connection:
        if not store.is_sqlite:
            # several processes may start at once: one migrates, the others wait
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_117})
        await connection.run_sync(_upgrade)
