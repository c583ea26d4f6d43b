"""Browser tests: Playwright's `expect` waits 5 s by default, a safety net that a loaded
2-core CI machine can go past; the timing claims these tests make have bounds of their own."""

from __future__ import annotations

import contextlib

with contextlib.suppress(ImportError):  # pages are tested in the browser when it is there
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
