"""The `switchboard` command: serve the API, manage accounts, migrate the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn

from switchboard.demo import DemoCredentials, ensure_demo
from switchboard.domain import fraud as policy
from switchboard.domain.errors import SwitchboardError
from switchboard.runtime import DEFAULT_DATABASE_URL, build_runtime
from switchboard.services import accounts, fraud
from switchboard.services.context import Services
from switchboard.store.database import Store
from switchboard.store.migrate import upgrade

app = typer.Typer(help="Switchboard: a self-hosted, TaskRouter-compatible contact center.")
accounts_app = typer.Typer(help="Create and manage accounts (tenants).")
db_app = typer.Typer(help="Database schema management.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(db_app, name="db")

DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="SWITCHBOARD_DATABASE_URL",
        help="SQLAlchemy async URL (sqlite+aiosqlite:///... or postgresql+asyncpg://...)",
    ),
]


def _prepare_sqlite_dir(url: str) -> None:
    """`sqlite+aiosqlite:///./var/x.db` needs ./var to exist."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)


def _print_demo(creds: DemoCredentials, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    typer.echo("")
    typer.echo("Switchboard demo is ready.")
    typer.echo(f"  Account SID : {creds.account_sid}")
    typer.echo(f"  Auth token  : {creds.auth_token}")
    typer.echo(f"  Workspace   : {creds.workspace_sid}")
    typer.echo(f"  Workflow    : {creds.workflow_sid}")
    typer.echo("Try:")
    typer.echo(
        f"  curl -u {creds.account_sid}:{creds.auth_token} "
        f"{base}/v1/Workspaces/{creds.workspace_sid}/Workers"
    )
    typer.echo(
        f"  curl -u {creds.account_sid}:{creds.auth_token} "
        f"{base}/v1/Workspaces/{creds.workspace_sid}/Tasks "
        f'--data-urlencode \'Attributes={{"type":"support"}}\' '
        f"-d WorkflowSid={creds.workflow_sid}"
    )
    typer.echo("")


@app.command()
def serve(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
    demo: Annotated[
        bool, typer.Option(help="Create (or reuse) a demo account and workspace")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the API server (migrates the database first)."""
    _prepare_sqlite_dir(database_url)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    async def announce(services: Services) -> None:
        if demo:
            _print_demo(await ensure_demo(services), host, port)

    runtime = build_runtime(database_url, on_startup=announce)
    uvicorn.run(runtime.app, host=host, port=port, log_level=log_level, access_log=False)


@accounts_app.command("create")
def create_account(
    friendly_name: Annotated[str, typer.Argument(help="A name for the account")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    parent: Annotated[str | None, typer.Option(help="Parent account SID (sub-account)")] = None,
) -> None:
    """Create an account and print its SID and auth token (shown only once)."""
    _prepare_sqlite_dir(database_url)

    async def run() -> None:
        store = Store(database_url)
        try:
            await upgrade(store)
            account, token = await accounts.create_account(store, friendly_name, parent)
        finally:
            await store.dispose()
        typer.echo(f"AccountSid={account.sid}")
        typer.echo(f"AuthToken={token}")

    asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Apply pending migrations."""
    _prepare_sqlite_dir(database_url)

    async def run() -> None:
        store = Store(database_url)
        try:
            await upgrade(store)
        finally:
            await store.dispose()
        typer.echo("database is up to date")

    asyncio.run(run())


# --- fraud (issue 4) -----------------------------------------------------------------------

T = TypeVar("T")
fraud_app = typer.Typer(help="Fraud scoring: rules, on-demand evaluation, clearing a stage.")
rules_app = typer.Typer(help="The fraud rule set stored in the database.")
fraud_app.add_typer(rules_app, name="rules")
app.add_typer(fraud_app, name="fraud")
Owner = Annotated[
    str | None, typer.Option(help="Parent account SID: a rule for its sub-accounts only")
]


def _with_store(database_url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    """Run `work` against a migrated store; a Switchboard error ends the command (exit 1)."""
    _prepare_sqlite_dir(database_url)

    async def run() -> T:
        store = Store(database_url)
        try:
            await upgrade(store)
            return await work(store)
        finally:
            await store.dispose()

    try:
        return asyncio.run(run())
    except SwitchboardError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None


@rules_app.command("list")
def fraud_rules_list(database_url: DatabaseUrl = DEFAULT_DATABASE_URL, owner: Owner = None) -> None:
    """Print the operator's rules (or a parent account's) one per line."""

    async def work(store: Store) -> None:
        async with store.read() as session:
            for row in await session.scalars(fraud.rules_query(owner)):
                condition = f"{row.category} {row.comparison} {row.threshold} in {row.window}"
                if row.kind == policy.SHARED_BILLING:
                    condition = f"accounts sharing billing {row.comparison} {row.threshold}"
                age = f" if younger than {row.younger_than_days}d" if row.younger_than_days else ""
                typer.echo(f"{row.sid}  {row.score:+d}  {row.friendly_name}: {condition}{age}")

    _with_store(database_url, work)


@rules_app.command("add")
def fraud_rules_add(
    friendly_name: Annotated[str, typer.Argument(help="A name for the rule")],
    score: Annotated[int, typer.Option(help="Points added when the rule trips")],
    count: Annotated[int, typer.Option(help="The threshold the observed number is compared to")],
    kind: Annotated[str, typer.Option(help="usage | shared_billing")] = policy.USAGE,
    category: Annotated[str, typer.Option(help="Usage category, * for all")] = "*",
    comparison: Annotated[str, typer.Option(help="> >= < <= ==")] = ">",
    window: Annotated[str, typer.Option(help="24h | 7d | 30d | all")] = "all",
    younger_than_days: Annotated[
        int | None, typer.Option(help="Only accounts younger than this many days")
    ] = None,
    owner: Owner = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Add a rule and print its SID."""
    fields = fraud.RuleFields(
        friendly_name, kind, comparison, count, score, category, window, younger_than_days
    )
    row = _with_store(database_url, lambda store: fraud.add_rule(store, fields, owner))
    typer.echo(f"FraudRuleSid={row.sid}")


@rules_app.command("remove")
def fraud_rules_remove(
    sid: Annotated[str, typer.Argument(help="The rule's SID (FR...)")],
    owner: Owner = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Delete a rule."""
    _with_store(database_url, lambda store: fraud.remove_rule(store, sid, owner))
    typer.echo(f"removed {sid}")


@fraud_app.command("evaluate")
def fraud_evaluate(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Score every account now, act on the thresholds and notify parents; print the scores."""

    async def work(store: Store) -> list[fraud.Outcome]:
        return await fraud.FraudMonitor(store, fraud.FraudSettings.from_env()).evaluate()

    for outcome in _with_store(database_url, work):
        change = "" if outcome.after is outcome.before else f" (was {outcome.before.label})"
        rules = ",".join(outcome.matched) or "-"
        typer.echo(
            f"{outcome.account_sid} score={outcome.score} stage={outcome.after.label}{change}"
            f" rules={rules}"
        )


@fraud_app.command("clear")
def fraud_clear(
    account_sid: Annotated[str, typer.Argument(help="The account to clear")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Reset an account's fraud score and stage (and end a fraud suspension)."""
    row = _with_store(database_url, lambda store: fraud.clear_account(store, account_sid))
    typer.echo(f"{row.sid} status={row.status} stage={row.fraud_stage}")
