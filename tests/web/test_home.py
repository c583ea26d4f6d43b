"""The front door answers a browser without credentials, and points at the API."""

from __future__ import annotations

from tests.api.helpers import ClientFactory


async def test_the_home_page_needs_no_credentials_and_points_at_the_api(
    make_client: ClientFactory,
) -> None:
    response = await make_client(None).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "TaskRouter v1" in response.text
    assert 'href="/health"' in response.text
