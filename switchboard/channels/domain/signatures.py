"""`X-Twilio-Signature`: HMAC-SHA1 of the URL followed by the form's sorted names and
values, base64-encoded, keyed by the account's auth token.

Written here rather than imported from the `twilio` package (which would add ~25 MB and
six seconds to a first install, for twenty lines); tests check it against the package's
`RequestValidator`. Like Twilio's own validator, the URL is tried with and without its
default port, since carriers are inconsistent about it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit


def sign(token: str, url: str, form: Mapping[str, str]) -> str:
    """The signature a carrier sends for `form` posted to `url`."""
    text = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_valid(token: str, url: str, form: Mapping[str, str], signature: str) -> bool:
    """Whether `signature` signs `form` at `url` (with or without the default port)."""
    expected = signature.encode()
    return any(
        hmac.compare_digest(sign(token, candidate, form).encode(), expected)
        for candidate in _with_and_without_port(url)
    )


def _with_and_without_port(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    if parts.port is not None:
        bare = host[: host.rindex(":")]
        return urlunsplit(parts._replace(netloc=userinfo + bare)), url
    default = 443 if parts.scheme == "https" else 80
    return url, urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{default}"))
