"""The `switchboard` command: serve the API, manage accounts, migrate the database."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from switchboard.demo import DemoCredentials, ensure_demo
from switchboard.runtime import DEFAULT_DATABASE_URL, build_runtime
from switchboard.services import accounts
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
