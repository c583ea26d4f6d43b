"""The `switchboard` command: serve the API, manage accounts, migrate the database.

Every failure ends the command with one line on standard error and exit status 1: no
traceback, and never a secret (the store hides SQL parameters; see `_failure`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from switchboard import serving
from switchboard.attribution.cli import attribution_app, staffing_app
from switchboard.attribution.domain import erlang
from switchboard.attribution.services import staffing
from switchboard.database import (
    UnsupportedDatabase,
    check_url,
    describe,
    open_store,
    sqlite_path,
    upgrade,
)
from switchboard.demo import DemoCredentials, ensure_demo, ensure_demo_people
from switchboard.distribution.work.context import Services
from switchboard.kernel.clock import SystemClock
from switchboard.kernel.errors import NotFound, SwitchboardError
from switchboard.pages_bridge import DistributionFloor
from switchboard.runtime import Core, build_core, build_runtime
from switchboard.settings import DEFAULT_DATABASE_URL, Settings
from switchboard.tenancy import fraud
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.domain import fraud as policy
from switchboard.tenancy.domain.records import Account
from switchboard.tenancy.sealing import Sealer, WrongSecretKey, open_sealer
from switchboard.web.domain.people import ADMIN, User
from switchboard.web.people import NewUser, People
from switchboard.wire import redaction

# plain help: rich's `<bool>` placeholders on flags read as if a flag took a value
app = typer.Typer(
    help="Switchboard: a self-hosted, TaskRouter-compatible contact center.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(help="Create and manage accounts (tenants).", rich_markup_mode=None)
db_app = typer.Typer(help="Database schema management.", rich_markup_mode=None)
app.add_typer(accounts_app, name="accounts")
app.add_typer(db_app, name="db")
app.add_typer(attribution_app, name="attribution")
app.add_typer(staffing_app, name="staffing")
T = TypeVar("T")

DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="SWITCHBOARD_DATABASE_URL",
        help="SQLAlchemy async URL (sqlite+aiosqlite:///... or postgresql+asyncpg://...)",
    ),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _failure(error: Exception) -> str:
    """One line for an error; a database driver's message without parameters or traceback."""
    if isinstance(error, SwitchboardError):
        return error.message
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        return f"database error ({type(cause).__name__}): {first}"[:300]
    if isinstance(error, OSError):
        return f"cannot reach the database: {error.strerror or error}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _announce_database(url: str) -> None:
    """Say which database is in use (the default path depends on the current directory),
    and warn when a new SQLite file is about to be created."""
    check_url(url)
    path = sqlite_path(url)
    typer.echo(f"database: {describe(url)}", err=True)
    if path is not None and not path.exists():
        typer.echo(
            f"warning: {path.resolve()} does not exist: creating a new, empty database "
            "(use --database-url or SWITCHBOARD_DATABASE_URL for another one)",
            err=True,
        )
        path.parent.mkdir(parents=True, exist_ok=True)


async def _open_core(settings: Settings) -> Core:
    """A migrated store, the sealer its recorded key fingerprint accepts, the services."""
    store = open_store(settings.database_url)
    try:
        await upgrade(store)
        sealer = await open_sealer(store, settings.secret_key, SystemClock())
        if sealer.new_key_file:
            where = sealer.source.removeprefix("the key file ")
            typer.echo(
                f"warning: created a new secret key in {where} for this database; every "
                "process using it needs this key (or set SWITCHBOARD_SECRET_KEY everywhere)",
                err=True,
            )
    except BaseException:
        await store.dispose()
        raise
    return build_core(settings, store=store, sealer=sealer)


def _with_core(database_url: str, work: Callable[[Core], Awaitable[T]]) -> T:
    """Run `work` against a migrated store; any failure ends the command in one line."""

    async def run() -> T:
        core = await _open_core(Settings(database_url=database_url))
        try:
            return await work(core)
        finally:
            await core.close()

    try:
        _announce_database(database_url)
        return asyncio.run(run())
    except (
        SwitchboardError,
        WrongSecretKey,
        UnsupportedDatabase,
        ValidationError,
        SQLAlchemyError,
        OSError,
    ) as error:
        _fail(_failure(error))


def _print_demo(creds: DemoCredentials, host: str, port: int, settings: Settings) -> None:
    base = f"http://{host}:{port}"
    typer.echo("")
    typer.echo("Switchboard demo is ready (the same credentials on every start).")
    typer.echo(f"  Account SID : {creds.account_sid}")
    typer.echo(f"  Auth token  : {creds.auth_token}")
    typer.echo(f"  Workspace   : {creds.workspace_sid}")
    typer.echo(f"  Workflow    : {creds.workflow_sid}")
    if not settings.allow_private_callbacks:
        typer.echo(
            "  Callbacks   : URLs on localhost and private networks are refused; "
            "set SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS=true to allow them"
        )
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


