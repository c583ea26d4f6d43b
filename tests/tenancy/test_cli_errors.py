"""Every CLI failure a new user meets is one line on standard error, exit status 1, no
traceback and no secret (issue 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.testing import processes


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return processes.run([sys.executable, "-m", "switchboard", *args], timeout=120, cwd=cwd)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "INSERT" not in output and "gAAAAA" not in output  # no SQL, no sealed token
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("accounts", "create", "x", "--parent", "AC" + "0" * 32), "does not exist"),
        (("accounts", "create", ""), "1 to 64 characters"),
        (("accounts", "create", " "), "1 to 64 characters"),
        (
            ("accounts", "create", "x", "--database-url", "postgres://me@db/sb"),
            "postgresql+asyncpg://me@db/sb",
        ),
        (("db", "upgrade", "--database-url", "mysql://me@db/sb"), "unsupported database URL"),
        (("serve", "--database-url", "sqlite:///x.db"), "sqlite+aiosqlite:///x.db"),
        (
            ("db", "upgrade", "--database-url", "postgresql+asyncpg://nobody@127.0.0.1:1/none"),
            "cannot reach the database",
        ),
    ],
)
def test_a_mistake_is_one_line(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    assert fragment in one_line_error(run(*args, cwd=tmp_path))


def test_a_sub_account_of_a_sub_account_is_refused(tmp_path: Path) -> None:
    parent = run("accounts", "create", "parent", cwd=tmp_path)
    parent_sid = parent.stdout.split("AccountSid=")[1].split()[0]
    child = run("accounts", "create", "child", "--parent", parent_sid, cwd=tmp_path)
    child_sid = child.stdout.split("AccountSid=")[1].split()[0]

    refused = run("accounts", "create", "grandchild", "--parent", child_sid, cwd=tmp_path)

    assert "is a sub-account" in one_line_error(refused)


def test_the_database_in_use_is_named_and_a_new_file_is_announced(tmp_path: Path) -> None:
    first = run("accounts", "create", "a", cwd=tmp_path)
    second = run("accounts", "create", "b", cwd=tmp_path)

    database = tmp_path / "var" / "switchboard.db"
    assert f"database: SQLite file {database}" in first.stderr
    assert "creating a new, empty database" in first.stderr
    assert f"database: SQLite file {database}" in second.stderr
    assert "creating a new" not in second.stderr


def test_help_shows_no_bool_placeholders(tmp_path: Path) -> None:
    done = run("serve", "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "--demo / --no-demo" in done.stdout
    assert "<bool>" not in done.stdout


def test_an_empty_rule_list_says_so(tmp_path: Path) -> None:
    done = run("fraud", "rules", "list", cwd=tmp_path)
    assert done.returncode == 0
    assert "no fraud rules" in done.stdout
