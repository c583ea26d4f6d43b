"""Signing in to the pages the way a browser does: the form, its CSRF cookie, the session."""

from __future__ import annotations

import re

import httpx

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """GET the form, POST it with its token; the client keeps the session cookie."""
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, form.text
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )


def csrf_of(page: httpx.Response) -> str:
    found = CSRF_META.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)
