"""Migration 0004 matches the models both ways, and the operator's `switchboard fraud` CLI."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, update
from twilio.request_validator import RequestValidator

from switchboard.database import METADATA, SCHEMA, alembic_config, upgrade
from switchboard.store.sql import SqlStore
from switchboard.tenancy.tables import accounts
from switchboard.testing import processes
from tests.live import create_account, run_cli
from tests.tenancy.test_fraud import Receiver, receiver  # noqa: F401 - the fixture

MINE = {"usage_counters", "fraud_rules", "account_events"}


def _migrate(path: Path, revision: str = "head") -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{path}", SCHEMA)

    async def run() -> None:
        await upgrade(store, revision)
        await store.dispose()

    asyncio.run(run())


def _downgrade(path: Path, revision: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.downgrade(alembic_config(f"sqlite:///{path}", connection), revision)
    engine.dispose()


def _diff(path: Path) -> list[object]:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, METADATA)
    engine.dispose()
    return [d for d in diffs if any(name in repr(d) for name in MINE)]


def _tables(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_migration_0004_builds_exactly_the_models_and_downgrades(tmp_path: Path) -> None:
    db = tmp_path / "schema.db"
    _migrate(db)
    assert _diff(db) == []
    _downgrade(db, "0003")
    assert not MINE & _tables(db)
    _migrate(db)
    assert _tables(db) >= MINE


def cli(db: str, *args: str) -> str:
    return run_cli(*args, "--database-url", db)


def test_the_operator_manages_rules_and_evaluates_from_the_cli(
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811 - the fixture imported above
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    parent_sid, parent_token = create_account(db, "Parent")
    out = run_cli("accounts", "create", "Child", "--parent", parent_sid, "--database-url", db)
    child_sid = dict(line.split("=", 1) for line in out.splitlines())["AccountSid"]
    _set_callback(tmp_path / "cli.db", parent_sid, receiver.url)

    added = cli(
        db, "fraud", "rules", "add", "anyone", "--score", "55", "--count", "0", "--comparison", ">="
    )
    rule_sid = added.strip().split("=", 1)[1]
    scoped = cli(
        db, "fraud", "rules", "add", "kids", "--score", "1", "--count", "9", "--owner", parent_sid
    )
    assert rule_sid in cli(db, "fraud", "rules", "list")
    assert "kids" in cli(db, "fraud", "rules", "list", "--owner", parent_sid)
    assert "kids" not in cli(db, "fraud", "rules", "list")

    evaluated = cli(db, "fraud", "evaluate")
    assert f"{child_sid} score=55 stage=flagged (was none) rules={rule_sid}" in evaluated
    assert f"{parent_sid} score=55 stage=flagged" in evaluated
    by_subject = {params["ResourceSid"]: (h, params) for h, params in receiver.received}
    headers, params = by_subject[child_sid]
    assert params["AccountSid"] == parent_sid
    assert RequestValidator(parent_token).validate(
        receiver.url, params, headers["X-Twilio-Signature"]
    )

    assert "removed" in cli(db, "fraud", "rules", "remove", rule_sid)
    assert f"{child_sid} status=active stage=none" in cli(db, "fraud", "clear", child_sid)
    assert scoped.startswith("FraudRuleSid=FR")


def test_cli_errors_exit_non_zero(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'err.db'}"
    unknown = ("fraud", "rules", "remove", "FR" + "0" * 32)
    malformed = ("fraud", "rules", "add", "x", "--score", "1", "--count", "1", "--window", "2d")
    for args in (unknown, malformed):
        result = processes.run(
            [sys.executable, "-m", "switchboard", *args, "--database-url", db], timeout=120
        )
        last = result.stderr.splitlines()[-1]
        assert result.returncode == 1 and last.startswith("error:"), result.stderr
        assert "Traceback" not in result.stderr


def _set_callback(path: Path, sid: str, url: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(update(accounts).where(accounts.c.sid == sid).values(callback_url=url))
    engine.dispose()
