"""`./run`: `serve` installs only the package (not the development tools), a `.venv` made
with a wrong Python is rebuilt, and `./run switchboard` reaches every command (issue 11).

The script runs for real, in a copy of the checkout, with a stand-in interpreter that
records what it is asked to do instead of installing anything.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from switchboard.testing import processes

ROOT = Path(__file__).parent.parent

# A python3 stand-in: `-c` answers the version check from a file beside it, `-m venv DIR`
# (its last argument) makes DIR/bin/python (a copy of itself) and DIR/bin/switchboard,
# `-m pip` is recorded and succeeds (so it reports a pip that has `--python`).
FAKE_PYTHON = r"""#!/usr/bin/env bash
here=$(dirname "$0")
echo "$0 $*" >> "$RUN_LOG"
case "$1" in
  -c) [ "$(cat "$here/version")" = good ] ;;
  -m)
    if [ "$2" = venv ]; then
      dir="${@: -1}"
      mkdir -p "$dir/bin"
      cp "$0" "$dir/bin/python"
      echo good > "$dir/bin/version"
      printf '#!/usr/bin/env bash\necho "switchboard $*" >> "$RUN_LOG"\n' > "$dir/bin/switchboard"
      chmod +x "$dir/bin/switchboard"
    fi
    ;;
esac
"""


def _checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "clone"
    copy.mkdir()
    for name in ("run", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    tools = tmp_path / "tools"
    tools.mkdir()
    fake = tools / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tools / "version").write_text("good\n")
    return copy


def _run(copy: Path, *args: str) -> tuple[str, list[str]]:
    log = copy.parent / "calls.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PYTHON": str(copy.parent / "tools" / "python3"), "RUN_LOG": str(log)}
    done = processes.run([str(copy / "run"), *args], timeout=60, env=env, cwd=copy)
    assert done.returncode == 0, done.stderr
    return done.stdout, log.read_text().splitlines()


def test_serve_installs_only_the_package(tmp_path: Path) -> None:
    copy = _checkout(tmp_path)
    _out, calls = _run(copy, "serve", "--port", "9999")
    # the venv is made without a pip of its own (ensurepip costs ~6 s of a first start)
    assert any(call.endswith("-m venv --without-pip .venv") for call in calls)
    installs = [call for call in calls if " -m pip " in call and " install " in call]
    assert len(installs) == 1
    assert installs[0].endswith("-e .")
    assert "switchboard serve --demo --port 9999" in calls

    _out, calls = _run(copy, "serve")  # installed: nothing to do the second time
    assert not [call for call in calls if " pip " in call]


def test_test_installs_the_development_tools(tmp_path: Path) -> None:
    copy = _checkout(tmp_path)
    _run(copy, "switchboard", "db", "upgrade")
    log = copy.parent / "calls.log"
    env = {**os.environ, "PYTHON": str(copy.parent / "tools" / "python3"), "RUN_LOG": str(log)}
    # `./run test` would go on to ruff (absent here); its install step is what is checked
    processes.run([str(copy / "run"), "test"], timeout=60, env=env, cwd=copy)
    assert any(call.endswith("-e .[dev]") for call in log.read_text().splitlines())


def test_a_venv_made_with_a_wrong_python_is_rebuilt(tmp_path: Path) -> None:
    copy = _checkout(tmp_path)
    _run(copy, "serve")
    (copy / ".venv" / "bin" / "version").write_text("too old\n")  # e.g. made by python3.9

    out, calls = _run(copy, "serve")

    assert "rebuilding" in out
    assert any(" -m venv " in call and call.endswith(" .venv") for call in calls)
    assert any(call.endswith("-e .") for call in calls)
    assert (copy / ".venv" / "bin" / "version").read_text() == "good\n"


def test_switchboard_commands_run_through_the_script(tmp_path: Path) -> None:
    copy = _checkout(tmp_path)
    _out, calls = _run(copy, "switchboard", "accounts", "create", "Acme")
    assert "switchboard accounts create Acme" in calls
