"""A real browser for the page tests: Playwright driving Debian's chromium package.

Playwright's own browser download is not reachable here, so the system binary is
launched (`./run test` installs the `chromium` package when it is missing).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from switchboard.testing import processes

CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# where `SWITCHBOARD_SCREENSHOTS=1` puts the pictures the docs show
DOCS_IMAGES = Path(__file__).parents[2] / "docs" / "images"


def cli(*args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """`python -m switchboard ...`, its `Key=value` lines as a dict."""
    command = [sys.executable, "-m", "switchboard", *args]
    done = processes.run(command, timeout=120, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # CDP evaluation: not subject to the CSP
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}))
             .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"""
    )
    return found


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1)[:3000]
