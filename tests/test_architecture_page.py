"""The architecture page draws the house the import contracts keep."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
PAGE = (ROOT / "docs" / "explanation" / "architecture.md").read_text()
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]


def test_every_import_contract_is_on_the_architecture_page() -> None:
    missing = [c["name"] for c in CONTRACTS if f"| {c['name']} |" not in PAGE]
    assert missing == []


def test_every_package_the_contracts_name_is_drawn() -> None:
    named: set[str] = set()
    for contract in CONTRACTS:
        for key in ("source_modules", "modules", "layers", "containers"):
            for entry in contract.get(key, []):
                named.update(part.strip() for part in entry.split("|"))
    short = {name.rsplit(".", 1)[-1] for name in named}
    assert [n for n in sorted(short) if f"{n}/" not in PAGE and f"`{n}`" not in PAGE] == []