def _print_demo_people(passwords: dict[str, str], host: str, port: int) -> None:
    typer.echo(f"Sign in at http://{host}:{port}/login (new passwords on every start):")
    for email, password in passwords.items():
        typer.echo(f"  {email:<26} {password}")
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
    """Run the API server (migrates the database and checks the secret key first)."""
    settings = _serve_settings(database_url)
    redaction.install(log_level)
    sealer = _with_core(database_url, _sealer_of)

    async def announce(services: Services, accounts: Accounts) -> None:
        if demo:
            creds = await ensure_demo(services, accounts)
            _print_demo(creds, host, port, settings)
            _print_demo_people(await ensure_demo_people(services, creds), host, port)

    runtime = build_runtime(settings, on_startup=announce, sealer=sealer)
    serving.run(
        runtime,
        host=host,
        port=port,
        log_level=log_level,
        log_config=redaction.logging_config(log_level),
    )


def _serve_settings(database_url: str) -> Settings:
    try:
        return Settings(database_url=database_url)
    except ValidationError as error:
        _fail(f"invalid setting: {_failure(error)}")


async def _sealer_of(core: Core) -> Sealer:
    return core.accounts.sealer


@accounts_app.command("create")
def create_account(
    friendly_name: Annotated[str, typer.Argument(help="A name for the account")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    parent: Annotated[str | None, typer.Option(help="Parent account SID (sub-account)")] = None,
) -> None:
    """Create an account and print its SID and auth token (shown only once)."""

    async def work(core: Core) -> tuple[str, str]:
        account, token = await core.accounts.create(friendly_name, parent)
        return account.sid, token

    account_sid, token = _with_core(database_url, work)
    typer.echo(f"AccountSid={account_sid}")
    typer.echo(f"AuthToken={token}")


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Apply pending migrations."""

    async def work(_core: Core) -> None:
        return None

    _with_core(database_url, work)
    typer.echo("database is up to date")


# --- fraud (issue 4) -----------------------------------------------------------------------
fraud_app = typer.Typer(
    help="Fraud scoring: rules, on-demand evaluation, clearing a stage.", rich_markup_mode=None
)
rules_app = typer.Typer(help="The fraud rule set stored in the database.", rich_markup_mode=None)
fraud_app.add_typer(rules_app, name="rules")
app.add_typer(fraud_app, name="fraud")
Owner = Annotated[
    str | None, typer.Option(help="Parent account SID: a rule for its sub-accounts only")
]


@rules_app.command("list")
def fraud_rules_list(database_url: DatabaseUrl = DEFAULT_DATABASE_URL, owner: Owner = None) -> None:
    """Print the operator's rules (or a parent account's) one per line."""

    async def work(core: Core) -> None:
        query = fraud.rules_query(owner)
        async with core.store.read() as unit:
            rows = await unit.select(query.kind, *query.where, order=query.order)
            if not rows:
                whose = f"for {owner}'s sub-accounts" if owner else "(operator rules)"
                typer.echo(f"no fraud rules {whose}; add one with `switchboard fraud rules add`")
            for row in rows:
                condition = f"{row.category} {row.comparison} {row.threshold} in {row.window}"
                if row.kind == policy.SHARED_BILLING:
                    condition = f"accounts sharing billing {row.comparison} {row.threshold}"
                age = f" if younger than {row.younger_than_days}d" if row.younger_than_days else ""
                typer.echo(f"{row.sid}  {row.score:+d}  {row.friendly_name}: {condition}{age}")

    _with_core(database_url, work)


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
    row = _with_core(database_url, lambda core: fraud.add_rule(core.store, fields, owner))
    typer.echo(f"FraudRuleSid={row.sid}")


@rules_app.command("remove")
def fraud_rules_remove(
    sid: Annotated[str, typer.Argument(help="The rule's SID (FR...)")],
    owner: Owner = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Delete a rule."""
    _with_core(database_url, lambda core: fraud.remove_rule(core.store, sid, owner))
    typer.echo(f"removed {sid}")


