"""The input-limits reference page lists every limit with the value the code has."""

from __future__ import annotations

import re
from pathlib import Path

from switchboard.kernel import limits

PAGE = Path(__file__).parent.parent / "docs" / "reference" / "input-limits.md"
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \|", re.MULTILINE)


def named_limits() -> dict[str, object]:
    return {
        name: value
        for name, value in vars(limits).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, int | str | tuple)
    }


def test_every_limit_is_listed_with_its_value() -> None:
    documented = {name: cell.strip() for name, cell in ROW.findall(PAGE.read_text())}
    assert set(documented) == set(named_limits())
    for name, value in named_limits().items():
        if isinstance(value, tuple):
            assert documented[name] == ", ".join(f"`{item}`" for item in value), name
        else:
            assert documented[name] == f"`{value}`", name
