"""The settings reference page lists every setting, with the default the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from switchboard.settings import Settings

PAGE = Path(__file__).parent.parent / "docs" / "reference" / "settings.md"
ROW = re.compile(r"^\| `SWITCHBOARD_([A-Z_]+)` \| ([^|]+) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    return {name.lower(): default.strip() for name, default in ROW.findall(PAGE.read_text())}


def test_every_setting_is_documented_and_nothing_else() -> None:
    assert set(documented()) == set(Settings.model_fields)


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_the_documented_default_is_the_default(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(f"SWITCHBOARD_{field.upper()}", raising=False)
    cell = documented()[name]
    if not cell.startswith("`"):
        assert getattr(Settings(), name) in (None, ""), f"{name}: the page says {cell!r}"
        return
    stated = Settings.model_validate({name: cell.strip("`")})
    if name == "plan_weights":
        assert stated.plan_weight_map() == Settings().plan_weight_map()
    else:
        assert getattr(stated, name) == getattr(Settings(), name)
