"""Docs a new user reads first say what the code and the benchmark do (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
GUIDE = (ROOT / "docs" / "how-to" / "deploy-postgresql.md").read_text()
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text()


def _scale_out_ratio(processes: int) -> str:
    row = re.search(
        rf"per task with {processes} processes \(one workspace each\) vs 1 "
        r"\|[^\n]*?\| ([\d.]+x) \|",
        BENCHMARKS,
    )
    assert row is not None, f"no scale-out row for {processes} processes"
    return row.group(1)


def test_the_postgresql_guide_quotes_the_measured_scale_out_and_links_it() -> None:
    assert "(../benchmarks.md)" in GUIDE
    assert "## When more processes help" in GUIDE
    for processes in (2, 3):
        assert f"**{_scale_out_ratio(processes)}**" in GUIDE


def test_the_readme_never_assumes_switchboard_is_on_the_path() -> None:
    assert "./run switchboard" in README
    assert not re.search(r"\| `switchboard ", README)


def test_docs_show_no_bare_switchboard_command_lines() -> None:
    for page in (ROOT / "docs").rglob("*.md"):
        for line in page.read_text().splitlines():
            assert not line.startswith("$ switchboard "), f"{page}: {line}"


def test_the_worker_protocol_says_in_bold_that_websocket_pings_do_not_count() -> None:
    page = (ROOT / "docs" / "reference" / "worker-protocol.md").read_text()
    connecting = page.split("## Connecting", 1)[1].split("\n## ", 1)[0]
    bold = re.findall(r"\*\*(.+?)\*\*", connecting, flags=re.DOTALL)
    assert any("websocket ping frames do not count" in text for text in bold)


def test_the_bulk_statistics_example_is_the_one_the_sdk_test_runs() -> None:
    page = (ROOT / "docs" / "reference" / "statistics.md").read_text()
    sdk_test = (ROOT / "tests" / "statistics" / "test_sdk.py").read_text()
    assert "SimpleNamespace(to_dict=lambda: {" in page
    assert "SimpleNamespace(" in sdk_test and "to_dict=lambda: {" in sdk_test
