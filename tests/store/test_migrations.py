"""Migrations checked whole, on SQLite and PostgreSQL.

* The schema the migrations build is exactly the schema the tables declare, every
  table (Alembic's autogenerate comparison finds nothing to do).
* The migrations go down to nothing and up again.
* A database filled at the previous revision upgrades to the newest one, and the
  current code reads every record in it: a deployment can upgrade in place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, inspect
from sqlalchemy.engine import Connection

from switchboard.conversations.search_sql import OUTSIDE_SCHEMA
from switchboard.database import METADATA, SCHEMA, alembic_config, upgrade
from switchboard.store.sql import SqlStore
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

WS, AC, WK, WT, TC = (
    "WS" + "1" * 32,
    "AC" + "1" * 32,
    "WK" + "1" * 32,
    "WT" + "1" * 32,
    "TC" + "1" * 32,
)
KP = "KP" + "1" * 32
XC, CH, MB, IM = "XC" + "1" * 32, "CH" + "1" * 32, "MB" + "1" * 32, "IM" + "1" * 32
# one row per table, in an order that satisfies the foreign keys; a column the previous
# revision lacks is left out when the row is written there
SAMPLE_ROWS: dict[str, dict[str, Any]] = {
    "accounts": {
        "sid": AC, "friendly_name": "a", "status": "active", "auth_token_hash": "h",
        "plan": "standard", "preferences": "{}", "balance_micros": 0, "fraud_score": 0,
        "fraud_stage": "none", "date_created": 1, "date_updated": 1,
    },
    "workspaces": {
        "sid": WS, "account_sid": AC, "friendly_name": "w", "multi_task_enabled": True,
        "prioritize_queue_order": "FIFO", "date_created": 1, "date_updated": 1,
    },
    "activities": {
        "sid": "WA" + "1" * 32, "workspace_sid": WS, "friendly_name": "Available",
        "available": True, "date_created": 1, "date_updated": 1,
    },
    "task_channels": {
        "sid": TC, "workspace_sid": WS, "friendly_name": "d", "unique_name": "default",
        "date_created": 1, "date_updated": 1,
    },
    "task_queues": {
        "sid": "WQ" + "1" * 32, "workspace_sid": WS, "friendly_name": "q",
        "target_workers": "1==1", "max_reserved_workers": 1, "task_order": "FIFO",
        "date_created": 1, "date_updated": 1,
    },
    "workflows": {
        "sid": "WW" + "1" * 32, "workspace_sid": WS, "friendly_name": "f", "configuration": "{}",
        "task_reservation_timeout": 120, "use_stored_document": False,
        "date_created": 1, "date_updated": 1,
    },
    "workers": {
        "sid": WK, "workspace_sid": WS, "friendly_name": "w", "name_key": "w",
        "attributes": "{}", "activity_sid": "WA" + "1" * 32, "available": True, "idle_since": 1,
        "date_status_changed": 1, "version": 0, "date_created": 1, "date_updated": 1,
    },
    "worker_channels": {
        "sid": "WC" + "1" * 32, "workspace_sid": WS, "worker_sid": WK, "task_channel_sid": TC,
        "capacity": 1, "available": True, "last_reserved_at": 0,
        "date_created": 1, "date_updated": 1,
    },
    "tasks": {
        "sid": WT, "workspace_sid": WS, "attributes": "{}", "assignment_status": "pending",
        "priority": 0, "base_priority": 0, "timeout": 60, "task_channel_sid": TC,
        "ignore_capacity": False, "virtual_start_time": 1, "skip_checked": True,
        "assignment_count": 0, "version": 0, "date_created": 1, "date_updated": 1,
    },
    "reservations": {
        "sid": "WR" + "1" * 32, "workspace_sid": WS, "task_sid": WT, "worker_sid": WK,
        "task_channel_sid": TC, "status": "pending", "version": 0,
        "date_created": 1, "date_updated": 1,
    },
    "events": {
        "sid": "EV" + "1" * 32, "account_sid": AC, "workspace_sid": WS, "event_type": "x",
        "resource_type": "task", "resource_sid": WT, "description": "", "event_data": "{}",
        "source": "switchboard", "event_date": 1,
    },
    "task_documents": {
        "task_sid": WT, "workflow_sid": "WW" + "1" * 32, "configuration": "{}",
        "source_url": "http://x", "fetched_at": 1,
    },
    "callback_cursors": {"workspace_sid": WS, "last_seq": 0},
    "sid_keys": {"key": 1, "sid": WS},
    "write_marks": {"name": WS, "n": 1},
    "callback_deliveries": {
        "sid": "CB" + "1" * 32, "account_sid": AC, "workspace_sid": WS, "kind": "event",
        "event_sid": "EV" + "1" * 32, "event_type": "x", "url": "http://x", "payload": "{}",
        "status": "pending", "attempts": 0, "next_attempt_at": 1, "attempt_log": "[]",
        "date_created": 1, "date_updated": 1,
    },
    "usage_counters": {
        "account_sid": AC, "category": "c", "hour": 0, "count": 1, "price_micros": 1,
    },
    "fraud_rules": {
        "sid": "FR" + "1" * 32, "friendly_name": "r", "kind": "usage", "category": "*",
        "comparison": ">", "threshold": 1, "window": "all", "score": 1,
        "date_created": 1, "date_updated": 1,
    },
    "account_events": {
        "sid": "AE" + "1" * 32, "account_sid": AC, "subject_sid": AC, "event_type": "x",
        "description": "", "event_data": "{}", "event_date": 1,
    },
    "attribution_pools": {
        "sid": KP, "account_sid": AC, "friendly_name": "p", "kind": "phone",
        "fallback": "+15550000000", "lease_seconds": 1800, "cooldown_seconds": 300,
        "repeat_days": 30, "public_key": "k", "leases": 0, "overflows": 0,
        "date_created": 1, "date_updated": 1,
    },
    "attribution_points": {
        "sid": "KN" + "1" * 32, "account_sid": AC, "pool_sid": KP, "address": "+15550000001",
        "busy_until": 0, "date_created": 1,
    },
    "attribution_leases": {
        "sid": "KL" + "1" * 32, "account_sid": AC, "pool_sid": KP, "address": "+15550000001",
        "attribution": "{}", "status": "live", "created_at": 1, "expires_at": 2,
        "contacts": 0,
    },
    "attribution_contacts": {
        "sid": "KC" + "1" * 32, "account_sid": AC, "pool_sid": KP, "address": "+15550000001",
        "match": "unattributed", "confidence": 0.0, "day": "2026-01-01", "arrived_at": 1,
    },
    "attribution_spend": {
        "account_sid": AC, "day": "2026-01-01", "campaign": "c", "publisher": "",
        "keyword": "", "currency": "USD", "amount_micros": 1,
    },
    "attribution_pacing_rules": {
        "sid": "KR" + "1" * 32, "account_sid": AC, "workspace_sid": WS,
        "task_queue_sid": "WQ" + "1" * 32, "friendly_name": "r", "handle_seconds": 180,
        "answer_seconds": 20, "service_level": 0.8, "interval_seconds": 1800,
        "contacts_per_impression": 0.01, "forecast_contacts": 0.0, "hysteresis": 0.05,
        "last_show": "call", "business_hours": "{}", "time_zone": "UTC",
        "date_created": 1, "date_updated": 1,
    },
    "web_users": {
        "sid": "US" + "1" * 32, "account_sid": AC, "email": "a@example.com",
        "friendly_name": "A", "role": "admin", "password_hash": "$argon2id$x",
        "failed_attempts": 0, "date_created": 1, "date_updated": 1,
    },
    "web_sessions": {
        "token_hash": "0" * 64, "user_sid": "US" + "1" * 32, "account_sid": AC,
        "csrf_token": "c", "expires_at": 2, "date_created": 1,
    },
    "sealing_keys": {
        "name": "secret_key", "fingerprint": "f" * 16, "source": "x", "date_created": 1,
    },
    "conv_configurations": {
        "account_sid": AC, "default_chat_service_sid": "IS" + "1" * 32,
        "default_messaging_service_sid": "MG" + "1" * 32, "webhook_method": "POST",
        "webhook_filters": "[]", "webhook_target": "webhook",
    },
    "conv_conversations": {
        "sid": XC, "account_sid": AC, "organization": "o", "outside_party": "p",
        "state": "active", "tags": "[]", "aliases": "[]", "date_created": 1, "date_updated": 1,
    },
    "conv_sequences": {
        "sid": "XS" + "1" * 32, "account_sid": AC, "conversation_sid": XC, "case_number": 1,
        "subject": "s", "tags": "[]", "state": "open", "date_opened": 1,
        "date_created": 1, "date_updated": 1,
    },
    "conv_interactions": {
        "sid": CH, "account_sid": AC, "chat_service_sid": "IS" + "1" * 32,
        "messaging_service_sid": "MG" + "1" * 32, "attributes": "{}", "state": "active",
        "last_activity": 1, "history": "shared", "next_index": 1,
        "date_created": 1, "date_updated": 1,
    },
    "conv_participants": {
        "sid": MB, "account_sid": AC, "interaction_sid": CH, "identity": "a",
        "attributes": "{}", "joined_index": 0, "invited_index": 0,
        "date_created": 1, "date_updated": 1,
    },
    "conv_messages": {
        "sid": IM, "account_sid": AC, "interaction_sid": CH, "index": 0, "kind": "message",
        "author": "a", "body": "b", "attributes": "{}", "date_created": 1, "date_updated": 1,
    },
    "conv_receipts": {
        "sid": "DY" + "1" * 32, "account_sid": AC, "interaction_sid": CH, "message_sid": IM,
        "participant_sid": MB, "status": "sent", "date_created": 1, "date_updated": 1,
    },
    "conv_webhooks": {
        "sid": "WH" + "1" * 32, "account_sid": AC, "interaction_sid": CH, "target": "webhook",
        "method": "POST", "filters": "[]", "triggers": "[]", "date_created": 1, "date_updated": 1,
    },
    "conv_users": {
        "sid": "US" + "1" * 32, "account_sid": AC, "identity": "a", "attributes": "{}",
        "admin": False, "date_created": 1, "date_updated": 1,
    },
    "conv_roles": {
        "sid": "RL" + "1" * 32, "account_sid": AC, "friendly_name": "r", "type": "service",
        "permissions": "[]", "date_created": 1, "date_updated": 1,
    },
    "conv_invitations": {
        "sid": "XI" + "1" * 32, "account_sid": AC, "interaction_sid": CH, "identity": "b",
        "status": "pending", "invited_index": 0, "expires_at": 2,
        "date_created": 1, "date_updated": 1,
    },
    "conv_addresses": {
        "sid": "IG" + "1" * 32, "account_sid": AC, "type": "sms", "address": "+1555",
        "auto_creation": "{}", "date_created": 1, "date_updated": 1,
    },
    "conv_audit": {
        "sid": "XA" + "1" * 32, "account_sid": AC, "action": "merge", "subject_sid": XC,
        "target_sid": XC, "detail": "{}", "date_created": 1,
    },
    "conv_grants": {
        "sid": "XG" + "1" * 32, "account_sid": AC, "viewer": "a", "subject": "b",
        "date_created": 1,
    },
    "conv_routing_profiles": {
        "sid": "XR" + "1" * 32, "account_sid": AC, "organization": "acme",
        "workspace_sid": "WS" + "1" * 32, "proxy_address": "web:acme", "hours": "",
        "rules": "[]", "messages": "{}", "feedback_every_ms": 60000, "inactive_ms": 600000,
        "retire_factor": 3, "date_created": 1, "date_updated": 1,
    },
    "conv_requests": {
        "sid": "XQ" + "1" * 32, "account_sid": AC, "organization": "acme",
        "conversation_sid": "XC" + "1" * 32, "sequence_sid": "XS" + "1" * 32,
        "interaction_sid": CH, "customer": "web:carol", "channel": "chat", "status": "queued",
        "category_source": "default", "last_customer_at": 1, "breaches": "[]",
        "escalations": "[]", "date_created": 1, "date_updated": 1,
    },
    "channel_addresses": {
        "sid": "XA" + "1" * 32, "account_sid": AC, "channel": "sms", "address": "+15550100001",
        "attributes": "{}", "date_created": 1, "date_updated": 1,
    },
    "channel_inbound": {
        "sid": "XN" + "1" * 32, "account_sid": AC, "channel": "sms", "external_id": "SM1",
        "address_sid": "XA" + "1" * 32, "status": "received", "date_created": 1,
    },
    "channel_outbound": {
        "sid": "XO" + "1" * 32, "account_sid": AC, "channel": "sms", "provider_sid": "SM2",
        "address_sid": "XA" + "1" * 32, "recipient": "+15550177777", "conversation_sid": CH,
        "message_sid": IM, "receipt_sid": "DY" + "1" * 32, "status": "queued",
        "date_created": 1, "date_updated": 1,
    },
    "channel_visitors": {
        "sid": "XV" + "1" * 32, "account_sid": AC, "address_sid": "XA" + "1" * 32,
        "token_hash": "0" * 64, "date_created": 1,
    },
    "channel_events": {
        "sid": "XE" + "1" * 32, "channel": "sms", "event_type": "channel.address.unknown",
        "address": "+15550199999", "detail": "d", "date_created": 1,
    },
    "channel_credentials": {
        "sid": "XK" + "1" * 32, "account_sid": AC, "organization": "acme",
        "provider": "twilio", "provider_account": "AC" + "2" * 32, "sealed_token": "s",
        "date_created": 1, "date_updated": 1,
    },
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no migration applied yet)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _run(url: str, work: Any) -> Any:
    store = SqlStore(url, SCHEMA)
    try:
        async with store.engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await store.dispose()


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_every_table_of_the_schema_is_covered_by_the_samples() -> None:
    assert set(SAMPLE_ROWS) == set(METADATA.tables)


async def test_the_migrations_build_exactly_the_declared_schema(empty_url: str) -> None:
    store = SqlStore(empty_url, SCHEMA)
    await upgrade(store)
    await store.dispose()

    def declared(_object: Any, name: str | None, _type: str, reflected: bool, _to: Any) -> bool:
        """Search structures made by a migration are not in the declared schema."""
        return not (reflected and name is not None and name.startswith(OUTSIDE_SCHEMA))

    def diff(connection: Connection) -> list[Any]:
        options = {"compare_type": True, "include_object": declared}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, METADATA))

    assert await _run(empty_url, diff) == []


async def test_the_migrations_go_down_and_up_again(empty_url: str) -> None:
    def cycle(connection: Connection) -> list[str]:
        config = alembic_config(empty_url, connection)
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        left = MetaData()
        left.reflect(connection)
        command.upgrade(config, "head")
        return sorted(name for name in left.tables if name != "alembic_version")

    assert await _run(empty_url, cycle) == []


async def test_a_database_of_the_previous_revision_upgrades_and_reads(empty_url: str) -> None:
    previous = _revisions()[-2]
    filled: set[str] = set()

    old = MetaData()

    def fill(connection: Connection) -> None:
        command.upgrade(alembic_config(empty_url, connection), previous)
        old.reflect(connection)
        for name, row in SAMPLE_ROWS.items():
            table = old.tables.get(name)
            if table is not None:
                kept = {key: value for key, value in row.items() if key in table.c}
                connection.execute(insert(table).values(kept))
                filled.add(name)

    await _run(empty_url, fill)
    store = SqlStore(empty_url, SCHEMA)
    try:
        await upgrade(store)
        async with store.read() as unit:
            for kind in SCHEMA.types():
                if kind.table.name not in filled:
                    continue  # a table the newest revision adds
                records = await unit.select(kind.cls)
                # a table the newest revision creates starts empty
                expected = 1 if kind.table.name in old.tables else 0
                assert len(records) == expected, kind.table.name
    finally:
        await store.dispose()


def _options(index: Any) -> str:
    """An index's dialect options (a partial index's WHERE) as text."""
    options = index.get("dialect_options", {})
    return repr(sorted((name, str(value)) for name, value in options.items()))


def _shape(connection: Connection) -> dict[str, Any]:
    """Every table's columns, keys, unique constraints and indexes, as reflected."""
    inspector = inspect(connection)
    shape: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version" or table.startswith(OUTSIDE_SCHEMA):
            continue
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        uniques = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table))
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]), _options(i))
            for i in inspector.get_indexes(table)
        )
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        shape[table] = {"columns": sorted(columns), "key": key, "uniques": uniques, "ix": indexes}
    return shape


# the revisions that rebuild or retype existing tables (issue 10, events stay small)
LATE = (
    "0019_partial_indexes",
    "0020_event_numbers",
    "0021_event_links",
    "0022_sid_keys",
    "0023_task_sid_keys",
)


@pytest.mark.parametrize("revision", LATE)
async def test_going_down_to_a_revision_gives_the_schema_it_builds(
    empty_url: str, revision: str
) -> None:
    def built(connection: Connection) -> dict[str, Any]:
        command.upgrade(alembic_config(empty_url, connection), revision)
        return _shape(connection)

    def gone_down(connection: Connection) -> dict[str, Any]:
        config = alembic_config(empty_url, connection)
        command.upgrade(config, "head")
        command.downgrade(config, revision)
        return _shape(connection)

    def emptied(connection: Connection) -> None:
        command.downgrade(alembic_config(empty_url, connection), "base")

    expected = await _run(empty_url, built)
    await _run(empty_url, emptied)
    assert await _run(empty_url, gone_down) == expected
