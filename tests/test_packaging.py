"""What an installed (not editable) Switchboard ships: every migration script and page."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "switchboard"


def shipped(path: Path) -> bool:
    if path.suffix == ".py" and (path.parent / "__init__.py").exists():
        return True  # a module of a package: setuptools ships it without package-data
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["switchboard"]
    return any(path.relative_to(PACKAGE).match(glob) for glob in globs)


def test_every_data_file_is_in_the_package() -> None:
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.name == "script.py.mako" for p in files)
    assert any(p.name == "index.html" for p in files)
    missing = [str(p.relative_to(ROOT)) for p in files if not shipped(p)]
    assert missing == []
