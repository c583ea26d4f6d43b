"""`switchboard.testing.twilio_client`: the SDK's every `*.twilio.com` request goes to our
server, nothing else is touched, and the README shows this helper (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

from switchboard.testing import twilio_client
from switchboard.testing.sdk import local_url

BASE = "http://127.0.0.1:8080"
README = Path(__file__).parent.parent / "README.md"


def test_every_twilio_host_is_rewritten_with_its_path_and_query() -> None:
    for host in ("taskrouter.twilio.com", "api.twilio.com", "accounts.twilio.com", "twilio.com"):
        url = f"https://{host}/v1/Workspaces?PageSize=5"
        assert local_url(url, BASE) == f"{BASE}/v1/Workspaces?PageSize=5"


def test_other_hosts_are_left_alone() -> None:
    for url in ("https://eviltwilio.com/v1/x", "https://example.com/twilio.com", "http://x/y"):
        assert local_url(url, BASE) == url


def test_the_client_carries_the_credentials() -> None:
    client = twilio_client(BASE, "AC" + "1" * 32, "token")
    assert (client.username, client.password) == ("AC" + "1" * 32, "token")


def test_the_readme_uses_the_helper_and_copies_no_rewriting_snippet() -> None:
    readme = README.read_text()
    assert "from switchboard.testing import twilio_client" in readme
    assert not re.search(r"TwilioHttpClient|taskrouter\.twilio\.com", readme)
