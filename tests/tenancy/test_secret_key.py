"""The secret key that seals auth tokens is recorded (as a fingerprint) in the database:
a process holding another key refuses to start, saying which key is expected and where
it came from, instead of failing later token by token (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from switchboard.database import SCHEMA
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import SealingKey
from switchboard.tenancy.sealing import fingerprint
from switchboard.testing import processes

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def cli(cwd: Path, *args: str, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SWITCHBOARD_SECRET_KEY"}
    if key is not None:
        env["SWITCHBOARD_SECRET_KEY"] = key
    command = [sys.executable, "-m", "switchboard", *args]
    return processes.run(command, timeout=120, cwd=cwd, env=env)


def created(cwd: Path, url: str, name: str, key: str) -> None:
    done = cli(cwd, "accounts", "create", name, "--database-url", url, key=key)
    assert done.returncode == 0, done.stderr


def assert_one_line_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


def test_a_command_with_another_key_is_refused_naming_both_keys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    assert (
        cli(tmp_path, "accounts", "create", "first", "--database-url", url, key=KEY_A).returncode
        == 0
    )

    refused = cli(tmp_path, "accounts", "create", "second", "--database-url", url, key=KEY_B)

    assert refused.returncode == 1
    line = assert_one_line_error(refused.stderr)
    assert fingerprint(KEY_A) in line and fingerprint(KEY_B) in line
    assert "SWITCHBOARD_SECRET_KEY" in line
    assert "AccountSid" not in refused.stdout


def test_without_a_key_another_directory_gets_no_new_key_file_but_an_explanation(
    tmp_path: Path,
) -> None:
    first, elsewhere = tmp_path / "first", tmp_path / "elsewhere"
    first.mkdir()
    elsewhere.mkdir()
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    made = cli(first, "accounts", "create", "a", "--database-url", url, key=None)
    assert made.returncode == 0
    assert (first / "var" / "secret.key").exists()
    assert f"created a new secret key in {first / 'var' / 'secret.key'}" in made.stderr

    refused = cli(elsewhere, "accounts", "create", "b", "--database-url", url, key=None)

    assert refused.returncode == 1
    line = assert_one_line_error(refused.stderr)
    assert str(first / "var" / "secret.key") in line  # where the expected key was found
    assert not (elsewhere / "var" / "secret.key").exists()


@pytest.mark.slow
def test_serve_refuses_a_key_that_does_not_match(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    assert (
        cli(tmp_path, "accounts", "create", "a", "--database-url", url, key=KEY_A).returncode == 0
    )

    refused = cli(tmp_path, "serve", "--database-url", url, "--port", "0", key=KEY_B)

    assert refused.returncode == 1
    assert fingerprint(KEY_A) in assert_one_line_error(refused.stderr)


async def test_a_database_from_before_fingerprints_is_checked_against_its_tokens(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    assert (
        cli(tmp_path, "accounts", "create", "a", "--database-url", url, key=KEY_A).returncode == 0
    )
    store = SqlStore(url, SCHEMA)
    async with store.transaction() as unit:
        await unit.delete_where(SealingKey)
    await store.dispose()

    refused = cli(tmp_path, "accounts", "create", "b", "--database-url", url, key=KEY_B)
    accepted = cli(tmp_path, "accounts", "create", "b", "--database-url", url, key=KEY_A)

    assert refused.returncode == 1
    assert fingerprint(KEY_B) in assert_one_line_error(refused.stderr)
    assert accepted.returncode == 0
    store = SqlStore(url, SCHEMA)
    async with store.read() as unit:
        recorded = await unit.get(SealingKey, "secret_key")
    await store.dispose()
    assert recorded is not None and recorded.fingerprint == fingerprint(KEY_A)


def test_the_key_is_never_printed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    cli(tmp_path, "accounts", "create", "a", "--database-url", url, key=KEY_A)
    refused = cli(tmp_path, "accounts", "create", "b", "--database-url", url, key=KEY_B)
    assert KEY_A not in refused.stderr + refused.stdout
    assert KEY_B not in refused.stderr + refused.stdout