@fraud_app.command("evaluate")
def fraud_evaluate(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Score every account now, act on the thresholds and notify parents; print the scores."""

    async def work(core: Core) -> list[fraud.Outcome]:
        settings = core.settings.fraud_settings()
        return await fraud.FraudMonitor(core.store, core.accounts, settings).evaluate()

    for outcome in _with_core(database_url, work):
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
    row = _with_core(database_url, lambda core: fraud.clear_account(core.store, account_sid))
    typer.echo(f"{row.sid} status={row.status} stage={row.fraud_stage}")


# --- people of the pages (issue 16) --------------------------------------------------------

users_app = typer.Typer(help="People who sign in to the agent desktop and the supervisor page.")
app.add_typer(users_app, name="users")
Password = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="SWITCHBOARD_NEW_PASSWORD",
        help="At least 12 characters (prompted when not given)",
    ),
]


def _create_user(database_url: str, new: NewUser) -> None:
    async def work(core: Core) -> str:
        async with core.store.read() as unit:
            if await unit.get(Account, new.account_sid) is None:
                raise NotFound(f"The requested resource Account {new.account_sid} was not found")
        user = await People(
            core.store, core.services.clock, DistributionFloor(core.services)
        ).create(new)
        return user.sid

    user_sid = _with_core(database_url, work)
    typer.echo(f"UserSid={user_sid}")
    typer.echo(f"Role={new.role}")


@users_app.command("create-admin")
def users_create_admin(
    account_sid: Annotated[str, typer.Argument(help="The account the admin belongs to")],
    email: Annotated[str, typer.Option(help="The sign-in e-mail address")],
    password: Password,
    name: Annotated[str, typer.Option(help="The name the pages show")] = "",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Create the first admin of an account (the pages' own user management comes later)."""
    _create_user(database_url, NewUser(account_sid, email, name, ADMIN, password))


@users_app.command("create")
def users_create(
    account_sid: Annotated[str, typer.Argument(help="The account the user belongs to")],
    email: Annotated[str, typer.Option(help="The sign-in e-mail address")],
    role: Annotated[str, typer.Option(help="admin | supervisor | agent")],
    password: Password,
    worker: Annotated[str | None, typer.Option(help="Agents: the worker they work as")] = None,
    workspace: Annotated[str | None, typer.Option(help="The workspace the pages open on")] = None,
    name: Annotated[str, typer.Option(help="The name the pages show")] = "",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Create a user of an account: an agent is linked to a worker of that account."""
    new = NewUser(account_sid, email, name, role, password, worker, workspace)
    _create_user(database_url, new)


@users_app.command("list")
def users_list(
    account_sid: Annotated[str, typer.Argument(help="The account whose users to list")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Print the account's users: sid, role, e-mail, worker."""

    async def work(core: Core) -> list[User]:
        floor = DistributionFloor(core.services)
        return await People(core.store, core.services.clock, floor).users(account_sid)

    for user in _with_core(database_url, work):
        typer.echo(f"{user.sid}  {user.role:<10} {user.email}  {user.worker_sid or '-'}")


# --- workforce: the staffing plan reads the store, so it is wired here ---------------------


@staffing_app.command("plan")
def staffing_plan(
    account_sid: Annotated[str, typer.Option(help="The account owning the workspace")],
    workspace: Annotated[str, typer.Option(help="Workspace SID")],
    queue: Annotated[str, typer.Option(help="TaskQueue SID (the skill)")],
    aht_seconds: Annotated[float, typer.Option(help="Average handling time")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD")],
    days: Annotated[int, typer.Option(min=1, max=14)] = 1,
    interval_minutes: Annotated[int, typer.Option(help="15, 30 or 60")] = 30,
    service_level: Annotated[float, typer.Option()] = 0.8,
    answer_seconds: Annotated[float, typer.Option()] = 20.0,
    max_occupancy: Annotated[float, typer.Option()] = 1.0,
    shrinkage: Annotated[float, typer.Option()] = 0.0,
    method: Annotated[str, typer.Option(help="moving_average or holt_winters")] = (
        "moving_average"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Per interval: forecast contacts, agents and heads required, today's roster, the gap."""
    try:
        target = erlang.StaffingTarget(service_level, answer_seconds, max_occupancy, shrinkage)
        first = date.fromisoformat(start)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    query = staffing.PlanQuery(workspace, queue, first, days, interval_minutes * 60,
                               aht_seconds, target, method)  # fmt: skip
    plan = _with_core(
        database_url, lambda core: staffing.plan(core.attribution, account_sid, query)
    )
    if as_json:
        typer.echo(json.dumps(plan))
        return
    typer.echo(f"roster {plan['roster']} ({plan['method']})")
    typer.echo("start                 forecast  agents  heads  roster SL  gap")
    for row in plan["intervals"]:
        typer.echo(
            f"{row['start']}  {row['forecast_contacts']:>8}  {row['agents_required']:>6}"
            f"  {row['scheduled_required']:>5}  {row['roster_service_level']:>9}  {row['gap']:>3}"
        )
