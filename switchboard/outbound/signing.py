"""Twilio's webhook signature, so receivers can use `twilio.request_validator` unchanged.

`X-Twilio-Signature` is base64(HMAC-SHA1(auth token, url + every parameter name and
value, names sorted)). A JSON body is not signed as parameters: its SHA-256 goes into
the URL as `bodySHA256` and the URL alone is signed, as Twilio does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The value of `X-Twilio-Signature` for a form POST of `params` to `url`."""
    message = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_with_body_hash(url: str, body: bytes) -> str:
    """`url` plus `bodySHA256=<hex>`: how Twilio signs requests whose body is JSON."""
    parts = urlsplit(url)
    extra = urlencode({"bodySHA256": hashlib.sha256(body).hexdigest()})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
